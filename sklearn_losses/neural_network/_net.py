"""skorch glue: tensor batches, the weighted criterion, the trimmed training loop."""

from __future__ import annotations

import contextvars
import math
import time
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EpochTimer
from skorch.utils import FirstStepAccumulator, TeeGenerator

from ..losses import Activation, Loss
from ._fused import MLPPass, NumpyMLP, OptimizerStep, accumulate
from ._module import MLPModule
from ._sparse import SparseMLPPass, SparseRows, sparse_batches

# scikit-learn's words when training diverges (code may match them); advice follows.
NON_FINITE_WEIGHTS = (
    "Solver produced non-finite parameter weights. The input data may contain "
    "large values and need to be preprocessed."
)


class TensorData(torch.utils.data.Dataset):
    """Inputs, encoded targets and sample weights, as tensors made once per fit.

    ``weight`` becomes None when every weight is one: batches then skip gathering and
    multiplying by weights (the weighted mean is the plain mean, bit for bit).
    """

    def __init__(
        self, X: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None
    ):
        if weight is not None and bool((weight == 1).all()):
            weight = None
        self.X, self.target, self.weight = X, target, weight

    def __len__(self) -> int:
        return len(self.X)

    @property
    def sparse(self) -> bool:
        """Whether batches of X are :class:`SparseBatch` (see ``_sparse.py``)."""
        return isinstance(self.X, SparseRows) and not self.X.dense

    def __getitem__(self, i):
        weight = None if self.weight is None else self.weight[i]
        return self.X[i], (self.target[i], weight)


# Up to this many bytes of data, a shuffled epoch is gathered in one copy and cut
# into slices: one gather per tensor and epoch costs less than one per batch.
# Larger data is gathered batch by batch, never copied whole.
_EPOCH_COPY_BYTES = 2**23


class TensorBatches:
    """Mini-batches as slices of the dataset's tensors (skorch ``iterator_train``).

    Replaces the per-row ``Dataset`` indexing and ``DataLoader`` collation, the main
    cost of training on tabular data. A shuffled epoch of small data is gathered
    once (one ``index_select`` per tensor) and sliced; larger data is gathered with
    one ``index_select`` per tensor and batch, so it is never copied whole.
    Batches are ``(X, (target, weight))``, ``weight`` None when all weights are one.
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
        if isinstance(self.dataset.X, SparseRows):
            yield from sparse_batches(self)
            return
        data, n, size = self.dataset, len(self.dataset), self.batch_size
        tensors = [t for t in (data.X, data.target, data.weight) if t is not None]
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator).to(data.X.device)
            if sum(t.nbytes for t in tensors) > _EPOCH_COPY_BYTES:
                for rows in order.split(size):
                    yield self._batch([t.index_select(0, rows) for t in tensors])
                return
            tensors = [t.index_select(0, order) for t in tensors]
        for batch in zip(*(t.split(size) for t in tensors)):
            yield self._batch(batch)

    def _batch(self, tensors):
        if self.dataset.weight is None:
            X, target = tensors
            return X, (target, None)
        X, target, weight = tensors
        return X, (target, weight)


class Criterion(torch.nn.Module):
    """Per-sample loss of raw network outputs: the loss object and its activation."""

    def __init__(self, loss: Loss, activation: Activation):
        super().__init__()
        self.loss = loss
        self.activation = activation

    def forward(self, raw: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.loss.raw_loss(raw, target, self.activation)

    def loss_gradient(
        self, raw: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Weighted per-sample losses and their gradient (see ``raw_loss_gradient``)."""
        return self.loss.raw_loss_gradient(raw, target, self.activation, weight)


class _LastStepAccumulator(FirstStepAccumulator):
    """Keep the last closure evaluation (L-BFGS evaluates the loss several times)."""

    def store_step(self, step):
        self.step = step


# Set while a stack of networks is prepared (see _stack.py). Why defer: the stack
# updates all its networks itself and never needs a torch optimizer, while the
# first torch optimizer a process makes imports torch's compiler (dynamo), about
# 2 seconds per process (joblib workers included), more than a whole small search.
# So each net of a stack makes its optimizer only when something asks for it
# (warm start, partial_fit, persistence, a user), with the stack's state.
_DEFER_OPTIMIZER = contextvars.ContextVar("defer_optimizer", default=False)


