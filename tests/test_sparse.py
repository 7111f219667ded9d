"""Sparse input stays sparse: fits and predictions on CSR/CSC matrices.

The reference for every sparse fit is the dense fit of the same data (same batches,
same random draws): the two differ only by the rounding of the sparse products.
"""

from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import neural_network as sk
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

from sklearn_losses import MLPClassifier, MLPRegressor
from sklearn_losses.neural_network import MLPModule

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
ATOL = 1e-10


def _sparse_problem(n=240, n_features=60, density=0.08, seed=0, dtype=np.float64):
    """A sparse matrix with some empty rows, a regression and a binary target."""
    rng = np.random.RandomState(seed)
    X = sp.random(
        n, n_features, density=density, format="csr", random_state=rng, dtype=dtype
    )
    keep = rng.choice([0, 1], size=(n, 1), p=[0.1, 0.9])  # empty rows
    X = sp.csr_matrix(X.multiply(keep), dtype=dtype)
    coef = rng.standard_normal(n_features)
    y = X @ coef + 0.05 * rng.standard_normal(n)
    return X, y.astype(dtype), (y > np.median(y)).astype(int)


def _outputs(model, X):
    if isinstance(model, MLPClassifier):
        return model.predict_proba(X)
    return model.predict(X)


def _pair(estimator, X, y, fit=lambda m, X, y: m.fit(X, y), **params):
    """The same model fitted on sparse and on dense input."""
    settings = dict(hidden_layer_sizes=(7, 5), max_iter=15, random_state=0)
    settings.update(params)
    sparse_model = fit(estimator(**settings), X, y)
    dense_model = fit(estimator(**settings), X.toarray(), y)
    return sparse_model, dense_model


def _assert_same_model(sparse_model, dense_model, X):
    assert_allclose(
        _outputs(sparse_model, X), _outputs(dense_model, X.toarray()), atol=ATOL
    )
    for a, b in zip(sparse_model.coefs_, dense_model.coefs_):
        assert_allclose(a, b, atol=ATOL)
    if hasattr(dense_model, "loss_curve_"):
        assert_allclose(sparse_model.loss_curve_, dense_model.loss_curve_, rtol=1e-10)
        assert sparse_model.n_iter_ == dense_model.n_iter_


@pytest.mark.parametrize("estimator", [MLPRegressor, MLPClassifier])
@pytest.mark.parametrize(
    "solver, early_stopping",
    [("adam", False), ("adam", True), ("sgd", False), ("sgd", True), ("lbfgs", False)],
)
def test_sparse_fit_equals_dense_fit(estimator, solver, early_stopping):
    X, y_reg, y_bin = _sparse_problem()
    y = y_reg if estimator is MLPRegressor else y_bin
    sparse_model, dense_model = _pair(
        estimator,
        X,
        y,
        solver=solver,
        early_stopping=early_stopping,
        batch_size=32,
        learning_rate_init=0.01,
    )
    _assert_same_model(sparse_model, dense_model, X)
    if early_stopping:
        assert_allclose(
            sparse_model.validation_scores_, dense_model.validation_scores_, atol=ATOL
        )


@pytest.mark.parametrize("shuffle", [True, False])
def test_sparse_fit_with_sample_weight_and_no_hidden_layer(shuffle):
    X, y, _ = _sparse_problem(seed=1)
    weight = np.random.RandomState(0).uniform(0, 2, size=X.shape[0])

    def fit(model, X, y):
        return model.fit(X, y, sample_weight=weight)

    for hidden in [(), (6,)]:
        sparse_model, dense_model = _pair(
            MLPRegressor, X, y, fit=fit, shuffle=shuffle, hidden_layer_sizes=hidden
        )
        _assert_same_model(sparse_model, dense_model, X)


