"""Metrics: each equals an independent reference formula and the training criterion.

The references below are written from the library definitions (Keras, torch,
scikit-learn; see the reference notes on losses) with NumPy and SciPy, never with the
package's own code.
"""

import inspect
import math

import numpy as np
import pytest
import scipy.stats
import sklearn.metrics as skm
import torch
from scipy.special import xlogy
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_losses import MLPClassifier, MLPRegressor, metrics
from sklearn_losses.losses import CustomLoss, LogLoss, get_loss, loss_names
from sklearn_losses.metrics import LOSS_METRICS

KERAS_EPS = 1e-7
F64_EPS = np.finfo(np.float64).eps
N = 40


# -- independent references: per-sample values -----------------------------------------
def _mean_outputs(values):
    return values.reshape(len(values), -1).mean(axis=1)


def ref_squared(y, p):
    return _mean_outputs((p - y) ** 2)


def ref_absolute(y, p):
    return _mean_outputs(np.abs(p - y))


def ref_msle_keras(y, p):
    # Keras: (log(max(p, eps) + 1) - log(max(y, eps) + 1))**2
    first = np.log(np.maximum(p, KERAS_EPS) + 1.0)
    second = np.log(np.maximum(y, KERAS_EPS) + 1.0)
    return _mean_outputs((first - second) ** 2)


def ref_huber(y, p, delta=1.0):
    err = np.abs(p - y)
    return _mean_outputs(
        np.where(err <= delta, 0.5 * err**2, delta * (err - 0.5 * delta))
    )


def ref_log_cosh(y, p):
    return _mean_outputs(np.log(np.cosh(p - y)))


def ref_poisson_deviance(y, p):
    return _mean_outputs(2.0 * (xlogy(y, y) - xlogy(y, p) - y + p))


def ref_pinball(y, p, alpha=0.5):
    diff = y - p
    return _mean_outputs(np.where(diff >= 0, alpha * diff, (alpha - 1.0) * diff))


def ref_bce(y01, p, label_smoothing=0.0, eps=F64_EPS):
    """Binary cross-entropy per column, averaged; targets smoothed by ls / 2."""
    p = np.clip(p, eps, 1 - eps)
    t = y01 * (1 - label_smoothing) + label_smoothing / 2
    return _mean_outputs(-(t * np.log(p) + (1 - t) * np.log(1 - p)))


def ref_cce(index, proba, label_smoothing=0.0, eps=F64_EPS):
    """Categorical cross-entropy; targets smoothed by ls / n_classes."""
    n_classes = proba.shape[1]
    target = np.eye(n_classes)[index] * (1 - label_smoothing)
    target += label_smoothing / n_classes
    return -(target * np.log(np.clip(proba, eps, 1 - eps))).sum(axis=1)


def ref_kl_keras(index, proba):
    """Keras kl_divergence: both distributions clipped to [1e-7, 1]."""
    y = np.clip(np.eye(proba.shape[1])[index], KERAS_EPS, 1)
    q = np.clip(proba, KERAS_EPS, 1)
    return (y * np.log(y / q)).sum(axis=1)


def ref_hinge_sign(y_pm, f, power=1):
    """max(0, 1 - y f)**power per column, averaged; y in {-1, +1}."""
    return _mean_outputs(np.maximum(0.0, 1.0 - y_pm * f) ** power)


def ref_crammer_singer(index, scores, power=1):
    rows = np.arange(len(index))
    wrong = scores.copy()
    wrong[rows, index] = -np.inf
    margin = scores[rows, index] - wrong.max(axis=1)
    return np.maximum(0.0, 1.0 - margin) ** power


def ref_keras_categorical_hinge(index, scores):
    y = np.eye(scores.shape[1])[index]
    pos = (y * scores).sum(axis=1)
    neg = ((1.0 - y) * scores).max(axis=1)
    return np.maximum(neg - pos + 1.0, 0.0)


def ref_binary_focal_keras(y01, p, gamma=2.0, alpha=None):
    """Keras binary_focal_crossentropy (apply_class_balancing = alpha is not None)."""
    pc = np.clip(p, KERAS_EPS, 1 - KERAS_EPS)
    bce = -(y01 * np.log(pc) + (1 - y01) * np.log(1 - pc))
    p_t = y01 * p + (1 - y01) * (1 - p)
    weight = (1 - p_t) ** gamma
    if alpha is not None:
        weight = weight * (y01 * alpha + (1 - y01) * (1 - alpha))
    return _mean_outputs(weight * bce)


