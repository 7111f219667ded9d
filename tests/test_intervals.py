"""Predictions with uncertainty: several quantiles from one fit, a Gaussian head."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from scipy.stats import norm, spearmanr
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import BayesianRidge
from sklearn.metrics import mean_pinball_loss as sk_mean_pinball_loss
from sklearn.metrics import r2_score
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_losses import MLPRegressor, get_scorer, make_loss_scorer
from sklearn_losses.losses import ACTIVATIONS, GaussianNLL, Quantile, get_loss
from sklearn_losses.metrics import gaussian_nll, mean_pinball_loss

LEVELS = [0.05, 0.5, 0.95]
FAST = dict(
    hidden_layer_sizes=(16,), max_iter=30, learning_rate_init=0.01, random_state=0
)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def heteroscedastic(n, seed):
    """A smooth mean and a noise level growing from 0.1 to 0.7 along X[:, 0]."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    noise = 0.1 + 0.3 * (X[:, 0] + 1)
    y = np.sin(3 * X[:, 0]) + 0.5 * X[:, 1] + noise * rng.normal(size=n)
    return X, y, noise


@pytest.fixture(scope="module")
def small_data():
    X, y = make_regression(
        n_samples=120, n_features=4, n_targets=2, noise=5, random_state=0
    )
    return StandardScaler().fit_transform(X), y / y.std(axis=0)


# -- acceptance: coverage, no crossing, the std tracks the noise -----------------------
def test_five_to_ninety_five_band_covers_ninety_percent_of_held_out_points():
    X, y, _ = heteroscedastic(8000, seed=0)
    X_test, y_test, _ = heteroscedastic(10000, seed=1)
    reg = MLPRegressor(
        loss=Quantile(alpha=LEVELS),
        hidden_layer_sizes=(32,),
        max_iter=60,
        learning_rate_init=0.003,
        batch_size=100,
        random_state=0,
    ).fit(X, y)
    low, _, high = reg.predict_quantiles(X_test).T
    assert abs(np.mean((y_test >= low) & (y_test <= high)) - 0.90) <= 0.03
    # each tail holds about 5%, and the band follows the noise level
    assert 0.02 <= np.mean(y_test < low) <= 0.08
    assert 0.02 <= np.mean(y_test > high) <= 0.08
    width = high - low
    assert width[X_test[:, 0] > 0.5].mean() > 2 * width[X_test[:, 0] < -0.5].mean()


@pytest.mark.parametrize("out_activation", [None, "exp", "softplus"])
def test_quantiles_never_cross_on_random_inputs(out_activation):
    X, y, _ = heteroscedastic(500, seed=2)
    levels = [0.01, 0.02, 0.1, 0.5, 0.51, 0.9, 0.99]
    reg = MLPRegressor(
        loss=Quantile(alpha=levels, out_activation=out_activation), **FAST
    ).fit(X, np.abs(y) if out_activation else y)
    # far outside the training range too, where nothing holds the levels apart
    X_random = np.random.default_rng(3).normal(scale=20.0, size=(10_000, 2))
    quantiles = reg.predict_quantiles(X_random)
    assert quantiles.shape == (10_000, len(levels))
    assert np.all(np.isfinite(quantiles))
    assert np.all(np.diff(quantiles, axis=1) >= 0)


def test_gaussian_std_tracks_the_noise_level():
    X, y, _ = heteroscedastic(4000, seed=0)
    X_test, _, noise = heteroscedastic(2000, seed=1)
    reg = MLPRegressor(
        loss="gaussian_nll",
        hidden_layer_sizes=(32,),
        max_iter=60,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X, y)
    mean, std = reg.predict(X_test, return_std=True)
    assert spearmanr(std, noise).statistic > 0.8
    assert_allclose(mean, reg.predict(X_test))


# -- several quantile levels --------------------------------------------------------
def test_predict_is_the_median_level_and_score_is_its_r2(small_data):
    X, y = small_data
    reg = MLPRegressor(loss=Quantile(alpha=[0.1, 0.5, 0.8]), **FAST).fit(X, y[:, 0])
    quantiles = reg.predict_quantiles(X)
    assert quantiles.shape == (len(X), 3)
    assert reg.out_activation_ == "increasing" and reg.n_outputs_ == 3
    assert np.array_equal(reg.predict(X), quantiles[:, 1])
    assert reg.score(X, y[:, 0]) == r2_score(y[:, 0], quantiles[:, 1])


