"""Loss objects: each one fixes the output activation, target encoding and criterion.

Defining a :class:`Loss` subclass with a ``name`` registers it; the modules are
imported in the order :func:`loss_names` lists their losses (regression first).
"""

from ._activation import ACTIVATIONS, Activation
from ._base import TASKS, Loss
from ._custom import CustomLoss
from ._interval import Interval
from ._registry import get_loss, loss_aliases, loss_names, register_loss

# isort: split
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

# isort: split
from ._regression_extra import (
    EpsilonInsensitive,
    Gamma,
    MeanAbsolutePercentageError,
    SquaredEpsilonInsensitive,
    Tweedie,
)

# isort: split
from ._distribution import GaussianNLL

# isort: split
from ._classification import (
    BinaryFocal,
    CategoricalHinge,
    Hinge,
    KLDivergence,
    LogLoss,
    SparseCategoricalCrossEntropy,
    SquaredHinge,
)

# isort: split
from ._categorical import CategoricalFocal, CategoricalGeneralizedCrossEntropy
from ._margin import Exponential, ModifiedHuber, Perceptron

__all__ = [
    "ACTIVATIONS",
    "TASKS",
    "AbsoluteError",
    "Activation",
    "BinaryFocal",
    "CategoricalFocal",
    "CategoricalGeneralizedCrossEntropy",
    "CategoricalHinge",
    "CustomLoss",
    "EpsilonInsensitive",
    "Exponential",
    "Gamma",
    "GaussianNLL",
    "Hinge",
    "Huber",
    "Interval",
    "KLDivergence",
    "LogCosh",
    "LogLoss",
    "Loss",
    "MeanAbsolutePercentageError",
    "ModifiedHuber",
    "Perceptron",
    "Poisson",
    "Quantile",
    "RegressionLoss",
    "SparseCategoricalCrossEntropy",
    "SquaredEpsilonInsensitive",
    "SquaredError",
    "SquaredHinge",
    "SquaredLogError",
    "Tweedie",
    "get_loss",
    "loss_aliases",
    "loss_names",
    "register_loss",
]
