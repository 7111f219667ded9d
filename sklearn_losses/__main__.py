"""The ``sklearn-losses`` command: which loss for my problem?

Without arguments it reproduces the nine reference experiments over several seeds and
prints our figures beside the published ones, writing learning curves as images.
With ``--csv FILE --target COLUMN`` it compares the losses on your own data with
:func:`sklearn_losses.compare_losses`.

Examples
--------
::

    sklearn-losses --quick                       # the reference experiments, 3 seeds
    sklearn-losses --seeds 10 --output results   # 10 seeds, images into results/
    sklearn-losses --csv data.csv --target price --metric neg_median_absolute_error
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

_QUICK_SEEDS = 3
_MAX_CLASSES_OF_NUMBERS = 10


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sklearn-losses",
        description=(
            "Which loss for my problem? Without --csv: reproduce the nine reference "
            "experiments (regression, binary, multi-class; three losses each) over "
            "several seeds and print our figures beside the published ones. With "
            "--csv and --target: cross-validate every loss that fits your target and "
            "rank them by a metric."
        ),
    )
    parser.add_argument(
        "--output",
        metavar="DIR",
        type=Path,
        default=None,
        help=(
            "folder for learning-curve images and result tables (default for the "
            "reference run: sklearn-losses-output; with --csv: write nothing)"
        ),
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=-1,
        help="fits run in parallel (default -1: one per CPU core)",
    )
    parser.add_argument(
        "--no-plots", action="store_true", help="do not draw learning curves"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no progress lines on standard error"
    )
    reference = parser.add_argument_group("reference experiments (without --csv)")
    reference.add_argument(
        "--seeds",
        type=int,
        default=10,
        help="seeds per experiment (default 10)",
    )
    reference.add_argument(
        "--quick",
        action="store_true",
        help=f"a short run with {_QUICK_SEEDS} seeds",
    )
    reference.add_argument(
        "--problems",
        default="regression,binary,multiclass",
        help="comma-separated subset of regression,binary,multiclass",
    )
    data = parser.add_argument_group("your data")
    data.add_argument(
        "--csv", metavar="FILE", type=Path, help="a CSV file with a header"
    )
    data.add_argument("--target", metavar="COLUMN", help="the column to predict")
    data.add_argument(
        "--task",
        choices=("auto", "regression", "classification"),
        default="auto",
        help=(
            "auto: classification for text labels and for whole numbers with at "
            f"most {_MAX_CLASSES_OF_NUMBERS} distinct values, regression otherwise"
        ),
    )
    data.add_argument(
        "--losses",
        default="auto",
        help="comma-separated loss names (default: every loss for the task)",
    )
    data.add_argument(
        "--metric",
        default=None,
        help=(
            "scorer name to rank by, e.g. neg_mean_absolute_error, balanced_accuracy, "
            "neg_log_loss (default: R^2 or accuracy)"
        ),
    )
    data.add_argument("--cv", type=int, default=5, help="folds (default 5)")
    data.add_argument(
        "--repeats", type=int, default=1, help="repetitions of the k-fold split"
    )
    data.add_argument(
        "--hidden",
        default="100",
        help="hidden layer sizes, comma-separated (default 100)",
    )
    data.add_argument(
        "--max-iter", type=int, default=200, help="training epochs (default 200)"
    )
    data.add_argument(
        "--random-state", type=int, default=0, help="seed of the folds and the models"
    )
    return parser


def _log(args, message: str) -> None:
    if not args.quiet:
        print(message, file=sys.stderr, flush=True)


def _have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


# -- the reference experiments --------------------------------------------------------
def _run_reference(args) -> int:
    from ._reference import EXPERIMENTS, reproduce

    problems = {p.strip() for p in args.problems.split(",") if p.strip()}
    known = {e.problem.name for e in EXPERIMENTS}
    if not problems or problems - known:
        print(
            f"sklearn-losses: --problems takes names among {sorted(known)}, got "
            f"{args.problems!r}.",
            file=sys.stderr,
        )
        return 2
    seeds = _QUICK_SEEDS if args.quick else args.seeds
    if seeds < 1:
        print("sklearn-losses: --seeds must be at least 1.", file=sys.stderr)
        return 2
    experiments = [e for e in EXPERIMENTS if e.problem.name in problems]
    plots = not args.no_plots
    if plots and not _have_matplotlib():
        _log(args, "matplotlib is not installed: no learning curves are drawn.")
        plots = False
    output = args.output or Path("sklearn-losses-output")
    _log(
        args,
        f"Training {len(experiments)} reference experiments x {seeds} seeds"
        + (" (+1 fit each for the learning curves)" if plots else "")
        + f", n_jobs={args.n_jobs}.",
    )
    result = reproduce(
        experiments, seeds, curves=plots, n_jobs=args.n_jobs, progress=not args.quiet
    )
    print(result)
    command = " ".join(["sklearn-losses", *args.argv])
    output.mkdir(parents=True, exist_ok=True)
    table = output / "reference.md"
    table.write_text(
        result.to_markdown()
        + "\n\n"
        + "\n".join(f"- {note}" for note in result._notes())
        + f"\n\nCommand: `{command}`"
        + f"\n\nWall time: {result.wall_time:.0f} s\n"
    )
    written = [table]
    if plots:
        written += result.plot(output)
    print("Wrote " + ", ".join(str(p) for p in written))
    return 0


# -- the user's data ------------------------------------------------------------------
def _read_csv(path: Path, target: str):
    """Columns of a CSV file: the features as an object array and the target."""
    with open(path, newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise ValueError(f"{path} is empty.") from None
        rows = [row for row in reader if row]
    header = [h.strip() for h in header]
    if target not in header:
        raise ValueError(
            f"{path} has no column {target!r}; its columns are {', '.join(header)}."
        )
    if any(len(row) != len(header) for row in rows):
        raise ValueError(f"{path}: every row needs {len(header)} fields.")
    if len(rows) < 4:
        raise ValueError(f"{path} has {len(rows)} rows; a comparison needs more.")
    columns = {name: [row[i].strip() for row in rows] for i, name in enumerate(header)}
    y = columns.pop(target)
    return columns, y


def _as_numbers(values: list[str]) -> np.ndarray | None:
    """Floats (NaN for empty fields), or None if a field is not a number."""
    try:
        return np.array([float(v) if v else np.nan for v in values])
    except ValueError:
        return None


def _design(columns: dict[str, list[str]]):
    """Feature matrix and a preprocessing step: scale numbers, one-hot encode text."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X = np.empty((len(next(iter(columns.values()))), len(columns)), dtype=object)
    numeric, text = [], []
    for index, values in enumerate(columns.values()):
        numbers = _as_numbers(values)
        (numeric if numbers is not None else text).append(index)
        X[:, index] = numbers if numbers is not None else values
    transformers = []
    if numeric:
        transformers.append(
            (
                "numbers",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                numeric,
            )
        )
    if text:
        transformers.append(
            ("text", OneHotEncoder(handle_unknown="ignore", sparse_output=False), text)
        )
    return X, ColumnTransformer(transformers)


