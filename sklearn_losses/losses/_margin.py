"""Margin losses of scikit-learn's SGD and gradient boosting, on linear outputs.

Each is a function of the margin ``z = y f`` of a decision value ``f`` and a label
``y`` in {-1, +1}. Binary targets use one unit; multi-class targets one unit per class,
one-vs-all as :class:`sklearn.linear_model.SGDClassifier` trains them (the per-class
losses are summed); multi-label targets (the perceptron) one unit per label,
averaged over labels.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import expit

from ._base import Loss, one_hot, per_sample, weighted

_IDENTITY = {"binary": "identity", "multiclass": "identity", "multilabel": "identity"}


class _MarginLoss(Loss):
    """A loss of the margin ``y f``, one-vs-all for several classes (not registered)."""

    tasks = frozenset({"binary", "multiclass", "multilabel"})
    default_activation: ClassVar[dict[str, str]] = _IDENTITY
    column_encoding = "sign"

    def _margin_loss(self, margin: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The loss of each margin and its derivative with respect to the margin."""
        raise NotImplementedError

    @staticmethod
    def _signs(y_true: torch.Tensor, n_columns: int, dtype) -> torch.Tensor:
        if y_true.ndim == 1:  # class indices: +1 for the class, -1 for the others
            return one_hot(y_true, n_columns, dtype).mul_(2.0).sub_(1.0)
        return y_true

    def loss(self, y_pred, y_true):
        signs = self._signs(y_true, y_pred.shape[1], y_pred.dtype)
        values, _ = self._margin_loss(signs * y_pred)
        return values.sum(dim=1) if y_true.ndim == 1 else values.mean(dim=1)

    def raw_loss_gradient(self, raw, y_true, activation, sample_weight=None):
        scores = activation.torch_fn(raw)
        signs = self._signs(y_true, scores.shape[1], scores.dtype)
        values, slope = self._margin_loss(signs * scores)
        gradient = activation.torch_backward(slope * signs, scores, raw)
        if y_true.ndim == 1:
            return weighted(values.sum(dim=1), gradient, sample_weight)
        return per_sample(values, gradient, sample_weight)


def _class_shares(y_true, sample_weight) -> np.ndarray:
    """Weighted share of the positive label of each unit (of each class, one-vs-all)."""
    y_true = np.asarray(y_true)
    if y_true.ndim == 1:  # class indices: one unit per class
        n_classes = max(int(y_true.max()) + 1, 2)
        positive = np.eye(n_classes)[y_true]
    else:
        positive = (y_true > 0).astype(np.float64)
    return np.average(positive, axis=0, weights=sample_weight)


class ModifiedHuber(_MarginLoss):
    """SGD's modified Huber loss: a smoothed hinge with class probabilities.

    With the margin ``z = y f``: ``max(0, 1 - z)**2`` for ``z >= -1``, ``-4 z``
    below (:class:`sklearn.linear_model.SGDClassifier`, ``loss="modified_huber"``).
    It is as robust to outliers as the hinge and gives the probability estimate
    ``(clip(f, -1, 1) + 1) / 2``, normalised over the classes for multi-class targets
    as SGDClassifier's ``predict_proba`` does. Metrics take ``decision_function``
    values. No clipping in the loss.

    Examples
    --------
    >>> from sklearn_losses.metrics import modified_huber
    >>> modified_huber([0, 1, 1], [-2.0, 0.5, -3.0])  # (0 + 0.25 + 12) / 3
    4.083333333333333
    """

    name = "modified_huber"
    # As SGDClassifier: no multi-label form (its probabilities reach exactly 0 and 1,
    # which scikit-learn's multi-label predict_proba convention excludes).
    tasks = frozenset({"binary", "multiclass"})

    def _margin_loss(self, margin):
        inner = margin >= -1.0
        values = torch.where(inner, F.relu(1.0 - margin).square(), -4.0 * margin)
        slope = torch.where(inner, -2.0 * F.relu(1.0 - margin), -4.0)
        return values, slope

    def fit_intercept_only(self, y_true, sample_weight, task) -> np.ndarray:
        """``2 p - 1`` per unit, ``p`` the weighted share of the class: the constant
        decision value that minimises ``p (1 - f)**2 + (1 - p)(1 + f)**2``.

        Parameters
        ----------
        y_true : ndarray
            Encoded targets: a {-1, +1} column (binary) or class indices.
        sample_weight : ndarray of shape (n_samples,) or None
            Sample weights.
        task : str
            The task.

        Returns
        -------
        ndarray of shape (n_outputs,)
            The raw outputs (identity activation).
        """
        return 2.0 * _class_shares(y_true, sample_weight) - 1.0

    def decision_proba(self, decision, task):
        proba = (np.clip(decision, -1.0, 1.0) + 1.0) / 2.0
        if proba.ndim == 1:
            return np.column_stack([1.0 - proba, proba])
        total = proba.sum(axis=1, keepdims=True)
        none = total[:, 0] == 0  # every class at -1: uniform, as SGDClassifier
        proba[none] = 1.0
        total[none] = proba.shape[1]
        return proba / total


