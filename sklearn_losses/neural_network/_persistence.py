"""The fitted network as plain data, so that models save and load safely anywhere.

The estimators' ``__getstate__`` replaces the skorch net by NumPy arrays, numbers and
strings: the module's weights, the optimizer's state, the random generator, the
training history and the fitted state of the training rules' callbacks (their
attributes ending in ``_``; a user's own ``callbacks`` come back as fresh copies of
the estimator's parameter). ``__setstate__`` rebuilds the net from
the estimator's parameters and loads that state. Loading therefore never unpickles a
torch object (no ``torch.load``), a model trained on a GPU loads on a machine without
one, and :mod:`skops.io` can persist the estimators with an explicit list of trusted
types.
"""

from __future__ import annotations

import numpy as np
import torch
from skorch.history import History

_TENSOR = "__tensor__"
# The estimators' own callbacks (scikit-learn's training rules) are named so.
_RULE_PREFIX = "sklearn_"


def _fitted_state(callback) -> dict:
    """A callback's fitted state: its attributes ending in ``_``."""
    return {k: v for k, v in vars(callback).items() if k.endswith("_")}


def to_plain(value):
    """Recursively turn tensors into tagged NumPy arrays (and tuples into lists)."""
    if isinstance(value, torch.Tensor):
        return {_TENSOR: value.detach().cpu().numpy().copy()}
    if isinstance(value, dict):
        return {key: to_plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(item) for item in value]
    return value


def from_plain(value, device: torch.device):
    """Inverse of :func:`to_plain`, with tensors placed on ``device``."""
    if isinstance(value, dict):
        if set(value) == {_TENSOR}:
            return torch.from_numpy(np.array(value[_TENSOR])).to(device)
        return {key: from_plain(item, device) for key, item in value.items()}
    if isinstance(value, list):
        return [from_plain(item, device) for item in value]
    return value


def export_net(net) -> dict:
    """Everything needed to rebuild ``net`` after training, as plain data."""
    deferred = net.__dict__.get("deferred_optimizer_state_")
    if deferred is not None:
        # A stacked net's optimizer is not made (a process's first costs seconds,
        # see deferred_optimizers): its state is saved as the stack left it.
        optimizer = {
            "deferred_lr": deferred.get("lr"),
            "deferred_state": {
                str(k): to_plain(v) for k, v in deferred.items() if k != "lr"
            },
        }
    else:
        state = net.optimizer_.state_dict()
        optimizer = {
            # Integer keys become strings: skops only stores string-keyed mappings.
            "optimizer_state": {str(k): to_plain(v) for k, v in state["state"].items()},
            "optimizer_groups": to_plain(state["param_groups"]),
        }
    return {
        "module": to_plain(dict(net.module_.state_dict())),
        "dtype": str(next(net.module_.parameters()).dtype).removeprefix("torch."),
        **optimizer,
        "generator": to_plain(
            net.get_params_for("iterator_train")["generator"].get_state()
        ),
        "history": to_plain(list(net.history)),
        "rules": {
            name: to_plain(_fitted_state(cb))
            for name, cb in net.callbacks_
            if name.startswith(_RULE_PREFIX)
        },
        "batch_size": net.batch_size,
    }


def restore_net(net, state: dict, device: torch.device):
    """Load :func:`export_net`'s ``state`` into a freshly built ``net``."""
    net.module_.load_state_dict(from_plain(state["module"], device))
    if "deferred_state" in state:  # net was built with deferred_optimizers()
        deferred = {
            int(k): from_plain(v, device) for k, v in state["deferred_state"].items()
        }
        if state["deferred_lr"] is not None:
            deferred["lr"] = state["deferred_lr"]
        net.deferred_optimizer_state_ = deferred
    else:
        _load_optimizer(net, state, device)
    generator = net.get_params_for("iterator_train")["generator"]
    generator.set_state(from_plain(state["generator"], torch.device("cpu")))
    net.history_ = History(from_plain(state["history"], device))
    rules = dict(net.callbacks_)
    for name, fitted in state["rules"].items():
        vars(rules[name]).update(from_plain(fitted, device))
    net.batch_size = state["batch_size"]
    return net


def _load_optimizer(net, state: dict, device: torch.device) -> None:
    groups = from_plain(state["optimizer_groups"], device)
    for group in groups:  # tuples such as Adam's betas were stored as lists
        group.update({k: tuple(v) for k, v in group.items() if k == "betas"})
    net.optimizer_.load_state_dict(
        {
            "state": {
                int(k): from_plain(v, device)
                for k, v in state["optimizer_state"].items()
            },
            "param_groups": groups,
        }
    )


def builds_deferred(state: dict) -> bool:
    """Whether the net of :func:`export_net`'s ``state`` makes its optimizer on
    first use (build it inside ``deferred_optimizers()``)."""
    return "deferred_state" in state
