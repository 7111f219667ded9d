"""Fast paths of the built-in MLP: its training step and its prediction of a few rows.

On small tabular batches a training step costs Python and dispatch overhead, not
arithmetic. Autograd records and replays one node per ``Linear``, bias, transpose and
activation; :class:`MLPPass` runs the same forward pass as ``MLPModule.forward`` (bit
for bit: ``addmm`` is what ``nn.Linear`` calls) and a backward written by hand, the way
scikit-learn's NumPy MLP does it, from the loss's gradient with respect to the raw
outputs (``Loss.raw_loss_gradient``: a closed form for the built-in losses, autograd
for the others, so every loss keeps working). :class:`OptimizerStep` replaces torch's
per-parameter Python loops in SGD and Adam by its fused kernels, and
:class:`NumpyMLP` predicts a few rows without torch.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import torch
from scipy.special import expit
from torch.optim import optimizer as _optimizer_module

from ._module import MLPModule

_aten = torch.ops.aten
Backward = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _identity_backward(grad: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    return grad


# Derivatives of the hidden activations written in terms of their *outputs*, which is
# what the forward pass keeps (relu: output > 0; tanh: 1 - output^2; sigmoid:
# output (1 - output)). These are the kernels autograd itself runs for these layers.
_ACTIVATION_BACKWARD: dict[str, Backward] = {
    "identity": _identity_backward,
    "relu": lambda grad, out: _aten.threshold_backward.default(grad, out, 0),
    "tanh": _aten.tanh_backward.default,
    "logistic": _aten.sigmoid_backward.default,
}
_ACTIVATION_INPLACE = {
    "identity": None,
    "relu": torch.relu_,
    "tanh": torch.tanh_,
    "logistic": torch.sigmoid_,
}


def mlp_parameters(module: MLPModule) -> list[torch.Tensor]:
    """``[W_1, b_1, ..., W_L, b_L]``, the parameters of each linear layer in turn."""
    return [p for layer in module.layers for p in (layer.weight, layer.bias)]


class MLPPass:
    """Forward and hand-written backward of an :class:`MLPModule`, without autograd.

    Works on detached aliases of the parameters (they share storage, so in-place
    optimizer updates show through) made at construction: build one per epoch, not
    once per model, since moving a module to another device or dtype replaces the
    storage.
    """

    def __init__(self, module: MLPModule):
        self.parameters = mlp_parameters(module)
        values = [p.detach() for p in self.parameters]
        self.weights, self.biases = values[0::2], values[1::2]
        self.weights_t = [W.t() for W in self.weights]
        self.activation = _ACTIVATION_INPLACE[module.activation]
        self.activation_backward = _ACTIVATION_BACKWARD[module.activation]

    def forward(self, X: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Raw outputs (as ``MLPModule.forward``) and the input of every layer."""
        activation = self.activation
        inputs = [X]
        h = X
        for W_t, b in zip(self.weights_t[:-1], self.biases[:-1]):
            h = torch.addmm(b, h, W_t)
            if activation is not None:
                h = activation(h)
            inputs.append(h)
        return torch.addmm(self.biases[-1], h, self.weights_t[-1]), inputs

    def squared_norm(self) -> torch.Tensor:
        """``||W||^2`` over the weight matrices (the L2 term), without autograd."""
        return sum(W.square().sum() for W in self.weights)

    def backward(
        self,
        inputs: list[torch.Tensor],
        grad: torch.Tensor,
        l2: float | torch.Tensor | None = None,
    ) -> list[torch.Tensor]:
        """The parameter gradients, in :attr:`parameters` order, given d loss / d raw.

        ``l2`` adds ``l2 * W`` to each weight's gradient: the gradient of the L2 term
        ``alpha / 2 ||W||^2 / normaliser`` with ``l2 = alpha / normaliser``.
        """
        grads: list[torch.Tensor] = [grad] * len(self.parameters)
        for k in range(len(inputs) - 1, -1, -1):
            W = self.weights[k]
            grad_W = grad.t().mm(inputs[k])
            if isinstance(l2, torch.Tensor):
                grad_W.addcmul_(W, l2)
            elif l2 is not None:
                grad_W.add_(W, alpha=l2)
            grads[2 * k] = grad_W
            grads[2 * k + 1] = grad.sum(0)
            if k > 0:
                grad = self.activation_backward(grad.mm(W), inputs[k])
        return grads


