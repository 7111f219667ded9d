"""Compare losses on a dataset: cross-validation, ranking and paired statistics.

:func:`compare_losses` cross-validates one estimator once per candidate loss, on the
same folds, and returns a :class:`LossComparison`: a table of scores (mean and spread
over the folds) and fit times, the ranking by a chosen metric, and a paired test of
every loss against the best one.

The paired test is the corrected resampled t-test of Nadeau and Bengio (2003,
"Inference for the Generalization Error", Machine Learning 52). With ``J`` fits
(``n_splits * n_repeats``) and per-fold score differences ``d_j`` between the best loss
and another, the plain paired t-test uses the variance ``var(d) / J``. That is too
small for cross-validation, whose training sets overlap and so give correlated
differences; the corrected test multiplies ``var(d)`` by ``1/J + n_test/n_train``
instead and compares ``t = mean(d) / sqrt((1/J + n_test/n_train) var(d))`` with a
Student t distribution with ``J - 1`` degrees of freedom.
"""

from __future__ import annotations

import re
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from numbers import Integral

import numpy as np
from scipy import stats
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.metrics import check_scoring
from sklearn.model_selection import (
    KFold,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    StratifiedKFold,
)
from sklearn.utils import _safe_indexing, indexable
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.parallel import Parallel, delayed

from .losses import Loss, loss_names
from .scoring import get_scorer

__all__ = ["LossComparison", "compare_losses", "corrected_ttest"]

_TASK_OF_TARGET = {
    "continuous": "regression",
    "continuous-multioutput": "regression",
    "binary": "binary",
    "multiclass": "multiclass",
    "multilabel-indicator": "multilabel",
}


# -- statistics -----------------------------------------------------------------------
def corrected_ttest(differences, n_train: float, n_test: float) -> tuple[float, float]:
    """Corrected resampled t-test (Nadeau and Bengio) on paired score differences.

    Parameters
    ----------
    differences : array-like of shape (n_fits,)
        Score differences between two models, one per cross-validation fit, both
        models evaluated on the same train/test splits.
    n_train : float
        Number of training samples per fit (the mean, if it varies).
    n_test : float
        Number of test samples per fit (the mean, if it varies).

    Returns
    -------
    t_statistic : float
        ``mean(d) / sqrt((1/J + n_test/n_train) * var(d))`` with ``J`` fits and the
        unbiased variance; NaN with fewer than two fits.
    p_value : float
        Two-sided p-value from Student's t distribution with ``J - 1`` degrees of
        freedom. 1.0 when every difference is zero.

    Examples
    --------
    >>> from sklearn_losses.compare import corrected_ttest
    >>> t, p = corrected_ttest([0.02, 0.03, 0.01, 0.04, 0.02], n_train=80, n_test=20)
    >>> round(t, 3), round(p, 3)
    (3.138, 0.035)
    """
    d = np.asarray(differences, dtype=float).ravel()
    n_fits = d.size
    if n_fits < 2:
        return float("nan"), float("nan")
    mean = d.mean()
    variance = d.var(ddof=1) * (1.0 / n_fits + n_test / n_train)
    if variance == 0:
        if mean == 0:
            return 0.0, 1.0
        return float(np.copysign(np.inf, mean)), 0.0
    t_statistic = mean / np.sqrt(variance)
    p_value = 2.0 * stats.t.sf(abs(t_statistic), df=n_fits - 1)
    return float(t_statistic), float(p_value)


# -- the result -----------------------------------------------------------------------
def _fmt(value: float, digits: int = 4) -> str:
    if value is None or not np.isfinite(value):
        return "-" if value is None else str(value)
    return f"{value:.{digits}g}"


