"""Metrics for every loss: NumPy functions ready for :func:`sklearn.metrics.make_scorer`.

Each function is a thin wrapper around the loss object's own :meth:`Loss.metric
<sklearn_losses.losses.Loss.metric>`, which evaluates the very torch expression used
for training (:meth:`Loss.loss <sklearn_losses.losses.Loss.loss>`) in float64 on what
the estimator's ``predict``, ``predict_proba`` or ``decision_function`` returns. A
metric and its training criterion therefore cannot drift apart.

Conventions, shared with :mod:`sklearn.metrics`:

* signature ``(y_true, y_pred, *, sample_weight=None, <loss parameters>)``, plus
  ``labels=None`` for classification; the result is a Python float, lower is better;
* sample weights give ``sum(w * l) / sum(w)`` (scikit-learn's ``np.average``, not
  Keras' ``sum(w * l) / n``); several outputs are averaged uniformly, several labels
  of a multi-label target summed (as scikit-learn's MLP trains on them);
* class labels may be of any type scikit-learn accepts (strings included); columns
  of ``y_pred`` follow the sorted labels, like ``classes_``. Pass ``labels=`` when
  ``y_true`` may miss a class (a cross-validation fold): each label is then encoded
  by its position in ``labels``, never guessed from ``y_true``.

Every registered loss has its functions here: written out below for the original
losses, derived from the loss class for the others (:func:`metric_function`: the
class's constructor parameters become keyword arguments, its docstring the function's),
including a loss of your own as soon as its class is defined. Regression functions
take scikit-learn's ``multioutput=`` (``"raw_values"``, ``"uniform_average"`` or an
array of weights).

Two functions take more than one prediction per target: :func:`mean_pinball_loss`
with several levels (``alpha=[0.05, 0.5, 0.95]``) takes what ``predict_quantiles``
returns, and :func:`gaussian_nll` the ``(mean, std)`` pair of
``predict(X, return_std=True)``.

Several names shadow a :mod:`sklearn.metrics` function. Where scikit-learn has the
same quantity the two agree to 1e-12 in float64 (``mean_squared_error``,
``mean_absolute_error``, ``mean_poisson_deviance``, ``mean_gamma_deviance``,
``mean_tweedie_deviance``, ``mean_absolute_percentage_error``, ``mean_pinball_loss``,
``log_loss`` on binary and multi-class targets, ``hinge_loss``); the docstrings say
where and why they differ (``mean_squared_log_error`` follows Keras' clipping,
``hinge_loss`` encodes a one-class fold by ``labels``, ``log_loss`` on multi-label
targets is the binary cross-entropy per label). Keras names are aliases of the same
functions (``binary_crossentropy`` is :func:`log_loss`, ``hinge`` is
:func:`hinge_loss`...).
"""

from __future__ import annotations

import inspect

import numpy as np
from numpy.typing import ArrayLike

from .losses import (
    AbsoluteError,
    BinaryFocal,
    CategoricalHinge,
    GaussianNLL,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    LogLoss,
    Loss,
    Poisson,
    Quantile,
    SparseCategoricalCrossEntropy,
    SquaredError,
    SquaredHinge,
    SquaredLogError,
    _registry,
    loss_names,
)

__all__ = [
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "binary_focal_loss",
    "categorical_crossentropy",
    "categorical_hinge",
    "gaussian_nll",
    "hinge",
    "hinge_loss",
    "huber",
    "kl_divergence",
    "log_cosh",
    "log_loss",
    "mean_absolute_error",
    "mean_huber_loss",
    "mean_log_cosh",
    "mean_pinball_loss",
    "mean_poisson_deviance",
    "mean_squared_error",
    "mean_squared_log_error",
    "mean_squared_logarithmic_error",
    "metric_function",
    "quantile_loss",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "squared_hinge_loss",
]


def _evaluate(
    loss: Loss,
    y_true,
    y_pred,
    sample_weight,
    labels=None,
    multioutput="uniform_average",
) -> float | np.ndarray:
    loss.validate()
    return loss.metric(
        y_true,
        y_pred,
        sample_weight=sample_weight,
        labels=labels,
        multioutput=multioutput,
    )


