"""The stacked search and training engine against scikit-learn's search and plain fits.

Every comparison is with an independent reference: scikit-learn's own
``GridSearchCV`` (one ``fit`` per candidate and fold) or plain ``fit`` calls.
"""

import os
import pickle
import subprocess
import sys
import warnings
from functools import partial
from pathlib import Path

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
import torch
from sklearn import model_selection as sk_model_selection
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_wine, make_classification
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from sklearn_losses import MLPClassifier, MLPRegressor
from sklearn_losses._reference import EXPERIMENTS, PROBLEMS
from sklearn_losses.model_selection import GridSearchCV, fit_seeds
from sklearn_losses.neural_network import MLPModule, _fused, _stack
from sklearn_losses.neural_network._net import deferred_optimizers

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _decision_mean(estimator, X, y):
    """A continuous score: every decision value counts (accuracy would hide drift)."""
    return float(np.mean(estimator.decision_function(X)))


def _assert_same_search(ours, theirs, atol=1e-6):
    assert set(ours.cv_results_) == set(theirs.cv_results_)
    for key, value in theirs.cv_results_.items():
        if key.startswith("split") or key.startswith("mean_t") or key == "params":
            if key == "params":
                assert ours.cv_results_[key] == value
            else:
                np.testing.assert_allclose(
                    ours.cv_results_[key], value, rtol=0, atol=atol, err_msg=key
                )
        if key.startswith("rank_"):
            np.testing.assert_array_equal(ours.cv_results_[key], value)


def _both(estimator, grid, X, y, **kwargs):
    ours = GridSearchCV(estimator, grid, **kwargs).fit(X, y)
    theirs = sk_model_selection.GridSearchCV(estimator, grid, **kwargs).fit(X, y)
    return ours, theirs


def _count_stacked(monkeypatch):
    """Record how many networks each stack trains."""
    sizes = []
    original = _stack._Stack.train

    def train(self):
        sizes.append(len(self.members))
        return original(self)

    monkeypatch.setattr(_stack._Stack, "train", train)
    return sizes


# -- acceptance: the reference problems' losses -------------------------------------------
@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p.name)
def test_reference_losses_same_split_scores(problem, monkeypatch):
    experiments = [e for e in EXPERIMENTS if e.problem is problem]
    X, _, y, _ = problem.load()
    X, y = X[:300], y[:300]
    estimator = (
        experiments[0]
        .make_estimator(random_state=0)
        .set_params(max_iter=12, n_iter_no_change=13)
    )
    grid = {"loss": [e.loss for e in experiments]}
    if problem.metric == "mse":
        scoring = {"mse": "neg_mean_squared_error", "r2": "r2"}
    else:
        scoring = {"accuracy": "accuracy", "decision": _decision_mean}
    # 300 rows in 4 folds: 225 rows each, 8 batches of 32 (the last of 1 row)
    sizes = _count_stacked(monkeypatch)
    ours, theirs = _both(
        estimator, grid, X, y, cv=KFold(4, shuffle=True, random_state=0),
        scoring=scoring, refit=False,
    )  # fmt: skip
    assert sizes == [12]  # 3 losses x 4 folds, one stack
    _assert_same_search(ours, theirs)


# -- acceptance: two real datasets --------------------------------------------------------
def test_diabetes_pipeline_losses_and_alpha():
    X, y = load_diabetes(return_X_y=True)
    y = (y - y.mean()) / y.std()
    estimator = make_pipeline(
        StandardScaler(),
        MLPRegressor(
            solver="sgd", hidden_layer_sizes=(16,), learning_rate_init=0.01,
            max_iter=15, random_state=1,
        ),
    )  # fmt: skip
    grid = {
        "mlpregressor__loss": ["squared_error", "absolute_error", "huber", "log_cosh"],
        "mlpregressor__alpha": [0.0, 0.5],
    }
    ours, theirs = _both(
        estimator, grid, X, y, cv=KFold(5, shuffle=True, random_state=2),
        scoring=["neg_mean_squared_error", "r2"], refit="r2",
        return_train_score=True,
    )  # fmt: skip
    _assert_same_search(ours, theirs)
    assert ours.best_params_ == theirs.best_params_
    np.testing.assert_allclose(
        ours.predict(X[:20]), theirs.predict(X[:20]), rtol=0, atol=1e-8
    )