def ref_categorical_focal_keras(index, proba, gamma=2.0, alpha=None):
    """Keras categorical_focal_crossentropy (alpha=None here means 1)."""
    proba = proba / proba.sum(axis=1, keepdims=True)
    proba = np.clip(proba, KERAS_EPS, 1 - KERAS_EPS)
    y = np.eye(proba.shape[1])[index]
    focal = (1 - proba) ** gamma * (-y * np.log(proba))
    return (1.0 if alpha is None else alpha) * focal.sum(axis=1)


def weighted(values, weights):
    return np.sum(weights * values) / np.sum(weights)


# -- random inputs ------------------------------------------------------------------------
def _rng(seed=0):
    return np.random.default_rng(seed)


def _binary_inputs(rng, response):
    labels = np.array(["no", "yes"])
    index = rng.integers(0, 2, N)
    index[:2] = [0, 1]
    if response == "predict_proba":
        p = rng.uniform(0.001, 0.999, N)
        y_pred = np.column_stack([1 - p, p])
    else:
        y_pred = rng.normal(scale=1.5, size=N)
    return labels[index], index, y_pred


def _multiclass_inputs(rng, response, n_classes=4):
    index = rng.integers(0, n_classes, N)
    index[:n_classes] = np.arange(n_classes)
    if response == "predict_proba":
        y_pred = rng.dirichlet(np.ones(n_classes), N)
        y_pred = np.clip(y_pred, 1e-4, None)
        y_pred /= y_pred.sum(axis=1, keepdims=True)
    else:
        y_pred = rng.normal(scale=1.5, size=(N, n_classes))
    return index + 10, index, y_pred  # labels 10..13: columns follow sorted labels


def _multilabel_inputs(rng, response, n_labels=3):
    y = rng.integers(0, 2, (N, n_labels))
    if response == "predict_proba":
        y_pred = rng.uniform(0.001, 0.999, (N, n_labels))
    else:
        y_pred = rng.normal(scale=1.5, size=(N, n_labels))
    return y, y, y_pred


# -- the registry of metrics ------------------------------------------------------------
def test_every_registered_loss_has_metric_functions():
    assert set(LOSS_METRICS) == set(loss_names())
    for functions in LOSS_METRICS.values():
        for function_name in functions:
            function = getattr(metrics, function_name)
            assert function_name in metrics.__all__
            doc = function.__doc__
            assert "Examples" in doc and ">>>" in doc, function_name
            assert "clip" in doc.lower(), f"{function_name}: say how it clips"
            assert "%" not in doc, f"{function_name}: unfilled docstring section"
        # every alias is the same function as the canonical one
        canonical = getattr(metrics, functions[0])
        assert all(getattr(metrics, f) is canonical for f in functions)


@pytest.mark.parametrize("loss_name", sorted(LOSS_METRICS))
def test_metric_signature_and_defaults_follow_the_loss(loss_name):
    function = getattr(metrics, LOSS_METRICS[loss_name][0])
    loss = get_loss(loss_name)
    parameters = inspect.signature(function).parameters
    assert list(parameters)[:2] == ["y_true", "y_pred"]
    assert parameters["sample_weight"].default is None
    assert parameters["sample_weight"].kind is inspect.Parameter.KEYWORD_ONLY
    classification = bool(loss.tasks - {"regression"})
    assert ("labels" in parameters) is classification
    # scikit-learn's multioutput= on every regression metric
    assert ("multioutput" in parameters) is ("regression" in loss.tasks)
    if "multioutput" in parameters:
        assert parameters["multioutput"].default == "uniform_average"
    own = {
        name: p.default
        for name, p in parameters.items()
        if name not in ("y_true", "y_pred", "sample_weight", "labels", "multioutput")
    }
    defaults = {k: v for k, v in loss.get_params().items() if k != "out_activation"}
    assert own == defaults


@pytest.mark.parametrize(
    "loss_name, expected",
    [
        ("squared_error", "predict"),
        ("absolute_error", "predict"),
        ("squared_log_error", "predict"),
        ("huber", "predict"),
        ("log_cosh", "predict"),
        ("poisson", "predict"),
        ("quantile", "predict"),
        ("log_loss", "predict_proba"),
        ("sparse_categorical_crossentropy", "predict_proba"),
        ("kl_divergence", "predict_proba"),
        ("binary_focal", "predict_proba"),
        ("hinge", "decision_function"),
        ("squared_hinge", "decision_function"),
        ("categorical_hinge", "decision_function"),
    ],
)
def test_response_method(loss_name, expected):
    assert get_loss(loss_name).response_method == expected


def test_metric_functions_call_the_loss_objects_metric():
    rng = _rng()
    y, p = rng.normal(size=N), rng.normal(size=N)
    assert metrics.huber(y, p, delta=0.3) == get_loss("huber").set_params(
        delta=0.3
    ).metric(y, p)
    assert metrics.huber(y, p, delta=0.3) != metrics.huber(y, p)


