"""Several quantile levels from one network, for :class:`Quantile` with a list of
``alpha``.

The network has ``m`` outputs per target (one per level), laid out target by target:
``raw[:, t * m:(t + 1) * m]`` holds target ``t``'s levels. Their output activation
acts on each target's group as a whole, so it is built here rather than taken from
:data:`ACTIVATIONS`: the lowest level goes through the base activation, each higher
level adds a softplus increment, so the quantiles never cross.

This module defines no loss class (a class with a ``name`` registers itself, and
:mod:`._regression` imports this module before its own losses).
"""

from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F

from ._activation import ACTIVATIONS, Activation
from ._base import inverse_activation, weighted_quantile


def check_levels(alpha) -> np.ndarray:
    """Quantile levels as a float array, checked: strictly increasing, in (0, 1)."""
    if np.ndim(alpha) == 1:
        try:  # a training step asks for them: check each value of alpha once
            return _checked_levels(tuple(alpha))
        except TypeError:  # unhashable items: let the check below say why
            pass
    return _checked_levels.__wrapped__(alpha)


@functools.lru_cache(maxsize=64)
def _checked_levels(alpha) -> np.ndarray:
    levels = np.asarray(alpha, dtype=np.float64)
    if (
        levels.ndim != 1
        or len(levels) == 0
        or not np.all((levels > 0) & (levels < 1))
        or np.any(np.diff(levels) <= 0)
    ):
        raise ValueError(
            f"alpha must be a float in (0, 1) or a sequence of strictly increasing "
            f"levels in (0, 1), e.g. [0.05, 0.5, 0.95]; got {list(alpha)!r}."
        )
    levels.flags.writeable = False  # shared by every caller
    return levels


def point_level(levels: np.ndarray) -> int:
    """Index of the level ``predict`` returns: the one nearest 0.5 (the lower one of
    two equally near), the median when 0.5 is among the levels."""
    return int(np.argmin(np.abs(levels - 0.5)))


def _increasing_torch(raw, *, n_levels, base):
    # softplus of every unit, then the base activation on each target's lowest level
    # (in place: softplus's backward reads its input, not its output)
    terms = F.softplus(raw)
    if base != "softplus":
        lowest = raw[:, ::n_levels]
        terms[:, ::n_levels] = ACTIVATIONS[base].torch_fn(lowest)
    return terms.unflatten(1, (-1, n_levels)).cumsum(dim=-1).flatten(1)


def _increasing_numpy(raw, *, n_levels, base):
    terms = np.logaddexp(0.0, raw)
    if base != "softplus":
        terms[:, ::n_levels] = ACTIVATIONS[base].numpy_fn(raw[:, ::n_levels])
    shape = (raw.shape[0], -1, n_levels)
    return terms.reshape(shape).cumsum(axis=-1).reshape(raw.shape)


def _increasing_backward(grad, output, raw, *, n_levels, base):
    # Level j is the sum of the terms up to j: term i's gradient sums levels >= i
    # (cumsum's backward, as autograd computes it).
    suffix = grad.unflatten(1, (-1, n_levels)).flip(-1).cumsum(-1).flip(-1).flatten(1)
    result = ACTIVATIONS["softplus"].torch_backward(suffix, None, raw)
    if base != "softplus":
        lowest = (slice(None), slice(None, None, n_levels))
        result[lowest] = ACTIVATIONS[base].torch_backward(
            suffix[lowest], output[lowest], raw[lowest]
        )
    return result


def increasing_name(base: str) -> str:
    """``out_activation_`` of several quantile levels on the ``base`` activation."""
    return "increasing" if base == "identity" else f"increasing_{base}"


@functools.lru_cache(maxsize=64)
def increasing_activation(n_levels: int, base: str) -> Activation:
    """Quantiles that never cross: ``base`` for the lowest level, then increments.

    Level ``j`` of a target is ``base(r_0) + softplus(r_1) + ... + softplus(r_j)``:
    each level is the previous one plus a non-negative number, so a higher level is
    never below a lower one, in floating point too.
    """
    options = {"n_levels": n_levels, "base": base}
    return Activation(
        increasing_name(base),
        functools.partial(_increasing_torch, **options),
        functools.partial(_increasing_numpy, **options),
        functools.partial(_increasing_backward, **options),
    )


@functools.lru_cache(maxsize=64)
def _level_tensors(levels: bytes, dtype, device) -> tuple[torch.Tensor, ...]:
    """``alpha``, ``alpha - 1`` and ``0.5 - alpha`` as tensors, made once."""
    alpha = torch.from_numpy(np.frombuffer(levels, dtype=np.float64).copy())
    alpha = alpha.to(dtype=dtype, device=device)
    return alpha, alpha - 1.0, 0.5 - alpha


def pinball_levels(
    y_pred: torch.Tensor, y_true: torch.Tensor, levels: np.ndarray
) -> tuple[torch.Tensor, torch.Tensor]:
    """Element-wise pinball losses of all levels and their derivatives.

    ``y_pred`` is ``(n, n_targets * n_levels)``, ``y_true`` ``(n, n_targets)``.
    """
    alpha, alpha_minus_one, half_minus_alpha = _level_tensors(
        levels.tobytes(), y_pred.dtype, y_pred.device
    )
    diff = y_true.unsqueeze(-1) - y_pred.unflatten(1, (-1, len(levels)))
    values = torch.maximum(alpha * diff, alpha_minus_one * diff).flatten(1)
    # -alpha above the quantile, 1 - alpha below, their mean at the kink (as
    # autograd splits torch.maximum's gradient between equal arguments).
    derivative = (half_minus_alpha - 0.5 * diff.sign()).flatten(1)
    return values, derivative


def quantile_intercepts(
    y_true: np.ndarray, sample_weight, levels: np.ndarray, base: str
) -> np.ndarray:
    """Raw outputs of the best constant quantiles: weighted quantiles of each target,
    mapped back through the increasing activation."""
    y_true = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
    weight = np.ones(len(y_true)) if sample_weight is None else sample_weight
    weight = np.asarray(weight, dtype=np.float64)
    # (n_targets, n_levels): each level's best constant, as a float alpha's
    q = np.column_stack([weighted_quantile(y_true, weight, a) for a in levels])
    raw = np.empty_like(q)
    raw[:, 0] = inverse_activation(base, q[:, 0])
    # Tied quantiles would need an increment of 0, softplus(-inf), where the
    # increment's gradient vanishes: start them a hundredth of a spread apart.
    center = np.average(y_true, axis=0, weights=weight)
    spread = np.sqrt(np.average((y_true - center) ** 2, axis=0, weights=weight))
    steps = np.maximum(np.diff(q, axis=1), 0.01 * spread[:, np.newaxis])
    raw[:, 1:] = inverse_activation("softplus", steps)
    return raw.ravel()
