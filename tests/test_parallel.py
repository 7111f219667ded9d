"""Determinism across processes, one torch thread per worker, and a Dask cluster."""

from functools import partial

import joblib
import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal
from sklearn.datasets import make_regression
from sklearn.model_selection import GridSearchCV, KFold

from sklearn_losses import MLPRegressor

LOSSES = ["squared_error", "absolute_error", "huber"]


@pytest.fixture(scope="module")
def data():
    X, y = make_regression(n_samples=90, n_features=4, noise=2, random_state=0)
    return X, y / y.std()


def _search(n_jobs):
    return GridSearchCV(
        MLPRegressor(hidden_layer_sizes=(8,), max_iter=30, random_state=0),
        {"loss": LOSSES},
        cv=KFold(3),
        n_jobs=n_jobs,
    )


def _scores(search):
    return search.cv_results_["mean_test_score"], search.cv_results_[
        "split0_test_score"
    ]


def test_same_results_with_one_or_two_workers(data):
    X, y = data
    one, two = _search(1).fit(X, y), _search(2).fit(X, y)
    for a, b in zip(_scores(one), _scores(two), strict=True):
        assert_array_equal(a, b)
    assert_array_equal(one.best_estimator_.predict(X), two.best_estimator_.predict(X))


class _ThreadProbe(torch.nn.Module):
    """A module that records how many torch threads run its forward pass."""

    def __init__(self, n_features, n_outputs, width=4):
        super().__init__()
        self.hidden = torch.nn.Linear(n_features, width)
        self.output = torch.nn.Linear(width, n_outputs)
        self.register_buffer("threads", torch.zeros((), dtype=torch.int64))

    def forward(self, X):
        self.threads.fill_(torch.get_num_threads())
        return self.output(torch.relu(self.hidden(X)))


def _threads_in_fit(X, y, width):
    module = partial(_ThreadProbe, width=width)
    reg = MLPRegressor(module=module, max_iter=1, random_state=0).fit(X, y)
    return int(reg.net_.module_.threads)


def test_small_problems_train_on_one_thread(data):
    X, y = data
    assert _threads_in_fit(X, y, width=4) == 1


def test_workers_do_not_oversubscribe_the_cores():
    # Large enough for more than one thread; each of two workers gets at most half
    # the cores (joblib limits the threads of its workers, and torch follows).
    X, y = make_regression(n_samples=200, n_features=4, random_state=0)
    threads = joblib.Parallel(n_jobs=2)(
        joblib.delayed(_threads_in_fit)(X, y, 8192) for _ in range(2)
    )
    assert all(1 <= t <= max(1, joblib.cpu_count() // 2) for t in threads), threads


def test_search_on_a_dask_cluster_matches_the_local_run(data):
    distributed = pytest.importorskip("distributed")
    X, y = data
    local = _search(1).fit(X, y)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        with joblib.parallel_backend("dask"):
            remote = _search(-1).fit(X, y)
    for a, b in zip(_scores(local), _scores(remote), strict=True):
        assert_array_equal(a, b)
    assert np.all(np.isfinite(remote.cv_results_["mean_test_score"]))
