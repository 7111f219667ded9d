"""A loss that predicts a distribution: the Gaussian negative log-likelihood.

The network has two outputs per target, laid out target by target:
``raw[:, 2 * t:2 * t + 2]`` holds target ``t``'s mean and variance. Their output
activation acts on each pair as a whole, so it is built here rather than taken from
:data:`ACTIVATIONS`: the mean is the raw output, the variance ``softplus(raw) + eps``.
(Several quantile levels, the other loss with several outputs per target, are in
:mod:`._quantile_levels`.)
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
from ._base import Loss, inverse_activation, per_sample

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
    eps : float, default=1e-4
        Floor of the variance: the network predicts ``softplus(r) + eps``, and the
        metric clamps the variance at ``eps`` as torch's ``GaussianNLLLoss`` does.
        The default keeps the predicted standard deviation at 0.01 or more, which
        on targets of unit scale bounds the ``1 / var`` weight of an error (torch's
        default, 1e-6, lets near-noiseless data blow round-off up 100 times more).

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
    metric_names = ("gaussian_nll",)
    tasks = frozenset({"regression"})
    default_activation: ClassVar[dict[str, str]] = {"regression": "gaussian"}
    response_kwargs: ClassVar[dict] = {"return_std": True}
    _parameter_constraints: ClassVar[dict] = {
        "eps": [Interval(Real, 0, None, closed="neither")]
    }

    def __init__(self, eps: float = 1e-4):
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
        mean = np.average(y_true, axis=0, weights=sample_weight)
        variance = np.average((y_true - mean) ** 2, axis=0, weights=sample_weight)
        # below eps (constant targets) the smallest positive increment: finite
        raw_variance = inverse_activation("softplus", variance - float(self.eps))
        return np.column_stack([mean, raw_variance]).ravel()

    def _metric_values(
        self, y_true, y_pred, *, labels=None, task=None, per_output=False
    ) -> np.ndarray:
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
        activated = torch.as_tensor(
            np.stack([mean, std**2], axis=-1).reshape(len(mean), -1)
        )
        y_true = torch.as_tensor(y_true)
        with torch.no_grad():
            if per_output:  # one column per target: the loss of that target alone
                values = torch.stack(
                    [
                        self.loss(activated[:, 2 * k : 2 * k + 2], y_true[:, k : k + 1])
                        for k in range(y_true.shape[1])
                    ],
                    dim=1,
                )
            else:
                values = self.loss(activated, y_true)
        return values.numpy().astype(np.float64, copy=False)