@pytest.mark.parametrize(
    "levels, expected", [([0.1, 0.3, 0.9], 1), ([0.2, 0.8], 0), ([0.7, 0.9], 0)]
)
def test_without_a_median_predict_is_the_level_nearest_one_half(
    small_data, levels, expected
):
    X, y = small_data
    reg = MLPRegressor(loss=Quantile(alpha=levels), **FAST).fit(X, y[:, 0])
    assert np.array_equal(reg.predict(X), reg.predict_quantiles(X)[:, expected])


def test_several_targets_have_their_own_levels(small_data):
    X, y = small_data
    reg = MLPRegressor(loss=Quantile(alpha=LEVELS), **FAST).fit(X, y)
    quantiles = reg.predict_quantiles(X)
    assert quantiles.shape == (len(X), 2, 3) and reg.n_outputs_ == 6
    assert np.array_equal(reg.predict(X), quantiles[:, :, 1])
    assert np.all(np.diff(quantiles, axis=2) >= 0)


def test_a_float_alpha_is_unchanged_and_has_one_level(small_data):
    X, y = small_data
    reg = MLPRegressor(loss=Quantile(alpha=0.3), **FAST).fit(X, y[:, 0])
    assert reg.out_activation_ == "identity" and reg.n_outputs_ == 1
    assert np.array_equal(reg.predict_quantiles(X), reg.predict(X)[:, None])
    assert not hasattr(MLPRegressor(loss="squared_error"), "predict_quantiles")


def test_multi_level_pinball_metric_is_sklearn_per_level_averaged():
    rng = np.random.default_rng(0)
    y = rng.normal(size=(60, 2))
    quantiles = np.sort(rng.normal(size=(60, 2, 3)), axis=2)
    weight = rng.uniform(0, 2, size=60)
    expected = np.mean(
        [
            sk_mean_pinball_loss(y, quantiles[:, :, j], alpha=a, sample_weight=weight)
            for j, a in enumerate(LEVELS)
        ]
    )
    value = mean_pinball_loss(y, quantiles, alpha=LEVELS, sample_weight=weight)
    assert abs(value - expected) < 1e-12
    # one target: (n_samples, n_levels)
    expected = np.mean(
        [
            sk_mean_pinball_loss(y[:, 0], quantiles[:, 0, j], alpha=a)
            for j, a in enumerate(LEVELS)
        ]
    )
    assert (
        abs(mean_pinball_loss(y[:, 0], quantiles[:, 0], alpha=LEVELS) - expected)
        < 1e-12
    )


def test_multi_level_scorer_scores_predict_quantiles(small_data):
    X, y = small_data
    loss = Quantile(alpha=LEVELS)
    reg = MLPRegressor(loss=loss, **FAST).fit(X, y[:, 0])
    quantiles = reg.predict_quantiles(X)
    expected = np.mean(
        [
            sk_mean_pinball_loss(y[:, 0], quantiles[:, j], alpha=a)
            for j, a in enumerate(LEVELS)
        ]
    )
    assert_allclose(make_loss_scorer(loss)(reg, X, y[:, 0]), -expected, rtol=1e-12)
    assert make_loss_scorer(loss).response_method == "predict_quantiles"


def test_training_loss_is_the_metric_of_the_training_outputs(small_data):
    X, y = small_data
    reg = MLPRegressor(
        loss=Quantile(alpha=LEVELS), solver="lbfgs", max_iter=5, random_state=0
    ).fit(X, y[:, 0])
    # lbfgs reports the full-batch objective: the metric plus the L2 term
    penalty = 0.5 * reg.alpha * sum((W**2).sum() for W in reg.coefs_) / len(X)
    value = mean_pinball_loss(y[:, 0], reg.predict_quantiles(X), alpha=LEVELS)
    assert_allclose(reg.loss_, value + penalty, rtol=1e-6)


