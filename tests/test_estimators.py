"""The estimators as drop-in replacements: parameters, attributes, solvers, schedules."""

import inspect
import pickle
import warnings
from functools import partial

import numpy as np
import pytest
import sklearn.neural_network as sknn
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_blobs, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_losses import MLPClassifier, MLPRegressor
from sklearn_losses.losses import Huber, Loss, RegressionLoss
from sklearn_losses.neural_network import MLPModule

FAST = dict(hidden_layer_sizes=(16,), random_state=0)


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=120, n_features=4, noise=5, random_state=0)
    return StandardScaler().fit_transform(X), (y - y.mean()) / y.std()


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=150, centers=3, random_state=0)
    return StandardScaler().fit_transform(X), y


# -- drop-in parity ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "ours, theirs",
    [(MLPRegressor, sknn.MLPRegressor), (MLPClassifier, sknn.MLPClassifier)],
)
def test_same_parameters_order_and_defaults_as_sklearn(ours, theirs):
    mine = inspect.signature(ours).parameters
    reference = inspect.signature(theirs).parameters
    shared = [name for name in mine if name in reference]
    assert shared == list(reference)  # same names, same order
    for name in reference:
        assert mine[name].default == reference[name].default, name
        assert mine[name].kind == reference[name].kind, name
    extra = [name for name in mine if name not in reference]
    assert extra == (
        ["device", "module", "callbacks"]
        if ours is MLPRegressor
        else ["loss", "class_weight", "device", "module", "callbacks"]
    )
    if ours is MLPClassifier:
        assert mine["loss"].kind == inspect.Parameter.KEYWORD_ONLY
        assert mine["loss"].default == "log_loss"


def test_fitted_attributes_match_sklearn(regression):
    X, y = regression
    ours = MLPRegressor(max_iter=20, **FAST).fit(X, y)
    theirs = sknn.MLPRegressor(max_iter=20, **FAST).fit(X, y)
    for name in ["loss_", "best_loss_"]:
        assert isinstance(getattr(ours, name), float), name
    for name in [
        "loss_curve_",
        "validation_scores_",
        "best_validation_score_",
        "n_iter_",
        "t_",
        "n_layers_",
        "n_outputs_",
        "out_activation_",
        "n_features_in_",
    ]:
        assert type(getattr(ours, name)) is type(getattr(theirs, name)), name
    assert [c.shape for c in ours.coefs_] == [c.shape for c in theirs.coefs_]
    assert [b.shape for b in ours.intercepts_] == [b.shape for b in theirs.intercepts_]
    assert (ours.n_iter_, ours.t_, ours.n_layers_) == (
        theirs.n_iter_,
        theirs.t_,
        theirs.n_layers_,
    )
    assert ours.loss_ == ours.loss_curve_[-1] and len(ours.loss_curve_) == 20


def test_coefs_are_the_network_weights(regression):
    X, y = regression
    reg = MLPRegressor(activation="tanh", max_iter=5, **FAST).fit(X, y)
    hidden = np.tanh(X @ reg.coefs_[0] + reg.intercepts_[0])
    assert_allclose(
        hidden @ reg.coefs_[1] + reg.intercepts_[1],
        reg.predict(X)[:, None]
        if False
        else (hidden @ reg.coefs_[1] + reg.intercepts_[1]),
    )
    assert_allclose(
        (hidden @ reg.coefs_[1] + reg.intercepts_[1]).ravel(), reg.predict(X)
    )


def test_feature_names(regression):
    pd = pytest.importorskip("pandas")
    X, y = regression
    frame = pd.DataFrame(X, columns=list("abcd"))
    reg = MLPRegressor(max_iter=2, **FAST).fit(frame, y)
    assert_array_equal(reg.feature_names_in_, list("abcd"))


def test_initialisation_matches_sklearn_bounds():
    generator = torch.Generator().manual_seed(0)
    module = MLPModule(10, 3, (50,), "relu", generator=generator)
    bound = np.sqrt(6 / (10 + 50))
    weight = module.layers[0].weight.detach().numpy()
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.9 * bound
    he = MLPModule(10, 3, (50,), "relu", init="he_uniform", generator=generator)
    assert np.abs(he.layers[0].weight.detach().numpy()).max() > 0.9 * np.sqrt(6 / 10)
    assert not he.layers[0].bias.detach().numpy().any()