def test_wine_pipeline_adam_uneven_folds():
    # 178 rows in 5 stratified folds: training sets of 142 and 143 rows; with batches
    # of 20 that is 8 batches (the last of 2 or 3 rows) per epoch.
    X, y = load_wine(return_X_y=True)
    estimator = make_pipeline(
        StandardScaler(),
        MLPClassifier(
            solver="adam", hidden_layer_sizes=(12,), batch_size=20,
            learning_rate_init=0.01, max_iter=15, random_state=3,
        ),
    )  # fmt: skip
    grid = {
        "mlpclassifier__loss": ["log_loss", "hinge", "binary_focal"],
        "mlpclassifier__learning_rate_init": [0.01, 0.003],
    }
    ours, theirs = _both(
        estimator, grid, X, y, cv=StratifiedKFold(5, shuffle=True, random_state=0),
        scoring={"accuracy": "accuracy", "decision": _decision_mean},
        refit="decision",
    )  # fmt: skip
    _assert_same_search(ours, theirs)


# -- the engine: every rule of a plain fit ------------------------------------------------
def _data(n=150, classes=2, seed=0):
    return make_classification(
        n_samples=n, n_features=6, n_informative=4, n_classes=classes,
        random_state=seed,
    )  # fmt: skip


ENGINE_CASES = {
    "sgd nesterov alpha": dict(solver="sgd", alpha=0.3, momentum=0.8),
    "sgd no momentum": dict(solver="sgd", momentum=0.0, shuffle=False),
    "adam": dict(solver="adam", learning_rate_init=0.01, beta_1=0.8),
    "early stopping": dict(
        solver="sgd", early_stopping=True, n_iter_no_change=2, max_iter=40
    ),
    "stops on training loss": dict(solver="adam", tol=1e-2, n_iter_no_change=2),
    "invscaling": dict(solver="sgd", learning_rate="invscaling", power_t=0.3),
    "adaptive": dict(solver="sgd", learning_rate="adaptive", tol=1e-2),
    "tanh": dict(solver="sgd", activation="tanh"),
    "logistic": dict(solver="adam", activation="logistic"),
}


@pytest.mark.parametrize("case", list(ENGINE_CASES))
def test_stack_equals_plain_fits(case):
    X, y = _data(classes=3)
    weight = np.random.default_rng(0).uniform(0.2, 2.0, len(y))
    base = MLPClassifier(
        hidden_layer_sizes=(9, 7), batch_size=16, max_iter=12, random_state=0
    ).set_params(**ENGINE_CASES[case])
    estimators, datasets = [], []
    # different losses, seeds, row counts (different numbers of batches) and weights
    for i, loss in enumerate(["log_loss", "kl_divergence", "categorical_hinge"]):
        for rows, w in [(slice(0, 150), None), (slice(0, 97), weight[:97])]:
            est = clone(base).set_params(loss=loss, random_state=i)
            estimators.append(est)
            datasets.append((X[rows], y[rows]) + ((w,) if w is not None else ()))
    assert _stack.fit_stack(estimators, datasets) == [None] * len(estimators)
    for est, data in zip(estimators, datasets):
        X_fit, y_fit, *w = data
        plain = clone(est).fit(X_fit, y_fit, sample_weight=w[0] if w else None)
        assert est.n_iter_ == plain.n_iter_
        assert est.t_ == plain.t_
        np.testing.assert_allclose(est.loss_curve_, plain.loss_curve_, rtol=1e-10)
        assert (est.validation_scores_ is None) == (plain.validation_scores_ is None)
        if plain.validation_scores_ is not None:
            np.testing.assert_allclose(
                est.validation_scores_, plain.validation_scores_, atol=1e-12
            )
        np.testing.assert_allclose(
            est.decision_function(X), plain.decision_function(X), rtol=0, atol=1e-8
        )
        _assert_same_rules(est, plain)


def _rows(net):
    """The history rows without the epoch durations."""
    return [{k: v for k, v in row.items() if k != "dur"} for row in net.history]


