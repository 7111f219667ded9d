"""Shared machinery of the two estimators: validation, the skorch net, the fit loop."""

from __future__ import annotations

import copy
import math
import warnings
from contextlib import contextmanager, nullcontext
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)
from skorch.callbacks import Callback

from ..losses import Loss, get_loss
from ._fused import SGD, Adam
from ._lbfgs import check_lbfgs_result, fit_lbfgs
from ._module import HIDDEN_ACTIVATIONS, MLPModule
from ._net import (
    NON_FINITE_WEIGHTS,
    Criterion,
    Net,
    TensorBatches,
    TensorData,
    ValidationSet,
    deferred_optimizers,
)
from ._persistence import builds_deferred, export_net, restore_net
from ._rules import (
    BestWeights,
    EpochPrinter,
    LearningRateRule,
    LossCurve,
    NoImprovementStopping,
    ValidationScores,
)
from ._sparse import SparseMLPPass, SparseRows, canonical_csr, sparse_forward

_STOCHASTIC_SOLVERS = ("sgd", "adam")
_PREDICT_CHUNK = 65536
# Rows through which the output-bias start estimates the hidden layers' mean output.
_BIAS_START_ROWS = 2048
# Below this many multiply-adds per batch, a second CPU thread costs more in
# synchronisation than it saves, and under joblib or beside other processes the
# oversubscribed threads slow training down by an order of magnitude.
_SINGLE_THREAD_WORK = 2**22
# A training loss this many times its first-epoch value means the optimiser diverged.
_DIVERGENCE_GROWTH = 1e4


@contextmanager
def _cpu_threads(device: torch.device, work: int):
    """Run small CPU workloads on one torch thread; restore the setting after."""
    previous = torch.get_num_threads()
    single = device.type == "cpu" and work < _SINGLE_THREAD_WORK and previous > 1
    if single:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if single:
            torch.set_num_threads(previous)


def _hidden_sizes(hidden_layer_sizes) -> tuple[int, ...]:
    sizes = hidden_layer_sizes
    sizes = [sizes] if not hasattr(sizes, "__iter__") else list(sizes)
    if any(int(s) != s or s <= 0 for s in sizes):
        raise ValueError(
            f"hidden_layer_sizes must contain positive integers, got {hidden_layer_sizes}."
        )
    return tuple(int(s) for s in sizes)


def _resolve_device(device) -> torch.device:
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a torch device; use 'cpu' or 'cuda'."
        ) from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available on this "
            "machine; use device='cpu'."
        )
    if resolved.type != "cpu":
        try:  # any device torch was built without, or that is absent (mps, cuda:7)
            torch.empty(1, device=resolved)
        except (RuntimeError, AssertionError, ValueError) as exc:
            raise ValueError(
                f"device={device!r} is not available: this torch build or this "
                "machine cannot allocate memory there. Use device='cpu'"
                + (" or 'cuda'." if torch.cuda.is_available() else ".")
            ) from exc
    return resolved


def _can_stratify(y: np.ndarray, validation_fraction: float) -> bool:
    """Whether a stratified split keeps every class on both sides."""
    counts = np.unique(y, return_counts=True)[1]
    n_val = math.ceil(validation_fraction * len(y))
    n_train = len(y) - n_val
    return counts.min() >= 2 and min(n_train, n_val) >= len(counts)


def _parameter_array(param: torch.Tensor, transpose: bool) -> np.ndarray:
    """A NumPy view of a CPU parameter (writes go to the network), or a read-only
    copy of one on another device."""
    tensor = param.detach()
    if tensor.device.type == "cpu":
        array = tensor.numpy()
    else:
        array = tensor.cpu().numpy()
        array.flags.writeable = False  # editing a copy would change nothing
    return array.T if transpose else array


def _assign(param: torch.Tensor, value, transpose: bool, name: str) -> None:
    value = np.asarray(value)
    expected = tuple(param.shape[::-1]) if transpose else tuple(param.shape)
    if value.shape != expected:
        raise ValueError(f"{name} must have shape {expected}, got {value.shape}.")
    if transpose:
        value = value.T
    with torch.no_grad():
        param.copy_(torch.as_tensor(value, dtype=param.dtype, device=param.device))


