"""Output activations: the link between the network's raw output and its predictions.

Each activation is a pair of functions with the same meaning, one on torch tensors
(training and prediction) and one on NumPy arrays (metrics and tests), and the
torch function's backward, which the losses' closed-form gradients chain through.
Names follow scikit-learn's ``out_activation_`` vocabulary (``"logistic"`` is the
sigmoid).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from scipy.special import expit


@dataclass(frozen=True)
class Activation:
    """An output activation as a torch function and its NumPy twin.

    Parameters
    ----------
    name : str
        The name reported in ``out_activation_``.
    torch_fn : callable
        The activation on torch tensors.
    numpy_fn : callable
        The same function on NumPy arrays.
    torch_backward : callable
        ``torch_backward(grad, output, raw)``: the gradient with respect to ``raw``
        given the gradient ``grad`` with respect to ``output = torch_fn(raw)`` (the
        vector-Jacobian product, as autograd computes it).

    Examples
    --------
    >>> import numpy as np, torch
    >>> from sklearn_losses.losses import ACTIVATIONS
    >>> logistic = ACTIVATIONS["logistic"]
    >>> float(logistic.torch_fn(torch.tensor(0.0))), float(logistic.numpy_fn(np.array(0.0)))
    (0.5, 0.5)
    >>> z = torch.tensor([0.0]); p = logistic.torch_fn(z)
    >>> float(logistic.torch_backward(torch.ones(1), p, z))  # p (1 - p)
    0.25
    """

    name: str
    torch_fn: Callable[[torch.Tensor], torch.Tensor]
    numpy_fn: Callable[[np.ndarray], np.ndarray]
    torch_backward: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


# Module-level functions (not lambdas) so that fitted models pickle.
def _identity(z):
    return z


def _softplus_np(z: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, z)


def _softmax_torch(z: torch.Tensor) -> torch.Tensor:
    return torch.softmax(z, dim=1)


def _softmax_np(z: np.ndarray) -> np.ndarray:
    # scipy.special.softmax's computation, without its per-call overhead
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


# Backward functions: the formulas of the kernels autograd runs for these functions,
# written with public tensor operations in the same order.
def _identity_backward(grad, output, raw):
    return grad


def _exp_backward(grad, output, raw):
    return grad * output


def _softplus_backward(grad, output, raw):
    # torch's softplus is linear above its threshold of 20 (beta = 1)
    z = raw.exp()
    return torch.where(raw > 20.0, grad, grad * z / (z + 1.0))


def _logistic_backward(grad, output, raw):
    return grad * (1.0 - output) * output


def _tanh_backward(grad, output, raw):
    return grad * (1.0 - output * output)


def _softmax_backward(grad, output, raw):
    return output * (grad - (grad * output).sum(dim=1, keepdim=True))


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("identity", _identity, _identity, _identity_backward),
        Activation("exp", torch.exp, np.exp, _exp_backward),
        Activation(
            "softplus", torch.nn.functional.softplus, _softplus_np, _softplus_backward
        ),
        Activation("logistic", torch.sigmoid, expit, _logistic_backward),
        Activation("tanh", torch.tanh, np.tanh, _tanh_backward),
        Activation("softmax", _softmax_torch, _softmax_np, _softmax_backward),
    )
}
