"""Each loss: its output layer and target encoding, that it learns, and sample weights."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from sklearn.datasets import make_blobs, make_regression
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_losses import MLPClassifier, MLPRegressor
from sklearn_losses.losses import (
    ACTIVATIONS,
    BinaryFocal,
    CategoricalHinge,
    Hinge,
    Huber,
    KLDivergence,
    LogLoss,
    Loss,
    Quantile,
    SquaredLogError,
    get_loss,
    loss_aliases,
    loss_names,
)

REGRESSION = loss_names("regression")
CLASSIFICATION = sorted(set(loss_names("binary")) | set(loss_names("multiclass")))
FAST = dict(hidden_layer_sizes=(16,), random_state=0)

# The reference guidance, written out independently of the loss classes:
# (output activation, number of output units) per task.
EXPECTED_REGRESSION = {
    "squared_error": "identity",
    "absolute_error": "identity",
    "squared_log_error": "identity",
    "huber": "identity",
    "log_cosh": "identity",
    "poisson": "exp",
    "quantile": "identity",
    "tweedie": "exp",
    "gamma": "exp",
    "epsilon_insensitive": "identity",
    "squared_epsilon_insensitive": "identity",
    "mean_absolute_percentage_error": "identity",
    "gaussian_nll": "gaussian",
}
# Output units per target where a loss predicts more than one number per target.
UNITS_PER_TARGET = {"gaussian_nll": 2}
EXPECTED_BINARY = {
    "log_loss": ("logistic", 1),
    "sparse_categorical_crossentropy": ("softmax", 2),
    "kl_divergence": ("softmax", 2),
    "hinge": ("tanh", 1),
    "squared_hinge": ("tanh", 1),
    "categorical_hinge": ("identity", 1),
    "binary_focal": ("logistic", 1),
    "categorical_focal_crossentropy": ("softmax", 2),
    "categorical_generalized_cross_entropy": ("softmax", 2),
    "modified_huber": ("identity", 1),
    "perceptron": ("identity", 1),
    "exponential": ("identity", 1),
}
EXPECTED_MULTICLASS = {
    "log_loss": "softmax",
    "sparse_categorical_crossentropy": "softmax",
    "kl_divergence": "softmax",
    "hinge": "tanh",
    "squared_hinge": "tanh",
    "categorical_hinge": "identity",
    "binary_focal": "softmax",
    "categorical_focal_crossentropy": "softmax",
    "categorical_generalized_cross_entropy": "softmax",
    "modified_huber": "identity",
    "perceptron": "identity",
}
MULTILABEL = {"log_loss": "logistic", "hinge": "tanh", "squared_hinge": "tanh"}
MULTILABEL["binary_focal"] = "logistic"
MULTILABEL.update(perceptron="identity")


def test_expectations_name_registered_losses_of_their_task():
    # The tables hold the design of the built-in losses; a loss missing from them
    # (a new one) is checked against its own declaration below.
    assert set(EXPECTED_REGRESSION) <= set(REGRESSION)
    assert set(EXPECTED_BINARY) <= set(CLASSIFICATION)
    assert set(EXPECTED_MULTICLASS) <= set(loss_names("multiclass"))
    assert set(MULTILABEL) <= set(loss_names("multilabel"))


def _expected(table, name, task, with_units=False):
    """The reference table's entry, else what the loss declares."""
    if name in table:
        return table[name]
    loss = get_loss(name)
    activation = loss.activation(task)
    return (activation, loss.n_outputs(task, 2)) if with_units else activation


# -- names ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "alias, canonical",
    [
        ("mse", "squared_error"),
        ("mean_squared_error", "squared_error"),
        ("mae", "absolute_error"),
        ("mean_absolute_error", "absolute_error"),
        ("msle", "squared_log_error"),
        ("mean_squared_logarithmic_error", "squared_log_error"),
        ("huber_loss", "huber"),
        ("logcosh", "log_cosh"),
        ("pinball", "quantile"),
        ("binary_crossentropy", "log_loss"),
        ("bce", "log_loss"),
        ("categorical_crossentropy", "log_loss"),
        ("binary_focal_crossentropy", "binary_focal"),
        ("focal", "binary_focal"),
        ("kld", "kl_divergence"),
        ("kullback_leibler_divergence", "kl_divergence"),
        ("pinball_loss", "quantile"),
        ("mape", "mean_absolute_percentage_error"),
        ("categorical_focal", "categorical_focal_crossentropy"),
        ("gce", "categorical_generalized_cross_entropy"),
    ],
)
def test_aliases(alias, canonical):
    assert get_loss(alias).name == canonical
    assert loss_aliases()[alias] == canonical