class LossComparison:
    """The result of :func:`compare_losses`.

    Parameters
    ----------
    cv_results : dict of str to dict
        Per loss, what :func:`sklearn.model_selection.cross_validate` would return:
        ``fit_time``, ``score_time``, ``test_<metric>`` (and ``train_<metric>``,
        ``estimator`` when asked), one entry per fit, in the same split order for
        every loss.
    metrics : list of str
        The metric names, the one to rank by first.
    n_train, n_test : float
        Mean training and test set sizes of the splits.
    n_splits : int
        Number of fits per loss (folds times repeats).
    skipped : dict of str to str, default=None
        Losses that could not be trained or scored, with the reason.
    warnings : dict of str to list of str, default=None
        Distinct warnings raised while training or scoring each loss.
    task : str, default=None
        The task the losses were chosen for.

    Attributes
    ----------
    table : list of dict
        One row per compared loss, best first: ``rank``, ``loss``, for each metric
        ``<metric>_mean`` and ``<metric>_std`` (test scores; ``train_<metric>_*``
        when training scores were kept), ``fit_time_mean``, and for the ranking metric
        ``difference`` (best mean minus this mean), ``t_statistic`` and ``p_value``
        of the corrected paired test against the best loss.
    ranking : list of str
        The compared losses, best first by the first metric (greater is better, as for
        every scikit-learn scorer).
    best_loss_ : str
        The best loss.
    comparison : dict of str to dict
        For every loss but the best: ``difference``, ``t_statistic``, ``p_value``.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.linear_model import SGDRegressor
    >>> from sklearn_losses import compare_losses
    >>> X, y = make_regression(n_samples=100, n_features=3, noise=1, random_state=0)
    >>> result = compare_losses(SGDRegressor(random_state=0), X, y,
    ...                         losses=["squared_error", "huber"], cv=3,
    ...                         random_state=0)
    >>> result.ranking
    ['squared_error', 'huber']
    >>> row = result.table[0]
    >>> row["loss"], round(row["r2_mean"], 3)
    ('squared_error', 1.0)
    """

    def __init__(
        self,
        cv_results: dict[str, dict],
        metrics: list[str],
        *,
        n_train: float,
        n_test: float,
        n_splits: int,
        skipped: dict[str, str] | None = None,
        warnings: dict[str, list[str]] | None = None,
        task: str | None = None,
    ):
        self.cv_results = cv_results
        self.metrics = list(metrics)
        self.n_train = n_train
        self.n_test = n_test
        self.n_splits = n_splits
        self.skipped = dict(skipped or {})
        self.warnings = dict(warnings or {})
        self.task = task
        self._build()

    @property
    def rank_by(self) -> str:
        """The metric the ranking uses."""
        return self.metrics[0]

    def _build(self) -> None:
        key = f"test_{self.rank_by}"
        means = {name: np.mean(res[key]) for name, res in self.cv_results.items()}
        # stable sort: ties keep the order in which the losses were given
        self.ranking = sorted(means, key=lambda name: -means[name])
        self.best_loss_ = self.ranking[0] if self.ranking else None
        self.comparison = {}
        if self.best_loss_ is not None:
            best = np.asarray(self.cv_results[self.best_loss_][key])
            for name in self.ranking[1:]:
                diff = best - np.asarray(self.cv_results[name][key])
                t, p = corrected_ttest(diff, self.n_train, self.n_test)
                self.comparison[name] = {
                    "difference": float(diff.mean()),
                    "t_statistic": t,
                    "p_value": p,
                }
        self.table = []
        for rank, name in enumerate(self.ranking, start=1):
            res = self.cv_results[name]
            row = {"rank": rank, "loss": name}
            for metric in self.metrics:
                for split in ("test", "train"):
                    scores = res.get(f"{split}_{metric}")
                    if scores is None:
                        continue
                    label = metric if split == "test" else f"train_{metric}"
                    row[f"{label}_mean"] = float(np.mean(scores))
                    row[f"{label}_std"] = float(np.std(scores))
            row["fit_time_mean"] = float(np.mean(res["fit_time"]))
            versus = self.comparison.get(name, {})
            row["difference"] = versus.get("difference", 0.0)
            row["t_statistic"] = versus.get("t_statistic")
            row["p_value"] = versus.get("p_value")
            self.table.append(row)

    def to_frame(self):
        """The table as a :class:`pandas.DataFrame` indexed by loss.

        Returns
        -------
        frame : pandas.DataFrame
            One row per compared loss, best first; the columns of :attr:`table`.
        """
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "to_frame needs pandas (pip install pandas); str(result) gives the "
                "same table as text."
            ) from exc
        return pd.DataFrame(self.table).set_index("loss")

    def __repr__(self) -> str:
        return (
            f"LossComparison(best_loss_={self.best_loss_!r}, "
            f"n_losses={len(self.ranking)}, rank_by={self.rank_by!r})"
        )

    def __str__(self) -> str:
        header = ["rank", "loss"]
        for metric in self.metrics:
            header.append(metric)
            if f"train_{metric}_mean" in (self.table[0] if self.table else {}):
                header.append(f"train {metric}")
        header += ["fit time (s)", "difference to best", "p-value"]
        rows = []
        for row in self.table:
            cells = [str(row["rank"]), row["loss"]]
            for metric in self.metrics:
                for label in (metric, f"train_{metric}"):
                    if f"{label}_mean" in row:
                        cells.append(
                            f"{_fmt(row[f'{label}_mean'])} ± {_fmt(row[f'{label}_std'], 2)}"
                        )
            cells.append(f"{row['fit_time_mean']:.2f}")
            if row["rank"] == 1:
                cells += ["best", ""]
            else:
                # + 0.0 turns a tie's -0.0 into 0
                cells += [_fmt(-row["difference"] + 0.0, 3), _fmt(row["p_value"], 2)]
            rows.append(cells)
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines = [
            f"Losses ranked by {self.rank_by} (greater is better), "
            f"{self.n_splits} cross-validation fits per loss"
            + (f", {self.task} targets" if self.task else "")
            + ":",
            "  ".join(h.ljust(w) for h, w in zip(header, widths)),
            "  ".join("-" * w for w in widths),
        ]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
        if len(self.table) > 1:
            lines.append(
                "p-value: corrected resampled t-test (Nadeau & Bengio) of the paired "
                "per-fold differences against the best loss."
            )
        for name, reason in self.skipped.items():
            lines.append(f"skipped {name}: {reason}")
        losses_by_message: dict[str, list[str]] = {}
        for name, messages in self.warnings.items():
            for message in messages:
                losses_by_message.setdefault(message, []).append(name)
        for message, names in losses_by_message.items():
            lines.append(f"warning ({', '.join(names)}): {message}")
        return "\n".join(line.rstrip() for line in lines)


