"""EpochsFromValidation: epochs chosen on held-out rows, then a refit on all rows."""

import numpy as np
import pytest
from sklearn.base import is_classifier, is_regressor
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import train_test_split

from sklearn_losses import MLPClassifier, MLPRegressor
from sklearn_losses._epochs import EpochsFromValidation


def test_epochs_are_those_of_the_lowest_validation_loss_then_all_rows():
    # noisy and small, with a fast learning rate: the validation loss turns up early
    X, y = make_regression(n_samples=80, n_features=8, noise=60, random_state=0)
    y = (y - y.mean()) / y.std()
    kw = dict(hidden_layer_sizes=(30,), learning_rate_init=0.02, random_state=3)
    net = MLPRegressor(max_iter=300, **kw)
    model = EpochsFromValidation(net, validation_fraction=0.25, patience=15).fit(X, y)

    # the same steps by hand
    X_a, X_b, y_a, y_b = train_test_split(X, y, test_size=0.25, random_state=3)
    watched = MLPRegressor(
        max_iter=300, early_stopping=True, n_iter_no_change=15, **kw
    ).fit(X_a, y_a, validation_data=(X_b, y_b))
    best = int(np.argmin(watched.validation_loss_curve_)) + 1
    assert model.n_iter_ == best
    assert best < watched.n_iter_ <= 300
    assert model.reached_max_iter_ is False
    final = MLPRegressor(max_iter=best, **kw)
    final.fit(X, y)
    np.testing.assert_allclose(model.predict(X), final.predict(X))
    assert model.score(X, y) == pytest.approx(final.score(X, y))


def test_classifier_methods_follow_the_loss():
    X, y = make_classification(n_samples=80, n_features=4, random_state=0)
    for loss, has_proba in [("log_loss", True), ("hinge", False)]:
        net = MLPClassifier(loss=loss, hidden_layer_sizes=(4,), max_iter=30,
                            random_state=0)  # fmt: skip
        model = EpochsFromValidation(net, patience=5)
        assert is_classifier(model) and not is_regressor(model)
        model.fit(X, y)
        assert hasattr(model, "predict_proba") is has_proba
        np.testing.assert_array_equal(model.classes_, [0, 1])
        assert model.decision_function(X).shape == (80,)


def test_sample_weights_reach_both_fits():
    X, y = make_classification(n_samples=80, n_features=4, random_state=0)
    weight = np.where(y == 1, 3.0, 1.0)
    net = MLPClassifier(hidden_layer_sizes=(4,), max_iter=20, random_state=0)
    weighted = EpochsFromValidation(net, patience=5).fit(X, y, sample_weight=weight)
    plain = EpochsFromValidation(net, patience=5).fit(X, y)
    curves = [fitted.validation_estimator_.loss_curve_ for fitted in (weighted, plain)]
    # the weighted criterion differs from the first epoch on (or stops elsewhere)
    assert len(curves[0]) != len(curves[1]) or not np.allclose(*curves)
    assert curves[0][0] != pytest.approx(curves[1][0])