# Docstring sections shared by several functions, filled in by ``_doc``.
_SECTIONS = {
    "REGRESSION_PARAMETERS": """\
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground truth target values.
    y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Predicted values, as ``predict`` returns them.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights; the result is ``sum(w * l) / sum(w)``.
    multioutput : {"raw_values", "uniform_average"} or array-like, default="uniform_average"
        How several outputs are combined, as in :mod:`sklearn.metrics`:
        ``"raw_values"`` returns the value of each output, ``"uniform_average"``
        their mean, an array of weights their weighted average.""",
    "PROBA_PARAMETERS": """\
    y_true : array-like of shape (n_samples,) or (n_samples, n_labels)
        True class labels (strings allowed), or a multi-label indicator matrix.
    y_pred : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, as ``predict_proba`` returns them: columns in the
        order of the sorted labels (``classes_``); for two classes the positive
        class's column alone is also accepted; one column per label for multi-label
        targets. Values must lie in [0, 1].
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights; the result is ``sum(w * l) / sum(w)``.
    labels : array-like, default=None
        All the class labels. Needed when ``y_true`` misses a class: labels are then
        encoded by their position in the sorted ``labels``. If None, the labels found
        in ``y_true``.""",
    "DECISION_PARAMETERS": """\
    y_true : array-like of shape (n_samples,) or (n_samples, n_labels)
        True class labels (strings allowed), or a multi-label indicator matrix.
    y_pred : array-like of shape (n_samples,) or (n_samples, n_classes)
        Decision values, as ``decision_function`` returns them: one per sample for two
        classes (positive means the greater label), otherwise one per class (in the
        order of the sorted labels) or per label.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights; the result is ``sum(w * l) / sum(w)``.
    labels : array-like, default=None
        All the class labels. Needed when ``y_true`` misses a class: labels are then
        encoded by their position in the sorted ``labels`` (a one-class fold of the
        greater label is +1, not -1). If None, the labels found in ``y_true``.""",
    "RETURNS": """\
    loss : float
        The weighted mean of the per-sample losses; lower is better.""",
    "REGRESSION_RETURNS": """\
    loss : float or ndarray of shape (n_outputs,)
        The weighted mean of the per-sample losses (lower is better), or one value
        per output for ``multioutput="raw_values"``.""",
}


def _doc(func):
    """Fill the shared sections (``%NAME%``) into a metric's docstring."""
    for name, text in _SECTIONS.items():
        func.__doc__ = func.__doc__.replace(f"    %{name}%", text)
    return func


# -- regression -----------------------------------------------------------------------
@_doc
def mean_squared_error(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    multioutput: str | ArrayLike = "uniform_average",
) -> float | np.ndarray:
    """Mean squared error, the metric of the ``squared_error`` loss.

    Per element ``(y_pred - y_true)**2``, averaged over outputs, then over samples.
    No clipping. Equals :func:`sklearn.metrics.mean_squared_error` (uniform average
    over outputs), Keras ``mean_squared_error`` and torch ``MSELoss``. scikit-learn's
    own ``MLPRegressor`` minimises half of it.

    Parameters
    ----------
    %REGRESSION_PARAMETERS%

    Returns
    -------
    %REGRESSION_RETURNS%

    See Also
    --------
    sklearn_losses.losses.SquaredError : The loss.

    Examples
    --------
    >>> from sklearn_losses.metrics import mean_squared_error
    >>> mean_squared_error([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
    0.375
    """
    return _evaluate(
        SquaredError(), y_true, y_pred, sample_weight, multioutput=multioutput
    )


@_doc
def mean_absolute_error(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    multioutput: str | ArrayLike = "uniform_average",
) -> float | np.ndarray:
    """Mean absolute error, the metric of the ``absolute_error`` loss.

    Per element ``|y_pred - y_true|``, averaged over outputs, then over samples.
    No clipping. Equals :func:`sklearn.metrics.mean_absolute_error`, Keras
    ``mean_absolute_error`` and torch ``L1Loss``.

    Parameters
    ----------
    %REGRESSION_PARAMETERS%

    Returns
    -------
    %REGRESSION_RETURNS%

    See Also
    --------
    sklearn_losses.losses.AbsoluteError : The loss.

    Examples
    --------
    >>> from sklearn_losses.metrics import mean_absolute_error
    >>> mean_absolute_error([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
    0.5
    """
    return _evaluate(
        AbsoluteError(), y_true, y_pred, sample_weight, multioutput=multioutput
    )


@_doc
def mean_squared_log_error(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    multioutput: str | ArrayLike = "uniform_average",
) -> float | np.ndarray:
    """Mean squared logarithmic error with Keras' clipping (``squared_log_error``).

    Per element ``(log1p(max(y_pred, 1e-7)) - log1p(max(y_true, 1e-7)))**2``: the
    definition of Keras ``mean_squared_logarithmic_error``, which clips values below
    ``1e-7`` (negative ones included) silently, so every negative value counts as 0.

    On values ``>= 1e-7`` it equals :func:`sklearn.metrics.mean_squared_log_error`.
    Below that they differ on purpose: scikit-learn does not clip (it takes ``log1p``
    of values in (-1, 0) and raises for values ``<= -1``); this function computes the
    quantity the network was trained on. Alias: ``mean_squared_logarithmic_error``.

    Parameters
    ----------
    %REGRESSION_PARAMETERS%

    Returns
    -------
    %REGRESSION_RETURNS%

    See Also
    --------
    sklearn_losses.losses.SquaredLogError : The loss.

    Examples
    --------
    >>> from sklearn_losses.metrics import mean_squared_log_error
    >>> round(mean_squared_log_error([3.0, 5.0, 2.5, 7.0], [2.5, 5.0, 4.0, 8.0]), 6)
    0.03973
    >>> mean_squared_log_error([-3.0], [0.0])  # -3 is clipped to 1e-7, like 0
    0.0
    """
    return _evaluate(
        SquaredLogError(), y_true, y_pred, sample_weight, multioutput=multioutput
    )


