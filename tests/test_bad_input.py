"""Bad input fails fast with a ValueError or TypeError that names the problem.

Never a torch RuntimeError, an IndexError or a silent NaN.
"""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from sklearn_losses import MLPClassifier, MLPRegressor
from sklearn_losses.losses import LogLoss

FAST = dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
ESTIMATORS = [MLPRegressor, MLPClassifier]


@pytest.fixture(scope="module")
def data():
    X, y = make_blobs(n_samples=40, centers=3, n_features=3, random_state=0)
    return X, y


def targets(Estimator, y):
    """Class labels for the classifier, positive floats for the regressor."""
    return y if Estimator is MLPClassifier else y.astype(float) + 1.0


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_X(Estimator, value, data):
    X, y = data
    X = X.copy()
    X[3, 1] = value
    with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
        Estimator(**FAST).fit(X, targets(Estimator, y))


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_y(value, data):
    X, y = data
    y = y.astype(float)
    y[5] = value
    with pytest.raises(ValueError, match="Input y contains (NaN|infinity)"):
        MLPRegressor(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="Input y contains (NaN|infinity)"):
        MLPClassifier(**FAST).fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_malformed_X(Estimator, data):
    X, y = data
    y = targets(Estimator, y)
    with pytest.raises(ValueError, match="0 sample"):
        Estimator(**FAST).fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="Found array with dim 3"):
        Estimator(**FAST).fit(X.reshape(len(X), 3, 1), y)
    with pytest.raises(ValueError, match="could not convert string to float"):
        Estimator(**FAST).fit(np.full(X.shape, "a"), y)
    with pytest.raises(ValueError, match="Complex data not supported"):
        Estimator(**FAST).fit(X + 1j, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        Estimator(**FAST).fit(X, y[:-1])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_wrong_number_of_features_at_predict(Estimator, data):
    X, y = data
    est = Estimator(**FAST).fit(X, targets(Estimator, y))
    with pytest.raises(ValueError, match="X has 2 features, but .* is expecting 3"):
        est.predict(X[:, :2])


def test_classifier_target_problems(data):
    X, y = data
    # One class is valid, as in scikit-learn (see test_dropin.py): it is predicted.
    one_class = MLPClassifier(**FAST).fit(X, np.zeros(len(X)))
    assert (one_class.predict(X) == 0).all()
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        MLPClassifier(**FAST).fit(X, y + 0.5)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_loss_problems(Estimator, data):
    X, y = data
    y = targets(Estimator, y)
    with pytest.raises(ValueError, match="Unknown loss 'hnige'. Did you mean 'hinge'"):
        Estimator(loss="hnige", **FAST).fit(X, y)
    with pytest.raises(
        TypeError, match="'loss' parameter .* must be an instance of 'str'"
    ):
        Estimator(loss=3, **FAST).fit(X, y)
    wrong = "log_loss" if Estimator is MLPRegressor else "squared_error"
    with pytest.raises(ValueError, match=f"'{wrong}' loss does not apply to"):
        Estimator(loss=wrong, **FAST).fit(X, y)


def test_loss_not_for_this_target_type(data):
    X, y = data
    with pytest.raises(ValueError, match="'hinge' loss does not apply to regression"):
        MLPRegressor(loss="hinge", **FAST).fit(X, y.astype(float))
    Y = np.column_stack([y == 0, y == 1]).astype(int)
    with pytest.raises(
        ValueError, match="'kl_divergence' loss does not apply to multilabel"
    ):
        MLPClassifier(loss="kl_divergence", **FAST).fit(X, Y)


def test_target_domain(data):
    X, y = data
    with pytest.raises(ValueError, match="poisson loss needs non-negative targets"):
        MLPRegressor(loss="poisson", **FAST).fit(X, y - 1.0)


@pytest.mark.parametrize("smoothing", [-0.1, 1.0, 2.0])
def test_label_smoothing_outside_range(smoothing, data):
    X, y = data
    with pytest.raises(ValueError, match="label_smoothing"):
        MLPClassifier(loss=LogLoss(label_smoothing=smoothing), **FAST).fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "params, message",
    [
        ({"hidden_layer_sizes": (4, 0)}, "hidden_layer_sizes must contain positive"),
        ({"hidden_layer_sizes": 0}, "hidden_layer_sizes"),
        ({"alpha": -1.0}, "'alpha' parameter"),
        ({"solver": "newton"}, "'solver' parameter"),
        ({"activation": "gelu"}, "'activation' parameter"),
        ({"learning_rate_init": 0.0}, "'learning_rate_init' parameter"),
        ({"batch_size": 0}, "'batch_size' parameter"),
        ({"validation_fraction": 1.0}, "'validation_fraction' parameter"),
        ({"device": "gpu0"}, "not a torch device"),
        ({"device": 3}, "'device' parameter"),
        ({"module": "mlp"}, "'module' parameter"),
    ],
)
def test_invalid_hyperparameters(Estimator, params, message, data):
    X, y = data
    with pytest.raises((ValueError, TypeError), match=message):
        Estimator(**{**FAST, **params}).fit(X, targets(Estimator, y))


def test_module_that_is_not_a_torch_module(data):
    X, y = data
    with pytest.raises(TypeError, match="module must build a torch.nn.Module"):
        MLPClassifier(module=lambda n_in, n_out: "not a module", **FAST).fit(X, y)


def test_partial_fit_with_unseen_classes(data):
    X, y = data
    clf = MLPClassifier(**FAST).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X, np.where(y == 2, 5, y))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_warm_start_after_the_loss_changed(Estimator, data):
    X, y = data
    y = targets(Estimator, y)
    est = Estimator(warm_start=True, **FAST).fit(X, y)
    est.set_params(loss="absolute_error" if Estimator is MLPRegressor else "hinge")
    with pytest.raises(ValueError, match="Cannot continue training"):
        est.fit(X, y)


def test_warm_start_after_the_output_size_changed(data):
    X, y = data
    reg = MLPRegressor(warm_start=True, **FAST).fit(X, y.astype(float))
    with pytest.raises(ValueError, match="has 1 outputs but these targets need 2"):
        reg.fit(X, np.column_stack([y, y]).astype(float))
    clf = MLPClassifier(warm_start=True, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="same classes"):
        clf.fit(X, np.where(y == 2, 1, y))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_bad_sample_weights(Estimator, data):
    X, y = data
    y = targets(Estimator, y)
    with pytest.raises(ValueError, match="sample_weight.shape == .* expected"):
        Estimator(**FAST).fit(X, y, sample_weight=np.ones(len(X) - 1))
    with pytest.raises(
        ValueError, match="Negative values in data passed to `sample_weight`"
    ):
        Estimator(**FAST).fit(X, y, sample_weight=np.r_[-1.0, np.ones(len(X) - 1)])
    with pytest.raises(ValueError, match="at least one non-zero"):
        Estimator(**FAST).fit(X, y, sample_weight=np.zeros(len(X)))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_divergence_is_an_error_not_nan_predictions(Estimator, data):
    X, y = data
    y = targets(Estimator, y) if Estimator is MLPClassifier else y * 1e4
    est = Estimator(
        solver="sgd",
        learning_rate_init=1e3,
        max_iter=50,
        hidden_layer_sizes=(8,),
        random_state=0,
    )
    with pytest.raises(ValueError, match="diverged"):
        est.fit(X * 1e3, y)
    assert not hasattr(est, "n_iter_") or not np.isnan(est.loss_)
