"""Scorers: names, values, classes of folds, model selection, metadata routing, errors."""

import pickle

import numpy as np
import pytest
import sklearn
import sklearn.metrics as skm
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_losses import (
    MLPClassifier,
    MLPRegressor,
    get_scorer,
    get_scorer_names,
    make_loss_scorer,
    metrics,
)
from sklearn_losses.losses import CustomLoss, Huber, LogLoss, get_loss, loss_names

FAST = dict(
    hidden_layer_sizes=(8,), max_iter=20, learning_rate_init=0.01, random_state=0
)

# The response each loss's scorer must call, written out independently.
EXPECTED_RESPONSE = {
    "squared_error": "predict",
    "absolute_error": "predict",
    "squared_log_error": "predict",
    "huber": "predict",
    "log_cosh": "predict",
    "poisson": "predict",
    "quantile": "predict",
    "gaussian_nll": "predict",
    "log_loss": "predict_proba",
    "sparse_categorical_crossentropy": "predict_proba",
    "kl_divergence": "predict_proba",
    "binary_focal": "predict_proba",
    "hinge": "decision_function",
    "squared_hinge": "decision_function",
    "categorical_hinge": "decision_function",
    "tweedie": "predict",
    "gamma": "predict",
    "epsilon_insensitive": "predict",
    "squared_epsilon_insensitive": "predict",
    "mean_absolute_percentage_error": "predict",
    "categorical_focal_crossentropy": "predict_proba",
    "categorical_generalized_cross_entropy": "predict_proba",
    # SGD's modified Huber has probabilities, but its loss is on decision values
    "modified_huber": "decision_function",
    "perceptron": "decision_function",
    "exponential": "decision_function",
}


@pytest.fixture(scope="module")
def three_classes():
    X, y = make_classification(
        n_samples=150, n_features=5, n_informative=3, n_classes=3, random_state=0
    )
    return StandardScaler().fit_transform(X), np.array(["ant", "bee", "cat"])[y]


@pytest.fixture(scope="module")
def two_classes():
    X, y = make_classification(n_samples=120, n_features=5, random_state=1)
    return StandardScaler().fit_transform(X), np.where(y == 1, "yes", "no")


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y = X @ np.array([1.0, -0.5, 0.3, 0.0]) + rng.standard_t(2, size=120) * 0.3
    return X, y


# -- names ---------------------------------------------------------------------------
def test_every_loss_has_a_scorer_with_the_right_response():
    assert set(EXPECTED_RESPONSE) <= set(loss_names())
    names = get_scorer_names()
    for loss_name in loss_names():
        # the reference table, else the rule: predict for regression, else what
        # the loss's metric takes
        loss = get_loss(loss_name)
        rule = "predict" if loss.tasks == {"regression"} else loss.response_method
        response = EXPECTED_RESPONSE.get(loss_name, rule)
        assert f"neg_{loss_name}" in names
        scorer = get_scorer(f"neg_{loss_name}")
        assert scorer.loss.name == loss_name
        assert scorer.response_method == response
        assert scorer._sign == -1


def test_metric_function_names_and_sklearn_names():
    names = get_scorer_names()
    assert names == sorted(names)
    # scikit-learn's names are all there and resolve to scikit-learn's scorers
    assert set(skm.get_scorer_names()) <= set(names)
    for name in (
        "r2",
        "accuracy",
        "neg_mean_squared_error",
        "neg_mean_squared_log_error",
    ):
        assert repr(get_scorer(name)) == repr(skm.get_scorer(name))
    # our metric names, where scikit-learn has none of that name
    for name, loss in [
        ("neg_binary_crossentropy", "log_loss"),
        ("neg_categorical_crossentropy", "log_loss"),
        ("neg_mean_huber_loss", "huber"),
        ("neg_huber", "huber"),
        ("neg_log_cosh", "log_cosh"),
        ("neg_mean_pinball_loss", "quantile"),
        ("neg_hinge_loss", "hinge"),
        ("neg_squared_hinge", "squared_hinge"),
        ("neg_binary_focal_crossentropy", "binary_focal"),
        ("neg_squared_log_error", "squared_log_error"),
    ]:
        assert get_scorer(name).loss.name == loss
    # neg_log_loss is the log_loss loss's scorer (multi-label, one-class folds)
    assert get_scorer("neg_log_loss").loss.name == "log_loss"
    # callables and None pass through as in scikit-learn; a loss object makes a scorer
    assert get_scorer(None) is None
    assert get_scorer(len) is len
    assert get_scorer(Huber(delta=3.0)).loss.delta == 3.0