# -- regression: reference formulas and scikit-learn -------------------------------------
REGRESSION_CASES = [
    # function, parameters, reference, scikit-learn's metric (or None), domain
    ("mean_squared_error", {}, ref_squared, skm.mean_squared_error, None),
    ("mean_absolute_error", {}, ref_absolute, skm.mean_absolute_error, None),
    # no zeros: below 1e-7 Keras' clipping (ours) and scikit-learn differ by design
    (
        "mean_squared_log_error",
        {},
        ref_msle_keras,
        skm.mean_squared_log_error,
        "positive",
    ),
    ("mean_huber_loss", {}, ref_huber, None, None),
    ("huber", {"delta": 0.4}, ref_huber, None, None),
    ("mean_log_cosh", {}, ref_log_cosh, None, None),
    (
        "mean_poisson_deviance",
        {},
        ref_poisson_deviance,
        skm.mean_poisson_deviance,
        "counts",
    ),
    ("mean_pinball_loss", {}, ref_pinball, skm.mean_pinball_loss, None),
    ("quantile_loss", {"alpha": 0.9}, ref_pinball, skm.mean_pinball_loss, None),
]


@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize(
    "name, params, reference, sklearn_metric, domain",
    REGRESSION_CASES,
    ids=[
        c[0] + "-".join(f"{k}={v}" for k, v in c[1].items()) for c in REGRESSION_CASES
    ],
)
def test_regression_metric(name, params, reference, sklearn_metric, domain, n_outputs):
    rng = _rng(n_outputs)
    shape = (N,) if n_outputs == 1 else (N, n_outputs)
    if domain == "counts":
        y = rng.poisson(3.0, size=shape).astype(float)  # zeros included
        y_pred = rng.uniform(0.05, 6.0, size=shape)
    elif domain == "positive":
        y = rng.uniform(0.01, 8.0, size=shape)
        y_pred = rng.uniform(0.01, 8.0, size=shape)
    else:
        y = rng.normal(scale=2.0, size=shape)
        y_pred = y + rng.normal(scale=2.0, size=shape)
    w = rng.uniform(0.0, 2.0, N)
    function = getattr(metrics, name)

    per_sample = reference(y, y_pred, **params)
    assert function(y, y_pred, **params) == pytest.approx(per_sample.mean(), rel=1e-12)
    value = function(y, y_pred, sample_weight=w, **params)
    assert isinstance(value, float)
    assert value == pytest.approx(weighted(per_sample, w), rel=1e-12)
    if sklearn_metric is not None:
        # multi-output: the uniform average of scikit-learn's value per output
        columns = [
            sklearn_metric(y_k, p_k, sample_weight=w, **params)
            for y_k, p_k in zip(y.reshape(N, -1).T, y_pred.reshape(N, -1).T)
        ]
        expected = np.mean(columns)
        assert value == pytest.approx(expected, rel=1e-12, abs=1e-14)
    # lists and column vectors are accepted like arrays
    assert function(y.tolist(), y_pred.tolist(), **params) == pytest.approx(
        per_sample.mean(), rel=1e-12
    )


def test_regression_edge_values():
    # huber exactly at delta, log_cosh far in the tails (no overflow)
    assert metrics.huber([0.0, 0.0], [1.0, -1.0]) == 0.5
    assert metrics.log_cosh([0.0], [1000.0]) == pytest.approx(1000 - math.log(2))
    # pinball: under- and over-prediction weighted by alpha and 1 - alpha
    assert metrics.mean_pinball_loss([1.0], [0.0], alpha=0.9) == pytest.approx(0.9)
    assert metrics.mean_pinball_loss([0.0], [1.0], alpha=0.9) == pytest.approx(0.1)
    # Poisson deviance of a zero count: 2 * y_pred
    assert metrics.mean_poisson_deviance([0.0], [0.25]) == pytest.approx(0.5)
    assert metrics.mean_squared_error([[1.0, 2.0]], [[1.0, 4.0]]) == 2.0


def test_msle_follows_keras_clipping_not_sklearn():
    # Trap: Keras clips values below 1e-7 (negatives included); scikit-learn does not.
    y, p = np.array([-3.0, -0.5, 2.0]), np.array([0.0, 1.0, 2.0])
    value = metrics.mean_squared_log_error(y, p)
    assert value == pytest.approx(ref_msle_keras(y, p).mean(), rel=1e-12)
    expected = (math.log(2.0) - math.log1p(1e-7)) ** 2 / 3  # -0.5 counts as 1e-7
    assert value == pytest.approx(expected, rel=1e-12)
    # scikit-learn takes log1p(-0.5) (a different value) and raises for -3
    assert skm.mean_squared_log_error(y[1:], p[1:]) != pytest.approx(value * 3 / 2)
    with pytest.raises(ValueError):
        skm.mean_squared_log_error(y, p)
    assert metrics.mean_squared_logarithmic_error is metrics.mean_squared_log_error


