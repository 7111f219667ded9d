"""skorch callbacks through ``callbacks=``, and scikit-learn's rules as callbacks.

skorch's ``ProgressBar``, ``LRScheduler``, ``Checkpoint`` and ``EpochScoring`` run on
both estimators, with the built-in network and with a user's ``module=``; each test
checks what the callback did against an independent reference (scikit-learn's
metrics, running minima, the schedule's formula).
"""

from __future__ import annotations

import inspect
import json
import math
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, r2_score
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import (
    Callback,
    Checkpoint,
    EarlyStopping,
    EpochScoring,
    LRScheduler,
    ProgressBar,
)
from skorch.exceptions import SkorchException
from torch.optim.lr_scheduler import StepLR

from sklearn_losses import MLPClassifier, MLPRegressor

N_TRAIN, N_VAL = 150, 30


class SmallModule(torch.nn.Module):
    """A user's module: one tanh hidden layer."""

    def __init__(self, n_features: int, n_outputs: int):
        super().__init__()
        self.hidden = torch.nn.Linear(n_features, 8)
        self.out = torch.nn.Linear(8, n_outputs)

    def forward(self, X):
        return self.out(torch.tanh(self.hidden(X)))


def _regression():
    X, y = make_regression(n_samples=N_TRAIN + N_VAL, n_features=5, noise=5.0,
                           random_state=0)  # fmt: skip
    X = StandardScaler().fit_transform(X)
    return X, y / y.std()


def _classification():
    X, y = make_classification(
        n_samples=N_TRAIN + N_VAL,
        n_features=5,
        n_informative=3,
        n_classes=3,
        random_state=0,
    )
    return StandardScaler().fit_transform(X), y


CASES = [
    pytest.param(MLPRegressor, _regression, None, id="regressor"),
    pytest.param(MLPRegressor, _regression, SmallModule, id="regressor-module"),
    pytest.param(MLPClassifier, _classification, None, id="classifier"),
    pytest.param(MLPClassifier, _classification, SmallModule, id="classifier-module"),
]


def _split(make):
    X, y = make()
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]


def _estimator(Est, module, **params):
    params = {
        "hidden_layer_sizes": (8,),
        "random_state": 0,
        "max_iter": 6,
        "batch_size": 32,
        "learning_rate_init": 0.01,
        "module": module,
        **params,
    }
    return Est(**params)


def _validation_loss(est, X, y):
    """The estimator's loss on (X, y), from scikit-learn's metrics."""
    if isinstance(est, MLPClassifier):
        return log_loss(y, est.predict_proba(X), labels=est.classes_)
    return mean_squared_error(y, est.predict(X))


def _running_best(values, better):
    best, flags = None, []
    for v in values:
        flags.append(best is None or better(v, best))
        best = v if flags[-1] else best
    return flags


# -- ProgressBar -----------------------------------------------------------------------
class _FinishedBars(ProgressBar):
    """skorch's ProgressBar, noting how far each epoch's bar got."""

    def on_epoch_end(self, net, **kwargs):
        self.finished = [
            *getattr(self, "finished", []),
            (self.pbar_.n, self.pbar_.total),
        ]
        super().on_epoch_end(net, **kwargs)


@pytest.mark.parametrize("Est, make, module", CASES)
def test_progress_bar(Est, make, module, capsys):
    X, y, X_val, y_val = _split(make)
    est = _estimator(Est, module, callbacks=[("bar", _FinishedBars())])
    est.fit(X, y, validation_data=(X_val, y_val))
    batches = math.ceil(N_TRAIN / 32) + 1  # the validation set is one batch
    bar = dict(est.net_.callbacks_)["bar"]
    assert bar.finished == [(batches, batches)] * est.n_iter_
    assert f"0/{batches}" in capsys.readouterr().err


