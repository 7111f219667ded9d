"""sklearn-losses: the loss of a neural network as a scikit-learn hyperparameter."""

from . import losses
from .losses import get_loss
from .neural_network import MLPClassifier, MLPRegressor

__version__ = "0.1.0"

__all__ = ["MLPClassifier", "MLPRegressor", "get_loss", "losses", "__version__"]
