"""A grid search that trains candidates x folds as stacks of networks.

:class:`GridSearchCV` is scikit-learn's, with the same parameters and results, but
it trains every group of candidates and folds of this package's MLPs that differ
only in what a stack can hold (the loss, ``alpha``, ``learning_rate_init``,
``random_state``, the data of each fold) as one stack (see
``neural_network/_stack.py``): K small networks trained at once with batched matrix
products, so the per-step overhead that dominates small tabular problems is paid
once instead of K times. Everything else is fitted one by one, as scikit-learn's
search does. :func:`fit_seeds` trains one estimator under several random seeds as
one stack.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from itertools import product
from numbers import Number
from traceback import format_exception

from sklearn import model_selection as _sklearn_model_selection
from sklearn.base import (
    BaseEstimator,
    RegressorMixin,
    _fit_context,
    clone,
    is_classifier,
)
from sklearn.compose import TransformedTargetRegressor
from sklearn.metrics import check_scoring
from sklearn.model_selection import ParameterGrid, check_cv, cross_validate
from sklearn.model_selection._validation import (
    _aggregate_score_dicts,
    _fit_and_score,
    _insert_error_scores,
    _normalize_score_results,
    _score,
    _warn_or_raise_about_fit_failures,
)
from sklearn.pipeline import Pipeline
from sklearn.utils import indexable
from sklearn.utils.metadata_routing import _routing_enabled
from sklearn.utils.metaestimators import _safe_split
from sklearn.utils.validation import (
    _check_method_params,
    _get_feature_names,
    _num_samples,
)

from ._processes import n_workers, run_tasks
from .losses import get_loss
from .neural_network._base import BaseMLP
from .neural_network._stack import can_stack, fit_stack

__all__ = ["GridSearchCV", "cross_validate_stack", "fit_seeds"]


class GridSearchCV(_sklearn_model_selection.GridSearchCV):
    """Exhaustive search over parameter values, training networks as stacks.

    A drop-in for :class:`sklearn.model_selection.GridSearchCV`: same parameters,
    same fitted attributes (``cv_results_``, ``best_estimator_``, ``best_score_``,
    ``best_params_``, ``best_index_``, ``scorer_``, ``n_splits_``, ``refit_time_``,
    ``multimetric_``), multi-metric ``scoring``, ``refit``, ``error_score``,
    ``return_train_score`` and metadata routing behave as there.

    The difference is how the fits run. The candidates and folds of an
    :class:`~sklearn_losses.MLPRegressor` or :class:`~sklearn_losses.MLPClassifier`
    (alone, or as the last step of a :class:`~sklearn.pipeline.Pipeline` whose
    other steps are fitted first on each fold, either possibly inside a
    :class:`~sklearn.compose.TransformedTargetRegressor`) that use the ``"sgd"`` or
    ``"adam"`` solver on the CPU, without ``warm_start``, are trained as stacks:
    all the networks of one architecture at once, each with its own fold, loss,
    ``alpha``, learning rate, random stream and stopping rule, with the results of
    one fit each. Other candidates (L-BFGS, a custom loss or module, other
    estimators) are fitted one by one as scikit-learn's search fits them.

    ``n_jobs`` runs the stacks (one per group of candidates that differ only in
    what each network of a stack has of its own: the loss, ``alpha``, the learning
    rate and its schedule, ``momentum``, ``random_state``, the stopping rule) and
    the one-by-one fits in parallel; when there are fewer stacks than jobs, the
    stacks are split in parts (each network trains as it would in the whole stack,
    so the results do not depend on ``n_jobs``). Under joblib's default backend, on
    Linux, the parts run in forked processes and the calling process (a fresh
    joblib worker would first spend seconds importing torch);
    under a backend chosen with :func:`joblib.parallel_config` (Dask, threads, ...)
    they go through joblib. The ``fit_time`` of a stacked fit is its share of the
    stack's training time plus its own preparation.

    Parameters
    ----------
    estimator : estimator object
        The estimator to tune.
    param_grid : dict or list of dicts
        Parameter names mapped to the values to try (see
        :class:`sklearn.model_selection.ParameterGrid`).
    scoring : str, callable, list, tuple or dict, default=None
        Strategy to evaluate the test folds, as in scikit-learn.
    n_jobs : int, default=None
        Number of jobs to run in parallel (stacks, parts of stacks and one-by-one
        fits).
    refit : bool, str or callable, default=True
        Refit the best candidate on the whole data, as in scikit-learn.
    cv : int, cross-validation generator or iterable, default=None
        The splitting strategy, as in scikit-learn.
    verbose : int, default=0
        Verbosity.
    pre_dispatch : int or str, default="2*n_jobs"
        Number of jobs dispatched during parallel execution.
    error_score : "raise" or numeric, default=np.nan
        Score given to a fit that fails, or "raise".
    return_train_score : bool, default=False
        Whether ``cv_results_`` includes training scores.

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        The results per candidate, with the keys of scikit-learn's search.
    best_estimator_ : estimator
        The estimator refitted on the whole data with the best parameters.
    best_score_ : float
        Mean cross-validated score of the best candidate.
    best_params_ : dict
        Parameters of the best candidate.
    best_index_ : int
        Index of the best candidate in ``cv_results_``.
    scorer_ : function or dict
        The scorer(s) used on the test folds.
    n_splits_ : int
        Number of cross-validation splits.
    refit_time_ : float
        Seconds spent refitting the best model.
    multimetric_ : bool
        Whether several scorers were used.

    See Also
    --------
    sklearn.model_selection.GridSearchCV : The search this one replaces.
    fit_seeds : One estimator under several random seeds, as one stack.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn_losses import MLPRegressor
    >>> from sklearn_losses.model_selection import GridSearchCV
    >>> X, y = make_regression(n_samples=100, n_features=5, noise=1, random_state=0)
    >>> search = GridSearchCV(
    ...     MLPRegressor(solver="sgd", max_iter=5, random_state=0),
    ...     {"loss": ["squared_error", "absolute_error", "huber"]},
    ...     cv=3,
    ... ).fit(X, y)
    >>> search.best_params_["loss"] in {"squared_error", "absolute_error", "huber"}
    True
    """

    @_fit_context(
        # GridSearchCV.estimator is not validated yet
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y=None, **params):
        """Run fit with all sets of parameters.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training vectors.
        y : array-like of shape (n_samples, n_output) or (n_samples,), default=None
            Target relative to X.
        **params : dict of str -> object
            Parameters passed to the ``fit`` method of the estimator, the scorer
            and the CV splitter, as in scikit-learn.

        Returns
        -------
        self : object
            Instance of fitted estimator.
        """
        # The steps of scikit-learn's BaseSearchCV.fit, with the candidates
        # evaluated by _evaluate instead of one _fit_and_score call each.
        scorers, refit_metric = self._get_scorers()
        X, y = indexable(X, y)
        params = _check_method_params(X, params=params)
        routed_params = self._get_routed_params_for_fit(params)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        self._checked_cv_orig = cv
        split_params = routed_params.splitter.split
        if hasattr(self, "_check_input_parameters"):
            self._check_input_parameters(X=X, y=y, split_params=split_params)
        self.n_splits_ = n_splits = cv.get_n_splits(X, y, **split_params)
        base_estimator = clone(self.estimator)

        candidates = list(ParameterGrid(self.param_grid))
        splits = list(cv.split(X, y, **split_params))
        if len(splits) != n_splits:
            raise ValueError(
                f"cv.split and cv.get_n_splits return inconsistent results. "
                f"Expected {n_splits} splits, got {len(splits)}"
            )
        if self.verbose > 0:
            print(
                f"Fitting {n_splits} folds for each of {len(candidates)} candidates,"
                f" totalling {len(candidates) * n_splits} fits"
            )
        out, refitted = self._evaluate(
            base_estimator,
            X,
            y,
            candidates,
            splits,
            scorers,
            routed_params.estimator.fit,
            routed_params.scorer.score,
        )
        if len(out) < 1:
            raise ValueError(
                "No fits were performed. Was the CV iterator empty? "
                "Were there no candidates?"
            )
        _warn_or_raise_about_fit_failures(out, self.error_score)
        if callable(self.scoring):
            _insert_error_scores(out, self.error_score)
        results = self._format_results(candidates, n_splits, out, {})

        first_test_score = out[0]["test_scores"]
        self.multimetric_ = isinstance(first_test_score, dict)
        if callable(self.scoring) and self.multimetric_:
            self._check_refit_for_multimetric(first_test_score)
            refit_metric = self.refit

        if self.refit or not self.multimetric_:
            self.best_index_ = self._select_best_index(
                self.refit, refit_metric, results
            )
            if not callable(self.refit):
                self.best_score_ = results[f"mean_test_{refit_metric}"][
                    self.best_index_
                ]
            self.best_params_ = results["params"][self.best_index_]

        if self.refit:
            self.best_estimator_ = clone(base_estimator).set_params(
                **clone(self.best_params_, safe=False)
            )
            refit_start_time = time.time()
            fit_params = routed_params.estimator.fit
            if self.best_index_ in refitted:  # fitted on all the data with the folds
                estimator, error, seconds = refitted[self.best_index_]
                if error is not None:
                    raise error
                self.best_estimator_ = estimator
                refit_start_time -= seconds
            elif y is not None and _stackable(self.best_estimator_, fit_params):
                # A stack of one: the results of fit, without making a torch
                # optimizer (a process's first costs seconds).
                _fit_as_stack([self.best_estimator_], X, y, fit_params)
            elif y is not None:
                self.best_estimator_.fit(X, y, **fit_params)
            else:
                self.best_estimator_.fit(X, **fit_params)
            self.refit_time_ = time.time() - refit_start_time
            if hasattr(self.best_estimator_, "feature_names_in_"):
                self.feature_names_in_ = self.best_estimator_.feature_names_in_

        if isinstance(scorers, dict) or not hasattr(scorers, "_scorers"):
            self.scorer_ = scorers
        else:  # a _MultimetricScorer: keep its dict, as scikit-learn does
            self.scorer_ = scorers._scorers
        self.cv_results_ = results
        return self

    def _evaluate(
        self, base_estimator, X, y, candidates, splits, scorer, fit_params, score_params
    ) -> list[dict]:
        """One ``_fit_and_score``-like result per (candidate, split), in the
        order of scikit-learn's search (candidates outer, splits inner)."""
        pairs = list(product(enumerate(candidates), enumerate(splits)))
        options = {
            "scorer": scorer,
            "fit_params": fit_params,
            "score_params": score_params,
            "return_train_score": self.return_train_score,
            "error_score": self.error_score,
        }
        stacks: dict[str, list[int]] = {}
        singles: list[int] = []
        losses = {}  # candidate -> what its networks' loss computes
        for p, ((candidate, parameters), _) in enumerate(pairs):
            estimator = clone(base_estimator).set_params(
                **clone(parameters, safe=False)
            )
            if _stackable(estimator, fit_params):
                stacks.setdefault(_stack_key(estimator, parameters), []).append(p)
                if candidate not in losses:
                    losses[candidate] = _loss_identity(estimator)
            else:
                singles.append(p)

        # Every worker gets a task: a stack too few to go round is split in parts.
        firsts = {}  # candidate -> its first pair (where its refit trains)
        for p, ((candidate, _), _) in enumerate(pairs):
            firsts.setdefault(candidate, p)
        refit = bool(self.refit and y is not None)

        def cost(part: list[int]) -> float:
            candidates = {pairs[p][0][0] for p in part}
            networks = len(part) + refit * sum(firsts[c] in part for c in candidates)
            return networks + _LOSS_GROUP_COST * len({losses[c] for c in candidates})

        parts = n_workers(self.n_jobs, len(pairs)) - len(singles)
        chunks = _split_costliest(list(stacks.values()), parts, cost)
        tasks = []  # (pair indices, function, arguments)
        refitted_candidates = set()
        for indices in chunks:
            jobs = [(pairs[p][0][1], *pairs[p][1][1]) for p in indices]
            refits = []
            if self.refit and y is not None:
                # every candidate of the stack on all the data too (see
                # _fit_and_score_stack), in the part that has its first split
                for p in indices:
                    candidate, parameters = pairs[p][0]
                    if candidate not in refitted_candidates:
                        refitted_candidates.add(candidate)
                        refits.append((candidate, parameters))
            arguments = ((base_estimator, X, y, jobs), {**options, "refits": refits})
            tasks.append((indices, _fit_and_score_stack, arguments))
        for p in singles:
            (cand_idx, parameters), (split_idx, (train, test)) = pairs[p]
            arguments = (
                (clone(base_estimator), X, y),
                dict(
                    train=train,
                    test=test,
                    parameters=parameters,
                    split_progress=(split_idx, len(splits)),
                    candidate_progress=(cand_idx, len(candidates)),
                    return_n_test_samples=True,
                    return_times=True,
                    return_parameters=False,
                    verbose=self.verbose,
                    **options,
                ),
            )
            tasks.append(([p], _fit_and_score_one, arguments))
        outputs = run_tasks(
            [(function, *arguments) for _, function, arguments in tasks],
            self.n_jobs,
            self.pre_dispatch,
        )
        out: list[dict | None] = [None] * len(pairs)
        refitted = {}
        for (indices, _, _), (results, refits) in zip(tasks, outputs):
            for p, result in zip(indices, results):
                out[p] = result
            refitted.update(refits)
        return out, refitted


