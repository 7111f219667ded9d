"""Fast paths of the built-in MLP: its training step and its prediction of a few rows.

On small tabular batches a training step costs Python and dispatch overhead, not
arithmetic. Autograd records and replays one node per ``Linear``, bias, transpose and
activation; :class:`MLPPass` runs the same forward pass as ``MLPModule.forward`` (bit
for bit: ``addmm`` is what ``nn.Linear`` calls) and a backward written by hand, the way
scikit-learn's NumPy MLP does it, from the loss's gradient with respect to the raw
outputs (``Loss.raw_loss_gradient``: a closed form for the built-in losses, autograd
for the others, so every loss keeps working). :class:`OptimizerStep` replaces torch's
per-parameter Python loops in SGD and Adam by a few operations on one flat buffer, and
:class:`NumpyMLP` predicts a few rows without torch.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from scipy.special import expit

from ._module import MLPModule

Backward = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _identity_backward(grad: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    return grad


def _relu_backward(grad: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    return grad.masked_fill_(output <= 0, 0.0)


def _tanh_backward(grad: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    return grad.mul_(output.square().neg_().add_(1.0))  # grad * (1 - output^2)


def _logistic_backward(grad: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    return grad.mul_(1.0 - output).mul_(output)  # grad * (1 - output) * output


# Derivatives of the hidden activations written in terms of their *outputs*, which is
# what the forward pass keeps, with the formulas (and the order of operations) of the
# kernels autograd runs for these layers. ``grad`` is a fresh product, updated in place.
_ACTIVATION_BACKWARD: dict[str, Backward] = {
    "identity": _identity_backward,
    "relu": _relu_backward,
    "tanh": _tanh_backward,
    "logistic": _logistic_backward,
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
        for k in range(len(inputs) - 1, 0, -1):
            W = self.weights[k]
            grads[2 * k] = _with_l2(grad.t().mm(inputs[k]), W, l2)
            grads[2 * k + 1] = grad.sum(0)
            grad = self.activation_backward(grad.mm(W), inputs[k])
        grads[0] = self.first_weight_gradient(inputs[0], grad, l2)
        grads[1] = grad.sum(0)
        return grads

    def first_weight_gradient(self, X, grad: torch.Tensor, l2) -> torch.Tensor:
        """The first layer's weight gradient, ``grad.T @ X`` plus the L2 term."""
        return _with_l2(grad.t().mm(X), self.weights[0], l2)


def _with_l2(grad_W: torch.Tensor, W: torch.Tensor, l2) -> torch.Tensor:
    """``grad_W + l2 * W`` in place (``l2`` a number, a 0-d tensor or None)."""
    if isinstance(l2, torch.Tensor):
        grad_W.addcmul_(W, l2)
    elif l2 is not None:
        grad_W.add_(W, alpha=l2)
    return grad_W


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


# -- optimizer steps on one flat buffer ---------------------------------------------------
class HookAwareMixin:
    """Marks an optimizer whose step hooks must see every step.

    The estimators build their optimizers from this mixin, so that registering a
    step hook (a skorch callback may) sends the training step back to ``step()``.
    """

    step_hooks_registered = False

    def register_step_pre_hook(self, hook):
        self.step_hooks_registered = True
        return super().register_step_pre_hook(hook)

    def register_step_post_hook(self, hook):
        self.step_hooks_registered = True
        return super().register_step_post_hook(hook)


class SGD(HookAwareMixin, torch.optim.SGD):
    """:class:`torch.optim.SGD` that tells when step hooks are registered."""


class Adam(HookAwareMixin, torch.optim.Adam):
    """:class:`torch.optim.Adam` that tells when step hooks are registered."""


def _plain_group(group: dict) -> bool:
    """Settings the flat update implements; anything else goes to ``step()``."""
    return (
        not group.get("differentiable")
        and not group.get("capturable")
        and not group.get("maximize")
        and not group.get("fused")
        and group.get("weight_decay", 0) == 0
        and group.get("dampening", 0) == 0
        and not group.get("amsgrad")
        and not group.get("decoupled_weight_decay")
        and not isinstance(group["lr"], torch.Tensor)
        and not any(isinstance(b, torch.Tensor) for b in group.get("betas", ()))
        and not any(p.is_complex() or p.is_sparse for p in group["params"])
    )


def flat_view(tensors: list[torch.Tensor]) -> torch.Tensor | None:
    """One 1-D tensor over ``tensors`` if they lie one after another in one
    storage (as :func:`make_flat` leaves them), else None."""
    first = tensors[0]
    end = first.data_ptr()
    for t in tensors:
        if not t.is_contiguous() or t.data_ptr() != end or t.dtype != first.dtype:
            return None
        end += t.numel() * t.element_size()
    total = sum(t.numel() for t in tensors)
    return first.detach().as_strided((total,), (1,), first.storage_offset())


def make_flat(tensors: list[torch.Tensor], assign) -> torch.Tensor:
    """Copy ``tensors`` into one new buffer and ``assign(i, view)`` each its view."""
    flat = torch.cat([t.detach().reshape(-1) for t in tensors])
    offset = 0
    for i, t in enumerate(tensors):
        assign(i, flat[offset : offset + t.numel()].view_as(t))
        offset += t.numel()
    return flat


