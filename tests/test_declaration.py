"""A loss declared in this test module alone: one class is the whole declaration.

Defining the class registers it; the rest is derived from it: the names, the metric
function with the loss's parameters, the scorer, the rows the README and docs tables
must hold, the target check from its interval, and training with the estimators. The
loss is unregistered afterwards, so the other test modules see the built-ins only.
"""

import inspect
import math
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_regression
from test_readme import expected_readme_rows  # noqa: E402

from sklearn_losses import MLPRegressor, get_scorer, get_scorer_names, metrics
from sklearn_losses.losses import (
    Interval,
    RegressionLoss,
    get_loss,
    loss_aliases,
    loss_names,
)
from sklearn_losses.losses._registry import unregister_loss

DOCS_EXTENSIONS = Path(__file__).resolve().parents[1] / "docs" / "_ext"


@pytest.fixture
def cubic_loss():
    """Declare a loss (the class statement is the whole declaration), then remove it."""

    class MeanCubicError(RegressionLoss):
        """Mean cubic error ``|y_pred - y_true|**3 / scale``, for non-negative targets.

        Parameters
        ----------
        scale : float, default=1.0
            Divides the loss.
        out_activation : {"identity", "exp", "softplus"}, default=None
            Output activation; None means identity.
        """

        name = "mean_cubic_error"
        aliases = ("mce",)
        interval_y_true = Interval(0.0, math.inf, True, False)

        def __init__(self, scale: float = 1.0, out_activation: str | None = None):
            self.scale = scale
            self.out_activation = out_activation

        def pointwise(self, y_pred, y_true):
            return (y_pred - y_true).abs().pow(3) / self.scale

    yield MeanCubicError
    unregister_loss("mean_cubic_error")


def test_defining_the_class_registers_it(cubic_loss):
    assert "mean_cubic_error" in loss_names("regression")
    assert type(get_loss("mean_cubic_error")) is cubic_loss
    assert type(get_loss("mce")) is cubic_loss
    assert loss_aliases()["mce"] == "mean_cubic_error"


def test_it_has_a_metric_function_with_its_parameters(cubic_loss):
    function = metrics.mean_cubic_error
    parameters = inspect.signature(function).parameters
    assert list(parameters) == [
        "y_true",
        "y_pred",
        "sample_weight",
        "multioutput",
        "scale",
    ]
    assert parameters["scale"].default == 1.0
    y, p, w = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 4.0]), [1.0, 1.0, 2.0]
    # reference: |e|**3 / scale, weighted mean
    assert function(y, p) == pytest.approx((1 + 0 + 8) / 3)
    assert function(y, p, scale=2.0, sample_weight=w) == pytest.approx(
        (1 + 0 + 2 * 8) / 2 / 4
    )
    assert (
        "Mean cubic error" in function.__doc__ and "scale : float" in function.__doc__
    )
    # the domain, declared once, reaches the metric
    with pytest.raises(ValueError, match="non-negative y_true"):
        function([-1.0, 1.0], [0.0, 0.0])


def test_it_has_a_scorer(cubic_loss):
    assert "neg_mean_cubic_error" in get_scorer_names()
    X, y = make_regression(n_samples=40, n_features=3, random_state=0)
    y = np.abs(y) / np.abs(y).max()
    reg = MLPRegressor(loss="mce", hidden_layer_sizes=(4,), max_iter=5).fit(X, y)
    scorer = get_scorer("neg_mean_cubic_error")
    assert scorer.loss.name == "mean_cubic_error"
    expected = np.mean(np.abs(reg.predict(X) - y) ** 3)
    assert scorer(reg, X, y) == pytest.approx(-expected, rel=1e-6)


def test_the_readme_and_docs_tables_must_list_it(cubic_loss, monkeypatch):
    assert expected_readme_rows()["mean_cubic_error"] == {"regression"}
    pytest.importorskip("sphinx")  # the docs' table generator is a Sphinx extension
    monkeypatch.syspath_prepend(str(DOCS_EXTENSIONS))
    import loss_table

    header, rows = loss_table._rows("names")
    assert any(row[0].startswith("``mean_cubic_error``") for row in rows)
    header, rows = loss_table._rows("scoring")
    row = next(r for r in rows if r[0] == "``mean_cubic_error``")
    assert "metrics.mean_cubic_error" in row[1] and "neg_mean_cubic_error" in row[2]


def test_it_trains_with_the_estimators_and_checks_its_targets(cubic_loss):
    X, y = make_regression(n_samples=200, n_features=3, noise=0.1, random_state=0)
    # non-negative, and spread enough that the cubic loss's gradient does not vanish
    y = 5 * (y - y.min()) / (y.max() - y.min())
    reg = MLPRegressor(
        loss=cubic_loss(scale=2.0),
        hidden_layer_sizes=(16,),
        learning_rate_init=0.01,
        max_iter=200,
        random_state=0,
    ).fit(X, y)
    assert reg.score(X, y) > 0.8
    assert reg.__sklearn_tags__().target_tags.positive_only
    with pytest.raises(ValueError, match="mean_cubic_error loss needs non-negative"):
        MLPRegressor(loss="mce", max_iter=1).fit(X, y - 1.0)


def test_unregistered_afterwards():
    assert "mean_cubic_error" not in loss_names()
    assert "neg_mean_cubic_error" not in get_scorer_names()
    with pytest.raises(AttributeError):
        metrics.mean_cubic_error  # noqa: B018


def test_opting_out_and_names_in_use():
    class Draft(RegressionLoss, register=False):
        name = "draft_loss"

        def pointwise(self, y_pred, y_true):
            return (y_pred - y_true).abs()

    assert "draft_loss" not in loss_names()

    with pytest.raises(ValueError, match="already taken"):

        class Clash(RegressionLoss):
            name = "another_mse"
            aliases = ("mse",)  # squared_error's alias

    assert "another_mse" not in loss_names()
    with pytest.raises(ValueError, match="reserved"):

        class Dice(RegressionLoss):
            name = "dice"