class _PendingOptimizer(torch.optim.Optimizer):
    """What a deferred net sets as its optimizer while skorch initialises it, so
    that skorch registers the optimizer; removed at once, never used."""

    def __init__(self):  # torch's __init__ makes a real optimizer: see above
        pass


@contextmanager
def deferred_optimizers():
    """Nets initialised in this context make their optimizer on first use."""
    token = _DEFER_OPTIMIZER.set(True)
    try:
        yield
    finally:
        _DEFER_OPTIMIZER.reset(token)


class Net(NeuralNet):
    """A skorch ``NeuralNet`` minimising ``(sum_i w_i l_i + alpha/2 ||W||^2) / sum_i w_i``.

    This is scikit-learn's MLP objective per batch: the per-sample losses weighted by
    ``sample_weight`` plus the L2 penalty on weight matrices (not biases), both
    normalised by the batch's total weight (multi-label losses summed over labels,
    see ``_objective``).

    On small tabular problems a training step costs Python and dispatch overhead, not
    arithmetic. The net keeps skorch's loop and hooks but trims them:

    * ``run_single_epoch`` records the epoch's ``train_loss`` (the batch losses'
      mean weighted by batch size, as skorch's ``PassthroughScoring`` computes it)
      and the last batch's entry instead of every batch's, and notifies
      ``on_batch_begin``/``on_batch_end``/``on_grad_computed`` (and then records
      every batch) only if a callback implements them;
    * the estimator's validation set is skorch's ``dataset_valid``, judged in one
      forward pass per epoch (:meth:`validate`);
    * the built-in :class:`MLPModule` trains without autograd: :class:`MLPPass`
      runs its forward pass and a hand-written backward (L2 term included), and the
      loss's ``raw_loss_gradient`` gives the gradient with respect to the raw
      outputs (a closed form for the built-in losses, autograd for others); sparse
      input (:class:`SparseRows`) goes through :class:`SparseMLPPass`, chosen once
      per epoch. A user's own module goes through plain autograd;
    * ``train_step`` calls the optimizer without a closure (L-BFGS keeps skorch's
      closure) and takes :class:`OptimizerStep` where it applies, handing it the
      gradients directly unless a callback wants to see them in ``.grad``.
    """

    def __init__(self, *args, alpha: float = 0.0, n_labels: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self.alpha = alpha
        self.n_labels = n_labels
        #: the estimator's validation set during a fit, else None
        self.validation_set_ = None

    def initialize_optimizer(self, *args, **kwargs):
        if _DEFER_OPTIMIZER.get():
            # Set a stand-in, as skorch sets an optimizer here: skorch registers it
            # as the net's optimizer (optimizer__* parameters, lr, set_params).
            # Then take it away: __getattr__ makes the real one on first use and
            # gives it this state (parameter index -> state dict, and "lr": where
            # a schedule left the learning rate; a stack writes its state here).
            self.optimizer_ = _PendingOptimizer()
            del self.__dict__["optimizer_"]  # not delattr: the registration stays
            self.deferred_optimizer_state_ = {}
            return self
        self.__dict__.pop("deferred_optimizer_state_", None)
        return super().initialize_optimizer(*args, **kwargs)

    def __getattr__(self, name):
        # Only called for attributes not found: a deferred optimizer on first use.
        if name == "optimizer_" and "deferred_optimizer_state_" in self.__dict__:
            state = self.__dict__.pop("deferred_optimizer_state_")
            self.initialize_optimizer()
            optimizer = self.__dict__["optimizer_"]
            lr = state.pop("lr", None)
            for group in optimizer.param_groups if lr is not None else ():
                group["lr"] = lr
            params = [p for g in optimizer.param_groups for p in g["params"]]
            for index, values in state.items():
                optimizer.state[params[index]] = values
            return optimizer
        raise AttributeError(
            f"{type(self).__name__!r} object has no attribute {name!r}"
        )

    @property
    def _default_callbacks(self):
        # train_loss is recorded by run_single_epoch, the validation results by
        # validate; printing is the estimators' EpochPrinter's job. skorch's
        # PassthroughScoring and PrintLog would only cost time.
        return [("epoch_timer", _EpochTimer())]

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        # skorch's, writing the new row directly (see last_row)
        self.history.new_epoch()
        last_row(self.history)["epoch"] = len(self.history)

    def get_split_datasets(self, X, y=None, **fit_params):
        # The estimator's validation set is skorch's dataset_valid: callbacks see
        # it in on_epoch_begin/on_epoch_end (EpochScoring scores it by default).
        dataset_train, dataset_valid = super().get_split_datasets(X, y, **fit_params)
        if dataset_valid is None and self.validation_set_ is not None:
            dataset_valid = self.validation_set_
        return dataset_train, dataset_valid

    def get_iterator(self, dataset, training=False):
        if isinstance(dataset, ValidationSet):
            return dataset  # validated whole, in one pass (see validate)
        return super().get_iterator(dataset, training=training)

    def initialize_module(self):
        super().initialize_module()
        self.penalized_ = [p for p in self.module_.parameters() if p.ndim > 1]
        return self

    def numpy_forward(self, n_rows: int) -> NumpyMLP | None:
        """The module's forward pass in NumPy to predict ``n_rows`` rows, or None
        where torch is the better choice (see :class:`NumpyMLP`)."""
        forward = getattr(self, "_numpy_forward", None)
        if forward is None or not forward.is_current(self.module_):
            forward = self._numpy_forward = NumpyMLP.of(self.module_)
        return forward if forward is not None and forward.applies_to(n_rows) else None

    def get_loss(self, y_pred, y_true, X=None, training=False):
        penalty = None
        if self.alpha:
            penalty = sum(p.square().sum() for p in self.penalized_)
        # (target, weight) from TensorBatches; a callback may pass a bare target.
        target, weight = y_true if isinstance(y_true, tuple) else (y_true, None)
        values = self.criterion_(y_pred, target)
        if weight is not None and values.ndim:
            values = values * weight
        return self._objective(values, target, weight, penalty)[0]

    def _objective(self, values, target, weight, penalty: torch.Tensor | None):
        """The batch objective and its normaliser (the batch's total weight).

        ``values`` are the per-sample losses, already weighted (or a custom loss's
        batch mean); ``penalty`` is ``||W||^2``, None without L2 term.

        The losses average over their columns; for multi-label targets
        ``n_labels`` scales them back to a sum over labels, as scikit-learn's MLP
        sums: each label then learns at the pace of a binary problem, not
        ``1 / n_labels`` of it.
        """
        if self.n_labels != 1:
            values = values * self.n_labels
        if weight is None:  # all weights one (see TensorData)
            normaliser = target.shape[0]
            if penalty is None and values.ndim:
                return values.mean(), normaliser  # sum / n, bit for bit
            total = values.sum() if values.ndim else values * normaliser
        else:
            if not values.ndim:
                raise ValueError(
                    f"The loss {self.criterion_.loss!r} returns one value for the "
                    "whole batch, so it cannot weight samples: fit without "
                    "sample_weight, or make the function return one value per "
                    "sample (e.g. end it with .mean(dim=1), not .mean())."
                )
            weight_sum = weight.sum()
            # A batch whose weights are all zero contributes nothing (and no NaN).
            normaliser = torch.where(weight_sum > 0, weight_sum, torch.inf)
            total = values.sum() if values.ndim else values * weight_sum
        if penalty is not None:
            total = total + 0.5 * self.alpha * penalty
        return total / normaliser, normaliser

    def _mlp_gradients(self, mlp: MLPPass, batch):
        """The batch objective, the raw outputs and the parameter gradients of the
        built-in MLP, computed without autograd."""
        Xi, (target, weight) = batch
        raw, inputs = mlp.forward(Xi)
        values, gradient = self.criterion_.loss_gradient(raw, target, weight)
        penalty = mlp.squared_norm() if self.alpha else None
        loss, normaliser = self._objective(values, target, weight, penalty)
        if values.ndim:  # a batch mean's gradient is already divided
            gradient /= normaliser
        if self.n_labels != 1:
            gradient *= self.n_labels
        grads = mlp.backward(
            inputs, gradient, self.alpha / normaliser if self.alpha else None
        )
        return loss, raw, grads

    def get_train_step_accumulator(self):
        if isinstance(self.optimizer_, torch.optim.LBFGS):
            return _LastStepAccumulator()
        return super().get_train_step_accumulator()

    # -- the training loop -------------------------------------------------------------
    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if isinstance(iterator, ValidationSet):
            return self.validate(iterator, prefix)
        if iterator is None or not training:
            return super().run_single_epoch(
                iterator, training, prefix, step_fn, **fit_params
            )
        per_batch = self._callbacks_implement("on_batch_begin", "on_batch_end")
        sparse = getattr(getattr(iterator, "dataset", None), "sparse", False)
        self._prepare_epoch(per_batch, sparse)
        losses, sizes = [], []
        try:
            for batch in iterator:
                if per_batch:
                    seen = _callback_batch(batch)
                    self.notify("on_batch_begin", batch=seen, training=training)
                step = step_fn(batch, **fit_params)
                loss = step["loss"]  # no .item(): no device sync per batch
                if loss.requires_grad:
                    loss = loss.detach()
                losses.append(loss)
                sizes.append(batch[0].shape[0])
                if per_batch:
                    self.history.record_batch(prefix + "_loss", loss.item())
                    self.history.record_batch(prefix + "_batch_size", sizes[-1])
                    self.notify("on_batch_end", batch=seen, training=training, **step)
        finally:
            self._epoch = None
        row = last_row(self.history)
        if losses:
            # np.average(values, weights=sizes), as PassthroughScoring computes it
            values = torch.stack(losses).to(torch.float64).cpu().numpy()
            weights = np.asarray(sizes, dtype=np.float64)
            mean = (values * weights).sum() / weights.sum()
            row[prefix + "_loss"] = float(mean)
            if not per_batch:  # the last batch only, for callbacks that read it
                # (skorch's Checkpoint names its files after it)
                row["batches"].append(
                    {
                        prefix + "_loss": float(values[-1]),
                        prefix + "_batch_size": sizes[-1],
                    }
                )
        row[prefix + "_batch_count"] = len(losses)

    def validate(self, validation: ValidationSet, prefix: str = "valid") -> None:
        """The validation phase of an epoch: one forward pass over the whole set.

        Records ``valid_loss`` (the criterion without the L2 term) and
        ``valid_score`` (the estimator's score; -inf for non-finite outputs, which
        count as no improvement, not as an error), and shows per-batch callbacks
        the set as one batch ``(X, target)`` with its raw outputs.
        """
        module = self.module_
        module.eval()
        with torch.inference_mode():
            raw = validation.raw_output(module)
            loss = validation.loss(raw)
            finite = bool(torch.isfinite(raw).all())
            score = validation.score(raw) if finite else -math.inf
        row = last_row(self.history)
        row[prefix + "_loss"] = loss
        row[prefix + "_score"] = score
        if self._callbacks_implement("on_batch_begin", "on_batch_end"):
            batch = (validation.X, validation.target)
            self.notify("on_batch_begin", batch=batch, training=False)
            self.history.record_batch(prefix + "_loss", loss)
            self.history.record_batch(prefix + "_batch_size", len(validation))
            self.notify(
                "on_batch_end",
                batch=batch,
                training=False,
                loss=torch.tensor(loss),
                y_pred=raw,
            )

    def _prepare_epoch(self, per_batch: bool, sparse: bool = False) -> None:
        """What every step of this epoch reuses (see :class:`_Epoch`)."""
        module, optimizer = self.module_, self.optimizer_
        # Once per epoch, not once per batch (validation sets eval mode after one).
        if not (module.training and self.criterion_.training):
            self._set_training(True)
        # Per-batch callbacks may change the optimizer between steps. Built first:
        # it may move the parameters into one buffer, which MLPPass then aliases.
        optimizer_step = None if per_batch else OptimizerStep(optimizer)
        # MLPPass computes exactly MLPModule.forward; a subclass may not.
        mlp_pass = SparseMLPPass if sparse else MLPPass  # batches of SparseBatch
        mlp = mlp_pass(module) if type(module) is MLPModule else None
        if sparse and mlp is not None and optimizer_step and optimizer_step.enabled:
            # The wide first layer's gradient goes straight into the step's buffer.
            mlp.first_gradient = optimizer_step.gradient_buffer(0)
        grad_callbacks = self._callbacks_implement("on_grad_computed")
        params = [p for group in optimizer.param_groups for p in group["params"]]
        self._epoch = _Epoch(
            mlp=mlp,
            params=params,
            optimizer_step=optimizer_step,
            grad_callbacks=grad_callbacks,
            direct=mlp is not None
            and optimizer_step is not None
            and optimizer_step.enabled
            and not grad_callbacks
            and _same_tensors(params, mlp.parameters),
        )

    def train_step(self, batch, **fit_params):
        epoch = getattr(self, "_epoch", None)
        if epoch is None or isinstance(self.optimizer_, torch.optim.LBFGS):
            return super().train_step(batch, **fit_params)  # closure re-evaluations
        if epoch.direct and not fit_params:
            # The gradients go to the optimizer step without passing through .grad.
            loss, raw, grads = self._mlp_gradients(epoch.mlp, batch)
            if not epoch.optimizer_step(grads):  # the first step creates the state
                for p, grad in zip(epoch.params, grads):
                    p.grad = grad
                self.optimizer_.step()
                for p in epoch.params:  # no stale gradient left behind
                    p.grad = None
            return {"loss": loss, "y_pred": raw}
        for p in epoch.params:  # optimizer.zero_grad(set_to_none=True)
            p.grad = None
        step = self.train_step_single(batch, **fit_params)
        if epoch.grad_callbacks:
            self.notify(
                "on_grad_computed",
                named_parameters=TeeGenerator(self.get_all_learnable_params()),
                batch=batch,
                training=True,
            )
        if epoch.optimizer_step is None or not epoch.optimizer_step():
            self.optimizer_.step()
        return step

    def train_step_single(self, batch, **fit_params):
        # skorch's version, without switching the module to training mode on every
        # batch (run_single_epoch does it once per epoch).
        epoch = getattr(self, "_epoch", None)
        mlp = None if epoch is None or fit_params else epoch.mlp
        if mlp is None:
            Xi, yi = batch
            y_pred = self.infer(Xi, **fit_params)
            loss = self.get_loss(y_pred, yi, X=Xi, training=True)
            loss.backward()
            return {"loss": loss, "y_pred": y_pred}
        loss, raw, grads = self._mlp_gradients(mlp, batch)
        accumulate(mlp.parameters, grads)
        return {"loss": loss, "y_pred": raw}

    def _callbacks_implement(self, *hooks: str) -> bool:
        return any(
            getattr(type(cb), hook) is not getattr(Callback, hook)
            for _, cb in self.callbacks_
            for hook in hooks
        )


class _Epoch(NamedTuple):
    """Per-epoch state of :class:`Net`'s training steps."""

    mlp: MLPPass | None
    params: list[torch.Tensor]
    optimizer_step: OptimizerStep | None
    grad_callbacks: bool
    #: the MLP's gradients go straight to ``optimizer_step``, not through ``.grad``
    direct: bool


class _EpochTimer(EpochTimer):
    """skorch's ``EpochTimer``, writing the duration directly (see last_row)."""

    def on_epoch_end(self, net, **kwargs):
        last_row(net.history)["dur"] = time.time() - self.epoch_start_time_


def last_row(history) -> dict:
    """The history's row of the current epoch, to read or write keys.

    skorch's ``History`` indexing (``history[-1, key]``, ``record``) copies the whole
    list on every access, a cost that grows with the epochs; a ``History`` is a
    list of dicts, and this takes its last item directly.
    """
    return list.__getitem__(history, -1)


def _callback_batch(batch):
    """A training batch as callbacks see it: ``(X, target)``, skorch's ``(X, y)``
    with the encoded target (what the loss sees); sample weights stay internal."""
    X, (target, _) = batch
    return X, target


def _same_tensors(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


class ValidationSet:
    """A validation set and how to judge raw outputs on it after each epoch.

    ``target`` is the encoded target (what the loss sees); ``loss(raw)`` the weighted
    training criterion without the L2 term; ``score(raw)`` the estimator's ``score``
    (accuracy or R^2), greater is better. ``forward``, if given, computes the raw
    outputs from the module instead of ``module(X)`` (sparse ``X``: see
    ``_sparse.sparse_forward``). The net takes it as skorch's ``dataset_valid`` (see
    ``Net.validation_set_``).
    """

    def __init__(self, X, target: torch.Tensor, loss, score, forward=None):
        self.X = X
        self.target = target
        self.loss = loss
        self.score = score
        self.forward = forward

    def raw_output(self, module: torch.nn.Module) -> torch.Tensor:
        """The module's raw outputs on the validation inputs."""
        if self.forward is not None:
            return self.forward(module)
        return module(self.X)

    def __len__(self) -> int:
        return self.X.shape[0]