def test_unknown_name_lists_valid_names_and_closest_match():
    with pytest.raises(ValueError, match="Did you mean 'hinge'") as info:
        get_loss("hnige")
    assert "squared_error" in str(info.value) and "kl_divergence" in str(info.value)


def test_get_loss_accepts_objects_classes_and_functions():
    huber = Huber(delta=2.0)
    assert get_loss(huber) is huber
    assert isinstance(get_loss(Huber), Huber)
    assert get_loss(lambda p, t: (p - t).abs().mean()).name == "custom"
    with pytest.raises(TypeError, match="loss must be"):
        get_loss(3)


def test_loss_parameters_are_estimator_params():
    loss = Huber(delta=0.5)
    assert loss.get_params() == {"delta": 0.5, "out_activation": None}
    assert loss.set_params(delta=2.0).delta == 2.0
    with pytest.raises(ValueError, match="delta"):
        Huber(delta=-1).validate()
    with pytest.raises(ValueError, match="label_smoothing"):
        LogLoss(label_smoothing=1.0).validate()
    with pytest.raises(ValueError, match="alpha"):
        Quantile(alpha=1.5).validate()


# -- formulas: stable training forms equal the definitions ----------------------------
def _raw_and_targets(loss: Loss, task: str, rng):
    n, k = 50, 3
    raw = torch.as_tensor(rng.normal(scale=3, size=(n, loss.n_outputs(task, k))))
    if task == "regression":
        y = (
            np.abs(rng.normal(size=(n, k))) + 0.01
            if loss.positive_target
            else rng.normal(size=(n, k))
        )
    elif task == "multilabel":
        y = rng.integers(0, 2, size=(n, k))
    else:
        y = rng.integers(0, 2 if task == "binary" else k, size=n)
    return raw, torch.as_tensor(loss.encode_target(y, task))


@pytest.mark.parametrize(
    "name, task",
    [(name, "regression") for name in REGRESSION]
    + [
        (name, task)
        for name in CLASSIFICATION
        for task in ("binary", "multiclass")
        if task in get_loss(name).tasks
    ]
    + [(name, "multilabel") for name in MULTILABEL],
)
def test_raw_loss_equals_loss_of_activated_outputs(name, task):
    rng = np.random.default_rng(0)
    loss = get_loss(name)
    raw, target = _raw_and_targets(loss, task, rng)
    activation = loss.output_activation(task)
    from_raw = loss.raw_loss(raw, target, activation)
    from_prediction = loss.loss(activation.torch_fn(raw), target)
    assert from_raw.shape == (len(raw),)
    # Probability clipping only differs where a probability is below 1e-7.
    assert_allclose(from_raw.numpy(), from_prediction.numpy(), rtol=1e-6, atol=2e-6)


def test_formulas_match_torch_references():
    rng = np.random.default_rng(1)
    pred = torch.as_tensor(rng.normal(size=(40, 1)))
    true = torch.as_tensor(rng.normal(size=(40, 1)))
    F = torch.nn.functional
    assert_allclose(
        get_loss("mse").loss(pred, true), F.mse_loss(pred, true, reduction="none")[:, 0]
    )
    assert_allclose(
        get_loss("mae").loss(pred, true), F.l1_loss(pred, true, reduction="none")[:, 0]
    )
    assert_allclose(
        Huber(delta=0.7).loss(pred, true),
        F.huber_loss(pred, true, delta=0.7, reduction="none")[:, 0],
    )
    assert_allclose(
        get_loss("log_cosh").loss(pred, true),
        np.log(np.cosh((pred - true).numpy()))[:, 0],
    )
    e = (true - pred).numpy()[:, 0]
    assert_allclose(Quantile(alpha=0.9).loss(pred, true), np.maximum(0.9 * e, -0.1 * e))

    logits = torch.as_tensor(rng.normal(size=(40, 4)))
    index = torch.as_tensor(rng.integers(0, 4, size=40))
    assert_allclose(
        KLDivergence().raw_loss(logits, index, ACTIVATIONS["softmax"]),
        F.cross_entropy(logits, index, reduction="none"),
        atol=1e-5,  # Keras clipping of the one-hot target at 1e-7
    )
    smoothed = LogLoss(label_smoothing=0.2).raw_loss(
        logits, index, ACTIVATIONS["softmax"]
    )
    target = F.one_hot(index, 4).double() * 0.8 + 0.2 / 4  # ls / C for softmax
    assert_allclose(smoothed, -(target * F.log_softmax(logits, 1)).sum(1))