def test_unknown_name_suggests_close_matches():
    with pytest.raises(ValueError, match="Did you mean 'neg_huber'"):
        get_scorer("neg_hubr")
    with pytest.raises(ValueError, match="neg_kl_divergence"):
        get_scorer("kl")


def test_get_scorer_returns_a_new_object_each_time():
    first, second = get_scorer("neg_huber"), get_scorer("neg_huber")
    assert first is not second and first.loss is not second.loss


# -- values ----------------------------------------------------------------------------
def test_scorer_is_minus_the_metric_on_the_response(three_classes, regression):
    X, y = three_classes
    clf = MLPClassifier(loss="log_loss", **FAST).fit(X, y)
    assert get_scorer("neg_log_loss")(clf, X, y) == pytest.approx(
        -metrics.log_loss(y, clf.predict_proba(X)), rel=1e-12
    )
    assert get_scorer("neg_hinge")(clf, X, y) == pytest.approx(
        -metrics.hinge_loss(y, clf.decision_function(X)), rel=1e-12
    )
    X, y = regression
    reg = MLPRegressor(loss="huber", **FAST).fit(X, y)
    scorer = make_loss_scorer("huber", delta=0.5)
    assert scorer(reg, X, y) == pytest.approx(
        -metrics.huber(y, reg.predict(X), delta=0.5), rel=1e-12
    )
    assert scorer(reg, X, y) != pytest.approx(get_scorer("neg_huber")(reg, X, y))


def test_scorers_on_scikit_learn_estimators(two_classes, regression):
    X, y = two_classes
    logistic = LogisticRegression().fit(X, y)
    assert get_scorer("neg_log_loss")(logistic, X, y) == pytest.approx(
        skm.get_scorer("neg_log_loss")(logistic, X, y), rel=1e-12
    )
    svc = LinearSVC().fit(X, y)
    assert get_scorer("neg_hinge")(svc, X, y) == pytest.approx(
        -skm.hinge_loss(y, svc.decision_function(X)), rel=1e-12
    )
    X, y = regression
    linear = LinearRegression().fit(X, y)
    assert get_scorer("neg_squared_error")(linear, X, y) == pytest.approx(
        skm.get_scorer("neg_mean_squared_error")(linear, X, y), rel=1e-12
    )


def test_scorer_encodes_a_one_class_fold_by_the_models_classes(two_classes):
    # Trap: a fold with one class must still be encoded by its position in classes_.
    X, y = two_classes
    clf = MLPClassifier(loss="hinge", **FAST).fit(X, y)
    only_yes = y == "yes"
    decision = clf.decision_function(X[only_yes])
    expected = np.mean(np.maximum(0, 1 - decision))  # "yes" is +1
    assert get_scorer("neg_hinge")(clf, X[only_yes], y[only_yes]) == pytest.approx(
        -expected, rel=1e-12
    )
    # scikit-learn's hinge_loss would encode the lone class as -1
    assert skm.hinge_loss(y[only_yes], decision, labels=clf.classes_) == pytest.approx(
        np.mean(np.maximum(0, 1 + decision))
    )
    proba_model = MLPClassifier(loss="log_loss", **FAST).fit(X, y)
    p_yes = proba_model.predict_proba(X[only_yes])[:, 1]
    assert get_scorer("neg_log_loss")(
        proba_model, X[only_yes], y[only_yes]
    ) == pytest.approx(np.mean(np.log(p_yes)), rel=1e-12)


def test_scorer_on_a_multiclass_fold_missing_classes(three_classes):
    X, y = three_classes
    clf = MLPClassifier(loss="kl_divergence", **FAST).fit(X, y)
    keep = y != "bee"
    value = get_scorer("neg_kl_divergence")(clf, X[keep], y[keep])
    assert value == pytest.approx(
        -metrics.kl_divergence(
            y[keep], clf.predict_proba(X[keep]), labels=["ant", "bee", "cat"]
        ),
        rel=1e-12,
    )


def test_multilabel_scorer_uses_every_label_column():
    # Two labels: scikit-learn's response helper would take this for two classes and
    # keep a single column; the loss scorer keeps the full indicator layout.
    X, Y = make_multilabel_classification(
        n_samples=100, n_features=5, n_classes=2, random_state=0
    )
    clf = MLPClassifier(loss="log_loss", **FAST).fit(X, Y)
    proba = clf.predict_proba(X)
    assert proba.shape == (100, 2)
    p = np.clip(proba, 1e-15, 1 - 1e-15)
    bce = -(Y * np.log(p) + (1 - Y) * np.log(1 - p)).sum(axis=1).mean()
    assert get_scorer("neg_log_loss")(clf, X, Y) == pytest.approx(-bce, rel=1e-9)


