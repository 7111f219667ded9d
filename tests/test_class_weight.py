"""MLPClassifier's class_weight: the same network as the equivalent sample_weight."""

import inspect
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight

from sklearn_losses import MLPClassifier
from sklearn_losses.losses import get_loss, loss_names

CLASSIFICATION = sorted(set(loss_names("binary")) | set(loss_names("multiclass")))
FAST = dict(
    hidden_layer_sizes=(8,), max_iter=15, learning_rate_init=0.01, random_state=0
)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _binary():
    X, y = make_classification(
        n_samples=200, n_features=6, weights=[0.8], random_state=0
    )
    return X, np.where(y == 1, "yes", "no")


def _multiclass():
    X, y = make_classification(
        n_samples=240,
        n_features=6,
        n_informative=4,
        n_classes=3,
        weights=[0.6, 0.3],
        random_state=1,
    )
    return X, y


def _multilabel():
    X, Y = make_multilabel_classification(
        n_samples=200, n_features=6, n_classes=3, random_state=2
    )
    return X, Y


def _same_model(a, b):
    """Bit-for-bit the same weights, predictions and curves."""
    assert all(np.array_equal(u, v) for u, v in zip(a.coefs_, b.coefs_))
    assert all(np.array_equal(u, v) for u, v in zip(a.intercepts_, b.intercepts_))
    assert a.loss_curve_ == b.loss_curve_
    assert a.validation_scores_ == b.validation_scores_
    assert a.validation_loss_curve_ == b.validation_loss_curve_


# -- class_weight is the corresponding sample_weight, bit for bit --------------------
@pytest.mark.parametrize("data", [_binary, _multiclass, _multilabel])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_balanced_equals_sample_weight(data, early_stopping):
    X, y = data()
    params = dict(FAST, early_stopping=early_stopping, validation_fraction=0.2)
    weighted = MLPClassifier(class_weight="balanced", **params).fit(X, y)
    reference = MLPClassifier(**params).fit(
        X, y, sample_weight=compute_sample_weight("balanced", y)
    )
    _same_model(weighted, reference)
    assert np.array_equal(weighted.predict(X), reference.predict(X))
    # the weights changed the model: the test would not pass with weights ignored
    plain = MLPClassifier(**params).fit(X, y)
    assert not np.array_equal(plain.coefs_[0], weighted.coefs_[0])


@pytest.mark.parametrize(
    "data, class_weight",
    [
        (_binary, {"yes": 3.0}),
        (_multiclass, {0: 0.5, 2: 4.0}),
        (_multilabel, [{0: 1.0, 1: 2.0}, {0: 0.5, 1: 1.0}, {0: 1.0, 1: 3.0}]),
    ],
)
def test_dict_equals_sample_weight_and_multiplies_it(data, class_weight):
    X, y = data()
    own = np.random.default_rng(0).uniform(0.5, 2.0, len(X))
    weighted = MLPClassifier(class_weight=class_weight, **FAST).fit(
        X, y, sample_weight=own
    )
    reference = MLPClassifier(**FAST).fit(
        X, y, sample_weight=own * compute_sample_weight(class_weight, y)
    )
    _same_model(weighted, reference)


@pytest.mark.parametrize("loss", CLASSIFICATION)
def test_every_classification_loss_takes_class_weight(loss):
    # a binary-only loss (exponential) on binary targets, the others on three classes
    X, y = _multiclass() if "multiclass" in get_loss(loss).tasks else _binary()
    weighted = MLPClassifier(loss=loss, class_weight="balanced", **FAST).fit(X, y)
    reference = MLPClassifier(loss=loss, **FAST).fit(
        X, y, sample_weight=compute_sample_weight("balanced", y)
    )
    _same_model(weighted, reference)
    assert np.array_equal(weighted.predict(X), reference.predict(X))


def test_float32_input_equals_sample_weight():
    X, y = _binary()
    X = X.astype(np.float32)
    weighted = MLPClassifier(class_weight={"yes": 3.0}, **FAST).fit(X, y)
    reference = MLPClassifier(**FAST).fit(
        X, y, sample_weight=compute_sample_weight({"yes": 3.0}, y)
    )
    _same_model(weighted, reference)


# -- validation_data is weighted with the training set's class weights ----------------
@pytest.mark.parametrize("data", [_multiclass, _multilabel])
def test_validation_data_weighted_with_training_class_weights(data):
    X, y = data()
    X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)
    params = dict(FAST, early_stopping=True)
    weighted = MLPClassifier(class_weight="balanced", **params).fit(
        X_train, y_train, validation_data=(X_val, y_val)
    )
    # "balanced" weights are those of the training labels, applied to y_val
    Y_train, Y_val = y_train.reshape(len(y_train), -1), y_val.reshape(len(y_val), -1)
    w_val = np.ones(len(y_val))
    for k in range(Y_train.shape[1]):
        classes = np.unique(Y_train[:, k])
        table = compute_class_weight("balanced", classes=classes, y=Y_train[:, k])
        w_val *= table[np.searchsorted(classes, Y_val[:, k])]
    reference = MLPClassifier(**params).fit(
        X_train,
        y_train,
        sample_weight=compute_sample_weight("balanced", y_train),
        validation_data=(X_val, y_val, w_val),
    )
    _same_model(weighted, reference)
    # not the unweighted validation score
    unweighted = MLPClassifier(**params).fit(
        X_train,
        y_train,
        sample_weight=compute_sample_weight("balanced", y_train),
        validation_data=(X_val, y_val),
    )
    assert weighted.validation_scores_ != unweighted.validation_scores_


