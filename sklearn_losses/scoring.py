"""Scorers for every loss, next to scikit-learn's own.

Every registered loss has a scorer named ``neg_<loss name>`` (``neg_huber``,
``neg_kl_divergence``...) and ``neg_<metric function>`` for the names of its functions
in :mod:`sklearn_losses.metrics` that scikit-learn does not already use
(``neg_binary_crossentropy``, ``neg_mean_huber_loss``...). Where a name is scikit-learn's
(``neg_mean_squared_error``, ``neg_mean_poisson_deviance``...) :func:`get_scorer`
returns scikit-learn's scorer, which computes the same value; the one exception is
``neg_log_loss``, which is the ``log_loss`` loss's scorer here: it gives scikit-learn's
value on single-label targets, the binary cross-entropy on multi-label targets (where
:func:`sklearn.metrics.log_loss` silently computes another quantity), and handles
cross-validation folds that miss a class.

A loss scorer calls the response method its loss needs (``predict``,
``predict_proba`` or ``decision_function``), passes the estimator's ``classes_`` as
``labels`` and returns minus the loss. It is a scikit-learn scorer: it goes into
``scoring=`` of :class:`~sklearn.model_selection.GridSearchCV` and
:func:`~sklearn.model_selection.cross_validate` (alone or in a dict with scikit-learn's
scorers), and ``set_score_request(sample_weight=True)`` routes sample weights to it
when metadata routing is enabled.
"""

from __future__ import annotations

import difflib

import numpy as np
from sklearn.base import clone, is_regressor
from sklearn.metrics import get_scorer as _sklearn_get_scorer
from sklearn.metrics import get_scorer_names as _sklearn_get_scorer_names
from sklearn.metrics._scorer import _Scorer

from .losses import Loss, _registry, get_loss, loss_names

__all__ = ["get_scorer", "get_scorer_names", "make_loss_scorer"]

#: Losses whose scorers work on any classifier (decision values), suggested when a
#: model has no ``predict_proba``.
_DECISION_SCORERS = ("neg_hinge", "neg_squared_hinge", "neg_categorical_hinge")


class _LossScorer(_Scorer):
    """Scorer returning minus a loss's metric on an estimator's responses.

    Parameters
    ----------
    loss : Loss
        The loss; its :meth:`~sklearn_losses.losses.Loss.metric` is the score function
        and its :attr:`~sklearn_losses.losses.Loss.response_method` the method called
        on classifiers. Regressors are scored on ``predict``, except by losses that
        predict more than a point: ``predict_quantiles`` for several quantile
        levels, ``predict(X, return_std=True)`` for ``gaussian_nll``.
    name : str or None, default=None
        The name the scorer was asked for, used in messages.
    """

    def __init__(self, loss: Loss, name: str | None = None):
        self.loss = loss
        self.name = name or f"neg_{loss.name}"
        method = loss.response_method
        super().__init__(
            score_func=loss.metric,
            sign=-1,
            kwargs={},
            # Only scikit-learn's multi-metric cache reads this (``_score`` below picks
            # the method itself). The "predict" fallback keeps that cache check from
            # raising for a model without ``predict_proba``, so the missing method is
            # reported by ``_score`` and ``error_score`` applies to this scorer alone.
            response_method=method if method == "predict" else (method, "predict"),
        )

    @property
    def response_method(self) -> str:
        """The estimator method this scorer calls on classifiers."""
        return self.loss.response_method

    def __repr__(self) -> str:
        return f"make_loss_scorer({self.loss!r})"

    def _score(self, method_caller, estimator, X, y_true, **kwargs):
        """Minus the loss's metric on ``estimator``'s response to ``X``.

        ``method_caller`` (scikit-learn's response cache) is not used: it reduces
        two-class ``predict_proba`` to one column and mistakes a two-label indicator for
        two classes, while the loss needs the response exactly as the estimator gives
        it.
        """
        regression = is_regressor(estimator)
        method_name = (
            self.loss.response_method_for("regression")
            if regression
            else self.loss.response_method
        )
        method = getattr(estimator, method_name, None)
        if method is None and hasattr(
            getattr(estimator, "steps", [[None]])[-1][-1], method_name
        ):
            # A Pipeline has no predict_quantiles: ask its last step.
            X = estimator[:-1].transform(X)
            method = getattr(estimator.steps[-1][1], method_name)
        if method is None:
            raise AttributeError(self._missing_method_message(estimator, method_name))
        y_pred = method(X, **self.loss.response_kwargs) if regression else method(X)
        if not regression and kwargs.get("labels") is None:
            classes = getattr(estimator, "classes_", None)
            if isinstance(classes, np.ndarray) and classes.ndim == 1:
                kwargs["labels"] = classes
        value = self.loss._evaluate(
            y_true, y_pred, task="regression" if regression else None, **kwargs
        )
        return self._sign * value

    def _missing_method_message(self, estimator, method_name: str) -> str:
        model = type(estimator).__name__
        trained = _trained_loss(estimator)
        if trained is None or trained.response_method_for("binary") == method_name:
            return (
                f"The {self.name} scorer needs {method_name}, which {model} does not "
                f"have. Score this model with another metric."
            )
        if method_name == "predict_proba":
            alternatives = [f"neg_{trained.name}"] + [
                name for name in _DECISION_SCORERS if name != f"neg_{trained.name}"
            ]
            return (
                f"The {self.name} scorer needs predict_proba, but {model} was trained "
                f"with the {trained.name!r} loss, which defines no class "
                "probabilities, so the model has no predict_proba. Train it with a "
                "loss that has probabilities (e.g. 'log_loss', 'binary_focal', "
                "'kl_divergence') to use this scorer, or score it with a metric of "
                f"decision values, e.g. {', '.join(repr(a) for a in alternatives)} "
                "or 'accuracy'."
            )
        return (
            f"The {self.name} scorer needs {method_name}, which {model} (trained with "
            f"the {trained.name!r} loss) does not have. Score this model with "
            f"'neg_{trained.name}' or another metric."
        )


