"""skorch glue: tensor batches, the weighted criterion, scikit-learn's stopping rules."""

from __future__ import annotations

import copy
import math
import time

import torch
from skorch import NeuralNet
from skorch.callbacks import Callback
from skorch.utils import FirstStepAccumulator

from ..losses import Activation, Loss


class TensorData(torch.utils.data.Dataset):
    """Inputs, encoded targets and sample weights, as tensors made once per fit."""

    def __init__(self, X: torch.Tensor, target: torch.Tensor, weight: torch.Tensor):
        self.X, self.target, self.weight = X, target, weight

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], (self.target[i], self.weight[i])


class TensorBatches:
    """Mini-batches as slices of the dataset's tensors (skorch ``iterator_train``).

    Replaces the per-row ``Dataset`` indexing and ``DataLoader`` collation, the main
    cost of training on tabular data. Shuffled batches gather rows with one
    ``index_select`` per batch; the data itself is never copied per epoch.
    """

    def __init__(
        self,
        dataset: TensorData,
        batch_size: int,
        shuffle: bool = False,
        generator: torch.Generator | None = None,
    ):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self) -> int:
        return math.ceil(len(self.dataset) / self.batch_size)

    def __iter__(self):
        data, n, size = self.dataset, len(self.dataset), self.batch_size
        if not self.shuffle:
            for start in range(0, n, size):
                stop = start + size
                yield (
                    data.X[start:stop],
                    (data.target[start:stop], data.weight[start:stop]),
                )
            return
        order = torch.randperm(n, generator=self.generator).to(data.X.device)
        for start in range(0, n, size):
            rows = order[start : start + size]
            yield data.X[rows], (data.target[rows], data.weight[rows])