def _assert_same_rules(est, plain):
    """The same history rows and the same fitted state of every rule callback."""
    ours, theirs = _rows(est.net_), _rows(plain.net_)
    assert len(ours) == len(theirs)
    for row, expected in zip(ours, theirs):
        assert row.keys() == expected.keys()
        for key, value in expected.items():
            if key == "batches":
                assert [b.keys() for b in row[key]] == [b.keys() for b in value]
                for b, c in zip(row[key], value):
                    np.testing.assert_allclose(list(b.values()), list(c.values()))
            elif isinstance(value, float):
                np.testing.assert_allclose(row[key], value, rtol=1e-9, err_msg=key)
            else:
                assert row[key] == value, key
    stacked = dict(est.net_.callbacks_)
    for name, rule in plain.net_.callbacks_:
        if not name.startswith("sklearn_"):
            continue
        for attr, value in vars(rule).items():
            if not attr.endswith("_") or attr in ("epoch_start_", "best_state_"):
                continue
            mine = getattr(stacked[name], attr)
            if isinstance(value, (list, float)):
                np.testing.assert_allclose(mine, value, rtol=1e-9, err_msg=attr)
            else:
                assert mine == value, (name, attr)
    if plain.best_loss_ is None:  # early stopping
        assert est.best_loss_ is None
    else:
        assert est.best_loss_ == pytest.approx(plain.best_loss_, rel=1e-9, abs=0)


def test_stacked_estimator_continues_like_a_plain_fit():
    X, y = _data()
    base = MLPClassifier(solver="sgd", hidden_layer_sizes=(5,), max_iter=5)
    (stacked,) = fit_seeds(base, X, y, [4])
    plain = clone(base).set_params(random_state=4).fit(X, y)
    # partial_fit continues with the optimizer state (momentum) a fit leaves
    stacked.partial_fit(X, y)
    plain.partial_fit(X, y)
    np.testing.assert_allclose(
        stacked.decision_function(X), plain.decision_function(X), atol=1e-8
    )


def test_fit_seeds_equals_plain_fits_and_stacks_once(monkeypatch):
    problem = PROBLEMS[0]
    X, _, y, _ = problem.load()
    estimator = EXPERIMENTS[0].make_estimator().set_params(max_iter=5)
    sizes = _count_stacked(monkeypatch)
    models = fit_seeds(estimator, X[:200], y[:200], random_states=range(4))
    assert sizes == [4]
    for seed, model in enumerate(models):
        plain = clone(estimator).set_params(random_state=seed).fit(X[:200], y[:200])
        np.testing.assert_allclose(model.predict(X), plain.predict(X), atol=1e-8)


# -- the search's contract ----------------------------------------------------------------
def test_refit_best_estimator_is_a_plain_fit():
    X, y = _data()
    estimator = MLPClassifier(solver="sgd", hidden_layer_sizes=(6,), max_iter=8)
    search = GridSearchCV(
        estimator, {"loss": ["log_loss", "squared_hinge"], "random_state": [0, 1]}, cv=3
    ).fit(X, y)
    best = clone(estimator).set_params(**search.best_params_).fit(X, y)
    np.testing.assert_allclose(
        search.decision_function(X), best.decision_function(X), atol=1e-12
    )
    assert search.best_score_ == search.cv_results_["mean_test_score"].max()
    assert search.n_splits_ == 3 and search.refit_time_ > 0


