"""Loss objects: each one fixes the output activation, target encoding and criterion."""

from ._activation import ACTIVATIONS, Activation
from ._base import TASKS, Loss
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
from ._registry import get_loss, loss_aliases, loss_names, register_loss
from ._regression import (
    AbsoluteError,
    Huber,
    LogCosh,
    Poisson,
    Quantile,
    RegressionLoss,
    SquaredError,
    SquaredLogError,
)

__all__ = [
    "ACTIVATIONS",
    "TASKS",
    "AbsoluteError",
    "Activation",
    "BinaryFocal",
    "CategoricalHinge",
    "CustomLoss",
    "GaussianNLL",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "LogLoss",
    "Loss",
    "Poisson",
    "Quantile",
    "RegressionLoss",
    "SparseCategoricalCrossEntropy",
    "SquaredError",
    "SquaredHinge",
    "SquaredLogError",
    "get_loss",
    "loss_aliases",
    "loss_names",
    "register_loss",
]
