"""Regression losses of scikit-learn's GLMs and SGD, and Keras' percentage error."""

from __future__ import annotations

from numbers import Real
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval

from ._activation import Activation
from ._base import Loss, per_sample
from ._interval import NON_NEGATIVE, POSITIVE, REAL_LINE
from ._regression import RegressionLoss

#: scikit-learn's floor of ``|y_true|`` in the percentage error (float64 machine eps)
_F64_EPS = float(np.finfo(np.float64).eps)


def _tweedie_deviance(y, mu, power: float) -> torch.Tensor:
    """Unit Tweedie deviance of mean ``mu``, scikit-learn's cases."""
    if power == 0:
        return (y - mu).square()
    if power == 1:
        return 2.0 * (torch.xlogy(y, y / mu) - y + mu)
    if power == 2:
        return 2.0 * (torch.log(mu / y) + y / mu - 1.0)
    return 2.0 * (
        y.clamp_min(0.0).pow(2.0 - power) / ((1.0 - power) * (2.0 - power))
        - y * mu.pow(1.0 - power) / (1.0 - power)
        + mu.pow(2.0 - power) / (2.0 - power)
    )


class Tweedie(Loss):
    """Tweedie deviance with an exponential output (the network predicts a log-mean).

    ``2 (max(y, 0)**(2-p) / ((1-p)(2-p)) - y mu**(1-p) / (1-p) + mu**(2-p) / (2-p))``
    with ``mu`` the prediction and ``p = power``; ``power=0`` is the squared error,
    ``1`` the Poisson and ``2`` the Gamma deviance. Equals
    :func:`sklearn.metrics.mean_tweedie_deviance`; the link is scikit-learn's
    ``TweedieRegressor(link="log")``. No clipping. ``1 < power < 2`` (the default,
    scikit-learn's ``HalfTweedieLoss`` default) models non-negative amounts with
    exact zeros, such as insurance claims or rainfall; targets must be non-negative
    for ``1 <= power < 2`` and strictly positive for ``power >= 2``.

    Parameters
    ----------
    power : float, default=1.5
        The Tweedie power, ``<= 0`` or ``>= 1``.

    Examples
    --------
    >>> from sklearn_losses.metrics import mean_tweedie_deviance
    >>> round(mean_tweedie_deviance([0.0, 2.0], [1.0, 2.0]), 6)  # 2 * (1 / 0.5) / 2
    2.0
    >>> mean_tweedie_deviance([1.0, 2.0], [1.0, 4.0], power=0)  # squared error
    2.0
    """

    name = "tweedie"
    metric_names = ("mean_tweedie_deviance",)
    tasks = frozenset({"regression"})
    default_activation: ClassVar[dict[str, str]] = {"regression": "exp"}
    _parameter_constraints: ClassVar[dict] = {
        "power": [
            Interval(Real, None, 0, closed="right"),
            Interval(Real, 1, None, closed="left"),
        ]
    }

    def __init__(self, power: float = 1.5):
        self.power = power

    @property
    def interval_y_true(self):  # type: ignore[override]
        if self.power <= 0:
            return REAL_LINE
        return NON_NEGATIVE if self.power < 2 else POSITIVE

    @property
    def interval_y_pred(self):  # type: ignore[override]
        return REAL_LINE if self.power == 0 else POSITIVE

    def loss(self, y_pred, y_true):
        return _tweedie_deviance(y_true, y_pred, float(self.power)).mean(dim=1)

    def _raw_deviance(self, raw, y):
        # With mu = exp(z): mu**a = exp(a z), no overflow in the powers of mu.
        p = float(self.power)
        if p == 0:
            return (y - torch.exp(raw)).square()
        if p == 1:
            return 2.0 * (torch.xlogy(y, y) - y * raw - y + torch.exp(raw))
        if p == 2:
            return 2.0 * (raw - torch.log(y) + y * torch.exp(-raw) - 1.0)
        return 2.0 * (
            y.clamp_min(0.0).pow(2.0 - p) / ((1.0 - p) * (2.0 - p))
            - y * torch.exp((1.0 - p) * raw) / (1.0 - p)
            + torch.exp((2.0 - p) * raw) / (2.0 - p)
        )

    def raw_loss(self, raw, y_true, activation: Activation):
        return self._raw_deviance(raw, y_true).mean(dim=1)

    def raw_loss_gradient(self, raw, y_true, activation, sample_weight=None):
        p = float(self.power)
        # d deviance / dz = 2 mu**(1-p) (mu - y) for every power
        mu = torch.exp(raw)
        gradient = 2.0 * (mu - y_true)
        if p != 1:
            gradient *= torch.exp((1.0 - p) * raw)
        return per_sample(self._raw_deviance(raw, y_true), gradient, sample_weight)

    def fit_intercept_only(self, y_true, sample_weight, task) -> np.ndarray:
        """The log of the weighted mean of each output: the constant that minimises
        every Tweedie deviance (scikit-learn's ``fit_intercept_only``), as a raw
        output of the exponential activation.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples, n_outputs)
            Encoded targets.
        sample_weight : ndarray of shape (n_samples,) or None
            Sample weights.
        task : str
            The task (regression).

        Returns
        -------
        ndarray of shape (n_outputs,)
            The raw output, clipped to [-50, 50].
        """
        mean = np.average(
            np.asarray(y_true, dtype=np.float64), axis=0, weights=sample_weight
        )
        tiny = np.finfo(np.float64).tiny  # power <= 0 allows a mean <= 0
        return np.clip(np.log(np.maximum(mean, tiny)), -50.0, 50.0)