@_doc
def mean_huber_loss(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    multioutput: str | ArrayLike = "uniform_average",
    delta: float = 1.0,
) -> float | np.ndarray:
    """Mean Huber loss, the metric of the ``huber`` loss.

    Per element, with ``e = y_pred - y_true``: ``0.5 e**2`` if ``|e| <= delta``,
    otherwise ``delta (|e| - 0.5 delta)``. No clipping. Equals Keras ``huber`` and
    torch ``HuberLoss(delta=delta)`` (torch ``SmoothL1Loss(beta)`` is this divided by
    ``beta``). scikit-learn has no public Huber metric. Alias: ``huber``.

    Parameters
    ----------
    %REGRESSION_PARAMETERS%
    delta : float, default=1.0
        Where the loss turns from quadratic to linear; > 0.

    Returns
    -------
    %REGRESSION_RETURNS%

    See Also
    --------
    sklearn_losses.losses.Huber : The loss.

    Examples
    --------
    >>> from sklearn_losses.metrics import huber
    >>> huber([0.0, 0.0], [0.5, 3.0])
    1.3125
    >>> huber([0.0, 0.0], [0.5, 3.0], delta=2.0)
    2.0625
    """
    return _evaluate(
        Huber(delta=delta), y_true, y_pred, sample_weight, multioutput=multioutput
    )


@_doc
def mean_log_cosh(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    multioutput: str | ArrayLike = "uniform_average",
) -> float | np.ndarray:
    """Mean logarithm of the hyperbolic cosine of the error (``log_cosh`` loss).

    Per element ``log(cosh(e))`` with ``e = y_pred - y_true``, computed as
    ``e + softplus(-2 e) - log(2)``, which never overflows. No clipping. Equals Keras
    ``log_cosh``; neither torch nor scikit-learn has it. Alias: ``log_cosh``.

    Parameters
    ----------
    %REGRESSION_PARAMETERS%

    Returns
    -------
    %REGRESSION_RETURNS%

    See Also
    --------
    sklearn_losses.losses.LogCosh : The loss.

    Examples
    --------
    >>> from sklearn_losses.metrics import log_cosh
    >>> round(log_cosh([0.0, 0.0], [1.0, -1000.0]), 6)
    499.870317
    """
    return _evaluate(LogCosh(), y_true, y_pred, sample_weight, multioutput=multioutput)


@_doc
def mean_poisson_deviance(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    multioutput: str | ArrayLike = "uniform_average",
) -> float | np.ndarray:
    """Mean Poisson deviance, the metric of the ``poisson`` loss.

    Per element ``2 (y_true log(y_true / y_pred) - y_true + y_pred)`` with
    ``0 log 0 = 0``. No clipping: ``y_true`` must be non-negative and ``y_pred``
    strictly positive, otherwise a ValueError is raised. Equals
    :func:`sklearn.metrics.mean_poisson_deviance`.

    Keras ``poisson`` and torch ``PoissonNLLLoss`` compute the negative
    log-likelihood ``y_pred - y_true log(y_pred)`` instead: half the deviance plus
    ``y_true - y_true log(y_true)``, a term of the targets alone, so both have the same
    minimiser. The deviance is used because it is 0 for a perfect fit and is
    scikit-learn's metric.

    Parameters
    ----------
    %REGRESSION_PARAMETERS%

    Returns
    -------
    %REGRESSION_RETURNS%

    See Also
    --------
    sklearn_losses.losses.Poisson : The loss.

    Examples
    --------
    >>> from sklearn_losses.metrics import mean_poisson_deviance
    >>> round(mean_poisson_deviance([2.0, 0.0, 1.0, 4.0], [0.5, 0.5, 2.0, 2.0]), 6)
    1.426015
    """
    return _evaluate(Poisson(), y_true, y_pred, sample_weight, multioutput=multioutput)


