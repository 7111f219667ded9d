"""compare_losses as a trustworthy ranking: one row per distinct model, the target each
loss can use, a floor, NaN scores, exact differences, ties, and fit times without the
one-time start-up."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import make_classification, make_regression
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import SGDRegressor
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, cross_val_score

from sklearn_losses import MLPClassifier, MLPRegressor, compare_losses
from sklearn_losses._loss_rules import is_location_scale, same_model
from sklearn_losses.compare import LossComparison
from sklearn_losses.losses import Quantile, RegressionLoss


# -- which losses are the same model ----------------------------------------------------
@pytest.mark.parametrize(
    "first, second, task, expected",
    [
        ("log_loss", "sparse_categorical_crossentropy", "multiclass", True),
        ("log_loss", "kl_divergence", "multiclass", True),
        # one sigmoid unit against two softmax units: different networks
        ("log_loss", "sparse_categorical_crossentropy", "binary", False),
        ("sparse_categorical_crossentropy", "kl_divergence", "binary", True),
        ("hinge", "squared_hinge", "binary", False),
        ("log_loss", "binary_focal", "multiclass", False),
        (Quantile(alpha=0.5), "absolute_error", "regression", True),
        (Quantile(alpha=0.3), "absolute_error", "regression", False),
        ("huber", "squared_error", "regression", False),
        ("log_cosh", "squared_error", "regression", False),
    ],
)
def test_same_model_rule(first, second, task, expected):
    rng = np.random.default_rng(0)
    y = {
        "multiclass": rng.integers(0, 3, size=40),
        "binary": rng.integers(0, 2, size=40),
        "regression": rng.normal(size=(40, 1)),
    }[task]
    assert same_model(first, second, task, y) is expected
    assert same_model(second, first, task, y) is expected


def test_location_scale_rule():
    for name in ["squared_error", "absolute_error", "huber", "log_cosh", "quantile"]:
        assert is_location_scale(name), name
    for name in ["poisson", "squared_log_error", "log_loss"]:
        assert not is_location_scale(name), name

    class RelativeError(RegressionLoss):
        name = "relative_error_for_test"

        def pointwise(self, y_pred, y_true):
            return ((y_pred - y_true) / y_true).abs()

    assert not is_location_scale(RelativeError())


def test_auto_collapses_equivalent_losses_into_one_row():
    X, y = make_classification(
        n_samples=90, n_features=4, n_informative=3, n_redundant=0, n_classes=3,
        random_state=0,
    )  # fmt: skip
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    result = compare_losses(clf, X, y, cv=2, random_state=0)
    assert result.equivalents["log_loss"] == [
        "sparse_categorical_crossentropy",
        "kl_divergence",
    ]
    # on class labels the focal losses coincide too (up to the constant alpha)
    assert set(result.equivalents) <= {"log_loss", "binary_focal"}
    assert "kl_divergence" not in result.ranking
    row = next(r for r in result.table if r["loss"] == "log_loss")
    assert row["equivalent_losses"] == [
        "sparse_categorical_crossentropy",
        "kl_divergence",
    ]
    assert "log_loss (= sparse_categorical_crossentropy, kl_divergence)" in str(result)
    # named explicitly, they are all trained, and they are indeed the same model
    named = compare_losses(
        clf, X, y, cv=2, random_state=0,
        losses=["log_loss", "sparse_categorical_crossentropy", "kl_divergence"],
    )  # fmt: skip
    assert len(named.ranking) == 3 and not named.equivalents
    scores = [named.cv_results[n]["test_accuracy"] for n in named.ranking]
    np.testing.assert_array_equal(scores[0], scores[1])
    np.testing.assert_array_equal(scores[0], scores[2])


def test_binary_log_loss_is_not_collapsed_with_two_unit_losses():
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    clf = MLPClassifier(hidden_layer_sizes=(3,), max_iter=3, random_state=0)
    result = compare_losses(clf, X, y, cv=2, random_state=0)
    assert "log_loss" in result.ranking
    assert "sparse_categorical_crossentropy" in result.ranking
    assert result.equivalents == {"sparse_categorical_crossentropy": ["kl_divergence"]}


# -- the target each loss sees ----------------------------------------------------------
def test_residual_losses_see_a_standardised_target_and_score_in_its_units():
    X, y = make_regression(n_samples=80, n_features=3, noise=5, random_state=0)
    y = 100 * y + 50_000  # far from the scale a network starts at, all positive
    reg = MLPRegressor(hidden_layer_sizes=(5,), max_iter=20, random_state=0)
    splits = list(KFold(3, shuffle=True, random_state=0).split(X))
    result = compare_losses(
        reg, X, y, losses=["huber", "poisson"], cv=splits, return_estimator=True
    )
    assert result.target_scaling == {"huber": "standardised", "poisson": "as given"}
    huber = result.cv_results["huber"]["estimator"]
    assert all(isinstance(e, TransformedTargetRegressor) for e in huber)
    for fitted, (train, _) in zip(huber, splits):
        np.testing.assert_allclose(fitted.transformer_.mean_, [y[train].mean()])
    poisson = result.cv_results["poisson"]["estimator"]
    assert all(isinstance(e, MLPRegressor) for e in poisson)
    # the reported scores are R^2 of predictions in the user's units
    expected = [
        r2_score(y[test], fitted.predict(X[test]))
        for fitted, (_, test) in zip(huber, splits)
    ]
    np.testing.assert_allclose(result.cv_results["huber"]["test_r2"], expected)
    plain = compare_losses(reg, X, y, losses=["huber"], cv=splits,
                           standardize_target=False, return_estimator=True)  # fmt: skip
    assert isinstance(plain.cv_results["huber"]["estimator"][0], MLPRegressor)


# -- the floor, the metric ---------------------------------------------------------------
def test_dummy_floor_is_scored_on_the_same_folds():
    X, y = make_regression(n_samples=60, n_features=3, noise=5, random_state=1)
    result = compare_losses(
        SGDRegressor(max_iter=20, tol=None, random_state=0), X, y,
        losses=["squared_error"], cv=4, random_state=3,
    )  # fmt: skip
    expected = cross_val_score(
        DummyRegressor(), X, y, cv=KFold(4, shuffle=True, random_state=3), scoring="r2"
    )
    np.testing.assert_allclose(result.baseline["dummy (mean)"]["test_r2"], expected)
    assert "floor  dummy (mean)" in str(result)


def test_a_floor_no_loss_beats_is_said():
    ones = np.ones(3)
    result = LossComparison(
        {"a": {"fit_time": ones, "test_r2": np.array([-0.2, -0.1, -0.3])}},
        ["r2"], n_train=20, n_test=10, n_splits=3,
        baseline={"dummy (mean)": {"fit_time": ones, "test_r2": np.zeros(3)}},
    )  # fmt: skip
    assert "no loss beats dummy (mean)" in str(result)


def test_imbalanced_classes_are_ranked_by_balanced_accuracy():
    X, y = make_classification(
        n_samples=200, n_features=4, weights=[0.9], flip_y=0, random_state=0
    )
    clf = MLPClassifier(hidden_layer_sizes=(3,), max_iter=3, random_state=0)
    result = compare_losses(clf, X, y, losses=["log_loss"], cv=2, random_state=0)
    assert result.metrics == ["balanced_accuracy", "accuracy"]
    assert any("imbalanced classes" in note for note in result.notes)
    # the majority-class guess scores 0.5 balanced accuracy, not 0.9
    floor = result.baseline["dummy (prior)"]
    np.testing.assert_allclose(floor["test_balanced_accuracy"], 0.5)
    np.testing.assert_allclose(floor["test_accuracy"], 0.9, atol=0.011)
    X, y = make_classification(n_samples=100, n_features=4, random_state=0)
    even = compare_losses(clf, X, y, losses=["log_loss"], cv=2)
    assert even.metrics == ["accuracy"]


def test_epochs_and_a_run_to_max_iter_are_reported():
    X, y = make_regression(n_samples=40, n_features=2, random_state=0)
    reg = MLPRegressor(hidden_layer_sizes=(3,), max_iter=4, random_state=0)
    result = compare_losses(reg, X, y, losses=["squared_error"], cv=2)
    np.testing.assert_array_equal(result.cv_results["squared_error"]["n_iter"], [4, 4])
    assert result.table[0]["epochs_mean"] == 4
    assert any("ran to max_iter=4 in 2 of 2 fits" in note for note in result.notes)


# -- ranking -----------------------------------------------------------------------------
def _result(scores: dict[str, list[float]]) -> LossComparison:
    results = {
        name: {"fit_time": np.ones(len(s)), "test_m": np.array(s, dtype=float)}
        for name, s in scores.items()
    }
    return LossComparison(results, ["m"], n_train=80, n_test=20, n_splits=4)


def test_nan_scores_rank_last_with_the_reason():
    result = _result(
        {"nan": [0.9, np.nan, 0.8, 0.9], "low": [0.1, 0.2, 0.1, 0.2],
         "high": [0.5, 0.6, 0.5, 0.7]}
    )  # fmt: skip
    assert result.ranking == ["high", "low", "nan"]
    assert result.best_loss_ == "high"
    assert "NaN in 1 of 4 fits" in result.nan_scores["nan"]
    assert np.isnan(result.comparison["nan"]["difference"])
    assert result.comparison["nan"]["p_value"] is None
    text = str(result)
    assert "NaN score" in text and "ranked last, nan" in text
    every = _result({"a": [np.nan] * 4, "b": [np.inf, 1, 1, 1]})
    assert every.best_loss_ is None and every.ranking == ["a", "b"]


def test_nan_from_a_scorer_during_compare_losses():
    def fails_for_huber(estimator, X, y):
        return float("nan") if estimator.loss == "huber" else 1.0

    X, y = make_regression(n_samples=30, n_features=2, random_state=0)
    result = compare_losses(
        SGDRegressor(max_iter=5, tol=None), X, y,
        losses=["huber", "squared_error"], scoring=fails_for_huber, cv=2,
        standardize_target=False,
    )  # fmt: skip
    assert result.ranking == ["squared_error", "huber"]
    assert "huber" in result.nan_scores


@pytest.mark.parametrize("seed", range(40))
def test_difference_to_best_is_zero_for_the_best_and_never_positive(seed):
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.1, 0.9, size=5) / 3
    # permutations of the same values: equal means that float sums may order either way
    scores = {f"loss{i}": rng.permutation(base) for i in range(4)}
    scores["other"] = rng.uniform(0, 1, size=5)
    result = _result(scores)
    assert result.table[0]["difference"] == 0.0
    assert all(row["difference"] >= 0 for row in result.table)
    shown = [row for row in str(result).splitlines() if row.startswith(("1", "2", "3"))]
    assert not any(" 1e-" in row or "e-17" in row for row in shown)


def test_identical_scores_tie_without_a_p_value():
    result = _result(
        {"a": [0.5, 0.6, 0.7, 0.8], "b": [0.9, 0.9, 0.9, 0.9],
         "c": [0.5, 0.6, 0.7, 0.8], "d": [0.8, 0.7, 0.6, 0.5]}
    )  # fmt: skip
    assert result.ranking == ["b", "a", "c", "d"]
    assert [row["rank"] for row in result.table] == [1, 2, 2, 4]
    # a and c tie with each other, not with the best: they are compared with it
    assert result.comparison["c"]["p_value"] is not None
    tied = _result({"a": [0.5, 0.6, 0.7, 0.8], "c": [0.5, 0.6, 0.7, 0.8 + 1e-15],
                    "d": [0.8, 0.7, 0.6, 0.5]})  # fmt: skip
    assert set(tied.ranking[:2]) == {"a", "c"}  # float noise: the same scores
    second = tied.ranking[1]
    assert tied.comparison[second] == {
        "difference": 0.0, "tie": True, "t_statistic": None, "p_value": None
    }  # fmt: skip
    assert tied.table[1]["rank"] == 1
    # the same values in other folds: compared, not a tie
    assert tied.comparison["d"]["tie"] is False
    assert tied.comparison["d"]["p_value"] is not None
    assert tied.table[2]["rank"] == 3
    assert "0 (tie)" in str(tied)


# -- fit times ---------------------------------------------------------------------------
def test_fit_times_exclude_the_one_time_start_up():
    # A fresh process pays torch's start-up at its first fit; the comparison warms up
    # first, so the first loss's first fit costs what the others cost.
    script = textwrap.dedent(
        """
        import json
        from sklearn.datasets import make_regression
        from sklearn_losses import MLPRegressor, compare_losses
        X, y = make_regression(n_samples=200, n_features=5, random_state=0)
        reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
        result = compare_losses(reg, X, y, cv=3, n_jobs=1,
                                losses=["squared_error", "huber", "log_cosh"])
        print(json.dumps({n: r["fit_time"].tolist()
                          for n, r in result.cv_results.items()}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    times = json.loads(done.stdout.strip().splitlines()[-1])
    first = times["squared_error"][0]
    others = np.median(times["huber"] + times["log_cosh"])
    assert first < 5 * others + 0.1, times


def test_torch_is_usable_after_the_warm_up():
    assert torch.zeros(1).item() == 0.0  # the warm-up leaves no global state behind