# -- the comparison -------------------------------------------------------------------
def _scorers(estimator, scoring) -> dict[str, Callable]:
    """Named scorers, the one to rank by first."""
    if scoring is None:
        if is_classifier(estimator):
            name = "accuracy"
        elif is_regressor(estimator):
            name = "r2"
        else:
            name = "score"
        return {name: check_scoring(estimator)}
    if isinstance(scoring, str):
        return {scoring: get_scorer(scoring)}
    if callable(scoring):
        return {getattr(scoring, "__name__", "score"): scoring}
    if isinstance(scoring, Mapping):
        if not scoring:
            raise ValueError("scoring must name at least one metric.")
        return {
            str(key): get_scorer(value) if isinstance(value, str) else value
            for key, value in scoring.items()
        }
    if isinstance(scoring, Iterable):
        names = list(scoring)
        if not names or not all(isinstance(n, str) for n in names):
            raise ValueError("scoring as a list must hold metric names (strings).")
        if len(set(names)) != len(names):
            raise ValueError(f"scoring has duplicate names: {names}.")
        return {name: get_scorer(name) for name in names}
    raise TypeError(
        "scoring must be None, a metric name, a callable scorer, a list of names or "
        f"a dict of scorers, got {type(scoring).__name__}."
    )


def _loss_parameter(estimator) -> str:
    """The parameter of ``estimator`` that sets the loss (``loss``, ``step__loss``)."""
    params = estimator.get_params(deep=True)
    if "loss" in params:
        return "loss"
    found = [key for key in params if key.endswith("__loss")]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ValueError(
            f"{type(estimator).__name__} has no `loss` parameter, nor a step with one; "
            "compare_losses needs an estimator such as sklearn_losses.MLPRegressor."
        )
    raise ValueError(
        f"{type(estimator).__name__} has several loss parameters ({found}); pass the "
        "estimator whose loss should change."
    )


