"""The loss base class: a pointwise loss composed with an output activation.

A loss object carries everything that the choice of a loss fixes in a network:

* the tasks it accepts and the valid range of its targets (:meth:`Loss.check_target`);
* the output activation applied at prediction time (:meth:`Loss.activation`);
* the number of output units and the target encoding (:meth:`Loss.n_outputs`,
  :meth:`Loss.encode_target`);
* the per-sample loss, defined once on torch tensors in prediction space
  (:meth:`Loss.loss`) and, where it is more stable, on the network's raw outputs
  (:meth:`Loss.raw_loss`);
* its own hyperparameters, as constructor arguments (``get_params``/``set_params``).

The estimators weight and average the per-sample values; the metrics evaluate the same
:meth:`Loss.loss` in float64 on what ``predict``/``predict_proba``/``decision_function``
return, so training criterion and metric cannot drift apart.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator

from ._activation import ACTIVATIONS, Activation

#: The tasks a loss can declare. ``binary``, ``multiclass`` and ``multilabel`` follow
#: :func:`sklearn.utils.multiclass.type_of_target`; ``regression`` covers one or more
#: continuous outputs.
TASKS = ("regression", "binary", "multiclass", "multilabel")


class Loss(BaseEstimator):
    """Base class of all losses.

    Subclasses set the class attributes below and implement :meth:`loss`. Targets reach
    :meth:`loss` already encoded by :meth:`encode_target`:

    * ``regression``: float array of shape ``(n_samples, n_outputs)``;
    * ``binary`` and ``multilabel``: float array ``(n_samples, n_columns)`` holding
      ``{0, 1}`` (``column_encoding = "zero_one"``) or ``{-1, +1}`` (``"sign"``);
    * ``multiclass`` (and ``binary`` for losses with ``two_unit_binary = True``):
      int64 class indices of shape ``(n_samples,)``.

    ``loss`` returns one value per sample (outputs are averaged, classes summed as
    the definition requires).
    """

    #: canonical name, used by the registry, metrics and scorers
    name: ClassVar[str] = ""
    #: other names accepted by :func:`get_loss` (Keras and older tf.keras names)
    aliases: ClassVar[tuple[str, ...]] = ()
    #: tasks this loss accepts, a subset of :data:`TASKS`
    tasks: ClassVar[frozenset[str]] = frozenset()
    #: default output activation per task
    default_activation: ClassVar[dict[str, str]] = {}
    #: activations a user may choose with an ``out_activation`` parameter
    allowed_activations: ClassVar[frozenset[str]] = frozenset()
    #: whether outputs are class probabilities (enables ``predict_proba``)
    probabilistic: ClassVar[bool] = False
    #: binary targets use two softmax-like units and class indices instead of one unit
    two_unit_binary: ClassVar[bool] = False
    #: encoding of binary / multi-label columns: ``"zero_one"`` or ``"sign"``
    column_encoding: ClassVar[str] = "zero_one"
    #: targets must be non-negative (regression)
    positive_target: ClassVar[bool] = False
    #: scikit-learn style constraints of the constructor parameters
    _parameter_constraints: ClassVar[dict] = {}

    # -- the definition ----------------------------------------------------------------
    def loss(self, y_pred: torch.Tensor, y_true: torch.Tensor) -> torch.Tensor:
        """Per-sample loss of predictions (after the output activation)."""
        raise NotImplementedError

    def raw_loss(
        self, raw: torch.Tensor, y_true: torch.Tensor, activation: Activation
    ) -> torch.Tensor:
        """Per-sample loss of raw network outputs; used for training.

        The default applies the activation and calls :meth:`loss`. Losses with a
        numerically better form on raw outputs (logits, log-rates) override it.
        """
        return self.loss(activation.torch_fn(raw), y_true)

    # -- what the loss fixes in the network -------------------------------------------
    def network_task(self, task: str) -> str:
        """The task as the network sees it (two-unit losses treat binary as 2 classes)."""
        if task == "binary" and self.two_unit_binary:
            return "multiclass"
        return task

    def activation(self, task: str) -> str:
        """Name of the output activation used for ``task``."""
        chosen = getattr(self, "out_activation", None)
        if chosen is None:
            return self.default_activation[self.network_task(task)]
        if chosen not in self.allowed_activations:
            raise ValueError(
                f"out_activation={chosen!r} is not valid for the {self.name!r} loss; "
                f"choose one of {sorted(self.allowed_activations)}."
            )
        return chosen

    def n_outputs(self, task: str, n_columns: int) -> int:
        """Number of output units for ``task`` with ``n_columns`` targets or classes."""
        task = self.network_task(task)
        if task == "binary":
            return 1
        if task == "multiclass":
            return max(n_columns, 2)
        return n_columns

    def validate(self) -> None:
        """Check the loss's own parameters (called by the estimators at fit)."""
        self._validate_params()

    def check_task(self, task: str) -> None:
        """Raise a ValueError if this loss cannot be trained on ``task``."""
        if task not in self.tasks:
            accepted = ", ".join(t for t in TASKS if t in self.tasks)
            raise ValueError(
                f"The {self.name!r} loss does not apply to {task} targets; it accepts "
                f"{accepted} targets. Choose a loss for {task} targets, for example "
                f"{_EXAMPLE_LOSS[task]!r}."
            )

    def check_target(self, y: np.ndarray, task: str) -> None:
        """Check that targets lie in the loss's domain (raise or warn)."""
        self.check_task(task)

    def encode_target(self, y: np.ndarray, task: str) -> np.ndarray:
        """Encode targets for training and for :meth:`loss`.

        ``y`` is a float array ``(n_samples, n_outputs)`` for regression, class
        indices ``(n_samples,)`` for binary and multiclass, and a ``{0, 1}``
        indicator matrix for multilabel.
        """
        task = self.network_task(task)
        if task == "regression":
            return np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        if task == "multiclass":
            return np.asarray(y, dtype=np.int64)
        columns = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        if self.column_encoding == "sign":
            return 2.0 * columns - 1.0
        return columns


_EXAMPLE_LOSS = {
    "regression": "squared_error",
    "binary": "log_loss",
    "multiclass": "log_loss",
    "multilabel": "log_loss",
}


def one_hot(index: torch.Tensor, n_classes: int, dtype: torch.dtype) -> torch.Tensor:
    """Float one-hot matrix of class indices."""
    return torch.nn.functional.one_hot(index, n_classes).to(dtype)


def true_class_column(values: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``values[i, index[i]]`` for every row ``i``."""
    return values.gather(1, index.unsqueeze(1)).squeeze(1)


def activation_by_name(name: str) -> Activation:
    """Look up an output activation."""
    return ACTIVATIONS[name]