def _assign_all(params: list[torch.Tensor], arrays, transpose: bool) -> None:
    name = "coefs_" if transpose else "intercepts_"
    arrays = list(arrays)
    if len(arrays) != len(params):
        raise ValueError(
            f"{name} must hold {len(params)} arrays, one per layer; got {len(arrays)}."
        )
    for i, (param, value) in enumerate(zip(params, arrays)):
        _assign(param, value, transpose, f"{name}[{i}]")


class _LayerArrays(list):
    """``coefs_`` or ``intercepts_``: a list whose item assignment writes to the
    network's parameters, as assigning to scikit-learn's list changes its model."""

    def __init__(self, params: list[torch.Tensor], transpose: bool):
        self._params, self._transpose = params, transpose
        super().__init__(_parameter_array(p, transpose) for p in params)

    def __setitem__(self, index, value):
        name = "coefs_" if self._transpose else "intercepts_"
        if isinstance(index, slice):
            positions = range(*index.indices(len(self)))
            values = list(value)
            if len(values) != len(positions):
                raise ValueError(f"{name} has a fixed number of layers.")
        else:
            positions, values = [range(len(self))[index]], [value]
        for i, item in zip(positions, values):
            _assign(self._params[i], item, self._transpose, f"{name}[{i}]")
            super().__setitem__(i, _parameter_array(self._params[i], self._transpose))

    def __reduce__(self):  # pickles as the plain list of arrays it shows
        return list, (list(self),)


def _promoted(raw: np.ndarray, input_dtype) -> np.ndarray:
    """Outputs in the dtype scikit-learn's MLP returns: that of ``X @ coefs_``
    (float64 from float64 input even for a model fitted on float32)."""
    dtype = np.result_type(raw.dtype, input_dtype)
    return raw if raw.dtype == dtype else raw.astype(dtype)


class FitPlan(NamedTuple):
    """A prepared fit (see ``BaseMLP._prepare_fit``): what training needs besides
    the estimator's net."""

    data: TensorData  # training rows, encoded targets, sample weights
    validation: ValidationSet | None  # the validation set, if any
    incremental: bool  # partial_fit
    epochs: int  # epochs to train (at most; lbfgs counts its own iterations)
    device: torch.device


def _same_loss(a: Loss, b: Loss) -> bool:
    if type(a) is not type(b):
        return False
    params_a, params_b = a.get_params(), b.get_params()
    # np.array_equal: a parameter may be an array (quantile levels)
    return params_a.keys() == params_b.keys() and all(
        np.array_equal(params_a[k], params_b[k])
        if isinstance(params_a[k], np.ndarray) or isinstance(params_b[k], np.ndarray)
        else params_a[k] == params_b[k]
        for k in params_a
    )