# A loss group costs a stack's step about as much as this many more networks: one
# call of the loss's closed-form gradient (several small tensor operations) against
# one more network's share of the batched products and of the epoch's bookkeeping.
_LOSS_GROUP_COST = 3


# Fewer fits than this in a part would leave its process mostly paying the per-step
# overhead that stacking shares out.
_MIN_PART = 4


def _split_costliest(stacks: list[list[int]], parts: int, cost) -> list[list[int]]:
    """Split the costliest stack in two, where the costlier side costs least, until
    there are ``parts`` stacks (or the costliest is too small to split)."""
    stacks = [list(stack) for stack in stacks]
    while stacks and len(stacks) < parts:
        costliest = max(range(len(stacks)), key=lambda i: cost(stacks[i]))
        stack = stacks[costliest]
        if len(stack) < 2 * _MIN_PART:
            break
        cut = min(
            range(_MIN_PART, len(stack) - _MIN_PART + 1),
            key=lambda c: (
                max(cost(stack[:c]), cost(stack[c:])),
                abs(2 * c - len(stack)),
            ),
        )
        stacks[costliest : costliest + 1] = [stack[:cut], stack[cut:]]
    return stacks


def _loss_identity(estimator) -> str:
    """What the loss of an estimator's MLP computes in a stack (see
    ``Loss.trains_as``); its parameter value where it does not resolve."""
    loss = _final_mlp(estimator).loss
    try:
        return repr(get_loss(loss).trains_as())
    except (TypeError, ValueError):
        return repr(loss)