@pytest.mark.parametrize(
    "y_true, y_pred", [([1.0, 2.0], [1.0, 0.0]), ([1.0, -1.0], [1.0, 1.0])]
)
def test_poisson_domain_errors_like_sklearn(y_true, y_pred):
    with pytest.raises(ValueError, match="non-negative y_true and strictly positive"):
        metrics.mean_poisson_deviance(y_true, y_pred)
    with pytest.raises(ValueError):
        skm.mean_poisson_deviance(y_true, y_pred)


def test_poisson_deviance_vs_negative_log_likelihood():
    # The Keras/torch NLL is half the deviance plus a term of the targets alone.
    rng = _rng(3)
    y = rng.poisson(2.0, N).astype(float)
    p = rng.uniform(0.2, 5.0, N)
    nll = torch.nn.PoissonNLLLoss(log_input=False, eps=0.0, reduction="none")(
        torch.as_tensor(p), torch.as_tensor(y)
    ).numpy()
    offset = y - xlogy(y, y)
    assert metrics.mean_poisson_deviance(y, p) == pytest.approx(
        2 * np.mean(nll - offset), rel=1e-12
    )


# -- classification: reference formulas and scikit-learn ---------------------------------
def _encode_binary(index, sign):
    column = index.reshape(-1, 1).astype(float)
    return 2 * column - 1 if sign else column


# name, params, task, reference on encoded inputs, scikit-learn's metric or None
CLASSIFICATION_CASES = [
    ("log_loss", {}, "binary", lambda i, p, **k: ref_bce(_encode_binary(i, 0), p[:, 1:], **k), skm.log_loss),
    ("binary_crossentropy", {"label_smoothing": 0.2}, "binary", lambda i, p, **k: ref_bce(_encode_binary(i, 0), p[:, 1:], **k), None),
    ("log_loss", {}, "multiclass", ref_cce, skm.log_loss),
    ("categorical_crossentropy", {"label_smoothing": 0.2}, "multiclass", ref_cce, None),
    ("log_loss", {}, "multilabel", ref_bce, None),
    ("log_loss", {"label_smoothing": 0.1}, "multilabel", ref_bce, None),
    ("sparse_categorical_crossentropy", {}, "binary", ref_cce, skm.log_loss),
    ("sparse_categorical_crossentropy", {}, "multiclass", ref_cce, skm.log_loss),
    ("kl_divergence", {}, "binary", ref_kl_keras, None),
    ("kl_divergence", {}, "multiclass", ref_kl_keras, None),
    ("hinge_loss", {}, "binary", lambda i, f: ref_hinge_sign(_encode_binary(i, 1), f.reshape(-1, 1)), skm.hinge_loss),
    ("hinge", {}, "multiclass", ref_crammer_singer, skm.hinge_loss),
    ("hinge", {}, "multilabel", lambda y, f: ref_hinge_sign(2 * y - 1, f), None),
    ("squared_hinge_loss", {}, "binary", lambda i, f: ref_hinge_sign(_encode_binary(i, 1), f.reshape(-1, 1), 2), None),
    ("squared_hinge", {}, "multiclass", lambda i, f: ref_crammer_singer(i, f, 2), None),
    ("squared_hinge", {}, "multilabel", lambda y, f: ref_hinge_sign(2 * y - 1, f, 2), None),
    ("categorical_hinge", {}, "binary", lambda i, f: ref_hinge_sign(_encode_binary(i, 1), f.reshape(-1, 1)), skm.hinge_loss),
    ("categorical_hinge", {}, "multiclass", ref_keras_categorical_hinge, None),
    ("binary_focal_loss", {}, "binary", lambda i, p, **k: ref_binary_focal_keras(_encode_binary(i, 0), p[:, 1:], **k), None),
    ("binary_focal_crossentropy", {"gamma": 1.0, "alpha": 0.25}, "binary", lambda i, p, **k: ref_binary_focal_keras(_encode_binary(i, 0), p[:, 1:], **k), None),
    ("binary_focal_loss", {"gamma": 1.5, "alpha": 0.3}, "multilabel", ref_binary_focal_keras, None),
    ("categorical_focal_crossentropy", {"alpha": 0.25}, "multiclass", ref_categorical_focal_keras, None),
    ("binary_focal_loss", {"gamma": 0.0}, "multiclass", ref_categorical_focal_keras, skm.log_loss),
]  # fmt: skip

_INPUTS = {
    "binary": _binary_inputs,
    "multiclass": _multiclass_inputs,
    "multilabel": _multilabel_inputs,
}


