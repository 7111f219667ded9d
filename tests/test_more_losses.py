"""The losses of scikit-learn's SGD, GLMs and gradient boosting, and Keras' others.

Each metric equals scikit-learn's function where it has one, otherwise the loss as
scikit-learn's own implementation computes it (SGD's loss objects, gradient boosting's
``ExponentialLoss``) or an independent NumPy formula of Keras' definition, to 1e-12 in
float64. Also: the probability estimates, ``multioutput=``, the names, and the Keras
losses that are refused.
"""

import numpy as np
import pytest
import sklearn.metrics as skm
import torch
from numpy.testing import assert_allclose
from sklearn._loss.loss import ExponentialLoss
from sklearn.datasets import make_blobs, make_multilabel_classification
from sklearn.linear_model import SGDClassifier
from sklearn.linear_model import _sgd_fast as sgd
from sklearn.preprocessing import StandardScaler

from sklearn_losses import MLPClassifier, MLPRegressor, get_scorer, metrics
from sklearn_losses.losses import (
    CategoricalFocal,
    CategoricalGeneralizedCrossEntropy,
    EpsilonInsensitive,
    Exponential,
    Gamma,
    MeanAbsolutePercentageError,
    ModifiedHuber,
    Perceptron,
    SquaredEpsilonInsensitive,
    Tweedie,
    get_loss,
    loss_names,
)

N = 50
KERAS_EPS = 1e-7


def _rng(seed=0):
    return np.random.default_rng(seed)


def _weights(rng):
    return rng.uniform(0.0, 2.0, N)


def _per_element(sgd_loss, y_pred, y_true):
    """scikit-learn's SGD loss object applied element by element."""
    return np.vectorize(sgd_loss.py_loss)(y_pred, y_true)


# -- regression -------------------------------------------------------------------------
@pytest.mark.parametrize("power", [-0.5, 0.0, 1.0, 1.2, 1.5, 2.0, 3.0])
def test_tweedie_equals_sklearn(power):
    rng = _rng(int(10 * abs(power)))
    if power <= 0:
        y = rng.normal(size=N)
    elif power < 2:
        y = rng.poisson(2.0, size=N).astype(float)  # zeros included
    else:
        y = rng.gamma(2.0, size=N)
    p = rng.uniform(0.05, 5.0, N)
    w = _weights(rng)
    expected = skm.mean_tweedie_deviance(y, p, sample_weight=w, power=power)
    value = metrics.mean_tweedie_deviance(y, p, sample_weight=w, power=power)
    assert value == pytest.approx(expected, rel=1e-12, abs=1e-14)
    assert Tweedie(power=power).metric(y, p, sample_weight=w) == value


def test_gamma_equals_sklearn_and_tweedie_of_power_two():
    rng = _rng(1)
    y, p, w = rng.gamma(2.0, size=N), rng.uniform(0.1, 4.0, N), _weights(rng)
    expected = skm.mean_gamma_deviance(y, p, sample_weight=w)
    assert metrics.mean_gamma_deviance(y, p, sample_weight=w) == pytest.approx(
        expected, rel=1e-12
    )
    assert Gamma().metric(y, p) == pytest.approx(Tweedie(power=2).metric(y, p))
    assert Gamma().get_params() == {}


@pytest.mark.parametrize(
    "loss, function, reference",
    [
        (EpsilonInsensitive(), "epsilon_insensitive", sgd.EpsilonInsensitive(0.1)),
        (
            EpsilonInsensitive(epsilon=0.5),
            "epsilon_insensitive",
            sgd.EpsilonInsensitive(0.5),
        ),
        (
            SquaredEpsilonInsensitive(),
            "squared_epsilon_insensitive",
            sgd.SquaredEpsilonInsensitive(0.1),
        ),
        (
            SquaredEpsilonInsensitive(epsilon=0.0),
            "squared_epsilon_insensitive",
            sgd.SquaredEpsilonInsensitive(0.0),
        ),
    ],
    ids=repr,
)
def test_epsilon_insensitive_equals_sgd_regressor_losses(loss, function, reference):
    rng = _rng(2)
    y = rng.normal(size=(N, 2))
    p = y + rng.normal(scale=0.3, size=(N, 2))
    p[:3] = y[:3] + [[0.05, -0.05]] * 3  # inside the band
    w = _weights(rng)
    per_sample = _per_element(reference, p, y).mean(axis=1)
    params = {"epsilon": loss.epsilon}
    value = getattr(metrics, function)(y, p, sample_weight=w, **params)
    assert value == pytest.approx(np.average(per_sample, weights=w), rel=1e-12)
    assert loss.metric(y, p, sample_weight=w) == value


