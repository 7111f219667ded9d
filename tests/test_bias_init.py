"""The best constant prediction of every loss (``Loss.fit_intercept_only``) and the
output-bias start it gives the built-in network."""

from functools import partial

import numpy as np
import pytest
import torch
from sklearn._loss import loss as sk_loss
from sklearn.datasets import make_classification, make_regression
from sklearn.dummy import DummyRegressor

from sklearn_losses import MLPClassifier, MLPRegressor
from sklearn_losses.losses import (
    ACTIVATIONS,
    AbsoluteError,
    BinaryFocal,
    CategoricalHinge,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    LogLoss,
    Loss,
    Poisson,
    Quantile,
    SparseCategoricalCrossEntropy,
    SquaredError,
    SquaredHinge,
    SquaredLogError,
)
from sklearn_losses.neural_network import MLPModule

rng = np.random.RandomState(0)
N = 60
REG_Y = np.column_stack([rng.lognormal(1.0, 1.0, N), rng.gamma(2.0, 3.0, N)])
WEIGHTS = rng.uniform(0.0, 3.0, N)
BINARY = (rng.uniform(size=(N, 1)) < 0.3).astype(float)
MULTILABEL = (rng.uniform(size=(N, 3)) < [0.2, 0.5, 0.7]).astype(float)
CLASSES = rng.choice(4, size=N, p=[0.1, 0.2, 0.3, 0.4])
MAJORITY = rng.choice(3, size=N, p=[0.7, 0.2, 0.1])


def mean_loss(loss, raw, y, weight, task):
    """Weighted mean of raw_loss at the constant raw vector ``raw``."""
    activation = ACTIVATIONS[loss.activation(task)]
    target = torch.as_tensor(y)
    if target.dtype.is_floating_point:
        target = target.double()
    raw = torch.as_tensor(np.broadcast_to(raw, (len(y), len(raw))).copy())
    values = loss.raw_loss(raw, target, activation).numpy()
    return float(np.average(values, weights=weight))


def numerical(loss, y, weight, task):
    return Loss.fit_intercept_only(loss, y, weight, task)


def encoded(loss, y, task):
    return loss.encode_target(y, task)


REGRESSION = [
    SquaredError(),
    SquaredError(out_activation="exp"),
    SquaredError(out_activation="softplus"),
    AbsoluteError(),
    SquaredLogError(),
    SquaredLogError(out_activation="exp"),
    Huber(),
    Huber(delta=3.0),
    LogCosh(),
    Poisson(),
    Quantile(alpha=0.2),
    Quantile(alpha=0.9, out_activation="exp"),
]
CLASSIFICATION = [
    (LogLoss(), "binary", BINARY),
    (LogLoss(label_smoothing=0.2), "binary", BINARY),
    (LogLoss(), "multilabel", MULTILABEL),
    (LogLoss(), "multiclass", CLASSES),
    (LogLoss(label_smoothing=0.1), "multiclass", CLASSES),
    (SparseCategoricalCrossEntropy(), "binary", BINARY[:, 0].astype(int)),
    (SparseCategoricalCrossEntropy(), "multiclass", CLASSES),
    (KLDivergence(), "multiclass", CLASSES),
    (KLDivergence(), "binary", BINARY[:, 0].astype(int)),
    (SquaredHinge(), "binary", BINARY),
    (SquaredHinge(), "multilabel", MULTILABEL),
    (SquaredHinge(out_activation="identity"), "binary", BINARY),
    (BinaryFocal(gamma=0.0), "binary", BINARY),
    (BinaryFocal(gamma=0.0, alpha=0.25), "multilabel", MULTILABEL),
    (BinaryFocal(gamma=0.0, alpha=0.25), "multiclass", CLASSES),
    (BinaryFocal(), "binary", BINARY),
    (BinaryFocal(gamma=1.0, alpha=0.75), "multilabel", MULTILABEL),
    (BinaryFocal(), "multiclass", CLASSES),
]
MARGIN = [
    (Hinge(), "binary", BINARY),
    (Hinge(), "multilabel", MULTILABEL),
    (Hinge(), "multiclass", CLASSES),
    (Hinge(), "multiclass", MAJORITY),
    (SquaredHinge(), "multiclass", MAJORITY),
    (CategoricalHinge(), "binary", BINARY),
    (CategoricalHinge(), "multiclass", CLASSES),
    (CategoricalHinge(), "multiclass", MAJORITY),
]


