"""EpochsFromValidation: epochs chosen on held-out rows, then a refit on all rows."""

import numpy as np
import pytest
from sklearn.base import is_classifier, is_regressor
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import train_test_split

from sklearn_losses import MLPClassifier, MLPRegressor
from sklearn_losses._epochs import EpochsFromValidation


def _stop_by_loss(curve, tol, patience):
    """scikit-learn's no-improvement rule (training loss), on a validation curve:
    the number of epochs trained before it stops, or None if it never does."""
    best, count = np.inf, 0
    for epoch, loss in enumerate(curve, start=1):
        count = 0 if loss <= best - tol else count + 1
        best = min(best, loss)
        if count > patience:
            return epoch
    return None


def _full_run(net, X_a, y_a, X_b, y_b):
    """The same network trained for all of max_iter, scoring the held-out rows."""
    return type(net)(**{**net.get_params(), "n_iter_no_change": net.max_iter}).fit(
        X_a, y_a, validation_data=(X_b, y_b)
    )


def test_epochs_are_those_of_the_lowest_validation_loss_then_all_rows():
    # noisy and small, with a fast learning rate: the validation loss turns up early
    X, y = make_regression(n_samples=80, n_features=8, noise=60, random_state=0)
    y = (y - y.mean()) / y.std()
    kw = dict(hidden_layer_sizes=(30,), learning_rate_init=0.02, random_state=3)
    net = MLPRegressor(max_iter=300, **kw)
    model = EpochsFromValidation(net, validation_fraction=0.25, patience=15).fit(X, y)

    # the same steps by hand: the whole curve, then the stopping rule on it
    X_a, X_b, y_a, y_b = train_test_split(X, y, test_size=0.25, random_state=3)
    full = _full_run(net, X_a, y_a, X_b, y_b)
    assert full.n_iter_ == 300
    curve = np.asarray(full.validation_loss_curve_)
    stopped = _stop_by_loss(curve, net.tol, 15)
    assert stopped is not None and stopped < 300
    best = int(np.argmin(curve[:stopped])) + 1
    assert model.n_iter_ == best
    assert model.validation_estimator_.n_iter_ == stopped
    np.testing.assert_allclose(
        model.validation_estimator_.validation_loss_curve_, curve[:stopped]
    )
    assert model.reached_max_iter_ is False
    final = MLPRegressor(max_iter=best, **kw)
    final.fit(X, y)
    np.testing.assert_allclose(model.predict(X), final.predict(X))
    assert model.score(X, y) == pytest.approx(final.score(X, y))


def test_the_validation_loss_not_the_accuracy_ends_the_first_run():
    # well separated classes: the held-out accuracy is perfect within a few epochs,
    # the held-out log loss keeps falling long after
    X, y = make_classification(
        n_samples=120, n_features=5, class_sep=3.0, flip_y=0, random_state=1
    )
    net = MLPClassifier(hidden_layer_sizes=(10,), max_iter=400, random_state=0)
    model = EpochsFromValidation(net, patience=20).fit(X, y)

    X_a, X_b, y_a, y_b = train_test_split(
        X, y, test_size=0.2, random_state=0, stratify=y
    )
    full = _full_run(net, X_a, y_a, X_b, y_b)
    curve = np.asarray(full.validation_loss_curve_)
    stopped = _stop_by_loss(curve, net.tol, 20) or 400
    assert model.validation_estimator_.n_iter_ == stopped
    assert model.n_iter_ == int(np.argmin(curve[:stopped])) + 1
    # the accuracy's own rule (scikit-learn's early stopping) would have ended far
    # sooner, at a higher held-out loss
    by_score = MLPClassifier(
        **{**net.get_params(), "early_stopping": True, "n_iter_no_change": 20}
    ).fit(X_a, y_a, validation_data=(X_b, y_b))
    assert by_score.n_iter_ < model.n_iter_
    assert curve[model.n_iter_ - 1] < min(by_score.validation_loss_curve_)


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
