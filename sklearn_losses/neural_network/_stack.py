"""Training many networks of one architecture at once: a stack.

A cross-validated loss search trains candidates x folds small networks. On tabular
data a training step of one of them costs dispatch and Python overhead, not
arithmetic, so :func:`fit_stack` trains them together: the parameters of the K
networks are stacked along a first axis and every layer is one batched matrix
product, through NumPy's ``matmul`` on views of the tensors (it hands each matrix to
BLAS; ``torch.bmm`` pays microseconds of dispatch per matrix in float64), the bias
included as one more row of the weights (see :class:`_Arena`). Each network keeps
what a plain fit gives it: its own rows, sample weights, loss, ``alpha``, learning
rate, random stream and stopping rule.

Each estimator is prepared by ``BaseMLP._prepare_fit`` (the first half of ``fit``:
validation, target encoding, the net built with its initialisation, the validation
split, the tensors) and finished by ``BaseMLP._finish_fit``, the same code a plain
fit runs, so the fitted estimators carry the same attributes. Between the two, the
stack repeats the training step of ``Net`` (``MLPPass`` and ``OptimizerStep``) on all
networks at once:

* every epoch each network draws its own permutation of its rows with its own
  generator, as ``TensorBatches`` does; networks whose folds have different numbers
  of rows get padding rows of weight zero and, after their last batch, steps that
  leave them unchanged;
* the batch objective is ``(sum_i w_i l_i + alpha/2 ||W||^2) / sum_i w_i`` per
  network; each loss computes its closed-form gradient on the raw outputs of the
  networks that use it (one call for the networks whose losses train as one, see
  ``Loss.trains_as``);
* SGD (momentum, Nesterov) and Adam update all networks with a handful of
  element-wise operations on one flat tensor holding every network's parameters
  (see :class:`_Arena`), with per-network learning rates spread over its elements:
  the arithmetic of torch's single-tensor SGD and Adam, operation for operation, as
  ``OptimizerStep`` runs it in a plain fit (so the updates are the same to the bit;
  the batched products may round differently from a plain fit's, by an ulp);
* at the end of each epoch each network's net records the epoch in its history and
  runs its own rule callbacks (``_rules.py``: loss curve, validation, best weights,
  learning-rate schedule, ``n_iter_no_change``/``tol`` and early stopping), exactly
  as skorch's loop runs them in a plain fit; a network that stops leaves the stack.

Only public torch operations are used; the hidden activations' derivatives have
``_fused``'s formulas. Each epoch runs in ``torch.inference_mode`` with Python's
cyclic garbage collector paused (see ``_gc_paused``). Estimators that cannot train
this way (L-BFGS, a user's own module or callbacks, a loss defined outside this
package, multi-label targets, sparse input, a GPU, ``warm_start``) are fitted alone,
as ``fit`` would. The nets of a stack make no torch optimizer (see
``deferred_optimizers``): the stack has its own update, and a process's first torch
optimizer costs seconds. A stacked net makes its optimizer when first used (warm
start, ``partial_fit``, persistence), with the stack's state (momentum buffers,
Adam's moments and step count, the learning rate a schedule left).
"""

from __future__ import annotations

import gc
import math
from collections.abc import Sequence
from contextlib import contextmanager, nullcontext
from types import SimpleNamespace
from typing import NamedTuple

import numpy as np
import torch
from sklearn import config_context
from skorch.callbacks import Callback

from ..losses import Loss
from ..losses._custom import CustomLoss
from ._base import BaseMLP, FitPlan, _cpu_threads, _same_loss
from ._fused import _ACTIVATION_INPLACE
from ._module import MLPModule
from ._net import deferred_optimizers, last_row


class StackFailure(NamedTuple):
    """The exception a member's preparation, training or finishing raised."""

    error: BaseException


def can_stack(estimator) -> bool:
    """Whether ``estimator``'s parameters allow training it in a stack.

    The loss and the built module are checked again after preparation; an estimator
    that passes here may still be fitted alone.
    """
    return (
        isinstance(estimator, BaseMLP)
        and estimator.solver in ("sgd", "adam")
        and not estimator.warm_start
        and _builtin_module(estimator.module)
        and not estimator.callbacks
        and _is_cpu(estimator.device)
    )