def _fit_and_score_one(*args, **kwargs) -> tuple[list[dict], dict]:
    """scikit-learn's ``_fit_and_score``, as ``_fit_and_score_stack`` answers."""
    return [_fit_and_score(*args, **kwargs)], {}


# -- which fits can stack -------------------------------------------------------------
# What each network of a stack has of its own: candidates that differ only in these
# go to one stack job; candidates that differ in anything else (the architecture,
# the batch size, a pipeline step's parameters) go to jobs of their own, which run
# in parallel (within a job the engine still stacks networks of one architecture).
_STACKED_PARAMETERS = (
    "loss",
    "alpha",
    "learning_rate_init",
    "learning_rate",
    "power_t",
    "momentum",
    "random_state",
    "max_iter",
    "tol",
    "n_iter_no_change",
    "early_stopping",
    "validation_fraction",
    "shuffle",
    "verbose",
)


def _final_mlp(estimator):
    """The MLP an estimator fits: itself, the last step of a plain pipeline, or
    either inside a target transformation."""
    if isinstance(estimator, BaseMLP):
        return estimator
    if isinstance(estimator, TransformedTargetRegressor):
        return _final_mlp(estimator.regressor)
    if (
        isinstance(estimator, Pipeline)
        and getattr(estimator, "memory", None) is None
        and getattr(estimator, "transform_input", None) is None
        and isinstance(estimator.steps[-1][1], BaseMLP)
    ):
        return estimator.steps[-1][1]
    return None


