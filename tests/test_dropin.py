"""Side by side with scikit-learn's MLPs: behaviours a user switching over notices."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn import neural_network as sk
from sklearn.datasets import (
    load_breast_cancer,
    load_iris,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import learning_curve

from sklearn_losses import MLPClassifier, MLPRegressor

X_IRIS, Y_IRIS = load_iris(return_X_y=True)


# -- one class ---------------------------------------------------------------------------
@pytest.mark.parametrize("loss", ["log_loss", "hinge", "kl_divergence"])
def test_single_class_is_a_valid_target(loss):
    X, y = X_IRIS[:50], Y_IRIS[:50]
    theirs = sk.MLPClassifier(max_iter=5, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MLPClassifier(loss=loss, max_iter=5, random_state=0).fit(X, y)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_array_equal(ours.predict(X_IRIS), theirs.predict(X_IRIS))
    assert ours.score(X, y) == theirs.score(X, y) == 1.0
    if hasattr(ours, "predict_proba"):
        assert ours.predict_proba(X).shape == theirs.predict_proba(X).shape
        assert (ours.predict_proba(X)[:, 0] > 0.5).all()


def test_learning_curve_on_unshuffled_data():
    X, y = load_breast_cancer(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sizes, train, test = learning_curve(
            MLPClassifier(max_iter=5, random_state=0),
            X,
            y,
            cv=3,
            shuffle=False,
            error_score="raise",
        )
        learning_curve(
            sk.MLPClassifier(max_iter=5, random_state=0),
            X,
            y,
            cv=3,
            shuffle=False,
            error_score="raise",
        )
    assert np.isfinite(test).all()


# -- divergence --------------------------------------------------------------------------
DIVERGING = dict(
    solver="sgd", learning_rate_init=1, activation="identity", random_state=0
)


def test_diverging_run_with_early_stopping_keeps_the_best_weights():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sk.MLPClassifier(early_stopping=True, **DIVERGING).fit(X_IRIS, Y_IRIS)
        ours = MLPClassifier(early_stopping=True, **DIVERGING).fit(X_IRIS, Y_IRIS)
    for model in (theirs, ours):
        assert all(np.isfinite(w).all() for w in model.coefs_ + model.intercepts_)
        assert model.n_iter_ < 200
        assert model.best_validation_score_ == max(model.validation_scores_)
    assert np.isfinite(ours.predict_proba(X_IRIS)).all()


def test_diverging_regressor_with_early_stopping():
    X, y = make_regression(n_samples=200, n_features=5, random_state=0)
    reg = MLPRegressor(
        early_stopping=True, solver="sgd", learning_rate_init=10.0, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg.fit(X * 100, y * 100)
    assert np.isfinite(reg.predict(X)).all()


def test_divergence_without_early_stopping_says_what_scikit_learn_says():
    X, y = make_regression(n_samples=100, n_features=5, random_state=0)
    params = dict(solver="sgd", learning_rate_init=1e3, random_state=0)
    with pytest.raises(ValueError) as theirs, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk.MLPRegressor(**params).fit(X * 1e3, y * 1e3)
    with pytest.raises(ValueError) as ours:
        MLPRegressor(**params).fit(X * 1e3, y * 1e3)
    assert str(theirs.value).startswith("Solver produced non-finite parameter weights.")
    assert str(ours.value).startswith(str(theirs.value))
    assert "learning_rate_init" in str(ours.value)  # our advice follows


# -- early stopping on tiny data -----------------------------------------------------------
def test_tiny_validation_set_message_matches_scikit_learn():
    X = np.random.RandomState(0).randn(10, 3)
    y = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 2])
    with pytest.raises(ValueError) as theirs:
        sk.MLPClassifier(early_stopping=True, max_iter=5).fit(X, y)
    with pytest.raises(ValueError) as ours:
        MLPClassifier(early_stopping=True, max_iter=5).fit(X, y)
    assert str(ours.value) == str(theirs.value)
    assert "validation_fraction" in str(ours.value)


def test_rare_class_does_not_break_the_split():
    X = np.random.RandomState(0).randn(20, 3)
    y = np.array([0] * 9 + [1] * 10 + [2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk.MLPClassifier(early_stopping=True, max_iter=5, validation_fraction=0.2).fit(
            X, y
        )
        MLPClassifier(early_stopping=True, max_iter=5, validation_fraction=0.2).fit(
            X, y
        )


# -- multi-label learning speed --------------------------------------------------------
def test_multilabel_learns_as_fast_as_scikit_learn():
    X, Y = make_multilabel_classification(n_samples=50, random_state=0)
    scores = {}
    for name, cls in [("ours", MLPClassifier), ("theirs", sk.MLPClassifier)]:
        accuracy = []
        for seed in range(3):
            clf = cls(
                solver="sgd",
                hidden_layer_sizes=50,
                random_state=seed,
                activation="logistic",
                learning_rate_init=0.2,
            )
            for _ in range(100):
                clf.partial_fit(X, Y, classes=[0, 1, 2, 3, 4])
            accuracy.append(clf.score(X, Y))
        scores[name] = np.mean(accuracy)
    assert scores["theirs"] > 0.9
    assert scores["ours"] > 0.9


def test_multilabel_loss_sums_over_labels_as_scikit_learn():
    """One training step from the same weights: the same loss value."""
    X, Y = make_multilabel_classification(n_samples=40, n_classes=4, random_state=0)
    theirs = sk.MLPClassifier(
        hidden_layer_sizes=(8,),
        solver="sgd",
        alpha=0.0,
        learning_rate_init=1e-12,
        random_state=0,
    )
    theirs.partial_fit(X, Y, classes=[0, 1, 2, 3])
    ours = MLPClassifier(
        hidden_layer_sizes=(8,),
        solver="sgd",
        alpha=0.0,
        learning_rate_init=1e-12,
        random_state=0,
    )
    ours.partial_fit(X, Y, classes=[0, 1, 2, 3])
    ours.coefs_ = theirs.coefs_
    ours.intercepts_ = theirs.intercepts_
    ours.partial_fit(X, Y)
    theirs.partial_fit(X, Y)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)


# -- coefs_ and intercepts_ ------------------------------------------------------------
def _pair(cls_ours, cls_theirs, X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = cls_ours(max_iter=3, random_state=0, **params).fit(X, y)
        theirs = cls_theirs(max_iter=3, random_state=1, **params).fit(X, y)
    return ours, theirs


@pytest.mark.parametrize("n_rows", [1, 150])  # NumPy fast path and torch path
def test_assigned_weights_predict_as_scikit_learn(n_rows):
    ours, theirs = _pair(
        MLPClassifier, sk.MLPClassifier, X_IRIS, Y_IRIS, hidden_layer_sizes=(7, 5)
    )
    ours.coefs_ = theirs.coefs_
    ours.intercepts_ = theirs.intercepts_
    X = X_IRIS[:n_rows]
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X))
    # One item assigned, then an in-place edit: both models follow.
    for model in (ours, theirs):
        model.intercepts_[-1] = np.array([3.0, 0.0, -1.0])
        model.coefs_[-1][:, 1] *= 2.0
        model.coefs_[0][0, :] = 0.5
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X))
    np.testing.assert_array_equal(ours.predict(X_IRIS), theirs.predict(X_IRIS))


def test_regressor_weights_write_through():
    X, y = make_regression(n_samples=40, n_features=3, random_state=0)
    ours, theirs = _pair(MLPRegressor, sk.MLPRegressor, X, y, hidden_layer_sizes=(4,))
    ours.coefs_ = [c.copy() for c in theirs.coefs_]
    ours.intercepts_ = [b.copy() for b in theirs.intercepts_]
    for model in (ours, theirs):
        model.coefs_[1][:] = 0.0
        model.intercepts_[1] += 2.5
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.predict(X), theirs.intercepts_[1][0])


def test_partial_fit_continues_from_assigned_weights():
    """One plain SGD step from the same weights gives scikit-learn's weights."""
    params = dict(
        hidden_layer_sizes=(6,),
        solver="sgd",
        momentum=0.0,
        learning_rate_init=0.1,
        shuffle=False,
        batch_size=150,
        random_state=0,
    )
    theirs = sk.MLPClassifier(**params).partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])
    ours = MLPClassifier(**params).partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])
    ours.coefs_ = theirs.coefs_
    ours.intercepts_ = theirs.intercepts_
    ours.partial_fit(X_IRIS, Y_IRIS)
    theirs.partial_fit(X_IRIS, Y_IRIS)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)