@_doc
def mean_pinball_loss(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    multioutput: str | ArrayLike = "uniform_average",
    alpha: float | ArrayLike = 0.5,
) -> float | np.ndarray:
    """Mean pinball loss of the ``alpha`` quantile, the metric of the ``quantile`` loss.

    Per element ``max(alpha (y_true - y_pred), (alpha - 1) (y_true - y_pred))``.
    No clipping. Equals :func:`sklearn.metrics.mean_pinball_loss`; ``alpha=0.5`` is
    half the absolute error. Alias: ``quantile_loss``.

    With several levels (``alpha=[0.05, 0.5, 0.95]``), ``y_pred`` holds one column
    per level, as ``predict_quantiles`` returns it (``(n_samples, n_levels)``, or
    ``(n_samples, n_outputs, n_levels)``), and the result is the mean over levels of
    each level's mean pinball loss (per output with ``multioutput="raw_values"``).

    Parameters
    ----------
    %REGRESSION_PARAMETERS%
    alpha : float or array-like of float, default=0.5
        The quantile, in (0, 1), or several strictly increasing levels.

    Returns
    -------
    %REGRESSION_RETURNS%

    See Also
    --------
    sklearn_losses.losses.Quantile : The loss.

    Examples
    --------
    >>> from sklearn_losses.metrics import mean_pinball_loss
    >>> round(mean_pinball_loss([1.0, 2.0, 3.0], [2.0, 2.0, 2.0], alpha=0.9), 6)
    0.333333
    """
    return _evaluate(
        Quantile(alpha=alpha), y_true, y_pred, sample_weight, multioutput=multioutput
    )


def gaussian_nll(
    y_true: ArrayLike,
    y_pred: tuple[ArrayLike, ArrayLike],
    *,
    sample_weight: ArrayLike | None = None,
    multioutput: str | ArrayLike = "uniform_average",
    eps: float = 1e-4,
) -> float | np.ndarray:
    """Mean Gaussian negative log-likelihood, the metric of the ``gaussian_nll`` loss.

    Per element ``0.5 log(2 pi) + log(std) + (y_true - mean)**2 / (2 std**2)``,
    that is ``-scipy.stats.norm.logpdf(y_true, mean, std)`` (the constant included),
    averaged over outputs, then over samples. The variance ``std**2`` is clipped
    below at ``eps``, as torch's ``GaussianNLLLoss`` clamps it.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground truth target values.
    y_pred : tuple (mean, std) of array-like of shape (n_samples,) or \
(n_samples, n_outputs)
        Means and standard deviations of the predicted normal distributions, as
        ``predict(X, return_std=True)`` returns them (this package's
        ``MLPRegressor(loss="gaussian_nll")``, scikit-learn's
        ``GaussianProcessRegressor`` and ``BayesianRidge``).
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights; the result is ``sum(w * l) / sum(w)``.
    multioutput : {"raw_values", "uniform_average"} or array-like, \
default="uniform_average"
        How several outputs are combined, as in :mod:`sklearn.metrics`:
        ``"raw_values"`` returns the value of each output, ``"uniform_average"``
        their mean, an array of weights their weighted average.
    eps : float, default=1e-4
        Floor of the variance.

    Returns
    -------
    loss : float or ndarray of shape (n_outputs,)
        The weighted mean of the per-sample losses (lower is better), or one value
        per output for ``multioutput="raw_values"``.

    See Also
    --------
    sklearn_losses.losses.GaussianNLL : The loss.

    Examples
    --------
    >>> from sklearn_losses.metrics import gaussian_nll
    >>> round(gaussian_nll([0.0, 2.0], ([0.0, 0.0], [1.0, 1.0])), 6)  # 0.9189 + 1
    1.918939
    """
    return _evaluate(
        GaussianNLL(eps=eps), y_true, y_pred, sample_weight, multioutput=multioutput
    )


# -- classification: probabilities ----------------------------------------------------
@_doc
def log_loss(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    labels: ArrayLike | None = None,
    label_smoothing: float = 0.0,
) -> float:
    """Cross-entropy of predicted probabilities, the metric of the ``log_loss`` loss.

    With ``p`` the predicted probabilities:

    * two classes: ``-(y log p + (1 - y) log(1 - p))``, ``y`` in {0, 1} (1 for the
      greater label), ``p`` the positive class's probability;
    * more classes: ``-sum_c y_c log p_c`` over one-hot ``y``;
    * multi-label indicator: the two-class formula per label, averaged over labels.

    Label smoothing replaces ``y`` by ``y (1 - ls) + ls / 2`` for the two-class and
    multi-label forms and by ``y (1 - ls) + ls / n_classes`` for the multi-class form,
    as Keras and torch do.

    Clipping: ``p`` is clipped to ``[eps, 1 - eps]``, ``eps`` the float64 machine
    epsilon (inputs are converted to float64), so a confident mistake costs at most
    ``-log(eps) = 36.04``. Rows are not renormalised.

    Equals :func:`sklearn.metrics.log_loss` on two-class and multi-class targets
    (``label_smoothing=0``). It differs on purpose on a multi-label indicator, where
    scikit-learn sums ``-y log p`` over labels and ignores ``1 - y`` (not a binary
    cross-entropy). Keras ``binary_crossentropy`` / ``categorical_crossentropy`` give
    the same values except that they clip to ``[1e-7, 1 - 1e-7]`` (cap 16.12) and
    renormalise multi-class rows. Aliases: ``binary_crossentropy``,
    ``categorical_crossentropy``.

    Parameters
    ----------
    %PROBA_PARAMETERS%
    label_smoothing : float, default=0.0
        Amount of smoothing of the targets, in [0, 1).

    Returns
    -------
    %RETURNS%

    See Also
    --------
    sklearn_losses.losses.LogLoss : The loss.
    sparse_categorical_crossentropy : The same value, two softmax units for 2 classes.

    Examples
    --------
    >>> from sklearn_losses.metrics import log_loss
    >>> y_true = ["spam", "ham", "ham", "spam"]
    >>> proba = [[0.1, 0.9], [0.9, 0.1], [0.8, 0.2], [0.35, 0.65]]
    >>> round(log_loss(y_true, proba), 6)
    0.216162
    >>> round(log_loss(y_true, proba, label_smoothing=0.1), 6)
    0.296159
    """
    return _evaluate(
        LogLoss(label_smoothing=label_smoothing), y_true, y_pred, sample_weight, labels
    )