# -- LRScheduler -----------------------------------------------------------------------
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("Est, make, module", CASES)
def test_lr_scheduler_sets_the_learning_rate_of_each_epoch(Est, make, module, solver):
    X, y, _, _ = _split(make)
    schedule = LRScheduler(StepLR, step_size=2, gamma=0.5)
    est = _estimator(Est, module, solver=solver, callbacks=[schedule], tol=0.0)
    est.set_params(n_iter_no_change=100).fit(X, y)
    lrs = est.net_.history[:, "event_lr"]  # the rate each epoch trained with
    assert lrs == [0.01 * 0.5 ** (epoch // 2) for epoch in range(est.n_iter_)]
    assert est.net_.optimizer_.param_groups[0]["lr"] == 0.01 * 0.5**3


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("Est, make, module", CASES)
def test_lr_scheduler_rate_reaches_the_training_step(Est, make, module, solver):
    # After one epoch the scheduler sets the rate to 0: the weights must stay where
    # one epoch without scheduler leaves them.
    X, y, _, _ = _split(make)
    frozen = LRScheduler(StepLR, step_size=1, gamma=0.0)
    est = _estimator(Est, module, solver=solver, callbacks=[frozen], max_iter=4)
    est.fit(X, y)
    one_epoch = _estimator(Est, module, solver=solver, max_iter=1).fit(X, y)
    for a, b in zip(est.net_.module_.parameters(), one_epoch.net_.module_.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)
    moving = _estimator(Est, module, solver=solver, max_iter=4).fit(X, y)
    assert not np.allclose(moving.predict(X), one_epoch.predict(X))


# -- Checkpoint ------------------------------------------------------------------------
@pytest.mark.parametrize("Est, make, module", CASES)
def test_checkpoint_keeps_the_best_validation_loss(Est, make, module, tmp_path):
    X, y, X_val, y_val = _split(make)
    checkpoint = Checkpoint(dirname=str(tmp_path), load_best=True)
    est = _estimator(Est, module, callbacks=[checkpoint], max_iter=12)
    est.set_params(learning_rate_init=0.05).fit(X, y, validation_data=(X_val, y_val))
    assert {"params.pt", "optimizer.pt", "history.json"} <= {
        p.name for p in tmp_path.iterdir()
    }
    curve = est.validation_loss_curve_
    saved = [
        row["event_cp"] for row in json.loads((tmp_path / "history.json").read_text())
    ]
    expected = _running_best(curve, lambda a, b: a < b)
    # history.json is written at each checkpoint: it ends at the last best epoch
    last_best = max(i for i, flag in enumerate(expected) if flag)
    assert saved == expected[: last_best + 1]
    # load_best: the model is back at the best epoch
    assert _validation_loss(est, X_val, y_val) == pytest.approx(min(curve), rel=1e-6)


@pytest.mark.parametrize("Est, make, module", CASES[::3])
def test_checkpoint_without_validation(Est, make, module, tmp_path):
    X, y, _, _ = _split(make)
    est = _estimator(Est, module, callbacks=[Checkpoint(dirname=str(tmp_path))])
    with pytest.raises(SkorchException, match="valid_loss_best"):
        est.fit(X, y)
    checkpoint = Checkpoint(dirname=str(tmp_path), monitor="train_loss_best")
    est.set_params(callbacks=[checkpoint]).fit(X, y)
    saved = est.net_.history[:, "event_cp"]
    assert saved == _running_best(est.loss_curve_, lambda a, b: a < b)


@pytest.mark.parametrize("Est, make, module", CASES)
def test_checkpoint_with_early_stopping(Est, make, module, tmp_path):
    X, y, _, _ = _split(make)
    est = _estimator(Est, module, early_stopping=True, n_iter_no_change=2)
    est.set_params(callbacks=[Checkpoint(dirname=str(tmp_path))], max_iter=30)
    est.fit(X, y)
    assert est.net_.history[:, "event_cp"] == _running_best(
        est.validation_loss_curve_, lambda a, b: a < b
    )
    assert (tmp_path / "params.pt").exists()


# -- EpochScoring ----------------------------------------------------------------------
def _score_raw(net, X, y):
    """A score of the skorch net: raw outputs against the encoded target."""
    raw = net.predict(X)
    if raw.shape[1] > 1:  # class indices
        return accuracy_score(y, raw.argmax(axis=1))
    return r2_score(y, raw)


@pytest.mark.parametrize("Est, make, module", CASES)
def test_epoch_scoring_scores_the_validation_set(Est, make, module):
    X, y, X_val, y_val = _split(make)
    est = _estimator(Est, module, callbacks=[EpochScoring(_score_raw, name="val")])
    est.fit(X, y, validation_data=(X_val, y_val))
    scores = est.net_.history[:, "val"]
    assert len(scores) == est.n_iter_
    metric = accuracy_score if Est is MLPClassifier else r2_score
    assert scores[-1] == pytest.approx(metric(y_val, est.predict(X_val)), rel=1e-9)


def _mean_loss(net, X, y):
    """Mean training loss of the epoch's cached raw outputs, from sklearn's metrics."""
    raw = torch.as_tensor(net.predict(X))
    if raw.shape[1] > 1:
        proba = torch.softmax(raw, dim=1).numpy()
        return log_loss(y, proba, labels=range(raw.shape[1]))
    return mean_squared_error(y, raw.numpy())


@pytest.mark.parametrize("Est, make, module", CASES)
def test_epoch_scoring_on_training_batches(Est, make, module):
    # With alpha=0, the mean loss over the epoch's batches is the recorded train_loss.
    X, y, _, _ = _split(make)
    scoring = EpochScoring(_mean_loss, on_train=True, name="mean_loss")
    est = _estimator(Est, module, alpha=0.0, callbacks=[scoring]).fit(X, y)
    np.testing.assert_allclose(
        est.net_.history[:, "mean_loss"], est.loss_curve_, rtol=1e-9
    )


def test_epoch_scoring_with_a_scorer_name():
    X, y, X_val, y_val = _split(_regression)
    scoring = EpochScoring("neg_mean_squared_error", lower_is_better=False)
    est = _estimator(MLPRegressor, None, callbacks=[scoring])
    est.fit(X, y, validation_data=(X_val, y_val))
    last = est.net_.history[-1, "neg_mean_squared_error"]
    assert last == pytest.approx(-mean_squared_error(y_val, est.predict(X_val)))


# -- skorch's EarlyStopping on our validation --------------------------------------------
def test_skorch_early_stopping_monitors_the_validation_loss():
    X, y, X_val, y_val = _split(_regression)
    stopper = EarlyStopping(patience=2, threshold=0.0)
    est = _estimator(MLPRegressor, None, callbacks=[stopper], max_iter=200)
    est.set_params(learning_rate_init=0.2).fit(X, y, validation_data=(X_val, y_val))
    curve = est.validation_loss_curve_
    assert est.n_iter_ < 200
    # it stopped at the first epoch that made two misses in a row
    best, misses, stopped_at = math.inf, 0, None
    for epoch, loss in enumerate(curve, 1):
        misses = 0 if loss < best else misses + 1
        best = min(best, loss)
        if misses == 2:
            stopped_at = epoch
            break
    assert stopped_at == est.n_iter_ == len(curve)


# -- per-batch hooks ---------------------------------------------------------------------
class _BatchCounter(Callback):
    def initialize(self):
        self.calls_ = {"begin": 0, "end": 0, "valid": 0, "grad": 0}
        return self

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        self.calls_["begin"] += training
        X, y = batch
        assert X.shape[0] == y.shape[0]

    def on_batch_end(self, net, batch=None, training=None, **kwargs):
        self.calls_["end" if training else "valid"] += 1

    def on_grad_computed(self, net, named_parameters, **kwargs):
        self.calls_["grad"] += 1
        assert all(p.grad is not None for _, p in named_parameters)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("Est, make, module", CASES)
def test_per_batch_callbacks_train_the_same_model(Est, make, module, solver):
    X, y, X_val, y_val = _split(make)
    params = dict(solver=solver, early_stopping=True, max_iter=8)
    plain = _estimator(Est, module, **params).fit(X, y)
    counted = _estimator(Est, module, callbacks=[("count", _BatchCounter())], **params)
    counted.fit(X, y)
    np.testing.assert_allclose(counted.predict(X_val), plain.predict(X_val), rtol=1e-10)
    assert counted.loss_curve_ == pytest.approx(plain.loss_curve_, rel=1e-10)
    calls = dict(counted.net_.callbacks_)["count"].calls_
    n_train = N_TRAIN - math.ceil(0.1 * N_TRAIN)
    batches = counted.n_iter_ * math.ceil(n_train / 32)
    assert calls == {
        "begin": batches,
        "end": batches,
        "valid": counted.n_iter_,
        "grad": batches,
    }


# -- the parameter: never changed by fit, clone, set_params, pickle -----------------------
@pytest.mark.parametrize("Est, make, module", CASES[::3])
def test_callbacks_are_copied_per_fit(Est, make, module, tmp_path):
    X, y, X_val, y_val = _split(make)
    scoring = EpochScoring(_score_raw, name="val")
    bar = ProgressBar()
    callbacks = [("score", scoring), bar]
    est = _estimator(Est, module, callbacks=callbacks)
    est.fit(X, y, validation_data=(X_val, y_val))
    assert est.callbacks is callbacks and est.callbacks == [("score", scoring), bar]
    assert not hasattr(scoring, "best_score_") and not hasattr(bar, "pbar_")
    assert dict(est.net_.callbacks_)["score"] is not scoring

    cloned = clone(est)
    assert cloned.callbacks[0][1] is not scoring
    assert cloned.callbacks[0][1].get_params() == scoring.get_params()
    refit = cloned.fit(X, y, validation_data=(X_val, y_val))
    assert refit.net_.history[:, "val"] == est.net_.history[:, "val"]

    est.set_params(callbacks=None)
    assert "val" not in est.fit(X, y).net_.history[-1]

    est.set_params(callbacks=callbacks).fit(X, y, validation_data=(X_val, y_val))
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict(X_val), est.predict(X_val))
    assert restored.get_params()["callbacks"][0][1].get_params() == scoring.get_params()
    restored.fit(X, y, validation_data=(X_val, y_val))
    assert restored.net_.history[:, "val"] == est.net_.history[:, "val"]


def test_warm_start_continues_with_the_fitted_callbacks():
    X, y, _, _ = _split(_regression)
    schedule = LRScheduler(StepLR, step_size=1, gamma=0.5)
    est = _estimator(MLPRegressor, None, solver="sgd", callbacks=[schedule])
    est.set_params(warm_start=True, max_iter=2).fit(X, y)
    first = dict(est.net_.callbacks_)["LRScheduler"]
    est.fit(X, y)
    assert dict(est.net_.callbacks_)["LRScheduler"] is first
    # warm_start restarts the optimizer at learning_rate_init; skorch's scheduler
    # resumes counting epochs over the whole history, as after skorch's partial_fit
    # (StepLR multiplies the current rate by gamma at each of its steps)
    lr = 0.01
    assert est.net_.history[:, "event_lr"] == [lr, lr / 2, lr / 2, lr / 4]
    est.partial_fit(X, y)  # keeps the optimizer: the schedule carries on
    assert est.net_.history[-1, "event_lr"] < lr / 4


@pytest.mark.parametrize(
    "callbacks, message",
    [
        ([ProgressBar], None),
        (["bar"], "list of skorch callbacks"),
        ([("bar",)], "list of skorch callbacks"),
        ([(1, ProgressBar())], "list of skorch callbacks"),
        ([("sklearn_loss_curve", ProgressBar())], "reserved"),
    ],
)
def test_callbacks_are_checked(callbacks, message):
    X, y, _, _ = _split(_regression)
    est = _estimator(MLPRegressor, None, callbacks=callbacks, max_iter=1)
    if message is None:
        est.fit(X, y)  # a callback class is built by skorch, as NeuralNet does
        return
    with pytest.raises(ValueError, match=message):
        est.fit(X, y)


def test_callbacks_must_be_a_list():
    X, y, _, _ = _split(_regression)
    with pytest.raises(ValueError, match="callbacks"):
        MLPRegressor(callbacks=ProgressBar()).fit(X, y)


# -- scikit-learn's rules as callbacks --------------------------------------------------
@pytest.mark.parametrize("early_stopping", [False, True])
def test_rules_keep_their_fitted_state_out_of_get_params(early_stopping):
    X, y, _, _ = _split(_classification)
    est = _estimator(MLPClassifier, None, early_stopping=early_stopping).fit(X, y)
    rules = [cb for name, cb in est.net_.callbacks_ if name.startswith("sklearn_")]
    assert len(rules) >= 5
    for cb in rules:
        arguments = set(inspect.signature(type(cb)).parameters)
        assert set(cb.get_params()) == arguments
    fitted = {k for cb in rules for k in vars(cb) if k.endswith("_")}
    assert {"loss_curve_", "t_", "n_iter_", "validation_scores_"} <= fitted
    net_params = est.net_.get_params()
    assert not [
        k for k in net_params if k.startswith("callbacks__sklearn_") and k.endswith("_")
    ]


@pytest.mark.parametrize("Est, make, module", CASES[::3])
def test_history_records_the_best_flags(Est, make, module):
    X, y, X_val, y_val = _split(make)
    est = _estimator(Est, module).fit(X, y, validation_data=(X_val, y_val))
    history = est.net_.history
    lower, higher = (lambda a, b: a < b), (lambda a, b: a > b)
    assert history[:, "train_loss"] == est.loss_curve_
    assert history[:, "train_loss_best"] == _running_best(est.loss_curve_, lower)
    assert history[:, "valid_loss"] == est.validation_loss_curve_
    assert history[:, "valid_loss_best"] == _running_best(
        est.validation_loss_curve_, lower
    )
    assert history[:, "valid_score"] == est.validation_scores_
    assert history[:, "valid_score_best"] == _running_best(
        est.validation_scores_, higher
    )
    assert est.validation_loss_curve_[-1] == pytest.approx(
        _validation_loss(est, X_val, y_val), rel=1e-9
    )
    assert est.validation_scores_[-1] == pytest.approx(est.score(X_val, y_val))


@pytest.mark.parametrize("Est, make, module", CASES)
def test_net_predicts_as_a_skorch_net(Est, make, module):
    X, y, X_val, _ = _split(make)
    est = _estimator(Est, module).fit(X, y)
    raw = est.net_.predict(X_val)  # skorch's predict: the raw outputs
    assert raw.shape == (N_VAL, est.n_outputs_)
    if Est is MLPClassifier:
        np.testing.assert_array_equal(
            est.classes_[raw.argmax(axis=1)], est.predict(X_val)
        )
    else:
        np.testing.assert_allclose(raw[:, 0], est.predict(X_val), rtol=1e-12)
    assert len(est.net_.history) == est.n_iter_


def test_epoch_level_callbacks_keep_the_fast_path(monkeypatch, tmp_path):
    # The built-in network's direct step never calls train_step_single.
    from sklearn_losses.neural_network._net import Net

    calls = []
    original = Net.train_step_single

    def counted(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Net, "train_step_single", counted)
    X, y, _, _ = _split(_regression)
    plain = _estimator(MLPRegressor, None, solver="sgd").fit(X, y)
    epoch_level = [
        Checkpoint(dirname=str(tmp_path), monitor="train_loss_best"),
        EarlyStopping(monitor="train_loss", patience=100),
    ]
    est = _estimator(MLPRegressor, None, solver="sgd", callbacks=epoch_level)
    est.fit(X, y)
    assert calls == []
    np.testing.assert_array_equal(est.predict(X), plain.predict(X))
    est.set_params(callbacks=[_BatchCounter()]).fit(X, y)
    assert len(calls) == est.n_iter_ * math.ceil(N_TRAIN / 32)


@pytest.mark.parametrize(
    "params",
    [
        {"early_stopping": True, "n_iter_no_change": 3},
        {
            "solver": "sgd",
            "learning_rate": "adaptive",
            "tol": 0.05,
            "n_iter_no_change": 2,
        },
        {"solver": "sgd", "learning_rate": "invscaling"},
    ],
)
def test_rules_state_survives_saving(params):
    # A saved model continues (warm start) exactly as the original does.
    sio = pytest.importorskip("skops.io")
    from sklearn_losses import skops_trusted_types

    X, y, X_val, y_val = _split(_classification)
    est = _estimator(MLPClassifier, None, warm_start=True, max_iter=8, **params)
    est.fit(X, y)
    copies = [
        pickle.loads(pickle.dumps(est)),
        sio.loads(sio.dumps(est), trusted=skops_trusted_types()),
    ]
    est.fit(X, y)
    names = ["loss_curve_", "n_iter_", "t_", "best_loss_", "validation_scores_"]
    for restored in copies:
        restored.fit(X, y)
        np.testing.assert_array_equal(
            restored.predict_proba(X_val), est.predict_proba(X_val)
        )
        for name in [*names, "best_validation_score_", "validation_loss_curve_"]:
            assert getattr(restored, name) == getattr(est, name), name
        lr = restored.net_.optimizer_.param_groups[0]["lr"]
        assert lr == est.net_.optimizer_.param_groups[0]["lr"]