@pytest.mark.parametrize(
    "name, params, task, reference, sklearn_metric",
    CLASSIFICATION_CASES,
    ids=[
        f"{c[0]}-{c[2]}-" + ",".join(map(str, c[1].values()))
        for c in CLASSIFICATION_CASES
    ],
)
def test_classification_metric(name, params, task, reference, sklearn_metric):
    function = getattr(metrics, name)
    response = get_loss(LOSS_NAME_OF[name]).response_method
    rng = _rng(len(name))
    y, encoded, y_pred = _INPUTS[task](rng, response)
    w = rng.uniform(0.0, 2.0, N)

    per_sample = reference(encoded, y_pred, **params)
    if task == "multilabel":  # the references average over labels; we sum
        per_sample = per_sample * encoded.shape[1]
    assert function(y, y_pred, **params) == pytest.approx(per_sample.mean(), rel=1e-12)
    value = function(y, y_pred, sample_weight=w, **params)
    assert value == pytest.approx(weighted(per_sample, w), rel=1e-12)
    if sklearn_metric is not None:
        assert value == pytest.approx(
            sklearn_metric(y, y_pred, sample_weight=w), rel=1e-12
        )
    if task != "multilabel":
        # labels= in any order, and a sample subset that misses classes
        labels = np.unique(y)[::-1]
        assert function(y, y_pred, labels=labels, **params) == pytest.approx(
            per_sample.mean(), rel=1e-12
        )
        keep = encoded == encoded[0]
        assert function(y[keep], y_pred[keep], labels=labels, **params) == (
            pytest.approx(per_sample[keep].mean(), rel=1e-12)
        )


LOSS_NAME_OF = {
    function: loss for loss, functions in LOSS_METRICS.items() for function in functions
}


def test_binary_probabilities_as_matrix_or_positive_column():
    rng = _rng(5)
    y, _, proba = _binary_inputs(rng, "predict_proba")
    for name in ("log_loss", "sparse_categorical_crossentropy", "kl_divergence"):
        function = getattr(metrics, name)
        assert function(y, proba[:, 1]) == pytest.approx(function(y, proba), rel=1e-12)
    assert metrics.binary_focal_loss(y, proba[:, 1]) == metrics.binary_focal_loss(
        y, proba
    )


def test_probabilities_of_zero_and_one_are_clipped_like_sklearn():
    # Trap: confident mistakes. float64 eps clipping caps a sample at -log(eps) = 36.04
    # (scikit-learn's value); Keras' 1e-7 clipping caps KL at log(1e7) = 16.12.
    y = [0, 1, 1, 0]
    proba = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    cap = -math.log(F64_EPS)
    expected = (0 + cap + 0 + math.log(2)) / 4
    assert metrics.log_loss(y, proba) == pytest.approx(expected, rel=1e-12)
    assert metrics.log_loss(y, proba) == pytest.approx(
        skm.log_loss(y, proba), rel=1e-12
    )
    assert metrics.sparse_categorical_crossentropy(y, proba) == pytest.approx(
        expected, rel=1e-12
    )
    # float32 inputs are evaluated in float64: the float64 cap, not float32's 15.94
    assert metrics.log_loss(y, proba.astype(np.float32)) == pytest.approx(expected)
    kl = metrics.kl_divergence(y, proba)
    assert kl == pytest.approx(ref_kl_keras(np.array(y), proba).mean(), rel=1e-12)
    assert max(ref_kl_keras(np.array(y), proba)) == pytest.approx(
        math.log(1e7) - 1e-7 * math.log(1e7), rel=1e-9
    )
    # focal: the clipped cross-entropy times (1 - p_t)**gamma, p_t = exp(-CE)
    focal = metrics.binary_focal_loss(y, proba, gamma=2.0)
    assert focal == pytest.approx((cap * (1 - F64_EPS) ** 2 + 0.25 * math.log(2)) / 4)


def test_label_smoothing_denominators():
    # Trap: binary (sigmoid) smoothing uses ls / 2, categorical uses ls / n_classes.
    ls = 0.3
    p = 0.8
    binary = metrics.log_loss([1], [p], labels=[0, 1], label_smoothing=ls)
    t = 1 - ls / 2
    assert binary == pytest.approx(-(t * math.log(p) + (1 - t) * math.log(1 - p)))
    proba = np.array([[0.1, 0.6, 0.2, 0.1]])
    y = [1]
    cat = metrics.log_loss(y, proba, labels=[0, 1, 2, 3], label_smoothing=ls)
    target = np.array([ls / 4, 1 - ls + ls / 4, ls / 4, ls / 4])
    assert cat == pytest.approx(-(target * np.log(proba[0])).sum(), rel=1e-12)
    wrong = np.array([ls / 2, 1 - ls + ls / 2, ls / 2, ls / 2])
    assert cat != pytest.approx(-(wrong * np.log(proba[0])).sum(), rel=1e-3)
    # torch's categorical smoothing agrees (on logits)
    logits = torch.log(torch.as_tensor(proba))
    torch_value = torch.nn.functional.cross_entropy(
        logits, torch.tensor(y), label_smoothing=ls
    )
    assert cat == pytest.approx(float(torch_value), rel=1e-12)


