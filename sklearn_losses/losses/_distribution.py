"""Losses that predict more than a point: several quantiles, or a Gaussian.

Both give the network several outputs per target, laid out target by target:
``raw[:, t * m:(t + 1) * m]`` holds target ``t``'s ``m`` outputs (``m`` quantile
levels, or a mean and a variance). Their output activations act on each target's
group as a whole, so they are built here rather than taken from :data:`ACTIVATIONS`:

* quantile levels: the lowest level goes through the base activation, each higher
  level adds a softplus increment, so the quantiles never cross;
* a Gaussian: the mean is the raw output, the variance ``softplus(raw) + eps``.
"""

from __future__ import annotations

import functools
import math
from numbers import Real
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_array, check_consistent_length

from ._activation import ACTIVATIONS, Activation
from ._base import Loss, per_sample

#: The smallest positive value an output-bias start aims at (scikit-learn's floor in
#: ``BaseLoss.fit_intercept_only``), so that the raw output is finite.
_FLOOR = 10 * np.finfo(np.float64).eps


# -- several quantile levels ------------------------------------------------------------
def check_levels(alpha) -> np.ndarray:
    """Quantile levels as a float array, checked: strictly increasing, in (0, 1)."""
    if np.ndim(alpha) == 1:
        try:  # a training step asks for them: check each value of alpha once
            return _checked_levels(tuple(alpha))
        except TypeError:  # unhashable items: let the check below say why
            pass
    return _checked_levels.__wrapped__(alpha)


@functools.lru_cache(maxsize=64)
def _checked_levels(alpha) -> np.ndarray:
    levels = np.asarray(alpha, dtype=np.float64)
    if (
        levels.ndim != 1
        or len(levels) == 0
        or not np.all((levels > 0) & (levels < 1))
        or np.any(np.diff(levels) <= 0)
    ):
        raise ValueError(
            f"alpha must be a float in (0, 1) or a sequence of strictly increasing "
            f"levels in (0, 1), e.g. [0.05, 0.5, 0.95]; got {list(alpha)!r}."
        )
    levels.flags.writeable = False  # shared by every caller
    return levels


def point_level(levels: np.ndarray) -> int:
    """Index of the level ``predict`` returns: the one nearest 0.5 (the lower one of
    two equally near), the median when 0.5 is among the levels."""
    return int(np.argmin(np.abs(levels - 0.5)))


def _increasing_torch(raw, *, n_levels, base):
    # softplus of every unit, then the base activation on each target's lowest level
    # (in place: softplus's backward reads its input, not its output)
    terms = F.softplus(raw)
    if base != "softplus":
        lowest = raw[:, ::n_levels]
        terms[:, ::n_levels] = ACTIVATIONS[base].torch_fn(lowest)
    return terms.unflatten(1, (-1, n_levels)).cumsum(dim=-1).flatten(1)


def _increasing_numpy(raw, *, n_levels, base):
    terms = np.logaddexp(0.0, raw)
    if base != "softplus":
        terms[:, ::n_levels] = ACTIVATIONS[base].numpy_fn(raw[:, ::n_levels])
    shape = (raw.shape[0], -1, n_levels)
    return terms.reshape(shape).cumsum(axis=-1).reshape(raw.shape)


def _increasing_backward(grad, output, raw, *, n_levels, base):
    # Level j is the sum of the terms up to j: term i's gradient sums levels >= i
    # (cumsum's backward, as autograd computes it).
    suffix = grad.unflatten(1, (-1, n_levels)).flip(-1).cumsum(-1).flip(-1).flatten(1)
    result = ACTIVATIONS["softplus"].torch_backward(suffix, None, raw)
    if base != "softplus":
        lowest = (slice(None), slice(None, None, n_levels))
        result[lowest] = ACTIVATIONS[base].torch_backward(
            suffix[lowest], output[lowest], raw[lowest]
        )
    return result


def increasing_name(base: str) -> str:
    """``out_activation_`` of several quantile levels on the ``base`` activation."""
    return "increasing" if base == "identity" else f"increasing_{base}"