@pytest.mark.parametrize("estimator", [MLPRegressor, MLPClassifier])
def test_sparse_validation_data(estimator):
    X, y_reg, y_bin = _sparse_problem(n=300)
    y = y_reg if estimator is MLPRegressor else y_bin
    X_val, y_val = X[240:], y[240:]

    def fit(model, X_train, y_train):
        sparse = sp.issparse(X_train)
        validation = (X_val if sparse else X_val.toarray(), y_val)
        return model.fit(X_train, y_train, validation_data=validation)

    sparse_model, dense_model = _pair(estimator, X[:240], y[:240], fit=fit)
    _assert_same_model(sparse_model, dense_model, X)
    assert len(sparse_model.validation_scores_) == sparse_model.n_iter_
    assert_allclose(
        sparse_model.validation_scores_, dense_model.validation_scores_, atol=ATOL
    )
    assert_allclose(
        sparse_model.validation_loss_curve_,
        dense_model.validation_loss_curve_,
        rtol=1e-10,
    )


@pytest.mark.parametrize("estimator", [MLPRegressor, MLPClassifier])
def test_sparse_partial_fit(estimator):
    X, y_reg, y_bin = _sparse_problem()
    y = y_reg if estimator is MLPRegressor else y_bin
    extra = {"classes": [0, 1]} if estimator is MLPClassifier else {}
    models = []
    for data in (X, X.toarray()):
        model = estimator(hidden_layer_sizes=(6,), random_state=0)
        for start in range(0, X.shape[0], 60):
            model.partial_fit(data[start : start + 60], y[start : start + 60], **extra)
        models.append(model)
    _assert_same_model(*models, X)


