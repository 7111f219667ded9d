"""A user's own loss, given as a torch function of predictions and targets."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import torch
from sklearn.utils._param_validation import StrOptions

from ._activation import ACTIVATIONS
from ._base import Loss, one_hot

LossFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class CustomLoss(Loss, register=False):
    """Wrap a torch function ``f(y_pred, y_true)`` as a loss.

    ``y_pred`` is the network output after the output activation and ``y_true`` the
    targets as float tensors, both of shape ``(n_samples, n_outputs)``:

    * regression: identity output, the targets as given;
    * binary: one sigmoid unit, ``{0, 1}`` targets;
    * multi-class: softmax units, one-hot targets;
    * multi-label: one sigmoid unit per label, the indicator matrix.

    ``f`` returns either one value per sample (sample weights then apply) or a scalar
    (the batch mean; ``sample_weight`` is then refused).

    Parameters
    ----------
    function : callable
        The loss ``f(y_pred, y_true) -> Tensor``; it must be differentiable in torch.
    out_activation : str or None, default=None
        Override the output activation, one of ``identity``, ``exp``, ``softplus``,
        ``logistic``, ``tanh``, ``softmax``.

    Examples
    --------
    Any torch function of ``(y_pred, y_true)`` is accepted as ``loss=``, and
    :func:`~sklearn_losses.losses.get_loss` wraps it in this class:

    >>> from sklearn_losses.losses import get_loss
    >>> def mean_cubed_error(y_pred, y_true):
    ...     return (y_pred - y_true).abs().pow(3).mean(dim=1)
    >>> loss = get_loss(mean_cubed_error)
    >>> type(loss).__name__, loss.activation("regression"), loss.activation("binary")
    ('CustomLoss', 'identity', 'logistic')
    >>> loss.metric([0.5, 1.5], [1.5, -0.5])  # (1**3 + 2**3) / 2
    4.5
    """

    name = "custom"
    tasks = frozenset({"regression", "binary", "multiclass", "multilabel"})
    default_activation: ClassVar[dict[str, str]] = {
        "regression": "identity",
        "binary": "logistic",
        "multilabel": "logistic",
        "multiclass": "softmax",
    }
    allowed_activations = frozenset(ACTIVATIONS)
    _parameter_constraints: ClassVar[dict] = {
        "function": [callable],
        "out_activation": [StrOptions(set(ACTIVATIONS)), None],
    }

    def __init__(self, function: LossFunction, out_activation: str | None = None):
        self.function = function
        self.out_activation = out_activation

    @property
    def probabilistic(self) -> bool:  # type: ignore[override]
        return self.out_activation in (None, "logistic", "softmax")

    def loss(self, y_pred, y_true):
        if y_true.ndim == 1:
            y_true = one_hot(y_true, y_pred.shape[1], y_pred.dtype)
        value = self.function(y_pred, y_true)
        if not isinstance(value, torch.Tensor):
            raise TypeError(
                f"The custom loss {self.function!r} returned {type(value).__name__}; "
                "it must return a torch tensor (a scalar or one value per sample)."
            )
        if value.ndim > 1:
            value = value.reshape(len(value), -1).mean(dim=1)
        return value