def fit_stack(
    estimators: Sequence[BaseMLP],
    datasets: Sequence[tuple],
) -> list[StackFailure | None]:
    """Fit each estimator on its data as ``estimator.fit`` would.

    Parameters
    ----------
    estimators : sequence of MLPRegressor or MLPClassifier
        Unfitted estimators (or ones to refit from scratch).
    datasets : sequence of tuples ``(X, y)`` or ``(X, y, sample_weight)``
        The training data of each estimator.

    Returns
    -------
    failures : list
        Per estimator, None, or a :class:`StackFailure` with the exception its fit
        raised (the other estimators are fitted all the same).
    """
    failures: list[StackFailure | None] = [None] * len(estimators)
    members: list[_Member] = []
    for i, (estimator, data) in enumerate(zip(estimators, datasets)):
        X, y, *weight = data
        try:
            # What fit's _fit_context does: validate once, skip nested validation.
            estimator._validate_params()
            with config_context(skip_parameter_validation=True), _defer(estimator):
                plan = estimator._prepare_fit(X, y, weight[0] if weight else None)
        except Exception as exc:  # noqa: BLE001 - reported per estimator
            failures[i] = StackFailure(exc)
            continue
        if can_stack(estimator) and _stackable_plan(estimator, plan):
            members.append(_Member(i, estimator, plan))
            continue
        try:  # trained alone, as fit would
            with config_context(skip_parameter_validation=True):
                estimator._train_and_finish(plan)
        except Exception as exc:  # noqa: BLE001
            failures[i] = StackFailure(exc)

    groups: dict[tuple, list[_Member]] = {}
    for member in members:
        groups.setdefault(_architecture(member), []).append(member)
    for group in groups.values():
        for member, error in _Stack(group).train():
            if error is None:
                error = _finish(member)
            if error is not None:
                failures[member.index] = StackFailure(error)
    return failures


def _defer(estimator):
    """Leave the torch optimizer of a network that will train in a stack unmade."""
    return deferred_optimizers() if can_stack(estimator) else nullcontext()


# -- what can be stacked ------------------------------------------------------------------
def _builtin_module(module) -> bool:
    """None (the built-in network) or an ``MLPModule``: the class, a partial of it
    (other initialisations) or an instance."""
    module = getattr(module, "func", module)  # functools.partial
    return module is None or module is MLPModule or type(module) is MLPModule


def _is_cpu(device) -> bool:
    try:
        return torch.device(device).type == "cpu"
    except (RuntimeError, TypeError):
        return False


def _builtin_loss(loss: Loss) -> bool:
    """A loss of this package: pointwise, with its gradient on raw outputs."""
    module = type(loss).__module__
    return module.startswith("sklearn_losses.losses") and not isinstance(
        loss, CustomLoss
    )


def _stackable_plan(estimator: BaseMLP, plan: FitPlan) -> bool:
    net = estimator.net_
    X = plan.data.X
    return (
        type(net.module_) is MLPModule
        and _builtin_loss(estimator._loss)
        and net.n_labels == 1  # a multi-label objective is summed over labels
        and isinstance(X, torch.Tensor)  # not sparse rows
        and X.layout == torch.strided
        and X.device.type == "cpu"
        and not plan.incremental
    )


class _Member(NamedTuple):
    index: int
    estimator: BaseMLP
    plan: FitPlan


def _architecture(member: _Member) -> tuple:
    """What networks trained in one stack must share."""
    estimator, net = member.estimator, member.estimator.net_
    module = net.module_
    shapes = tuple(tuple(layer.weight.shape) for layer in module.layers)
    solver = estimator.solver
    if solver == "sgd":
        rule = ("sgd", bool(estimator.nesterovs_momentum and estimator.momentum > 0))
    else:
        rule = ("adam", estimator.beta_1, estimator.beta_2, estimator.epsilon)
    return (
        shapes,
        module.activation,
        module.layers[0].weight.dtype,
        net.batch_size,
        rule,
    )


def _loss_key(member: _Member) -> tuple:
    loss = member.estimator._loss.trains_as()
    return (type(loss).__qualname__, repr(loss), member.estimator.out_activation_)


def _finish(member: _Member) -> BaseException | None:
    estimator, plan = member.estimator, member.plan
    try:
        with config_context(skip_parameter_validation=True):
            estimator._finish_fit(plan.incremental)
    except Exception as exc:  # noqa: BLE001
        return exc
    return None


# -- the stack ----------------------------------------------------------------------------
# The hidden activations' derivatives from their outputs, with the formulas of
# MLPPass's (``_fused``), computed into a scratch tensor of the output's shape: a
# stack's hidden outputs are hundreds of kilobytes, and a fresh tensor that size
# every step costs the allocator more than the arithmetic.
def _relu_backward(grad, output, scratch):
    # The sign of a ReLU's output is its derivative (0 or 1): one product, several
    # times faster than a comparison and a masked fill on a stack's tensors.
    return grad.mul_(torch.sign(output, out=scratch))


def _tanh_backward(grad, output, scratch):
    return grad.mul_(torch.square(output, out=scratch).neg_().add_(1.0))


def _logistic_backward(grad, output, scratch):
    return grad.mul_(torch.sub(1.0, output, out=scratch)).mul_(output)


_HIDDEN_BACKWARD = {
    "identity": None,
    "relu": _relu_backward,
    "tanh": _tanh_backward,
    "logistic": _logistic_backward,
}
_HIDDEN_FORWARD = _ACTIVATION_INPLACE