@_doc
def sparse_categorical_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    labels: ArrayLike | None = None,
) -> float:
    """Categorical cross-entropy of class labels, the metric of the loss of that name.

    Per sample ``-log p_t``, ``p_t`` the predicted probability of the true class
    (one softmax column per class, two for two classes). Clipping: ``p`` is clipped to
    ``[eps, 1 - eps]``, ``eps`` the float64 machine epsilon (cap 36.04); rows are not
    renormalised.

    Equals :func:`sklearn.metrics.log_loss` and :func:`log_loss` on single-label
    targets. Keras ``sparse_categorical_crossentropy`` gives the same value except
    that it clips to ``[1e-7, 1 - 1e-7]`` (cap 16.12); torch ``CrossEntropyLoss``
    takes logits and class indices.

    Parameters
    ----------
    %PROBA_PARAMETERS%

    Returns
    -------
    %RETURNS%

    See Also
    --------
    sklearn_losses.losses.SparseCategoricalCrossEntropy : The loss.

    Examples
    --------
    >>> from sklearn_losses.metrics import sparse_categorical_crossentropy
    >>> proba = [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.6, 0.1]]
    >>> round(sparse_categorical_crossentropy(["a", "c", "b"], proba), 6)
    0.363548
    >>> # a fold without "b": the columns still stand for all three labels
    >>> round(
    ...     sparse_categorical_crossentropy(
    ...         ["a", "c"], proba[:2], labels=["a", "b", "c"]
    ...     ),
    ...     6,
    ... )
    0.289909
    """
    return _evaluate(
        SparseCategoricalCrossEntropy(), y_true, y_pred, sample_weight, labels
    )


@_doc
def kl_divergence(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    labels: ArrayLike | None = None,
) -> float:
    """Kullback-Leibler divergence ``KL(y_true || y_pred)``, the ``kl_divergence`` loss.

    Per sample ``sum_c y_c log(y_c / p_c)`` with ``y`` the one-hot true label: the
    divergence *from* the predicted distribution *to* the target, in Keras' and
    :func:`scipy.stats.entropy` ``(y_true, y_pred)`` order (the reverse order is a
    different, here infinite, quantity).

    Clipping, as Keras ``kl_divergence``: both ``y`` and ``p`` are clipped to
    ``[1e-7, 1]`` (rows are not renormalised). So a confident mistake costs at most
    ``log(1e7) = 16.12``, and on one-hot labels the value is the cross-entropy
    ``-log p_t`` minus ``1e-7 sum_{c != t} log(p_c / 1e-7)``: between 0 and
    ``1.6e-6`` per extra class below it. torch ``KLDivLoss`` takes ``log p`` as input
    and needs ``reduction="batchmean"`` for this value; scikit-learn has no KL metric.

    Parameters
    ----------
    %PROBA_PARAMETERS%

    Returns
    -------
    %RETURNS%

    See Also
    --------
    sklearn_losses.losses.KLDivergence : The loss.
    log_loss : The cross-entropy, without the clipping of the target.

    Examples
    --------
    >>> from sklearn_losses.metrics import kl_divergence
    >>> proba = [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.6, 0.1]]
    >>> round(kl_divergence([0, 2, 1], proba), 6)
    0.363545
    """
    return _evaluate(KLDivergence(), y_true, y_pred, sample_weight, labels)