def test_levels_must_increase_inside_zero_one():
    X, y = np.zeros((10, 1)), np.arange(10.0)
    for alpha in ([0.5, 0.1], [0.1, 0.1], [0.0, 0.5], [0.5, 1.2], [[0.1, 0.2]], []):
        with pytest.raises(ValueError, match="strictly increasing"):
            MLPRegressor(loss=Quantile(alpha=alpha), max_iter=2).fit(X, y)


def test_metric_rejects_a_response_without_one_column_per_level():
    with pytest.raises(ValueError, match="one column per quantile level"):
        mean_pinball_loss([1.0, 2.0], [[1.0, 2.0], [1.0, 2.0]], alpha=LEVELS)


@pytest.mark.parametrize("base", ["identity", "exp", "softplus"])
def test_increasing_activation_backward_equals_autograd(base):
    activation = Quantile(alpha=[0.1, 0.4, 0.6, 0.9], out_activation=base)
    activation = activation.output_activation("regression")
    gen = torch.Generator().manual_seed(0)
    raw = (3 * torch.randn(20, 8, generator=gen, dtype=torch.float64)).requires_grad_()
    grad = torch.randn(20, 8, generator=gen, dtype=torch.float64)
    output = activation.torch_fn(raw)
    output.backward(grad)
    expected = activation.torch_backward(grad, output.detach(), raw.detach())
    assert_allclose(expected.numpy(), raw.grad.numpy(), rtol=1e-12, atol=1e-14)
    # the NumPy face computes the same outputs
    assert_allclose(
        activation.numpy_fn(raw.detach().numpy()), output.detach().numpy(), rtol=1e-12
    )


def test_levels_may_be_an_array_and_training_may_continue(small_data):
    X, y = small_data
    reg = MLPRegressor(loss=Quantile(alpha=np.array(LEVELS)), warm_start=True, **FAST)
    reg.fit(X, y[:, 0]).fit(X, y[:, 0])
    reg.partial_fit(X, y[:, 0])
    assert reg.predict_quantiles(X).shape == (len(X), 3)
    with pytest.raises(ValueError, match="Cannot continue training"):
        reg.set_params(loss=Quantile(alpha=[0.1, 0.5, 0.9])).fit(X, y[:, 0])


def test_quantile_intercepts_are_the_weighted_quantiles():
    rng = np.random.default_rng(0)
    y = rng.exponential(size=(301, 2))
    counts = rng.integers(0, 4, size=301)
    for base in ("identity", "exp"):
        loss = Quantile(alpha=LEVELS, out_activation=base)
        raw = loss.fit_intercept_only(y, counts.astype(float), "regression")
        constant = loss.output_activation("regression").numpy_fn(raw[None, :])
        # integer weights are repeated rows
        repeated = np.repeat(y, counts, axis=0)
        expected = np.quantile(repeated, LEVELS, axis=0, method="inverted_cdf").T
        assert raw.shape == (6,)
        assert_allclose(constant.reshape(2, 3), expected, rtol=1e-9)
    # a float alpha: one level, through the plain output activation
    raw = Quantile(alpha=0.3).fit_intercept_only(y, None, "regression")
    assert_allclose(raw, np.quantile(y, 0.3, axis=0, method="inverted_cdf"))


def test_intercepts_stay_finite_on_tied_and_zero_targets():
    y = np.r_[np.zeros(90), np.arange(1.0, 11.0)].reshape(-1, 1)  # 90% zeros
    for base in ("identity", "exp", "softplus"):
        loss = Quantile(alpha=LEVELS, out_activation=base)
        raw = loss.fit_intercept_only(y, None, "regression")
        assert np.all(np.isfinite(raw))
        low, middle, _ = loss.output_activation("regression").numpy_fn(raw[None])[0]
        # tied levels start a hundredth of the target's spread apart
        assert_allclose(middle - low, 0.01 * y.std(), rtol=1e-9)
    constant = np.full((20, 1), 3.0)
    raw = GaussianNLL().fit_intercept_only(constant, None, "regression")
    assert np.all(np.isfinite(raw)) and raw[0] == 3.0


