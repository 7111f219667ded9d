"""Side by side with scikit-learn's MLPs: behaviours a user switching over notices."""

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
    message = (
        "Solver produced non-finite parameter weights. The input data may contain "
        "large values and need to be preprocessed."
    )
    with pytest.raises(ValueError) as info:
        MLPRegressor(solver="sgd", learning_rate_init=1e3, random_state=0).fit(
            X * 1e3, y * 1e3
        )
    text = str(info.value)
    if "non-finite" in text:
        assert text.startswith(message)
        assert "learning_rate_init" in text  # our advice follows


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
