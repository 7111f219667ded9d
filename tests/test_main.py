"""The sklearn-losses command and the reference experiment definitions."""

import csv
import dataclasses
from functools import partial

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_circles, make_regression
from sklearn.preprocessing import StandardScaler

from sklearn_losses import MLPClassifier, MLPRegressor, _reference
from sklearn_losses.__main__ import main
from sklearn_losses._reference import EXPERIMENTS, rounded_accuracy, run_experiment
from sklearn_losses.losses import get_loss
from sklearn_losses.neural_network import MLPModule

# The published settings and figures (shared/reference/seed-experiments.md).
PUBLISHED = [
    ("regression", "mean_squared_error", "linear", 0.000, 0.001),
    ("regression", "mean_squared_logarithmic_error", "linear", 0.165, 0.184),
    ("regression", "mean_absolute_error", "linear", 0.002, 0.002),
    ("binary", "binary_crossentropy", "sigmoid", 0.836, 0.852),
    ("binary", "hinge", "tanh", 0.792, 0.740),
    ("binary", "squared_hinge", "tanh", 0.682, 0.646),
    ("multiclass", "categorical_crossentropy", "softmax", 0.840, 0.822),
    ("multiclass", "sparse_categorical_crossentropy", "softmax", 0.832, 0.818),
    ("multiclass", "kullback_leibler_divergence", "softmax", 0.822, 0.822),
]
SETTINGS = {  # problem: (hidden units, epochs)
    "regression": (25, 100),
    "binary": (50, 200),
    "multiclass": (50, 100),
}


def _published_data(problem):
    if problem == "regression":
        X, y = make_regression(n_samples=1000, n_features=20, noise=0.1, random_state=1)
        X = StandardScaler().fit_transform(X)
        y = StandardScaler().fit_transform(y[:, None])[:, 0]
    elif problem == "binary":
        X, y = make_circles(n_samples=1000, noise=0.1, random_state=1)
    else:
        X, y = make_blobs(
            n_samples=1000, centers=3, n_features=2, cluster_std=2, random_state=2
        )
    return X[:500], X[500:], y[:500], y[500:]


def test_experiments_follow_the_reference():
    assert [
        (e.problem.name, e.loss, e.output, e.published_train, e.published_test)
        for e in EXPERIMENTS
    ] == PUBLISHED
    for experiment in EXPERIMENTS:
        problem = experiment.problem
        for ours, theirs in zip(problem.load(), _published_data(problem.name)):
            np.testing.assert_allclose(ours, theirs)
        est = experiment.make_estimator(random_state=3)
        units, epochs = SETTINGS[problem.name]
        expected_class = MLPRegressor if problem.name == "regression" else MLPClassifier
        assert type(est) is expected_class
        params = est.get_params()
        assert {
            key: params[key]
            for key in (
                "solver",
                "learning_rate",
                "learning_rate_init",
                "momentum",
                "nesterovs_momentum",
                "batch_size",
                "alpha",
                "shuffle",
                "early_stopping",
                "max_iter",
                "random_state",
            )
        } == {
            "solver": "sgd",
            "learning_rate": "constant",
            "learning_rate_init": 0.01,
            "momentum": 0.9,
            "nesterovs_momentum": False,
            "batch_size": 32,
            "alpha": 0.0,
            "shuffle": True,
            "early_stopping": False,
            "max_iter": epochs,
            "random_state": 3,
        }
        assert params["n_iter_no_change"] > epochs  # a fixed number of epochs
        module = params["module"](2, 1)
        assert isinstance(params["module"], partial)
        assert params["module"].keywords == {
            "hidden_layer_sizes": (units,),
            "init": "he_uniform",
        }
        assert isinstance(module, MLPModule)
        assert isinstance(
            module.hidden_activation, type(MLPModule(1, 1).hidden_activation)
        )
        # the loss fixes the output layer the reference uses
        activation = get_loss(experiment.loss).activation(
            "regression" if problem.name == "regression" else problem.name
        )
        expected = {"linear": "identity", "sigmoid": "logistic"}.get(
            experiment.output, experiment.output
        )
        assert activation == expected


def test_rounded_accuracy_counts_only_confident_outputs():
    class Fitted:
        classes_ = np.array(["no", "yes"])

        def decision_function(self, X):
            return np.array([0.7, -0.2, -0.8, 0.4, 0.51])

    y = np.array(["yes", "no", "no", "yes", "yes"])
    # 0.7 -> 1 right; -0.2 -> 0 wrong; -0.8 -> -1 right; 0.4 -> 0 wrong; 0.51 -> 1 right
    assert rounded_accuracy(Fitted(), None, y) == pytest.approx(3 / 5)


@pytest.fixture
def short_experiments(monkeypatch):
    """The nine experiments with 2 epochs each, so that the command runs in seconds."""
    short = tuple(
        dataclasses.replace(e, problem=dataclasses.replace(e.problem, epochs=2))
        for e in EXPERIMENTS
    )
    monkeypatch.setattr(_reference, "EXPERIMENTS", short)
    return short