def _task(estimator, y) -> str:
    if is_regressor(estimator):
        return "regression"
    target_type = type_of_target(y, input_name="y")
    if target_type not in _TASK_OF_TARGET:
        raise ValueError(f"compare_losses does not handle {target_type} targets.")
    return _TASK_OF_TARGET[target_type]


def _candidates(losses, task: str) -> dict[str, object]:
    """Display names mapped to the values given to the estimator's loss parameter."""
    if isinstance(losses, str) and losses == "auto":
        names = loss_names(task)
        if not names:
            raise ValueError(f"No registered loss applies to {task} targets.")
        return {name: name for name in names}
    if isinstance(losses, (str, Loss)) or callable(losses):
        losses = [losses]
    candidates = {}
    for loss in losses:
        if isinstance(loss, str):
            name = loss
        elif isinstance(loss, Loss):
            name = repr(loss)
        else:
            name = getattr(loss, "__name__", repr(loss))
        if name in candidates:
            raise ValueError(f"The loss {name!r} is listed twice.")
        candidates[name] = loss
    if not candidates:
        raise ValueError("losses must name at least one loss.")
    return candidates


def _splitter(cv, n_repeats: int, stratify: bool, random_state):
    if isinstance(cv, Integral):
        if cv < 2:
            raise ValueError(f"cv must be at least 2, got {cv}.")
        if n_repeats > 1:
            cls = RepeatedStratifiedKFold if stratify else RepeatedKFold
            return cls(n_splits=cv, n_repeats=n_repeats, random_state=random_state)
        cls = StratifiedKFold if stratify else KFold
        return cls(n_splits=cv, shuffle=True, random_state=random_state)
    if n_repeats != 1:
        raise ValueError(
            "n_repeats applies to an integer cv; repeat with the splitter itself "
            "(e.g. RepeatedKFold) otherwise."
        )
    return cv