def test_binary_label_smoothing_uses_half():
    logits = torch.tensor([[0.3], [-1.2]], dtype=torch.float64)
    y = torch.tensor([[1.0], [0.0]], dtype=torch.float64)
    value = LogLoss(label_smoothing=0.2).raw_loss(logits, y, ACTIVATIONS["logistic"])
    smoothed = y * 0.8 + 0.1
    p = torch.sigmoid(logits)
    expected = -(smoothed * p.log() + (1 - smoothed) * (1 - p).log())[:, 0]
    assert_allclose(value, expected)


def test_multiclass_hinge_is_crammer_singer_and_categorical_hinge_follows_keras():
    scores = torch.tensor([[0.5, 0.2, -0.3], [-0.4, -0.6, -0.9]], dtype=torch.float64)
    index = torch.tensor([0, 1])
    # Crammer-Singer: max(0, 1 - (s_t - max_{j != t} s_j))
    assert_allclose(Hinge().loss(scores, index), [1 - (0.5 - 0.2), 1 - (-0.6 + 0.4)])
    # Keras: max(0, 1 + max_j((1 - y_j) s_j) - s_t); the max includes the true class's 0.
    assert_allclose(
        CategoricalHinge().loss(scores, index), [1 + 0.2 - 0.5, 1 + 0.0 + 0.6]
    )


def test_focal_reduces_to_cross_entropy_and_downweights_easy_samples():
    logits = torch.tensor([[4.0], [-0.2]], dtype=torch.float64)
    y = torch.tensor([[1.0], [1.0]], dtype=torch.float64)
    sigmoid = ACTIVATIONS["logistic"]
    bce = LogLoss().raw_loss(logits, y, sigmoid)
    assert_allclose(BinaryFocal(gamma=0.0).raw_loss(logits, y, sigmoid), bce)
    focal = BinaryFocal(gamma=2.0).raw_loss(logits, y, sigmoid)
    p = torch.sigmoid(logits)[:, 0]
    assert_allclose(focal, (1 - p) ** 2 * bce)
    weighted = BinaryFocal(gamma=2.0, alpha=0.25).raw_loss(logits, 1 - y, sigmoid)
    zero_target = LogLoss().raw_loss(logits, 1 - y, sigmoid)
    assert_allclose(weighted, 0.75 * p**2 * zero_target)


# -- what the loss fixes in the network -----------------------------------------------
@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=150, centers=3, cluster_std=1.5, random_state=0)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classifier_output_layer_and_encoding(name, blobs):
    X, y = blobs
    binary = MLPClassifier(loss=name, max_iter=5, **FAST).fit(X, y == 1)
    activation, units = _expected(EXPECTED_BINARY, name, "binary", with_units=True)
    assert (binary.out_activation_, binary.n_outputs_) == (activation, units)
    if "multiclass" in get_loss(name).tasks:
        multi = MLPClassifier(loss=name, max_iter=5, **FAST).fit(X, y)
        assert (multi.out_activation_, multi.n_outputs_) == (
            _expected(EXPECTED_MULTICLASS, name, "multiclass"),
            3,
        )
        assert multi.coefs_[-1].shape == (16, 3)
    else:
        with pytest.raises(ValueError, match="does not apply to multiclass"):
            MLPClassifier(loss=name, max_iter=5, **FAST).fit(X, y)

    encoded = get_loss(name).encode_target(np.array([0, 1, 1]), "binary")
    if units == 2:  # softmax losses take class indices
        assert encoded.dtype == np.int64 and encoded.tolist() == [0, 1, 1]
    elif activation == "logistic":
        assert encoded.tolist() == [[0.0], [1.0], [1.0]]
    else:  # the hinge family takes {-1, +1}
        assert encoded.tolist() == [[-1.0], [1.0], [1.0]]


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_multilabel_support(name, blobs):
    X, y = blobs
    Y = np.column_stack([y == 0, y == 1, y != 2]).astype(int)
    clf = MLPClassifier(loss=name, max_iter=5, **FAST)
    if "multilabel" not in get_loss(name).tasks:
        with pytest.raises(ValueError, match="does not apply to multilabel"):
            clf.fit(X, Y)
        return
    clf.fit(X, Y)
    assert clf.out_activation_ == _expected(MULTILABEL, name, "multilabel")
    assert clf.predict(X).shape == Y.shape
    assert set(np.unique(clf.predict(X))) <= {0, 1}


