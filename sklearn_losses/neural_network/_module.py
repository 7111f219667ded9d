"""The multi-layer perceptron as a torch module."""

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
INITIALISATIONS = ("glorot_uniform", "he_uniform")


class MLPModule(nn.Module):
    """Fully connected layers with one hidden activation and a linear output layer.

    The output activation is not part of the module: the loss applies it, because
    training on raw outputs is more stable for logits and log-rates.

    Parameters
    ----------
    n_features : int
        Number of inputs.
    n_outputs : int
        Number of output units.
    hidden_layer_sizes : sequence of int, default=(100,)
        Units of each hidden layer.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Hidden activation.
    init : {"glorot_uniform", "he_uniform"}, default="glorot_uniform"
        ``"glorot_uniform"`` is scikit-learn's initialisation: weights and biases drawn
        from ``U(-b, b)`` with ``b = sqrt(6 / (fan_in + fan_out))`` (``2`` instead of
        ``6`` for the logistic activation). ``"he_uniform"`` is what a Keras model with
        ``kernel_initializer="he_uniform"`` on its hidden layers gets: hidden weights
        from ``U(-sqrt(6 / fan_in), sqrt(6 / fan_in))``, output weights Glorot-uniform,
        biases zero.
    generator : torch.Generator or None, default=None
        Source of randomness for the initialisation; None uses torch's global one.

    Examples
    --------
    The reference experiments' network, as a ``module=`` for the estimators:

    >>> from functools import partial
    >>> from sklearn_losses import MLPRegressor
    >>> from sklearn_losses.neural_network import MLPModule
    >>> module = partial(MLPModule, hidden_layer_sizes=(25,), init="he_uniform")
    >>> reg = MLPRegressor(module=module, solver="sgd", nesterovs_momentum=False)
    """

    def __init__(
        self,
        n_features: int,
        n_outputs: int,
        hidden_layer_sizes: tuple[int, ...] = (100,),
        activation: str = "relu",
        init: str = "glorot_uniform",
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        if init not in INITIALISATIONS:
            raise ValueError(f"init must be one of {INITIALISATIONS}, got {init!r}.")
        sizes = [n_features, *hidden_layer_sizes, n_outputs]
        self.layers = nn.ModuleList(
            nn.Linear(fan_in, fan_out) for fan_in, fan_out in zip(sizes, sizes[1:])
        )
        self.activation = activation
        self.hidden_activation = HIDDEN_ACTIVATIONS[activation]()
        self.reset_parameters(init, generator)

    @torch.no_grad()
    def reset_parameters(
        self, init: str = "glorot_uniform", generator: torch.Generator | None = None
    ) -> None:
        """Draw new weights and biases (see ``init`` in the class docstring)."""
        glorot_factor = 2.0 if self.activation == "logistic" else 6.0
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            fan_in, fan_out = layer.in_features, layer.out_features
            if init == "he_uniform":
                bound = math.sqrt(6.0 / (fan_in if i < last else fan_in + fan_out))
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.zero_()
            else:
                bound = math.sqrt(glorot_factor / (fan_in + fan_out))
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.uniform_(-bound, bound, generator=generator)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        *hidden, output = self.layers
        for layer in hidden:
            X = self.hidden_activation(layer(X))
        return output(X)
