"""The fast paths compute what the plain ones compute.

* ``MLPPass`` (hand-written backward of the built-in MLP) against autograd through
  ``MLPModule.forward``, for every hidden activation and every registered loss;
* ``OptimizerStep`` against torch's own SGD and Adam steps (single-tensor);
* a whole fit through the fast paths against the same fit through plain autograd;
* the NumPy and torch prediction paths against ``MLPModule.forward``;
* skorch's per-batch hooks still run when a callback implements them.
"""

from functools import partial

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from skorch.callbacks import Callback

from sklearn_losses import MLPClassifier, MLPRegressor
from sklearn_losses.losses import get_loss, loss_names
from sklearn_losses.neural_network import MLPModule, _net
from sklearn_losses.neural_network._fused import (
    SGD,
    Adam,
    NumpyMLP,
    OptimizerStep,
    flat_view,
)
from sklearn_losses.neural_network._net import TensorBatches, TensorData

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning",
    "ignore:The squared_log_error loss clips",
)
ACTIVATIONS = ("identity", "logistic", "tanh", "relu")
TOLERANCE = {torch.float64: 1e-12, torch.float32: 2e-5}
NUMPY_DTYPE = {torch.float64: np.float64, torch.float32: np.float32}


class AutogradMLP(MLPModule):
    """``MLPModule`` under another type: ``Net`` trains it with plain autograd."""


def _task_data(loss_name: str, task: str, dtype, n: int = 40, seed: int = 0):
    """Inputs and targets of ``task`` suited to the loss."""
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n, 5)).astype(dtype)
    if task == "regression":
        y = X[:, 0] - 0.5 * X[:, 1] + 0.1 * rng.standard_normal(n)
        if get_loss(loss_name).positive_target:
            y = np.abs(y)
        return MLPRegressor, X, y.astype(dtype)
    if task == "multiclass":
        return MLPClassifier, X, rng.randint(3, size=n)
    if task == "multilabel":
        return MLPClassifier, X, (X[:, :2] > 0).astype(int)
    return MLPClassifier, X, (X[:, 0] > 0).astype(int)


LOSS_TASKS = [
    (name, task)
    for name in loss_names()
    for task in ("regression", "binary", "multiclass", "multilabel")
    if task in get_loss(name).tasks
]


def _fitted_net(loss_name, task, activation, dtype, alpha=0.0):
    estimator, X, y = _task_data(loss_name, task, dtype)
    model = estimator(
        loss=loss_name,
        hidden_layer_sizes=(7, 6),
        activation=activation,
        alpha=alpha,
        max_iter=2,
        batch_size=16,
        random_state=0,
    )
    return model.fit(X, y), X, y


def _batch(model, X, y, weighted: bool):
    """One training batch as the net sees it: ``(X, (target, weight))``."""
    net = model.net_
    dtype = next(net.module_.parameters()).dtype
    loss, task = model._loss, model._task
    target = loss.encode_target(model._encode_targets(y), task)
    weight = np.linspace(0.0, 2.0, len(X)) if weighted else np.ones(len(X))
    data = TensorData(
        torch.as_tensor(X, dtype=dtype),
        torch.as_tensor(
            target, dtype=torch.int64 if target.dtype.kind == "i" else dtype
        ),
        torch.as_tensor(weight, dtype=dtype),
    )
    return next(iter(TensorBatches(data, batch_size=len(X))))


def _gradients(net, batch, fast: bool):
    params = list(net.module_.parameters())
    for p in params:
        p.grad = None
    net._prepare_epoch(per_batch=False)
    try:
        if fast:
            step = net.train_step_single(batch)
        else:  # plain autograd through MLPModule.forward
            Xi, yi = batch
            loss = net.get_loss(net.module_(Xi), yi, X=Xi, training=True)
            loss.backward()
            step = {"loss": loss}
    finally:
        net._epoch = None
    return step["loss"].detach(), [p.grad.clone() for p in params]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("loss_name, task", LOSS_TASKS)