def test_mape_equals_sklearn_and_is_keras_over_100():
    rng = _rng(3)
    y = rng.normal(scale=3.0, size=(N, 3))
    y[0, 0] = 0.0  # scikit-learn's floor: float64 eps
    p = y + rng.normal(size=(N, 3))
    w = _weights(rng)
    for multioutput in ("uniform_average", "raw_values", [0.2, 0.3, 0.5]):
        expected = skm.mean_absolute_percentage_error(
            y, p, sample_weight=w, multioutput=multioutput
        )
        value = metrics.mean_absolute_percentage_error(
            y, p, sample_weight=w, multioutput=multioutput
        )
        assert_allclose(value, expected, rtol=1e-12)
    # Keras: 100 |y - p| / max(|y|, 1e-7), the same away from the floor
    keep = np.abs(y).min(axis=1) > KERAS_EPS
    keras = 100 * np.mean(np.abs(y - p) / np.maximum(np.abs(y), KERAS_EPS), axis=1)
    ours = metrics.mape(y[keep], p[keep])
    assert 100 * ours == pytest.approx(keras[keep].mean(), rel=1e-12)
    assert get_loss("mape").name == "mean_absolute_percentage_error"
    assert isinstance(MeanAbsolutePercentageError(), MeanAbsolutePercentageError)


@pytest.mark.parametrize(
    "name, sklearn_metric, positive",
    [
        ("mean_squared_error", skm.mean_squared_error, False),
        ("mean_absolute_error", skm.mean_absolute_error, False),
        ("mean_squared_log_error", skm.mean_squared_log_error, True),
        ("mean_pinball_loss", skm.mean_pinball_loss, False),
        ("mean_absolute_percentage_error", skm.mean_absolute_percentage_error, False),
    ],
)
@pytest.mark.parametrize("multioutput", ["raw_values", "uniform_average", [0.7, 0.3]])
def test_multioutput_as_sklearn(name, sklearn_metric, positive, multioutput):
    rng = _rng(4)
    y = rng.uniform(0.1, 5.0, (N, 2)) if positive else rng.normal(size=(N, 2))
    p = rng.uniform(0.1, 5.0, (N, 2)) if positive else y + rng.normal(size=(N, 2))
    w = _weights(rng)
    for weights in (None, w):
        expected = sklearn_metric(y, p, sample_weight=weights, multioutput=multioutput)
        value = getattr(metrics, name)(
            y, p, sample_weight=weights, multioutput=multioutput
        )
        assert_allclose(value, expected, rtol=1e-12)
        assert np.shape(value) == np.shape(expected)


def test_multioutput_errors():
    y = np.zeros((4, 2))
    with pytest.raises(ValueError, match="as many multioutput weights"):
        metrics.mean_squared_error(y, y, multioutput=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="raw_values"):
        metrics.mean_squared_error(y, y, multioutput="sum")
    with pytest.raises(ValueError, match="regression targets only"):
        get_loss("log_loss").metric([0, 1], [0.2, 0.8], multioutput="raw_values")


# -- classification ---------------------------------------------------------------------
def _margin_inputs(task, seed):
    rng = _rng(seed)
    if task == "binary":
        index = rng.integers(0, 2, N)
        index[:2] = [0, 1]
        return index, rng.normal(scale=1.5, size=N)
    if task == "multiclass":
        index = rng.integers(0, 3, N)
        index[:3] = [0, 1, 2]
        return index, rng.normal(scale=1.5, size=(N, 3))
    y = rng.integers(0, 2, (N, 3))
    return y, rng.normal(scale=1.5, size=(N, 3))


def _sign_columns(y, task):
    if task == "binary":
        return (2.0 * y - 1.0).reshape(-1, 1)
    if task == "multiclass":
        return 2.0 * np.eye(3)[y] - 1.0
    return 2.0 * y - 1.0


