"""Output activations: the link between the network's raw output and its predictions.

Each activation is a pair of functions with the same meaning, one on torch tensors
(training and prediction) and one on NumPy arrays (metrics and tests). Names follow
scikit-learn's ``out_activation_`` vocabulary (``"logistic"`` is the sigmoid).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from scipy.special import expit, softmax


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

    Examples
    --------
    >>> import numpy as np, torch
    >>> from sklearn_losses.losses import ACTIVATIONS
    >>> logistic = ACTIVATIONS["logistic"]
    >>> float(logistic.torch_fn(torch.tensor(0.0))), float(logistic.numpy_fn(np.array(0.0)))
    (0.5, 0.5)
    """

    name: str
    torch_fn: Callable[[torch.Tensor], torch.Tensor]
    numpy_fn: Callable[[np.ndarray], np.ndarray]


# Module-level functions (not lambdas) so that fitted models pickle.
def _identity(z):
    return z


def _softplus_np(z: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, z)


def _softmax_torch(z: torch.Tensor) -> torch.Tensor:
    return torch.softmax(z, dim=1)


def _softmax_np(z: np.ndarray) -> np.ndarray:
    return softmax(z, axis=1)


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("identity", _identity, _identity),
        Activation("exp", torch.exp, np.exp),
        Activation("softplus", torch.nn.functional.softplus, _softplus_np),
        Activation("logistic", torch.sigmoid, expit),
        Activation("tanh", torch.tanh, np.tanh),
        Activation("softmax", _softmax_torch, _softmax_np),
    )
}