def test_mlp_pass_gradients_equal_autograd(loss_name, task, activation, dtype):
    model, X, y = _fitted_net(loss_name, task, activation, NUMPY_DTYPE[dtype])
    net = model.net_
    batch = _batch(model, X, y, weighted=False)
    assert net._epoch is None and type(net.module_) is MLPModule
    loss_fast, fast = _gradients(net, batch, fast=True)
    loss_plain, plain = _gradients(net, batch, fast=False)
    tol = TOLERANCE[dtype]
    assert_allclose(loss_fast.numpy(), loss_plain.numpy(), rtol=tol, atol=tol)
    for g_fast, g_plain in zip(fast, plain):
        assert torch.isfinite(g_fast).all()
        assert_allclose(g_fast.numpy(), g_plain.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(
    "loss_name, task",
    [("squared_error", "regression"), ("log_loss", "binary"), ("hinge", "multiclass")],
)
def test_mlp_pass_gradients_with_weights_and_l2(loss_name, task, weighted):
    model, X, y = _fitted_net(loss_name, task, "tanh", np.float64, alpha=0.3)
    batch = _batch(model, X, y, weighted=weighted)
    assert (batch[1][1] is None) is not weighted
    loss_fast, fast = _gradients(model.net_, batch, fast=True)
    loss_plain, plain = _gradients(model.net_, batch, fast=False)
    assert_allclose(loss_fast.numpy(), loss_plain.numpy(), rtol=1e-12)
    for g_fast, g_plain in zip(fast, plain):
        assert_allclose(g_fast.numpy(), g_plain.numpy(), rtol=1e-12, atol=1e-14)


def test_zero_weight_batch_gives_zero_gradients_not_nan():
    model, X, y = _fitted_net("squared_error", "regression", "relu", np.float64, 0.1)
    batch = _batch(model, X, y, weighted=True)
    Xi, (target, weight) = batch
    loss, grads = _gradients(model.net_, (Xi, (target, torch.zeros_like(weight))), True)
    assert float(loss) == 0.0
    assert all(float(g.abs().max()) == 0.0 for g in grads)


@pytest.mark.parametrize(
    "optimizer, params",
    [
        (SGD, {"lr": 0.1}),
        (SGD, {"lr": 0.1, "momentum": 0.9}),
        (SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
        (Adam, {"lr": 0.01}),
        (Adam, {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}),
    ],
)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_optimizer_step_equals_torch(optimizer, params, dtype):
    torch.manual_seed(0)
    shapes = [(4, 3), (4,), (2, 4), (2,)]
    ours = [torch.randn(*shape, dtype=dtype, requires_grad=True) for shape in shapes]
    theirs = [p.detach().clone().requires_grad_() for p in ours]
    # The flat update runs torch's single-tensor arithmetic, operation for operation.
    torch_class = torch.optim.SGD if optimizer is SGD else torch.optim.Adam
    ours_opt = optimizer(ours, **params)
    theirs_opt = torch_class(theirs, foreach=False, **params)
    fast_steps = []
    for _ in range(5):
        step = OptimizerStep(ours_opt)  # built per epoch by Net; here per step
        for a, b in zip(ours, theirs):
            a.grad = torch.randn_like(a)
            b.grad = a.grad.clone()
        theirs_opt.step()
        fast_steps.append(step())
        if not fast_steps[-1]:
            ours_opt.step()
        for a, b in zip(ours, theirs):
            assert torch.equal(a, b)
    # torch's own step creates the state (momentum buffers, Adam moments) first
    needs_state = optimizer is Adam or params.get("momentum")
    assert fast_steps == [not needs_state] + [True] * 4
    ours_state, theirs_state = ours_opt.state_dict(), theirs_opt.state_dict()
    assert str(ours_state["state"]) == str(theirs_state["state"])
    for group in theirs_state["param_groups"]:
        group["foreach"] = None
    assert ours_state["param_groups"] == theirs_state["param_groups"]
    # parameters and state now live in one buffer each
    assert flat_view(ours) is not None


def test_optimizer_step_declines_what_it_does_not_implement():
    p = torch.zeros(3, requires_grad=True)
    assert not OptimizerStep(SGD([p], lr=0.1, differentiable=True)).enabled
    assert not OptimizerStep(SGD([p], lr=0.1, weight_decay=0.1)).enabled
    assert not OptimizerStep(Adam([p], amsgrad=True)).enabled
    assert not OptimizerStep(Adam([p], maximize=True)).enabled
    assert not OptimizerStep(torch.optim.Adam([p])).enabled  # hooks not tracked
    assert not OptimizerStep(torch.optim.RMSprop([p])).enabled
    hooked = SGD([p], lr=0.1)
    hooked.register_step_post_hook(lambda *args: None)
    assert not OptimizerStep(hooked).enabled


@pytest.mark.parametrize(
    "estimator, loss_name, solver",
    [
        (MLPRegressor, "squared_error", "sgd"),
        (MLPRegressor, "huber", "adam"),
        (MLPClassifier, "log_loss", "sgd"),
        (MLPClassifier, "categorical_hinge", "adam"),
    ],
)
def test_fit_through_fast_paths_equals_plain_autograd(estimator, loss_name, solver):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((90, 4))
    y = X[:, 0] + X[:, 1] ** 2 if estimator is MLPRegressor else (X[:, 0] > 0) * 1
    sample_weight = rng.uniform(0.5, 2.0, len(X))
    fits = []
    for module in (MLPModule, AutogradMLP):
        model = estimator(
            loss=loss_name,
            solver=solver,
            module=partial(module, hidden_layer_sizes=(8, 5), activation="tanh"),
            batch_size=20,
            max_iter=15,
            alpha=1e-3,
            random_state=0,
        )
        fits.append(model.fit(X, y, sample_weight=sample_weight))
    fast, plain = fits
    assert_allclose(fast.loss_curve_, plain.loss_curve_, rtol=1e-10)
    for a, b in zip(fast.coefs_ + fast.intercepts_, plain.coefs_ + plain.intercepts_):
        assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    history = fast.net_.history
    assert len(history) == 15
    assert_allclose(history[:, "train_loss"], fast.loss_curve_)
    assert all(d >= 0 for d in history[:, "dur"])


@pytest.mark.parametrize("n_rows", [1, 7, 3000])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_fast_prediction_equals_module_forward(activation, dtype, n_rows):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((200, 6)).astype(dtype)
    y = rng.randint(3, size=200)
    model = MLPClassifier(
        hidden_layer_sizes=(10, 4), activation=activation, max_iter=3, random_state=0
    )
    model.fit(X, y)
    X_new = rng.standard_normal((n_rows, 6)).astype(dtype)
    module = model.net_.module_
    uses_numpy = model.net_.numpy_forward(n_rows) is not None
    assert uses_numpy == (n_rows < 100)
    with torch.no_grad():
        expected = module(torch.from_numpy(X_new)).numpy()
    raw = model._raw_output(X_new)
    assert raw.dtype == dtype
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert_allclose(raw, expected, rtol=tol, atol=tol)
    proba = model.predict_proba(X_new)
    assert_allclose(proba, torch.softmax(torch.from_numpy(expected), 1), atol=tol)
    assert_array_equal(model.predict(X_new), model.classes_[expected.argmax(1)])


def test_numpy_forward_only_for_the_builtin_module_on_cpu():
    assert NumpyMLP.of(MLPModule(3, 2, (4,))) is not None
    assert NumpyMLP.of(AutogradMLP(3, 2, (4,))) is None
    assert NumpyMLP.of(torch.nn.Linear(3, 2)) is None


def test_numpy_forward_follows_the_weights():
    rng = np.random.RandomState(0)
    X, y = rng.standard_normal((60, 4)), rng.randint(3, size=60)
    model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0)
    model.fit(X, y)
    row = X[:1]
    before = model.predict_proba(row)
    forward = model.net_.numpy_forward(1)
    assert model.net_.numpy_forward(1) is forward  # reused between calls
    model.partial_fit(X, y)  # in-place updates show through the views
    after = model.predict_proba(row)
    assert not np.allclose(before, after)
    with torch.no_grad():
        expected = torch.softmax(model.net_.module_(torch.from_numpy(row)), 1)
    assert_allclose(after, expected.numpy(), rtol=1e-12)
    model.net_.module_.float()  # new storage: the NumPy views are rebuilt
    assert model.net_.numpy_forward(1) is not forward
    assert model.predict_proba(row.astype(np.float32)).dtype == np.float32


def test_per_batch_callbacks_still_see_every_batch():
    class CountBatches(Callback):
        def initialize(self):
            self.batches, self.grads = 0, 0
            return self

        def on_batch_end(self, net, batch=None, training=None, **kwargs):
            self.batches += 1

        def on_grad_computed(self, net, named_parameters, **kwargs):
            self.grads += 1

    X = np.random.RandomState(0).standard_normal((50, 3))
    model = MLPRegressor(hidden_layer_sizes=(4,), batch_size=10, max_iter=3)
    model.fit(X, X[:, 0])
    net = model.net_
    counter = CountBatches().initialize()
    net.callbacks_.append(("count", counter))
    before = len(net.history)
    data = torch.from_numpy(X)
    net.partial_fit(TensorData(data, data[:, :1], None), None, epochs=2)
    assert counter.batches == 10 and counter.grads == 10
    assert len(net.history) == before + 2
    assert len(net.history[-1, "batches"]) == 5
    assert net.history[-1, "train_loss"] == pytest.approx(
        np.average(
            net.history[-1, "batches", :, "train_loss"],
            weights=net.history[-1, "batches", :, "train_batch_size"],
        )
    )


@pytest.mark.parametrize("weighted", [False, True])
def test_small_and_large_data_are_batched_alike(monkeypatch, weighted):
    # Small data is gathered once per epoch and sliced, large data gathered per
    # batch; both give the same batches in the same order.
    X = torch.arange(46.0, dtype=torch.float64).reshape(23, 2)
    weight = torch.linspace(0.5, 1.5, 23, dtype=torch.float64) if weighted else None
    data = TensorData(X, X[:, 0].long(), weight)

    def epochs(copy_bytes):
        monkeypatch.setattr(_net, "_EPOCH_COPY_BYTES", copy_bytes)
        batches = TensorBatches(data, 5, shuffle=True, generator=torch.Generator())
        batches.generator.manual_seed(3)
        return [list(batches) for _ in range(2)]

    sliced, gathered = epochs(2**30), epochs(0)
    for a, b in zip(sum(sliced, []), sum(gathered, [])):
        assert torch.equal(a[0], b[0]) and torch.equal(a[1][0], b[1][0])
        assert (a[1][1] is None) is (b[1][1] is None) is (not weighted)
        if weighted:
            assert torch.equal(a[1][1], b[1][1])
    first_epoch = torch.cat([batch[0] for batch in sliced[0]])
    assert sorted(first_epoch[:, 0].tolist()) == X[:, 0].tolist()  # a permutation
    assert [len(batch[0]) for batch in sliced[0]] == [5, 5, 5, 5, 3]
    assert not torch.equal(first_epoch, torch.cat([b[0] for b in sliced[1]]))
