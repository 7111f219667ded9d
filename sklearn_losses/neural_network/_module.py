"""The multi-layer perceptron as a torch module, initialised as scikit-learn does."""

from __future__ import annotations

import math

import torch
from torch import nn

HIDDEN_ACTIVATIONS = {
    "identity": nn.Identity,
    "logistic": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
}


class MLPModule(nn.Module):
    """Fully connected layers with one hidden activation and a linear output layer.

    The output activation is not part of the module: the loss applies it (training on
    raw outputs is more stable for logits and log-rates).

    Parameters
    ----------
    n_features : int
        Number of inputs.
    hidden_layer_sizes : sequence of int
        Units of each hidden layer.
    n_outputs : int
        Number of output units.
    activation : {"identity", "logistic", "tanh", "relu"}
        Hidden activation.
    """

    def __init__(
        self,
        n_features: int,
        hidden_layer_sizes: tuple[int, ...],
        n_outputs: int,
        activation: str = "relu",
    ):
        super().__init__()
        sizes = [n_features, *hidden_layer_sizes, n_outputs]
        self.layers = nn.ModuleList(
            nn.Linear(fan_in, fan_out) for fan_in, fan_out in zip(sizes, sizes[1:])
        )
        self.activation = activation
        self.hidden_activation = HIDDEN_ACTIVATIONS[activation]()

    def reset_parameters(self, generator: torch.Generator) -> None:
        """Glorot-uniform weights and biases, as scikit-learn's MLP initialises them."""
        factor = 2.0 if self.activation == "logistic" else 6.0
        with torch.no_grad():
            for layer in self.layers:
                bound = math.sqrt(factor / (layer.in_features + layer.out_features))
                for param in (layer.weight, layer.bias):
                    param.uniform_(-bound, bound, generator=generator)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        *hidden, output = self.layers
        for layer in hidden:
            X = self.hidden_activation(layer(X))
        return output(X)