@functools.lru_cache(maxsize=64)
def increasing_activation(n_levels: int, base: str) -> Activation:
    """Quantiles that never cross: ``base`` for the lowest level, then increments.

    Level ``j`` of a target is ``base(r_0) + softplus(r_1) + ... + softplus(r_j)``:
    each level is the previous one plus a non-negative number, so a higher level is
    never below a lower one, in floating point too.
    """
    options = {"n_levels": n_levels, "base": base}
    return Activation(
        increasing_name(base),
        functools.partial(_increasing_torch, **options),
        functools.partial(_increasing_numpy, **options),
        functools.partial(_increasing_backward, **options),
    )


@functools.lru_cache(maxsize=64)
def _level_tensors(levels: bytes, dtype, device) -> tuple[torch.Tensor, ...]:
    """``alpha``, ``alpha - 1`` and ``0.5 - alpha`` as tensors, made once."""
    alpha = torch.from_numpy(np.frombuffer(levels, dtype=np.float64).copy())
    alpha = alpha.to(dtype=dtype, device=device)
    return alpha, alpha - 1.0, 0.5 - alpha


def pinball_levels(
    y_pred: torch.Tensor, y_true: torch.Tensor, levels: np.ndarray
) -> tuple[torch.Tensor, torch.Tensor]:
    """Element-wise pinball losses of all levels and their derivatives.

    ``y_pred`` is ``(n, n_targets * n_levels)``, ``y_true`` ``(n, n_targets)``.
    """
    alpha, alpha_minus_one, half_minus_alpha = _level_tensors(
        levels.tobytes(), y_pred.dtype, y_pred.device
    )
    diff = y_true.unsqueeze(-1) - y_pred.unflatten(1, (-1, len(levels)))
    values = torch.maximum(alpha * diff, alpha_minus_one * diff).flatten(1)
    # -alpha above the quantile, 1 - alpha below, their mean at the kink (as
    # autograd splits torch.maximum's gradient between equal arguments).
    derivative = (half_minus_alpha - 0.5 * diff.sign()).flatten(1)
    return values, derivative


def weighted_quantile(y: np.ndarray, weight: np.ndarray, level: float) -> float:
    """The smallest ``y`` whose cumulative weight reaches ``level`` of the total
    (the inverted empirical distribution function, as scikit-learn's)."""
    order = np.argsort(y, kind="stable")
    cumulative = np.cumsum(weight[order])
    index = np.searchsorted(cumulative, level * cumulative[-1])
    return float(y[order][min(index, len(y) - 1)])


def softplus_inverse(value: np.ndarray) -> np.ndarray:
    """``r`` with ``softplus(r) = value``; values below a tiny floor are raised to it,
    so that ``r`` is finite."""
    value = np.maximum(value, _FLOOR)
    return value + np.log(-np.expm1(-value))  # log(exp(v) - 1), without overflow


def inverse_activation(name: str, value: np.ndarray) -> np.ndarray:
    """The raw output that ``ACTIVATIONS[name]`` maps to ``value`` (finite)."""
    if name == "identity":
        return np.asarray(value, dtype=np.float64)
    if name == "exp":
        return np.log(np.maximum(value, _FLOOR))
    return softplus_inverse(value)


def _as_weights(sample_weight, n: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n)
    return np.asarray(sample_weight, dtype=np.float64)


def quantile_intercepts(
    y_true: np.ndarray, sample_weight, levels: np.ndarray, base: str
) -> np.ndarray:
    """Raw outputs of the best constant quantiles: weighted quantiles of each target,
    mapped back through the increasing activation."""
    y_true = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
    weight = _as_weights(sample_weight, len(y_true))
    raw = np.empty((y_true.shape[1], len(levels)))
    for t, column in enumerate(y_true.T):
        q = np.array([weighted_quantile(column, weight, a) for a in levels])
        raw[t, 0] = inverse_activation(base, q[:1])[0]
        # Tied quantiles would need an increment of 0, softplus(-inf), where the
        # increment's gradient vanishes: start them a hundredth of a spread apart.
        center = np.average(column, weights=weight)
        spread = np.sqrt(np.average((column - center) ** 2, weights=weight))
        steps = np.maximum(np.diff(q), 0.01 * spread)
        raw[t, 1:] = softplus_inverse(steps)
    return raw.ravel()