def test_failing_candidate_gets_error_score():
    X, y = load_diabetes(return_X_y=True)
    y = y - y.mean()  # negative targets: the Poisson loss refuses them
    estimator = MLPRegressor(
        solver="sgd", hidden_layer_sizes=(4,), max_iter=3, random_state=0
    )
    grid = {"loss": ["squared_error", "poisson"]}
    with pytest.warns(FitFailedWarning):
        ours = GridSearchCV(estimator, grid, cv=3, error_score=-1.0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sk_model_selection.GridSearchCV(
            estimator, grid, cv=3, error_score=-1.0
        ).fit(X, y)
    _assert_same_search(ours, theirs)
    assert (ours.cv_results_["mean_test_score"][1]) == -1.0
    with pytest.raises(ValueError, match="negative"):
        GridSearchCV(estimator, grid, cv=3, error_score="raise").fit(X, y)


def test_unstackable_candidates_fit_one_by_one(monkeypatch):
    X, y = _data()
    estimator = MLPClassifier(hidden_layer_sizes=(5,), max_iter=6, random_state=0)
    module = partial(MLPModule, hidden_layer_sizes=(5,), init="he_uniform")
    grid = [
        {"solver": ["sgd"], "loss": ["log_loss", "hinge"]},
        {"solver": ["lbfgs"]},  # L-BFGS is its own path
        {"solver": ["sgd"], "module": [module], "loss": ["log_loss"]},
    ]
    sizes = _count_stacked(monkeypatch)
    ours, theirs = _both(
        estimator, grid, X, y, cv=3, scoring=_decision_mean, refit=False
    )
    # the two losses x 3 folds in one stack, the module= candidate in another;
    # L-BFGS fits one by one
    assert sorted(sizes) == [3, 6]
    _assert_same_search(ours, theirs)


@pytest.mark.parametrize("case", ["multi-label", "sparse", "callbacks"])
def test_fitted_alone_like_a_plain_fit(case):
    # a multi-label objective (summed over labels), sparse rows and a user's
    # callbacks train through the net's own loop, as fit does
    X, y = _data()
    estimator = MLPClassifier(
        solver="sgd", hidden_layer_sizes=(5,), max_iter=4, random_state=0
    )
    if case == "multi-label":
        y = np.column_stack([y, X[:, 0] > 0]).astype(int)
    elif case == "sparse":
        X = sp.csr_matrix(np.where(np.abs(X) > 1, X, 0.0))
    else:
        estimator.set_params(callbacks=[("epochs", _EpochCount())])
    assert _stack.fit_stack([estimator], [(X, y)]) == [None]
    assert "deferred_optimizer_state_" not in vars(estimator.net_)
    plain = clone(estimator).fit(X, y)
    np.testing.assert_array_equal(estimator.predict_proba(X), plain.predict_proba(X))
    np.testing.assert_array_equal(estimator.loss_curve_, plain.loss_curve_)
    if case == "callbacks":
        assert dict(estimator.net_.callbacks_)["epochs"].epochs_ == 4


class _EpochCount(Callback):
    def initialize(self):
        self.epochs_ = 0
        return self

    def on_epoch_end(self, net, **kwargs):
        self.epochs_ += 1


def test_n_jobs_runs_several_stacks():
    X, y = _data()
    estimator = MLPClassifier(solver="sgd", max_iter=4, random_state=0)
    grid = {"hidden_layer_sizes": [(3,), (4,)], "loss": ["log_loss", "hinge"]}
    ours, theirs = _both(estimator, grid, X, y, cv=2, n_jobs=2)
    _assert_same_search(ours, theirs)


def _one_batch_size():
    """Folds and refits of ``_data`` with one batch size: they share a stack."""
    return MLPClassifier(
        solver="sgd", hidden_layer_sizes=(4,), max_iter=4, batch_size=20,
        random_state=0,
    )  # fmt: skip


def _record_stacks(monkeypatch, path):
    """Append ``pid size`` to ``path`` for every stack trained, in any process."""
    original = _stack._Stack.train

    def train(self):
        with open(path, "a") as file:
            file.write(f"{os.getpid()} {len(self.members)}\n")
        return original(self)

    monkeypatch.setattr(_stack._Stack, "train", train)
    return lambda: [tuple(map(int, line.split())) for line in open(path)]


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="forked parts on Linux only"
)
def test_n_jobs_splits_one_stack_over_processes(monkeypatch, tmp_path):
    X, y = _data()
    estimator = _one_batch_size()
    grid = {"loss": ["log_loss", "hinge", "squared_hinge"]}
    stacks = _record_stacks(monkeypatch, tmp_path / "stacks")
    ours, theirs = _both(estimator, grid, X, y, cv=3, n_jobs=2, scoring=_decision_mean)
    _assert_same_search(ours, theirs)
    # 9 folds in two parts (4 and 5) with the refits of their candidates (2 and
    # 1), one here, one in a forked child
    pids = stacks()
    assert sorted(size for _, size in pids) == [6, 6]
    assert len({pid for pid, _ in pids}) == 2 and os.getpid() in dict(pids)
    single = GridSearchCV(estimator, grid, cv=3, scoring=_decision_mean).fit(X, y)
    _assert_same_search(ours, single, atol=0)
    np.testing.assert_array_equal(
        ours.best_estimator_.decision_function(X),
        single.best_estimator_.decision_function(X),
    )


def test_a_stack_is_split_where_the_costlier_part_costs_least():
    from sklearn_losses.model_selection import _split_costliest

    # three candidates' five folds each; the first two train as one loss group
    losses = "AAAAAAAAAABBBBB"

    def cost(part, group=3):  # a network costs 1, a loss group ``group``
        return len(part) + group * len({losses[p] for p in part})

    fits = list(range(15))
    # 9 + 6 fits: 9 + 3 against 6 + 2 * 3 (a cut at 10 would leave 10 + 3)
    assert _split_costliest([fits], 2, cost) == [fits[:9], fits[9:]]
    # where a loss group costs far more than a network, the cut keeps groups whole
    heavy = partial(cost, group=20)
    assert _split_costliest([fits], 2, heavy) == [fits[:10], fits[10:]]
    # parts keep at least four fits: seven cannot be split, nor can parts go below
    assert _split_costliest([fits[:7]], 2, cost) == [fits[:7]]
    assert [len(p) for p in _split_costliest([fits], 8, cost)] == [4, 5, 6]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux")