@pytest.mark.parametrize("name", REGRESSION)
def test_regressor_output_layer(name):
    X, y = make_regression(n_samples=40, n_features=3, random_state=0)
    reg = MLPRegressor(loss=name, max_iter=3, **FAST).fit(X, np.abs(y) + 1.0)
    assert reg.out_activation_ == _expected(EXPECTED_REGRESSION, name, "regression")
    assert reg.n_outputs_ == UNITS_PER_TARGET.get(name, 1)


def test_out_activation_override():
    X, y = make_blobs(n_samples=60, centers=2, random_state=0)
    clf = MLPClassifier(loss=Hinge(out_activation="identity"), max_iter=5, **FAST).fit(
        X, y
    )
    assert clf.out_activation_ == "identity"
    X, y = make_regression(n_samples=40, n_features=3, random_state=0)
    reg = MLPRegressor(
        loss=SquaredLogError(out_activation="softplus"), max_iter=3, **FAST
    )
    assert reg.fit(X, np.abs(y)).out_activation_ == "softplus"
    assert (reg.predict(X) > 0).all()
    with pytest.raises(ValueError, match="out_activation"):
        MLPClassifier(loss=Hinge(out_activation="softmax"), **FAST).fit(X, y > 0)


def test_loss_for_the_wrong_task_is_refused():
    X, y = make_regression(n_samples=30, n_features=3, random_state=0)
    with pytest.raises(ValueError, match="'hinge' loss does not apply to regression"):
        MLPRegressor(loss="hinge").fit(X, y)
    with pytest.raises(ValueError, match="'huber' loss does not apply to binary"):
        MLPClassifier(loss="huber").fit(X, y > 0)


def test_msle_warns_about_negative_targets_and_poisson_refuses_them():
    X, y = make_regression(n_samples=30, n_features=3, random_state=0)
    with pytest.warns(UserWarning, match="clips values below 0"):
        MLPRegressor(loss="msle", max_iter=2, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="non-negative targets"):
        MLPRegressor(loss="poisson", max_iter=2, **FAST).fit(X, y)


