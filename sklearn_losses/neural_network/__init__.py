"""The two estimators and the torch module they train."""

from ._module import MLPModule
from ._multilayer_perceptron import MLPClassifier, MLPRegressor
from ._skops import skops_trusted_types

__all__ = ["MLPClassifier", "MLPModule", "MLPRegressor", "skops_trusted_types"]