@_doc
def binary_focal_loss(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    labels: ArrayLike | None = None,
    gamma: float = 2.0,
    alpha: float | None = None,
) -> float:
    """Focal loss, the metric of the ``binary_focal`` loss.

    With ``BCE`` the cross-entropy of :func:`log_loss`:

    * two classes and multi-label (per label, averaged):
      ``alpha_t (1 - p_t)**gamma BCE``, ``p_t = y p + (1 - y)(1 - p)``,
      ``alpha_t = y alpha + (1 - y)(1 - alpha)``, or 1 when ``alpha`` is None: Keras
      ``binary_focal_crossentropy`` (``apply_class_balancing=alpha is not None``);
    * more classes: ``alpha (1 - p_t)**gamma (-log p_t)``, ``p_t`` the probability of
      the true class: Keras ``categorical_focal_crossentropy``, whose default
      ``alpha=0.25`` must be passed explicitly here (None means 1).

    Clipping: ``p`` is clipped to ``[eps, 1 - eps]`` with the float64 machine epsilon,
    like :func:`log_loss` (Keras clips to ``[1e-7, 1 - 1e-7]`` and renormalises
    multi-class rows), and ``1 - p_t`` is computed as ``1 - exp(-BCE)``, equal to
    Keras' value for ``p`` in ``[1e-7, 1 - 1e-7]``. ``gamma=0`` with ``alpha=None`` is
    :func:`log_loss`. scikit-learn and torch have no focal loss. Aliases:
    ``binary_focal_crossentropy``, ``categorical_focal_crossentropy``.

    Parameters
    ----------
    %PROBA_PARAMETERS%
    gamma : float, default=2.0
        Focusing parameter, >= 0.
    alpha : float or None, default=None
        Weight of the positive class, in (0, 1), for two classes and multi-label;
        a constant factor for more classes. None applies no weight.

    Returns
    -------
    %RETURNS%

    See Also
    --------
    sklearn_losses.losses.BinaryFocal : The loss.

    Examples
    --------
    >>> from sklearn_losses.metrics import binary_focal_loss
    >>> round(binary_focal_loss([0, 1, 1], [0.1, 0.8, 0.4], gamma=2.0), 6)
    0.113281
    """
    return _evaluate(
        BinaryFocal(gamma=gamma, alpha=alpha), y_true, y_pred, sample_weight, labels
    )


# -- classification: decision values ---------------------------------------------------
@_doc
def hinge_loss(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    labels: ArrayLike | None = None,
) -> float:
    """Hinge loss of decision values, the metric of the ``hinge`` loss.

    * two classes: ``max(0, 1 - y f)``, ``y = -1`` for the smaller label and ``+1``
      for the greater one, ``f`` the decision value;
    * more classes, Crammer-Singer: ``max(0, 1 - (f_t - max_{j != t} f_j))``;
    * multi-label indicator: the two-class form per label, averaged over labels.

    No clipping. The decision values of an estimator trained with this loss are its
    tanh outputs (the default activation), so a two-class sample costs at most 2.

    Equals :func:`sklearn.metrics.hinge_loss` on two-class targets with both classes
    present and on multi-class targets (Crammer-Singer). It differs on purpose on a
    fold with a single class: scikit-learn encodes it as -1 even when ``labels`` are
    given (``hinge_loss([1, 1], [2, 2], labels=[0, 1])`` is 3.0 there), this function
    by its position in ``labels`` (0.0). Keras ``hinge`` on {0, 1} labels converts them
    to {-1, +1} and gives the same two-class value; Keras ``categorical_hinge`` and
    torch ``MultiMarginLoss`` (Weston-Watkins) are other multi-class hinges. Alias:
    ``hinge``.

    Parameters
    ----------
    %DECISION_PARAMETERS%

    Returns
    -------
    %RETURNS%

    See Also
    --------
    sklearn_losses.losses.Hinge : The loss.
    squared_hinge_loss : Its square.
    categorical_hinge : Keras' multi-class hinge.

    Examples
    --------
    >>> from sklearn_losses.metrics import hinge_loss
    >>> hinge_loss(["no", "yes", "yes"], [-0.5, 0.5, 2.0])
    0.3333333333333333
    >>> hinge_loss([1, 1], [2.0, 2.0], labels=[0, 1])  # a fold with one class
    0.0
    """
    return _evaluate(Hinge(), y_true, y_pred, sample_weight, labels)


@_doc
def squared_hinge_loss(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    labels: ArrayLike | None = None,
) -> float:
    """Squared hinge loss of decision values, the metric of the ``squared_hinge`` loss.

    The square of :func:`hinge_loss` per sample (per label for multi-label targets,
    then averaged): ``max(0, 1 - y f)**2`` for two classes, the squared
    Crammer-Singer margin ``max(0, 1 - (f_t - max_{j != t} f_j))**2`` for more. No
    clipping; labels are encoded as in :func:`hinge_loss`. Equals Keras
    ``squared_hinge`` on two-class and multi-label targets; scikit-learn has no
    squared-hinge metric. Alias: ``squared_hinge``.

    Parameters
    ----------
    %DECISION_PARAMETERS%

    Returns
    -------
    %RETURNS%

    See Also
    --------
    sklearn_losses.losses.SquaredHinge : The loss.

    Examples
    --------
    >>> from sklearn_losses.metrics import squared_hinge
    >>> squared_hinge([0, 1, 1], [-0.5, 0.5, 2.0])
    0.16666666666666666
    """
    return _evaluate(SquaredHinge(), y_true, y_pred, sample_weight, labels)