# -- a Gaussian predictive distribution ------------------------------------------------
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _gaussian_torch(raw, *, eps):
    groups = raw.unflatten(1, (-1, 2))
    variance = F.softplus(groups[..., 1:]) + eps
    return torch.cat([groups[..., :1], variance], dim=-1).flatten(1)


def _gaussian_numpy(raw, *, eps):
    groups = raw.reshape(raw.shape[0], -1, 2)
    variance = np.logaddexp(0.0, groups[..., 1:]) + eps
    return np.concatenate([groups[..., :1], variance], axis=-1).reshape(raw.shape)


def _gaussian_backward(grad, output, raw, *, eps):
    grad, raw = grad.unflatten(1, (-1, 2)), raw.unflatten(1, (-1, 2))
    variance = ACTIVATIONS["softplus"].torch_backward(
        grad[..., 1:].contiguous(), None, raw[..., 1:].contiguous()
    )
    return torch.cat([grad[..., :1], variance], dim=-1).flatten(1)


@functools.lru_cache(maxsize=16)
def gaussian_activation(eps: float) -> Activation:
    """Mean and variance per target: ``(r_mean, softplus(r_var) + eps)``."""
    return Activation(
        "gaussian",
        functools.partial(_gaussian_torch, eps=eps),
        functools.partial(_gaussian_numpy, eps=eps),
        functools.partial(_gaussian_backward, eps=eps),
    )