class BaseMLP(BaseEstimator):
    """Base class of :class:`MLPRegressor` and :class:`MLPClassifier`.

    Subclasses define how targets are validated and encoded (``_validate_targets``),
    the task, and how raw network outputs become predictions.
    """

    _parameter_constraints: dict = {
        "loss": [str, Loss, callable],
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "module": [None, callable],
        "callbacks": [None, list],
    }

    # -- fitted attributes derived from the network -----------------------------------
    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices of the linear layers, shape ``(n_in, n_out)`` each.

        As in scikit-learn, editing them in place or assigning new arrays (the
        whole list or one item) changes the model: on the CPU they are NumPy views
        of the network's parameters; on other devices read-only copies, so only
        assignment changes the model there.
        """
        check_is_fitted(self, "net_")
        return _LayerArrays([layer.weight for layer in self._linear_layers()], True)

    @coefs_.setter
    def coefs_(self, arrays) -> None:
        check_is_fitted(self, "net_")
        _assign_all([layer.weight for layer in self._linear_layers()], arrays, True)

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors of the linear layers (views of the parameters, as
        :attr:`coefs_`)."""
        check_is_fitted(self, "net_")
        return _LayerArrays([layer.bias for layer in self._linear_layers()], False)

    @intercepts_.setter
    def intercepts_(self, arrays) -> None:
        check_is_fitted(self, "net_")
        _assign_all([layer.bias for layer in self._linear_layers()], arrays, False)

    def _n_weights(self) -> int:
        return sum(p.numel() for p in self.net_.module_.parameters())

    def _linear_layers(self):
        return [
            m for m in self.net_.module_.modules() if isinstance(m, torch.nn.Linear)
        ]

    # -- fitting ----------------------------------------------------------------------
    def _fit(self, X, y, sample_weight=None, incremental=False, validation_data=None):
        plan = self._prepare_fit(X, y, sample_weight, incremental, validation_data)
        self._train_and_finish(plan)
        return self

    def _prepare_fit(
        self, X, y, sample_weight=None, incremental=False, validation_data=None
    ) -> FitPlan:
        """Everything a fit does before training: validate and encode the data,
        resolve the loss, build (or reuse) the net, split off the validation set and
        make the tensors. Training a stack of networks (see ``_stack.py``) prepares
        each estimator here, so its networks start as a plain fit's would."""
        hidden = _hidden_sizes(self.hidden_layer_sizes)
        device = _resolve_device(self.device)
        first_pass = not hasattr(self, "net_") or (
            not self.warm_start and not incremental
        )
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True.")
        if first_pass:
            self._check_callbacks()

        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        if sp.issparse(X):
            X = canonical_csr(X)  # stays sparse: see _sparse.py
        sample_weight = self._check_sample_weight(sample_weight, X)
        sample_weight = self._weight_classes(y, sample_weight, incremental)
        task = self._target_task(y)
        y = self._encode_targets(y)

        loss = clone(get_loss(self.loss))
        loss.validate()
        if not first_pass and not _same_loss(loss, self._loss):
            raise ValueError(
                f"Cannot continue training (warm_start or partial_fit) with loss "
                f"{loss!r}: the model was trained with {self._loss!r}. Set "
                "warm_start=False or fit a new model."
            )
        loss.check_target(y, task)
        n_outputs = loss.n_outputs(
            task, y.shape[1] if y.ndim == 2 else len(self._classes())
        )
        if not first_pass and n_outputs != self.n_outputs_:
            raise ValueError(
                f"The model has {self.n_outputs_} outputs but these targets need "
                f"{n_outputs}; warm_start and partial_fit need the same targets. "
                "Set warm_start=False or fit a new model."
            )

        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        dtype = torch.float32 if X.dtype == np.float32 else torch.float64
        if first_pass:
            self._loss = loss
            self._task = task
            self.n_outputs_ = n_outputs
            self.out_activation_ = loss.activation(task)
            self.n_layers_ = len(hidden) + 2
            self.t_ = 0
            self.net_ = self._build_net(
                X.shape[1], hidden, n_outputs, dtype, device, seed
            )
        net = self.net_
        generator = net.get_params_for("iterator_train")["generator"]
        if not first_pass:
            generator.manual_seed(seed)

        if validation_data is not None:
            validation = self._validation_from_data(
                validation_data, task, loss, dtype, device
            )
            X_train, y_train, w_train = X, y, sample_weight
        else:
            X_train, y_train, w_train, validation = self._split_validation(
                X, y, sample_weight, task, loss, seed, dtype, device
            )
        target = loss.encode_target(y_train, task)
        data = TensorData(
            self._input_tensor(X_train, dtype, device),
            self._to_tensor(target, dtype, device),
            self._to_tensor(w_train, dtype, device),
        )
        if first_pass and self.module is None:
            with _cpu_threads(device, target.size):
                self._start_output_bias(data.X, target, w_train, task)
        elif first_pass:
            first_rows = (
                data.X.rows(slice(0, 2))
                if isinstance(data.X, SparseRows)
                else data.X[:2]
            )
            self._check_module_outputs(first_rows, loss, task)
        if self.solver == "lbfgs":
            net.batch_size = len(data)
        else:
            net.batch_size = self._batch_size(len(data))

        if not first_pass:
            self._update_rules()  # the rules follow the current parameters
            if not incremental:
                net.initialize_optimizer()  # warm_start keeps weights, not the optimizer
                for group in net.optimizer_.param_groups:
                    # where torch's schedulers (skorch's LRScheduler) resume from
                    group.setdefault("initial_lr", group["lr"])
        epochs = 1 if incremental else self.max_iter
        return FitPlan(data, validation, incremental, epochs, device)

    def _train_and_finish(self, plan: FitPlan) -> None:
        """Train the prepared net (skorch's loop, or SciPy's L-BFGS) and set the
        fitted attributes."""
        net = self.net_
        lbfgs_result = None
        net.validation_set_ = plan.validation
        try:
            with _cpu_threads(plan.device, net.batch_size * self._n_weights()):
                if self.solver == "lbfgs":
                    lbfgs_result = self._fit_lbfgs(plan.data)
                else:
                    net.partial_fit(plan.data, None, epochs=plan.epochs)
        finally:
            net.validation_set_ = None  # do not keep the validation data in the model
        self._finish_fit(plan.incremental, lbfgs_result)

    def _fit_lbfgs(self, data: TensorData):
        """SciPy's L-BFGS-B on the full batch (see ``_lbfgs.py``), recorded in the
        net's history as one epoch."""
        net = self.net_
        X = data.X.rows(slice(None)) if isinstance(data.X, SparseRows) else data.X
        result = fit_lbfgs(
            net,
            (X, (data.target, data.weight)),
            max_iter=self.max_iter,
            max_fun=self.max_fun,
            tol=self.tol,
            verbose=bool(self.verbose),
        )
        net.history.new_epoch()
        net.history.record("epoch", len(net.history))
        net.history.record("train_loss", float(result.fun))
        net.history.record("train_batch_count", int(result.nfev))
        return result

    def _build_net(self, n_features, hidden, n_outputs, dtype, device, seed) -> Net:
        generator = torch.Generator().manual_seed(seed)
        if self.module is None:
            module = MLPModule(
                n_features, n_outputs, hidden, self.activation, generator=generator
            )
        else:
            with torch.random.fork_rng(devices=[]):
                if device.type == "cuda":
                    torch.manual_seed(seed)
                else:  # torch.manual_seed would queue a CUDA seed too (~1 ms)
                    torch.default_generator.manual_seed(seed)
                module = self.module(n_features, n_outputs)
            if not isinstance(module, torch.nn.Module):
                raise TypeError(
                    f"module must build a torch.nn.Module from (n_features, n_outputs); "
                    f"it returned {type(module).__name__}."
                )
        module = module.to(device=device, dtype=dtype)
        optimizer, optimizer_params = self._optimizer()
        net = Net(
            module=module,
            criterion=Criterion(self._loss, self._loss.output_activation(self._task)),
            optimizer=optimizer,
            lr=self.learning_rate_init if self.solver != "lbfgs" else 1.0,
            max_epochs=self.max_iter,
            batch_size=32,
            iterator_train=TensorBatches,
            iterator_train__shuffle=self.shuffle,
            iterator_train__generator=generator,
            train_split=None,
            callbacks=self._net_callbacks(),
            verbose=0,
            device=device,
            alpha=self.alpha,
            n_labels=n_outputs if self._task == "multilabel" else 1,
            **{f"optimizer__{k}": v for k, v in optimizer_params.items()},
        )
        return net.initialize()

    def _start_output_bias(self, X, target, sample_weight, task) -> None:
        """Start the built-in network at the loss's best constant prediction.

        The output bias is set so that the mean raw output over the training data
        is ``loss.fit_intercept_only(...)``: training starts from the baseline
        (the mean for squared error, log-odds or class priors for cross-entropy...)
        instead of from zero. A user's ``module=`` is left as built.
        """
        weight = None if sample_weight is None else np.asarray(sample_weight)
        if weight is not None and np.all(weight == 1):
            weight = None
        start = np.asarray(
            self._loss.fit_intercept_only(target, weight, task), dtype=np.float64
        )
        n_outputs = self.n_outputs_
        if start.shape[0] < n_outputs:  # classes above the largest index seen
            fill = start.min() if start.size else 0.0
            start = np.concatenate([start, np.full(n_outputs - start.shape[0], fill)])
        if start.shape != (n_outputs,) or not np.isfinite(start).all():
            return
        output = self.net_.module_.layers[-1]
        # The hidden layers' mean contribution, estimated on evenly spaced rows: a
        # full forward pass over large data would cost a good part of an epoch.
        step = -(-len(X) // _BIAS_START_ROWS)
        with torch.no_grad():
            if isinstance(X, SparseRows):
                rows = X.rows(np.arange(0, len(X), step))
                mean_raw = SparseMLPPass(self.net_.module_).forward(rows)[0]
            else:
                mean_raw = self.net_.module_(X[::step])
            if weight is None:
                mean_raw = mean_raw.mean(dim=0)
            else:
                w = torch.as_tensor(weight[::step], dtype=mean_raw.dtype)
                w = w.to(mean_raw.device)
                total = w.sum()
                mean_raw = (w @ mean_raw) / total if total > 0 else mean_raw.mean(0)
            hidden_part = mean_raw - output.bias
            bias = torch.as_tensor(start, dtype=output.bias.dtype)
            output.bias.copy_(bias.to(output.bias.device) - hidden_part)

    def _check_module_outputs(self, X, loss: Loss, task: str) -> None:
        """Refuse a user's module whose outputs do not fit the loss."""
        module = self.net_.module_
        training = module.training
        module.eval()  # no dropout draw, no batch-norm statistics: no side effect
        try:
            with torch.no_grad():
                raw = module(X)
        finally:
            module.train(training)
        shape = tuple(getattr(raw, "shape", ()))
        if len(shape) == 2 and shape[1] == self.n_outputs_:
            return
        what = (
            f"{len(self._classes())} classes"
            if task in ("binary", "multiclass")
            else f"{self.n_outputs_} {'labels' if task == 'multilabel' else 'targets'}"
        )
        raise ValueError(
            f"The module's output has shape {shape} for {shape[0] if shape else '?'} "
            f"samples, but the {loss.name!r} loss needs {self.n_outputs_} output "
            f"unit(s) per sample for {what} ({task}): shape (n_samples, "
            f"{self.n_outputs_}). module is called as module(n_features, n_outputs); "
            "give its last layer n_outputs units."
        )

    def set_params(self, **params):
        """Set parameters; ``loss__<name>`` needs ``loss`` to be a loss object.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator
            The estimator.
        """
        nested = sorted(key for key in params if key.startswith("loss__"))
        loss = params.get("loss", getattr(self, "loss", None))
        if nested and not isinstance(loss, Loss):
            try:
                cls_name = type(get_loss(loss)).__name__
            except (TypeError, ValueError):
                cls_name = "LossClass"
            arguments = ", ".join(f"{k[len('loss__') :]}={params[k]!r}" for k in nested)
            raise ValueError(
                f"Cannot set {', '.join(nested)}: loss={loss!r} is not a loss object, "
                f"so it has no parameters to set. Pass the loss object instead: "
                f"loss={cls_name}({arguments}) (from sklearn_losses.losses), or search "
                f"over loss=[{cls_name}(...), ...]."
            )
        return super().set_params(**params)

    def _optimizer(self):
        if self.solver == "adam":
            return Adam, {
                "betas": (self.beta_1, self.beta_2),
                "eps": self.epsilon,
            }
        if self.solver == "sgd":
            return SGD, {
                "momentum": self.momentum,
                "nesterov": bool(self.nesterovs_momentum and self.momentum > 0),
            }
        return torch.optim.LBFGS, {
            "max_iter": self.max_iter,
            "max_eval": self.max_fun,
            "tolerance_grad": self.tol,
            "tolerance_change": 1e-9,
            "history_size": 10,
            "line_search_fn": "strong_wolfe",
        }

    # -- callbacks: scikit-learn's rules and the user's ----------------------------------
    def _rules(self) -> list[tuple[str, Callback]]:
        """scikit-learn's training rules as callbacks (see ``_rules.py``), with the
        current parameters (sgd and adam; lbfgs trains outside skorch's loop); the
        stopping rule decides last."""
        early_stopping = bool(self.early_stopping)
        return [
            ("sklearn_loss_curve", LossCurve(early_stopping)),
            ("sklearn_validation", ValidationScores()),
            ("sklearn_best_weights", BestWeights(early_stopping)),
            ("sklearn_printer", EpochPrinter(bool(self.verbose))),
            (
                "sklearn_learning_rate",
                LearningRateRule(
                    self.solver,
                    self.learning_rate,
                    self.learning_rate_init,
                    self.power_t,
                ),
            ),
            (
                "sklearn_no_improvement",
                NoImprovementStopping(
                    self.tol, self.n_iter_no_change, early_stopping, bool(self.verbose)
                ),
            ),
        ]

    def _net_callbacks(self) -> list:
        """The net's callbacks: the rules, with fresh copies of the user's
        ``callbacks`` before the stopping rule, so that they see every epoch."""
        *rules, stopping = self._rules()
        return [*rules, *copy.deepcopy(list(self.callbacks or ())), stopping]

    def _check_callbacks(self) -> None:
        for item in self.callbacks or ():
            cb = item[1] if isinstance(item, tuple) and len(item) == 2 else item
            named = not isinstance(item, tuple) or isinstance(item[0], str)
            if not named or not (
                isinstance(cb, Callback)
                or (isinstance(cb, type) and issubclass(cb, Callback))
            ):
                raise ValueError(
                    "callbacks must be a list of skorch callbacks "
                    "(skorch.callbacks.Callback instances) or (name, callback) "
                    f"tuples; got {item!r}."
                )
            name = item[0] if isinstance(item, tuple) else None
            if name is not None and name.startswith("sklearn_"):
                raise ValueError(
                    f"The callback name {name!r} is reserved: names starting with "
                    "'sklearn_' belong to the estimator's own training rules. "
                    "Choose another name."
                )

    def _update_rules(self) -> None:
        """Give the net's rule callbacks the current parameters (warm start)."""
        current = dict(self._rules())
        for name, cb in self.net_.callbacks_:
            if name in current:
                cb.set_params(**current[name].get_params())

    def _rule(self, cls):
        return next(cb for _, cb in self.net_.callbacks_ if type(cb) is cls)

    def _batch_size(self, n_samples: int) -> int:
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is going "
                "to be clipped",
                UserWarning,
                stacklevel=4,
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _split_validation(self, X, y, sample_weight, task, loss, seed, dtype, device):
        if not self.early_stopping or self.solver == "lbfgs":
            # scikit-learn's lbfgs ignores early_stopping and trains on all the data
            return X, y, sample_weight, None
        if math.ceil(self.validation_fraction * X.shape[0]) < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or "
                "the size of your dataset."
            )
        stratify = y if self._stratify_validation(y) else None
        if stratify is not None and not _can_stratify(y, self.validation_fraction):
            stratify = None  # as scikit-learn's MLP splits multi-class targets
        X, X_val, y, y_val, sample_weight, w_val = train_test_split(
            X,
            y,
            sample_weight,
            random_state=seed,
            test_size=self.validation_fraction,
            stratify=stratify,
        )
        validation = self._validation_set(
            X_val, y_val, w_val, task, loss, dtype, device
        )
        return X, y, sample_weight, validation

    def _validation_from_data(self, validation_data, task, loss, dtype, device):
        if not isinstance(validation_data, (tuple, list)) or len(
            validation_data
        ) not in (2, 3):
            raise ValueError(
                "validation_data must be a tuple (X_val, y_val) or "
                "(X_val, y_val, sample_weight_val)."
            )
        X_val, y_val, *w_val = validation_data
        X_val = validate_data(
            self,
            X_val,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            reset=False,
        )
        if sp.issparse(X_val):
            X_val = canonical_csr(X_val)
        y_val = self._check_validation_targets(y_val, X_val)
        w_val = self._check_sample_weight(w_val[0] if w_val else None, X_val)
        w_val = self._weight_validation_classes(y_val, w_val)
        y_val = self._encode_targets(y_val)
        return self._validation_set(X_val, y_val, w_val, task, loss, dtype, device)

    def _validation_set(self, X_val, y_val, w_val, task, loss, dtype, device):
        criterion = self.net_.criterion_
        target = self._to_tensor(loss.encode_target(y_val, task), dtype, device)
        weight = self._to_tensor(w_val, dtype, device)

        n_labels = self.net_.n_labels  # summed over labels, as the training loss

        def evaluate(raw):
            per_sample = criterion(raw, target)
            if per_sample.ndim == 0:
                return float(per_sample) * n_labels
            return float((per_sample * weight).sum() / weight.sum()) * n_labels

        def score(raw):
            return self._score_raw(raw.cpu().numpy(), y_val, w_val)

        if sp.issparse(X_val):
            return ValidationSet(
                X_val,
                target,
                evaluate,
                score,
                forward=lambda module: sparse_forward(module, X_val, dtype, device),
            )
        return ValidationSet(
            self._to_tensor(X_val, dtype, device), target, evaluate, score
        )

    def _finish_fit(self, incremental: bool, lbfgs_result=None) -> None:
        net = self.net_
        restored = False
        if self.solver == "lbfgs":
            # scikit-learn's attributes after lbfgs: n_iter_ and loss_, no curves.
            self.n_iter_ = check_lbfgs_result(lbfgs_result, self.max_iter, 4)
            self.loss_ = float(lbfgs_result.fun)
        else:
            curve = self._rule(LossCurve)
            validation = self._rule(ValidationScores)
            stopping = self._rule(NoImprovementStopping)
            best_state = self._rule(BestWeights).best_state_
            self.n_iter_ = curve.n_iter_
            self.t_ = curve.t_
            self.loss_ = float(curve.loss_curve_[-1])
            self.loss_curve_ = list(curve.loss_curve_)
            self.best_loss_ = stopping.best_loss_
            self.validation_scores_ = validation.validation_scores_
            self.best_validation_score_ = validation.best_validation_score_
            self.validation_loss_curve_ = validation.validation_losses_
            restored = self.early_stopping and best_state is not None
            if restored:  # the best weights seen (scikit-learn does the same)
                net.module_.load_state_dict(best_state)
            converged = curve.diverged_ or stopping.stopped_
            if not incremental and not converged and self.n_iter_ == self.max_iter:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached "
                    "and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                    stacklevel=4,
                )
        if not all(torch.isfinite(p).all() for p in net.module_.parameters()):
            raise ValueError(
                f"{NON_FINITE_WEIGHTS} Training diverged: lower learning_rate_init "
                "or scale the inputs and targets (e.g. StandardScaler)."
            )
        curve = getattr(self, "loss_curve_", None)
        if (
            curve
            and not (self.solver != "lbfgs" and restored)
            # growth measured from the first epoch's magnitude: a log-likelihood
            # (gaussian_nll) may be negative
            and curve[-1] - curve[0] > (_DIVERGENCE_GROWTH - 1) * abs(curve[0])
        ):
            raise ValueError(
                f"Training diverged: the loss grew from {curve[0]:.4g} in the first "
                f"epoch to {curve[-1]:.4g}. Lower learning_rate_init or scale the "
                "inputs and targets."
            )

    # -- input handling ---------------------------------------------------------------
    def _check_sample_weight(self, sample_weight, X):
        if sample_weight is None:
            return np.ones(X.shape[0], dtype=X.dtype)
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        if not sample_weight.any():  # scikit-learn >= 1.8 refuses these itself
            raise ValueError(
                "Sample weights must contain at least one non-zero number."
            )
        return sample_weight

    def _weight_classes(self, y, sample_weight, incremental):
        """``sample_weight`` times the class weights of ``y`` (the classifier's)."""
        return sample_weight

    def _weight_validation_classes(self, y, sample_weight):
        """The same for ``validation_data``, with the training set's class weights."""
        return sample_weight

    @staticmethod
    def _to_tensor(array: np.ndarray, dtype, device) -> torch.Tensor:
        if array.dtype.kind in "iu":  # np.issubdtype(..., np.integer), faster
            dtype = torch.int64
        array = np.ascontiguousarray(array)
        tensor = (
            torch.from_numpy(array) if array.flags.writeable else torch.tensor(array)
        )
        return tensor.to(device=device, dtype=dtype)

    def _input_tensor(self, X, dtype, device):
        """Training inputs: a tensor, or a CSR matrix batched by ``SparseRows``."""
        if not sp.issparse(X):
            return self._to_tensor(X, dtype, device)
        # A user's module gets dense batches; the built-in MLP sparse ones.
        dense = type(self.net_.module_) is not MLPModule
        return SparseRows(X, dtype, device, dense=dense)

    def _raw_output(self, X) -> np.ndarray:
        """Validated input through the network, in chunks, without autograd."""
        if not hasattr(self, "net_"):  # check_is_fitted's test, without its overhead
            check_is_fitted(self, "net_")
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            reset=False,
        )
        # The built-in MLP predicts a few rows in NumPy: on one row, torch's
        # per-operation overhead would be most of the cost (see Net.numpy_forward).
        forward = self.net_.numpy_forward(X.shape[0])
        if forward is not None:  # scipy multiplies a sparse X (see NumpyMLP)
            return _promoted(forward(X), X.dtype)
        module = self.net_.module_
        param = next(module.parameters())
        module.eval()
        work = min(X.shape[0], _PREDICT_CHUNK) * self._n_weights()
        if sp.issparse(X):
            with _cpu_threads(param.device, work):
                raw = sparse_forward(
                    module, canonical_csr(X), param.dtype, param.device
                )
            return raw.cpu().numpy()
        outputs = []
        with torch.inference_mode(), _cpu_threads(param.device, work):
            for start in range(0, X.shape[0], _PREDICT_CHUNK):
                chunk = X[start : start + _PREDICT_CHUNK]
                chunk = self._to_tensor(chunk, param.dtype, param.device)
                outputs.append(module(chunk).cpu().numpy())
        raw = outputs[0] if len(outputs) == 1 else np.concatenate(outputs)
        return _promoted(raw, X.dtype)

    def _activated(self, raw: np.ndarray) -> np.ndarray:
        return self._loss.output_activation(self._task).numpy_fn(raw)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -- persistence: the net as plain data (see _persistence.py) ---------------------
    def __getstate__(self):
        state = super().__getstate__()
        if "net_" in state:
            state = dict(state)
            state["_network"] = export_net(state.pop("net_"))
        return state

    def __setstate__(self, state):
        network = state.pop("_network", None)
        super().__setstate__(state)
        if network is not None:
            self.net_ = self._rebuild_net(network)

    def _rebuild_net(self, network: dict) -> Net:
        device = torch.device(self.device)
        if device.type == "cuda" and not torch.cuda.is_available():
            warnings.warn(
                f"The model was trained on {self.device!r}, which is not available "
                "here; it is loaded on the CPU.",
                UserWarning,
                stacklevel=3,
            )
            device = torch.device("cpu")
        with deferred_optimizers() if builds_deferred(network) else nullcontext():
            net = self._build_net(
                self.n_features_in_,
                _hidden_sizes(self.hidden_layer_sizes),
                self.n_outputs_,
                getattr(torch, network["dtype"]),
                device,
                seed=0,
            )
        return restore_net(net, network, device)

    def _loss_or_none(self) -> Loss | None:
        try:
            return get_loss(self.loss)
        except (TypeError, ValueError):
            return None