@_doc
def categorical_hinge(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    labels: ArrayLike | None = None,
) -> float:
    """Keras' categorical hinge of decision values (``categorical_hinge`` loss).

    More than two classes: ``max(0, 1 + max_j((1 - y_j) s_j) - s_t)`` with ``y``
    one-hot and ``s`` the scores: Keras ``categorical_hinge``. The inner maximum
    includes the true class's 0, so it equals the Crammer-Singer hinge
    (:func:`hinge_loss`, :func:`sklearn.metrics.hinge_loss`) whenever the best wrong
    score is non-negative, and exceeds it otherwise. Two classes (one linear score
    ``f``): ``max(0, 1 - y f)`` with ``y`` in {-1, +1}, the two-class
    :func:`hinge_loss`. No clipping.

    Parameters
    ----------
    %DECISION_PARAMETERS%

    Returns
    -------
    %RETURNS%

    See Also
    --------
    sklearn_losses.losses.CategoricalHinge : The loss.

    Examples
    --------
    >>> from sklearn_losses.metrics import categorical_hinge
    >>> scores = [[2.0, -1.0, -0.5], [0.5, 0.4, -3.0], [-1.0, -2.0, -0.5]]
    >>> round(categorical_hinge([0, 1, 2], scores), 6)  # (0 + 1.1 + 1.5) / 3
    0.866667
    >>> from sklearn_losses.metrics import hinge_loss
    >>> round(hinge_loss([0, 1, 2], scores), 6)  # Crammer-Singer: (0 + 1.1 + 0.5) / 3
    0.533333
    """
    return _evaluate(CategoricalHinge(), y_true, y_pred, sample_weight, labels)


# -- Keras names and other aliases ----------------------------------------------------
mean_squared_logarithmic_error = mean_squared_log_error
huber = mean_huber_loss
log_cosh = mean_log_cosh
quantile_loss = mean_pinball_loss
binary_crossentropy = log_loss
categorical_crossentropy = log_loss
hinge = hinge_loss
squared_hinge = squared_hinge_loss
binary_focal_crossentropy = binary_focal_loss


# -- functions derived from the loss classes ------------------------------------------
# A registered loss whose functions are not written out above gets them here: the
# signature is (y_true, y_pred, *, sample_weight=None, labels=None for classification,
# multioutput= for regression, then the loss's constructor parameters but
# out_activation, with their defaults), the docstring is built from the class's.
_COMMON = ("y_true", "y_pred", "sample_weight", "labels", "multioutput")
_KEYWORD = inspect.Parameter.KEYWORD_ONLY


def _loss_parameters(cls: type[Loss]) -> list[inspect.Parameter]:
    """The constructor parameters of a loss that its metric takes as keywords."""
    parameters = inspect.signature(cls.__init__).parameters.values()
    return [
        p.replace(kind=_KEYWORD)
        for p in parameters
        if p.name not in ("self", "out_activation")
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


def _signature(cls: type[Loss]) -> inspect.Signature:
    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    parameters = [
        inspect.Parameter("y_true", positional, annotation="ArrayLike"),
        inspect.Parameter("y_pred", positional, annotation="ArrayLike"),
        inspect.Parameter(
            "sample_weight", _KEYWORD, default=None, annotation="ArrayLike | None"
        ),
    ]
    if cls.tasks - {"regression"}:
        parameters.append(
            inspect.Parameter(
                "labels", _KEYWORD, default=None, annotation="ArrayLike | None"
            )
        )
    if "regression" in cls.tasks:
        parameters.append(
            inspect.Parameter(
                "multioutput",
                _KEYWORD,
                default="uniform_average",
                annotation="str | ArrayLike",
            )
        )
    return inspect.Signature(
        parameters + _loss_parameters(cls), return_annotation="float"
    )


def _numpydoc_sections(doc: str) -> dict[str, str]:
    """A numpydoc docstring split into its sections (the summary under "")."""
    sections, title, lines = {}, "", []
    doc_lines = inspect.cleandoc(doc or "").splitlines()
    i = 0
    while i < len(doc_lines):
        line = doc_lines[i]
        underline = doc_lines[i + 1] if i + 1 < len(doc_lines) else ""
        if line.strip() and set(underline.strip()) == {"-"}:
            sections[title] = "\n".join(lines).strip("\n")
            title, lines = line.strip(), []
            i += 2
            continue
        lines.append(line)
        i += 1
    sections[title] = "\n".join(lines).strip("\n")
    return sections


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines())