def accumulate(params: list[torch.Tensor], grads: list[torch.Tensor]) -> None:
    """``param.grad += grad``, as autograd accumulates (None counts as zero)."""
    for param, grad in zip(params, grads):
        if param.grad is None:
            param.grad = grad
        else:
            param.grad.add_(grad)


# Below this many multiply-adds, NumPy's BLAS computes on the calling thread.
_NUMPY_WORK = 2**16


class NumpyMLP:
    """The forward pass of an :class:`MLPModule` in NumPy, for predicting a few rows.

    Predicting one row costs Python and dispatch overhead, not arithmetic, and
    NumPy's per-call overhead is a fraction of torch's (it is what scikit-learn's
    own MLP pays). The weights are NumPy views of the parameters, so in-place
    updates (training steps, ``load_state_dict``) show through; :meth:`is_current`
    tells when the parameters were given new storage (moved to another device or
    dtype). The result equals ``module(X)`` up to rounding (another BLAS library).
    """

    def __init__(self, module: MLPModule):
        self.module = module
        self.parameters = mlp_parameters(module)
        self._storage = _storage(self.parameters)
        arrays = [p.detach().numpy() for p in self.parameters]
        # (W^T, b) per layer: X @ W^T + b is what nn.Linear computes.
        *self.hidden, self.output = [
            (W.T, b) for W, b in zip(arrays[::2], arrays[1::2])
        ]
        self.dtype = arrays[0].dtype
        self.activation = _NUMPY_ACTIVATIONS[module.activation]
        #: multiply-adds per row
        self.work = sum(W.size for W in arrays[::2])

    @classmethod
    def of(cls, module: torch.nn.Module) -> NumpyMLP | None:
        """The NumPy forward pass of ``module``: a built-in MLP on the CPU, or None."""
        if type(module) is not MLPModule:
            return None
        if module.layers[0].weight.device.type != "cpu":
            return None
        return cls(module)

    def is_current(self, module: torch.nn.Module) -> bool:
        """Whether these views still are ``module``'s parameters."""
        return module is self.module and _storage(self.parameters) == self._storage

    def applies_to(self, n_rows: int) -> bool:
        """Whether ``n_rows`` rows are few enough for NumPy's single thread."""
        return n_rows * self.work < _NUMPY_WORK

    def __call__(self, X: np.ndarray) -> np.ndarray:
        if X.dtype != self.dtype:
            X = X.astype(self.dtype)
        activation = self.activation
        for W_t, b in self.hidden:
            X = X @ W_t
            X += b
            if activation is not None:
                activation(X, out=X)
        W_t, b = self.output
        X = X @ W_t
        X += b
        return X


def _storage(params: list[torch.Tensor]) -> list[int]:
    return [p.data_ptr() for p in params]