def _message(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _fit_and_score(
    name,
    index,
    estimator,
    parameter,
    loss,
    X,
    y,
    train,
    test,
    scorers,
    fit_params,
    keep,
    ignored,
) -> tuple[str, int, dict]:
    """Train one loss on one split; errors and warnings are returned, not raised.

    Every distinct warning is recorded, except those the caller's filters ignore
    (``ignored``: those filters, applied again here, also in worker processes).
    """
    result = {"error": None, "warnings": []}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for action, message, category, module, lineno in reversed(ignored):
            warnings.filterwarnings(
                action,
                message=message.pattern if message else "",
                category=category,
                module=module.pattern if module else "",
                lineno=lineno,
            )
        try:
            model = clone(estimator).set_params(**{parameter: loss})
            X_train, y_train = _safe_indexing(X, train), _safe_indexing(y, train)
            X_test, y_test = _safe_indexing(X, test), _safe_indexing(y, test)
            params = {
                key: _safe_indexing(value, train)
                if hasattr(value, "__len__") and len(value) == len(y)
                else value
                for key, value in fit_params.items()
            }
            start = time.perf_counter()
            model.fit(X_train, y_train, **params)
            result["fit_time"] = time.perf_counter() - start
            start = time.perf_counter()
            result["test"] = {
                name: float(scorer(model, X_test, y_test))
                for name, scorer in scorers.items()
            }
            result["score_time"] = time.perf_counter() - start
            if keep["train_score"]:
                result["train"] = {
                    name: float(scorer(model, X_train, y_train))
                    for name, scorer in scorers.items()
                }
            if keep["estimator"]:
                result["estimator"] = model
        except Exception as exc:  # noqa: BLE001 - reported as a skipped loss
            result["error"] = _message(exc)
    for record in caught:
        text = f"{record.category.__name__}: {record.message}"
        if text not in result["warnings"]:
            result["warnings"].append(text)
    return name, index, result


def compare_losses(
    estimator,
    X,
    y,
    *,
    losses: str | Iterable = "auto",
    scoring=None,
    cv=5,
    n_repeats: int = 1,
    groups=None,
    n_jobs: int | None = None,
    random_state=None,
    return_train_score: bool = False,
    return_estimator: bool = False,
    fit_params: dict | None = None,
    verbose: int = 0,
) -> LossComparison:
    """Cross-validate an estimator once per loss and rank the losses.

    Every loss is trained and scored on the same splits, so the per-fold scores are
    paired; each loss is compared with the best one by the corrected resampled t-test
    (see :func:`corrected_ttest`). A loss that cannot be trained or scored on the data
    (a Poisson loss on negative targets, a probability metric for a hinge loss) is
    reported in ``skipped`` with the reason; the others are still compared.

    Parameters
    ----------
    estimator : estimator
        An estimator with a ``loss`` parameter (:class:`~sklearn_losses.MLPRegressor`,
        :class:`~sklearn_losses.MLPClassifier`, scikit-learn's ``SGDRegressor``...),
        or a pipeline or meta-estimator with exactly one such step
        (``mlpregressor__loss``). It is cloned for every fit.
    X : array-like of shape (n_samples, n_features)
        The data.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The targets.
    losses : "auto", str, Loss or list, default="auto"
        The candidates. "auto" is every registered loss for the target type (see
        :func:`sklearn_losses.losses.loss_names`); otherwise a loss name, a loss
        object or a list of them, anything the estimator's ``loss`` accepts.
    scoring : None, str, callable, list of str or dict, default=None
        The metrics, as in :func:`~sklearn.model_selection.cross_validate`; the first
        one ranks the losses (greater is better). Names are resolved by
        :func:`sklearn_losses.get_scorer`, which knows a ``neg_<loss>`` scorer for
        every loss besides scikit-learn's own. None uses the estimator's ``score``,
        reported as "accuracy" for classifiers and "r2" for regressors.
    cv : int or cross-validation splitter or iterable, default=5
        An integer gives shuffled :class:`~sklearn.model_selection.KFold`
        (:class:`~sklearn.model_selection.StratifiedKFold` for binary and multi-class
        classifiers) with ``random_state``; any splitter or list of
        ``(train, test)`` index pairs is used as is.
    n_repeats : int, default=1
        With an integer ``cv``, repeat the k-fold split this many times with
        different shuffles (:class:`~sklearn.model_selection.RepeatedKFold`). More
        fits make the paired test more sensitive.
    groups : array-like of shape (n_samples,), default=None
        Group labels for a group splitter.
    n_jobs : int, default=None
        Fits to run in parallel (joblib); None means 1.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling of an integer ``cv``. The estimator's own
        ``random_state`` is left as it is: set it too for reproducible fits.
    return_train_score : bool, default=False
        Also score on the training folds (``train_<metric>`` in ``cv_results``).
    return_estimator : bool, default=False
        Keep the fitted estimators (``cv_results[loss]["estimator"]``), for example
        to plot their learning curves with :class:`~sklearn_losses.LossCurveDisplay`.
    fit_params : dict, default=None
        Extra arguments of ``fit``; arrays with one entry per sample (such as
        ``sample_weight``) are split with the data.
    verbose : int, default=0
        Print a line per finished fit to standard error when positive.

    Returns
    -------
    result : LossComparison
        The table, ranking, paired tests, skipped losses and warnings.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn_losses import MLPClassifier, compare_losses
    >>> X, y = make_classification(n_samples=150, n_features=5, random_state=0)
    >>> clf = MLPClassifier(hidden_layer_sizes=(10,), max_iter=50, random_state=0)
    >>> result = compare_losses(clf, X, y, losses=["log_loss", "hinge"], cv=3,
    ...                         random_state=0)
    >>> sorted(result.ranking)
    ['hinge', 'log_loss']
    >>> result.table[0]["rank"], "accuracy_mean" in result.table[0]
    (1, True)
    """
    X, y, groups = indexable(X, y, groups)
    if not isinstance(n_repeats, Integral) or n_repeats < 1:
        raise ValueError(f"n_repeats must be a positive integer, got {n_repeats!r}.")
    parameter = _loss_parameter(estimator)
    task = _task(estimator, y)
    candidates = _candidates(losses, task)
    scorers = _scorers(estimator, scoring)
    stratify = is_classifier(estimator) and task in ("binary", "multiclass")
    splitter = _splitter(cv, n_repeats, stratify, random_state)
    if hasattr(splitter, "split"):
        splits = list(splitter.split(X, y, groups))
    else:
        splits = [(np.asarray(train), np.asarray(test)) for train, test in splitter]
    if not splits:
        raise ValueError("cv gave no train/test splits.")
    fit_params = dict(fit_params or {})
    keep = {"train_score": return_train_score, "estimator": return_estimator}
    # warnings the caller silenced stay silent in the workers
    ignored = [f for f in warnings.filters if f[0] == "ignore"]

    jobs = [
        delayed(_fit_and_score)(
            name,
            index,
            estimator,
            parameter,
            loss,
            X,
            y,
            train,
            test,
            scorers,
            fit_params,
            keep,
            ignored,
        )
        for name, loss in candidates.items()
        for index, (train, test) in enumerate(splits)
    ]
    outputs: dict[str, list] = {name: [None] * len(splits) for name in candidates}
    parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    for done, (name, index, result) in enumerate(parallel(jobs), start=1):
        outputs[name][index] = result
        if verbose > 0:
            if result["error"] is None:
                first = next(iter(result["test"]))
                status = (
                    f"{first}={result['test'][first]:.4g} ({result['fit_time']:.1f} s)"
                )
            else:
                status = "failed"
            print(
                f"[compare_losses] {done}/{len(jobs)} {name}, fit "
                f"{index + 1}/{len(splits)}: {status}",
                file=sys.stderr,
                flush=True,
            )

    cv_results, skipped, caught = {}, {}, {}
    for name, results in outputs.items():
        # one message per warning, whatever numbers it quotes (fold-dependent values)
        distinct = {}
        for result in results:
            for message in result["warnings"]:
                distinct.setdefault(re.sub(r"-?\d[\d.e+-]*", "#", message), message)
        messages = list(distinct.values())
        if messages:
            caught[name] = messages
        errors = [r["error"] for r in results if r["error"] is not None]
        if errors:
            skipped[name] = errors[0]
            continue
        res = {
            "fit_time": np.array([r["fit_time"] for r in results]),
            "score_time": np.array([r["score_time"] for r in results]),
        }
        for metric in scorers:
            res[f"test_{metric}"] = np.array([r["test"][metric] for r in results])
            if return_train_score:
                res[f"train_{metric}"] = np.array([r["train"][metric] for r in results])
        if return_estimator:
            res["estimator"] = [r["estimator"] for r in results]
        cv_results[name] = res

    sizes = np.array([(len(train), len(test)) for train, test in splits], dtype=float)
    return LossComparison(
        cv_results,
        list(scorers),
        n_train=float(sizes[:, 0].mean()),
        n_test=float(sizes[:, 1].mean()),
        n_splits=len(splits),
        skipped=skipped,
        warnings=caught,
        task=task,
    )