class Gamma(Tweedie):
    """Gamma deviance with an exponential output: ``2 (log(mu / y) + y / mu - 1)``.

    The Tweedie deviance of power 2 (:class:`Tweedie`); equals
    :func:`sklearn.metrics.mean_gamma_deviance`. It weighs relative errors alike
    whatever the scale of the target (positive amounts, durations, costs). Targets
    and predictions must be strictly positive. No clipping.

    Examples
    --------
    >>> from sklearn_losses.metrics import mean_gamma_deviance
    >>> round(mean_gamma_deviance([1.0, 2.0], [1.0, 4.0]), 6)  # (0 + 2 (log 2 - 0.5)) / 2
    0.193147
    """

    name = "gamma"
    metric_names = ("mean_gamma_deviance",)
    power = 2.0
    _parameter_constraints: ClassVar[dict] = {}

    def __init__(self):
        pass


class EpsilonInsensitive(RegressionLoss):
    """Epsilon-insensitive loss ``max(0, |y_pred - y_true| - epsilon)`` (SVR's).

    Errors smaller than ``epsilon`` cost nothing, larger ones linearly: the loss of
    :class:`sklearn.linear_model.SGDRegressor` (``loss="epsilon_insensitive"``) and
    of support vector regression. No clipping.

    Parameters
    ----------
    epsilon : float, default=0.1
        Width of the zero-cost band, >= 0 (SGDRegressor's default).
    out_activation : {"identity", "exp", "softplus"}, default=None
        Output activation; None means identity.

    Examples
    --------
    >>> from sklearn_losses.metrics import epsilon_insensitive
    >>> round(epsilon_insensitive([0.0, 0.0], [0.05, 1.0]), 6)  # (0 + 0.9) / 2
    0.45
    """

    name = "epsilon_insensitive"
    _parameter_constraints: ClassVar[dict] = {
        **RegressionLoss._parameter_constraints,
        "epsilon": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, epsilon: float = 0.1, out_activation: str | None = None):
        self.epsilon = epsilon
        self.out_activation = out_activation

    def pointwise(self, y_pred, y_true):
        return F.relu((y_pred - y_true).abs() - self.epsilon)

    def pointwise_loss_gradient(self, y_pred, y_true):
        error = y_pred - y_true
        excess = F.relu(error.abs() - float(self.epsilon))
        # sign(error) outside the band, 0 inside and on its edges (relu's rule)
        return excess, error.sign() * (excess > 0)


class SquaredEpsilonInsensitive(EpsilonInsensitive):
    """Squared epsilon-insensitive loss ``max(0, |y_pred - y_true| - epsilon)**2``.

    The loss of :class:`sklearn.linear_model.SGDRegressor`
    (``loss="squared_epsilon_insensitive"``): no cost within ``epsilon``, quadratic
    beyond. No clipping.

    Parameters
    ----------
    epsilon : float, default=0.1
        Width of the zero-cost band, >= 0.
    out_activation : {"identity", "exp", "softplus"}, default=None
        Output activation; None means identity.

    Examples
    --------
    >>> from sklearn_losses.metrics import squared_epsilon_insensitive
    >>> round(squared_epsilon_insensitive([0.0, 0.0], [0.05, 1.0]), 6)  # 0.9**2 / 2
    0.405
    """

    name = "squared_epsilon_insensitive"

    def pointwise(self, y_pred, y_true):
        return F.relu((y_pred - y_true).abs() - self.epsilon).square()

    def pointwise_loss_gradient(self, y_pred, y_true):
        error = y_pred - y_true
        excess = F.relu(error.abs() - float(self.epsilon))
        return excess.square(), 2.0 * excess * error.sign()


class MeanAbsolutePercentageError(RegressionLoss):
    """Absolute percentage error ``|y_pred - y_true| / max(|y_true|, eps)``, a fraction.

    ``eps`` is the float64 machine epsilon (``2.2e-16``): this is the definition of
    :func:`sklearn.metrics.mean_absolute_percentage_error`, whose name the metric
    shares, so both agree. Keras ``mean_absolute_percentage_error`` is 100 times
    this value (a percentage) and floors ``|y_true|`` at ``1e-7``; multiply by 100
    to compare. Targets at or near zero make the loss (and its gradient) explode:
    use it when targets stay away from zero and relative errors matter. Clipping:
    only the ``|y_true|`` floor.

    Parameters
    ----------
    out_activation : {"identity", "exp", "softplus"}, default=None
        Output activation; None means identity.

    Examples
    --------
    >>> from sklearn_losses.metrics import mean_absolute_percentage_error
    >>> mean_absolute_percentage_error([2.0, -4.0], [3.0, -3.0])  # (0.5 + 0.25) / 2
    0.375
    """

    name = "mean_absolute_percentage_error"
    aliases = ("mape", "MAPE")
    metric_names = ("mean_absolute_percentage_error", "mape")

    def pointwise(self, y_pred, y_true):
        return (y_pred - y_true).abs() / y_true.abs().clamp_min(_F64_EPS)

    def pointwise_loss_gradient(self, y_pred, y_true):
        error = y_pred - y_true
        scale = y_true.abs().clamp_min(_F64_EPS)
        return error.abs() / scale, error.sign() / scale