def test_make_loss_scorer(regression):
    scorer = make_loss_scorer(Huber(delta=2.0))
    assert repr(scorer) == "make_loss_scorer(Huber(delta=2.0))"
    assert scorer.response_method == "predict"
    loss = LogLoss(label_smoothing=0.1)
    scorer = make_loss_scorer(loss)
    assert scorer.loss is not loss and scorer.loss.label_smoothing == 0.1
    assert make_loss_scorer("log_loss", label_smoothing=0.2).loss.label_smoothing == 0.2
    with pytest.raises(InvalidParameterError):
        make_loss_scorer("huber", delta=-1.0)
    with pytest.raises(ValueError, match="Unknown loss"):
        make_loss_scorer("hubber")

    X, y = regression
    reg = MLPRegressor(**FAST).fit(X, y)
    scorer = make_loss_scorer("huber", delta=0.3)
    restored = pickle.loads(pickle.dumps(scorer))
    assert restored(reg, X, y) == scorer(reg, X, y)

    def cube(y_pred, y_true):
        return (y_pred - y_true).abs().pow(3).mean(dim=1)

    custom = make_loss_scorer(CustomLoss(cube))
    # integer-like targets of a regressor are still scored as regression
    y_int = np.round(y)
    reg = MLPRegressor(**FAST).fit(X, y_int)
    expected = np.mean(np.abs(reg.predict(X) - y_int) ** 3)
    assert custom(reg, X, y_int) == pytest.approx(-expected, rel=1e-9)


# -- model selection: acceptance 3 -----------------------------------------------------
def test_grid_search_over_losses_with_multi_metric_scoring(three_classes):
    X, y = three_classes
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", MLPClassifier(**FAST))])
    scoring = {
        "kl": get_scorer("neg_kl_divergence"),
        "log_loss": get_scorer("neg_log_loss"),
        "hinge": get_scorer("neg_hinge"),
        "accuracy": "accuracy",
        "f1": skm.get_scorer("f1_macro"),
    }
    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(
        pipe,
        {"mlp__loss": ["log_loss", "binary_focal", "sparse_categorical_crossentropy"]},
        scoring=scoring,
        refit="kl",
        cv=cv,
    ).fit(X, y)
    results = search.cv_results_
    kl_means = results["mean_test_kl"]
    assert search.best_index_ == int(np.argmax(kl_means))
    assert search.best_params_ == results["params"][search.best_index_]
    assert np.isfinite(results["mean_test_accuracy"]).all()
    # one cell recomputed by hand: split 1, second candidate
    train, test = list(cv.split(X, y))[1]
    model = sklearn.base.clone(pipe).set_params(mlp__loss="binary_focal")
    model.fit(X[train], y[train])
    proba = model.predict_proba(X[test])
    assert results["split1_test_kl"][1] == pytest.approx(
        -metrics.kl_divergence(y[test], proba, labels=model.classes_), rel=1e-6
    )
    assert results["split1_test_log_loss"][1] == pytest.approx(
        -skm.log_loss(y[test], proba, labels=model.classes_), rel=1e-6
    )
    assert results["split1_test_hinge"][1] == pytest.approx(
        -metrics.hinge_loss(y[test], model.decision_function(X[test])), rel=1e-6
    )
    # the refitted model is scored by the refit metric
    assert search.score(X, y) == pytest.approx(
        -metrics.kl_divergence(y, search.predict_proba(X)), rel=1e-12
    )


def test_grid_search_regression_pipeline(regression):
    X, y = regression
    search = GridSearchCV(
        make_pipeline(StandardScaler(), MLPRegressor(**FAST)),
        {"mlpregressor__loss": ["squared_error", "huber", "absolute_error"]},
        scoring={
            "huber": get_scorer("neg_huber"),
            "mae": "neg_mean_absolute_error",
            "r2": "r2",
        },
        refit="huber",
        cv=3,
    ).fit(X, y)
    assert search.best_index_ == int(np.argmax(search.cv_results_["mean_test_huber"]))
    assert np.all(search.cv_results_["mean_test_huber"] < 0)