class Perceptron(_MarginLoss):
    """The perceptron criterion ``max(0, -y f)``: only misclassified samples cost.

    :class:`sklearn.linear_model.SGDClassifier` with ``loss="perceptron"`` (and
    :class:`sklearn.linear_model.Perceptron`). It has no margin: any correct side
    is free, so the decision boundary is not pushed away from the samples. No
    probabilities; metrics take ``decision_function`` values. No clipping.

    Examples
    --------
    >>> from sklearn_losses.metrics import perceptron
    >>> perceptron([0, 1, 1], [-2.0, 0.5, -3.0])  # (0 + 0 + 3) / 3
    1.0
    """

    name = "perceptron"

    def _margin_loss(self, margin):
        values = F.relu(-margin)
        return values, -(values > 0).to(margin.dtype)

    def fit_intercept_only(self, y_true, sample_weight, task) -> np.ndarray:
        """Zero: a zero decision value costs nothing, the criterion's minimum.

        Parameters
        ----------
        y_true : ndarray
            Encoded targets.
        sample_weight : ndarray of shape (n_samples,) or None
            Sample weights.
        task : str
            The task.

        Returns
        -------
        ndarray of shape (n_outputs,)
            Zeros.
        """
        return np.zeros(len(_class_shares(y_true, sample_weight)))


class Exponential(_MarginLoss):
    """Exponential loss ``exp(-y f)`` of AdaBoost and gradient boosting (binary).

    :class:`sklearn.ensemble.GradientBoostingClassifier` with
    ``loss="exponential"``; its probability estimate is ``expit(2 f)``, as
    scikit-learn's. Wrong predictions cost exponentially, so it is sensitive to
    mislabelled samples. Metrics take ``decision_function`` values. No clipping.

    Examples
    --------
    >>> from sklearn_losses.metrics import exponential
    >>> import math
    >>> exponential([0, 1], [0.0, 0.0])  # exp(0)
    1.0
    >>> round(exponential([0, 1], [-1.0, 1.0]), 6) == round(math.exp(-1), 6)
    True
    """

    name = "exponential"
    tasks = frozenset({"binary"})

    def _margin_loss(self, margin):
        values = torch.exp(-margin)
        return values, -values

    def fit_intercept_only(self, y_true, sample_weight, task) -> np.ndarray:
        """Half the log-odds of the weighted share of the positive class, the
        constant minimiser of ``p e**-f + (1 - p) e**f`` (gradient boosting's start).

        Parameters
        ----------
        y_true : ndarray of shape (n_samples, 1)
            Encoded targets in {-1, +1}.
        sample_weight : ndarray of shape (n_samples,) or None
            Sample weights.
        task : str
            The task (binary).

        Returns
        -------
        ndarray of shape (1,)
            The raw output.
        """
        eps = np.finfo(np.float64).eps
        p = np.clip(_class_shares(y_true, sample_weight), eps, 1.0 - eps)
        return 0.5 * np.log(p / (1.0 - p))

    def decision_proba(self, decision, task):
        proba = expit(2.0 * np.ravel(decision))
        return np.column_stack([1.0 - proba, proba])
