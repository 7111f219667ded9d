"""compare_losses: known winners, shared folds, the corrected paired test, reporting."""

import re
import sys
import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import SGDClassifier, SGDRegressor
from sklearn.model_selection import RepeatedKFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_losses import MLPClassifier, MLPRegressor, compare_losses
from sklearn_losses.compare import LossComparison, corrected_ttest
from sklearn_losses.losses import Huber, loss_names


def _sum_of_targets(estimator, X, y):
    """A 'scorer' that ignores the model: it identifies the test fold."""
    return float(np.sum(y))


@pytest.fixture(scope="module")
def outliers():
    """A linear target where a fifth of the samples carry a large positive error."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 3))
    y = X @ np.array([2.0, -1.0, 0.5]) + rng.normal(scale=0.1, size=150)
    corrupted = rng.random(150) < 0.2
    y[corrupted] += rng.uniform(15, 30, size=corrupted.sum())
    return X, y


def test_robust_losses_beat_squared_error_under_outliers(outliers):
    X, y = outliers
    reg = MLPRegressor(
        hidden_layer_sizes=(8,),
        learning_rate_init=0.05,
        max_iter=100,
        n_iter_no_change=100,
        random_state=0,
    )
    result = compare_losses(
        reg,
        X,
        y,
        losses=["squared_error", "absolute_error", "huber"],
        scoring="neg_median_absolute_error",
        cv=3,
        random_state=0,
    )
    # The squared error chases the outliers, so its typical error is large; the
    # absolute error and Huber fit the bulk of the data.
    assert result.ranking[-1] == "squared_error"
    assert result.best_loss_ in {"absolute_error", "huber"}
    means = {row["loss"]: row["neg_median_absolute_error_mean"] for row in result.table}
    assert means[result.best_loss_] > -1.0 > means["squared_error"]
    # the p-value in the table is the corrected test on the per-fold differences
    key = "test_neg_median_absolute_error"
    diff = (
        result.cv_results[result.best_loss_][key]
        - result.cv_results["squared_error"][key]
    )
    _, expected_p = corrected_ttest(diff, result.n_train, result.n_test)
    assert result.comparison["squared_error"]["p_value"] == pytest.approx(expected_p)
    assert expected_p < 0.05  # a gap this large is significant even on 3 folds


def test_corrected_ttest_is_the_paired_ttest_with_inflated_variance():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0.8, 0.05, 10), rng.normal(0.75, 0.05, 10)
    n_train, n_test = 90, 10
    t, p = corrected_ttest(a - b, n_train, n_test)
    plain = stats.ttest_rel(a, b)
    # var/J becomes var*(1/J + n_test/n_train): t shrinks by sqrt(1 + J n_test/n_train)
    assert t == pytest.approx(plain.statistic / np.sqrt(1 + 10 * n_test / n_train))
    assert p > plain.pvalue
    # without overlap correction (n_test/n_train -> 0) it is scipy's paired t-test
    t0, p0 = corrected_ttest(a - b, 1e12, 1e-12)
    assert t0 == pytest.approx(plain.statistic)
    assert p0 == pytest.approx(plain.pvalue)


def test_corrected_ttest_degenerate_inputs():
    assert corrected_ttest([0.0, 0.0, 0.0], 10, 5) == (0.0, 1.0)
    assert corrected_ttest([0.25, 0.25, 0.25], 10, 5) == (np.inf, 0.0)
    t, p = corrected_ttest([0.1], 10, 5)
    assert np.isnan(t) and np.isnan(p)


def test_aliases_of_one_loss_tie_exactly():
    X, y = make_classification(n_samples=90, n_features=4, random_state=0)
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=10, random_state=0)
    result = compare_losses(
        clf, X, y, losses=["log_loss", "binary_crossentropy"], cv=3, random_state=0
    )
    scores = [result.cv_results[name]["test_accuracy"] for name in result.ranking]
    np.testing.assert_array_equal(scores[0], scores[1])
    second = result.ranking[1]
    assert result.comparison[second]["difference"] == 0.0
    # identical per-fold scores are a tie: same rank, no test
    assert result.comparison[second]["tie"] is True
    assert result.comparison[second]["p_value"] is None
    assert [row["rank"] for row in result.table] == [1, 1]
    assert "0 (tie)" in str(result)


def test_every_loss_sees_the_same_repeated_folds():
    X, y = make_regression(n_samples=60, n_features=3, random_state=0)
    result = compare_losses(
        SGDRegressor(max_iter=5, tol=None),
        X,
        y,
        losses=["squared_error", "huber", "epsilon_insensitive"],
        scoring={"fold": _sum_of_targets, "r2": "r2"},
        cv=3,
        n_repeats=2,
        random_state=4,
    )
    expected = [
        y[test].sum()
        for _, test in RepeatedKFold(n_splits=3, n_repeats=2, random_state=4).split(X)
    ]
    assert result.n_splits == 6
    for name in ["squared_error", "huber", "epsilon_insensitive"]:
        np.testing.assert_allclose(result.cv_results[name]["test_fold"], expected)
        assert len(result.cv_results[name]["fit_time"]) == 6
    assert result.n_train == 40 and result.n_test == 20


def test_classifiers_get_shuffled_stratified_folds():
    X, y = make_classification(n_samples=60, weights=[0.8], random_state=0)
    result = compare_losses(
        SGDClassifier(max_iter=5, tol=None),
        X,
        y,
        losses=["hinge", "log_loss"],
        scoring=_sum_of_targets,
        cv=4,
        random_state=2,
    )
    splitter = StratifiedKFold(n_splits=4, shuffle=True, random_state=2)
    expected = [y[test].sum() for _, test in splitter.split(X, y)]
    np.testing.assert_allclose(
        result.cv_results["hinge"]["test__sum_of_targets"], expected
    )


def test_auto_tries_every_loss_for_the_task_and_reports_failures():
    X, y = make_regression(n_samples=60, n_features=3, noise=1, random_state=0)
    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    result = compare_losses(reg, X, y, cv=3, random_state=0)
    assert result.task == "regression"
    # quantile (alpha=0.5) is half the absolute error: the same model, one row
    assert result.equivalents == {"absolute_error": ["quantile"]}
    assert set(result.ranking) | set(result.skipped) | {"quantile"} == set(
        loss_names("regression")
    )
    # Poisson needs non-negative targets: skipped, with the loss's own explanation.
    assert "poisson" in result.skipped
    assert "non-negative" in result.skipped["poisson"]
    assert "squared_error" in result.ranking
    # MSLE trains on negative targets but warns; the warning is kept (once).
    msle = [m for m in result.warnings["squared_log_error"] if "UserWarning" in m]
    assert len(msle) == 1 and "clips" in msle[0]
    text = str(result)
    assert "skipped poisson" in text and "squared_log_error" in text


def test_a_metric_the_model_cannot_answer_skips_that_loss():
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    result = compare_losses(
        clf, X, y, losses=["log_loss", "hinge"], scoring="neg_log_loss", cv=3
    )
    assert result.ranking == ["log_loss"]
    assert "predict_proba" in result.skipped["hinge"]


def test_loss_parameter_of_a_pipeline_step_and_returned_estimators():
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    pipe = make_pipeline(
        StandardScaler(), MLPClassifier(hidden_layer_sizes=(4,), max_iter=3)
    )
    result = compare_losses(
        pipe,
        X,
        y,
        losses=["hinge", Huber()],
        cv=3,
        return_estimator=True,
        return_train_score=True,
    )
    fitted = result.cv_results["hinge"]["estimator"]
    assert len(fitted) == 3
    assert all(
        est[-1].loss == "hinge" and est[-1].out_activation_ == "tanh" for est in fitted
    )
    assert result.cv_results["hinge"]["train_accuracy"].shape == (3,)
    # a regression loss cannot train a classifier: reported, not raised
    assert "does not apply to binary" in result.skipped["Huber()"]


def test_scoring_forms_and_ranking_metric():
    X, y = make_regression(n_samples=60, n_features=3, noise=5, random_state=0)
    sgd = SGDRegressor(max_iter=20, tol=None, random_state=0)
    losses = ["squared_error", "epsilon_insensitive"]
    listed = compare_losses(
        sgd, X, y, losses=losses, scoring=["neg_mean_absolute_error", "r2"], cv=3
    )
    assert listed.metrics == ["neg_mean_absolute_error", "r2"]
    means = [row["neg_mean_absolute_error_mean"] for row in listed.table]
    assert means == sorted(means, reverse=True)
    assert "r2_mean" in listed.table[0]
    # names only this package knows resolve through sklearn_losses.get_scorer
    ours = compare_losses(sgd, X, y, losses=losses, scoring="neg_huber", cv=3)
    assert ours.metrics == ["neg_huber"]
    assert all(np.all(r["test_neg_huber"] <= 0) for r in ours.cv_results.values())
    default = compare_losses(sgd, X, y, losses=losses, cv=3)
    assert default.metrics == ["r2"]


def test_text_and_frame_show_the_same_ranking():
    X, y = make_regression(n_samples=60, n_features=3, noise=5, random_state=0)
    result = compare_losses(
        SGDRegressor(max_iter=20, tol=None, random_state=0),
        X,
        y,
        losses=["squared_error", "huber", "log_cosh"],
        cv=3,
    )
    frame = result.to_frame()
    assert list(frame.index) == result.ranking
    assert list(frame["rank"]) == [1, 2]
    text = str(result)
    lines = text.splitlines()
    rows = [line for line in lines if re.match(r"^\d+\s", line)]
    assert [row.split()[1] for row in rows] == result.ranking
    assert "skipped log_cosh" in text
    assert "LossComparison(best_loss_=" in repr(result)


def test_progress_lines(capsys):
    X, y = make_regression(n_samples=30, n_features=2, random_state=0)
    compare_losses(
        SGDRegressor(max_iter=5, tol=None),
        X,
        y,
        losses=["squared_error", "huber"],
        cv=2,
        verbose=1,
    )
    err = capsys.readouterr().err
    assert err.count("[compare_losses]") == 2  # one line per loss
    assert "2/2 huber, 2 fits" in err


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"losses": ["huber", "huber"]}, "listed twice"),
        ({"cv": StratifiedKFold(3), "n_repeats": 2}, "n_repeats"),
        ({"cv": 1}, "at least 2"),
        ({"n_repeats": 0}, "positive integer"),
        ({"scoring": []}, "metric names"),
    ],
)
def test_invalid_arguments(kwargs, message):
    X, y = make_regression(n_samples=30, n_features=2, random_state=0)
    with pytest.raises(ValueError, match=message):
        compare_losses(SGDRegressor(), X, y, **kwargs)


def test_estimator_without_loss_parameter():
    X, y = make_regression(n_samples=30, n_features=2, random_state=0)
    with pytest.raises(ValueError, match="no `loss` parameter"):
        compare_losses(StandardScaler(), X, y)


def test_result_from_precomputed_scores():
    # The result object ranks and tests whatever per-fold scores it is given.
    results = {
        "a": {"fit_time": np.ones(4), "test_m": np.array([0.5, 0.25, 0.5, 0.5])},
        "b": {"fit_time": np.ones(4), "test_m": np.array([0.75, 0.5, 0.75, 0.75])},
    }
    result = LossComparison(results, ["m"], n_train=75, n_test=25, n_splits=4)
    assert result.ranking == ["b", "a"]
    assert result.best_loss_ == "b"
    assert result.comparison["a"]["difference"] == 0.25
    # constant differences: infinitely significant
    assert result.comparison["a"]["p_value"] == 0.0


def test_warnings_the_caller_silenced_stay_silent():
    X, y = make_regression(n_samples=40, n_features=2, random_state=0)
    reg = MLPRegressor(hidden_layer_sizes=(3,), max_iter=2)
    kwargs = dict(losses=["squared_log_error"], cv=2)
    assert "squared_log_error" in compare_losses(reg, X, y, **kwargs).warnings
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*clips values below 0")
        result = compare_losses(reg, X, y, **kwargs)
    assert "squared_log_error" not in result.warnings


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux")
def test_losses_shared_out_among_processes_give_the_same_comparison():
    X, y = make_regression(n_samples=60, n_features=3, random_state=0)
    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    kwargs = dict(losses=["squared_error", "huber", "squared_log_error"], cv=3)
    one = compare_losses(reg, X, y, random_state=0, **kwargs)
    two = compare_losses(reg, X, y, random_state=0, n_jobs=2, **kwargs)
    assert list(two.cv_results) == list(one.cv_results)
    for name, results in one.cv_results.items():
        for key, scores in results.items():
            if key.startswith("test_"):
                np.testing.assert_array_equal(two.cv_results[name][key], scores)
    assert two.best_loss_ == one.best_loss_
    # a warning raised in a forked process is collected as in one process
    assert two.warnings == one.warnings and "squared_log_error" in two.warnings