def _relu(X: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.maximum(X, 0, out=out)


_NUMPY_ACTIVATIONS = {
    "identity": None,
    "relu": _relu,
    "tanh": np.tanh,
    "logistic": expit,
}


# -- optimizer steps as one kernel call --------------------------------------------------
def _hooks_registered(optimizer: torch.optim.Optimizer) -> bool:
    """Whether step hooks (or a patched ``step``) must see every step."""
    return bool(
        "step" in vars(optimizer)
        or getattr(optimizer, "_optimizer_step_pre_hooks", True)
        or getattr(optimizer, "_optimizer_step_post_hooks", True)
        or getattr(_optimizer_module, "_global_optimizer_pre_hooks", True)
        or getattr(_optimizer_module, "_global_optimizer_post_hooks", True)
    )


@functools.cache
def _fused_cpu_kernels() -> bool:
    """Whether this torch has fused SGD and Adam kernels for the CPU (torch >= 2.4)."""
    try:
        devices = _optimizer_module._get_fused_kernels_supported_devices()
    except AttributeError:
        return False
    return "cpu" in devices and hasattr(torch, "_fused_sgd_")


def _plain_group(group: dict) -> bool:
    """Settings every fused call below passes on; anything else goes to ``step()``."""
    return (
        not group.get("differentiable")
        and not group.get("capturable")
        and not isinstance(group["lr"], torch.Tensor)
        and not any(isinstance(b, torch.Tensor) for b in group.get("betas", ()))
        and all(p.device.type == "cpu" and not p.is_complex() for p in group["params"])
    )


def _adam_group(group: dict) -> bool:
    return (
        _plain_group(group)
        and not group["amsgrad"]
        and not group.get("decoupled_weight_decay")
    )


class OptimizerStep:
    """``optimizer.step()`` for SGD and Adam on the CPU, as torch's fused kernels.

    torch's ``step()`` loops over the parameters in Python (or groups them by
    device and dtype), which on a small network costs several times the update
    itself. This calls the kernel behind ``fused=True`` directly on the optimizer's
    own state: one call for an SGD step, two for Adam, with the results of a
    ``fused=True`` optimizer. Build one per epoch: it checks the settings (no
    amsgrad, tensor hyperparameters, step hooks or GPU parameters) once. Calling it
    returns False where it does not apply (other optimizers, a missing gradient,
    the first step, which creates the state, torch older than 2.4); the caller then
    runs ``optimizer.step()``.

    The gradients are the parameters' ``.grad``, or given to the call (dense, in
    the order of :attr:`parameters`), which spares the training step storing them
    in ``.grad``.
    """

    def __init__(self, optimizer: torch.optim.Optimizer):
        self.optimizer = optimizer
        kind = type(optimizer)
        supported = {torch.optim.SGD: _plain_group, torch.optim.Adam: _adam_group}
        self.enabled = (
            kind in supported
            and _fused_cpu_kernels()
            and not _hooks_registered(optimizer)
            and all(supported[kind](group) for group in optimizer.param_groups)
        )
        self.is_sgd = kind is torch.optim.SGD
        #: per group, the state tensors the kernel updates (bound at the first call)
        self.buffers: list[list[list[torch.Tensor]]] | None = None
        #: the parameters, in the order of the gradients the call takes
        self.parameters = [p for g in optimizer.param_groups for p in g["params"]]
        # Detached aliases share storage and version counter with the parameters:
        # updating them in place needs no torch.no_grad() context.
        self.params = [
            [p.detach() for p in group["params"]] for group in optimizer.param_groups
        ]

    def __call__(self, grads: list[torch.Tensor] | None = None) -> bool:
        if not self.enabled:
            return False
        if grads is None:
            grads = [p.grad for p in self.parameters]
            if any(g is None or g.is_sparse for g in grads):
                return False
        if self.buffers is None and not self._bind_state():
            return False
        update = self._sgd if self.is_sgd else self._adam
        start = 0
        for group, params, buffers in zip(
            self.optimizer.param_groups, self.params, self.buffers
        ):
            stop = start + len(params)
            update(group, params, grads[start:stop], *buffers)
            start = stop
        return True

    def _bind_state(self) -> bool:
        """Find the state tensors of every parameter; False if a step must create
        them first."""
        state = self.optimizer.state  # a defaultdict: look up, do not create
        buffers = []
        for group in self.optimizer.param_groups:
            if self.is_sgd:
                keys = ("momentum_buffer",) if group["momentum"] else ()
            else:
                keys = ("step", "exp_avg", "exp_avg_sq")
            states = [state[p] if p in state else {} for p in group["params"]]
            lists = [[s.get(key) for s in states] for key in keys]
            if any(t is None for tensors in lists for t in tensors):
                return False
            buffers.append(lists)
        self.buffers = buffers
        return True

    @staticmethod
    def _sgd(group: dict, params: list, grads: list, momentum_buffers=()) -> None:
        torch._fused_sgd_(
            params,
            grads,
            list(momentum_buffers),
            weight_decay=group["weight_decay"],
            momentum=group["momentum"],
            lr=group["lr"],
            dampening=group["dampening"],
            nesterov=group["nesterov"],
            maximize=group["maximize"],
            is_first_step=False,
        )

    @staticmethod
    def _adam(group, params, grads, steps, exp_avgs, exp_avg_sqs) -> None:
        torch._foreach_add_(steps, 1)
        beta1, beta2 = group["betas"]
        torch._fused_adam_(
            params,
            grads,
            exp_avgs,
            exp_avg_sqs,
            [],
            steps,
            amsgrad=False,
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            maximize=group["maximize"],
        )