class OptimizerStep:
    """``optimizer.step()`` for SGD and Adam as a few operations on one buffer.

    torch's ``step()`` loops over the parameters in Python, which on a small
    network costs several times the update itself. Here the parameters and the
    optimizer's state (momentum buffers, Adam's moments and step counts) are views
    of one flat buffer each, so a step is two tensor operations for SGD and six for
    Adam, with the arithmetic of torch's own single-tensor implementation (the one
    ``step()`` runs on the CPU), operation for operation; the optimizer's state stays
    the optimizer's. Build one per epoch: it checks the settings (a single parameter
    group, no amsgrad, maximize, weight decay, dampening, tensor hyperparameters or
    step hooks) once, and puts parameters and state in flat buffers where they are
    not yet. Calling it returns False where it does not apply (other optimizers, the
    first step, which creates the state); the caller then runs ``optimizer.step()``.

    The gradients are the parameters' ``.grad``, or given to the call (dense, in
    the order of :attr:`parameters`), which spares the training step storing them
    in ``.grad``. Parameters are moved into the flat buffer when the object is
    built: build it before anything that keeps views of them (``MLPPass``).
    """

    def __init__(self, optimizer: torch.optim.Optimizer):
        self.optimizer = optimizer
        groups = optimizer.param_groups
        self.is_sgd = isinstance(optimizer, SGD)
        self.enabled = (
            isinstance(optimizer, (SGD, Adam))
            and not optimizer.step_hooks_registered
            and "step" not in vars(optimizer)  # a patched step must run
            and len(groups) == 1
            and _plain_group(groups[0])
        )
        #: the parameters, in the order of the gradients the call takes
        self.parameters = list(groups[0]["params"]) if groups else []
        self.flat_params = None
        self.state = None
        self._gradient_views: list[torch.Tensor] | None = None
        if self.enabled:
            self.flat_params = self._flatten(self.parameters, self._assign_parameter)

    def _assign_parameter(self, i: int, view: torch.Tensor) -> None:
        self.parameters[i].data = view

    @staticmethod
    def _flatten(tensors, assign) -> torch.Tensor:
        return (
            flat_view(tensors)
            if flat_view(tensors) is not None
            else make_flat(tensors, assign)
        )

    def gradient_buffer(self, i: int) -> torch.Tensor:
        """Where the training step may write parameter ``i``'s gradient in place.

        A view of the step's flat gradient: a gradient given there is not copied
        (which matters for a wide sparse first layer, see ``SparseMLPPass``).
        """
        if self._gradient_views is None:
            self._gradient_views = []
            self.flat_gradient = make_flat(
                self.parameters, lambda i, view: self._gradient_views.append(view)
            )
        return self._gradient_views[i]

    def _flat_gradient(self, grads: list[torch.Tensor]) -> torch.Tensor:
        views = self._gradient_views
        if views is None or not any(g is v for g, v in zip(grads, views)):
            return torch.cat([g.reshape(-1) for g in grads])
        for grad, view in zip(grads, views):
            if grad is not view:
                view.copy_(grad)
        return self.flat_gradient

    def __call__(self, grads: list[torch.Tensor] | None = None) -> bool:
        if not self.enabled:
            return False
        if grads is None:
            grads = [p.grad for p in self.parameters]
            if any(g is None or g.is_sparse for g in grads):
                return False
        if self.state is None and not self._bind_state():
            return False
        grad = self._flat_gradient(grads)
        group = self.optimizer.param_groups[0]
        if self.is_sgd:
            self._sgd(group, grad)
        else:
            self._adam(group, grad)
        return True

    def _bind_state(self) -> bool:
        """Flat views of the optimizer's state; False if a step must create it."""
        group = self.optimizer.param_groups[0]
        state = self.optimizer.state  # a defaultdict: look up, do not create
        if self.is_sgd:
            keys = ("momentum_buffer",) if group["momentum"] else ()
        else:
            keys = ("exp_avg", "exp_avg_sq", "step")
        states = [state[p] if p in state else {} for p in self.parameters]
        if any(s.get(key) is None for s in states for key in keys):
            return False
        flat = {}
        for key in keys:
            tensors = [s[key] for s in states]

            def assign(i, view, key=key):
                states[i][key] = view

            if key == "step":
                values = {float(t) for t in tensors}
                if len(values) != 1:
                    return False
                self.step_count = values.pop()
                flat[key] = self._flatten([t.reshape(()) for t in tensors], assign)
            else:
                flat[key] = self._flatten(tensors, assign)
        self.state = flat
        return True

    def _sgd(self, group: dict, grad: torch.Tensor) -> None:
        # torch.optim.SGD's single-tensor update, on every parameter at once
        momentum = group["momentum"]
        if momentum:
            buf = self.state["momentum_buffer"]
            buf.mul_(momentum).add_(grad)
            grad = grad.add(buf, alpha=momentum) if group["nesterov"] else buf
        self.flat_params.add_(grad, alpha=-group["lr"])

    def _adam(self, group: dict, grad: torch.Tensor) -> None:
        # torch.optim.Adam's single-tensor update, on every parameter at once
        beta1, beta2 = group["betas"]
        state = self.state
        state["step"].add_(1)
        self.step_count += 1
        step = self.step_count
        state["exp_avg"].lerp_(grad, 1 - beta1)
        state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = group["lr"] / bias_correction1
        denom = (state["exp_avg_sq"].sqrt() / bias_correction2**0.5).add_(group["eps"])
        self.flat_params.addcdiv_(state["exp_avg"], denom, value=-step_size)
