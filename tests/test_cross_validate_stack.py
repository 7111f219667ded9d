"""cross_validate_stack and compare_losses against scikit-learn's cross_validate."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import KFold, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_losses import MLPClassifier, MLPRegressor, compare_losses, model_selection
from sklearn_losses.model_selection import cross_validate_stack


@pytest.fixture
def regression():
    X, y = make_regression(n_samples=120, n_features=5, noise=5.0, random_state=0)
    return X, y / np.std(y)


def _sgd_regressor(**params):
    return MLPRegressor(
        hidden_layer_sizes=(8,), solver="sgd", max_iter=8, random_state=0, **params
    )


def _no_one_by_one(monkeypatch):
    """Fail if cross_validate_stack falls back to scikit-learn's cross_validate."""

    def refuse(*args, **kwargs):
        raise AssertionError("fitted one by one instead of in a stack")

    monkeypatch.setattr(model_selection, "cross_validate", refuse)


def test_stacked_folds_score_as_cross_validate(regression, monkeypatch):
    X, y = regression
    splits = list(KFold(3, shuffle=True, random_state=1).split(X))
    weight = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    candidates = [
        _sgd_regressor(loss="squared_error"),
        _sgd_regressor(loss="huber", alpha=1e-3),
        _sgd_regressor(loss="absolute_error", learning_rate_init=0.01),
    ]
    scoring = ["r2", "neg_mean_absolute_error"]
    expected = [
        cross_validate(
            clone(c),
            X,
            y,
            cv=splits,
            scoring=scoring,
            params={"sample_weight": weight},
            return_train_score=True,
            return_estimator=True,
        )
        for c in candidates
    ]
    _no_one_by_one(monkeypatch)
    results = cross_validate_stack(
        candidates,
        X,
        y,
        cv=splits,
        scoring=scoring,
        params={"sample_weight": weight},
        return_train_score=True,
        return_estimator=True,
        return_indices=True,
    )
    for got, want in zip(results, expected):
        assert set(want) <= set(got)
        for key in ("test_r2", "train_r2", "test_neg_mean_absolute_error"):
            np.testing.assert_allclose(got[key], want[key], rtol=0, atol=1e-6)
        assert got["fit_time"].shape == got["score_time"].shape == (3,)
        assert [e.n_iter_ for e in got["estimator"]] == [
            e.n_iter_ for e in want["estimator"]
        ]
        for index, (train, test) in enumerate(splits):
            np.testing.assert_array_equal(got["indices"]["train"][index], train)
            np.testing.assert_array_equal(got["indices"]["test"][index], test)


def test_pipeline_and_single_metric(monkeypatch):
    X, y = make_classification(n_samples=150, n_features=6, random_state=0)
    model = make_pipeline(
        StandardScaler(),
        MLPClassifier(hidden_layer_sizes=(6,), max_iter=6, random_state=2),
    )
    candidates = [
        clone(model).set_params(mlpclassifier__loss=loss)
        for loss in ("log_loss", "hinge")
    ]
    cv = StratifiedKFold(3)
    expected = [cross_validate(clone(c), X, y, cv=cv) for c in candidates]
    _no_one_by_one(monkeypatch)
    results = cross_validate_stack(candidates, X, y, cv=cv)
    for got, want in zip(results, expected):
        assert sorted(got) == sorted(want)
        np.testing.assert_allclose(got["test_score"], want["test_score"], atol=1e-6)


def test_unstackable_estimators_and_failures(regression):
    X, y = regression
    lbfgs = MLPRegressor(
        hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5, random_state=0
    )
    poisson = _sgd_regressor(loss="poisson")  # negative targets: fit refuses
    results = cross_validate_stack([lbfgs, poisson, _sgd_regressor()], X, y, cv=3)
    want = cross_validate(clone(lbfgs), X, y, cv=3)
    np.testing.assert_allclose(results[0]["test_score"], want["test_score"], atol=1e-6)
    first_train = next(KFold(3).split(X))[0]  # the first fold's fit fails first
    with pytest.raises(ValueError) as raised:
        _sgd_regressor(loss="poisson").fit(X[first_train], y[first_train])
    assert isinstance(results[1], ValueError)
    assert str(results[1]) == str(raised.value)
    assert len(results[2]["test_score"]) == 3


def test_compare_losses_scores_folds_as_cross_validate(monkeypatch):
    X, y = make_classification(n_samples=150, n_features=5, random_state=0)
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=10, random_state=0)
    splits = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    losses = ["log_loss", "hinge", "squared_hinge"]
    expected = {
        loss: cross_validate(clone(clf).set_params(loss=loss), X, y, cv=splits)[
            "test_score"
        ]
        for loss in losses
    }
    _no_one_by_one(monkeypatch)
    result = compare_losses(clf, X, y, losses=losses, cv=splits)
    assert not result.skipped
    for loss in losses:
        np.testing.assert_allclose(
            result.cv_results[loss]["test_accuracy"], expected[loss], rtol=0, atol=1e-6
        )


def test_target_transformation_stacks(regression, monkeypatch):
    pd = pytest.importorskip("pandas")
    X, y = regression
    X = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    y = 3.0 * y + 10.0
    model = TransformedTargetRegressor(
        regressor=make_pipeline(StandardScaler(), _sgd_regressor()),
        transformer=StandardScaler(),
    )
    weight = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    params = {"mlpregressor__sample_weight": weight}
    want = cross_validate(
        clone(model), X, y, cv=3, params=params, return_estimator=True
    )
    _no_one_by_one(monkeypatch)
    (got,) = cross_validate_stack(
        [model], X, y, cv=3, params=params, return_estimator=True
    )
    np.testing.assert_allclose(got["test_score"], want["test_score"], atol=1e-6)
    for fitted, reference in zip(got["estimator"], want["estimator"]):
        np.testing.assert_array_equal(
            fitted.feature_names_in_, reference.feature_names_in_
        )
        np.testing.assert_allclose(
            fitted.transformer_.scale_, reference.transformer_.scale_
        )
        assert isinstance(fitted.regressor, type(reference.regressor))


def test_compare_losses_standardised_regression_stacks(regression, monkeypatch):
    X, y = regression
    y = 5.0 * y + 2.0
    losses = ["squared_error", "huber"]  # both trained on a standardised target
    splits = list(KFold(3, shuffle=True, random_state=0).split(X))
    expected = {
        loss: cross_validate(
            TransformedTargetRegressor(
                regressor=_sgd_regressor(loss=loss), transformer=StandardScaler()
            ),
            X,
            y,
            cv=splits,
        )["test_score"]
        for loss in losses
    }
    _no_one_by_one(monkeypatch)
    result = compare_losses(_sgd_regressor(), X, y, losses=losses, cv=splits)
    assert result.target_scaling == dict.fromkeys(losses, "standardised")
    for loss in losses:
        np.testing.assert_allclose(
            result.cv_results[loss]["test_r2"], expected[loss], rtol=0, atol=1e-6
        )