def _target(values: list[str], task: str):
    numbers = _as_numbers(values)
    if numbers is not None and np.isnan(numbers).any():
        raise ValueError("the target column has empty fields.")
    if task == "auto":
        whole = numbers is not None and np.all(numbers == np.round(numbers))
        few = len(np.unique(values)) <= _MAX_CLASSES_OF_NUMBERS
        task = "classification" if numbers is None or (whole and few) else "regression"
    if task == "regression":
        if numbers is None:
            raise ValueError("--task regression needs a numeric target column.")
        return numbers, task
    labels = numbers if numbers is not None else np.asarray(values)
    if numbers is not None and np.all(numbers == np.round(numbers)):
        labels = numbers.astype(int)
    return labels, task


def _run_csv(args) -> int:
    from sklearn.pipeline import Pipeline

    from . import MLPClassifier, MLPRegressor
    from .compare import compare_losses

    if not args.target:
        print("sklearn-losses: --csv needs --target COLUMN.", file=sys.stderr)
        return 2
    try:
        columns, raw_target = _read_csv(args.csv, args.target)
        y, task = _target(raw_target, args.task)
        hidden = tuple(int(h) for h in args.hidden.split(",") if h.strip())
    except (OSError, ValueError) as exc:
        print(f"sklearn-losses: {exc}", file=sys.stderr)
        return 2
    X, preprocess = _design(columns)
    model_cls = MLPRegressor if task == "regression" else MLPClassifier
    model = model_cls(
        hidden_layer_sizes=hidden,
        max_iter=args.max_iter,
        random_state=args.random_state,
    )
    pipeline = Pipeline([("preprocess", preprocess), ("model", model)])
    losses = (
        "auto"
        if args.losses == "auto"
        else [name.strip() for name in args.losses.split(",") if name.strip()]
    )
    described = (
        f"{len(np.unique(y))} classes" if task == "classification" else "numbers"
    )
    _log(
        args,
        f"{args.csv}: {X.shape[0]} rows, {X.shape[1]} features; target "
        f"{args.target!r} as {task} ({described}; --task changes this).",
    )
    start = time.perf_counter()
    try:
        result = compare_losses(
            pipeline,
            X,
            y,
            losses=losses,
            scoring=args.metric,
            cv=args.cv,
            n_repeats=args.repeats,
            n_jobs=args.n_jobs,
            random_state=args.random_state,
            verbose=0 if args.quiet else 1,
        )
    except ValueError as exc:
        print(f"sklearn-losses: {exc}", file=sys.stderr)
        return 2
    print(result)
    print(f"Best loss: {result.best_loss_} ({time.perf_counter() - start:.0f} s).")
    if args.output is None:
        return 0 if result.ranking else 1

    args.output.mkdir(parents=True, exist_ok=True)
    table = args.output / "comparison.csv"
    with open(table, "w", newline="") as handle:
        keys = list(result.table[0]) if result.table else ["loss"]
        writer = csv.DictWriter(handle, fieldnames=keys)
        writer.writeheader()
        writer.writerows(result.table)
    written = [table]
    if result.ranking and not args.no_plots and _have_matplotlib():
        written.append(_plot_user_curves(result.ranking, pipeline, X, y, task, args))
    print("Wrote " + ", ".join(str(p) for p in written))
    return 0 if result.ranking else 1