@contextmanager
def _gc_paused():
    """Python's cyclic garbage collector off, as ``timeit`` runs its loop.

    Training allocates thousands of short-lived tensors per second, none in a
    reference cycle; they trigger the collector, whose full passes walk every object
    of the process (hundreds of thousands with torch): a tenth of a second each, and
    in a forked child they also copy the parent's memory page by page.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _NetView:
    """A stacked network's net as its rule callbacks see it: the net itself, but
    with the stack's learning rate as its optimizer's (the net makes its own
    optimizer only when something uses it after the stack, see
    ``deferred_optimizers``)."""

    def __init__(self, net, lr: float):
        self.net = net
        self.optimizer_ = SimpleNamespace(param_groups=[{"lr": lr}])
        self.hooks = {}  # method name -> the hooks notify calls

    def __getattr__(self, name):
        return getattr(self.net, name)

    @property
    def lr(self) -> float:
        return self.optimizer_.param_groups[0]["lr"]


def _notify(view: _NetView, method: str, **kwargs) -> None:
    """skorch's ``NeuralNet.notify``: the net's own hook, then its callbacks'
    (those that do something: every epoch of every network calls these)."""
    hooks = view.hooks.get(method)
    if hooks is None:
        net, nothing = view.net, getattr(Callback, method)
        hooks = [getattr(net, method)]
        hooks += [
            getattr(callback, method)
            for _, callback in net.callbacks_
            if getattr(type(callback), method) is not nothing
        ]
        view.hooks[method] = hooks
    for hook in hooks:
        hook(view, **kwargs)


class _Arena:
    """The parameters of K networks (or their gradients, or optimizer state) in one
    flat tensor.

    Each layer is one contiguous ``(K, fan_in + 1, fan_out)`` block: per network
    its ``nn.Linear`` weight transposed (the right operand of a product with the
    layer's input, as BLAS reads it without a copy) with the bias as one more row.
    A layer's input carries a column of ones, so one batched product adds the bias
    on the way forward and gives the bias's gradient (the sum over the batch) on
    the way back, and an optimizer step is a few element-wise operations on the
    whole flat tensor. ``owner`` maps each element to its network, to spread
    per-network values over the elements.
    """

    def __init__(self, shapes: Sequence[tuple[int, int]], K: int):
        self.shapes, self.K = list(shapes), K
        self.blocks = [(K, i + 1, o) for o, i in self.shapes]
        self.sizes = [math.prod(b) for b in self.blocks]
        self.size = sum(self.sizes)
        self.owner = torch.cat(
            [torch.arange(K).repeat_interleave(n // K) for n in self.sizes]
        )

    def layers(self, flat: torch.Tensor) -> list[torch.Tensor]:
        """Per layer, the ``(K, fan_in + 1, fan_out)`` block of ``flat``."""
        return [
            part.view(block) for part, block in zip(flat.split(self.sizes), self.blocks)
        ]

    def views(self, flat: torch.Tensor) -> tuple[list, list]:
        """``(weights, biases)``: per layer, ``(K, fan_in, fan_out)`` (transposed
        weights) and ``(K, 1, fan_out)`` views of ``flat``."""
        blocks = self.layers(flat)
        return [b[:, :-1] for b in blocks], [b[:, -1:] for b in blocks]

    def spread(self, values: torch.Tensor) -> torch.Tensor:
        """Per-network values ``(K,)`` as one value per element."""
        return values.index_select(0, self.owner)

    def gather(self, modules: Sequence[MLPModule], dtype) -> torch.Tensor:
        parts = [
            torch.stack(
                [
                    torch.cat([m.layers[i].weight.T, m.layers[i].bias[None]])
                    for m in modules
                ]
            ).reshape(-1)
            for i in range(len(self.shapes))
        ]
        return torch.cat(parts).detach().to(dtype)

    def select(self, flat: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """The networks ``keep`` of ``flat``, in a new arena's layout."""
        return torch.cat(
            [
                part.view(self.K, -1).index_select(0, keep).reshape(-1)
                for part in flat.split(self.sizes)
            ]
        )

    def network(self, flat: torch.Tensor, k: int) -> list[torch.Tensor]:
        """``[W_1, b_1, ..., W_L, b_L]`` of network ``k`` (copies)."""
        weights, biases = self.views(flat)
        out = []
        for W, b in zip(weights, biases):
            out += [W[k].T.contiguous(), b[k, 0].clone()]
        return out

    @torch.no_grad()
    def scatter(self, flat: torch.Tensor, k: int, module: MLPModule) -> None:
        weights, biases = self.views(flat)
        for layer, W, b in zip(module.layers, weights, biases):
            layer.weight.copy_(W[k].T)
            layer.bias.copy_(b[k, 0])


class _BiasCorrections:
    """Adam's ``1 - beta1^t`` and ``sqrt(1 - beta2^t)`` for step counts ``t``, in
    float64 with Python's arithmetic (what a plain fit's step computes), looked up
    per network."""

    def __init__(self, beta1: float, beta2: float):
        self.beta1, self.beta2 = beta1, beta2
        self.first = torch.zeros(0, dtype=torch.float64)
        self.second_sqrt = torch.zeros(0, dtype=torch.float64)

    def extend(self, max_step: int) -> None:
        """Cover step counts up to ``max_step``."""
        n = self.first.numel()
        if max_step < n:
            return
        steps = range(n, max_step + 1)
        first = [1 - self.beta1**t for t in steps]
        second = [(1 - self.beta2**t) ** 0.5 for t in steps]
        self.first = torch.cat([self.first, torch.tensor(first, dtype=torch.float64)])
        self.second_sqrt = torch.cat(
            [self.second_sqrt, torch.tensor(second, dtype=torch.float64)]
        )

    def at(self, step: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The two corrections (float64) of each network's step count (int64)."""
        return self.first.index_select(0, step), self.second_sqrt.index_select(0, step)


class _LossGroup(NamedTuple):
    start: int
    stop: int
    loss: Loss
    activation: object


class _Stack:
    """K networks of one architecture, trained until each has stopped."""

    def __init__(self, members: list[_Member]):
        keys = {id(m): _loss_key(m) for m in members}
        members = sorted(members, key=lambda m: keys[id(m)])  # one loss side by side
        self.members = members
        first = members[0].estimator
        module = first.net_.module_
        self.shapes = [tuple(layer.weight.shape) for layer in module.layers]
        self.forward_activation = _HIDDEN_FORWARD[module.activation]
        self.backward_activation = _HIDDEN_BACKWARD[module.activation]
        self.dtype = module.layers[0].weight.dtype
        self.batch_size = first.net_.batch_size
        self.solver = first.solver
        self.nesterov = bool(first.nesterovs_momentum and first.momentum > 0)
        self.betas = (first.beta_1, first.beta_2)
        self.epsilon = first.epsilon

    def train(self) -> list[tuple[_Member, BaseException | None]]:
        """Train every member; per member, the exception its training raised."""
        members = self.members
        errors: list[BaseException | None] = [None] * len(members)
        n_weights = sum(o * i + o for o, i in self.shapes)
        work = len(members) * self.batch_size * n_weights
        with torch.no_grad(), _cpu_threads(torch.device("cpu"), work), _gc_paused():
            self._train(errors)
        return list(zip(members, errors))

    # -- setting up ----------------------------------------------------------------------
    def _column(self, values) -> torch.Tensor:
        return torch.tensor(values, dtype=self.dtype)

    def _set_active(self, active: list[int], params, state) -> None:
        """(Re)build the arena, hyperparameters and loss groups for ``active``."""
        self.active = active
        if not active:
            return
        members = [self.members[i] for i in active]
        self.active = active
        self.arena = arena = _Arena(self.shapes, len(active))
        self.params, self.state = params, state
        self.alpha = self._column([float(m.estimator.alpha) for m in members])
        self.any_alpha = bool((self.alpha > 0).any())
        self.weighted = any(m.plan.data.weight is not None for m in members)
        self.lr = self._column([self.lrs[i] for i in active])
        # Adam's step size is computed in float64 (Python floats in a plain fit)
        self.lr64 = torch.tensor([self.lrs[i] for i in active], dtype=torch.float64)
        self.momentum = self._column([float(m.estimator.momentum) for m in members])
        self.hyper = {}  # per-element vectors, by the mask of networks that step
        self.padding_weights = None
        self.plan = None
        self.groups = self._loss_groups(active)
        self.views = arena.views(params)
        self.grads = torch.empty_like(params)  # every step's gradients, reused
        self.grad_views = arena.views(self.grads)
        # Every step's layer outputs and gradients with respect to them, reused.
        # A hidden layer's output is the next layer's input: it ends with a column
        # of ones (the bias's row of the arena's blocks). The batched products go
        # through NumPy views made once (one per call would cost microseconds).
        K, B, dtype = len(active), self.batch_size, self.dtype
        hidden = [torch.ones((K, B, o + 1), dtype=dtype) for o, _ in self.shapes[:-1]]
        raw = torch.empty((K, B, self.shapes[-1][0]), dtype=dtype)
        self.outputs = [h[..., :-1] for h in hidden] + [raw]
        self.output_grads = [
            torch.empty((K, B, o), dtype=dtype) for o, _ in self.shapes
        ]
        self.scratch = [torch.empty_like(g) for g in self.output_grads[:-1]]
        self.weights_t = [W.transpose(1, 2) for W in self.views[0]]
        self.group_raw = [
            raw[g.start : g.stop].view(-1, raw.shape[2]) for g in self.groups
        ]
        self.arrays = SimpleNamespace(
            layers=[block.numpy() for block in arena.layers(params)],
            grad_layers=[block.numpy() for block in arena.layers(self.grads)],
            inputs=[None] + [h.numpy() for h in hidden],  # the first is each step's X
            inputs_t=[None] + [h.numpy().transpose(0, 2, 1) for h in hidden],
            weights_t=[W.numpy() for W in self.weights_t],
            outputs=[out.numpy() for out in self.outputs],
            output_grads=[grad.numpy() for grad in self.output_grads],
        )

    def _hyperparameters(self, mask: tuple[bool, ...] | None) -> dict:
        """Per-element learning rates (and momenta), zero where a network sits out
        this step: its update and optimizer state then stay as they are."""
        cached = self.hyper.get(mask)
        if cached is not None:
            return cached
        arena = self.arena
        lr, momentum = self.lr, self.momentum
        if mask is not None:
            taking_part = torch.tensor(mask)
            lr = torch.where(taking_part, lr, 0.0)
            # SGD: a momentum of one keeps the buffer (its gradient is zero).
            momentum = torch.where(taking_part, momentum, 1.0)
        values = {"lr": arena.spread(lr), "taking_part": None}
        if self.solver == "sgd":
            values["momentum"] = arena.spread(momentum)
        else:
            beta1, beta2 = self.betas
            part = 1.0 if mask is None else torch.tensor(mask, dtype=self.dtype)
            # step counts: one more for each network that takes part
            values["taking_part"] = (
                1 if mask is None else torch.tensor(mask, dtype=torch.int64)
            )
            lr64 = self.lr64  # (K,): zero where a network sits out
            values["network_lr"] = (
                lr64 if mask is None else torch.where(taking_part, lr64, 0.0)
            )
            if mask is None:
                values["lerp"], values["beta2"] = 1.0 - beta1, beta2
            else:
                values["lerp"] = arena.spread(part * (1.0 - beta1))
                # a beta2 of one keeps the second moment (its gradient is zero)
                values["beta2"] = arena.spread(
                    torch.full_like(part, beta2).masked_fill_(part == 0, 1.0)
                )
        self.hyper[mask] = values
        return values

    def _loss_groups(self, active: list[int]) -> list[_LossGroup]:
        """Runs of networks (sorted by loss) that share one loss and activation."""
        groups: list[_LossGroup] = []
        for position, i in enumerate(active):
            estimator = self.members[i].estimator
            loss = estimator._loss.trains_as()
            # the activation the net's criterion trains with (a plain fit's)
            activation = estimator.net_.criterion_.activation
            if (
                groups
                and _same_loss(groups[-1].loss, loss)
                and (groups[-1].activation is activation)
            ):
                groups[-1] = groups[-1]._replace(stop=position + 1)
            else:
                groups.append(_LossGroup(position, position + 1, loss, activation))
        return groups

    def _padded(self, tensors, n_max, fill_zero=False) -> torch.Tensor:
        """The tensors stacked as ``(K * (n_max + 1), ...)`` blocks; each block ends
        with padding rows (copies of its first row, or zeros)."""
        blocks = []
        for t in tensors:
            n = t.shape[0]
            filler = torch.zeros_like(t[:1]) if fill_zero else t[:1]
            blocks.append(t)
            blocks.append(filler.expand(n_max + 1 - n, *t.shape[1:]))
        return torch.cat(blocks)

    # -- training --------------------------------------------------------------------------
    def _start(self) -> None:
        """Every network active, with its initial parameters and a fresh optimizer
        state."""
        members = self.members
        K = len(members)
        self.lrs = [float(m.estimator.learning_rate_init) for m in members]
        arena = _Arena(self.shapes, K)
        params = arena.gather([m.estimator.net_.module_ for m in members], self.dtype)
        if self.solver == "sgd":
            state = [torch.zeros_like(params)]  # momentum buffers
        else:  # step per network, first and second moments
            state = [torch.zeros(K, dtype=torch.int64)]
            self.corrections = _BiasCorrections(*self.betas)
            state += [torch.zeros_like(params), torch.zeros_like(params)]
        self._set_active(list(range(K)), params, state)

    def _train(self, errors) -> None:
        members = self.members
        B, dtype = self.batch_size, self.dtype
        self._start()

        # Data: each network's rows, padded to one length with rows of weight zero.
        datasets = [m.plan.data for m in members]
        n_rows = [len(d) for d in datasets]
        n_max = max(n_rows)
        X = self._padded([d.X for d in datasets], n_max)
        X = torch.cat([X, X.new_ones((len(X), 1))], 1)  # the first layer's bias
        target = self._padded([d.target for d in datasets], n_max)
        ones = [torch.ones(len(d), dtype=dtype) for d in datasets]
        weight = self._padded(
            [w if d.weight is None else d.weight for w, d in zip(ones, datasets)],
            n_max,
            fill_zero=True,
        )
        n_batches = [math.ceil(n / B) for n in n_rows]
        # Each epoch's shuffled rows go to the same memory: megabytes allocated
        # afresh every epoch would cost their page faults every epoch.
        most = max(n_batches) * B * len(members)
        buffers = [
            torch.empty((most, *t.shape[1:]), dtype=t.dtype)
            for t in (X, target, weight)
        ]
        nets = [m.estimator.net_ for m in members]
        self.net_views = views = [_NetView(net, lr) for net, lr in zip(nets, self.lrs)]
        generators = [net.get_params_for("iterator_train")["generator"] for net in nets]
        for member, view in zip(members, views):  # skorch's partial_fit begins so
            view.net.validation_set_ = member.plan.validation
            _notify(view, "on_train_begin", X=member.plan.data, y=None)

        epoch = 0
        while self.active:
            epoch += 1
            active = self.active
            k_now = len(active)
            nb = max(n_batches[i] for i in active)
            if self.solver == "adam":
                self.corrections.extend(epoch * max(n_batches))
            for i in active:  # a new history row, the epoch's timers started
                member = members[i]
                _notify(
                    self.net_views[i], "on_epoch_begin",
                    dataset_train=member.plan.data,
                    dataset_valid=member.plan.validation,
                )  # fmt: skip
            # Inference mode trims each operation's bookkeeping (views included);
            # the tensors the steps update in place (parameters, optimizer state,
            # buffers) were made outside it and stay normal tensors.
            with torch.inference_mode():
                # Each network's rows in its block of the padded tensors, then
                # padding rows (n_max) up to nb batches.
                orders = torch.full((k_now, nb * B), n_max, dtype=torch.int64)
                for position, i in enumerate(active):
                    rows = orders[position, : n_rows[i]]
                    if members[i].estimator.shuffle:  # as TensorBatches draws it
                        torch.randperm(n_rows[i], generator=generators[i], out=rows)
                    else:
                        torch.arange(n_rows[i], out=rows)
                orders += self._block_starts(active, n_max)
                # (nb, K, B): step j reads one contiguous (K, B, ...) slab
                index = orders.view(k_now, nb, B).transpose(0, 1).reshape(-1)
                gathered = (X, target, weight) if self.weighted else (X, target)
                X_epoch, t_epoch, *w_epoch = (
                    torch.index_select(t, 0, index, out=out[: len(index)]).view(
                        nb, k_now, B, *t.shape[1:]
                    )
                    for t, out in zip(gathered, buffers)
                )
                if w_epoch:
                    (w_epoch,) = w_epoch
                    normaliser, inverse, l2 = self._batch_scales(w_epoch)
                else:  # one for each real row, zero for padding, every epoch
                    w_epoch, (normaliser, inverse, l2) = self._padding_weights(
                        tuple(n_rows[i] for i in active), nb
                    )
                plan = self._epoch_plan(tuple(n_rows[i] for i in active), nb)
                sums, penalties = plan.sums, plan.penalties.zero_()
                # Each loss's targets and weights, one (rows, ...) slab per step. A step
                # without padding rows or sample weights passes no weights, as a plain
                # fit does when every weight is one.
                group_data = []
                for group in self.groups:
                    span = slice(group.start, group.stop)
                    rows = (group.stop - group.start) * B
                    targets = t_epoch[:, span].reshape(nb, rows, *target.shape[1:])
                    weights = w_epoch[:, span].reshape(nb, rows)
                    group_data.append((targets, weights))
                weighted = [self.weighted or padded for padded in plan.padded]

                # Each step's slabs as views made once per epoch (fewer torch calls),
                # and its hyperparameters (networks past their last batch sit out).
                hypers = [self._hyperparameters(mask) for mask in plan.masks]
                steps = zip(
                    X_epoch.numpy(),
                    zip(*(
                        [(t, w if weighted[j] else None) for j, (t, w) in
                         enumerate(zip(targets.unbind(0), weights.unbind(0)))]
                        for targets, weights in group_data
                    )),
                    inverse.unbind(0),
                    l2.unbind(0) if l2 is not None else [None] * nb,
                    plan.sum_rows,
                    plan.penalty_rows,
                    hypers,
                )  # fmt: skip
                for step in steps:
                    self._step(*step)

            # The epoch's training loss: batch objectives averaged by batch size.
            counts = plan.counts
            if self.any_alpha:
                sums = sums + 0.5 * self.alpha * penalties
            batch_losses = torch.where(counts > 0, (sums / normaliser).double(), 0.0)
            epoch_losses = ((batch_losses * counts).sum(0) / plan.totals).tolist()
            batch_losses = batch_losses.T.tolist()  # (K, nb)
            stopped = []
            for position, i in enumerate(active):
                last = n_batches[i] - 1
                finished, error = self._end_epoch(
                    i, position, epoch_losses[position],
                    (batch_losses[position][last], n_rows[i] - last * B),
                    n_batches[i], epoch,
                )  # fmt: skip
                if finished:
                    errors[i] = error
                    stopped.append(position)
                    self._write_back(i, position, nets[i])
            if stopped:
                keep = [p for p in range(k_now) if p not in stopped]
                index = torch.tensor(keep, dtype=torch.int64)
                arena = self.arena
                params = arena.select(self.params, index)
                if self.solver == "sgd":
                    state = [arena.select(self.state[0], index)]
                else:
                    step, *moments = self.state
                    state = [step.index_select(0, index)]
                    state += [arena.select(m, index) for m in moments]
                self._set_active([active[p] for p in keep], params, state)

    def _epoch_plan(self, n_rows: tuple[int, ...], nb: int) -> SimpleNamespace:
        """What every epoch of the active networks shares: the real rows of each
        network's batches ``counts`` (float64 ``(nb, K)``, zero after its last batch)
        and their ``totals``, per step whether it has ``padded`` rows and the
        ``masks`` of the networks that take part (None: all), and the buffers the
        steps write each network's summed loss and ``||W||^2`` into (with one view
        per step)."""
        if self.plan is not None and self.plan.key == (n_rows, nb):
            return self.plan
        B = self.batch_size
        counts = [[min(max(n - j * B, 0), B) for n in n_rows] for j in range(nb)]
        sums = torch.empty((nb, len(n_rows)), dtype=self.dtype)
        penalties = torch.zeros_like(sums)
        self.plan = SimpleNamespace(
            key=(n_rows, nb),
            counts=torch.tensor(counts, dtype=torch.float64),
            totals=torch.tensor(n_rows, dtype=torch.float64),
            padded=[min(c) < B for c in counts],
            masks=[None if min(c) > 0 else tuple(n > 0 for n in c) for c in counts],
            sums=sums,
            penalties=penalties,
            sum_rows=sums.unbind(0),
            penalty_rows=penalties.unbind(0),
        )
        return self.plan

    def _block_starts(self, active: list[int], n_max: int) -> torch.Tensor:
        """Where each active network's rows start in the padded tensors, ``(K, 1)``."""
        return torch.tensor(active).mul_(n_max + 1).view(-1, 1)

    def _batch_scales(self, w_epoch: torch.Tensor) -> tuple:
        """Per batch and network ``(nb, K)``: the normaliser (the batch's total
        weight), its inverse and the L2 term's scale ``alpha / normaliser`` (or
        None), the last two shaped ``(nb, K, 1, 1)``."""
        nb, k_now = w_epoch.shape[:2]
        weight_sum = w_epoch.sum(2)
        # A batch whose weights are all zero (and a network that sits out a step)
        # contributes nothing, and no NaN.
        normaliser = torch.where(weight_sum > 0, weight_sum, torch.inf)
        inverse = (1.0 / normaliser).view(nb, k_now, 1, 1)
        l2 = self.alpha.view(1, -1, 1, 1) * inverse if self.any_alpha else None
        return normaliser, inverse, l2

    def _padding_weights(self, n_rows: tuple[int, ...], nb: int) -> tuple:
        """Without sample weights: the rows' weights ``(nb, K, B)`` (one, zero for
        padding) and :meth:`_batch_scales`, the same every epoch."""
        key = (n_rows, nb)
        if self.padding_weights is None or self.padding_weights[0] != key:
            B = self.batch_size
            position = torch.arange(nb * B).view(nb, 1, B)
            real = position < torch.tensor(n_rows).view(1, -1, 1)
            w_epoch = real.to(self.dtype)
            self.padding_weights = key, (w_epoch, self._batch_scales(w_epoch))
        return self.padding_weights[1]

    def _step(self, X, group_data, inverse, l2, sums, penalty, hyper) -> None:
        """Forward, loss gradients, backward and optimizer step of every network.

        ``group_data`` holds each loss group's targets and weights (or None).
        Writes each network's summed weighted loss into ``sums`` and ``||W||^2``
        into ``penalty`` (with an L2 term).
        """
        arrays = self.arrays
        activation = self.forward_activation
        last = len(self.shapes) - 1
        for k in range(last + 1):  # the bias comes with the input's column of ones
            np.matmul(
                X if k == 0 else arrays.inputs[k],
                arrays.layers[k],
                out=arrays.outputs[k],
            )
            if k < last and activation is not None:
                activation(self.outputs[k])

        # Each loss on its networks' raw outputs (views of the last layer's output).
        K, B, n_out = self.outputs[last].shape
        value_parts, grad_parts = [], []
        for group, raw, (target, weight) in zip(
            self.groups, self.group_raw, group_data
        ):
            values, grad = group.loss.raw_loss_gradient(
                raw, target, group.activation, weight
            )
            value_parts.append(values)
            grad_parts.append(grad)
        if len(value_parts) > 1:
            values, grad = torch.cat(value_parts), torch.cat(grad_parts)
        torch.sum(values.view(K, B), 1, out=sums)
        grad = torch.mul(grad.view(K, B, n_out), inverse, out=self.output_grads[last])

        backward = self.backward_activation
        for k in range(last, -1, -1):
            # the weights' gradient, and the bias's in the ones column's row
            np.matmul(
                X.transpose(0, 2, 1) if k == 0 else arrays.inputs_t[k],
                arrays.output_grads[k],
                out=arrays.grad_layers[k],
            )
            if k > 0:
                below = self.output_grads[k - 1]
                # one output: an outer product, cheaper as a broadcast product
                if n_out == 1 and k == last:
                    torch.mul(grad, self.weights_t[k], out=below)
                else:
                    np.matmul(
                        arrays.output_grads[k],
                        arrays.weights_t[k],
                        out=arrays.output_grads[k - 1],
                    )
                if backward is not None:
                    backward(below, self.outputs[k - 1], self.scratch[k - 1])
                grad = below
        if l2 is not None:
            for W, grad_W in zip(self.views[0], self.grad_views[0]):
                penalty.add_(W.square().sum((1, 2)))
                grad_W.addcmul_(W, l2)
        self._update(self.grads, hyper)

    def _update(self, grads, hyper) -> None:
        params = self.params
        if self.solver == "sgd":
            (buffer,) = self.state
            buffer.mul_(hyper["momentum"]).add_(grads)
            update = (
                grads.addcmul(hyper["momentum"], buffer) if self.nesterov else buffer
            )
            params.addcmul_(update, hyper["lr"], value=-1.0)
            return
        # torch.optim.Adam's single-tensor update (as OptimizerStep runs it in a
        # plain fit), with each network's step count and learning rate.
        step, exp_avg, exp_avg_sq = self.state
        beta2 = self.betas[1]
        step.add_(hyper["taking_part"])
        exp_avg.lerp_(grads, hyper["lerp"])
        exp_avg_sq.mul_(hyper["beta2"]).addcmul_(grads, grads, value=1.0 - beta2)
        correction1, correction2_sqrt = self.corrections.at(step)
        # -lr / (1 - beta1^t) in float64, as Python computes addcdiv_'s value
        step_size = hyper["network_lr"].div(correction1).neg_().to(self.dtype)
        divisor = self.arena.spread(correction2_sqrt.to(self.dtype))
        denom = exp_avg_sq.sqrt().div_(divisor)
        denom.add_(self.epsilon)
        # addcdiv_(exp_avg, denom, value=-step_size): param + value * exp_avg / denom
        params.add_(exp_avg.mul(self.arena.spread(step_size)).div_(denom))

    # -- the end of an epoch: scikit-learn's rules, per network --------------------------
    def _end_epoch(
        self, i, position, loss, last_batch, n_batches, epoch
    ) -> tuple[bool, BaseException | None]:
        """Record network ``i``'s epoch in its net's history (begun at the start
        of the epoch), validate and run its callbacks, as skorch's loop does after
        an epoch of a plain fit. Returns (finished, error)."""
        member, view = self.members[i], self.net_views[i]
        net, validation = view.net, member.plan.validation
        kwargs = {"dataset_train": member.plan.data, "dataset_valid": validation}
        try:
            row = last_row(net.history)  # as Net.run_single_epoch records it
            row["train_loss"] = loss
            row["batches"].append(
                {"train_loss": last_batch[0], "train_batch_size": last_batch[1]}
            )
            row["train_batch_count"] = n_batches
            if validation is not None:  # the network's current weights, validated
                self.arena.scatter(self.params, position, net.module_)
                net.validate(validation)
            _notify(view, "on_epoch_end", **kwargs)
        except KeyboardInterrupt:  # a rule stopped training
            return True, self._end_training(i)
        except Exception as exc:  # noqa: BLE001 - a diverged network
            net.validation_set_ = None
            return True, exc
        if view.lr != self.lrs[i]:  # a learning-rate schedule moved it
            self.lrs[i] = view.lr
            self.lr[position] = view.lr
            self.lr64[position] = view.lr
            self.hyper = {}
        if epoch >= member.plan.epochs:
            return True, self._end_training(i)
        return False, None

    def _end_training(self, i) -> BaseException | None:
        """skorch's end of ``partial_fit`` for network ``i``."""
        member, view = self.members[i], self.net_views[i]
        try:
            _notify(view, "on_train_end", X=member.plan.data, y=None)
        except Exception as exc:  # noqa: BLE001
            return exc
        finally:
            view.net.validation_set_ = None  # do not keep the validation data
        return None

    def _write_back(self, i, position, net) -> None:
        """Copy network ``i``'s parameters and optimizer state into its net."""
        arena = self.arena
        arena.scatter(self.params, position, net.module_)
        if self.solver == "sgd":
            states = []  # torch's SGD keeps no state without momentum
            if self.members[i].estimator.momentum:
                buffers = arena.network(self.state[0], position)
                states = [{"momentum_buffer": b} for b in buffers]
        else:
            step = torch.tensor(float(self.state[0][position]), dtype=torch.float32)
            # (torch.optim.Adam's step state: a float32 scalar tensor)
            states = [
                {"step": step.clone(), "exp_avg": m, "exp_avg_sq": v}
                for m, v in zip(
                    arena.network(self.state[1], position),
                    arena.network(self.state[2], position),
                )
            ]
        lr = self.lrs[i]  # where a learning-rate schedule left it
        deferred = net.__dict__.get("deferred_optimizer_state_")
        if deferred is not None:  # the optimizer is made on first use
            deferred.update(enumerate(states))
            deferred["lr"] = lr
            return
        optimizer = net.optimizer_
        params = [p for g in optimizer.param_groups for p in g["params"]]
        for p, values in zip(params, states):
            optimizer.state[p] = values
        for group in optimizer.param_groups:
            group["lr"] = lr
