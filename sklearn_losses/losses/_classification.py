"""Classification losses for binary, multi-class and multi-label targets."""

from __future__ import annotations

import math
from numbers import Real
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval, StrOptions

from ._activation import Activation
from ._base import (
    KERAS_EPSILON,
    Loss,
    class_frequencies,
    clip_raw,
    column_means,
    inverse_activation,
    one_hot,
    per_sample,
    true_class_column,
    weighted,
)

_PROBABILITY_ACTIVATIONS: dict[str, str] = {
    "binary": "logistic",
    "multilabel": "logistic",
    "multiclass": "softmax",
}


def _clip_probability(p: torch.Tensor) -> torch.Tensor:
    # scikit-learn's log_loss clips to the dtype's machine epsilon.
    eps = torch.finfo(p.dtype).eps
    return p.clamp(eps, 1.0 - eps)


def _n_classes(index: np.ndarray) -> int:
    return max(int(np.max(index, initial=0)) + 1, 2)


def _probability_start(
    y_true: np.ndarray, sample_weight, smoothing: float = 0.0
) -> np.ndarray:
    """Raw outputs of the best constant cross-entropy model: log-odds of each
    column's weighted mean, or log class priors (softmax) for class indices;
    targets smoothed towards uniform as ``label_smoothing`` does."""
    y_true = np.asarray(y_true)
    if y_true.ndim == 1:
        n_classes = _n_classes(y_true)
        prior = class_frequencies(y_true, sample_weight, n_classes)
        prior = prior * (1.0 - smoothing) + smoothing / n_classes
        return clip_raw("softmax", inverse_activation("softmax", prior))
    mean = column_means(y_true, sample_weight) * (1.0 - smoothing) + smoothing / 2.0
    return clip_raw("logistic", inverse_activation("logistic", mean))


def _margin_start(y_true: np.ndarray, sample_weight, activation: str, shift: bool):
    """A constant start for the margin losses (the hinge family).

    Columns (``{-1, +1}`` targets): the weighted mean target, the minimiser of the
    squared hinge on outputs in ``[-1, 1]``. Class indices: the most frequent class
    ``m`` leads the others by ``d = max(0, 2 f_m - 1)`` (``f_m`` its weighted
    share), the best such lead under the squared Crammer-Singer hinge. For the plain
    hinge the optimum sits at the edge (tanh outputs of +-1, infinite raw outputs,
    where tanh has no gradient left to train with); this start has the optimum's
    sign, is no worse than a zero output and keeps the gradient alive.
    ``shift``: the categorical hinge compares scores with zero, so there the others
    stay at 0 and the leader goes to ``d``.
    """
    y_true = np.asarray(y_true)
    if y_true.ndim == 1:
        share = class_frequencies(y_true, sample_weight, _n_classes(y_true))
        leader = int(np.argmax(share))
        lead = max(0.0, 2.0 * share[leader] - 1.0)
        scores = np.zeros(len(share)) if shift else np.full(len(share), -lead / 2.0)
        scores[leader] = lead if shift else lead / 2.0
    else:
        scores = column_means(y_true, sample_weight)
    return clip_raw(activation, inverse_activation(activation, scores))