# -- the Gaussian negative log-likelihood --------------------------------------------
def test_gaussian_metric_is_the_negative_log_density():
    rng = np.random.default_rng(0)
    y, mean = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    std, weight = rng.uniform(0.1, 3, size=(50, 3)), rng.uniform(0, 2, size=50)
    per_sample = -norm.logpdf(y, mean, std).mean(axis=1)
    value = gaussian_nll(y, (mean, std), sample_weight=weight)
    assert abs(value - np.average(per_sample, weights=weight)) < 1e-12
    value = gaussian_nll(y[:, 0], (mean[:, 0], std[:, 0]))
    assert abs(value + norm.logpdf(y[:, 0], mean[:, 0], std[:, 0]).mean()) < 1e-12
    # the variance is clamped at eps, as torch's GaussianNLLLoss does
    tiny = gaussian_nll([0.0], ([0.0], [0.0]), eps=1e-4)
    assert abs(tiny + norm.logpdf(0.0, 0.0, 1e-2)) < 1e-12


def test_metrics_take_multioutput_as_scikit_learn():
    rng = np.random.default_rng(1)
    y = rng.normal(size=(40, 2))
    weight = rng.uniform(0, 2, size=40)
    # several levels: per output, the mean over levels of scikit-learn's metric
    quantiles = np.sort(rng.normal(size=(40, 2, 3)), axis=2)
    expected = np.mean(
        [
            sk_mean_pinball_loss(
                y,
                quantiles[:, :, j],
                alpha=a,
                sample_weight=weight,
                multioutput="raw_values",
            )
            for j, a in enumerate(LEVELS)
        ],
        axis=0,
    )
    value = mean_pinball_loss(
        y, quantiles, alpha=LEVELS, sample_weight=weight, multioutput="raw_values"
    )
    assert value.shape == (2,)
    assert_allclose(value, expected, rtol=1e-12)
    weighted = mean_pinball_loss(y, quantiles, alpha=LEVELS, multioutput=[1.0, 3.0])
    unweighted = mean_pinball_loss(y, quantiles, alpha=LEVELS, multioutput="raw_values")
    assert abs(weighted - np.average(unweighted, weights=[1.0, 3.0])) < 1e-12
    # the Gaussian: per output, the weighted mean negative log density
    mean, std = rng.normal(size=(40, 2)), rng.uniform(0.2, 2, size=(40, 2))
    expected = np.average(-norm.logpdf(y, mean, std), axis=0, weights=weight)
    value = gaussian_nll(y, (mean, std), sample_weight=weight, multioutput="raw_values")
    assert_allclose(value, expected, rtol=1e-12)


def test_a_negative_log_likelihood_is_not_taken_for_divergence():
    # Noise of 0.01: the Gaussian's loss is below zero from the first epoch on (the
    # log of a small variance), and a decreasing negative curve trains normally.
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, size=(8000, 2))
    y = 0.5 * X[:, 0] + 0.3 * X[:, 1] + 0.01 * rng.normal(size=8000)
    reg = MLPRegressor(loss="gaussian_nll", **dict(FAST, max_iter=5)).fit(X, y)
    assert reg.loss_curve_[0] < 0
    assert reg.loss_curve_[-1] < reg.loss_curve_[0]


def test_gaussian_matches_torch_gaussian_nll_loss():
    gen = torch.Generator().manual_seed(0)
    raw = torch.randn(40, 4, generator=gen, dtype=torch.float64)
    y = torch.randn(40, 2, generator=gen, dtype=torch.float64)
    loss = GaussianNLL()
    activated = loss.output_activation("regression").torch_fn(raw)
    expected = torch.nn.GaussianNLLLoss(full=True, eps=1e-6, reduction="none")(
        activated[:, 0::2], y, activated[:, 1::2]
    )
    assert_allclose(
        loss.raw_loss(raw, y, loss.output_activation("regression")).numpy(),
        expected.mean(dim=1).numpy(),
        rtol=1e-12,
    )


def test_gaussian_variance_is_softplus_plus_eps():
    raw = np.array([[0.3, -50.0, 1.0, 2.0]])
    activated = GaussianNLL(eps=1e-3).output_activation("regression").numpy_fn(raw)
    softplus = np.log1p(np.exp(raw[0, 1::2]))
    assert_allclose(activated, [[0.3, softplus[0] + 1e-3, 1.0, softplus[1] + 1e-3]])


