"""Where registered losses are kept: names, aliases and the names refused.

The loss classes register themselves here when they are defined
(``Loss.__init_subclass__``); :mod:`._registry` looks names up. This module imports
nothing of the package, so the base class can reach it without an import cycle.
"""

from __future__ import annotations

_REGISTRY: dict[str, type] = {}
_ALIASES: dict[str, str] = {}


def own_aliases(cls: type) -> tuple[str, ...]:
    """The aliases a class declares itself (a renamed subclass inherits none)."""
    return tuple(vars(cls).get("aliases", ()))


def add_loss(cls: type) -> type:
    """Register a loss class (see :func:`._registry.register_loss`)."""
    if cls.name in _REFUSED:
        raise ValueError(
            f"The loss name {cls.name!r} is reserved: {_REFUSED[cls.name]}"
        )
    keys = (cls.name, *own_aliases(cls))
    previous = {_REGISTRY[_ALIASES[key]] for key in keys if key in _ALIASES}
    for other in previous - {cls}:
        if (other.__module__, other.__qualname__) != (cls.__module__, cls.__qualname__):
            taken = sorted(set(keys) & {other.name, *own_aliases(other)})
            raise ValueError(
                f"The loss name {taken[0]!r} is already taken by {other.__module__}."
                f"{other.__qualname__}. Choose another name, or unregister that loss "
                "first (sklearn_losses.losses._registry.unregister_loss)."
            )
        remove_loss(other.name)  # a new definition of the same class
    _REGISTRY[cls.name] = cls
    _ALIASES.update({key: cls.name for key in keys})
    return cls


def remove_loss(name: str) -> None:
    """Forget a registered loss and its aliases."""
    cls = _REGISTRY.pop(name)
    for key in (cls.name, *own_aliases(cls)):
        _ALIASES.pop(key, None)


#: Keras losses that are not offered, and why: each reason says what to use instead.
#: The user guide (docs/user_guide/choosing.rst) gives the same decisions.
_REFUSED: dict[str, str] = {
    "cosine_similarity": (
        "it compares the direction of the predicted and true output vectors and "
        "ignores their length, so a regressor trained with it predicts values of "
        "arbitrary scale (and a single output only its sign). For several outputs "
        "use 'squared_error' on targets scaled alike, or normalise the targets and "
        "predictions yourself."
    ),
    "dice": (
        "the Dice loss measures the overlap of a predicted and a true segmentation "
        "mask over many pixels; on one label per sample it has no per-sample value "
        "to weight or average, and its gradient vanishes or explodes. For imbalanced "
        "classes use 'binary_focal', class weights or 'log_loss'."
    ),
    "tversky": (
        "like the Dice loss it scores the overlap of segmentation masks over many "
        "pixels, not one label per sample. For imbalanced classes use "
        "'binary_focal' (alpha weights the positive class) or 'log_loss'."
    ),
    "iou": (
        "the intersection over union (Jaccard) loss scores the overlap of "
        "segmentation masks or boxes over many pixels, not one label per sample. "
        "Use 'log_loss' or 'binary_focal'."
    ),
    "circle": (
        "the circle loss learns an embedding from the similarity of pairs of samples "
        "in a batch (metric learning); a tabular MLP predicts targets, not "
        "embeddings. Use 'log_loss' to classify."
    ),
    "ctc": (
        "connectionist temporal classification aligns a sequence of outputs with an "
        "unaligned label sequence (speech, handwriting); a tabular MLP has one "
        "output vector per sample. Use 'log_loss' for one label per sample."
    ),
}
_REFUSED["dice_loss"] = _REFUSED["dice"]
_REFUSED["iou_loss"] = _REFUSED["iou"]
_REFUSED["jaccard"] = _REFUSED["iou"]
_REFUSED["cosine"] = _REFUSED["cosine_similarity"]