@pytest.mark.parametrize(
    "name, reference, task",
    [
        ("modified_huber", sgd.ModifiedHuber(), "binary"),
        ("modified_huber", sgd.ModifiedHuber(), "multiclass"),
        ("perceptron", sgd.Hinge(0.0), "binary"),
        ("perceptron", sgd.Hinge(0.0), "multiclass"),
        ("perceptron", sgd.Hinge(0.0), "multilabel"),
    ],
)
def test_sgd_margin_losses_equal_sgd_classifier_losses(name, reference, task):
    y, f = _margin_inputs(task, seed=len(name) + len(task))
    f = f.reshape(N, -1)
    f[:2] = np.where(f[:2] > 0, 1.0, -1.0)  # margins of exactly +-1
    signs = _sign_columns(y, task)
    elements = _per_element(reference, f, signs)
    # one-vs-all: the classes' binary losses summed; labels averaged
    # summed over classes (Crammer-Singer) and over labels (as scikit-learn's MLP)
    per_sample = elements.sum(axis=1) if task != "binary" else elements.mean(1)
    w = _weights(_rng(5))
    scores = f.ravel() if task == "binary" else f
    value = getattr(metrics, name)(y, scores, sample_weight=w)
    assert value == pytest.approx(np.average(per_sample, weights=w), rel=1e-12)


def test_exponential_equals_gradient_boostings():
    y, f = _margin_inputs("binary", seed=7)
    w = _weights(_rng(7))
    expected = ExponentialLoss().loss(y.astype(float), f)
    assert metrics.exponential(y, f, sample_weight=w) == pytest.approx(
        np.average(expected, weights=w), rel=1e-12
    )
    proba = Exponential().decision_proba(f, "binary")
    assert_allclose(proba, ExponentialLoss().predict_proba(f), rtol=1e-12)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_modified_huber_proba_is_sgd_classifiers(n_classes):
    X, y = make_blobs(n_samples=120, centers=n_classes, random_state=n_classes)
    X = StandardScaler().fit_transform(X)
    sgd_clf = SGDClassifier(loss="modified_huber", random_state=0).fit(X, y)
    decision = sgd_clf.decision_function(X)
    task = "binary" if n_classes == 2 else "multiclass"
    ours = ModifiedHuber().decision_proba(decision.copy(), task)
    assert_allclose(ours, sgd_clf.predict_proba(X), rtol=1e-12)
    # every class at -1: scikit-learn's uniform rows
    if n_classes == 3:
        uniform = ModifiedHuber().decision_proba(-np.ones((2, 3)), task)
        assert_allclose(uniform, np.full((2, 3), 1 / 3))


def test_classifier_predict_proba_from_decision_values():
    X, y = make_blobs(n_samples=90, centers=3, random_state=0)
    X = StandardScaler().fit_transform(X)
    clf = MLPClassifier(loss="modified_huber", max_iter=30, random_state=0).fit(X, y)
    decision = clf.decision_function(X)
    expected = (np.clip(decision, -1, 1) + 1) / 2
    expected /= expected.sum(axis=1, keepdims=True)
    assert_allclose(clf.predict_proba(X), expected, rtol=1e-12)
    binary = MLPClassifier(loss="exponential", max_iter=30, random_state=0)
    binary.fit(X, y == 1)
    p = 1 / (1 + np.exp(-2 * binary.decision_function(X)))
    assert_allclose(binary.predict_proba(X), np.column_stack([1 - p, p]), rtol=1e-12)
    perceptron = MLPClassifier(loss="perceptron", max_iter=5).fit(X, y)
    assert not hasattr(perceptron, "predict_proba")
    assert not hasattr(MLPClassifier(loss="perceptron"), "predict_proba")
    assert hasattr(MLPClassifier(loss="modified_huber"), "predict_proba")


def ref_categorical_focal_keras(index, proba, alpha=0.25, gamma=2.0):
    """Keras categorical_focal_crossentropy: rows normalised, clipped to 1e-7."""
    proba = proba / proba.sum(axis=1, keepdims=True)
    proba = np.clip(proba, KERAS_EPS, 1 - KERAS_EPS)
    onehot = np.eye(proba.shape[1])[index]
    alpha = np.broadcast_to(np.asarray(alpha, dtype=float), (proba.shape[1],))
    focal = alpha * (1 - proba) ** gamma * (-onehot * np.log(proba))
    return focal.sum(axis=1)


