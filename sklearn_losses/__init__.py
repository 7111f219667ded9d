"""sklearn-losses: the loss of a neural network as a scikit-learn hyperparameter."""

from . import losses, metrics, model_selection
from .compare import compare_losses
from .losses import get_loss
from .neural_network import MLPClassifier, MLPRegressor, skops_trusted_types
from .plotting import LossCurveDisplay
from .scoring import get_scorer, get_scorer_names, make_loss_scorer

__version__ = "0.1.0"

__all__ = [
    "LossCurveDisplay",
    "MLPClassifier",
    "MLPRegressor",
    "compare_losses",
    "get_loss",
    "get_scorer",
    "get_scorer_names",
    "losses",
    "make_loss_scorer",
    "skops_trusted_types",
    "metrics",
    "model_selection",
    "__version__",
]