class Criterion(torch.nn.Module):
    """Per-sample loss of raw network outputs: the loss object and its activation."""

    def __init__(self, loss: Loss, activation: Activation):
        super().__init__()
        self.loss = loss
        self.activation = activation

    def forward(self, raw: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.loss.raw_loss(raw, target, self.activation)


class _LastStepAccumulator(FirstStepAccumulator):
    """Keep the last closure evaluation (L-BFGS evaluates the loss several times)."""

    def store_step(self, step):
        self.step = step


class Net(NeuralNet):
    """A skorch ``NeuralNet`` minimising ``(sum_i w_i l_i + alpha/2 ||W||^2) / sum_i w_i``.

    This is scikit-learn's MLP objective per batch: the per-sample losses weighted by
    ``sample_weight`` plus the L2 penalty on weight matrices (not biases), both
    normalised by the batch's total weight.
    """

    def __init__(self, *args, alpha: float = 0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.alpha = alpha

    def initialize_module(self):
        super().initialize_module()
        self.penalized_ = [p for p in self.module_.parameters() if p.ndim > 1]
        return self

    def get_loss(self, y_pred, y_true, X=None, training=False):
        target, weight = y_true
        per_sample = self.criterion_(y_pred, target)
        weight_sum = weight.sum()
        # A batch whose weights are all zero contributes nothing (and no NaN).
        normaliser = torch.where(weight_sum > 0, weight_sum, torch.inf)
        if per_sample.ndim == 0:  # a custom loss that already averages the batch
            total = per_sample * weight_sum
        else:
            total = (per_sample * weight).sum()
        if self.alpha:
            total = total + 0.5 * self.alpha * sum(
                p.square().sum() for p in self.penalized_
            )
        return total / normaliser

    def get_train_step_accumulator(self):
        if isinstance(self.optimizer_, torch.optim.LBFGS):
            return _LastStepAccumulator()
        return super().get_train_step_accumulator()


class ValidationSet:
    """A validation set and how to judge raw outputs on it after each epoch.

    ``loss(raw)`` is the weighted training criterion without the L2 term; ``score(raw)``
    the estimator's ``score`` (accuracy or R^2), greater is better.
    """

    def __init__(self, X: torch.Tensor, loss, score):
        self.X = X
        self.loss = loss
        self.score = score


class SklearnStopping(Callback):
    """scikit-learn's MLP training rules, applied at the end of each skorch epoch.

    Records the loss curve, counts epochs without improvement (training loss, or the
    validation score with early stopping), adapts the SGD learning rate
    (``invscaling``, ``adaptive``), keeps the best weights under early stopping, and
    stops training by raising ``KeyboardInterrupt`` as skorch's own callbacks do.
    """

    def __init__(self, params: dict):
        self.params = params

    def start(self, n_samples: int, validation: ValidationSet | None) -> None:
        """Reset the bookkeeping for a new model."""
        self.loss_curve = []
        self.no_improvement_count = 0
        self.validation_losses = [] if validation is not None else None
        self.validation_scores = [] if validation is not None else None
        self.best_validation_score = -math.inf if validation is not None else None
        self.best_loss = None if self.params["early_stopping"] else math.inf
        self.best_state = None
        self.t = 0
        self.resume(n_samples, validation)

    def resume(self, n_samples: int, validation: ValidationSet | None) -> None:
        """Prepare one more call of fit or partial_fit."""
        self.n_samples = n_samples
        self.validation = validation
        if validation is not None and self.validation_scores is None:
            self.validation_losses, self.validation_scores = [], []
            self.best_validation_score = -math.inf
        self.n_iter = 0
        self.converged = False
        self.epoch_start = time.perf_counter()

    def on_epoch_begin(self, net, **kwargs):
        self.epoch_start = time.perf_counter()

    def on_epoch_end(self, net, **kwargs):
        p = self.params
        loss = float(net.history[-1, "train_loss"])
        self.n_iter += 1
        if not math.isfinite(loss):
            raise ValueError(
                f"Training diverged: the loss is {loss} after epoch {self.n_iter}. "
                "Lower learning_rate_init, scale the inputs (e.g. StandardScaler) or "
                "the targets, or choose a more robust loss."
            )
        if p["solver"] == "lbfgs":
            self.loss = loss
            return
        self.t += self.n_samples
        self.loss_curve.append(loss)
        message = f"Iteration {self.n_iter}, loss = {loss:.8f}"
        if self.validation is not None:
            score = self._validate(net)
            message += (
                f", validation loss = {self.validation_losses[-1]:.8f}"
                f", validation score = {score:.6f}"
            )
        if p["early_stopping"]:
            if score < self.best_validation_score + p["tol"]:
                self.no_improvement_count += 1
            else:
                self.no_improvement_count = 0
            if score > self.best_validation_score:
                self.best_validation_score = score
                self.best_state = copy.deepcopy(net.module_.state_dict())
        else:
            if loss > self.best_loss - p["tol"]:
                self.no_improvement_count += 1
            else:
                self.no_improvement_count = 0
            self.best_loss = min(self.best_loss, loss)
        if p["verbose"]:
            print(f"{message}, time = {time.perf_counter() - self.epoch_start:.3f}s")

        if p["solver"] == "sgd" and p["learning_rate"] == "invscaling":
            self._set_lr(net, p["learning_rate_init"] / (self.t + 1) ** p["power_t"])
        if self.no_improvement_count > p["n_iter_no_change"]:
            if p["solver"] == "sgd" and p["learning_rate"] == "adaptive":
                lr = net.optimizer_.param_groups[0]["lr"]
                if lr > 1e-6:
                    self._set_lr(net, lr / 5.0)
                    self.no_improvement_count = 0
                    return
            self.converged = True
            if p["verbose"]:
                what = "Validation score" if self.validation else "Training loss"
                print(
                    f"{what} did not improve more than tol={p['tol']} for "
                    f"{p['n_iter_no_change']} consecutive epochs. Stopping."
                )
            raise KeyboardInterrupt

    def _validate(self, net) -> float:
        module = net.module_
        module.eval()
        with torch.inference_mode():
            raw = module(self.validation.X)
            self.validation_losses.append(self.validation.loss(raw))
            score = self.validation.score(raw)
        self.validation_scores.append(score)
        if not self.params["early_stopping"]:
            self.best_validation_score = max(self.best_validation_score, score)
        return score

    @staticmethod
    def _set_lr(net, lr):
        for group in net.optimizer_.param_groups:
            group["lr"] = lr