# -- every loss learns ------------------------------------------------------------------
def _regression_data(name):
    """Data in the loss's target domain: real values, counts or positive amounts."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    signal = X @ np.array([0.8, -0.5, 0.3, 0.0])
    domain = get_loss(name).interval_y_true
    if domain.is_real_line:
        y = signal + 0.1 * rng.normal(size=300)
    elif domain.includes(0.0):
        y = rng.poisson(np.exp(signal)).astype(float)
    else:
        y = np.exp(signal) * rng.gamma(20.0, 1 / 20.0, size=300)
    return train_test_split(X, y, random_state=0)


@pytest.mark.parametrize("name", REGRESSION)
def test_regression_losses_beat_the_dummy(name):
    X_train, X_test, y_train, y_test = _regression_data(name)
    reg = MLPRegressor(loss=name, max_iter=200, learning_rate_init=0.01, **FAST)
    reg.fit(X_train, y_train)
    dummy = DummyRegressor().fit(X_train, y_train)
    assert reg.score(X_test, y_test) > dummy.score(X_test, y_test) + 0.3


@pytest.mark.parametrize(
    "name, n_classes",
    [(name, 2) for name in CLASSIFICATION]
    + [(name, 3) for name in loss_names("multiclass")],
)
def test_classification_losses_beat_the_dummy(name, n_classes):
    X, y = make_blobs(n_samples=300, centers=n_classes, cluster_std=2.0, random_state=3)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    clf = MLPClassifier(loss=name, max_iter=100, learning_rate_init=0.01, **FAST)
    clf.fit(X_train, y_train)
    dummy = DummyClassifier().fit(X_train, y_train)
    assert clf.score(X_test, y_test) > dummy.score(X_test, y_test) + 0.2


# -- sample weights ---------------------------------------------------------------------
def _weighted_fits(estimator, X, y, weight):
    """Fit with integer weights, and with rows dropped (weight 0) / repeated."""
    weighted = estimator.fit(X, y, sample_weight=weight).predict(X)
    repeated = estimator.fit(np.repeat(X, weight, axis=0), np.repeat(y, weight, axis=0))
    return weighted, repeated.predict(X)


def _task_data(name, regression):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    if regression:
        y = np.abs(X @ [1.0, -0.5, 0.2]) + (
            1.0 if get_loss(name).positive_target else 0.0
        )
    else:
        y = (X[:, 0] + 0.3 * X[:, 1] > 0).astype(int)
        if "multiclass" in get_loss(name).tasks:
            y += X[:, 2] > 1
    return X, y


@pytest.mark.parametrize(
    "name, regression",
    [(n, True) for n in REGRESSION] + [(n, False) for n in CLASSIFICATION],
)
def test_zero_weight_equals_dropping_rows(name, regression):
    X, y = _task_data(name, regression)
    weight = np.ones(len(X), dtype=int)
    weight[::4] = 0
    Estimator = MLPRegressor if regression else MLPClassifier
    # Full-batch training: dropping rows leaves every batch's objective unchanged.
    est = Estimator(loss=name, max_iter=30, shuffle=False, **FAST)
    weighted, dropped = _weighted_fits(est, X, y, weight)
    assert_allclose(weighted, dropped, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", REGRESSION + CLASSIFICATION)
def test_integer_weights_approximate_repetition_with_minibatches(name):
    # Every input appears twice with conflicting targets; weights 3 and 1 move the
    # optimum (weighted mean or median, majority label) away from the unweighted one.
    if name == "perceptron":
        # 3 max(0, -f) + max(0, f) is least at f = 0: with conflicting labels the
        # perceptron criterion has no majority to find (zero weights are tested above).
        pytest.skip("the perceptron criterion is minimised by f = 0 here")
    regression = name in REGRESSION
    rng = np.random.default_rng(1)
    X_half = rng.uniform(-1, 1, size=(30, 2))
    X = np.vstack([X_half, X_half])
    if regression:
        base = X_half @ [1.0, -0.5] + 2.0  # positive, for Poisson and MSLE
        y = np.concatenate([base, base + 2.0])
    else:
        label = (X_half[:, 0] > 0).astype(int)
        y = np.concatenate([label, 1 - label])
    weight = np.repeat([3, 1], len(X_half))
    Estimator = MLPRegressor if regression else MLPClassifier
    # MSLE's linear output gets no gradient once it falls below zero; its exp output
    # (and Poisson's) needs more epochs to settle on targets between 2 and 6.
    loss = (
        SquaredLogError(out_activation="exp") if name == "squared_log_error" else name
    )
    log_link = regression and get_loss(name).activation("regression") == "exp"
    epochs = 600 if name == "squared_log_error" or log_link else 200
    est = Estimator(
        loss=loss,
        max_iter=epochs,
        n_iter_no_change=epochs,  # train for all epochs: compare converged models
        batch_size=10,
        learning_rate_init=0.01,
        **FAST,
    )
    weighted = est.fit(X, y, sample_weight=weight).predict(X)
    # Batches of the same total weight, so both fits take the same number of steps.
    repeated = est.set_params(batch_size=20).fit(
        np.repeat(X, weight, axis=0), np.repeat(y, weight, axis=0)
    )
    repeated = repeated.predict(X)
    est.set_params(batch_size=10)
    heavy = y[: len(X_half)]
    if regression:
        unweighted = est.fit(X, y).predict(X)
        assert np.abs(weighted - repeated).mean() < 0.15
        # Weighting pulls predictions towards the heavy copy, as repetition does.
        gap_weighted = np.abs(weighted[: len(X_half)] - heavy).mean()
        gap_unweighted = np.abs(unweighted[: len(X_half)] - heavy).mean()
        # (A loss whose unweighted optimum is the heavy copy already, as the
        # percentage error's is for the smaller targets, has nothing to pull.)
        if gap_unweighted > 0.3:
            assert gap_weighted < gap_unweighted - 0.2
    else:
        assert np.mean(weighted == repeated) > 0.9
        assert np.mean(weighted[: len(X_half)] == heavy) > 0.9