@pytest.mark.parametrize("n_rows", [2, 240])  # NumPy path for a few rows, torch beyond
def test_every_predict_method_on_sparse_input(n_rows):
    X, _, y = _sparse_problem()
    model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    model.fit(X.toarray(), y)
    rows = X[:n_rows]
    for method in (
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
    ):
        expected = getattr(model, method)(rows.toarray())
        for matrix in (rows, rows.tocsc(), sp.csr_array(rows)):
            result = getattr(model, method)(matrix)
            assert result.shape == expected.shape
            assert_allclose(result, expected, atol=ATOL, err_msg=method)
    regressor = MLPRegressor(hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    regressor.fit(X, y.astype(float))
    assert_allclose(regressor.predict(rows), regressor.predict(rows.toarray()))


def test_csc_input_is_fitted_as_csr():
    X, y, _ = _sparse_problem()
    csc_model = MLPRegressor(max_iter=10, random_state=0).fit(X.tocsc(), y)
    csr_model = MLPRegressor(max_iter=10, random_state=0).fit(X, y)
    assert_array_equal(csc_model.predict(X), csr_model.predict(X))
    assert_array_equal(csc_model.predict(X.tocsc()), csr_model.predict(X))


def test_duplicate_entries_are_summed_and_the_input_left_alone():
    X, y, _ = _sparse_problem()
    coo = X.tocoo()
    half = coo.data / 2
    doubled = sp.csr_matrix(
        (
            np.concatenate([half, half]),
            (np.concatenate([coo.row, coo.row]), np.concatenate([coo.col, coo.col])),
        ),
        shape=X.shape,
    )
    doubled.has_canonical_format = False
    nnz = doubled.nnz
    model = MLPRegressor(max_iter=10, random_state=0).fit(doubled, y)
    reference = MLPRegressor(max_iter=10, random_state=0).fit(X.toarray(), y)
    assert_allclose(model.predict(X), reference.predict(X.toarray()), atol=ATOL)
    assert doubled.nnz == nnz  # the caller's matrix is not modified


@pytest.mark.parametrize("estimator", [MLPRegressor, MLPClassifier])
def test_float32_sparse_input_stays_float32(estimator):
    X, y_reg, y_bin = _sparse_problem(dtype=np.float32)
    y = y_reg if estimator is MLPRegressor else y_bin
    sparse_model, dense_model = _pair(estimator, X, y)
    assert sparse_model.coefs_[0].dtype == np.float32
    assert next(sparse_model.net_.module_.parameters()).dtype == torch.float32
    result, expected = _outputs(sparse_model, X), _outputs(dense_model, X.toarray())
    assert result.dtype == expected.dtype
    assert_allclose(result, expected, rtol=1e-4, atol=1e-4)


def test_custom_module_gets_dense_batches():
    seen = []

    class Recorder(torch.nn.Module):
        def __init__(self, n_features, n_outputs):
            super().__init__()
            self.linear = torch.nn.Linear(n_features, n_outputs)

        def forward(self, X):
            seen.append(X.layout)
            return self.linear(X)

    X, y, _ = _sparse_problem()
    sparse_model, dense_model = _pair(
        MLPRegressor, X, y, module=Recorder, early_stopping=True
    )
    assert set(seen) == {torch.strided}
    _assert_same_model(sparse_model, dense_model, X)
    # A subclass of the built-in module is a user's module too.
    module = type("Sub", (MLPModule,), {})
    sparse_model, dense_model = _pair(
        MLPRegressor, X, y, module=partial(module, hidden_layer_sizes=(4,))
    )
    _assert_same_model(sparse_model, dense_model, X)


def test_wide_sparse_input_is_never_densified(monkeypatch):
    """A 200 x 2,000,000 matrix would take 3.2 GB dense; sparse, it fits at once."""
    rng = np.random.RandomState(0)
    n, n_features = 200, 2_000_000
    cols = rng.randint(n_features, size=n * 5)
    X = sp.csr_matrix(
        (rng.uniform(size=n * 5), (np.repeat(np.arange(n), 5), cols)),
        shape=(n, n_features),
    )
    y = np.asarray(X.sum(axis=1)).ravel()

    def refuse(*args, **kwargs):
        raise AssertionError("the sparse matrix was densified")

    for cls in (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix):
        monkeypatch.setattr(cls, "toarray", refuse)
        monkeypatch.setattr(cls, "todense", refuse)
    monkeypatch.setattr(torch.Tensor, "to_dense", refuse)
    model = MLPRegressor(hidden_layer_sizes=(5,), max_iter=1, random_state=0)
    model.fit(X, y)
    assert model.coefs_[0].shape == (n_features, 5)
    assert model.predict(X).shape == (n,)
    classifier = MLPClassifier(hidden_layer_sizes=(5,), max_iter=1, random_state=0)
    classifier.fit(X, y > np.median(y))
    assert classifier.predict_proba(X).shape == (n, 2)


def _sentences(n, seed):
    """Short texts of two topics sharing most of their vocabulary."""
    rng = np.random.RandomState(seed)
    common = [f"word{i}" for i in range(300)]
    topics = [[f"sport{i}" for i in range(40)], [f"money{i}" for i in range(40)]]
    labels = rng.randint(2, size=n)
    texts = []
    for label in labels:
        words = list(rng.choice(common, size=12))
        words += list(rng.choice(topics[label], size=2))
        words += list(rng.choice(topics[1 - label], size=rng.randint(0, 2)))
        texts.append(" ".join(rng.permutation(words)))
    return texts, labels


def test_text_classification_as_good_as_sklearn():
    texts, labels = _sentences(600, seed=0)
    train_texts, test_texts, y_train, y_test = train_test_split(
        texts, labels, test_size=0.3, random_state=0
    )
    vectorizer = TfidfVectorizer().fit(train_texts)
    X_train, X_test = (
        vectorizer.transform(train_texts),
        vectorizer.transform(test_texts),
    )
    assert sp.issparse(X_train)
    settings = dict(hidden_layer_sizes=(50,), max_iter=60, random_state=0)
    ours = MLPClassifier(**settings).fit(X_train, y_train)
    theirs = sk.MLPClassifier(**settings).fit(X_train, y_train)
    ours_accuracy = accuracy_score(y_test, ours.predict(X_test))
    theirs_accuracy = accuracy_score(y_test, theirs.predict(X_test))
    assert theirs_accuracy > 0.8  # the problem is learnable
    assert ours_accuracy >= theirs_accuracy - 0.03
    # Same model family, same data: the predicted probabilities agree closely.
    agreement = np.mean(ours.predict(X_test) == theirs.predict(X_test))
    assert agreement > 0.9


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_sparse_fit_on_cuda_equals_cpu():
    X, y, _ = _sparse_problem()
    settings = dict(hidden_layer_sizes=(7,), max_iter=10, random_state=0)
    gpu = MLPRegressor(**settings, device="cuda").fit(X, y)
    cpu = MLPRegressor(**settings).fit(X.toarray(), y)
    assert_allclose(gpu.predict(X), cpu.predict(X.toarray()), atol=1e-8)