@pytest.mark.filterwarnings("ignore:The y_prob values do not sum to one")
def test_log_loss_on_multilabel_is_binary_cross_entropy_not_sklearns():
    # Trap: sklearn's log_loss on an indicator matrix sums -y log p and ignores 1 - y.
    # Ours is the binary cross-entropy summed over labels (scikit-learn's MLP trains
    # on that sum), which is n_labels times Keras' and torch's mean.
    y = np.array([[1, 0, 1], [0, 0, 1]])
    proba = np.array([[0.9, 0.4, 0.7], [0.2, 0.1, 0.6]])
    ours = metrics.log_loss(y, proba)
    assert ours == pytest.approx(3 * ref_bce(y, proba).mean(), rel=1e-12)
    bce = torch.nn.functional.binary_cross_entropy(
        torch.as_tensor(proba), torch.as_tensor(y, dtype=torch.float64)
    )
    assert ours == pytest.approx(3 * float(bce), rel=1e-12)
    assert ours != pytest.approx(skm.log_loss(y, proba), rel=1e-3)


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
def test_kl_divergence_argument_order_and_offset():
    # Trap: KL(y_true || y_pred), scipy.stats.entropy(y_true, y_pred) order; torch
    # KLDivLoss takes log-probabilities and averages over classes with "mean".
    rng = _rng(7)
    y, index, proba = _multiclass_inputs(rng, "predict_proba", n_classes=4)
    onehot = np.eye(4)[index]
    ours = metrics.kl_divergence(y, proba)
    scipy_value = scipy.stats.entropy(onehot, proba, axis=1).mean()
    assert ours == pytest.approx(scipy_value, abs=4 * 1.7e-6)
    assert np.isinf(scipy.stats.entropy(proba, onehot, axis=1)).all()  # reverse order
    log_q = torch.log(torch.as_tensor(proba))
    target = torch.as_tensor(np.clip(onehot, KERAS_EPS, 1))
    batchmean = torch.nn.KLDivLoss(reduction="batchmean")(log_q, target)
    assert ours == pytest.approx(float(batchmean), rel=1e-12)
    mean = torch.nn.KLDivLoss(reduction="mean")(log_q, target)
    assert float(mean) == pytest.approx(ours / 4, rel=1e-12)
    # documented offset: below the cross-entropy by at most 1e-7 log(1e7) per class
    gap = metrics.log_loss(y, proba) - ours
    assert 0 <= gap <= 3 * 1e-7 * math.log(1e7)


def test_hinge_single_class_fold_is_encoded_by_labels():
    # Trap: sklearn encodes a one-class fold as -1 even with labels= (3.0 here).
    assert skm.hinge_loss([1, 1], [2.0, 2.0], labels=[0, 1]) == 3.0
    assert metrics.hinge_loss([1, 1], [2.0, 2.0], labels=[0, 1]) == 0.0
    assert metrics.hinge_loss([0, 0], [2.0, 2.0], labels=[0, 1]) == 3.0
    assert metrics.squared_hinge(["b"], [0.5], labels=["a", "b"]) == 0.25
    assert metrics.categorical_hinge(["b", "b"], [2.0, -1.0], labels=["a", "b"]) == 1.0
    with pytest.raises(ValueError, match="only one label"):
        metrics.hinge_loss([1, 1], [2.0, 2.0])


def test_three_multiclass_hinges_differ():
    # Trap: Crammer-Singer (sklearn, our hinge), Keras' categorical hinge (floored by
    # the true class's 0) and Weston-Watkins (torch MultiMarginLoss) are different.
    scores = np.array([[-1.0, -2.0, -0.5]])  # true class 2, best wrong score -1 < 0
    y = [2]
    labels = [0, 1, 2]
    crammer_singer = metrics.hinge_loss(y, scores, labels=labels)
    keras = metrics.categorical_hinge(y, scores, labels=labels)
    weston_watkins = float(
        torch.nn.MultiMarginLoss()(torch.as_tensor(scores), torch.tensor(y))
    )
    assert crammer_singer == pytest.approx(0.5)
    assert crammer_singer == skm.hinge_loss(y, scores, labels=labels)
    assert keras == pytest.approx(1.5)
    assert weston_watkins == pytest.approx((0.5 + 0.0) / 3)
    # with a non-negative best wrong score Keras' and Crammer-Singer's agree
    scores = np.array([[0.5, 0.2, 0.9]])
    assert metrics.categorical_hinge(y, scores, labels=labels) == pytest.approx(
        metrics.hinge_loss(y, scores, labels=labels)
    )