def ref_generalized_cross_entropy(index, proba, q=0.5):
    p_true = proba[np.arange(len(index)), index]
    return (1 - p_true**q) / q


def _proba_inputs(n_classes, seed):
    rng = _rng(seed)
    index = rng.integers(0, n_classes, N)
    index[:n_classes] = np.arange(n_classes)
    proba = rng.dirichlet(np.ones(n_classes), N)
    return index, proba


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize(
    "params",
    [{}, {"gamma": 0.0, "alpha": 1.0}, {"gamma": 1.5, "alpha": 0.5}, "per_class"],
    ids=str,
)
def test_categorical_focal_equals_keras(params, n_classes):
    index, proba = _proba_inputs(n_classes, seed=n_classes)
    proba[0] = 0.0
    proba[0, index[0]] = 1.0  # clipped to 1 - 1e-7
    if params == "per_class":
        params = {"alpha": np.linspace(0.5, 2.0, n_classes), "gamma": 1.0}
    labels = np.array(list("abcd"))[:n_classes]
    w = _weights(_rng(9))
    per_sample = ref_categorical_focal_keras(index, proba, **params)
    value = metrics.categorical_focal_crossentropy(
        labels[index], proba, sample_weight=w, **params
    )
    assert value == pytest.approx(np.average(per_sample, weights=w), rel=1e-12)
    if params.get("gamma") == 0.0 and params.get("alpha") == 1.0:
        assert value == pytest.approx(
            skm.log_loss(labels[index], np.clip(proba, KERAS_EPS, 1), sample_weight=w),
            rel=1e-6,
        )


def test_categorical_focal_is_its_own_loss():
    assert type(get_loss("categorical_focal_crossentropy")) is CategoricalFocal
    assert get_loss("binary_focal_crossentropy").name == "binary_focal"
    assert CategoricalFocal().get_params() == {"alpha": 0.25, "gamma": 2.0}
    with pytest.raises(ValueError, match="one weight per class"):
        metrics.categorical_focal_crossentropy([0, 1, 2], np.eye(3), alpha=[1.0, 2.0])


@pytest.mark.parametrize("q", [0.5, 0.1, 1.0])
def test_generalized_cross_entropy_equals_definition(q):
    index, proba = _proba_inputs(3, seed=11)
    w = _weights(_rng(11))
    per_sample = ref_generalized_cross_entropy(index, proba, q)
    value = metrics.categorical_generalized_cross_entropy(
        index, proba, sample_weight=w, q=q
    )
    assert value == pytest.approx(np.average(per_sample, weights=w), rel=1e-12)
    # q = 1: one minus the true class's probability, the MAE of the probabilities
    if q == 1.0:
        mae = np.abs(np.eye(3)[index] - proba).sum(axis=1) / 2
        assert value == pytest.approx(np.average(mae, weights=w), rel=1e-12)


# -- names, estimators and refusals -----------------------------------------------------
NEW_NAMES = {
    "tweedie": Tweedie,
    "gamma": Gamma,
    "epsilon_insensitive": EpsilonInsensitive,
    "squared_epsilon_insensitive": SquaredEpsilonInsensitive,
    "modified_huber": ModifiedHuber,
    "perceptron": Perceptron,
    "exponential": Exponential,
    "pinball_loss": type(get_loss("quantile")),
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "mape": MeanAbsolutePercentageError,
    "categorical_focal_crossentropy": CategoricalFocal,
    "categorical_generalized_cross_entropy": CategoricalGeneralizedCrossEntropy,
}


@pytest.mark.parametrize("name", sorted(NEW_NAMES))
def test_every_new_name_is_accepted_by_get_loss_and_loss(name):
    loss = get_loss(name)
    assert type(loss) is NEW_NAMES[name]
    assert loss.name in loss_names()
    assert get_scorer(f"neg_{loss.name}").loss.name == loss.name
    rng = _rng(0)
    X = rng.normal(size=(40, 3))
    if "regression" in loss.tasks:
        y = np.exp(X[:, 0]) + 0.5  # positive: valid for every regression loss here
        est = MLPRegressor(loss=name, max_iter=3, hidden_layer_sizes=(4,))
    else:
        y = (X[:, 0] > 0).astype(int)
        est = MLPClassifier(loss=name, max_iter=3, hidden_layer_sizes=(4,))
    est.fit(X, y)
    assert est.predict(X).shape == (40,)
    assert np.isfinite(get_scorer(f"neg_{loss.name}")(est, X, y))