def test_parts_fork_only_where_a_fork_is_safe(monkeypatch):
    from sklearn_losses import _processes

    assert _processes._forking_is_cheaper()
    with joblib.parallel_config(backend="threading"):  # the user's choice wins
        assert not _processes._forking_is_cheaper()
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)
    assert not _processes._forking_is_cheaper()  # CUDA does not survive a fork


def test_a_chosen_joblib_backend_runs_the_split_stacks(monkeypatch, tmp_path):
    X, y = _data()
    estimator = _one_batch_size()
    grid = {"loss": ["log_loss", "hinge"]}
    stacks = _record_stacks(monkeypatch, tmp_path / "stacks")
    with joblib.parallel_config(backend="threading"):
        ours = GridSearchCV(estimator, grid, cv=4, n_jobs=2).fit(X, y)
    # two parts (a candidate's 4 folds and refit each) through joblib's threads
    assert sorted(stacks()) == [(os.getpid(), 5), (os.getpid(), 5)]
    single = GridSearchCV(estimator, grid, cv=4).fit(X, y)
    _assert_same_search(ours, single, atol=0)


def test_sample_weight_routed_to_the_folds():
    X, y = _data()
    weight = np.random.default_rng(1).uniform(0.5, 1.5, len(y))
    estimator = MLPClassifier(
        solver="sgd", hidden_layer_sizes=(4,), max_iter=5, random_state=0
    )
    grid = {"loss": ["log_loss", "hinge"]}
    ours = GridSearchCV(estimator, grid, cv=3, scoring=_decision_mean)
    theirs = sk_model_selection.GridSearchCV(
        estimator, grid, cv=3, scoring=_decision_mean
    )
    ours.fit(X, y, sample_weight=weight)
    theirs.fit(X, y, sample_weight=weight)
    _assert_same_search(ours, theirs)
    unweighted = GridSearchCV(estimator, grid, cv=3, scoring=_decision_mean).fit(X, y)
    assert not np.allclose(
        unweighted.cv_results_["split0_test_score"],
        ours.cv_results_["split0_test_score"],
    )


def test_deferred_optimizer_is_made_on_first_use():
    X, y = _data()
    (model,) = fit_seeds(MLPClassifier(solver="adam", max_iter=3), X, y, [0])
    plain = MLPClassifier(solver="adam", max_iter=3, random_state=0).fit(X, y)
    ours, theirs = model.net_.optimizer_, plain.net_.optimizer_
    assert type(ours) is type(theirs)
    for p, q in zip(
        (p for g in ours.param_groups for p in g["params"]),
        (q for g in theirs.param_groups for q in g["params"]),
    ):
        for key in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_allclose(
                ours.state[p][key].numpy(), theirs.state[q][key].numpy(), atol=1e-10
            )
        assert float(ours.state[p]["step"]) == float(theirs.state[q]["step"])
    # the optimizer is the net's as skorch registers it: set_params reaches it
    for net in (model.net_, plain.net_):
        net.set_params(optimizer__betas=(0.5, 0.6), lr=0.2)
        assert net.optimizer_.param_groups[0]["betas"] == (0.5, 0.6)
        assert net.optimizer_.param_groups[0]["lr"] == 0.2


def test_stacked_search_makes_no_torch_optimizer():
    # A process's first torch optimizer costs seconds; a stacked search needs none.
    code = (
        "import sys, warnings; warnings.simplefilter('ignore')\n"
        "from sklearn.datasets import make_classification\n"
        "from sklearn_losses import MLPClassifier\n"
        "from sklearn_losses.model_selection import GridSearchCV\n"
        "X, y = make_classification(60, random_state=0)\n"
        "search = GridSearchCV(MLPClassifier(max_iter=2), {'loss': ['log_loss', "
        "'hinge']}, cv=2).fit(X, y)\n"
        "print('torch._dynamo' in sys.modules)\n"
        "import pickle; search = pickle.loads(pickle.dumps(search))\n"
        "print('torch._dynamo' in sys.modules)\n"
        "search.best_estimator_.partial_fit(X, y)\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root,
        check=True,
    )  # fmt: skip
    # none during the search nor a pickle round trip; made (and imported) when
    # training continues
    assert result.stdout.split() == ["False", "False", "True"]


