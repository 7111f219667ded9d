"""Saving and loading: pickle, joblib and skops give the same model, on any device."""

import io
import pickle
import warnings

import joblib
import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_blobs

from sklearn_losses import MLPClassifier, MLPRegressor, skops_trusted_types
from sklearn_losses.losses import Huber, get_loss, loss_names
from sklearn_losses.model_selection import fit_seeds

sio = pytest.importorskip("skops.io")
FAST = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)


@pytest.fixture(scope="module")
def data():
    X, y = make_blobs(n_samples=60, centers=3, random_state=0)
    return X, y


def _fitted(Estimator, loss, data, **params):
    X, y = data
    target = y if Estimator is MLPClassifier else y.astype(float) + 1.0
    if Estimator is MLPClassifier and "multiclass" not in get_loss(loss).tasks:
        target = y == 1  # a binary-only loss
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Estimator(loss=loss, **{**FAST, **params}).fit(X, target)


def _outputs(est, X):
    method = "decision_function" if hasattr(est, "decision_function") else "predict"
    return getattr(est, method)(X), est.predict(X)


def _round_trips(est):
    yield pickle.loads(pickle.dumps(est))
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    buffer.seek(0)
    yield joblib.load(buffer)
    yield sio.loads(sio.dumps(est), trusted=skops_trusted_types())


CASES = [(MLPRegressor, name) for name in loss_names("regression")] + [
    (MLPClassifier, name)
    for name in sorted(set(loss_names("binary")) | set(loss_names("multiclass")))
]


@pytest.mark.parametrize("Estimator, loss", CASES)
def test_round_trips_give_identical_predictions(Estimator, loss, data):
    est = _fitted(Estimator, loss, data)
    X = data[0]
    expected = _outputs(est, X)
    for restored in _round_trips(est):
        for got, want in zip(_outputs(restored, X), expected, strict=True):
            assert_array_equal(got, want)
        assert restored.loss_curve_ == est.loss_curve_


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_training_continues_identically_after_loading(solver, data):
    X, y = data
    est = _fitted(MLPClassifier, "log_loss", data, solver=solver, warm_start=True)
    restored = pickle.loads(pickle.dumps(est))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_array_equal(
            restored.fit(X, y).predict_proba(X), est.fit(X, y).predict_proba(X)
        )


def test_skops_needs_only_our_published_types(data):
    models = [_fitted(MLPRegressor, Huber(delta=2.0), data)]
    models += [_fitted(MLPClassifier, loss, data) for loss in ("log_loss", "hinge")]
    # a stacked model saves the optimizer state the stack left (no optimizer made)
    models += fit_seeds(MLPClassifier(solver="adam", max_iter=3), *data, [0])
    for model in models:
        untrusted = sio.get_untrusted_types(data=sio.dumps(model))
        assert untrusted and set(untrusted) <= set(skops_trusted_types())
        with pytest.raises(Exception, match="[Uu]ntrusted"):
            sio.loads(sio.dumps(model))
    restored = sio.loads(sio.dumps(models[-1]), trusted=skops_trusted_types())
    plain = MLPClassifier(solver="adam", max_iter=3, random_state=0).fit(*data)
    for model in (restored, plain):  # training continues from the same state
        model.partial_fit(*data)
    assert_allclose(restored.predict_proba(data[0]), plain.predict_proba(data[0]))


def test_loading_never_calls_torch_load(data, monkeypatch):
    est = _fitted(MLPClassifier, "log_loss", data)
    payloads = [pickle.dumps(est), sio.dumps(est)]

    def refuse(*args, **kwargs):
        raise AssertionError("torch.load was called while loading a model")

    monkeypatch.setattr(torch, "load", refuse)
    pickle.loads(payloads[0])
    sio.loads(payloads[1], trusted=skops_trusted_types())


def test_a_model_saved_for_an_absent_gpu_loads_on_the_cpu(data):
    est = _fitted(MLPClassifier, "log_loss", data)
    expected = est.predict_proba(data[0])
    # The saved state holds no device-bound object: only the device parameter says
    # "cuda". On a machine without CUDA, loading falls back to the CPU with a warning.
    est.device = "cuda"
    payload = pickle.dumps(est)
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.warns(UserWarning, match="loaded on the CPU"):
        restored = pickle.loads(payload)
    assert next(restored.net_.module_.parameters()).device.type == "cpu"
    assert_array_equal(restored.predict_proba(data[0]), expected)


def test_unfitted_estimators_round_trip():
    est = MLPRegressor(loss=Huber(delta=3.0))
    restored = sio.loads(sio.dumps(est), trusted=skops_trusted_types())
    assert restored.loss.delta == 3.0 and not hasattr(restored, "net_")
    assert np.isclose(pickle.loads(pickle.dumps(est)).loss.delta, 3.0)