def test_string_labels_follow_sorted_order():
    # "cat" < "dog" < "emu": columns follow the sorted labels
    y = np.array(["dog", "emu", "cat", "dog"])
    proba = np.array(
        [[0.2, 0.7, 0.1], [0.1, 0.1, 0.8], [0.6, 0.3, 0.1], [0.3, 0.4, 0.3]]
    )
    expected = -np.mean(np.log([0.7, 0.8, 0.6, 0.4]))
    assert metrics.log_loss(y, proba) == pytest.approx(expected, rel=1e-12)
    assert metrics.log_loss(y, proba) == pytest.approx(skm.log_loss(y, proba))
    assert metrics.log_loss(y.astype(object), proba) == pytest.approx(expected)


def test_custom_loss_metric():
    def cube(y_pred, y_true):
        return (y_pred - y_true).abs().pow(3).mean(dim=1)

    y, p = np.array([0.5, 1.5, 2.5]), np.array([1.5, 1.5, 0.5])  # continuous
    w = np.array([1.0, 2.0, 3.0])
    assert CustomLoss(cube).metric(y, p) == pytest.approx((1 + 0 + 8) / 3)
    assert CustomLoss(cube).metric(y, p, sample_weight=w) == pytest.approx(25 / 6)

    def batch_mean(y_pred, y_true):
        return (y_pred - y_true).square().mean()

    assert CustomLoss(batch_mean).metric(y, p) == pytest.approx(5 / 3)
    with pytest.raises(ValueError, match="cannot weight samples"):
        CustomLoss(batch_mean).metric(y, p, sample_weight=w)


# -- input validation -------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: metrics.log_loss([0, 1], [1.2, 0.3]), "takes probabilities"),
        (lambda: metrics.log_loss([0, 1], [-0.1, 0.3]), "takes probabilities"),
        (lambda: metrics.log_loss([1, 1], [0.2, 0.3]), "only one label"),
        (lambda: metrics.log_loss([0, 1], [[0.2, 0.3, 0.5]] * 2), "labels="),
        (lambda: metrics.log_loss([0, 2], [[0.2, 0.8]] * 2, labels=[0, 1]), r"\[2\]"),
        (lambda: metrics.log_loss(["a", "b"], [0.2, 0.3], labels=[0, 1]), "not among"),
        (lambda: metrics.log_loss([0, 1], [0.5, 0.5], labels=[1]), "two classes"),
        (lambda: metrics.log_loss([0.5, 1.5], [0.5, 0.5]), "continuous"),
        (lambda: metrics.hinge_loss([0, 1], [[0.5, 0.5]] * 2), "one score per"),
        (lambda: metrics.mean_squared_error([1.0, np.nan], [1.0, 1.0]), "NaN"),
        (lambda: metrics.mean_squared_error([1.0, 2.0], [1.0]), "inconsistent"),
        (lambda: metrics.mean_squared_error([[1.0, 2.0]], [[1.0]]), "outputs"),
        (
            lambda: metrics.mean_squared_error(
                [1.0, 2.0], [1.0, 1.0], sample_weight=[1.0]
            ),
            "inconsistent",
        ),
        (
            lambda: metrics.log_loss([[1, 2], [0, 1]], [[0.5, 0.5]] * 2),
            "multiclass-multioutput",
        ),
    ],
)
def test_invalid_inputs(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: metrics.huber([0.0], [1.0], delta=0.0),
        lambda: metrics.mean_pinball_loss([0.0], [1.0], alpha=1.5),
        lambda: metrics.log_loss([0, 1], [0.5, 0.5], label_smoothing=1.0),
        lambda: metrics.binary_focal_loss([0, 1], [0.5, 0.5], gamma=-1.0),
    ],
)
def test_invalid_loss_parameters(call):
    with pytest.raises(InvalidParameterError):
        call()


def test_a_loss_refuses_targets_of_another_task():
    with pytest.raises(ValueError, match="does not apply to multilabel"):
        metrics.kl_divergence([[0, 1], [1, 1]], [[0.5, 0.5], [0.5, 0.5]])


# -- acceptance: the metric on the estimator's responses is the training criterion -------
def _regression_data():
    rng = _rng(11)
    X = rng.normal(size=(120, 4)).astype(np.float32)
    signal = X @ np.array([0.6, -0.4, 0.3, 0.0])
    return X, {
        "real": signal + rng.normal(scale=0.5, size=120),
        "positive": np.exp(signal) + rng.uniform(0, 0.5, 120),
        "counts": rng.poisson(np.exp(signal)).astype(float),
        "multi": np.column_stack([signal, -signal]) + rng.normal(size=(120, 2)),
    }