def _plot_user_curves(ranking, pipeline, X, y, task, args) -> Path:
    """Learning curves of each ranked loss on one 80/20 split of the user's data."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.base import clone
    from sklearn.model_selection import train_test_split

    from .plotting import LossCurveDisplay

    stratify = y if task == "classification" else None
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=0.2, random_state=args.random_state, stratify=stratify
    )
    fig, axes = plt.subplots(
        2, len(ranking), figsize=(4.2 * len(ranking), 6.5), squeeze=False
    )
    for column, loss in enumerate(ranking):
        _log(args, f"Learning curves: {loss} ({column + 1}/{len(ranking)})")
        fitted = clone(pipeline).set_params(model__loss=loss)
        preprocess = fitted.named_steps["preprocess"].fit(X_train, y_train)
        fitted.named_steps["model"].fit(
            preprocess.transform(X_train),
            y_train,
            validation_data=(preprocess.transform(X_val), y_val),
        )
        display = LossCurveDisplay.from_estimator(
            fitted.named_steps["model"], ax=axes[:, column]
        )
        display.ax_.set_title(loss)
    fig.suptitle(f"{args.csv.name}: training and validation (20%) curves")
    fig.tight_layout()
    path = args.output / "learning_curves.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    """Run the command.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments; None reads them from the command line.

    Returns
    -------
    status : int
        0 on success, 2 for a usage error, 1 when no loss could be compared.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser().parse_args(argv)
    args.argv = argv
    if args.csv is None:
        if args.target:
            print("sklearn-losses: --target needs --csv FILE.", file=sys.stderr)
            return 2
        return _run_reference(args)
    return _run_csv(args)


if __name__ == "__main__":
    sys.exit(main())