@pytest.mark.parametrize("weight", [None, WEIGHTS], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("loss", REGRESSION, ids=repr)
def test_regression_closed_form_is_the_minimum(loss, weight):
    y = encoded(loss, REG_Y, "regression")
    raw = loss.fit_intercept_only(y, weight, "regression")
    assert raw.shape == (2,) and raw.dtype == np.float64
    reference = numerical(loss, y, weight, "regression")
    best = mean_loss(loss, raw, y, weight, "regression")
    assert best <= mean_loss(loss, reference, y, weight, "regression") + 1e-7
    # A step either way does not lower the loss: a minimum, not only a good point.
    for step in (1e-3, -1e-3):
        for j in range(2):
            moved = raw.copy()
            moved[j] += step
            assert best <= mean_loss(loss, moved, y, weight, "regression") + 1e-12


@pytest.mark.parametrize("weight", [None, WEIGHTS], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(
    ("loss", "task", "y"), CLASSIFICATION, ids=lambda v: repr(v)[:30]
)
def test_classification_closed_form_is_the_minimum(loss, task, y, weight):
    target = encoded(loss, y, task)
    raw = loss.fit_intercept_only(target, weight, task)
    n_columns = y.shape[1] if y.ndim == 2 else len(np.unique(y))
    assert raw.shape == (loss.n_outputs(task, n_columns),)
    reference = numerical(loss, target, weight, task)
    best = mean_loss(loss, raw, target, weight, task)
    assert best == pytest.approx(
        mean_loss(loss, reference, target, weight, task), abs=1e-7
    )
    assert best <= mean_loss(loss, reference, target, weight, task) + 1e-7


@pytest.mark.parametrize("weight", [None, WEIGHTS], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(("loss", "task", "y"), MARGIN, ids=lambda v: repr(v)[:30])
def test_margin_start_is_sensible(loss, task, y, weight):
    """The hinge's optimum on tanh outputs is infinite (saturated): the start
    predicts the weighted majority, is no worse than zero outputs, stays finite."""
    target = encoded(loss, y, task)
    raw = loss.fit_intercept_only(target, weight, task)
    assert np.isfinite(raw).all() and np.abs(raw).max() < 5
    zero = np.zeros_like(raw)
    assert mean_loss(loss, raw, target, weight, task) <= mean_loss(
        loss, zero, target, weight, task
    )
    if y.ndim == 1:
        share = np.bincount(y, weights=weight, minlength=len(raw))
        if share.max() > share.sum() / 2:  # a clear majority leads
            assert np.argmax(raw) == np.argmax(share)
    else:
        positive = np.average(y, axis=0, weights=weight) > 0.5
        assert ((raw > 0) == positive).all()


@pytest.mark.parametrize("weight", [None, WEIGHTS], ids=["unweighted", "weighted"])
def test_matches_scikit_learn_losses(weight):
    y = REG_Y[:, 0]
    raw = SquaredError().fit_intercept_only(y[:, None], weight, "regression")
    sk = sk_loss.HalfSquaredError().fit_intercept_only(y, weight)
    assert raw[0] == pytest.approx(sk)
    raw = Poisson().fit_intercept_only(y[:, None], weight, "regression")
    assert raw[0] == pytest.approx(
        sk_loss.HalfPoissonLoss().fit_intercept_only(y, weight)
    )
    # Medians and quantiles: any minimiser will do where several exist.
    for ours, theirs in [
        (AbsoluteError(), sk_loss.AbsoluteError()),
        (Quantile(alpha=0.3), sk_loss.PinballLoss(quantile=0.3)),
    ]:
        raw = ours.fit_intercept_only(y[:, None], weight, "regression")
        value = mean_loss(ours, raw, y[:, None], weight, "regression")
        other = np.atleast_1d(theirs.fit_intercept_only(y, weight))
        assert value <= mean_loss(ours, other, y[:, None], weight, "regression") + 1e-9
    # scikit-learn's Huber start is one step from the median; ours is the optimum.
    raw = Huber(delta=2.0).fit_intercept_only(y[:, None], weight, "regression")
    theirs = sk_loss.HuberLoss(quantile=0.9).fit_intercept_only(y, weight)
    huber = Huber(delta=2.0)
    assert mean_loss(huber, raw, y[:, None], weight, "regression") <= mean_loss(
        huber, np.atleast_1d(theirs), y[:, None], weight, "regression"
    )
    binary = BINARY[:, 0]
    raw = LogLoss().fit_intercept_only(BINARY, weight, "binary")
    assert raw[0] == pytest.approx(
        sk_loss.HalfBinomialLoss().fit_intercept_only(binary, weight)
    )
    raw = LogLoss().fit_intercept_only(CLASSES, weight, "multiclass")
    sk = sk_loss.HalfMultinomialLoss(n_classes=4).fit_intercept_only(
        CLASSES.astype(float), weight
    )
    np.testing.assert_allclose(raw, sk - sk.mean(), rtol=1e-10)


def test_extremes_stay_finite():
    zeros = np.zeros((10, 1))
    assert np.isfinite(Poisson().fit_intercept_only(zeros, None, "regression")).all()
    assert np.isfinite(LogLoss().fit_intercept_only(zeros, None, "binary")).all()
    one_class = np.zeros(10, dtype=np.int64)
    raw = LogLoss().fit_intercept_only(one_class, None, "multiclass")
    assert np.isfinite(raw).all() and raw[0] > raw[1]
    assert np.isfinite(
        Hinge().fit_intercept_only(-np.ones((10, 1)), None, "binary")
    ).all()


def test_subclass_redefining_the_loss_gets_the_numerical_start():
    class Cubic(SquaredError):
        name = "cubic"

        def pointwise(self, y_pred, y_true):
            return (y_pred - y_true).abs() ** 3

    y = REG_Y[:, :1]
    raw = Cubic().fit_intercept_only(y, None, "regression")
    assert raw[0] != pytest.approx(y.mean())  # not the inherited mean
    step = np.array([1e-3])
    value = mean_loss(Cubic(), raw, y, None, "regression")
    assert value <= mean_loss(Cubic(), raw + step, y, None, "regression")
    assert value <= mean_loss(Cubic(), raw - step, y, None, "regression")


def test_custom_function_gets_the_numerical_start():
    def mean_error(y_pred, y_true):  # a scalar: the batch mean
        return (y_pred - y_true).square().mean()

    reg = MLPRegressor(loss=mean_error, max_iter=1).fit(
        np.zeros((20, 2)), REG_Y[:20, 0]
    )
    # Zero inputs: the prediction is the output bias, the mean of the targets.
    assert reg.predict(np.zeros((1, 2)))[0] == pytest.approx(
        REG_Y[:20, 0].mean(), rel=0.05
    )


# -- the estimator: the start of the built-in network only -------------------------------
@pytest.mark.parametrize("loss", ["squared_error", "poisson", "absolute_error"])
def test_first_prediction_is_the_baseline(loss):
    """One tiny step in: the mean prediction is the loss's best constant (the
    output bias absorbs the hidden layer's mean contribution)."""
    X, y = make_regression(n_samples=200, n_features=4, random_state=0)
    y = np.exp(y / y.std())
    reg = MLPRegressor(
        loss=loss, solver="sgd", learning_rate_init=1e-12, max_iter=1, random_state=0
    )
    reg.fit(X, y)
    loss_object = reg._loss
    best = loss_object.fit_intercept_only(y[:, None], None, "regression")
    activation = ACTIVATIONS[reg.out_activation_]
    expected = activation.numpy_fn(best)[0]
    raw = reg._raw_output(X)
    assert raw.mean() == pytest.approx(best[0], rel=1e-6, abs=1e-6)
    assert np.isfinite(expected)


def test_classifier_starts_at_the_priors():
    X, y = make_classification(
        n_samples=300, n_classes=3, n_informative=4, weights=[0.6, 0.3], random_state=0
    )
    clf = MLPClassifier(solver="sgd", learning_rate_init=1e-12, max_iter=1)
    clf.fit(X, y)
    prior = np.bincount(y) / len(y)
    np.testing.assert_allclose(clf.predict_proba(X).mean(axis=0), prior, atol=0.05)


def test_users_module_is_left_as_built():
    X, y = make_regression(n_samples=50, n_features=3, random_state=0)
    y = y + 100
    module = partial(MLPModule, hidden_layer_sizes=(5,), init="he_uniform")
    reg = MLPRegressor(
        module=module, solver="sgd", learning_rate_init=1e-12, max_iter=1
    )
    reg.fit(X, y)
    assert abs(reg.intercepts_[-1][0]) < 1e-6  # he_uniform's zero bias, untouched


def test_poisson_default_beats_the_baseline():
    """scikit-learn's check_regressors_train, for Poisson with default parameters."""
    X, y = make_regression(n_samples=200, n_features=10, random_state=0)
    from sklearn.preprocessing import StandardScaler

    X = StandardScaler().fit_transform(X)
    y = StandardScaler().fit_transform(y[:, None])[:, 0]
    y = y - y.min() + 1
    for loss in ("poisson", "squared_log_error"):
        reg = MLPRegressor(loss=loss, random_state=0).fit(X, y)
        baseline = DummyRegressor().fit(X, y).score(X, y)
        assert reg.score(X, y) > max(baseline, 0.5)


def test_partial_fit_start_with_classes_not_seen_yet():
    X, y = make_classification(
        n_samples=90, n_classes=3, n_informative=4, random_state=0
    )
    seen = y < 2
    clf = MLPClassifier(solver="sgd", learning_rate_init=1e-12, random_state=0)
    clf.partial_fit(X[seen], y[seen], classes=[0, 1, 2])
    # A class not seen yet starts as likely as the rarest seen one (not at zero,
    # which would take a long time to climb out of).
    raw = clf.decision_function(X[seen]).mean(axis=0)
    assert np.isfinite(raw).all()
    assert raw[2] == pytest.approx(raw[:2].min(), abs=1e-6)
    clf.partial_fit(X, y)  # the unseen class can still be learnt
    assert np.isfinite(clf.predict_proba(X)).all()