# -- solvers and schedules ----------------------------------------------------------------
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_solvers_learn(solver, regression):
    X, y = regression
    reg = MLPRegressor(solver=solver, max_iter=300, learning_rate_init=0.01, **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    assert reg.score(X, y) > 0.9
    assert isinstance(reg.loss_, float) and np.isfinite(reg.loss_)
    if solver == "lbfgs":
        assert 0 < reg.n_iter_ <= 300 and not hasattr(reg, "loss_curve_")


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_convergence_warning_at_max_iter(solver, regression):
    X, y = regression
    with pytest.warns(ConvergenceWarning):
        MLPRegressor(solver=solver, max_iter=3, **FAST).fit(X, y)


def test_stops_when_training_loss_stalls(regression):
    X, y = regression
    params = dict(max_iter=500, tol=1.0, n_iter_no_change=3, **FAST)
    reg = MLPRegressor(**params).fit(X, y)
    # tol=1: no epoch improves enough, so both stop by the same rule at the same epoch.
    assert reg.n_iter_ == sknn.MLPRegressor(**params).fit(X, y).n_iter_ == 5
    assert reg.best_loss_ == min(reg.loss_curve_)


def test_invscaling_learning_rate(regression):
    X, y = regression
    reg = MLPRegressor(
        solver="sgd",
        learning_rate="invscaling",
        learning_rate_init=0.1,
        power_t=0.5,
        max_iter=3,
        **FAST,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    lr = reg.net_.optimizer_.param_groups[0]["lr"]
    assert lr == pytest.approx(0.1 / (3 * len(X) + 1) ** 0.5)


def test_adaptive_learning_rate_divides_by_five_then_stops(regression):
    X, y = regression
    reg = MLPRegressor(
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.1,
        tol=10.0,
        n_iter_no_change=1,
        max_iter=100,
        **FAST,
    ).fit(X, y)
    lr = reg.net_.optimizer_.param_groups[0]["lr"]
    # 0.1 is divided by 5 until it is at most 1e-6, then training stops, as in sklearn.
    reference = sknn.MLPRegressor(
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.1,
        tol=10.0,
        n_iter_no_change=1,
        max_iter=100,
        **FAST,
    ).fit(X, y)
    assert lr == pytest.approx(reference._optimizer.learning_rate) == 0.1 / 5**8
    assert reg.n_iter_ == reference.n_iter_ < 100


def test_early_stopping_restores_the_best_weights(blobs):
    X, y = blobs
    clf = MLPClassifier(
        early_stopping=True, max_iter=200, n_iter_no_change=5, **FAST
    ).fit(X, y)
    assert clf.n_iter_ < 200
    assert len(clf.validation_scores_) == clf.n_iter_ == len(clf.loss_curve_)
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None
    # Re-create the internal split to check the restored weights score the best.
    from sklearn.model_selection import train_test_split

    seed = np.random.RandomState(0).randint(np.iinfo(np.int32).max)
    _, X_val, _, y_val = train_test_split(
        X, y, random_state=seed, test_size=0.1, stratify=y
    )
    assert clf.score(X_val, y_val) == clf.best_validation_score_


def test_validation_data_records_curves(blobs):
    X, y = blobs
    clf = MLPClassifier(max_iter=15, **FAST).fit(
        X[:100], y[:100], validation_data=(X[100:], y[100:])
    )
    assert len(clf.validation_loss_curve_) == len(clf.validation_scores_) == 15
    assert clf.validation_scores_[-1] == clf.score(X[100:], y[100:])
    proba = clf.predict_proba(X[100:])
    expected = -np.log(
        proba[np.arange(50), np.searchsorted(clf.classes_, y[100:])]
    ).mean()
    assert clf.validation_loss_curve_[-1] == pytest.approx(expected, rel=1e-6)


# -- warm start and partial fit ---------------------------------------------------------
def test_warm_start_continues(regression):
    X, y = regression
    reg = MLPRegressor(max_iter=10, warm_start=True, **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
        first = list(reg.loss_curve_)
        weights = reg.coefs_[0].copy()
        reg.fit(X, y)
    assert len(reg.loss_curve_) == 20 and reg.loss_curve_[:10] == first
    assert reg.loss_curve_[10] < first[0]
    assert not np.allclose(weights, reg.coefs_[0])


def test_partial_fit(blobs):
    X, y = blobs
    clf = MLPClassifier(**FAST)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    clf.partial_fit(X[50:], y[50:])
    assert clf.n_iter_ == 1 and clf.t_ == 150 and len(clf.loss_curve_) == 2
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X, np.where(y == 0, 7, y))
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")


# -- targets ------------------------------------------------------------------------------
def test_multi_output_regression(regression):
    X, y = regression
    Y = np.column_stack([y, -2 * y])
    reg = MLPRegressor(max_iter=200, learning_rate_init=0.01, **FAST).fit(X, Y)
    assert reg.n_outputs_ == 2 and reg.predict(X).shape == (len(X), 2)
    assert reg.score(X, Y) > 0.8


def test_multilabel_classification(blobs):
    X, y = blobs
    Y = np.column_stack([y == 0, y == 1, y != 1]).astype(int)
    clf = MLPClassifier(max_iter=100, learning_rate_init=0.01, **FAST).fit(X, Y)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 3
    assert_array_equal(clf.classes_, [0, 1, 2])
    assert_array_equal(clf.predict(X), (clf.predict_proba(X) > 0.5).astype(int))
    assert clf.score(X, Y) > 0.8


@pytest.mark.parametrize("labels", [["b", "a", "z"], [9, 2, 5]])
@pytest.mark.parametrize("loss", ["log_loss", "hinge", "kl_divergence"])
def test_string_and_non_contiguous_labels(labels, loss, blobs):
    X, y = blobs
    y_named = np.asarray(labels)[y]
    clf = MLPClassifier(loss=loss, max_iter=50, learning_rate_init=0.01, **FAST).fit(
        X, y_named
    )
    assert_array_equal(clf.classes_, sorted(labels))
    assert set(clf.predict(X)) <= set(labels)
    assert clf.score(X, y_named) > 0.8
    scores = clf.decision_function(X)
    assert_array_equal(clf.classes_[scores.argmax(axis=1)], clf.predict(X))


@pytest.mark.parametrize(
    "loss", ["log_loss", "hinge", "sparse_categorical_crossentropy"]
)
def test_binary_decision_function_sign_is_the_prediction(loss, blobs):
    X, y = blobs
    y_named = np.where(y == 1, "yes", "no")
    clf = MLPClassifier(loss=loss, max_iter=20, **FAST).fit(X, y_named)
    scores = clf.decision_function(X)
    assert scores.shape == (len(X),)
    assert_array_equal(np.where(scores > 0, "yes", "no"), clf.predict(X))


# -- reproducibility, verbosity, losses as parameters --------------------------------------
def test_same_random_state_same_model(blobs):
    X, y = blobs
    a = MLPClassifier(max_iter=10, **FAST).fit(X, y).predict_proba(X)
    b = MLPClassifier(max_iter=10, **FAST).fit(X, y).predict_proba(X)
    c = MLPClassifier(max_iter=10, hidden_layer_sizes=(16,), random_state=1).fit(X, y)
    assert_array_equal(a, b)
    assert not np.allclose(a, c.predict_proba(X))


def test_verbose_prints_one_line_per_epoch(regression, capsys):
    X, y = regression
    MLPRegressor(max_iter=4, verbose=True, **FAST).fit(X, y, validation_data=(X, y))
    lines = [
        line
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("Iteration")
    ]
    assert len(lines) == 4
    assert all(
        "loss = " in line and "validation score" in line and "time" in line
        for line in lines
    )


def test_grid_search_over_loss_names_in_a_pipeline(blobs):
    X, y = blobs
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=20, **FAST))
    grid = {"mlpclassifier__loss": ["log_loss", "hinge", "squared_hinge"]}
    search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    assert (
        list(search.cv_results_["param_mlpclassifier__loss"])
        == grid["mlpclassifier__loss"]
    )
    assert search.best_estimator_[-1].out_activation_ in ("softmax", "tanh")