def _stackable(estimator, fit_params: dict) -> bool:
    mlp = _final_mlp(estimator)
    if mlp is None or not can_stack(mlp):
        return False
    return set(fit_params) <= set(_sample_weight_keys(estimator))


def _sample_weight_keys(estimator) -> tuple[str, ...]:
    """The fit parameters that carry the MLP's sample weights."""
    if isinstance(estimator, BaseMLP):
        return ("sample_weight",)
    if _routing_enabled():  # the pipeline routes by requests: fit one by one
        return ()
    if isinstance(estimator, TransformedTargetRegressor):  # passes them through
        return _sample_weight_keys(estimator.regressor)
    return (f"{estimator.steps[-1][0]}__sample_weight",)


def _stack_key(estimator, parameters: dict) -> str:
    """Candidates with the same key train in one stack."""
    others = {
        name: value
        for name, value in parameters.items()
        if name.rsplit("__", 1)[-1] not in _STACKED_PARAMETERS
    }
    return repr(sorted(others.items(), key=lambda item: item[0]))


def _prepare(estimator, X, y, fit_params: dict):
    """Fit the steps before the MLP; return the MLP and its training data."""
    weight = None
    for key in _sample_weight_keys(estimator):
        weight = fit_params.get(key)
    if isinstance(estimator, BaseMLP):
        return estimator, (X, y, weight)
    if isinstance(estimator, TransformedTargetRegressor):
        # Its own fit transforms the target, with a recorder in place of the
        # regressor; the regressor then trains in the stack on what it recorded.
        regressor, sink = estimator.regressor, _Sink()
        estimator.set_params(regressor=_Recorder(sink))
        try:
            estimator.fit(X, y, **fit_params)
        finally:
            estimator.set_params(regressor=regressor)
        estimator.regressor_ = clone(regressor)
        X_rec, y_rec, params_rec = sink.data
        return _prepare(estimator.regressor_, X_rec, y_rec, params_rec)
    Xt = X
    for _, step in estimator.steps[:-1]:
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        if hasattr(step, "fit_transform"):
            Xt = step.fit_transform(Xt, y)
        else:
            Xt = step.fit(Xt, y).transform(Xt)
    return estimator.steps[-1][1], (Xt, y, weight)