class GaussianNLL(Loss):
    """Gaussian negative log-likelihood: a mean and a variance per target.

    The network predicts a normal distribution for each target: two outputs per
    target, the mean ``mu`` (identity) and the variance ``var = softplus(r) + eps``,
    positive by construction. Per target and sample the loss is

    ``0.5 * log(2 * pi) + 0.5 * log(var) + (y - mu)**2 / (2 * var)``,

    that is ``-scipy.stats.norm.logpdf(y, mu, sqrt(var))``: the constant
    ``0.5 * log(2 * pi)`` is included, so the metric is the mean negative
    log-likelihood, comparable with any model's (torch's ``GaussianNLLLoss`` with
    ``full=True``; without it torch leaves the constant out). Outputs are averaged.

    The regressor's ``predict(X)`` returns the mean and ``predict(X, return_std=True)``
    the mean and the standard deviation, as
    :class:`~sklearn.gaussian_process.GaussianProcessRegressor` and
    :class:`~sklearn.linear_model.BayesianRidge` do. The metric and the scorer
    ``neg_gaussian_nll`` take that ``(mean, std)`` pair, so they also score those
    two scikit-learn models.

    The variance multiplies the error's weight by ``1 / var``: targets on a unit
    scale (``StandardScaler``) train best.

    Parameters
    ----------
    eps : float, default=1e-6
        Floor of the variance: the network predicts ``softplus(r) + eps``, and the
        metric clamps the variance at ``eps`` as torch's ``GaussianNLLLoss`` does.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import norm
    >>> from sklearn_losses.losses import GaussianNLL, get_loss
    >>> get_loss("GaussianNLLLoss")
    GaussianNLL()
    >>> y, mean, std = np.array([0.0, 1.0]), np.array([0.5, 0.5]), np.array([1.0, 2.0])
    >>> value = GaussianNLL().metric(y, (mean, std))
    >>> bool(np.isclose(value, -norm.logpdf(y, mean, std).mean()))
    True
    >>> GaussianNLL().n_outputs("regression", 3)  # a mean and a variance per target
    6
    """

    name = "gaussian_nll"
    aliases = ("gaussian_nll_loss", "GaussianNLLLoss")
    tasks = frozenset({"regression"})
    default_activation: ClassVar[dict[str, str]] = {"regression": "gaussian"}
    response_kwargs: ClassVar[dict] = {"return_std": True}
    _parameter_constraints: ClassVar[dict] = {
        "eps": [Interval(Real, 0, None, closed="neither")]
    }

    def __init__(self, eps: float = 1e-6):
        self.eps = eps

    def output_activation(self, task: str) -> Activation:
        self.check_task(task)
        return gaussian_activation(float(self.eps))

    def n_outputs(self, task: str, n_columns: int) -> int:
        return 2 * n_columns

    def point_prediction(self, y_pred: np.ndarray) -> np.ndarray:
        return y_pred[:, 0::2]

    def predictive_std(self, y_pred: np.ndarray) -> np.ndarray:
        """Standard deviations from the activated outputs ``(n, 2 * n_targets)``."""
        return np.sqrt(y_pred[:, 1::2])

    def loss(self, y_pred, y_true):
        mean, variance = y_pred[:, 0::2], y_pred[:, 1::2].clamp_min(float(self.eps))
        values = _HALF_LOG_2PI + 0.5 * (
            variance.log() + (y_true - mean).square() / variance
        )
        return values.mean(dim=1)

    def raw_loss_gradient(self, raw, y_true, activation, sample_weight=None):
        mean, raw_variance = raw[:, 0::2], raw[:, 1::2]
        variance = F.softplus(raw_variance) + float(self.eps)
        error = mean - y_true
        ratio = error.square() / variance
        values = _HALF_LOG_2PI + 0.5 * (variance.log() + ratio)
        d_mean = error / variance
        d_variance = 0.5 * (1.0 - ratio) / variance
        d_raw_variance = ACTIVATIONS["softplus"].torch_backward(
            d_variance, None, raw_variance.contiguous()
        )
        gradient = torch.stack([d_mean, d_raw_variance], dim=-1).flatten(1)
        return per_sample(values, gradient, sample_weight)

    def fit_intercept_only(self, y_true, sample_weight, task) -> np.ndarray:
        """Raw outputs of the best constant distribution: each target's weighted
        mean and variance (maximum likelihood), the variance through the inverse
        of ``softplus(r) + eps``.

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
        ndarray of shape (2 * n_targets,)
            Mean and raw variance, target by target.
        """
        y_true = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
        weight = _as_weights(sample_weight, len(y_true))
        mean = np.average(y_true, axis=0, weights=weight)
        variance = np.average((y_true - mean) ** 2, axis=0, weights=weight)
        raw_variance = softplus_inverse(variance - float(self.eps))
        return np.column_stack([mean, raw_variance]).ravel()

    def _metric_values(self, y_true, y_pred, *, labels=None, task=None) -> np.ndarray:
        if not (isinstance(y_pred, tuple) and len(y_pred) == 2):
            raise ValueError(
                "The gaussian_nll metric takes y_pred=(mean, std), the pair that "
                "predict(X, return_std=True) returns; got "
                f"{type(y_pred).__name__}. Score the model with the neg_gaussian_nll "
                "scorer, or pass the tuple."
            )
        self.check_task("regression" if task is None else task)
        y_true = check_array(
            y_true, ensure_2d=False, dtype=np.float64, input_name="y_true"
        )
        mean, std = (
            check_array(a, ensure_2d=False, dtype=np.float64, input_name=name)
            for a, name in zip(y_pred, ("mean", "std"))
        )
        check_consistent_length(y_true, mean, std)
        y_true = y_true.reshape(len(y_true), -1)
        mean, std = mean.reshape(len(mean), -1), std.reshape(len(std), -1)
        if not y_true.shape == mean.shape == std.shape:
            raise ValueError(
                f"y_true, the mean and the std must have the same shape, got "
                f"{y_true.shape}, {mean.shape} and {std.shape}."
            )
        if np.min(std) < 0:
            raise ValueError(
                f"The standard deviations must be non-negative, got {np.min(std):.4g}."
            )
        activated = np.stack([mean, std**2], axis=-1).reshape(len(mean), -1)
        with torch.no_grad():
            values = self.loss(torch.as_tensor(activated), torch.as_tensor(y_true))
        return values.numpy().astype(np.float64, copy=False)