def test_predict_return_std_shapes_and_scorer(small_data):
    X, y = small_data
    reg = MLPRegressor(loss="gaussian_nll", **FAST).fit(X, y)
    mean, std = reg.predict(X, return_std=True)
    assert mean.shape == std.shape == y.shape and reg.n_outputs_ == 4
    assert np.all(std > 0)
    expected = -norm.logpdf(y, mean, std).mean()
    assert_allclose(get_scorer("neg_gaussian_nll")(reg, X, y), -expected, rtol=1e-12)
    single = MLPRegressor(loss="gaussian_nll", **FAST).fit(X, y[:, 0])
    mean, std = single.predict(X, return_std=True)
    assert mean.shape == std.shape == (len(X),)
    assert single.score(X, y[:, 0]) == r2_score(y[:, 0], mean)


def test_gaussian_scorer_scores_scikit_learn_models_with_return_std(small_data):
    X, y = small_data
    model = BayesianRidge().fit(X, y[:, 0])
    mean, std = model.predict(X, return_std=True)
    value = get_scorer("neg_gaussian_nll")(model, X, y[:, 0])
    assert_allclose(value, norm.logpdf(y[:, 0], mean, std).mean(), rtol=1e-12)


def test_gaussian_works_in_pipelines_and_cross_validation(small_data):
    X, y = small_data
    model = make_pipeline(StandardScaler(), MLPRegressor(loss="gaussian_nll", **FAST))
    scorer = get_scorer("neg_gaussian_nll")
    scores = cross_val_score(model, X, y[:, 0], cv=3, scoring=scorer)
    assert np.all(np.isfinite(scores))
    assert model.fit(X, y[:, 0]).predict(X, return_std=True)[1].shape == (len(X),)


def test_several_levels_are_scored_through_a_pipeline(small_data):
    X, y = small_data
    loss = Quantile(alpha=LEVELS)
    model = make_pipeline(StandardScaler(), MLPRegressor(loss=loss, **FAST))
    model.fit(X, y[:, 0])
    quantiles = model[-1].predict_quantiles(model[0].transform(X))
    expected = mean_pinball_loss(y[:, 0], quantiles, alpha=LEVELS)
    assert make_loss_scorer(loss)(model, X, y[:, 0]) == -expected
    assert np.array_equal(model.predict(X), quantiles[:, 1])


def test_gaussian_intercepts_are_the_weighted_mean_and_variance():
    rng = np.random.default_rng(0)
    y, weight = rng.normal(3.0, 2.0, size=(200, 2)), rng.uniform(0, 2, size=200)
    loss = GaussianNLL()
    raw = loss.fit_intercept_only(y, weight, "regression")
    activated = loss.output_activation("regression").numpy_fn(raw[None, :])
    mean = np.average(y, axis=0, weights=weight)
    variance = np.average((y - mean) ** 2, axis=0, weights=weight)
    assert_allclose(activated.reshape(2, 2), np.column_stack([mean, variance]))


def test_return_std_needs_a_distribution(small_data):
    X, y = small_data
    reg = MLPRegressor(loss="squared_error", **FAST).fit(X, y[:, 0])
    with pytest.raises(ValueError, match="return_std=True needs a loss"):
        reg.predict(X, return_std=True)
    with pytest.raises(ValueError, match=r"y_pred=\(mean, std\)"):
        gaussian_nll([0.0, 1.0], np.zeros((2, 2)))


def test_names_and_aliases():
    for name in ("gaussian_nll", "gaussian_nll_loss", "GaussianNLLLoss"):
        assert type(get_loss(name)) is GaussianNLL
    assert GaussianNLL().activation("regression") == "gaussian"
    assert "gaussian" not in ACTIVATIONS  # built per loss, with its eps


@pytest.mark.parametrize("loss", [Quantile(alpha=LEVELS), GaussianNLL()])
def test_models_pickle_with_their_heads(small_data, loss):
    X, y = small_data
    reg = MLPRegressor(loss=loss, **FAST).fit(X, y)
    loaded = pickle.loads(pickle.dumps(reg))
    assert np.array_equal(loaded.predict(X), reg.predict(X))


# -- scikit-learn's checks, with several levels (gaussian_nll is in the registry) ----
@parametrize_with_checks([MLPRegressor(loss=Quantile(alpha=[0.1, 0.5, 0.9]))])
def test_sklearn_compatible_with_several_levels(estimator, check):
    check(estimator)