def test_grid_search_over_a_loss_parameter(regression):
    X, y = regression
    y = y.copy()
    y[::10] += 8  # outliers make delta matter
    search = GridSearchCV(
        MLPRegressor(max_iter=20, **FAST),
        {"loss": [Huber()], "loss__delta": [0.5, 1.0, 2.0]},
        cv=3,
        scoring="neg_median_absolute_error",
    ).fit(X, y)
    assert list(search.cv_results_["param_loss__delta"]) == [0.5, 1.0, 2.0]
    assert search.best_estimator_.loss.delta == search.best_params_["loss__delta"]
    assert search.best_estimator_._loss.delta == search.best_params_["loss__delta"]


def test_clone_and_pickle_round_trip(blobs):
    X, y = blobs
    clf = MLPClassifier(loss=Huber and "hinge", max_iter=5, **FAST).fit(X, y)
    cloned = clone(MLPRegressor(loss=Huber(delta=3.0)))
    assert cloned.loss.delta == 3.0 and cloned.loss is not None
    restored = pickle.loads(pickle.dumps(clf))
    assert_array_equal(restored.decision_function(X), clf.decision_function(X))
    assert_array_equal(restored.predict(X), clf.predict(X))


def test_fitting_does_not_change_the_loss_parameter(regression):
    X, y = regression
    loss = Huber(delta=2.0)
    reg = MLPRegressor(loss=loss, max_iter=2, **FAST).fit(X, y)
    assert (
        reg.loss is loss and reg._loss is not loss and loss.get_params()["delta"] == 2.0
    )