def test_reference_command_end_to_end(short_experiments, tmp_path, capsys):
    status = main(["--seeds", "2", "--output", str(tmp_path), "--n-jobs", "1"])
    assert status == 0
    out, err = capsys.readouterr()
    rows = [
        line
        for line in out.splitlines()
        if line.split()[:1] in (["regression"], ["binary"], ["multiclass"])
    ]
    assert len(rows) == 9
    for row, (problem, loss, _, train, test) in zip(rows, PUBLISHED):
        assert row.split()[:2] == [problem, loss]
        assert f"{train:.3f}" in row and f"{test:.3f}" in row and "±" in row
    assert "(Keras 2 rounded)" in out  # the hinge rows explain their gap
    assert "clips" in out  # and so does the MSLE row
    # its UserWarning is shown once, not hidden and not once per seed
    assert out.count("UserWarning: The squared_log_error loss clips") == 1
    assert len([ln for ln in err.splitlines() if ln.startswith("[")]) == 18
    for name in ("regression.png", "binary.png", "multiclass.png", "reference.md"):
        assert (tmp_path / name).stat().st_size > 0
    markdown = (tmp_path / "reference.md").read_text()
    assert markdown.count("\n| ") >= 9
    assert "sklearn-losses --seeds 2" in markdown


def test_run_experiment_records_curves(short_experiments):
    run = run_experiment(short_experiments[4], seed=0, curves=True)
    assert run.experiment.loss == "hinge"
    assert set(run.curves) == {"train_loss", "test_loss", "train_score", "test_score"}
    assert all(len(curve) == 2 for curve in run.curves.values())
    # the curves' last epoch is the model that was measured
    assert run.curves["train_score"][-1] == pytest.approx(run.train)
    assert run.curves["test_score"][-1] == pytest.approx(run.test)
    assert 0 <= run.test_rounded <= run.test


def _write_csv(path, header, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def test_csv_command_regression(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    colour = rng.choice(["red", "blue"], size=60)
    y = 3 * X[:, 0] - X[:, 1] + (colour == "red") + rng.normal(scale=0.1, size=60)
    data = tmp_path / "data.csv"
    _write_csv(
        data,
        ["a", "b", "colour", "price"],
        [[f"{a:.4f}", f"{b:.4f}", c, f"{t:.4f}"] for (a, b), c, t in zip(X, colour, y)],
    )
    out_dir = tmp_path / "out"
    status = main(
        [
            "--csv", str(data), "--target", "price",
            "--losses", "squared_error,absolute_error,poisson",
            "--metric", "neg_mean_absolute_error",
            "--cv", "3", "--max-iter", "15", "--hidden", "5",
            "--output", str(out_dir), "--n-jobs", "1",
        ]
    )  # fmt: skip
    assert status == 0
    out, err = capsys.readouterr()
    assert "Target 'price': regression: numbers with a fractional part" in out
    assert "Training: the number of epochs" in out
    assert "neg_mean_absolute_error" in out
    assert "skipped poisson" in out  # negative prices: reported, not a crash
    assert "Best loss:" in out
    with open(out_dir / "comparison.csv") as handle:
        table = list(csv.DictReader(handle))
    ranked = [row["loss"] for row in table if row["rank"] != "floor"]
    assert sorted(ranked) == ["absolute_error", "squared_error"]
    assert [row["loss"] for row in table if row["rank"] == "floor"] == ["dummy (mean)"]
    for image in ("learning_curves.png", "fold_scores.png"):
        assert (out_dir / image).stat().st_size > 0
    report = (out_dir / "report.md").read_text()
    assert "![" in report and "learning_curves.png" in report
    assert "fold_scores.png" in report and "dummy (mean)" in report


def test_csv_command_classification_of_text_labels(tmp_path, capsys):
    X, y = make_blobs(n_samples=45, centers=3, n_features=2, random_state=0)
    names = np.array(["cat", "dog", "eel"])[y]
    data = tmp_path / "animals.csv"
    _write_csv(data, ["x1", "x2", "kind"], [[a, b, k] for (a, b), k in zip(X, names)])
    status = main(
        [
            "--csv", str(data), "--target", "kind", "--losses", "log_loss,hinge",
            "--cv", "3", "--max-iter", "5", "--hidden", "4", "--n-jobs", "1",
            "--quiet",
        ]
    )  # fmt: skip
    assert status == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "multiclass targets" in out and "accuracy" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--target", "y"], "--target needs --csv"),
        (["--csv", "{csv}"], "--csv needs --target"),
        (["--csv", "{csv}", "--target", "nope"], "no column 'nope'"),
        (["--csv", "{missing}", "--target", "y"], "No such file"),
        (["--problems", "vision"], "--problems"),
    ],
)
def test_usage_errors(argv, message, tmp_path, capsys):
    data = tmp_path / "d.csv"
    _write_csv(data, ["x", "y"], [[i, i] for i in range(10)])
    argv = [a.format(csv=data, missing=tmp_path / "missing.csv") for a in argv]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