class _Sink:
    """Where a recorder leaves what it was fitted on; shared by its clones."""

    def __init__(self):
        self.data = None

    def __deepcopy__(self, memo):
        return self


class _Recorder(RegressorMixin, BaseEstimator):
    """A regressor that only records the data of its fit (see ``_prepare``)."""

    def __init__(self, sink=None):
        self.sink = sink

    def fit(self, X, y, **fit_params):
        self.sink.data = (X, y, fit_params)
        names = _get_feature_names(X)  # the target transformation copies them
        if names is not None:
            self.feature_names_in_ = names
        return self

    def predict(self, X):
        raise NotImplementedError("a recorder does not predict")


def _fit_and_score_stack(
    base_estimator,
    X,
    y,
    jobs: Sequence[tuple],
    *,
    scorer,
    fit_params,
    score_params,
    return_train_score,
    error_score,
    refits: Sequence[tuple] = (),
) -> tuple[list[dict], dict]:
    """``_fit_and_score`` for many (parameters, train, test), trained as stacks.

    ``refits`` holds ``(candidate index, parameters)`` to fit on all the data in the
    same stacks, ahead of knowing which candidate is best: a few more networks in
    a stack cost far less than a refit's own pass. Returns the results and, per
    refitted candidate, ``(estimator, exception or None, seconds)``.
    """
    estimators, splits, errors, prepare_times = [], [], [], []
    mlps, datasets, stacked = [], [], []
    refitted = {}
    for candidate, parameters in refits:
        estimator = clone(base_estimator).set_params(**clone(parameters, safe=False))
        start = time.time()
        try:
            mlp, data = _prepare(estimator, X, y, fit_params)
        except Exception as exc:  # noqa: BLE001 - raised if it is the best
            refitted[candidate] = (estimator, exc, time.time() - start)
        else:
            refitted[candidate] = (estimator, len(mlps), time.time() - start)
            mlps.append(mlp)
            datasets.append(data)
    n_refits = len(mlps)
    for parameters, train, test in jobs:
        estimator = clone(base_estimator).set_params(**clone(parameters, safe=False))
        start = time.time()
        X_train, y_train = _safe_split(estimator, X, y, train)
        X_test, y_test = _safe_split(estimator, X, y, test, train)
        train_params = _check_method_params(X, params=fit_params, indices=train)
        error = None
        try:
            mlp, data = _prepare(estimator, X_train, y_train, train_params)
        except Exception as exc:  # noqa: BLE001 - reported as a failed fit
            if error_score == "raise":
                raise
            error = exc
        else:
            stacked.append(len(estimators))
            mlps.append(mlp)
            datasets.append(data)
        prepare_times.append(time.time() - start)
        estimators.append(estimator)
        splits.append((X_train, y_train, X_test, y_test, train, test))
        errors.append(error)

    start = time.time()
    failures = fit_stack(mlps, datasets)
    share = (time.time() - start) / max(len(mlps), 1)
    for candidate, (estimator, outcome, seconds) in refitted.items():
        if isinstance(outcome, int):  # its position in the stack
            failure = failures[outcome]
            outcome = None if failure is None else failure.error
            seconds += share
        refitted[candidate] = (estimator, outcome, seconds)
    for index, failure in zip(stacked, failures[n_refits:]):
        if failure is not None:
            if error_score == "raise":
                raise failure.error
            errors[index] = failure.error

    results = []
    for estimator, split, error, prepare_time in zip(
        estimators, splits, errors, prepare_times
    ):
        X_train, y_train, X_test, y_test, train, test = split
        fit_time = prepare_time + (share if error is None else 0.0)
        result = {"fit_error": None}
        if error is not None:
            result["fit_error"] = "".join(format_exception(error))
            test_scores = _error_scores(scorer, error_score)
            train_scores = (
                test_scores.copy() if isinstance(test_scores, dict) else test_scores
            )
            score_time = 0.0
        else:
            start = time.time()
            test_scores = _score(
                estimator,
                X_test,
                y_test,
                scorer,
                _check_method_params(X, params=score_params, indices=test),
                error_score,
            )
            score_time = time.time() - start
            if return_train_score:
                train_scores = _score(
                    estimator,
                    X_train,
                    y_train,
                    scorer,
                    _check_method_params(X, params=score_params, indices=train),
                    error_score,
                )
        result["test_scores"] = test_scores
        if return_train_score:
            result["train_scores"] = train_scores
        result["n_test_samples"] = _num_samples(X_test)
        result["fit_time"] = fit_time
        result["score_time"] = score_time
        results.append(result)
    return results, refitted