def _trained_loss(estimator) -> Loss | None:
    """The loss an estimator (or a pipeline's last step) was configured with."""
    while hasattr(estimator, "steps"):
        estimator = estimator.steps[-1][1]
    try:
        return get_loss(estimator.loss)
    except (AttributeError, TypeError, ValueError):
        return None


def make_loss_scorer(loss, **loss_params) -> _LossScorer:
    """Build a scorer from a loss: minus its metric, on the right response method.

    Parameters
    ----------
    loss : str, Loss or callable
        A loss name or alias, a loss object or a torch function, as for the
        estimators' ``loss`` parameter (see :func:`sklearn_losses.losses.get_loss`).
        The object is copied.
    **loss_params
        Parameters of the loss, e.g. ``delta=2.0`` for ``"huber"``.

    Returns
    -------
    scorer : callable
        A scikit-learn scorer ``scorer(estimator, X, y, sample_weight=None)`` that
        calls ``predict`` on regressors and the loss's ``response_method`` on
        classifiers (``predict_proba`` for losses with probabilities,
        ``decision_function`` for the hinge family), passes ``classes_`` as
        ``labels`` and returns minus the loss (greater is better).

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn_losses import make_loss_scorer
    >>> from sklearn_losses.metrics import huber
    >>> X, y = make_regression(n_samples=50, n_features=3, noise=5, random_state=0)
    >>> model = LinearRegression().fit(X, y)
    >>> scorer = make_loss_scorer("huber", delta=2.0)
    >>> scorer
    make_loss_scorer(Huber(delta=2.0))
    >>> bool(scorer(model, X, y) == -huber(y, model.predict(X), delta=2.0))
    True
    """
    loss = clone(get_loss(loss))
    if loss_params:
        loss.set_params(**loss_params)
    loss.validate()
    return _LossScorer(loss)


def _loss_scorer_names() -> dict[str, str]:
    """Each scorer name defined here, mapped to the name of its loss."""
    sklearn_names = set(_sklearn_get_scorer_names())
    names = {}
    for loss in loss_names():
        for metric in _registry._REGISTRY[loss].metric_function_names():
            if f"neg_{metric}" not in sklearn_names:
                names[f"neg_{metric}"] = loss
        names[f"neg_{loss}"] = loss  # the loss's own name wins (neg_log_loss)
    return names


def get_scorer_names() -> list[str]:
    """All scorer names :func:`get_scorer` knows: the losses' and scikit-learn's.

    Returns
    -------
    list of str
        Sorted names.

    Examples
    --------
    >>> from sklearn_losses import get_scorer_names
    >>> names = get_scorer_names()
    >>> "neg_kl_divergence" in names and "neg_hinge" in names and "r2" in names
    True
    """
    return sorted(set(_loss_scorer_names()) | set(_sklearn_get_scorer_names()))


def get_scorer(scoring):
    """A scorer from its name: ``neg_<loss>`` for every loss, else scikit-learn's.

    Parameters
    ----------
    scoring : str, Loss, callable or None
        A name from :func:`get_scorer_names`; a loss object (see
        :func:`make_loss_scorer`); a callable or None, returned as
        :func:`sklearn.metrics.get_scorer` returns them.

    Returns
    -------
    scorer : callable
        A new scorer object at each call (so ``set_score_request`` on one does not
        change another).

    Raises
    ------
    ValueError
        For an unknown name, with the closest valid names.

    Examples
    --------
    >>> from sklearn_losses import get_scorer
    >>> get_scorer("neg_binary_crossentropy")
    make_loss_scorer(LogLoss())
    >>> get_scorer("neg_hinge").response_method
    'decision_function'
    >>> get_scorer("r2")  # scikit-learn's
    make_scorer(r2_score, response_method='predict')
    """
    if isinstance(scoring, Loss):
        return make_loss_scorer(scoring)
    if not isinstance(scoring, str):
        return _sklearn_get_scorer(scoring)
    ours = _loss_scorer_names()
    if scoring in ours:
        return _LossScorer(get_loss(ours[scoring]), name=scoring)
    if scoring in _sklearn_get_scorer_names():
        return _sklearn_get_scorer(scoring)
    close = difflib.get_close_matches(scoring, get_scorer_names(), n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(
        f"{scoring!r} is not a valid scoring value.{hint} Every loss has a scorer "
        f"named 'neg_<loss name>' ({', '.join(f'neg_{n}' for n in loss_names())}); "
        "sklearn_losses.get_scorer_names() lists all valid names, scikit-learn's "
        "included."
    )
