"""The registry of loss names and aliases, and :func:`get_loss`."""

from __future__ import annotations

import difflib
import inspect
from typing import Union

from ._base import Loss
from ._custom import CustomLoss
from ._names import _ALIASES, _REFUSED, _REGISTRY, add_loss, remove_loss

LossLike = Union[str, Loss, "callable"]


def register_loss(cls: type[Loss]) -> type[Loss]:
    """Register a loss class under its ``name`` and ``aliases``; usable as a decorator.

    Defining a :class:`Loss` subclass with a ``name`` registers it already; this
    function registers a class defined with ``register=False``, or again one that
    was unregistered. Registered losses are found by :func:`get_loss`, listed by
    :func:`loss_names`, compared by :func:`~sklearn_losses.compare_losses` and given
    metric functions and scorers. Defining a class of the same module and name again
    (re-running a cell, reloading a module) replaces the earlier definition; another
    class cannot take a name that is in use.

    Parameters
    ----------
    cls : type
        A :class:`Loss` subclass with a ``name`` that no other loss uses.

    Returns
    -------
    type
        ``cls`` itself.

    Examples
    --------
    >>> from sklearn_losses.losses import RegressionLoss, get_loss, register_loss
    >>> @register_loss
    ... class Cubic(RegressionLoss, register=False):
    ...     name = "cubic_error"
    ...     def pointwise(self, y_pred, y_true):
    ...         return (y_pred - y_true).abs() ** 3
    >>> get_loss("cubic_error")
    Cubic()
    >>> from sklearn_losses.losses._registry import unregister_loss
    >>> unregister_loss("cubic_error")
    """
    if not (inspect.isclass(cls) and issubclass(cls, Loss)) or not cls.name:
        raise TypeError(f"{cls!r} must be a Loss subclass with a `name`.")
    return add_loss(cls)


def unregister_loss(name: str) -> None:
    """Remove a registered loss and its aliases (for tests and interactive use).

    Parameters
    ----------
    name : str
        The loss's canonical name.

    Examples
    --------
    >>> from sklearn_losses.losses import RegressionLoss, get_loss, loss_names
    >>> from sklearn_losses.losses._registry import unregister_loss
    >>> class Quartic(RegressionLoss):
    ...     name = "quartic_error"
    ...     def pointwise(self, y_pred, y_true):
    ...         return (y_pred - y_true) ** 4
    >>> "quartic_error" in loss_names()
    True
    >>> unregister_loss("quartic_error")
    >>> "quartic_error" in loss_names()
    False
    """
    remove_loss(name)


def loss_names(task: str | None = None) -> list[str]:
    """Canonical names of the registered losses, optionally only those for ``task``.

    Parameters
    ----------
    task : {"regression", "binary", "multiclass", "multilabel"} or None, default=None
        Keep only the losses that accept this task.

    Returns
    -------
    list of str
        Names in registration order.

    Examples
    --------
    >>> from sklearn_losses.losses import loss_names
    >>> loss_names("multilabel")
    ['log_loss', 'hinge', 'squared_hinge', 'binary_focal', 'perceptron']
    """
    return [
        name for name, cls in _REGISTRY.items() if task is None or task in cls.tasks
    ]


def loss_aliases() -> dict[str, str]:
    """Every accepted name mapped to its canonical name.

    Returns
    -------
    dict of str to str
        Canonical names map to themselves; aliases (Keras and tf.keras names) to the
        canonical name of their loss.

    Examples
    --------
    >>> from sklearn_losses.losses import loss_aliases
    >>> aliases = loss_aliases()
    >>> aliases["kullback_leibler_divergence"], aliases["mse"]
    ('kl_divergence', 'squared_error')
    """
    return dict(_ALIASES)


def get_loss(loss: LossLike) -> Loss:
    """Return a loss object from a name, an alias, a loss object or a torch function.

    Parameters
    ----------
    loss : str, Loss or callable
        A registered name or alias (``"mse"``, ``"binary_crossentropy"``...), a
        :class:`Loss` instance (returned as is), a :class:`Loss` subclass (instantiated
        with its defaults) or a torch function ``f(y_pred, y_true)`` (wrapped in
        :class:`CustomLoss`).

    Returns
    -------
    Loss
        The loss object.

    Examples
    --------
    >>> from sklearn_losses.losses import get_loss
    >>> get_loss("mse")
    SquaredError()
    >>> get_loss("kullback_leibler_divergence").name
    'kl_divergence'
    """
    if isinstance(loss, Loss):
        return loss
    if inspect.isclass(loss) and issubclass(loss, Loss):
        return loss()
    if isinstance(loss, str):
        if loss in _ALIASES:
            return _REGISTRY[_ALIASES[loss]]()
        if loss in _REFUSED:
            raise ValueError(f"The {loss!r} loss is not offered: {_REFUSED[loss]}")
        close = difflib.get_close_matches(loss, list(_ALIASES), n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"Unknown loss {loss!r}.{hint} Valid names: {', '.join(sorted(_REGISTRY))}"
            f" (aliases: {', '.join(sorted(set(_ALIASES) - set(_REGISTRY)))})."
        )
    if callable(loss):
        return CustomLoss(loss)
    raise TypeError(
        f"loss must be a loss name, a Loss instance or a torch function, got "
        f"{type(loss).__name__}."
    )