def _error_scores(scorer, error_score):
    """The scores of a failed fit, as ``_fit_and_score`` gives them."""
    if isinstance(error_score, Number) and hasattr(scorer, "_scorers"):
        return {name: error_score for name in scorer._scorers}
    return error_score


# -- several seeds ----------------------------------------------------------------------
def fit_seeds(
    estimator,
    X,
    y,
    random_states: Sequence[int],
    *,
    sample_weight=None,
) -> list:
    """Fit clones of ``estimator``, one per random seed, trained as one stack.

    Each clone gets ``random_state`` (the MLP's, for a pipeline) set to one of
    ``random_states`` and ends as ``clone.fit(X, y)`` would leave it: the same
    initialisation, shuffling, validation split and fitted attributes. Estimators
    that cannot train in a stack (see :class:`GridSearchCV`) are fitted one by one.

    Parameters
    ----------
    estimator : MLPRegressor, MLPClassifier or Pipeline ending with one
        The estimator to fit, possibly inside a TransformedTargetRegressor.
    X : array-like of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets.
    random_states : sequence of int
        One seed per fitted estimator.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights of the MLP.

    Returns
    -------
    estimators : list
        The fitted clones, in the order of ``random_states``.

    Raises
    ------
    Exception
        The first exception a fit raised.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn_losses import MLPRegressor
    >>> from sklearn_losses.model_selection import fit_seeds
    >>> X, y = make_regression(n_samples=60, n_features=3, random_state=0)
    >>> models = fit_seeds(MLPRegressor(solver="sgd", max_iter=3), X, y, [0, 1, 2])
    >>> [model.n_iter_ for model in models]
    [3, 3, 3]
    """
    X, y = indexable(X, y)
    clones = []
    for seed in random_states:
        model = clone(estimator)
        mlp = _final_mlp(model)
        if mlp is None:
            raise TypeError(
                "fit_seeds fits an MLPRegressor or MLPClassifier, or a Pipeline "
                "(without memory) ending with one, possibly inside a "
                f"TransformedTargetRegressor; got {type(estimator).__name__}."
            )
        mlp.set_params(random_state=seed)
        clones.append(model)
    params = {}
    if sample_weight is not None:
        key = "sample_weight"
        if isinstance(estimator, Pipeline):
            key = f"{estimator.steps[-1][0]}__{key}"
        params = {key: sample_weight}
    if not clones or not _stackable(clones[0], params):
        return [model.fit(X, y, **params) for model in clones]
    return _fit_as_stack(clones, X, y, params)


