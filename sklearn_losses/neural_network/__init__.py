"""The two estimators and the torch module they train."""

from ._module import MLPModule
from ._multilayer_perceptron import MLPClassifier, MLPRegressor

__all__ = ["MLPClassifier", "MLPModule", "MLPRegressor"]
