"""Compare losses on a dataset: cross-validation, ranking and paired statistics.

:func:`compare_losses` cross-validates once per distinct candidate loss, on the same
folds (the folds of a network that can train in a stack as one stack, see
:func:`sklearn_losses.model_selection.cross_validate_stack`, others with scikit-learn's
:func:`~sklearn.model_selection.cross_validate`), and returns a
:class:`LossComparison`: a table of scores (mean and spread over the folds), epochs and
fit times, the ranking by a chosen metric, a paired test of every loss against the best
one, and a dummy model's scores as the floor. Which losses are the same model and which
see a standardised target is decided in :mod:`._loss_rules`.

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
from joblib import effective_n_jobs
from scipy import stats
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.compose import TransformedTargetRegressor
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.metrics import check_scoring
from sklearn.model_selection import (
    KFold,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    StratifiedKFold,
)
from sklearn.preprocessing import StandardScaler
from sklearn.utils import _safe_indexing, indexable
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.parallel import Parallel, delayed

from ._loss_rules import is_location_scale, same_model
from ._processes import forks, run_tasks
from .losses import Loss, loss_names
from .model_selection import cross_validate_stack
from .scoring import get_scorer

__all__ = ["LossComparison", "compare_losses", "corrected_ttest"]

_TASK_OF_TARGET = {
    "continuous": "regression",
    "continuous-multioutput": "regression",
    "binary": "binary",
    "multiclass": "multiclass",
    "multilabel-indicator": "multilabel",
}
#: a class is rare below this fraction of an even share of the rows
_RARE_CLASS = 0.5


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
def _fmt(value, digits: int = 4) -> str:
    if value is None:
        return "-"
    if not np.isfinite(value):
        return str(value)
    return f"{value:.{digits}g}"


def _same_scores(first, second) -> bool:
    """Identical per-fold scores, up to float noise in the last digits."""
    first, second = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    return first.shape == second.shape and bool(
        np.allclose(first, second, rtol=1e-9, atol=1e-12)
    )


class LossComparison:
    """The result of :func:`compare_losses`.

    Parameters
    ----------
    cv_results : dict of str to dict
        Per loss, what :func:`sklearn.model_selection.cross_validate` returns:
        ``fit_time``, ``score_time``, ``test_<metric>`` (and ``train_<metric>``,
        ``estimator`` when asked), one entry per fit, in the same split order for
        every loss; ``n_iter`` (epochs per fit) when the models record ``n_iter_``.
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
    baseline : dict of str to dict, default=None
        Per-fold results of models that ignore the features (a dummy model), in the
        form of ``cv_results``: the floor every loss should beat.
    equivalents : dict of str to list of str, default=None
        For a compared loss, the other losses it stands for (the same model).
    target_scaling : dict of str to str, default=None
        For each loss, what was done to a regression target before training.
    notes : list of str, default=None
        Sentences about the choices made (metric, target scaling), printed with the
        table.

    Attributes
    ----------
    table : list of dict
        One row per compared loss, best first: ``rank`` (tied losses share one),
        ``loss``, for each metric ``<metric>_mean`` and ``<metric>_std`` (test
        scores; ``train_<metric>_*`` when training scores were kept),
        ``fit_time_mean``, ``epochs_mean`` (when recorded), and for the ranking metric
        ``difference`` (best mean minus this mean: 0 for the best, never negative),
        ``tie`` (the same per-fold scores as the loss ranked above), ``t_statistic``
        and ``p_value`` of the corrected paired test against the best loss (None for
        the best, for ties and for NaN scores).
    ranking : list of str
        The compared losses, best first by the first metric (greater is better, as for
        every scikit-learn scorer); losses with a NaN score come last.
    best_loss_ : str or None
        The best loss; None when no loss has a finite score.
    comparison : dict of str to dict
        For every loss but the best: ``difference``, ``t_statistic``, ``p_value``,
        ``tie``.
    nan_scores : dict of str to str
        Losses whose ranking score is NaN, with the reason.
    baseline_table : list of dict
        The baseline models' rows (``loss`` is their name), in the form of ``table``.

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
    >>> row["loss"], round(row["r2_mean"], 2)
    ('squared_error', 0.99)
    >>> result.baseline_table[0]["loss"], round(result.baseline_table[0]["r2_mean"], 1)
    ('dummy (mean)', -0.0)
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
        baseline: dict[str, dict] | None = None,
        equivalents: dict[str, list[str]] | None = None,
        target_scaling: dict[str, str] | None = None,
        notes: list[str] | None = None,
    ):
        self.cv_results = cv_results
        self.metrics = list(metrics)
        self.n_train = n_train
        self.n_test = n_test
        self.n_splits = n_splits
        self.skipped = dict(skipped or {})
        self.warnings = dict(warnings or {})
        self.task = task
        self.baseline = dict(baseline or {})
        self.equivalents = dict(equivalents or {})
        self.target_scaling = dict(target_scaling or {})
        self.notes = list(notes or [])
        self._build()

    @property
    def rank_by(self) -> str:
        """The metric the ranking uses."""
        return self.metrics[0]

    def _row(self, name: str, res: dict) -> dict:
        row = {"loss": name}
        for metric in self.metrics:
            for split in ("test", "train"):
                scores = res.get(f"{split}_{metric}")
                if scores is None:
                    continue
                label = metric if split == "test" else f"train_{metric}"
                with np.errstate(invalid="ignore"):  # NaN or infinite scores
                    row[f"{label}_mean"] = float(np.mean(scores))
                    row[f"{label}_std"] = float(np.std(scores))
        row["fit_time_mean"] = float(np.mean(res["fit_time"]))
        if "n_iter" in res:
            row["epochs_mean"] = float(np.mean(res["n_iter"]))
        return row

    def _build(self) -> None:
        key = f"test_{self.rank_by}"
        scores = {
            name: np.asarray(res[key], dtype=float)
            for name, res in self.cv_results.items()
        }
        means = {name: float(np.mean(s)) for name, s in scores.items()}
        finite = [name for name in scores if np.isfinite(means[name])]
        self.nan_scores = {
            name: f"{self.rank_by} is NaN in {int(np.sum(~np.isfinite(s)))} of "
            f"{s.size} fits (the scorer returned NaN or infinity)"
            for name, s in scores.items()
            if name not in finite
        }
        # losses with the same per-fold scores sit together, under the first of
        # them; otherwise equal means keep the order in which they were given
        group = {}
        for position, name in enumerate(finite):
            twin = next(
                (o for o in finite[:position] if _same_scores(scores[o], scores[name])),
                None,
            )
            group[name] = position if twin is None else group[twin]
        self.ranking = sorted(
            finite, key=lambda name: (-means[name], group[name])
        ) + list(self.nan_scores)
        self.best_loss_ = self.ranking[0] if finite else None
        self.comparison = {}
        best = self.best_loss_
        for name in self.ranking:
            if name == best:
                continue
            if best is None or name in self.nan_scores:
                entry = {"difference": float("nan"), "tie": False}
                entry.update(t_statistic=None, p_value=None)
            elif _same_scores(scores[best], scores[name]):
                entry = {"difference": 0.0, "tie": True}
                entry.update(t_statistic=None, p_value=None)
            else:
                t, p = corrected_ttest(
                    scores[best] - scores[name], self.n_train, self.n_test
                )
                # difference of the means that ranked them: 0 <= it, exactly
                entry = {"difference": means[best] - means[name], "tie": False}
                entry.update(t_statistic=t, p_value=p)
            self.comparison[name] = entry
        self.table = []
        for position, name in enumerate(self.ranking):
            row = {"rank": position + 1, **self._row(name, self.cv_results[name])}
            versus = self.comparison.get(name, {})
            if position and _same_scores(
                scores[name], scores[self.ranking[position - 1]]
            ):
                row["rank"] = self.table[-1]["rank"]
            row["difference"] = versus.get("difference", 0.0)
            row["tie"] = versus.get("tie", False)
            row["t_statistic"] = versus.get("t_statistic")
            row["p_value"] = versus.get("p_value")
            row["equivalent_losses"] = list(self.equivalents.get(name, []))
            if name in self.target_scaling:
                row["target"] = self.target_scaling[name]
            self.table.append(row)
        self.baseline_table = [
            self._row(name, res) for name, res in self.baseline.items()
        ]

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

    def _label(self, name: str) -> str:
        others = self.equivalents.get(name)
        return f"{name} (= {', '.join(others)})" if others else name

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        """Header and rows of the table as text, the baseline rows last."""
        first = self.table[0] if self.table else {}
        header = ["rank", "loss"]
        for metric in self.metrics:
            header.append(metric)
            if f"train_{metric}_mean" in first:
                header.append(f"train {metric}")
        with_epochs = any("epochs_mean" in row for row in self.table)
        with_target = bool(self.target_scaling)
        if with_target:
            header.append("target")
        if with_epochs:
            header.append("epochs")
        header += ["fit time (s)", "difference to best", "p-value"]

        def metric_cells(row):
            cells = []
            for metric in self.metrics:
                for label in (metric, f"train_{metric}"):
                    if f"{label}_mean" in row:
                        cells.append(
                            f"{_fmt(row[f'{label}_mean'])} ± {_fmt(row[f'{label}_std'], 2)}"
                        )
                    elif label == metric or f"train_{metric}_mean" in first:
                        cells.append("-")
            return cells

        rows = []
        for row in self.table:
            name = row["loss"]
            cells = [str(row["rank"]), self._label(name), *metric_cells(row)]
            if with_target:
                cells.append(row.get("target", "-"))
            if with_epochs:
                cells.append(_fmt(row.get("epochs_mean"), 3))
            cells.append(f"{row['fit_time_mean']:.2f}")
            if name == self.best_loss_:
                cells += ["best", ""]
            elif name in self.nan_scores:
                cells += ["NaN score", ""]
            elif row["tie"]:
                cells += ["0 (tie)", ""]
            else:
                # + 0.0 turns -0.0 into 0
                cells += [_fmt(-row["difference"] + 0.0, 3), _fmt(row["p_value"], 2)]
            rows.append(cells)
        for row in self.baseline_table:
            cells = ["floor", row["loss"], *metric_cells(row)]
            if with_target:
                cells.append("as given")
            if with_epochs:
                cells.append("")
            cells += [f"{row['fit_time_mean']:.2f}", "", ""]
            rows.append(cells)
        return header, rows

    def _footnotes(self) -> list[str]:
        lines = []
        if any(not row["tie"] and row["p_value"] is not None for row in self.table):
            lines.append(
                "p-value: corrected resampled t-test (Nadeau & Bengio) of the paired "
                "per-fold differences against the best loss; a tie (the same "
                "per-fold scores) has none."
            )
        for name, reason in self.nan_scores.items():
            lines.append(f"ranked last, {name}: {reason}.")
        best = self.best_loss_
        for row in self.baseline_table:
            floor = row.get(f"{self.rank_by}_mean")
            if best is None or floor is None:
                continue
            top = self.table[0][f"{self.rank_by}_mean"]
            if not top > floor:
                lines.append(
                    f"warning: no loss beats {row['loss']} ({self.rank_by} "
                    f"{_fmt(floor)}), a model that ignores the features: the ranking "
                    "says little. Check the features, train longer or choose "
                    "another metric."
                )
        lines += self.notes
        for name, reason in self.skipped.items():
            lines.append(f"skipped {name}: {reason}")
        losses_by_message: dict[str, list[str]] = {}
        for name, messages in self.warnings.items():
            for message in messages:
                losses_by_message.setdefault(message, []).append(name)
        for message, names in losses_by_message.items():
            lines.append(f"warning ({', '.join(names)}): {message}")
        return lines

    def to_markdown(self) -> str:
        """The table and its notes as Markdown.

        Returns
        -------
        text : str
            A Markdown table (losses best first, then the floor) and a list of notes.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_losses.compare import LossComparison
        >>> result = LossComparison(
        ...     {"a": {"fit_time": np.ones(2), "test_r2": np.array([0.5, 0.7])}},
        ...     ["r2"], n_train=10, n_test=5, n_splits=2)
        >>> print(result.to_markdown().splitlines()[2])
        | 1 | a | 0.6 ± 0.1 | 1.00 | best |  |
        """
        header, rows = self._cells()
        lines = [
            "| " + " | ".join(header) + " |",
            "|" + "|".join("---" for _ in header) + "|",
        ]
        lines += [
            "| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows
        ]
        notes = self._footnotes()
        if notes:
            lines += [""] + [f"- {note}" for note in notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        header, rows = self._cells()
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
        lines += self._footnotes()
        return "\n".join(line.rstrip() for line in lines)


# -- the comparison -------------------------------------------------------------------
def _class_counts(y, task: str):
    if task not in ("binary", "multiclass"):
        return None, None
    return np.unique(np.asarray(y), return_counts=True)


def _imbalance_note(y, task: str) -> str | None:
    """A sentence when the rarest class holds under half of an even share of rows."""
    labels, counts = _class_counts(y, task)
    if labels is None:
        return None
    share = counts.min() / counts.sum()
    even = 1.0 / len(labels)
    if share >= _RARE_CLASS * even:
        return None
    rare = labels[np.argmin(counts)]
    return (
        f"imbalanced classes: the rarest class ({rare!r}) holds {share:.1%} of the "
        f"rows, under half of an even share ({even:.0%}); ranked by balanced "
        f"accuracy, which a majority-class guess scores {even:.2g} (its accuracy "
        f"would be {counts.max() / counts.sum():.3g}). Accuracy is shown too."
    )


def _scorers(estimator, scoring, task: str, y) -> tuple[dict[str, Callable], list]:
    """Named scorers, the one to rank by first, and notes on the choice."""
    if scoring is None:
        if is_classifier(estimator):
            note = _imbalance_note(y, task)
            if note is not None:
                scorers = {
                    "balanced_accuracy": get_scorer("balanced_accuracy"),
                    "accuracy": check_scoring(estimator),
                }
                return scorers, [note]
            name = "accuracy"
        elif is_regressor(estimator):
            name = "r2"
        else:
            name = "score"
        return {name: check_scoring(estimator)}, []
    if isinstance(scoring, str):
        return {scoring: get_scorer(scoring)}, []
    if callable(scoring):
        return {getattr(scoring, "__name__", "score"): scoring}, []
    if isinstance(scoring, Mapping):
        if not scoring:
            raise ValueError("scoring must name at least one metric.")
        return {
            str(key): get_scorer(value) if isinstance(value, str) else value
            for key, value in scoring.items()
        }, []
    if isinstance(scoring, Iterable):
        names = list(scoring)
        if not names or not all(isinstance(n, str) for n in names):
            raise ValueError("scoring as a list must hold metric names (strings).")
        if len(set(names)) != len(names):
            raise ValueError(f"scoring has duplicate names: {names}.")
        return {name: get_scorer(name) for name in names}, []
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


def _name_of(loss) -> str:
    if isinstance(loss, str):
        return loss
    if isinstance(loss, Loss):
        return repr(loss)
    return getattr(loss, "__name__", repr(loss))


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
        name = _name_of(loss)
        if name in candidates:
            raise ValueError(f"The loss {name!r} is listed twice.")
        candidates[name] = loss
    if not candidates:
        raise ValueError("losses must name at least one loss.")
    return candidates


def _probe_targets(y, task: str) -> np.ndarray:
    """Targets as the estimators hand them to a loss (class indices for labels)."""
    y = np.asarray(y)
    if task == "regression":
        return y.astype(float).reshape(len(y), -1)
    if task in ("binary", "multiclass"):
        return np.unique(y, return_inverse=True)[1].ravel()
    return y


def _collapse(candidates, task, y, scaling) -> tuple[dict, dict[str, list[str]]]:
    """One candidate per distinct model (see :func:`._loss_rules.same_model`)."""
    probe = _probe_targets(y, task)
    kept: dict[str, object] = {}
    equivalents: dict[str, list[str]] = {}
    for name, loss in candidates.items():
        twin = next(
            (
                other
                for other in kept
                if scaling.get(other) == scaling.get(name)
                and same_model(kept[other], loss, task, probe)
            ),
            None,
        )
        if twin is None:
            kept[name] = loss
        else:
            equivalents.setdefault(twin, []).append(name)
    return kept, equivalents


def _scales_target(estimator, loss, standardize_target) -> bool:
    if standardize_target is False or not is_regressor(estimator):
        return False
    if isinstance(estimator, TransformedTargetRegressor):
        return False  # the user chose the target's transformation
    return is_location_scale(loss)


def _model(estimator, parameter, loss, scale_target: bool):
    model = clone(estimator).set_params(**{parameter: loss})
    if scale_target:
        return TransformedTargetRegressor(regressor=model, transformer=StandardScaler())
    return model


def _final_estimator(model):
    """The estimator inside pipelines and target transformations."""
    while True:
        if isinstance(model, TransformedTargetRegressor):
            model = getattr(model, "regressor_", model.regressor)
        elif hasattr(model, "steps"):
            model = model.steps[-1][1]
        else:
            return model


def _epochs(estimators) -> np.ndarray | None:
    epochs = [getattr(_final_estimator(e), "n_iter_", None) for e in estimators]
    if any(n is None or np.ndim(n) for n in epochs):
        return None
    return np.asarray(epochs, dtype=float)


def _max_iter_note(name, estimators, epochs) -> str | None:
    finals = [_final_estimator(e) for e in estimators]
    max_iter = getattr(finals[0], "max_iter", None)
    if all(hasattr(f, "reached_max_iter_") for f in finals):
        reached = sum(bool(f.reached_max_iter_) for f in finals)
        max_iter = finals[0].estimator.max_iter
    elif epochs is None or not isinstance(max_iter, Integral):
        return None
    else:
        reached = int(np.sum(epochs >= max_iter))
    if not reached:
        return None
    return (
        f"{name} ran to max_iter={max_iter} in {reached} of {len(epochs)} fits: it "
        "may rank by how far it got rather than by how good it is; raise max_iter "
        "(with early stopping, training still ends when it stops improving)."
    )


def _tiny_fit(model, X, y, pause: float = 0.0) -> None:
    """Fit a model on a few rows for an epoch or two, ignoring any outcome."""
    try:
        params = model.get_params(deep=True)
        short = {k: 2 for k, v in params.items() if k.endswith("max_iter") and v}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clone(model).set_params(**short).fit(X, y)
    except Exception:  # noqa: BLE001 - the warm-up only loads code
        pass
    time.sleep(pause)


def _warm_up(model, X, y, rows, n_jobs) -> None:
    """Pay the one-time start-up (imports, torch's first kernels) before timing.

    Once here and, with parallel jobs, once in every worker: the fit times of the
    first loss are then comparable with those of the others.
    """
    rows = rows[: min(len(rows), 64)]
    X_small, y_small = _safe_indexing(X, rows), _safe_indexing(y, rows)
    _tiny_fit(model, X_small, y_small)
    n_workers = effective_n_jobs(n_jobs)
    if n_workers > 1:
        # the pause keeps each worker busy, so that every one gets a warm-up
        Parallel(n_jobs=n_jobs)(
            delayed(_tiny_fit)(model, X_small, y_small, 0.2) for _ in range(n_workers)
        )


def _dummy(estimator):
    if is_classifier(estimator):
        return "dummy (prior)", DummyClassifier(strategy="prior")
    if is_regressor(estimator):
        return "dummy (mean)", DummyRegressor(strategy="mean")
    return None, None


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


def _cross_validate(
    model, X, y, splits, scorers, fit_params, n_jobs, train_score, progress=None
):
    """cross_validate on fixed splits; the warnings raised in this process, distinct.

    Warnings the caller silenced stay silent: their filters are applied again inside
    the recording context (scikit-learn's Parallel takes them to worker processes).
    With ``progress`` (a label), a line on standard error says how it went.
    """
    ignored = [f for f in warnings.filters if f[0] == "ignore"]
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
        # the folds of a stackable network train as one stack, the others one
        # fit at a time by scikit-learn's cross_validate
        (outcome,) = cross_validate_stack(
            [model],
            X,
            y,
            cv=splits,
            scoring=scorers,
            params=fit_params,
            return_train_score=train_score,
            return_estimator=True,
            n_jobs=n_jobs,
        )
        if isinstance(outcome, BaseException):  # reported as a skipped loss
            results, error = None, _message(outcome)
        else:
            results, error = outcome, None
    # one message per warning, whatever numbers it quotes (fold-dependent values)
    distinct: dict[str, str] = {}
    for record in caught:
        text = f"{record.category.__name__}: {record.message}"
        distinct.setdefault(re.sub(r"-?\d[\d.e+-]*", "#", text), text)
    if progress is not None:
        if error is not None:
            status = "failed"
        else:
            metric = next(iter(scorers))
            status = (
                f"{metric}={np.mean(results[f'test_{metric}']):.4g} "
                f"({np.mean(results['fit_time']):.2f} s per fit)"
            )
        print(
            f"[compare_losses] {progress}, {len(splits)} fits: {status}",
            file=sys.stderr,
            flush=True,
        )
    return results, error, list(distinct.values())


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
    standardize_target: str | bool = "auto",
    verbose: int = 0,
) -> LossComparison:
    """Cross-validate an estimator once per loss and rank the losses.

    Every loss is trained and scored with :func:`~sklearn.model_selection.cross_validate`
    on the same splits, so the per-fold scores are paired; each loss is compared with
    the best one by the corrected resampled t-test (see :func:`corrected_ttest`). A
    model that ignores the features (scikit-learn's ``DummyRegressor`` predicting the
    mean, ``DummyClassifier`` predicting the class priors) is scored on the same splits
    as the floor to beat. A loss that cannot be trained or scored on the data (a
    Poisson loss on negative targets, a probability metric for a hinge loss) is
    reported in ``skipped`` with the reason; the others are still compared.

    Each loss gets the target it can use: for a regressor, a loss that depends on the
    residual ``y_pred - y`` only (squared, absolute, Huber, log-cosh, quantile) is
    trained on the target standardised on each training fold
    (:class:`~sklearn.compose.TransformedTargetRegressor` with a
    :class:`~sklearn.preprocessing.StandardScaler`; predictions and scores are back in
    the target's own units); count, log-link and relative losses (Poisson, squared log
    error) see the target as given.

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
        :func:`sklearn_losses.losses.loss_names`), one per distinct model: losses that
        build the same network and train it to the same function (``log_loss``,
        ``sparse_categorical_crossentropy`` and ``kl_divergence`` on multi-class
        labels) are trained once, in one row that lists the names it stands for.
        Otherwise a loss name, a loss object or a list of them, anything the
        estimator's ``loss`` accepts, each trained as asked.
    scoring : None, str, callable, list of str or dict, default=None
        The metrics, as in :func:`~sklearn.model_selection.cross_validate`; the first
        one ranks the losses (greater is better). Names are resolved by
        :func:`sklearn_losses.get_scorer`, which knows a ``neg_<loss>`` scorer for
        every loss besides scikit-learn's own. None uses the estimator's ``score``,
        reported as "accuracy" for classifiers and "r2" for regressors, except on
        imbalanced classes (the rarest under half of an even share of the rows),
        where balanced accuracy ranks, accuracy beside it: a majority-class guess
        scores high accuracy, not high balanced accuracy.
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
        Processes to use; None means 1. On Linux (joblib's default backend) the
        losses are shared out among forked processes, each loss's folds trained
        as one stack (warnings are collected as in one process); elsewhere the
        folds are fitted in parallel through joblib, and warnings raised in its
        worker processes are not collected in ``warnings``.
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
    standardize_target : "auto" or False, default="auto"
        "auto" standardises a regression target for the losses that depend on the
        residual only, as described above; False trains every loss on the target
        as given. A :class:`~sklearn.compose.TransformedTargetRegressor` passed as
        ``estimator`` is left as it is.
    verbose : int, default=0
        Print a line per compared loss to standard error when positive.

    Returns
    -------
    result : LossComparison
        The table, ranking, paired tests, floor, skipped losses and warnings.

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
    if standardize_target not in ("auto", False):
        raise ValueError(
            f"standardize_target must be 'auto' or False, got {standardize_target!r}."
        )
    parameter = _loss_parameter(estimator)
    task = _task(estimator, y)
    candidates = _candidates(losses, task)
    scaling = {
        name: _scales_target(estimator, loss, standardize_target)
        for name, loss in candidates.items()
    }
    equivalents: dict[str, list[str]] = {}
    if isinstance(losses, str) and losses == "auto":
        candidates, equivalents = _collapse(candidates, task, y, scaling)
    scorers, notes = _scorers(estimator, scoring, task, y)
    stratify = is_classifier(estimator) and task in ("binary", "multiclass")
    splitter = _splitter(cv, n_repeats, stratify, random_state)
    if hasattr(splitter, "split"):
        splits = list(splitter.split(X, y, groups))
    else:
        splits = [(np.asarray(train), np.asarray(test)) for train, test in splitter]
    if not splits:
        raise ValueError("cv gave no train/test splits.")
    fit_params = dict(fit_params or {})

    models = {
        name: _model(estimator, parameter, loss, scaling[name])
        for name, loss in candidates.items()
    }
    # With several processes, each loss's folds (one stack, or one fit at a time)
    # go to one of them; in forked processes, which start warm, nothing to warm up.
    forked = forks(n_jobs, len(models))
    _warm_up(
        next(iter(models.values())), X, y, splits[0][0], None if forked else n_jobs
    )
    folds_n_jobs = None if forked else n_jobs
    outcomes = run_tasks(
        [
            (
                _cross_validate,
                (model, X, y, splits, scorers, fit_params, folds_n_jobs),
                {
                    "train_score": return_train_score,
                    # each loss says when it is done, in whichever process
                    "progress": f"{position}/{len(models)} {name}" if verbose else None,
                },
            )
            for position, (name, model) in enumerate(models.items(), start=1)
        ],
        n_jobs if forked else None,
    )
    cv_results, skipped, caught = {}, {}, {}
    for name, (results, error, messages) in zip(models, outcomes):
        if messages:
            caught[name] = messages
        if error is not None:
            skipped[name] = error
        else:
            fitted = results.pop("estimator")
            epochs = _epochs(fitted)
            if epochs is not None:
                results["n_iter"] = epochs
            note = _max_iter_note(name, fitted, epochs)
            if note:
                notes.append(note)
            if return_estimator:
                results["estimator"] = fitted
            cv_results[name] = results

    baseline = {}
    label, dummy = _dummy(estimator)
    if dummy is not None:
        # a step's routed parameters (model__sample_weight) mean nothing to it
        weights = {k: v for k, v in fit_params.items() if k == "sample_weight"}
        results, error, _ = _cross_validate(
            dummy, X, y, splits, scorers, weights, None, return_train_score
        )
        if error is None:
            results.pop("estimator")
            baseline[label] = results
        else:
            notes.append(f"{label} could not be scored: {error}")

    target_scaling = {}
    if is_regressor(estimator):
        target_scaling = {
            name: "standardised" if scaling[name] else "as given" for name in cv_results
        }
        if any(scaling.values()):
            notes.append(
                "target: 'standardised' losses were trained on (y - mean) / std of "
                "each training fold (they depend on the residual only); 'as given' "
                "losses (counts, log-link, relative errors) on y itself. Scores are in "
                "the target's own units."
            )
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
        baseline=baseline,
        equivalents=equivalents,
        target_scaling=target_scaling,
        notes=notes,
    )