def _fit_as_stack(estimators, X, y, fit_params: dict) -> list:
    """Fit every estimator on ``X, y`` as one stack; raise the first failure."""
    mlps, datasets = [], []
    for estimator in estimators:
        mlp, data = _prepare(estimator, X, y, fit_params)
        mlps.append(mlp)
        datasets.append(data)
    for failure in fit_stack(mlps, datasets):
        if failure is not None:
            raise failure.error
    return estimators


# -- cross-validation -------------------------------------------------------------------
def cross_validate_stack(
    estimators: Sequence,
    X,
    y,
    *,
    cv,
    scoring=None,
    params: dict | None = None,
    return_train_score: bool = False,
    return_estimator: bool = False,
    return_indices: bool = False,
    n_jobs: int | None = None,
) -> list:
    """Cross-validate several estimators on the same splits, trained as one stack.

    Per estimator, what :func:`sklearn.model_selection.cross_validate` returns with
    ``error_score="raise"``, or the exception it would raise: the networks of every
    estimator and fold that can train in a stack (see :class:`GridSearchCV`) train
    at once; the other estimators are cross-validated by scikit-learn's
    ``cross_validate``. A failing estimator does not stop the others.

    Parameters
    ----------
    estimators : sequence of estimators
        The candidates; each is cloned for every fold.
    X : array-like of shape (n_samples, n_features)
        The data.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The targets.
    cv : int, cross-validation generator or iterable
        The splitting strategy, as in scikit-learn; an iterable or a splitter
        without shuffling gives every estimator the same splits.
    scoring : str, callable, list, tuple or dict, default=None
        The metrics, as in :func:`sklearn.model_selection.cross_validate`.
    params : dict, default=None
        Parameters of ``fit`` (``sample_weight``, or ``<step>__sample_weight`` for a
        pipeline, for stacked fits); arrays with one entry per sample are split
        with the data.
    return_train_score : bool, default=False
        Also score the training folds (``train_<metric>``).
    return_estimator : bool, default=False
        Keep the fitted estimators (``estimator``).
    return_indices : bool, default=False
        Keep the train and test indices of each split (``indices``).
    n_jobs : int, default=None
        Folds to fit in parallel for the estimators that are not stacked (the
        stack trains in the calling process).

    Returns
    -------
    results : list
        Per estimator, in order, a dict shaped as ``cross_validate``'s (``fit_time``,
        ``score_time``, ``test_<metric>``, ...) or the exception its fit or scoring
        raised. The ``fit_time`` of a stacked fit is its share of the stack's
        training time plus its own preparation.

    See Also
    --------
    sklearn.model_selection.cross_validate : One estimator, fitted one fold at a time.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn_losses import MLPRegressor
    >>> from sklearn_losses.model_selection import cross_validate_stack
    >>> X, y = make_regression(n_samples=90, n_features=4, noise=1, random_state=0)
    >>> models = [
    ...     MLPRegressor(solver="sgd", loss=loss, max_iter=5, random_state=0)
    ...     for loss in ("squared_error", "huber")
    ... ]
    >>> results = cross_validate_stack(models, X, y, cv=3, scoring="r2")
    >>> [len(result["test_score"]) for result in results]
    [3, 3]
    """
    X, y = indexable(X, y)
    params = {} if params is None else dict(params)
    estimators = list(estimators)
    if not estimators:
        return []
    splitter = check_cv(cv, y, classifier=is_classifier(estimators[0]))
    splits = list(splitter.split(X, y))
    options = {
        "scoring": scoring,
        "return_train_score": return_train_score,
        "return_estimator": return_estimator,
        "return_indices": return_indices,
    }
    outcomes: list = [None] * len(estimators)
    stacked = []
    for i, estimator in enumerate(estimators):
        if y is not None and _stackable(clone(estimator), params):
            stacked.append(i)
            continue
        try:  # one fit at a time, as scikit-learn does
            outcomes[i] = cross_validate(
                estimator,
                X,
                y,
                cv=splits,
                params=params,
                error_score="raise",
                **options,
            )
        except Exception as exc:  # noqa: BLE001 - reported per estimator
            outcomes[i] = exc

    # every (estimator, fold) of the stackable estimators: prepare, then one stack
    folds: dict[int, list] = {}  # estimator -> [(fitted clone, seconds, position)]
    mlps, datasets = [], []
    for i in stacked:
        folds[i] = []
        try:
            for train, _ in splits:
                model = clone(estimators[i])
                start = time.time()
                X_train, y_train = _safe_split(model, X, y, train)
                train_params = _check_method_params(X, params=params, indices=train)
                mlp, data = _prepare(model, X_train, y_train, train_params)
                folds[i].append((model, time.time() - start, len(mlps)))
                mlps.append(mlp)
                datasets.append(data)
        except Exception as exc:  # noqa: BLE001 - reported per estimator
            outcomes[i] = exc
    start = time.time()
    failures = fit_stack(mlps, datasets)
    share = (time.time() - start) / max(len(mlps), 1)

    for i in stacked:
        if outcomes[i] is not None:
            continue
        try:
            outcomes[i] = _score_folds(
                estimators[i], folds[i], failures, share, X, y, splits, options
            )
        except Exception as exc:  # noqa: BLE001 - reported per estimator
            outcomes[i] = exc
    return outcomes


