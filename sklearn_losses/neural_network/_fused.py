"""Fast paths of the training step: the built-in MLP's backward and the optimizer step.

On small tabular batches a training step costs Python and dispatch overhead, not
arithmetic. Autograd records and replays one node per ``Linear``, bias, transpose and
activation; :class:`MLPPass` runs the same forward pass as ``MLPModule.forward`` (bit
for bit: ``addmm`` is what ``nn.Linear`` calls) and a backward written by hand, the way
scikit-learn's NumPy MLP does it. Autograd still differentiates the loss with respect
to the raw outputs, so every loss, custom ones included, keeps working.
:class:`OptimizerStep` replaces torch's per-parameter Python loops in SGD and Adam.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

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
    ) -> None:
        """Accumulate into ``.grad`` the parameter gradients given d loss / d raw.

        ``l2`` adds ``l2 * W`` to each weight's gradient: the gradient of the L2 term
        ``alpha / 2 ||W||^2 / normaliser`` with ``l2 = alpha / normaliser``.
        """
        params = self.parameters
        for k in range(len(inputs) - 1, -1, -1):
            W = self.weights[k]
            grad_W = grad.t().mm(inputs[k])
            if isinstance(l2, torch.Tensor):
                grad_W.addcmul_(W, l2)
            elif l2 is not None:
                grad_W.add_(W, alpha=l2)
            _accumulate(params[2 * k], grad_W)
            _accumulate(params[2 * k + 1], grad.sum(0))
            if k > 0:
                grad = self.activation_backward(grad.mm(W), inputs[k])


def _accumulate(param: torch.Tensor, grad: torch.Tensor) -> None:
    """``param.grad += grad``, as autograd accumulates (None counts as zero)."""
    if param.grad is None:
        param.grad = grad
    else:
        param.grad.add_(grad)


# Below this many multiply-adds, NumPy's BLAS computes on the calling thread.
_NUMPY_WORK = 2**16


def numpy_forward(
    module: torch.nn.Module, n_rows: int
) -> Callable[[np.ndarray], np.ndarray] | None:
    """``module``'s forward pass in NumPy to predict ``n_rows`` rows, or None.

    For the built-in :class:`MLPModule` on the CPU and few rows (a few dozen, for a
    small network). Predicting one row costs Python and dispatch overhead, not
    arithmetic, and NumPy's per-call overhead is a fraction of torch's (it is what
    scikit-learn's own MLP pays). Larger inputs go through torch: NumPy's BLAS would
    start its own threads, which then compete with torch's for the cores. The result
    equals ``module(X)`` up to rounding (another BLAS library).
    """
    if type(module) is not MLPModule or module.layers[0].weight.device.type != "cpu":
        return None
    layers = [
        (layer.weight.detach().numpy(), layer.bias.detach().numpy())
        for layer in module.layers
    ]
    if n_rows * sum(W.size for W, _ in layers) >= _NUMPY_WORK:
        return None
    return partial(_numpy_mlp, layers, _NUMPY_ACTIVATIONS[module.activation])


def _numpy_mlp(layers: list, activation: Callable | None, X: np.ndarray) -> np.ndarray:
    X = X.astype(layers[0][0].dtype, copy=False)
    for i, (W, b) in enumerate(layers):
        X = X @ W.T
        X += b
        if activation is not None and i < len(layers) - 1:
            activation(X, out=X)
    return X


def _relu(X: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.maximum(X, 0, out=out)


_NUMPY_ACTIVATIONS = {
    "identity": None,
    "relu": _relu,
    "tanh": np.tanh,
    "logistic": expit,
}


# -- optimizer steps without per-parameter Python loops ---------------------------------
def _hooks_registered(optimizer: torch.optim.Optimizer) -> bool:
    """Whether step hooks (or a patched ``step``) must see every step."""
    return bool(
        "step" in vars(optimizer)
        or getattr(optimizer, "_optimizer_step_pre_hooks", True)
        or getattr(optimizer, "_optimizer_step_post_hooks", True)
        or getattr(_optimizer_module, "_global_optimizer_pre_hooks", True)
        or getattr(_optimizer_module, "_global_optimizer_post_hooks", True)
    )


def _sgd_supported(group: dict) -> bool:
    return (
        group["weight_decay"] == 0
        and group["dampening"] == 0
        and not group["maximize"]
        and not group.get("differentiable")
        and not group.get("fused")
        and not isinstance(group["lr"], torch.Tensor)
    )


def _adam_supported(group: dict) -> bool:
    return (
        group["weight_decay"] == 0
        and not group["amsgrad"]
        and not group["maximize"]
        and not group["capturable"]
        and not group["differentiable"]
        and not group["fused"]
        and not group.get("decoupled_weight_decay")
        and not isinstance(group["lr"], torch.Tensor)
        and not any(isinstance(beta, torch.Tensor) for beta in group["betas"])
        and not any(p.is_complex() for p in group["params"])
    )


class OptimizerStep:
    """``optimizer.step()`` for plain SGD and Adam as a few ``foreach`` calls.

    torch's steps loop over the parameters in Python (or group them by device and
    dtype on the ``foreach`` path), which on a small network costs more than the
    update itself. This performs the same element-wise operations as torch's
    single-tensor implementations, so the same results, on the optimizer's own
    state. Build one per epoch: it checks the settings (no weight decay, amsgrad,
    tensor hyperparameters or step hooks) once. Calling it returns False where it
    does not apply (other optimizers, a missing gradient, the first step, which
    creates the state); the caller then runs ``optimizer.step()``.
    """

    def __init__(self, optimizer: torch.optim.Optimizer):
        self.optimizer = optimizer
        kind = type(optimizer)
        supported = {torch.optim.SGD: _sgd_supported, torch.optim.Adam: _adam_supported}
        self.enabled = (
            kind in supported
            and not _hooks_registered(optimizer)
            and all(supported[kind](group) for group in optimizer.param_groups)
        )
        self.is_sgd = kind is torch.optim.SGD
        self.states: list[list[dict]] | None = None
        # Detached aliases share storage and version counter with the parameters:
        # updating them in place needs no torch.no_grad() context.
        self.params = [
            [p.detach() for p in group["params"]] for group in optimizer.param_groups
        ]

    def __call__(self) -> bool:
        if not self.enabled:
            return False
        groups = self.optimizer.param_groups
        grads = [[p.grad for p in group["params"]] for group in groups]
        if any(g is None or g.is_sparse for gs in grads for g in gs):
            return False
        if self.states is None:
            state = self.optimizer.state  # a defaultdict: look up, do not create
            self.states = [
                [state[p] if p in state else {} for p in group["params"]]
                for group in groups
            ]
            if not all(
                self._has_state(group, s) for group, s in zip(groups, self.states)
            ):
                self.states = None
                return False
        update = self._sgd if self.is_sgd else self._adam
        for group, params, group_grads, states in zip(
            groups, self.params, grads, self.states
        ):
            update(group, params, group_grads, states)
        return True

    def _has_state(self, group: dict, states: list[dict]) -> bool:
        if self.is_sgd:
            return group["momentum"] == 0 or all(
                s.get("momentum_buffer") is not None for s in states
            )
        return all(len(s) > 0 for s in states)

    @staticmethod
    def _sgd(group: dict, params: list, grads: list, states: list[dict]) -> None:
        momentum = group["momentum"]
        if momentum != 0:
            buffers = [s["momentum_buffer"] for s in states]
            torch._foreach_mul_(buffers, momentum)
            torch._foreach_add_(buffers, grads)
            if group["nesterov"]:
                grads = torch._foreach_add(grads, buffers, alpha=momentum)
            else:
                grads = buffers
        torch._foreach_add_(params, grads, alpha=-group["lr"])

    @staticmethod
    def _adam(group: dict, params: list, grads: list, states: list[dict]) -> None:
        beta1, beta2 = group["betas"]
        exp_avgs = [s["exp_avg"] for s in states]
        exp_avg_sqs = [s["exp_avg_sq"] for s in states]
        steps = [s["step"] for s in states]
        torch._foreach_add_(steps, 1)
        torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
        torch._foreach_mul_(exp_avg_sqs, beta2)
        torch._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)
        counts = [step.item() for step in steps]
        step_sizes = [-group["lr"] / (1 - beta1**t) for t in counts]
        denominators = torch._foreach_sqrt(exp_avg_sqs)
        torch._foreach_div_(denominators, [(1 - beta2**t) ** 0.5 for t in counts])
        torch._foreach_add_(denominators, group["eps"])
        torch._foreach_addcdiv_(params, exp_avgs, denominators, step_sizes)