def test_weights_survive_pickling_and_refuse_wrong_shapes():
    ours = MLPClassifier(max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X_IRIS, Y_IRIS)
    ours.intercepts_[-1][:] = [0.0, 9.0, 0.0]
    restored = pickle.loads(pickle.dumps(ours))
    np.testing.assert_array_equal(restored.intercepts_[-1], [0.0, 9.0, 0.0])
    restored.intercepts_[-1][:] = [9.0, 0.0, 0.0]  # the copy's own network
    assert (ours.predict(X_IRIS) == 1).all() and (restored.predict(X_IRIS) == 0).all()
    assert type(pickle.loads(pickle.dumps(ours.coefs_))) is list
    with pytest.raises(ValueError, match=r"coefs_\[0\] must have shape \(4, 100\)"):
        ours.coefs_ = [np.zeros((3, 100)), ours.coefs_[1]]
    with pytest.raises(ValueError, match="2 arrays"):
        ours.intercepts_ = [np.zeros(3)]
    with pytest.raises(ValueError, match=r"intercepts_\[1\] must have shape \(3,\)"):
        ours.intercepts_[1] = np.zeros(2)


# -- clear errors ---------------------------------------------------------------------------
def test_module_with_the_wrong_output_width():
    import torch

    X, y = make_regression(n_samples=30, n_features=3, random_state=0)
    with pytest.raises(ValueError, match=r"shape \(2, 5\).*needs 1 output"):
        MLPRegressor(module=lambda n, k: torch.nn.Linear(n, 5), max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match=r"needs 3 output unit.*3 classes"):
        MLPClassifier(module=lambda n, k: torch.nn.Linear(n, 2), max_iter=2).fit(
            X_IRIS, Y_IRIS
        )
    # The right width trains.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier(module=lambda n, k: torch.nn.Linear(n, k), max_iter=2).fit(
            X_IRIS, Y_IRIS
        )


