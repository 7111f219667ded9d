"""The command on a user's CSV file: reading, the task it decides, usage errors."""

import csv

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

from sklearn_losses.__main__ import main
from sklearn_losses._csv import decide_task, preprocessor, read_table


def _write(path, header, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("token", ["NA", "N/A", "?", "null", ""])
def test_missing_tokens_keep_a_numeric_column_numeric(tmp_path, token):
    iris = load_iris()
    rows = [
        [*map(str, x), iris.target_names[t]] for x, t in zip(iris.data, iris.target)
    ]
    rows[3][0] = token
    rows[7][2] = token
    path = _write(tmp_path / "iris.csv", [*iris.feature_names, "species"], rows)
    table = read_table(path, "species")
    assert table.numeric == iris.feature_names and table.categorical == []
    assert table.X.isna().sum().sum() == 2
    features = preprocessor(table.numeric, table.categorical).fit_transform(table.X)
    assert features.shape == (150, 4)  # not one-hot encoded text
    # the missing cells are imputed by the column's median
    median = np.median(np.delete(iris.data[:, 0], 3))
    scaled = (median - np.mean(np.r_[np.delete(iris.data[:, 0], 3), median])) / np.std(
        np.r_[np.delete(iris.data[:, 0], 3), median]
    )
    assert features[3, 0] == pytest.approx(scaled)


def test_quoting_and_text_columns(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(
        'size,city,price\n1.5,"Paris, France",3\n2,Lyon,4\n'
        '2.5,"Paris, France",5\n3,Nice,6\n3.5,Lyon,7\n'
    )
    table = read_table(path, "price")
    assert table.categorical == ["city"] and table.numeric == ["size"]
    assert sorted(set(table.X["city"])) == ["Lyon", "Nice", "Paris, France"]
    assert "5 rows" in table.describe() and "3 levels" in table.describe()


def test_a_mostly_numeric_text_column_is_pointed_out(tmp_path):
    rows = [[str(i), str(i % 3)] for i in range(20)]
    rows[4][0] = "n.a."
    path = _write(tmp_path / "d.csv", ["x", "y"], rows)
    table = read_table(path, "y", task="classification")
    assert table.categorical == ["x"]
    assert any("--na-values n.a." in note for note in table.notes)
    table = read_table(path, "y", task="classification", na_values=["n.a."])
    assert table.numeric == ["x"] and not table.notes


@pytest.mark.parametrize(
    "cells", [["1.5", "", "2.5"], ["cat", "", "dog"], ["cat", "NA", "dog"]]
)
def test_missing_target_cells_are_a_clear_error(tmp_path, cells, capsys):
    rows = [[str(i), cells[i % 3]] for i in range(9)]
    path = _write(tmp_path / "d.csv", ["x", "y"], rows)
    with pytest.raises(ValueError, match=r"3 empty or missing cell\(s\) \(file line 3"):
        read_table(path, "y")
    assert main(["--csv", str(path), "--target", "y"]) == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "empty or missing" in err


def test_task_rule():
    counts = pd.Series([0, 1, 0, 3, 9, 2, 0, 1])
    task, reason = decide_task(counts)
    assert task == "regression"
    assert "5 distinct whole numbers from 0 to 9" in reason and "counts" in reason
    assert "--task classification" in reason
    assert decide_task(pd.Series([0, 1, 1, 0]))[0] == "classification"
    assert decide_task(pd.Series(["a", "b", "c"]))[0] == "classification"
    assert decide_task(pd.Series([True, False]))[0] == "classification"
    assert decide_task(pd.Series([0.5, 1.0, 2.0]))[0] == "regression"
    task, reason = decide_task(counts, "classification")
    assert task == "classification" and "--task" in reason


def test_command_says_what_it_decided(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=40)
    visits = rng.poisson(np.exp(0.5 * x))
    path = _write(tmp_path / "v.csv", ["x", "visits"], zip(x, visits))
    argv = ["--csv", str(path), "--target", "visits", "--cv", "2", "--n-jobs", "1",
            "--max-iter", "3", "--hidden", "3", "--losses", "poisson", "--quiet"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Target 'visits': regression:" in out and "counts" in out
    assert main([*argv, "--task", "classification", "--losses", "log_loss"]) == 0
    out = capsys.readouterr().out
    assert "classification, as asked with --task" in out


def test_command_weighs_imbalanced_classes(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=60)
    label = np.where(np.arange(60) < 6, "yes", "no")
    path = _write(tmp_path / "c.csv", ["x", "buy"], zip(x, label))
    argv = ["--csv", str(path), "--target", "buy", "--cv", "2", "--n-jobs", "1",
            "--max-iter", "3", "--hidden", "3", "--losses", "log_loss", "--quiet"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Rows weighted so that every class counts alike" in out
    assert "ranked by balanced accuracy" in out and "balanced_accuracy" in out
    assert main([*argv, "--class-weight", "none"]) == 0
    assert "Rows weighted" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--max-iter", "0"], "--max-iter: must be at least 1, got 0"),
        (["--hidden", "0"], "--hidden: '0': give positive layer sizes"),
        (["--hidden", ","], "--hidden: ',': give positive layer sizes"),
        (["--hidden", "10,,5"], "give positive layer sizes"),
        (["--cv", "1"], "--cv: must be at least 2"),
        (["--repeats", "0"], "--repeats: must be at least 1"),
        (["--patience", "x"], "'x' is not an integer"),
        (["--losses", "squared_eror"], "squared_error"),  # the closest name
        (["--losses", "huber,"], "empty loss name"),
        (["--metric", "nope"], "--metric"),
    ],
)
def test_argument_errors_are_usage_errors(tmp_path, capsys, extra, message):
    path = _write(tmp_path / "d.csv", ["x", "y"], [[i, i * 0.5] for i in range(10)])
    assert main(["--csv", str(path), "--target", "y", *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: sklearn-losses") and message in err


def test_seeds_zero_is_a_usage_error(capsys):
    assert main(["--seeds", "0"]) == 2
    assert "--seeds: must be at least 1" in capsys.readouterr().err