def _classification_data():
    X, y3 = make_classification(
        n_samples=120, n_features=5, n_informative=3, n_classes=3, random_state=0
    )
    X = StandardScaler().fit_transform(X).astype(np.float32)
    _, y_multilabel = make_multilabel_classification(
        n_samples=120, n_features=5, n_classes=3, random_state=0
    )
    return X, {
        "binary": np.where(y3 == 1, "yes", "no"),
        "multiclass": np.array(["ant", "bee", "cat"])[y3],
        "multilabel": y_multilabel,
    }


ACCEPTANCE_CASES = [
    ("squared_error", {}, "real"),
    ("squared_error", {}, "multi"),
    ("absolute_error", {}, "multi"),
    ("squared_log_error", {}, "positive"),
    ("huber", {"delta": 0.5}, "real"),
    ("log_cosh", {}, "real"),
    ("poisson", {}, "counts"),
    ("quantile", {"alpha": 0.8}, "real"),
] + [
    (loss, params, task)
    for task in ("binary", "multiclass", "multilabel")
    for loss, params in [
        ("log_loss", {}),
        ("log_loss", {"label_smoothing": 0.1}),
        ("sparse_categorical_crossentropy", {}),
        ("kl_divergence", {}),
        ("hinge", {}),
        ("hinge", {"out_activation": "identity"}),
        ("squared_hinge", {}),
        ("categorical_hinge", {}),
        ("binary_focal", {}),
        ("binary_focal", {"gamma": 1.0, "alpha": 0.3}),
    ]
    if task in get_loss(loss).tasks
]


@pytest.fixture(scope="module")
def datasets():
    X_reg, regression = _regression_data()
    X_clf, classification = _classification_data()
    return {
        **{kind: (X_reg, y) for kind, y in regression.items()},
        **{kind: (X_clf, y) for kind, y in classification.items()},
    }


@pytest.mark.parametrize(
    "loss_name, params, data",
    ACCEPTANCE_CASES,
    ids=[
        f"{c[0]}-{c[2]}-" + ",".join(map(str, c[1].values())) for c in ACCEPTANCE_CASES
    ],
)
def test_metric_equals_training_criterion(loss_name, params, data, datasets):
    X, y = datasets[data]
    loss = get_loss(loss_name).set_params(**params)
    regression = data in ("real", "multi", "positive", "counts")
    Estimator = MLPRegressor if regression else MLPClassifier
    est = Estimator(
        loss=loss,
        hidden_layer_sizes=(8,),
        max_iter=20,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X, y)
    w = _rng(1).uniform(0.2, 2.0, len(X))

    # the training criterion evaluated by the network itself
    if regression:
        encoded = np.asarray(y, dtype=float).reshape(len(y), -1)
    elif data == "multilabel":
        encoded = y
    else:
        encoded = np.searchsorted(est.classes_, y)
    target = est._loss.encode_target(encoded, est._task)
    with torch.no_grad():
        raw = est.net_.module_(torch.as_tensor(X))
        target = torch.as_tensor(target)
        if target.is_floating_point():
            target = target.to(raw.dtype)
        per_sample = est.net_.criterion_(raw, target).double().numpy()
        per_sample *= est.net_.n_labels  # the objective sums over labels

    # the metric on what the estimator's response method returns
    method = "predict" if regression else get_loss(loss_name).response_method
    response = getattr(est, method)(X)
    function = getattr(metrics, LOSS_METRICS[loss_name][0])
    metric_params = {k: v for k, v in params.items() if k != "out_activation"}
    assert per_sample.std() > 1e-3  # a non-trivial check
    assert function(y, response, **metric_params) == pytest.approx(
        per_sample.mean(), rel=1e-6, abs=1e-7
    )
    assert function(y, response, sample_weight=w, **metric_params) == pytest.approx(
        weighted(per_sample, w), rel=1e-6, abs=1e-7
    )
    assert est._loss.metric(y, response, sample_weight=w) == function(
        y, response, sample_weight=w, **metric_params
    )


@pytest.mark.filterwarnings("ignore:The y_prob values do not sum to one")
def test_log_loss_label_smoothing_zero_is_sklearns_log_loss_on_a_model():
    X, classes = _classification_data()
    y = classes["multiclass"]
    est = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    proba = est.predict_proba(X).astype(np.float64)
    assert metrics.log_loss(y, proba) == pytest.approx(
        skm.log_loss(y, proba), rel=1e-12
    )
    assert isinstance(LogLoss().metric(y, proba), float)