def test_cross_validate_routes_sample_weight_to_the_scorer(regression):
    X, y = regression
    w = np.random.default_rng(1).uniform(0.1, 3.0, len(y))
    cv = KFold(3, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        scoring = {
            "huber": get_scorer("neg_huber").set_score_request(sample_weight=True),
            "unweighted": get_scorer("neg_huber").set_score_request(
                sample_weight=False
            ),
            "mse": skm.get_scorer("neg_mean_squared_error").set_score_request(
                sample_weight=True
            ),
        }
        model = MLPRegressor(loss="huber", **FAST).set_fit_request(sample_weight=True)
        result = cross_validate(
            model,
            X,
            y,
            cv=cv,
            scoring=scoring,
            params={"sample_weight": w},
            return_estimator=True,
            return_indices=True,
        )
    for k, (estimator, test) in enumerate(
        zip(result["estimator"], result["indices"]["test"])
    ):
        pred = estimator.predict(X[test])
        weighted = -metrics.huber(y[test], pred, sample_weight=w[test])
        assert result["test_huber"][k] == pytest.approx(weighted, rel=1e-12)
        assert result["test_unweighted"][k] == pytest.approx(
            -metrics.huber(y[test], pred), rel=1e-12
        )
        assert result["test_huber"][k] != pytest.approx(result["test_unweighted"][k])
        assert result["test_mse"][k] == pytest.approx(
            -skm.mean_squared_error(y[test], pred, sample_weight=w[test]), rel=1e-12
        )


def test_sample_weight_reaches_the_scorer_without_routing(two_classes):
    X, y = two_classes
    clf = MLPClassifier(**FAST).fit(X, y)
    w = np.linspace(0.1, 2.0, len(y))
    scorer = get_scorer("neg_binary_crossentropy")
    assert scorer(clf, X, y, sample_weight=w) == pytest.approx(
        -skm.log_loss(y, clf.predict_proba(X), sample_weight=w), rel=1e-12
    )


# -- a scorer that needs probabilities: acceptance 4 ----------------------------------
def test_missing_predict_proba_is_explained(two_classes):
    X, y = two_classes
    for model in (
        MLPClassifier(loss="hinge", **FAST),
        make_pipeline(
            StandardScaler(), MLPClassifier(loss="categorical_hinge", **FAST)
        ),
    ):
        model.fit(X, y)
        assert not hasattr(model, "predict_proba")
        with pytest.raises(AttributeError) as error:
            get_scorer("neg_log_loss")(model, X, y)
        message = str(error.value)
        loss = "hinge" if isinstance(model, MLPClassifier) else "categorical_hinge"
        assert f"'{loss}' loss" in message
        assert (
            "predict_proba" in message and "defines no class probabilities" in message
        )
        assert f"'neg_{loss}'" in message and "'log_loss'" in message
        # the decision-value scorers work on the same model
        assert np.isfinite(get_scorer(f"neg_{loss}")(model, X, y))
    # scikit-learn's estimators: named by their own loss parameter where they have one
    with pytest.raises(AttributeError, match="'squared_hinge' loss, which defines no"):
        get_scorer("neg_log_loss")(LinearSVC().fit(X, y), X, y)
    with pytest.raises(AttributeError, match="needs predict_proba, which SVC does not"):
        get_scorer("neg_log_loss")(SVC().fit(X, y), X, y)


def test_error_score_with_a_scorer_that_cannot_apply(two_classes):
    X, y = two_classes
    model = MLPClassifier(loss="hinge", **FAST)
    proba_scorer = get_scorer("neg_kl_divergence")
    with pytest.warns(UserWarning, match="Scoring failed") as record:
        result = cross_validate(
            model, X, y, cv=2, scoring=proba_scorer, error_score=np.nan
        )
    assert np.isnan(result["test_score"]).all()
    assert any("defines no class probabilities" in str(w.message) for w in record)

    # in a multi-metric dict only the failing scorer gets error_score
    scoring = {"kl": proba_scorer, "hinge": get_scorer("neg_hinge"), "acc": "accuracy"}
    with pytest.warns(UserWarning, match="Scoring failed"):
        result = cross_validate(model, X, y, cv=2, scoring=scoring, error_score=-1.0)
    assert (result["test_kl"] == -1.0).all()
    assert np.isfinite(result["test_hinge"]).all() and (result["test_hinge"] < 0).all()
    assert np.isfinite(result["test_acc"]).all()

    for score in (proba_scorer, scoring):
        with pytest.raises(AttributeError, match="defines no class probabilities"):
            cross_validate(model, X, y, cv=2, scoring=score, error_score="raise")


def test_grid_search_with_a_loss_without_probabilities(two_classes):
    X, y = two_classes
    with pytest.warns(UserWarning) as record:
        search = GridSearchCV(
            MLPClassifier(**FAST),
            {"loss": ["hinge", "log_loss"]},
            scoring={"ll": get_scorer("neg_log_loss"), "acc": "accuracy"},
            refit="ll",
            cv=2,
            error_score=np.nan,
        ).fit(X, y)
    messages = [str(w.message) for w in record]
    assert any("Scoring failed" in m and "'hinge' loss" in m for m in messages)
    assert any("test scores are non-finite" in m for m in messages)
    assert np.isnan(search.cv_results_["mean_test_ll"][0])
    assert np.isfinite(search.cv_results_["mean_test_ll"][1])
    assert search.best_params_ == {"loss": "log_loss"}
