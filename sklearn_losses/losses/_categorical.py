"""Keras' categorical focal and generalized cross-entropies, on softmax units."""

from __future__ import annotations

from numbers import Real
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval

from ._activation import Activation
from ._base import KERAS_EPSILON, Loss, one_hot, true_class_column, weighted

_SOFTMAX = {"binary": "softmax", "multiclass": "softmax"}


class _SoftmaxLoss(Loss):
    """A loss of the true class's softmax probability (not registered)."""

    tasks = frozenset({"binary", "multiclass"})
    default_activation: ClassVar[dict[str, str]] = _SOFTMAX
    probabilistic = True
    two_unit_binary = True


class CategoricalFocal(_SoftmaxLoss):
    """Keras' categorical focal cross-entropy, ``alpha_t (1 - p_t)**gamma (-log p_t)``.

    ``p_t`` is the softmax probability of the true class and ``alpha_t`` the weight of
    that class: one ``alpha`` for all classes or one per class (in the order of
    ``classes_``, e.g. inverse class frequencies from
    :func:`sklearn.utils.class_weight.compute_class_weight`). ``gamma`` down-weights
    the samples already well classified. Follows Keras
    ``categorical_focal_crossentropy``: probabilities are normalised per row and
    clipped to ``[1e-7, 1 - 1e-7]``. Binary targets use two softmax units.

    Parameters
    ----------
    alpha : float or array-like of shape (n_classes,), default=0.25
        Weight of each class (Keras' default 0.25 for all); >= 0.
    gamma : float, default=2.0
        Focusing parameter, >= 0; 0 gives ``alpha`` times the cross-entropy.

    Examples
    --------
    >>> from sklearn_losses.metrics import categorical_focal_crossentropy
    >>> proba = [[0.5, 0.3, 0.2], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]]
    >>> round(categorical_focal_crossentropy([0, 1, 2], proba), 6)
    0.021995
    >>> round(categorical_focal_crossentropy([0, 1, 2], proba, alpha=[1, 0, 2]), 6)
    0.11225
    """

    name = "categorical_focal_crossentropy"
    aliases = ("categorical_focal",)
    _parameter_constraints: ClassVar[dict] = {
        "alpha": [Interval(Real, 0, None, closed="left"), "array-like"],
        "gamma": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, alpha: float | list[float] = 0.25, gamma: float = 2.0):
        self.alpha = alpha
        self.gamma = gamma

    def _alpha_t(self, y_true: torch.Tensor, n_classes: int, dtype) -> torch.Tensor:
        alpha = np.asarray(self.alpha, dtype=np.float64)
        if alpha.ndim == 0:
            return torch.full(y_true.shape, float(alpha), dtype=dtype)
        if alpha.shape != (n_classes,):
            raise ValueError(
                f"alpha holds {alpha.size} class weights, but there are {n_classes} "
                "classes: give one weight per class (in the order of classes_) or "
                "one number for all."
            )
        return torch.as_tensor(alpha, dtype=dtype, device=y_true.device)[y_true]

    def validate(self) -> None:
        super().validate()
        alpha = np.asarray(self.alpha, dtype=np.float64)
        if alpha.ndim > 1 or (alpha < 0).any() or not np.isfinite(alpha).all():
            raise ValueError(
                f"alpha must be a non-negative number or a 1-D array of class "
                f"weights, got {self.alpha!r}."
            )

    def loss(self, y_pred, y_true):
        p = y_pred / y_pred.sum(dim=1, keepdim=True)
        p_true = true_class_column(p, y_true).clamp(KERAS_EPSILON, 1.0 - KERAS_EPSILON)
        alpha = self._alpha_t(y_true, p.shape[1], p.dtype)
        return alpha * (1.0 - p_true).pow(self.gamma) * -p_true.log()

    def raw_loss(self, raw, y_true, activation: Activation):
        cross_entropy = F.cross_entropy(raw, y_true, reduction="none")
        focus = (-torch.expm1(-cross_entropy)).pow(self.gamma)
        return self._alpha_t(y_true, raw.shape[1], raw.dtype) * focus * cross_entropy

    def raw_loss_gradient(self, raw, y_true, activation, sample_weight=None):
        gamma = float(self.gamma)
        cross_entropy = F.cross_entropy(raw, y_true, reduction="none")
        ce_gradient = torch.softmax(raw, dim=1)
        ce_gradient -= one_hot(y_true, raw.shape[1], raw.dtype)
        # focal = q**gamma * ce with q = 1 - p_t = -expm1(-ce); dq/dce = p_t.
        q = -torch.expm1(-cross_entropy)
        focus = q.pow(gamma)
        slope = focus.clone()
        if gamma:
            term = gamma * q.pow(gamma - 1.0) * (1.0 - q) * cross_entropy
            slope += term.masked_fill_(q == 0, 0.0)
        alpha = self._alpha_t(y_true, raw.shape[1], raw.dtype)
        values = alpha * focus * cross_entropy
        gradient = ce_gradient.mul_((alpha * slope).unsqueeze(1))
        return weighted(values, gradient, sample_weight)


class CategoricalGeneralizedCrossEntropy(_SoftmaxLoss):
    """Generalized cross-entropy ``(1 - p_t**q) / q``, robust to noisy labels.

    ``p_t`` is the softmax probability of the true class. It goes from the
    cross-entropy (``q -> 0``) to the mean absolute error of the probabilities
    (``q = 1``), which bounds the cost of a sample whose label is wrong (Zhang and
    Sabuncu, 2018; Keras ``categorical_generalized_cross_entropy``). Binary targets
    use two softmax units. No clipping: the value is bounded by ``1 / q``.

    Parameters
    ----------
    q : float, default=0.5
        Robustness parameter in (0, 1].

    Examples
    --------
    >>> from sklearn_losses.metrics import categorical_generalized_cross_entropy
    >>> proba = [[0.25, 0.75], [0.36, 0.64]]  # p_t = 0.25 and 0.64
    >>> round(categorical_generalized_cross_entropy([0, 1], proba), 6)  # (1 + 0.4) / 2
    0.7
    """

    name = "categorical_generalized_cross_entropy"
    aliases = ("generalized_cross_entropy", "gce")
    _parameter_constraints: ClassVar[dict] = {
        "q": [Interval(Real, 0, 1, closed="right")],
    }

    def __init__(self, q: float = 0.5):
        self.q = q

    def loss(self, y_pred, y_true):
        p_true = true_class_column(y_pred, y_true)
        return (1.0 - p_true.clamp_min(0.0).pow(self.q)) / self.q

    def raw_loss(self, raw, y_true, activation: Activation):
        # p_t**q = exp(-q ce), with ce = -log p_t from the logits
        cross_entropy = F.cross_entropy(raw, y_true, reduction="none")
        return -torch.expm1(-self.q * cross_entropy) / self.q

    def raw_loss_gradient(self, raw, y_true, activation, sample_weight=None):
        q = float(self.q)
        cross_entropy = F.cross_entropy(raw, y_true, reduction="none")
        values = -torch.expm1(-q * cross_entropy) / q
        # d/dz (1 - p_t**q) / q = p_t**q (softmax - one_hot)
        gradient = torch.softmax(raw, dim=1)
        gradient -= one_hot(y_true, raw.shape[1], raw.dtype)
        gradient *= torch.exp(-q * cross_entropy).unsqueeze(1)
        return weighted(values, gradient, sample_weight)