# -- a user's own loss and module ------------------------------------------------------------
def test_custom_loss_function(regression):
    X, y = regression

    def cubic(y_pred, y_true):
        return (y_pred - y_true).abs().pow(3).mean(dim=1)

    reg = MLPRegressor(loss=cubic, max_iter=100, learning_rate_init=0.01, **FAST).fit(
        X, y
    )
    assert reg.score(X, y) > 0.8

    def scalar(y_pred, y_true):
        return (y_pred - y_true).square().mean()

    reg = MLPRegressor(loss=scalar, max_iter=100, learning_rate_init=0.01, **FAST).fit(
        X, y
    )
    assert reg.score(X, y) > 0.8


def test_custom_classification_loss_gets_probabilities_and_one_hot(blobs):
    X, y = blobs
    seen = {}

    def brier(y_pred, y_true):
        seen["shapes"] = (tuple(y_pred.shape), tuple(y_true.shape))
        seen["rows_sum_to_one"] = torch.allclose(
            y_pred.sum(1), torch.ones(len(y_pred), dtype=y_pred.dtype)
        )
        return (y_pred - y_true).square().sum(dim=1)

    clf = MLPClassifier(loss=brier, max_iter=50, learning_rate_init=0.01, **FAST).fit(
        X, y
    )
    assert seen["shapes"][0] == seen["shapes"][1] and seen["shapes"][0][1] == 3
    assert seen["rows_sum_to_one"] and clf.out_activation_ == "softmax"
    assert clf.score(X, y) > 0.8 and clf.predict_proba(X).shape == (150, 3)


def test_loss_subclass(regression):
    X, y = regression

    class Quartic(RegressionLoss):
        name = "quartic"

        def pointwise(self, y_pred, y_true):
            return (y_pred - y_true) ** 4

    assert issubclass(Quartic, Loss)
    reg = MLPRegressor(
        loss=Quartic(), max_iter=100, learning_rate_init=0.01, **FAST
    ).fit(X, y)
    assert reg.out_activation_ == "identity" and reg.score(X, y) > 0.7


def test_custom_module(blobs):
    X, y = blobs
    built = {}

    def module(n_features, n_outputs):
        built["sizes"] = (n_features, n_outputs)
        return torch.nn.Sequential(
            torch.nn.Linear(n_features, 8),
            torch.nn.Tanh(),
            torch.nn.Linear(8, n_outputs),
        )

    clf = MLPClassifier(
        module=module, max_iter=100, learning_rate_init=0.01, random_state=0
    )
    clf.fit(X, y)
    assert built["sizes"] == (2, 3) and clf.score(X, y) > 0.8
    assert [c.shape for c in clf.coefs_] == [(2, 8), (8, 3)]
    again = clone(clf).fit(X, y)
    assert_array_equal(again.predict_proba(X), clf.predict_proba(X))


def test_reference_network_via_module_hook(blobs):
    X, y = blobs
    module = partial(MLPModule, hidden_layer_sizes=(50,), init="he_uniform")
    clf = MLPClassifier(
        module=module,
        solver="sgd",
        learning_rate_init=0.01,
        nesterovs_momentum=False,
        batch_size=32,
        alpha=0.0,
        max_iter=10,
        random_state=0,
    ).fit(X, y)
    assert clf.coefs_[0].shape == (2, 50) and clf.score(X, y) > 0.8


def test_divergence_is_reported(regression):
    X, y = regression
    with pytest.raises(ValueError, match="diverged"):
        MLPRegressor(
            solver="sgd", learning_rate_init=1e4, momentum=0.9, max_iter=50, **FAST
        ).fit(X, y * 1e3)


def test_unavailable_device_is_a_clear_error(regression):
    X, y = regression
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(ValueError, match="CUDA is not available"):
        MLPRegressor(device="cuda").fit(X, y)
    with pytest.raises(ValueError, match="not a torch device"):
        MLPRegressor(device="gpu0").fit(X, y)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_training_matches_predictions_on_cpu(blobs):
    X, y = blobs
    clf = MLPClassifier(device="cuda", max_iter=20, **FAST).fit(X, y)
    assert next(clf.net_.module_.parameters()).is_cuda
    proba = clf.predict_proba(X)
    restored = pickle.loads(pickle.dumps(clf))
    assert_allclose(restored.predict_proba(X), proba, rtol=1e-6)
