"""LossCurveDisplay: the figure holds exactly the curves the estimator recorded."""

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_losses import LossCurveDisplay, MLPClassifier, MLPRegressor

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def classifier():
    X, y = make_classification(n_samples=120, n_features=4, random_state=0)
    clf = MLPClassifier(
        loss="squared_hinge", hidden_layer_sizes=(6,), max_iter=7, random_state=0
    )
    return clf.fit(X[:80], y[:80], validation_data=(X[80:], y[80:]))


def _data(line):
    return line.get_xdata(), line.get_ydata()


def test_from_estimator_plots_the_recorded_curves(classifier):
    display = LossCurveDisplay.from_estimator(classifier, name="sq")
    epochs = np.arange(1, 8)
    for key, recorded, panel in [
        ("train_loss", classifier.loss_curve_, display.ax_),
        ("validation_loss", classifier.validation_loss_curve_, display.ax_),
        ("validation_score", classifier.validation_scores_, display.score_ax_),
    ]:
        line = display.lines_[key]
        x, y = _data(line)
        np.testing.assert_array_equal(x, epochs)
        np.testing.assert_allclose(y, recorded)
        assert line.axes is panel
    assert set(display.lines_) == {"train_loss", "validation_loss", "validation_score"}
    assert display.ax_.get_ylabel() == "squared_hinge loss"
    assert display.score_ax_.get_ylabel() == "accuracy"
    assert display.ax_.get_xlabel() == display.score_ax_.get_xlabel() == "epoch"
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend == ["sq train", "sq validation"]
    # one figure, two panels side by side
    assert len(display.figure_.axes) == 2
    assert display.score_ax_.figure is display.figure_


def test_validation_lines_share_the_training_colour_and_are_dashed(classifier):
    display = LossCurveDisplay.from_estimator(classifier)
    train, validation = display.lines_["train_loss"], display.lines_["validation_loss"]
    assert train.get_color() == validation.get_color()
    assert train.get_linestyle() == "-" and validation.get_linestyle() == "--"
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend == ["train", "validation"]


def test_draws_into_given_axes(classifier):
    fig, axes = plt.subplots(2, 1)
    display = LossCurveDisplay.from_estimator(classifier, ax=axes)
    assert display.ax_ is axes[0] and display.score_ax_ is axes[1]
    assert display.figure_ is fig
    # a single Axes gets the loss panel only
    fig, ax = plt.subplots()
    display = LossCurveDisplay.from_estimator(classifier, ax=ax)
    assert display.ax_ is ax and display.score_ax_ is None
    assert "validation_score" not in display.lines_
    with pytest.raises(ValueError, match="one or two Axes"):
        LossCurveDisplay.from_estimator(classifier, ax=[ax, ax, ax])


def test_without_validation_data_only_the_training_loss():
    X, y = make_regression(n_samples=60, n_features=3, random_state=0)
    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X, y)
    display = LossCurveDisplay.from_estimator(reg)
    assert list(display.lines_) == ["train_loss"]
    assert display.score_ax_ is None
    assert len(display.figure_.axes) == 1
    np.testing.assert_allclose(_data(display.lines_["train_loss"])[1], reg.loss_curve_)


def test_pipeline_regressor_with_early_stopping():
    X, y = make_regression(n_samples=80, n_features=3, random_state=0)
    pipe = make_pipeline(
        StandardScaler(),
        MLPRegressor(
            loss="huber", hidden_layer_sizes=(4,), max_iter=6, early_stopping=True
        ),
    ).fit(X, y)
    display = LossCurveDisplay.from_estimator(pipe)
    model = pipe[-1]
    assert display.ax_.get_ylabel() == "huber loss"
    assert display.score_ax_.get_ylabel() == "R^2"
    np.testing.assert_allclose(
        _data(display.lines_["validation_score"])[1], model.validation_scores_
    )


def test_from_arrays_with_training_scores():
    display = LossCurveDisplay(
        loss_curve=[3.0, 2.0, 1.0],
        validation_loss_curve=[3.5, 2.5, 2.0],
        train_scores=[0.5, 0.7, 0.9],
        validation_scores=[0.4, 0.6, 0.7],
        loss_name="my loss",
        score_name="my score",
        estimator_name="net",
    ).plot()
    assert set(display.lines_) == {
        "train_loss",
        "validation_loss",
        "train_score",
        "validation_score",
    }
    np.testing.assert_array_equal(
        _data(display.lines_["train_score"])[1], [0.5, 0.7, 0.9]
    )
    assert display.score_ax_.get_ylabel() == "my score"
    legend = [t.get_text() for t in display.score_ax_.get_legend().get_texts()]
    assert legend == ["net train", "net validation"]
    # plot(name=...) overrides the name given at construction
    display.plot(name="other")
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend == ["other train", "other validation"]


def test_lbfgs_has_no_curve():
    X, y = make_regression(n_samples=40, n_features=2, random_state=0)
    reg = MLPRegressor(solver="lbfgs", hidden_layer_sizes=(3,), max_iter=5).fit(X, y)
    with pytest.raises(ValueError, match="lbfgs"):
        LossCurveDisplay.from_estimator(reg)


def test_unfitted_estimator():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(MLPRegressor())