def test_metadata_routing_of_sample_weight():
    X, y = _data()
    weight = np.random.default_rng(2).uniform(0.5, 1.5, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        estimator = MLPClassifier(
            solver="sgd", hidden_layer_sizes=(4,), max_iter=5, random_state=0
        ).set_fit_request(sample_weight=True)
        grid = {"loss": ["log_loss", "squared_hinge"]}
        ours = GridSearchCV(estimator, grid, cv=3, scoring=_decision_mean)
        theirs = sk_model_selection.GridSearchCV(
            estimator, grid, cv=3, scoring=_decision_mean
        )
        ours.fit(X, y, sample_weight=weight)
        theirs.fit(X, y, sample_weight=weight)
    _assert_same_search(ours, theirs)


def test_stacked_model_pickles_and_keeps_training():
    X, y = _data()
    base = MLPClassifier(solver="sgd", hidden_layer_sizes=(5,), max_iter=4)
    (model,) = fit_seeds(base, X, y, [2])
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(
        restored.decision_function(X), model.decision_function(X)
    )
    plain = clone(base).set_params(random_state=2).fit(X, y)
    restored.partial_fit(X, y)
    plain.partial_fit(X, y)
    np.testing.assert_allclose(
        restored.decision_function(X), plain.decision_function(X), atol=1e-8
    )


def test_diverging_network_fails_alone():
    X, y = load_diabetes(return_X_y=True)
    estimator = MLPRegressor(
        solver="sgd", hidden_layer_sizes=(4,), max_iter=6, random_state=0
    )
    # the second learning rate makes the squared error overflow: that fit fails, as
    # it does when fitted alone, and the networks beside it in the stack train as
    # usual (Huber's bounded gradient survives it)
    grid = {"learning_rate_init": [1e-4, 1e3], "loss": ["squared_error", "huber"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = _both(estimator, grid, X, y, cv=3, error_score=np.nan)
    _assert_same_search(ours, theirs)
    scores = ours.cv_results_["mean_test_score"]
    assert np.isnan(scores[2]) and np.isfinite(scores[:2]).all()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "solver", [dict(solver="sgd"), dict(solver="sgd", momentum=0.0),
               dict(solver="sgd", nesterovs_momentum=False), dict(solver="adam")],
    ids=["nesterov", "plain", "momentum", "adam"],
)  # fmt: skip
def test_stacked_update_is_torchs_optimizer_step(solver, dtype):
    # The stack's SGD and Adam updates are torch's own single-tensor arithmetic,
    # bit for bit, for each network with its own learning rate; a network that sits
    # out a step (its fold has no batch left) keeps its parameters and state.
    X, y = _data(n=40)
    X = X.astype(dtype)
    estimators = [
        MLPClassifier(
            hidden_layer_sizes=(5, 3), learning_rate_init=lr, random_state=seed,
            **solver,
        )
        for seed, lr in enumerate([0.01, 0.003, 0.2])
    ]  # fmt: skip
    members = []
    with deferred_optimizers():
        for i, est in enumerate(estimators):
            members.append(_stack._Member(i, est, est._prepare_fit(X, y)))
    stack = _stack._Stack(members)
    stack._start()
    torch_dtype = stack.dtype
    references = []
    for est in estimators:
        params = [p.detach().clone() for p in _fused.mlp_parameters(est.net_.module_)]
        kwargs = {"lr": est.learning_rate_init, "foreach": False}
        if est.solver == "sgd":
            nesterov = est.nesterovs_momentum and est.momentum > 0
            kwargs.update(momentum=est.momentum, nesterov=nesterov)
            references.append((torch.optim.SGD(params, **kwargs), params))
        else:
            references.append((torch.optim.Adam(params, **kwargs), params))
    generator = torch.Generator().manual_seed(0)
    n_steps = 7
    if stack.solver == "adam":
        stack.corrections.extend(n_steps)
    for step in range(n_steps):
        mask = (True, False, True) if step in (2, 5) else None
        grads = torch.randn(stack.params.shape, generator=generator, dtype=torch_dtype)
        weights, biases = stack.arena.views(grads)
        for k, (optimizer, params) in enumerate(references):
            if mask is not None and not mask[k]:
                for block in (*weights, *biases):
                    block[k] = 0.0  # no rows: no gradient
                continue
            for param, grad in zip(params, stack.arena.network(grads, k)):
                param.grad = grad
            optimizer.step()
        stack._update(grads, stack._hyperparameters(mask))
    for k, (_, params) in enumerate(references):
        for ours, theirs in zip(stack.arena.network(stack.params, k), params):
            assert torch.equal(ours, theirs)
