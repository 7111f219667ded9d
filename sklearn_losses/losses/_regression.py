"""Regression losses: one or more continuous outputs, averaged over outputs."""

from __future__ import annotations

import math
from numbers import Real
from typing import ClassVar

import numpy as np
import scipy.optimize
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_consistent_length

from ._activation import Activation
from ._base import (
    KERAS_EPSILON,
    Loss,
    clip_raw,
    column_means,
    inverse_activation,
    per_sample,
    weighted_quantile,
)
from ._interval import NON_NEGATIVE, POSITIVE
from ._quantile_levels import (
    check_levels,
    increasing_activation,
    increasing_name,
    pinball_levels,
    point_level,
    quantile_intercepts,
)


class RegressionLoss(Loss):
    """Base of element-wise regression losses; subclasses define :meth:`pointwise`.

    Parameters
    ----------
    out_activation : {"identity", "exp", "softplus"}, default=None
        Output activation; None uses the loss's default (identity).

    Examples
    --------
    A new regression loss is a name and an element-wise formula:

    >>> import torch
    >>> from sklearn_losses.losses import RegressionLoss
    >>> class Cauchy(RegressionLoss):
    ...     name = "cauchy"
    ...     def pointwise(self, y_pred, y_true):
    ...         return torch.log1p((y_pred - y_true) ** 2)
    >>> round(Cauchy().metric([0.0, 0.0], [1.0, 3.0]), 4)  # (log 2 + log 10) / 2
    1.4979
    """

    tasks = frozenset({"regression"})
    default_activation: ClassVar[dict[str, str]] = {"regression": "identity"}
    allowed_activations = frozenset({"identity", "exp", "softplus"})
    _parameter_constraints: ClassVar[dict] = {
        "out_activation": [StrOptions(set(allowed_activations)), None]
    }

    def __init__(self, out_activation: str | None = None):
        self.out_activation = out_activation

    def pointwise(self, y_pred: torch.Tensor, y_true: torch.Tensor) -> torch.Tensor:
        """Element-wise loss, same shape as the inputs."""
        raise NotImplementedError

    def pointwise_loss_gradient(
        self, y_pred: torch.Tensor, y_true: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Element-wise loss and its derivative with respect to ``y_pred``.

        Optional: a loss that defines only :meth:`pointwise` is differentiated by
        autograd.
        """
        raise NotImplementedError

    def loss(self, y_pred, y_true):
        return self.pointwise(y_pred, y_true).mean(dim=1)

    def best_constant(
        self, y_true: np.ndarray, sample_weight: np.ndarray | None
    ) -> np.ndarray | None:
        """Per output, the constant prediction (after the activation) minimising the
        weighted mean of :meth:`pointwise`; None where there is no closed form.

        :meth:`fit_intercept_only` maps it through the inverse of the output
        activation. A subclass that redefines :meth:`pointwise` without it gets the
        numerical answer of :meth:`Loss.fit_intercept_only`.
        """
        return None

    def fit_intercept_only(self, y_true, sample_weight, task):
        best = self.best_constant(np.asarray(y_true, dtype=np.float64), sample_weight)
        if best is None:
            return super().fit_intercept_only(y_true, sample_weight, task)
        activation = self.activation(task)
        return clip_raw(activation, inverse_activation(activation, best))

    def raw_loss_gradient(self, raw, y_true, activation, sample_weight=None):
        y_pred = activation.torch_fn(raw)
        values, derivative = self.pointwise_loss_gradient(y_pred, y_true)
        gradient = activation.torch_backward(derivative, y_pred, raw)
        return per_sample(values, gradient, sample_weight)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "pointwise_loss_gradient" in vars(cls) and "raw_loss_gradient" not in vars(
            cls
        ):
            # Written out element-wise: compose it, even below a parent that went
            # back to autograd.
            cls.raw_loss_gradient = RegressionLoss.raw_loss_gradient


class SquaredError(RegressionLoss):
    """Mean squared error, ``(y_pred - y_true)**2``.

    Equals :func:`sklearn.metrics.mean_squared_error` and Keras ``mse``. Note that
    scikit-learn's own ``MLPRegressor`` minimises half of it.

    Parameters
    ----------
    out_activation : {"identity", "exp", "softplus"}, default=None
        Output activation; None means identity.

    Examples
    --------
    >>> from sklearn_losses.losses import SquaredError, get_loss
    >>> get_loss("mse")
    SquaredError()
    >>> SquaredError().metric([0.0, 0.0], [1.0, 2.0])  # (1**2 + 2**2) / 2
    2.5
    >>> SquaredError(out_activation="softplus").activation("regression")
    'softplus'
    """

    name = "squared_error"
    aliases = ("mse", "MSE", "mean_squared_error")
    metric_names = ("mean_squared_error",)

    def pointwise(self, y_pred, y_true):
        return (y_pred - y_true).square()

    def pointwise_loss_gradient(self, y_pred, y_true):
        error = y_pred - y_true
        return error.square(), error * 2.0

    def best_constant(self, y_true, sample_weight):
        return column_means(y_true, sample_weight)


class AbsoluteError(RegressionLoss):
    """Mean absolute error, ``|y_pred - y_true|``; robust to outliers in the target.

    Its minimiser is the conditional median. Equals
    :func:`sklearn.metrics.mean_absolute_error`, Keras ``mae`` and torch ``L1Loss``.

    Parameters
    ----------
    out_activation : {"identity", "exp", "softplus"}, default=None
        Output activation; None means identity.

    Examples
    --------
    >>> from sklearn_losses.losses import AbsoluteError
    >>> AbsoluteError().metric([0.0, 0.0], [1.0, -2.0])  # (1 + 2) / 2
    1.5
    """

    name = "absolute_error"
    aliases = ("mae", "MAE", "mean_absolute_error")
    metric_names = ("mean_absolute_error",)

    def pointwise(self, y_pred, y_true):
        return (y_pred - y_true).abs()

    def pointwise_loss_gradient(self, y_pred, y_true):
        error = y_pred - y_true
        return error.abs(), error.sign()

    def best_constant(self, y_true, sample_weight):
        return weighted_quantile(y_true, sample_weight, 0.5)  # the weighted median


class SquaredLogError(RegressionLoss):
    """Mean squared logarithmic error, Keras definition.

    ``(log1p(max(y_pred, 1e-7)) - log1p(max(y_true, 1e-7)))**2``. Values below zero are
    clipped before the log, so negative targets are all treated alike; a warning says
    so. On non-negative values it equals :func:`sklearn.metrics.mean_squared_log_error`
    except below ``1e-7``.

    Parameters
    ----------
    out_activation : {"identity", "exp", "softplus"}, default=None
        Output activation; None means identity.

    Examples
    --------
    >>> from sklearn_losses.losses import SquaredLogError
    >>> round(SquaredLogError().metric([3.0], [2.0]), 6)  # (log 4 - log 3)**2
    0.082761
    >>> SquaredLogError().metric([-3.0], [0.0])  # -3 is clipped like 0
    0.0
    """

    name = "squared_log_error"
    aliases = (
        "msle",
        "MSLE",
        "mean_squared_logarithmic_error",
        "mean_squared_log_error",
    )
    metric_names = ("mean_squared_log_error", "mean_squared_logarithmic_error")
    # Meant for non-negative targets; below 0 the Keras clipping still gives a value.
    interval_y_true = NON_NEGATIVE
    target_domain = "warn"
    target_domain_hint = (
        "The squared_log_error loss clips values below 0 before taking the log: "
        "every negative target looks like 0 to it, so it fits them poorly. Use it for "
        "non-negative targets with a wide spread, or choose 'squared_error'."
    )

    def pointwise(self, y_pred, y_true):
        log_pred = torch.log1p(y_pred.clamp_min(KERAS_EPSILON))
        log_true = torch.log1p(y_true.clamp_min(KERAS_EPSILON))
        return (log_pred - log_true).square()

    def pointwise_loss_gradient(self, y_pred, y_true):
        clipped = y_pred.clamp_min(KERAS_EPSILON)
        error = torch.log1p(clipped) - torch.log1p(y_true.clamp_min(KERAS_EPSILON))
        slope = (2.0 * error).div_(clipped + 1.0)
        # No gradient where the prediction is clipped (autograd's clamp_min rule).
        return error.square(), slope.masked_fill_(y_pred < KERAS_EPSILON, 0.0)

    def best_constant(self, y_true, sample_weight):
        # A squared error on log1p(y): the mean there, mapped back. It is positive,
        # so the default identity output starts where the clipped log has a
        # gradient and does not stall below zero (what stalled it before). The
        # default stays identity, Keras' choice for this loss: a user switching
        # over gets the model they know; out_activation="exp" remains available.
        log_true = np.log1p(np.clip(y_true, KERAS_EPSILON, None))
        return np.expm1(column_means(log_true, sample_weight))


class Huber(RegressionLoss):
    """Huber loss: squared near zero, linear beyond ``delta``.

    ``0.5 e**2`` if ``|e| <= delta`` else ``delta (|e| - 0.5 delta)``, with
    ``e = y_pred - y_true``; equals Keras ``huber`` and torch ``HuberLoss``.

    Parameters
    ----------
    delta : float, default=1.0
        Where the loss turns from quadratic to linear.
    out_activation : {"identity", "exp", "softplus"}, default=None
        Output activation; None means identity.

    Examples
    --------
    >>> from sklearn_losses import MLPRegressor
    >>> from sklearn_losses.losses import Huber
    >>> Huber().metric([0.0, 0.0], [0.5, 3.0])  # (0.5 * 0.5**2 + (3 - 0.5)) / 2
    1.3125
    >>> reg = MLPRegressor(loss=Huber(delta=0.5))
    >>> reg.set_params(loss__delta=2.0).loss
    Huber(delta=2.0)
    """

    name = "huber"
    aliases = ("huber_loss",)
    metric_names = ("mean_huber_loss", "huber")
    _parameter_constraints: ClassVar[dict] = {
        **RegressionLoss._parameter_constraints,
        "delta": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, delta: float = 1.0, out_activation: str | None = None):
        self.delta = delta
        self.out_activation = out_activation

    def pointwise(self, y_pred, y_true):
        return F.huber_loss(y_pred, y_true, reduction="none", delta=float(self.delta))

    def pointwise_loss_gradient(self, y_pred, y_true):
        delta = float(self.delta)
        values = F.huber_loss(y_pred, y_true, reduction="none", delta=delta)
        return values, (y_pred - y_true).clamp_(-delta, delta)

    def best_constant(self, y_true, sample_weight):
        # Where the weighted mean of the clipped errors is zero.
        delta = float(self.delta)
        return _solve_increasing(
            lambda c, y: np.clip(c - y, -delta, delta), y_true, sample_weight
        )


class LogCosh(RegressionLoss):
    """Logarithm of the hyperbolic cosine of the error (Keras ``log_cosh``).

    Computed in the overflow-free form ``e + softplus(-2 e) - log 2``. It is about
    ``e**2 / 2`` for small errors and ``|e| - log 2`` for large ones.

    Parameters
    ----------
    out_activation : {"identity", "exp", "softplus"}, default=None
        Output activation; None means identity.

    Examples
    --------
    >>> from sklearn_losses.losses import LogCosh
    >>> round(LogCosh().metric([0.0], [1.0]), 6)  # log(cosh(1))
    0.433781
    >>> round(LogCosh().metric([0.0], [1000.0]), 4)  # 1000 - log 2, no overflow
    999.3069
    """

    name = "log_cosh"
    aliases = ("logcosh",)
    metric_names = ("mean_log_cosh", "log_cosh")

    def pointwise(self, y_pred, y_true):
        error = y_pred - y_true
        return error + F.softplus(-2.0 * error) - math.log(2.0)

    def pointwise_loss_gradient(self, y_pred, y_true):
        error = y_pred - y_true
        return error + F.softplus(-2.0 * error) - math.log(2.0), torch.tanh(error)

    def best_constant(self, y_true, sample_weight):
        # Where the weighted mean of tanh(error), the derivative, is zero.
        return _solve_increasing(lambda c, y: np.tanh(c - y), y_true, sample_weight)


class Poisson(Loss):
    """Poisson deviance with an exponential output (the network predicts a log-rate).

    ``2 (y log(y / y_pred) - y + y_pred)``, equal to
    :func:`sklearn.metrics.mean_poisson_deviance`. It differs from the Poisson negative
    log-likelihood (Keras ``poisson``, torch ``PoissonNLLLoss``) by a factor 2 and a term
    that depends on the targets only, so both have the same minimiser.
    Targets must be non-negative.

    Examples
    --------
    >>> from sklearn_losses.losses import Poisson
    >>> Poisson().activation("regression")
    'exp'
    >>> Poisson().metric([0.0, 2.0], [1.0, 2.0])  # (2 * (0 - 0 + 1) + 0) / 2
    1.0
    """

    name = "poisson"
    tasks = frozenset({"regression"})
    default_activation: ClassVar[dict[str, str]] = {"regression": "exp"}
    metric_names = ("mean_poisson_deviance",)
    interval_y_true = NON_NEGATIVE
    interval_y_pred = POSITIVE
    _parameter_constraints: ClassVar[dict] = {}

    def loss(self, y_pred, y_true):
        deviance = torch.xlogy(y_true, y_true / y_pred) - y_true + y_pred
        return 2.0 * deviance.mean(dim=1)

    def raw_loss(self, raw, y_true, activation: Activation):
        # With log-rate z: y log(y / exp z) = xlogy(y, y) - y z; no overflow in log.
        deviance = torch.xlogy(y_true, y_true) - y_true * raw - y_true + torch.exp(raw)
        return 2.0 * deviance.mean(dim=1)

    def raw_loss_gradient(self, raw, y_true, activation, sample_weight=None):
        rate = torch.exp(raw)
        deviance = torch.xlogy(y_true, y_true) - y_true * raw - y_true + rate
        return per_sample(2.0 * deviance, 2.0 * (rate - y_true), sample_weight)

    def fit_intercept_only(self, y_true, sample_weight, task):
        # The log of the weighted mean (scikit-learn's HalfPoissonLoss).
        activation = self.activation(task)
        mean = column_means(y_true, sample_weight)
        return clip_raw(activation, inverse_activation(activation, mean))


class Quantile(RegressionLoss):
    """Pinball loss for the ``alpha`` quantile, or for several quantiles at once.

    ``max(alpha (y - q), (alpha - 1) (y - q))``; equals
    :func:`sklearn.metrics.mean_pinball_loss`. ``alpha=0.5`` is half the absolute error.

    With a sequence of levels (``alpha=[0.05, 0.5, 0.95]``) one network predicts
    them all: one output per level and target, and the loss is the pinball loss
    averaged over levels and targets (each level's term is ``mean_pinball_loss`` at
    that level). The quantiles never cross, by construction: the lowest level goes
    through the output activation and each higher level adds a softplus increment
    to the one below (``out_activation_`` is ``"increasing"``, or
    ``"increasing_exp"``, ``"increasing_softplus"`` on those bases). The regressor's
    ``predict_quantiles(X)`` returns every level; ``predict(X)`` returns one, the
    level nearest 0.5 (the median when 0.5 is among the levels; the lower of two
    equally near), so ``score`` and pipelines work as usual. The metric and the
    scorer take what ``predict_quantiles`` returns.

    Parameters
    ----------
    alpha : float or array-like of float, default=0.5
        The quantile to predict, in (0, 1); or several strictly increasing levels
        in (0, 1).
    out_activation : {"identity", "exp", "softplus"}, default=None
        Output activation (of the lowest level, with several levels); None means
        identity.

    Examples
    --------
    >>> from sklearn_losses.losses import Quantile
    >>> loss = Quantile(alpha=0.9)
    >>> round(loss.metric([1.0, 2.0, 3.0], [2.0, 2.0, 2.0]), 6)  # (0.1 + 0 + 0.9) / 3
    0.333333

    Several levels: three outputs per target, and a metric over all of them
    (``y_pred`` holds one column per level):

    >>> loss = Quantile(alpha=[0.1, 0.5, 0.9])
    >>> loss.n_outputs("regression", 1), loss.activation("regression")
    (3, 'increasing')
    >>> round(loss.metric([1.0], [[0.0, 1.0, 3.0]]), 6)  # (0.1 + 0 + 0.2) / 3
    0.1
    """

    name = "quantile"
    aliases = ("pinball", "pinball_loss")
    metric_names = ("mean_pinball_loss", "quantile_loss")
    _parameter_constraints: ClassVar[dict] = {
        **RegressionLoss._parameter_constraints,
        "alpha": [Interval(Real, 0, 1, closed="neither"), "array-like"],
    }

    def __init__(self, alpha: float = 0.5, out_activation: str | None = None):
        self.alpha = alpha
        self.out_activation = out_activation

    def pointwise(self, y_pred, y_true):
        diff = y_true - y_pred
        return torch.maximum(self.alpha * diff, (self.alpha - 1.0) * diff)

    def pointwise_loss_gradient(self, y_pred, y_true):
        alpha = float(self.alpha)
        diff = y_true - y_pred
        values = torch.maximum(alpha * diff, (alpha - 1.0) * diff)
        # -alpha above the quantile, 1 - alpha below, their mean at the kink (where
        # autograd splits torch.maximum's gradient between equal arguments).
        return values, (0.5 - alpha) - 0.5 * diff.sign()

    # -- several levels (see _quantile_levels.py); a float alpha keeps the above -----
    def quantile_levels(self) -> np.ndarray:
        """The levels as a float array (one element for a float ``alpha``)."""
        return check_levels(np.atleast_1d(self.alpha))

    def _several_levels(self) -> bool:
        return np.ndim(self.alpha) > 0

    def validate(self):
        super().validate()
        self.quantile_levels()

    def activation(self, task):
        base = super().activation(task)
        return increasing_name(base) if self._several_levels() else base

    def output_activation(self, task):
        if not self._several_levels():
            return super().output_activation(task)
        return increasing_activation(
            len(self.quantile_levels()), super().activation(task)
        )

    def n_outputs(self, task, n_columns):
        return n_columns * (
            len(self.quantile_levels()) if self._several_levels() else 1
        )

    def point_prediction(self, y_pred):
        if not self._several_levels():
            return y_pred
        levels = self.quantile_levels()
        return y_pred[:, point_level(levels) :: len(levels)]

    def loss(self, y_pred, y_true):
        if not self._several_levels():
            return super().loss(y_pred, y_true)
        values, _ = pinball_levels(y_pred, y_true, self.quantile_levels())
        return values.mean(dim=1)

    def raw_loss_gradient(self, raw, y_true, activation, sample_weight=None):
        if not self._several_levels():
            return super().raw_loss_gradient(raw, y_true, activation, sample_weight)
        y_pred = activation.torch_fn(raw)
        values, derivative = pinball_levels(y_pred, y_true, self.quantile_levels())
        gradient = activation.torch_backward(derivative, y_pred, raw)
        return per_sample(values, gradient, sample_weight)

    def best_constant(self, y_true, sample_weight):
        return weighted_quantile(y_true, sample_weight, float(self.alpha))

    def fit_intercept_only(self, y_true, sample_weight, task) -> np.ndarray:
        """Raw outputs of the best constant quantiles: each target's weighted
        ``alpha`` quantile(s), mapped back through the output activation.

        A float ``alpha`` takes :meth:`best_constant` through the output activation's
        inverse; several levels start the lowest there and each higher level's
        increment at the gap to the level below.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples, n_targets)
            Encoded targets.
        sample_weight : ndarray of shape (n_samples,) or None
            Sample weights.
        task : str
            The task (regression).

        Returns
        -------
        ndarray of shape (n_targets * n_levels,)
            Raw outputs, target by target.
        """
        if not self._several_levels():
            return super().fit_intercept_only(y_true, sample_weight, task)
        return quantile_intercepts(
            y_true, sample_weight, self.quantile_levels(), super().activation(task)
        )

    def response_method_for(self, task):
        if self._several_levels():
            return "predict_quantiles"
        return super().response_method_for(task)

    def _metric_values(
        self, y_true, y_pred, *, labels=None, task=None, per_output=False
    ):
        if not self._several_levels():
            return super()._metric_values(
                y_true, y_pred, labels=labels, task=task, per_output=per_output
            )
        self.check_task("regression" if task is None else task)
        levels = self.quantile_levels()
        y_true = check_array(
            y_true, ensure_2d=False, dtype=np.float64, input_name="y_true"
        )
        y_pred = check_array(
            y_pred,
            ensure_2d=False,
            allow_nd=True,
            dtype=np.float64,
            input_name="y_pred",
        )
        check_consistent_length(y_true, y_pred)
        y_true = y_true.reshape(len(y_true), -1)
        if y_pred.ndim == 2 and y_true.shape[1] == 1:
            y_pred = y_pred[:, np.newaxis, :]
        if y_pred.shape[1:] != (y_true.shape[1], len(levels)):
            raise ValueError(
                f"y_pred must hold one column per quantile level, as predict_quantiles "
                f"returns it: shape (n_samples, {len(levels)}), or (n_samples, "
                f"n_outputs, {len(levels)}) for several outputs; got {y_pred.shape} "
                f"for {y_true.shape[1]} output(s)."
            )
        with torch.no_grad():
            values, _ = pinball_levels(
                torch.as_tensor(y_pred.reshape(len(y_pred), -1)),
                torch.as_tensor(y_true),
                levels,
            )
        # the mean over levels, per output (multioutput) or over outputs too
        values = values.numpy().reshape(y_pred.shape).mean(axis=2)
        values = values if per_output else values.mean(axis=1)
        return values.astype(np.float64, copy=False)


def _solve_increasing(derivative, y_true, sample_weight) -> np.ndarray:
    """Per column, the root of ``c -> mean_w derivative(c, y)`` between the smallest
    and the largest target (the derivative of a convex loss increases in ``c``)."""
    y_true = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
    out = np.empty(y_true.shape[1])
    for j, y in enumerate(y_true.T):
        low, high = float(np.min(y)), float(np.max(y))
        if low == high:
            out[j] = low
            continue
        out[j] = scipy.optimize.brentq(
            lambda c, y=y: np.average(derivative(c, y), weights=sample_weight),
            low,
            high,
            xtol=1e-12 * max(1.0, abs(low), abs(high)),
        )
    return out