def test_scalar_custom_loss_refuses_sample_weight():
    def batch_mean(y_pred, y_true):
        return (y_pred - y_true).square().mean()

    X, y = make_regression(n_samples=30, n_features=3, random_state=0)
    with pytest.raises(ValueError, match="one value for the whole batch"):
        MLPRegressor(loss=batch_mean, max_iter=2).fit(
            X, y, sample_weight=np.arange(30.0)
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPRegressor(loss=batch_mean, max_iter=2).fit(X, y)  # unweighted: fine


def test_minimal_loss_subclass():
    import torch  # noqa: F401

    from sklearn_losses.losses import Loss

    class Minimal(Loss):
        name = "minimal"
        tasks = frozenset({"regression", "binary"})

        def loss(self, y_pred, y_true):
            return (y_pred - y_true).square().mean(dim=1)

    X, y = make_regression(n_samples=30, n_features=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = MLPRegressor(loss=Minimal(), max_iter=3).fit(X, y)
        clf = MLPClassifier(loss=Minimal(), max_iter=3).fit(X, y > 0)
    assert reg.out_activation_ == "identity" and clf.out_activation_ == "logistic"

    class NoTasks(Loss):
        name = "no_tasks"

        def loss(self, y_pred, y_true):
            return (y_pred - y_true).square().mean(dim=1)

    with pytest.raises(ValueError, match="declares no tasks"):
        MLPRegressor(loss=NoTasks(), max_iter=3).fit(X, y)


def test_nested_loss_parameter_needs_the_loss_object():
    from sklearn.model_selection import GridSearchCV

    from sklearn_losses.losses import Huber

    with pytest.raises(ValueError, match=r"loss=Huber\(delta=2\)"):
        MLPRegressor(loss="huber").set_params(loss__delta=2)
    X, y = make_regression(n_samples=30, n_features=3, random_state=0)
    search = GridSearchCV(
        MLPRegressor(loss="huber", max_iter=2), {"loss__delta": [1, 2]}
    )
    with pytest.raises(ValueError, match="Pass the loss object"):
        search.fit(X, y)
    assert MLPRegressor(loss=Huber()).set_params(loss__delta=2).loss.delta == 2


def test_predict_proba_of_a_loss_without_probabilities():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier(loss="hinge", max_iter=2).fit(X_IRIS, Y_IRIS)
    assert not hasattr(clf, "predict_proba")
    assert not hasattr(MLPClassifier(loss="hinge"), "predict_log_proba")
    with pytest.raises(AttributeError, match="'hinge' loss.*decision_function.*Calib"):
        clf.predict_proba(X_IRIS)


@pytest.mark.parametrize("device", ["mps", "xpu", "cuda:9"])
def test_unavailable_device(device):
    import torch

    if torch.device(device).type == "cuda" and torch.cuda.device_count() > 9:
        pytest.skip("that many GPUs")
    with pytest.raises(ValueError, match=rf"device='{device}'.*device='cpu'"):
        MLPClassifier(device=device, max_iter=2).fit(X_IRIS, Y_IRIS)


@pytest.mark.parametrize("n_rows", [1, 150])
def test_output_dtype_follows_scikit_learn(n_rows):
    X32 = X_IRIS.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pairs = [
            (
                MLPClassifier(max_iter=2).fit(X32, Y_IRIS),
                sk.MLPClassifier(max_iter=2).fit(X32, Y_IRIS),
            ),
            (
                MLPClassifier(max_iter=2).fit(X_IRIS, Y_IRIS),
                sk.MLPClassifier(max_iter=2).fit(X_IRIS, Y_IRIS),
            ),
        ]
        regressors = (
            MLPRegressor(max_iter=2).fit(X32, Y_IRIS),
            sk.MLPRegressor(max_iter=2).fit(X32, Y_IRIS),
        )
    for X in (X_IRIS[:n_rows], X32[:n_rows]):
        for ours, theirs in pairs:
            assert ours.predict_proba(X).dtype == theirs.predict_proba(X).dtype
        assert regressors[0].predict(X).dtype == regressors[1].predict(X).dtype


# -- L-BFGS ---------------------------------------------------------------------------------
def _convergence_warnings(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = fit()
    return model, [
        str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)
    ]


@pytest.mark.parametrize(
    "params",
    [dict(max_iter=3), dict(max_fun=5), dict(max_iter=3, warm_start=True)],
    ids=["max_iter", "max_fun", "warm_start"],
)
@pytest.mark.parametrize(
    "Ours,Theirs", [(MLPRegressor, sk.MLPRegressor), (MLPClassifier, sk.MLPClassifier)]
)
def test_lbfgs_warns_where_scikit_learn_does(Ours, Theirs, params):
    def fit(cls):
        model = cls(solver="lbfgs", random_state=0, **params).fit(X_IRIS, Y_IRIS)
        if params.get("warm_start"):
            model.fit(X_IRIS, Y_IRIS)
        return model

    ours, our_warnings = _convergence_warnings(lambda: fit(Ours))
    theirs, their_warnings = _convergence_warnings(lambda: fit(Theirs))
    assert len(our_warnings) == len(their_warnings) > 0
    # The same text up to the iteration count (the networks differ).
    first_line = [w.split("\n")[1:] for w in their_warnings]
    assert [w.split("\n")[1:] for w in our_warnings] == first_line
    assert ours.n_iter_ <= params.get("max_iter", 200)
    for name in ("loss_curve_", "best_loss_", "validation_scores_"):
        assert hasattr(ours, name) == hasattr(theirs, name)
    assert np.isfinite(ours.loss_)


def test_lbfgs_converged_is_silent_and_matches_scikit_learn():
    X, y = make_regression(n_samples=60, n_features=3, noise=0.1, random_state=0)
    params = dict(
        solver="lbfgs", hidden_layer_sizes=(), max_iter=500, tol=1e-8, alpha=0
    )
    ours, our_warnings = _convergence_warnings(lambda: MLPRegressor(**params).fit(X, y))
    theirs = sk.MLPRegressor(**params).fit(X, y)
    assert our_warnings == []
    # A linear model: both reach least squares (their loss is half ours).
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-4)
    assert ours.loss_ == pytest.approx(2 * theirs.loss_, rel=1e-3, abs=1e-6)


def test_lbfgs_with_a_users_module_and_the_net_afterwards(capsys):
    from functools import partial

    from sklearn_losses.neural_network import MLPModule

    module = partial(MLPModule, hidden_layer_sizes=(10,), init="he_uniform")
    clf, caught = _convergence_warnings(
        lambda: MLPClassifier(
            module=module, solver="lbfgs", max_iter=5, verbose=True, random_state=0
        ).fit(X_IRIS, Y_IRIS)
    )
    assert len(caught) == 1 and clf.n_iter_ == 5
    assert "Iteration 5, loss" in capsys.readouterr().out
    assert clf.net_.history[-1, "train_loss"] == pytest.approx(clf.loss_)
    assert clf.net_.predict_proba(X_IRIS.astype(np.float64)).shape == (150, 3)


def test_weights_on_a_gpu_are_assignable_copies():
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier(device="cuda", max_iter=3, random_state=0).fit(
            X_IRIS, Y_IRIS
        )
        MLPClassifier(device="cuda", solver="lbfgs", max_iter=3).fit(X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match="read-only"):
        clf.intercepts_[-1][:] = 0.0
    clf.intercepts_[-1] = np.array([0.0, 0.0, 50.0])
    clf.coefs_[-1] = np.zeros_like(clf.coefs_[-1])
    assert (clf.predict(X_IRIS) == 2).all()
