"""Two rules about losses that the comparison needs, decided from the loss objects.

* :func:`is_location_scale`: whether a regression loss is a function of the residual
  ``y_pred - y`` alone. Such a loss fits a standardised target as well as the original
  one (the fit is moved back by the inverse transform), and a network trains best on a
  standardised target. Count, log-link and relative losses (Poisson, squared log
  error, ...) are not: shifting the target changes what they fit, so they see the
  user's own target.
* :func:`same_model`: whether two losses train the same network to the same function.
  They must build the same network (task as the network sees it, output units, output
  activation) and have gradients with respect to the raw outputs that are positive
  multiples of each other everywhere: then every optimizer step points the same way
  (Adam, which divides by the gradient's running scale, takes the same steps) and the
  fitted models coincide. ``log_loss``, ``sparse_categorical_crossentropy`` and
  ``kl_divergence`` on multi-class labels qualify; on binary labels ``log_loss`` (one
  sigmoid unit) and the two-unit losses (softmax) do not. ``quantile`` at 0.5 is half
  the ``absolute_error``.

Both are decided numerically on probe points, so they hold for losses added later (a
user's own loss, or a Tweedie loss at power 1 against Poisson) without a list to keep.
"""

from __future__ import annotations

import numpy as np
import torch

from .losses import get_loss
from .losses._activation import ACTIVATIONS

_N_PROBES = 64
#: relative tolerance of the proportionality test; KL divergence differs from the
#: cross-entropy by its clipping epsilon (1e-7), far below it
_RTOL = 1e-5


def is_location_scale(loss) -> bool:
    """Whether a regression loss depends on the residual ``y_pred - y`` only.

    Parameters
    ----------
    loss : str or Loss
        A regression loss.

    Returns
    -------
    answer : bool
        True when shifting predictions and targets together leaves every per-sample
        value unchanged; False otherwise, or when the loss cannot be evaluated on the
        probe (positive targets between 0.5 and 5, shifted by 3).

    Examples
    --------
    >>> from sklearn_losses._loss_rules import is_location_scale
    >>> is_location_scale("huber"), is_location_scale("poisson")
    (True, False)
    """
    try:
        loss = get_loss(loss)
        if "regression" not in loss.tasks or loss.positive_target:
            return False
        rng = np.random.default_rng(0)
        y_true = torch.as_tensor(rng.uniform(0.5, 5.0, size=(_N_PROBES, 1)))
        y_pred = torch.as_tensor(rng.uniform(0.5, 5.0, size=(_N_PROBES, 1)))
        with torch.no_grad():
            base = loss.loss(y_pred, y_true)
            shifted = loss.loss(y_pred + 3.0, y_true + 3.0)
        base, shifted = base.numpy(), shifted.numpy()
        return bool(np.allclose(base, shifted, rtol=1e-9, atol=1e-12))
    except Exception:  # noqa: BLE001 - a loss we cannot probe is left alone
        return False


def _raw_gradient(loss, task: str, y, raw: np.ndarray) -> np.ndarray:
    activation = ACTIVATIONS[loss.activation(task)]
    target = torch.as_tensor(loss.encode_target(y, task))
    with torch.no_grad():
        _, gradient = loss.raw_loss_gradient(torch.as_tensor(raw), target, activation)
    return gradient.numpy()


def network_of(loss, task: str, n_columns: int) -> tuple:
    """What a loss fixes in the network: (network task, output units, activation)."""
    loss = get_loss(loss)
    return (
        loss.network_task(task),
        loss.n_outputs(task, n_columns),
        loss.activation(task),
    )


def same_model(first, second, task: str, y) -> bool:
    """Whether two losses train the same network to the same function on ``y``.

    Parameters
    ----------
    first, second : str or Loss
        The losses.
    task : {"regression", "binary", "multiclass", "multilabel"}
        The task.
    y : ndarray
        Targets as the estimator encodes them before the loss does: floats of shape
        ``(n_samples, n_outputs)`` for regression, class indices for binary and
        multi-class targets, an indicator matrix for multi-label targets. A few rows
        are enough.

    Returns
    -------
    answer : bool
        True when both build the same network and their gradients with respect to the
        raw outputs are positive multiples of each other on random raw outputs (on
        these targets); False otherwise or when either cannot be evaluated.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_losses._loss_rules import same_model
    >>> labels = np.array([0, 1, 2, 1, 0])
    >>> same_model("log_loss", "kl_divergence", "multiclass", labels)
    True
    >>> same_model("log_loss", "sparse_categorical_crossentropy", "binary",
    ...            np.array([0, 1, 1, 0]))
    False
    """
    try:
        first, second = get_loss(first), get_loss(second)
        if task not in first.tasks or task not in second.tasks:
            return False
        y = np.asarray(y)
        n_columns = (
            y.shape[1]
            if y.ndim == 2
            else (2 if task == "binary" else int(np.max(y)) + 1)
        )
        network = network_of(first, task, n_columns)
        if network != network_of(second, task, n_columns):
            return False
        rng = np.random.default_rng(0)
        rows = rng.integers(0, len(y), size=_N_PROBES)
        y_probe = y[rows]
        # raw outputs spread over the kinks and both sides of every margin
        raw = rng.normal(scale=2.0, size=(_N_PROBES, network[1]))
        if task == "regression":
            raw = raw + y_probe.reshape(_N_PROBES, -1).astype(float)
        a = _raw_gradient(first, task, y_probe, raw).ravel()
        b = _raw_gradient(second, task, y_probe, raw).ravel()
        scale = float(a @ b) / float(b @ b) if b @ b > 0 else 0.0
        if not scale > 0:
            return False
        return bool(np.linalg.norm(a - scale * b) <= _RTOL * np.linalg.norm(a))
    except Exception:  # noqa: BLE001 - losses we cannot probe are kept apart
        return False