@pytest.mark.parametrize(
    "name", ["cosine_similarity", "dice", "tversky", "iou", "circle", "ctc"]
)
def test_keras_losses_that_do_not_fit_a_tabular_mlp_are_refused(name):
    with pytest.raises(ValueError, match=f"The '{name}' loss is not offered: ") as info:
        get_loss(name)
    message = str(info.value)
    assert "Use '" in message or "use '" in message  # says what to use instead
    X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="is not offered"):
        MLPClassifier(loss=name).fit(X, y)


def test_domains_are_checked_from_the_interval():
    X = np.zeros((6, 2))
    with pytest.raises(ValueError, match="gamma loss needs strictly positive targets"):
        MLPRegressor(loss="gamma", max_iter=1).fit(X, [1.0, 2.0, 0.0, 1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="tweedie loss needs non-negative targets"):
        MLPRegressor(loss="tweedie", max_iter=1).fit(X, [1.0, -2.0, 0, 1, 2, 3])
    # power 0 is the squared error: any real target (the log link still predicts > 0)
    MLPRegressor(loss=Tweedie(power=0), max_iter=1).fit(X, [1.0, -2.0, 0, 1, 2, 3])
    with pytest.raises(ValueError, match="strictly positive y_true"):
        metrics.mean_gamma_deviance([0.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError):
        skm.mean_gamma_deviance([0.0, 1.0], [1.0, 1.0])
    tags = MLPRegressor(loss="gamma").__sklearn_tags__()
    assert tags.target_tags.positive_only
    assert not MLPRegressor(loss="mape").__sklearn_tags__().target_tags.positive_only


def test_multilabel_perceptron_trains_and_modified_huber_refuses():
    X, Y = make_multilabel_classification(n_samples=80, n_classes=3, random_state=0)
    clf = MLPClassifier(loss="perceptron", max_iter=50, random_state=0).fit(X, Y)
    assert clf.predict(X).shape == Y.shape
    with pytest.raises(ValueError, match="does not apply to multilabel"):
        MLPClassifier(loss="modified_huber", max_iter=5).fit(X, Y)
    tags = MLPClassifier(loss="exponential").__sklearn_tags__().classifier_tags
    assert not tags.multi_class and not tags.multi_label


# -- the best constant prediction (the output-bias start) -------------------------------
def _numerical_best_constant(loss, y_encoded, weight, task, n_units):
    """Minimise the weighted mean raw loss over a constant raw vector with SciPy."""
    from scipy.optimize import minimize

    from sklearn_losses.losses import ACTIVATIONS

    activation = ACTIVATIONS[loss.activation(task)]
    target = torch.as_tensor(y_encoded)

    def objective(z):
        raw = torch.as_tensor(np.tile(z, (len(y_encoded), 1)))
        values = loss.raw_loss(raw, target, activation).numpy()
        return np.average(values, weights=weight)

    return minimize(
        objective,
        np.zeros(n_units),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20000},
    ).x


@pytest.mark.parametrize(
    "loss, task",
    [
        (Tweedie(), "regression"),
        (Tweedie(power=1.0), "regression"),
        (Tweedie(power=3.0), "regression"),
        (Gamma(), "regression"),
        (Exponential(), "binary"),
        (ModifiedHuber(), "binary"),
        (ModifiedHuber(), "multiclass"),
    ],
    ids=lambda v: repr(v) if not isinstance(v, str) else v,
)
def test_fit_intercept_only_is_the_best_constant(loss, task):
    rng = _rng(12)
    n = 60
    weight = rng.uniform(0.5, 2.0, n)
    if task == "regression":
        y = rng.gamma(2.0, size=(n, 2))
    elif task == "binary":
        y = (rng.uniform(size=n) < 0.3).astype(int)
    else:
        y = rng.integers(0, 3, n)
    encoded = loss.encode_target(y, task)
    start = loss.fit_intercept_only(encoded, weight, task)
    n_units = loss.n_outputs(
        task, 2 if task == "regression" else (3 if task == "multiclass" else 2)
    )
    assert start.shape == (n_units,)
    expected = _numerical_best_constant(loss, encoded, weight, task, n_units)
    assert_allclose(start, expected, atol=1e-5)


def test_epsilon_band_edges_get_autograds_gradient():
    # errors of exactly +-epsilon: relu's rule gives no gradient there
    from sklearn_losses.losses import ACTIVATIONS

    identity = ACTIVATIONS["identity"]
    y = torch.zeros(4, 1, dtype=torch.float64)
    raw = torch.tensor([[0.5], [-0.5], [0.7], [0.2]], dtype=torch.float64)
    for loss in (
        EpsilonInsensitive(epsilon=0.5),
        SquaredEpsilonInsensitive(epsilon=0.5),
    ):
        _, gradient = loss.raw_loss_gradient(raw, y, identity)
        leaf = raw.clone().requires_grad_()
        loss.raw_loss(leaf, y, identity).sum().backward()
        assert_allclose(gradient.numpy(), leaf.grad.numpy(), atol=1e-15)
        assert gradient[0, 0] == gradient[1, 0] == 0.0


# -- the metric on a fitted estimator's responses is its training criterion -------------
CRITERION_CASES = [
    ("tweedie", {}, "counts"),
    ("tweedie", {"power": 3.0}, "positive"),
    ("gamma", {}, "positive"),
    ("epsilon_insensitive", {"epsilon": 0.2}, "real"),
    ("squared_epsilon_insensitive", {}, "real"),
    ("mean_absolute_percentage_error", {}, "positive"),
    ("modified_huber", {}, "binary"),
    ("modified_huber", {}, "multiclass"),
    ("perceptron", {}, "multiclass"),
    ("perceptron", {}, "multilabel"),
    ("exponential", {}, "binary"),
    ("categorical_focal_crossentropy", {"alpha": [0.5, 1.0, 2.0]}, "multiclass"),
    ("categorical_focal_crossentropy", {}, "binary"),
    ("categorical_generalized_cross_entropy", {"q": 0.7}, "multiclass"),
]


def _criterion_data(kind):
    rng = _rng(13)
    X = rng.normal(size=(120, 4)).astype(np.float64)
    signal = X @ np.array([0.6, -0.4, 0.3, 0.0])
    if kind == "real":
        return X, signal + rng.normal(scale=0.5, size=120)
    if kind == "counts":
        return X, rng.poisson(np.exp(signal)).astype(float)
    if kind == "positive":
        return X, np.exp(signal) * rng.gamma(5.0, 0.2, 120)
    if kind == "binary":
        return X, np.where(signal > 0, "yes", "no")
    if kind == "multiclass":
        return X, np.digitize(signal, [-0.4, 0.4])
    return X, np.column_stack([signal > 0, X[:, 1] > 0, X[:, 2] > 0.5]).astype(int)


@pytest.mark.parametrize(
    "name, params, kind",
    CRITERION_CASES,
    ids=[f"{c[0]}-{c[2]}" for c in CRITERION_CASES],
)
def test_metric_equals_training_criterion(name, params, kind):
    X, y = _criterion_data(kind)
    loss = get_loss(name).set_params(**params)
    regression = kind in ("real", "counts", "positive")
    Estimator = MLPRegressor if regression else MLPClassifier
    est = Estimator(
        loss=loss,
        hidden_layer_sizes=(8,),
        max_iter=20,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X, y)
    if regression:
        encoded = y.reshape(len(y), -1)
    elif kind == "multilabel":
        encoded = y
    else:
        encoded = np.searchsorted(est.classes_, y)
    target = torch.as_tensor(est._loss.encode_target(encoded, est._task))
    with torch.no_grad():
        raw = est.net_.module_(torch.as_tensor(X))
        per_sample = est.net_.criterion_(raw, target).double().numpy()
        per_sample *= est.net_.n_labels  # the objective sums over labels
    method = "predict" if regression else loss.response_method
    function = getattr(metrics, loss.metric_function_names()[0])
    w = _rng(1).uniform(0.2, 2.0, len(X))
    assert per_sample.std() > 1e-4
    assert function(y, getattr(est, method)(X), sample_weight=w, **params) == (
        pytest.approx(np.average(per_sample, weights=w), rel=1e-9)
    )