def test_validation_labels_without_a_weight_weigh_one():
    X, y = _multiclass()
    class_weight = {0: 2.0, 1: 5.0}  # class 2 left out: weight one
    weighted = MLPClassifier(class_weight=class_weight, **FAST).fit(
        X[:150], y[:150], validation_data=(X[150:], y[150:])
    )
    w_val = np.select([y[150:] == 0, y[150:] == 1], [2.0, 5.0], 1.0)
    reference = MLPClassifier(**FAST).fit(
        X[:150],
        y[:150],
        sample_weight=compute_sample_weight(class_weight, y[:150]),
        validation_data=(X[150:], y[150:], w_val),
    )
    _same_model(weighted, reference)


# -- what class weights are for ---------------------------------------------------------
def test_balanced_weights_raise_balanced_accuracy_on_rare_positives():
    X, y = make_classification(
        n_samples=2000,
        n_features=10,
        n_informative=4,
        weights=[0.95],
        flip_y=0.0,
        class_sep=0.7,
        random_state=0,
    )
    assert abs(y.mean() - 0.05) < 0.005
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, stratify=y, test_size=0.5, random_state=0
    )
    params = dict(
        hidden_layer_sizes=(16,), max_iter=100, learning_rate_init=0.01, random_state=0
    )
    plain = MLPClassifier(**params).fit(X_train, y_train)
    balanced = MLPClassifier(class_weight="balanced", **params).fit(X_train, y_train)
    plain_score = balanced_accuracy_score(y_test, plain.predict(X_test))
    balanced_score = balanced_accuracy_score(y_test, balanced.predict(X_test))
    # 0.07 to 0.14 higher over random_state 0-4 (starting from the class prior)
    assert balanced_score > plain_score + 0.05


# -- partial_fit, parameters, errors --------------------------------------------------
def test_partial_fit_with_a_dict_equals_sample_weight():
    X, y = _multiclass()
    class_weight = {0: 0.5, 2: 4.0}
    weighted = MLPClassifier(class_weight=class_weight, **FAST)
    reference = MLPClassifier(**FAST)
    for rows in (slice(0, 120), slice(120, None)):
        weighted.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
        reference.partial_fit(
            X[rows],
            y[rows],
            classes=[0, 1, 2],
            sample_weight=np.select([y[rows] == 0, y[rows] == 2], [0.5, 4.0], 1.0),
        )
    _same_model(weighted, reference)


def test_partial_fit_refuses_balanced_as_sgd_does():
    X, y = _binary()
    clf = MLPClassifier(class_weight="balanced", **FAST)
    with pytest.raises(ValueError, match="'balanced' is not supported for partial_fit"):
        clf.partial_fit(X, y, classes=["no", "yes"])


@pytest.mark.parametrize("class_weight", [{0: 1.0, 1: 2.0}, [{0: 1.0, 1: 2.0}]])
def test_multilabel_needs_one_dict_per_label(class_weight):
    X, Y = _multilabel()
    with pytest.raises(ValueError, match="a list of 3 dicts, one per label column"):
        MLPClassifier(class_weight=class_weight, **FAST).fit(X, Y)
    clf = MLPClassifier(class_weight=class_weight, **FAST)
    with pytest.raises(ValueError, match="a list of 3 dicts, one per label column"):
        clf.partial_fit(X, Y, classes=[0, 1])


def test_invalid_class_weight_is_refused():
    X, y = _binary()
    with pytest.raises(InvalidParameterError, match="class_weight"):
        MLPClassifier(class_weight="auto", **FAST).fit(X, y)
    with pytest.raises(ValueError, match="a list of dicts .* is for multi-label"):
        MLPClassifier(class_weight=[{"yes": 2.0}], **FAST).fit(X, y)


def test_class_weight_is_keyword_only_after_loss():
    ours = list(inspect.signature(MLPClassifier).parameters.values())
    theirs = list(inspect.signature(SklearnMLPClassifier).parameters)
    names = [p.name for p in ours]
    assert names[: len(theirs)] == theirs  # positional order unchanged
    assert names.index("class_weight") == names.index("loss") + 1
    assert ours[names.index("class_weight")].kind is inspect.Parameter.KEYWORD_ONLY
    assert MLPClassifier().class_weight is None