def _score_folds(estimator, folds, failures, share, X, y, splits, options) -> dict:
    """``cross_validate``'s results of one estimator's stacked folds."""
    for _, _, position in folds:
        if failures[position] is not None:
            raise failures[position].error
    scorer = check_scoring(estimator, scoring=options["scoring"], raise_exc=True)
    rows = []
    for (model, seconds, _), (train, test) in zip(folds, splits):
        X_test, y_test = _safe_split(model, X, y, test, train)
        start = time.time()
        row = {"test_scores": _score(model, X_test, y_test, scorer, {}, "raise")}
        row["score_time"] = time.time() - start
        row["fit_time"] = seconds + share
        if options["return_train_score"]:
            X_train, y_train = _safe_split(model, X, y, train)
            row["train_scores"] = _score(model, X_train, y_train, scorer, {}, "raise")
        row["estimator"] = model
        rows.append(row)
    rows = _aggregate_score_dicts(rows)
    results = {"fit_time": rows["fit_time"], "score_time": rows["score_time"]}
    if options["return_estimator"]:
        results["estimator"] = rows["estimator"]
    if options["return_indices"]:
        results["indices"] = {}
        results["indices"]["train"], results["indices"]["test"] = zip(*splits)
    test_scores = _normalize_score_results(rows["test_scores"])
    if options["return_train_score"]:
        train_scores = _normalize_score_results(rows["train_scores"])
    for name in test_scores:
        results[f"test_{name}"] = test_scores[name]
        if options["return_train_score"]:
            results[f"train_{name}"] = train_scores[name]
    return results