def _docstring(cls: type[Loss], function_name: str) -> str:
    sections = _numpydoc_sections(cls.__doc__)
    summary = sections.get("", "").split("\n\n", 1)
    extended = summary[1] if len(summary) > 1 else ""
    response = cls.__new__(cls).response_method_for(
        "regression" if cls.tasks == {"regression"} else "binary"
    )
    parts = [
        f"Metric of the ``{cls.name}`` loss: {summary[0].rstrip('.')}.",
        "",
        f"The mean of the loss over samples, in float64, on what ``{response}``",
        "returns. " + extended if extended else "returns.",
        "",
        "Parameters",
        "----------",
    ]
    if cls.tasks == {"regression"}:
        parts.append(_SECTIONS["REGRESSION_PARAMETERS"])
    else:
        key = "PROBA_PARAMETERS" if cls.probabilistic else "DECISION_PARAMETERS"
        parts.append(_SECTIONS[key])
        if "regression" in cls.tasks:
            parts.append(_indent(_SECTIONS["REGRESSION_PARAMETERS"].split("\n", 6)[-1]))
    own = _class_parameter_docs(sections.get("Parameters", ""))
    parts += [_indent(own)] if own else []
    returns = "REGRESSION_RETURNS" if "regression" in cls.tasks else "RETURNS"
    parts += ["", "Returns", "-------", _SECTIONS[returns], "", "See Also", "--------"]
    parts.append(f"    sklearn_losses.losses.{cls.__name__} : The loss.")
    if "Examples" in sections:
        parts += ["", "Examples", "--------", _indent(sections["Examples"])]
    head, *rest = "\n".join(parts).split("\n")
    return (
        head
        + "\n"
        + "\n".join(
            line if not line or line.startswith("    ") else f"    {line}"
            for line in rest
        )
    )


def _class_parameter_docs(text: str) -> str:
    """The class's parameter entries, without ``out_activation``."""
    entries, current = [], []
    for line in text.splitlines():
        if line and not line.startswith(" "):
            if current:
                entries.append(current)
            current = [line]
        elif current:
            current.append(line)
    if current:
        entries.append(current)
    kept = [e for e in entries if not e[0].startswith("out_activation")]
    return "\n".join("\n".join(e) for e in kept)


def metric_function(cls: type[Loss], function_name: str | None = None):
    """Build the metric function of a loss class, as :mod:`sklearn_losses.metrics`
    exposes it.

    Parameters
    ----------
    cls : type
        A :class:`~sklearn_losses.losses.Loss` subclass.
    function_name : str, default=None
        The function's name; None uses the first of the class's metric names.

    Returns
    -------
    callable
        ``f(y_true, y_pred, *, sample_weight=None, ..., **loss_parameters)``, which
        builds ``cls(**loss_parameters)``, validates it and returns its
        :meth:`~sklearn_losses.losses.Loss.metric`.

    Examples
    --------
    >>> from sklearn_losses.losses import Huber
    >>> from sklearn_losses.metrics import metric_function
    >>> f = metric_function(Huber, "my_huber")
    >>> f
    <function my_huber...>
    >>> f([0.0, 0.0], [0.5, 3.0], delta=1.0)
    1.3125
    """
    signature = _signature(cls)
    own = [p.name for p in _loss_parameters(cls)]
    name = function_name or cls.metric_function_names()[0]

    def function(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = bound.arguments
        loss = cls(**{key: arguments[key] for key in own})
        extra = {
            key: arguments[key] for key in ("labels", "multioutput") if key in arguments
        }
        return _evaluate(
            loss,
            arguments["y_true"],
            arguments["y_pred"],
            arguments["sample_weight"],
            **extra,
        )

    function.__name__ = function.__qualname__ = name
    function.__module__ = __name__
    function.__signature__ = signature
    function.__doc__ = _docstring(cls, name)
    return function


def _loss_metrics() -> dict[str, tuple[str, ...]]:
    """Each registered loss's metric function names, canonical first."""
    return {
        name: _registry._REGISTRY[name].metric_function_names() for name in loss_names()
    }


def _derive_functions() -> None:
    """Create the functions of the registered losses that are not written out."""
    for name, function_names in _loss_metrics().items():
        if function_names[0] in globals():
            continue
        function = metric_function(_registry._REGISTRY[name])
        for function_name in function_names:
            globals()[function_name] = function
            __all__.append(function_name)


_derive_functions()
__all__.sort()


def __getattr__(attribute: str):
    # Losses registered after this module was imported (a user's own) get their
    # functions on first use; LOSS_METRICS is computed from the registry.
    if attribute == "LOSS_METRICS":
        return _loss_metrics()
    for name, function_names in _loss_metrics().items():
        if attribute in function_names:
            return metric_function(_registry._REGISTRY[name], function_names[0])
    raise AttributeError(f"module {__name__!r} has no attribute {attribute!r}")
