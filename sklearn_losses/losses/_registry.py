"""The registry of loss names and aliases, and :func:`get_loss`."""

from __future__ import annotations

import difflib
import inspect
from typing import Union

from ._base import Loss
from ._classification import (
    BinaryFocal,
    CategoricalHinge,
    Hinge,
    KLDivergence,
    LogLoss,
    SparseCategoricalCrossEntropy,
    SquaredHinge,
)
from ._custom import CustomLoss
from ._distribution import GaussianNLL
from ._regression import (
    AbsoluteError,
    Huber,
    LogCosh,
    Poisson,
    Quantile,
    SquaredError,
    SquaredLogError,
)

LossLike = Union[str, Loss, "callable"]

_REGISTRY: dict[str, type[Loss]] = {}
_ALIASES: dict[str, str] = {}


def register_loss(cls: type[Loss]) -> type[Loss]:
    """Register a loss class under its ``name`` and ``aliases``; usable as a decorator.

    Registered losses are found by :func:`get_loss`, listed by :func:`loss_names`,
    compared by :func:`~sklearn_losses.compare_losses` and given scorers.

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
    ... class Cubic(RegressionLoss):
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
    for key in (cls.name, *cls.aliases):
        if key in _ALIASES and _ALIASES[key] != cls.name:
            raise ValueError(f"The loss name {key!r} is already taken.")
    _REGISTRY[cls.name] = cls
    _ALIASES.update({key: cls.name for key in (cls.name, *cls.aliases)})
    return cls


for _cls in (
    SquaredError,
    AbsoluteError,
    SquaredLogError,
    Huber,
    LogCosh,
    Poisson,
    Quantile,
    LogLoss,
    SparseCategoricalCrossEntropy,
    KLDivergence,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    BinaryFocal,
    GaussianNLL,
):
    register_loss(_cls)


def unregister_loss(name: str) -> None:
    """Remove a registered loss and its aliases (for tests and interactive use)."""
    cls = _REGISTRY.pop(name)
    for key in (cls.name, *cls.aliases):
        _ALIASES.pop(key, None)


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
    ['log_loss', 'hinge', 'squared_hinge', 'binary_focal']
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