def _power_and_slope(
    violation: torch.Tensor, power: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """``violation**power`` and its derivative; ``violation`` is ``relu(...)``.

    The derivative is zero where the violation is (relu's gradient at its kink).
    """
    if power == 1:
        return violation, violation.sign()  # 1 where positive, 0 where zero
    if power == 2:
        return violation.square(), violation * 2.0
    return violation.pow(power), violation.pow(power - 1).mul_(power)


class LogLoss(Loss):
    """Cross-entropy: binary, categorical (multi-class) or per label (multi-label).

    * binary: one sigmoid unit, ``-(y log p + (1 - y) log(1 - p))``;
    * multi-class: softmax units, ``-sum_c y_c log p_c``;
    * multi-label: one sigmoid unit per label, binary cross-entropy averaged over labels.

    Probabilities are clipped to ``[eps, 1 - eps]`` (``eps`` of the dtype), which makes
    the value equal :func:`sklearn.metrics.log_loss`. Training uses the logits
    directly (``binary_cross_entropy_with_logits``, ``cross_entropy``).

    Parameters
    ----------
    label_smoothing : float, default=0.0
        Mix the one-hot targets with the uniform distribution:
        ``y (1 - ls) + ls / 2`` for sigmoid units, ``y (1 - ls) + ls / n_classes`` for
        softmax (the Keras and torch conventions).

    Examples
    --------
    >>> from sklearn_losses.losses import LogLoss
    >>> loss = LogLoss()
    >>> loss.activation("binary"), loss.activation("multiclass")
    ('logistic', 'softmax')
    >>> proba = [[0.8, 0.2], [0.3, 0.7]]  # predict_proba of two samples
    >>> round(loss.metric([0, 1], proba), 6)  # -(log 0.8 + log 0.7) / 2
    0.289909
    >>> round(LogLoss(label_smoothing=0.2).metric([0, 1], proba), 6)
    0.401589
    """

    name = "log_loss"
    aliases = (
        "binary_crossentropy",
        "bce",
        "BCE",
        "categorical_crossentropy",
        "cross_entropy",
        "log",
    )
    metric_names = ("log_loss", "binary_crossentropy", "categorical_crossentropy")
    tasks = frozenset({"binary", "multiclass", "multilabel"})
    default_activation: ClassVar[dict[str, str]] = _PROBABILITY_ACTIVATIONS
    probabilistic = True
    _parameter_constraints: ClassVar[dict] = {
        "label_smoothing": [Interval(Real, 0, 1, closed="left")]
    }

    def __init__(self, label_smoothing: float = 0.0):
        self.label_smoothing = label_smoothing

    def loss(self, y_pred, y_true):
        smoothing = self.label_smoothing
        p = _clip_probability(y_pred)
        if y_true.ndim == 1:  # class indices, softmax probabilities
            target = one_hot(y_true, p.shape[1], p.dtype)
            target = target * (1.0 - smoothing) + smoothing / p.shape[1]
            return -(torch.xlogy(target, p)).sum(dim=1)
        target = y_true * (1.0 - smoothing) + smoothing / 2.0
        per_column = -(torch.xlogy(target, p) + torch.xlogy(1.0 - target, 1.0 - p))
        return per_column.mean(dim=1)

    def raw_loss(self, raw, y_true, activation: Activation):
        smoothing = float(self.label_smoothing)
        if y_true.ndim == 1:
            return F.cross_entropy(
                raw, y_true, reduction="none", label_smoothing=smoothing
            )
        target = y_true * (1.0 - smoothing) + smoothing / 2.0 if smoothing else y_true
        per_column = F.binary_cross_entropy_with_logits(raw, target, reduction="none")
        return per_column.mean(dim=1)

    def raw_loss_gradient(self, raw, y_true, activation, sample_weight=None):
        smoothing = float(self.label_smoothing)
        if y_true.ndim == 1:
            values = F.cross_entropy(
                raw, y_true, reduction="none", label_smoothing=smoothing
            )
            n_classes = raw.shape[1]
            gradient = torch.softmax(raw, dim=1)
            gradient.sub_(one_hot(y_true, n_classes, raw.dtype), alpha=1.0 - smoothing)
            if smoothing:
                gradient -= smoothing / n_classes
            return weighted(values, gradient, sample_weight)
        target = y_true * (1.0 - smoothing) + smoothing / 2.0 if smoothing else y_true
        values = F.binary_cross_entropy_with_logits(raw, target, reduction="none")
        return per_sample(values, torch.sigmoid(raw) - target, sample_weight)

    def fit_intercept_only(self, y_true, sample_weight, task):
        # Log-odds of the mean, log class priors: scikit-learn's binomial and
        # multinomial losses' fit_intercept_only (with label smoothing on top).
        return _probability_start(y_true, sample_weight, float(self.label_smoothing))


class SparseCategoricalCrossEntropy(LogLoss):
    """Categorical cross-entropy on softmax units, targets given as class indices.

    Same values as :class:`LogLoss` on multi-class targets; on two classes it keeps two
    softmax units (as Keras does) instead of one sigmoid unit.

    Examples
    --------
    >>> from sklearn_losses.losses import LogLoss, SparseCategoricalCrossEntropy
    >>> SparseCategoricalCrossEntropy().n_outputs("binary", 2)  # two softmax units
    2
    >>> LogLoss().n_outputs("binary", 2)  # one sigmoid unit
    1
    """

    name = "sparse_categorical_crossentropy"
    tasks = frozenset({"binary", "multiclass"})
    two_unit_binary = True
    label_smoothing = 0.0
    _parameter_constraints: ClassVar[dict] = {}

    def __init__(self):
        pass

    def trains_as(self) -> Loss:
        return LogLoss()


class KLDivergence(Loss):
    """Kullback-Leibler divergence ``sum_c y_c log(y_c / p_c)`` on softmax units.

    Follows Keras: both distributions are clipped to ``[1e-7, 1]``, so on one-hot targets
    it is the categorical cross-entropy minus at most ``1e-7 (C - 1) log(1e7)`` (about
    ``1.6e-6`` per extra class). Binary targets use two softmax units.

    Examples
    --------
    >>> from sklearn_losses.losses import KLDivergence, LogLoss
    >>> proba = [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.6, 0.1]]
    >>> round(KLDivergence().metric([0, 2, 1], proba), 6)
    0.363545
    >>> round(LogLoss().metric([0, 2, 1], proba), 6)  # the same, up to the clipping
    0.363548
    """

    name = "kl_divergence"
    metric_names = ("kl_divergence",)
    aliases = ("kld", "KLD", "kullback_leibler_divergence")
    tasks = frozenset({"binary", "multiclass"})
    default_activation: ClassVar[dict[str, str]] = _PROBABILITY_ACTIVATIONS
    probabilistic = True
    two_unit_binary = True

    @staticmethod
    def _target(y_true, n_classes, dtype):
        return one_hot(y_true, n_classes, dtype, off_value=KERAS_EPSILON)

    def loss(self, y_pred, y_true):
        target = self._target(y_true, y_pred.shape[1], y_pred.dtype)
        p = y_pred.clamp(KERAS_EPSILON, 1.0)
        return (target * (target.log() - p.log())).sum(dim=1)

    def raw_loss(self, raw, y_true, activation: Activation):
        target = self._target(y_true, raw.shape[1], raw.dtype)
        return (target * (target.log() - F.log_softmax(raw, dim=1))).sum(dim=1)

    def raw_loss_gradient(self, raw, y_true, activation, sample_weight=None):
        # The clipped target t is 1 at the true class and eps elsewhere: with C
        # classes, sum_c t_c log t_c = (C - 1) eps log eps and sum_c t_c =
        # 1 + (C - 1) eps, the same for every sample.
        extra = (raw.shape[1] - 1) * KERAS_EPSILON
        target = self._target(y_true, raw.shape[1], raw.dtype)
        log_p = F.log_softmax(raw, dim=1)
        entropy = extra * math.log(KERAS_EPSILON)
        values = torch.rsub(torch.linalg.vecdot(target, log_p), entropy)
        gradient = log_p.exp_().mul_(1.0 + extra).sub_(target)  # p sum(t) - t
        return weighted(values, gradient, sample_weight)

    def fit_intercept_only(self, y_true, sample_weight, task):
        # sum_c t_c log(t_c / p_c) is least at p proportional to the mean clipped
        # target t (1 at the class, 1e-7 elsewhere).
        index = np.asarray(y_true)
        share = class_frequencies(index, sample_weight, _n_classes(index))
        mean_target = share + (1.0 - share) * KERAS_EPSILON
        prior = mean_target / mean_target.sum()
        return clip_raw("softmax", inverse_activation("softmax", prior))


class Hinge(Loss):
    """Hinge loss on ``{-1, +1}`` targets, tanh outputs by default.

    * binary and multi-label: ``max(0, 1 - y f)`` per unit (Keras ``hinge``; equals
      :func:`sklearn.metrics.hinge_loss` for binary targets);
    * multi-class: the Crammer-Singer margin ``max(0, 1 - (f_t - max_{j != t} f_j))``
      (the multi-class :func:`sklearn.metrics.hinge_loss`).

    Parameters
    ----------
    out_activation : {"tanh", "identity"}, default=None
        Output activation; None means tanh (the reference guidance). With identity the
        network is a non-linear soft-margin SVM.

    Examples
    --------
    >>> from sklearn_losses.losses import Hinge
    >>> Hinge().activation("binary"), Hinge(out_activation="identity").activation("binary")
    ('tanh', 'identity')
    >>> Hinge().metric([0, 1], [-0.5, 0.5])  # labels -1, +1: (1 - 0.5 + 1 - 0.5) / 2
    0.5
    >>> scores = [[2.0, -1.0, -0.5], [0.5, 0.4, -3.0], [-1.0, -2.0, -0.5]]
    >>> round(Hinge().metric([0, 1, 2], scores), 6)  # Crammer-Singer: (0 + 1.1 + 0.5) / 3
    0.533333
    """

    name = "hinge"
    metric_names = ("hinge_loss", "hinge")
    tasks = frozenset({"binary", "multiclass", "multilabel"})
    default_activation: ClassVar[dict[str, str]] = {
        "binary": "tanh",
        "multiclass": "tanh",
        "multilabel": "tanh",
    }
    allowed_activations = frozenset({"tanh", "identity"})
    column_encoding = "sign"
    _parameter_constraints: ClassVar[dict] = {
        "out_activation": [StrOptions({"tanh", "identity"}), None]
    }
    power: ClassVar[int] = 1

    def __init__(self, out_activation: str | None = None):
        self.out_activation = out_activation

    def loss(self, y_pred, y_true):
        if y_true.ndim == 1:
            true_score = true_class_column(y_pred, y_true)
            others = y_pred.scatter(1, y_true.unsqueeze(1), float("-inf"))
            margin = true_score - others.max(dim=1).values
            return F.relu(1.0 - margin).pow(self.power)
        return F.relu(1.0 - y_true * y_pred).pow(self.power).mean(dim=1)

    def raw_loss_gradient(self, raw, y_true, activation, sample_weight=None):
        scores = activation.torch_fn(raw)
        if y_true.ndim == 1:
            index = y_true.unsqueeze(1)
            others = scores.scatter(1, index, float("-inf"))
            best_other, rival = others.max(dim=1, keepdim=True)
            violation = F.relu(1.0 - (scores.gather(1, index) - best_other))
            values, slope = _power_and_slope(violation, self.power)
            # d/d scores: +slope at the best wrong class, -slope at the true one.
            derivative = torch.zeros_like(scores).scatter_(1, rival, slope)
            derivative.scatter_(1, index, -slope)
            gradient = activation.torch_backward(derivative, scores, raw)
            return weighted(values.squeeze(1), gradient, sample_weight)
        values, slope = _power_and_slope(F.relu(1.0 - y_true * scores), self.power)
        derivative = slope.mul_(y_true).neg_()
        gradient = activation.torch_backward(derivative, scores, raw)
        return per_sample(values, gradient, sample_weight)

    def fit_intercept_only(self, y_true, sample_weight, task):
        # See _margin_start: the squared hinge's optimum, a safe start for both.
        return _margin_start(y_true, sample_weight, self.activation(task), False)


class SquaredHinge(Hinge):
    """Squared hinge: the square of :class:`Hinge` (Keras ``squared_hinge``).

    Multi-class targets use the squared Crammer-Singer margin.

    Parameters
    ----------
    out_activation : {"tanh", "identity"}, default=None
        Output activation; None means tanh.

    Examples
    --------
    >>> from sklearn_losses.losses import SquaredHinge
    >>> SquaredHinge().metric([0, 1], [-0.5, 0.5])  # (0.5**2 + 0.5**2) / 2
    0.25
    """

    name = "squared_hinge"
    metric_names = ("squared_hinge_loss", "squared_hinge")
    power = 2


class CategoricalHinge(Loss):
    """Keras' categorical hinge on linear outputs.

    Multi-class: ``max(0, 1 + max_j((1 - y_j) s_j) - s_t)``; the inner maximum includes
    the true class's zero, so it equals the Crammer-Singer hinge whenever the best wrong
    score is non-negative. Binary: one linear unit with the hinge ``max(0, 1 - y f)``,
    which is the Crammer-Singer hinge of the scores ``(0, f)`` differences.

    Examples
    --------
    >>> from sklearn_losses.losses import CategoricalHinge
    >>> CategoricalHinge().activation("multiclass")
    'identity'
    >>> scores = [[2.0, -1.0, -0.5], [0.5, 0.4, -3.0], [-1.0, -2.0, -0.5]]
    >>> round(CategoricalHinge().metric([0, 1, 2], scores), 6)  # (0 + 1.1 + 1.5) / 3
    0.866667
    """

    name = "categorical_hinge"
    tasks = frozenset({"binary", "multiclass"})
    default_activation: ClassVar[dict[str, str]] = {
        "binary": "identity",
        "multiclass": "identity",
    }
    column_encoding = "sign"

    def loss(self, y_pred, y_true):
        if y_true.ndim == 1:
            positive = true_class_column(y_pred, y_true)
            wrong = y_pred.scatter(1, y_true.unsqueeze(1), 0.0)
            negative = wrong.max(dim=1).values
            return F.relu(1.0 + negative - positive)
        return F.relu(1.0 - y_true * y_pred).mean(dim=1)

    def raw_loss_gradient(self, raw, y_true, activation, sample_weight=None):
        scores = activation.torch_fn(raw)
        if y_true.ndim == 1:
            index = y_true.unsqueeze(1)
            wrong = scores.scatter(1, index, 0.0)
            negative, rival = wrong.max(dim=1, keepdim=True)
            values, slope = _power_and_slope(
                F.relu(1.0 + negative - scores.gather(1, index)), 1
            )
            # +slope at the best wrong score, -slope at the true one; where the best
            # "wrong" score is the true class's zero, the zero is a constant and the
            # second scatter overwrites the first.
            derivative = torch.zeros_like(scores).scatter_(1, rival, slope)
            derivative.scatter_(1, index, -slope)
            gradient = activation.torch_backward(derivative, scores, raw)
            return weighted(values.squeeze(1), gradient, sample_weight)
        values, slope = _power_and_slope(F.relu(1.0 - y_true * scores), 1)
        derivative = slope.mul_(y_true).neg_()
        gradient = activation.torch_backward(derivative, scores, raw)
        return per_sample(values, gradient, sample_weight)

    def fit_intercept_only(self, y_true, sample_weight, task):
        return _margin_start(y_true, sample_weight, self.activation(task), True)


class BinaryFocal(Loss):
    """Focal loss: cross-entropy scaled by ``(1 - p_t)**gamma`` to focus on hard samples.

    * binary and multi-label: sigmoid units,
      ``alpha_t (1 - p_t)**gamma * BCE`` with ``p_t = y p + (1 - y)(1 - p)`` and
      ``alpha_t = y alpha + (1 - y)(1 - alpha)`` (Keras ``binary_focal_crossentropy``
      with ``apply_class_balancing=alpha is not None``);
    * multi-class: softmax units, ``alpha (1 - p_t)**gamma (-log p_t)`` (Keras
      ``categorical_focal_crossentropy``).

    ``gamma=0`` and ``alpha=None`` give the cross-entropy.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter, >= 0.
    alpha : float or None, default=None
        Weight of the positive class in (0, 1) (binary, multi-label) or a constant factor
        (multi-class); None applies no weighting.

    Examples
    --------
    >>> from sklearn_losses.losses import BinaryFocal, LogLoss
    >>> y_true, proba = [0, 1], [0.2, 0.7]  # the positive class's probability
    >>> round(BinaryFocal(gamma=2.0).metric(y_true, proba), 6)
    0.020513
    >>> BinaryFocal(gamma=0.0).metric(y_true, proba) == LogLoss().metric(y_true, proba)
    True
    """

    name = "binary_focal"
    aliases = ("binary_focal_crossentropy", "focal")
    metric_names = ("binary_focal_loss", "binary_focal_crossentropy")
    tasks = frozenset({"binary", "multiclass", "multilabel"})
    default_activation: ClassVar[dict[str, str]] = _PROBABILITY_ACTIVATIONS
    probabilistic = True
    _parameter_constraints: ClassVar[dict] = {
        "gamma": [Interval(Real, 0, None, closed="left")],
        "alpha": [Interval(Real, 0, 1, closed="neither"), None],
    }

    def __init__(self, gamma: float = 2.0, alpha: float | None = None):
        self.gamma = gamma
        self.alpha = alpha

    def _focus(self, cross_entropy, y_true):
        # For hard targets, cross_entropy = -log p_t, so p_t = exp(-cross_entropy).
        focal = (-torch.expm1(-cross_entropy)).pow(self.gamma) * cross_entropy
        if self.alpha is None:
            return focal
        if y_true.ndim == 1:
            return self.alpha * focal
        return (y_true * self.alpha + (1.0 - y_true) * (1.0 - self.alpha)) * focal

    def _reduce(self, focal, y_true):
        return focal if y_true.ndim == 1 else focal.mean(dim=1)

    def loss(self, y_pred, y_true):
        p = _clip_probability(y_pred)
        if y_true.ndim == 1:
            cross_entropy = -true_class_column(p, y_true).log()
        else:
            cross_entropy = -(
                torch.xlogy(y_true, p) + torch.xlogy(1.0 - y_true, 1.0 - p)
            )
        return self._reduce(self._focus(cross_entropy, y_true), y_true)

    def raw_loss(self, raw, y_true, activation: Activation):
        if y_true.ndim == 1:
            cross_entropy = F.cross_entropy(raw, y_true, reduction="none")
        else:
            cross_entropy = F.binary_cross_entropy_with_logits(
                raw, y_true, reduction="none"
            )
        return self._reduce(self._focus(cross_entropy, y_true), y_true)

    def raw_loss_gradient(self, raw, y_true, activation, sample_weight=None):
        gamma = float(self.gamma)
        if y_true.ndim == 1:
            cross_entropy = F.cross_entropy(raw, y_true, reduction="none")
            # d cross_entropy / d raw: softmax minus the one-hot target
            ce_gradient = torch.softmax(raw, dim=1)
            ce_gradient -= one_hot(y_true, raw.shape[1], raw.dtype)
        else:
            cross_entropy = F.binary_cross_entropy_with_logits(
                raw, y_true, reduction="none"
            )
            ce_gradient = torch.sigmoid(raw) - y_true
        # focal = q**gamma * ce with q = 1 - p_t = -expm1(-ce); dq/dce = p_t.
        q = -torch.expm1(-cross_entropy)
        p_true = 1.0 - q
        focus = q.pow(gamma)
        slope = focus.clone()
        if gamma:
            # gamma q**(gamma - 1) p_t ce, whose limit is 0 where q = 0.
            term = gamma * q.pow(gamma - 1.0) * p_true * cross_entropy
            slope += term.masked_fill_(q == 0, 0.0)
        values = focus * cross_entropy
        if self.alpha is not None:
            factor = (
                self.alpha
                if y_true.ndim == 1
                else y_true * self.alpha + (1.0 - y_true) * (1.0 - self.alpha)
            )
            values = factor * values
            slope = factor * slope
        if y_true.ndim == 1:
            gradient = ce_gradient.mul_(slope.unsqueeze(1))
            return weighted(values, gradient, sample_weight)
        return per_sample(values, ce_gradient.mul_(slope), sample_weight)

    def fit_intercept_only(self, y_true, sample_weight, task):
        y_true = np.asarray(y_true)
        if self.gamma != 0:  # no closed form: the numerical minimiser
            return super().fit_intercept_only(y_true, sample_weight, task)
        if self.alpha is None or y_true.ndim == 1:  # a constant factor
            return _probability_start(y_true, sample_weight)
        # Class-balanced cross-entropy: the positives' share weighted by alpha.
        positive = self.alpha * column_means(y_true, sample_weight)
        negative = (1.0 - self.alpha) * (1.0 - column_means(y_true, sample_weight))
        mean = positive / (positive + negative)
        return clip_raw("logistic", inverse_activation("logistic", mean))
