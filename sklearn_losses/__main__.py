"""The ``sklearn-losses`` command: which loss for my problem?

Without arguments it reproduces the nine reference experiments over several seeds and
prints our figures beside the published ones, writing learning curves as images.
With ``--csv FILE --target COLUMN`` it compares the losses on your own data with
:func:`sklearn_losses.compare_losses`, each trained as a careful user would: the file
read with pandas, the task decided by a stated rule, features imputed, scaled and
one-hot encoded, the number of epochs chosen on a validation split
(:class:`._epochs.EpochsFromValidation`), imbalanced classes weighted alike. With
``--output`` it writes a Markdown report with the table, learning curves and per-fold
scores (:mod:`._report`).

Examples
--------
::

    sklearn-losses --quick                       # the reference experiments, 3 seeds
    sklearn-losses --seeds 10 --output results   # 10 seeds, images into results/
    sklearn-losses --csv data.csv --target price --metric neg_median_absolute_error
    sklearn-losses --csv visits.csv --target visits --output report/
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

_QUICK_SEEDS = 3
#: share of each training fold held out to choose the number of epochs
_VALIDATION_FRACTION = 0.2


def _at_least(minimum: int):
    """An argparse type: an integer no smaller than ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


def _patience(text: str):
    """An argparse type: "auto" or a positive number of epochs."""
    return "auto" if text == "auto" else _at_least(1)(text)


def _hidden_sizes(text: str) -> tuple[int, ...]:
    """An argparse type: comma-separated positive layer sizes."""
    parts = [part.strip() for part in text.split(",")]
    if not text.strip() or not all(part.isdigit() and int(part) > 0 for part in parts):
        raise argparse.ArgumentTypeError(
            f"{text!r}: give positive layer sizes separated by commas, e.g. 100 or 64,32"
        )
    return tuple(int(part) for part in parts)


def _loss_list(text: str):
    """An argparse type: "auto" or comma-separated known loss names."""
    from .losses import get_loss

    if text.strip() == "auto":
        return "auto"
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"{text!r} has an empty loss name")
    for name in names:
        try:
            get_loss(name)
        except (ValueError, TypeError) as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return names


def _metric(text: str) -> str:
    """An argparse type: a scorer name."""
    from .scoring import get_scorer

    try:
        get_scorer(text)
    except (ValueError, KeyError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


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
        type=_at_least(1),
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
            "auto: classification for text or true/false labels and for whole "
            "numbers with two values; regression for other numbers (whole numbers "
            "with more values are read as counts); the decision is printed"
        ),
    )
    data.add_argument(
        "--na-values",
        type=lambda text: [v for v in text.split(",") if v],
        default=[],
        metavar="TOKENS",
        help=(
            "comma-separated cell values that mean missing, besides NA, N/A, null, "
            "?, empty cells and pandas' other tokens"
        ),
    )
    data.add_argument(
        "--class-weight",
        choices=("auto", "balanced", "none"),
        default="auto",
        help=(
            "auto: weigh the rows so that every class counts alike (scikit-learn's "
            "'balanced') when the classes are imbalanced and the metric is the "
            "default; balanced: always; none: never"
        ),
    )
    data.add_argument(
        "--losses",
        type=_loss_list,
        default="auto",
        help=(
            "comma-separated loss names, each trained as named (default auto: every "
            "loss for the task, one per distinct model)"
        ),
    )
    data.add_argument(
        "--metric",
        type=_metric,
        default=None,
        help=(
            "scorer name to rank by, e.g. neg_mean_absolute_error, balanced_accuracy, "
            "neg_log_loss (default: R^2; accuracy, or balanced accuracy for "
            "imbalanced classes)"
        ),
    )
    data.add_argument("--cv", type=_at_least(2), default=5, help="folds (default 5)")
    data.add_argument(
        "--repeats",
        type=_at_least(1),
        default=1,
        help="repetitions of the k-fold split",
    )
    data.add_argument(
        "--hidden",
        type=_hidden_sizes,
        default=(100,),
        help="hidden layer sizes, comma-separated (default 100)",
    )
    data.add_argument(
        "--max-iter",
        type=_at_least(1),
        default=2000,
        help=(
            "most training epochs (default 2000); early stopping usually ends "
            "training sooner"
        ),
    )
    data.add_argument(
        "--patience",
        type=_patience,
        default="auto",
        help=(
            "epochs without a better validation loss before the run that chooses "
            "the number of epochs stops (default auto: 200 optimizer steps, at "
            "least 10 epochs)"
        ),
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
def _run_reference(args, parser) -> int:
    from ._reference import EXPERIMENTS, reproduce

    problems = {p.strip() for p in args.problems.split(",") if p.strip()}
    known = {e.problem.name for e in EXPERIMENTS}
    if not problems or problems - known:
        parser.error(
            f"--problems takes names among {sorted(known)}, got {args.problems!r}."
        )
    seeds = _QUICK_SEEDS if args.quick else args.seeds
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
def _network(args, task: str):
    from . import MLPClassifier, MLPRegressor

    model_cls = MLPRegressor if task == "regression" else MLPClassifier
    return model_cls(
        hidden_layer_sizes=args.hidden,
        max_iter=args.max_iter,
        random_state=args.random_state,
    )


_TRAINING = (
    "the number of epochs of each loss is chosen on each training fold: "
    f"{_VALIDATION_FRACTION:.0%} of it held out, training stopped once the loss on "
    "it has not improved for {patience}, at most {args.max_iter} epochs in all; the "
    "epoch of the "
    "lowest validation loss kept, then the network trained again on the whole fold "
    "for that many epochs"
)


def _training(args) -> str:
    patience = (
        "200 optimizer steps (at least 10 epochs)"
        if args.patience == "auto"
        else f"{args.patience} epochs"
    )
    return _TRAINING.format(args=args, patience=patience)


def _run_csv(args, parser) -> int:
    from sklearn.pipeline import Pipeline

    from ._csv import preprocessor, read_table
    from .compare import compare_losses

    if not args.target:
        parser.error("--csv needs --target COLUMN.")
    try:
        import pandas  # noqa: F401
    except ImportError:
        parser.error(
            "--csv reads the file with pandas, which is not installed: "
            "pip install 'sklearn-losses[cli]'."
        )
    try:
        table = read_table(
            args.csv,
            args.target,
            task=args.task,
            na_values=args.na_values,
            min_rows=max(4, args.cv),
        )
    except (OSError, ValueError) as exc:
        parser.error(str(exc))
    task = table.task
    print(f"{args.csv}: {table.describe()}.")
    print(f"Target {args.target!r}: {table.task_reason}.")
    for note in table.notes:
        print(f"Note: {note}.")
    from ._epochs import EpochsFromValidation

    model = _network(args, task)
    trained = EpochsFromValidation(
        model, validation_fraction=_VALIDATION_FRACTION, patience=args.patience
    )
    pipeline = Pipeline(
        [
            ("preprocess", preprocessor(table.numeric, table.categorical)),
            ("model", trained),
        ]
    )
    print(f"Training: {_training(args)}.")
    fit_params = {}
    if task == "classification" and _balance(args, table.y):
        from sklearn.utils.class_weight import compute_sample_weight

        fit_params["model__sample_weight"] = compute_sample_weight("balanced", table.y)
        print(
            "Rows weighted so that every class counts alike (--class-weight "
            f"{args.class_weight})."
        )
    start = time.perf_counter()
    try:
        result = compare_losses(
            pipeline,
            table.X,
            table.y,
            losses=args.losses,
            scoring=args.metric,
            cv=args.cv,
            n_repeats=args.repeats,
            n_jobs=args.n_jobs,
            random_state=args.random_state,
            fit_params=fit_params,
            verbose=0 if args.quiet else 1,
        )
    except ValueError as exc:
        parser.error(str(exc))
    wall = time.perf_counter() - start
    print(result)
    print(f"Best loss: {result.best_loss_} ({wall:.0f} s).")
    if args.output is None:
        return 0 if result.ranking else 1

    from ._report import curves, plot_curves, plot_fold_scores, write_markdown

    args.output.mkdir(parents=True, exist_ok=True)
    written = [_write_table(result, args.output / "comparison.csv")]
    images = []
    if result.ranking and not args.no_plots and _have_matplotlib():
        import matplotlib

        matplotlib.use("Agg")
        all_curves = {}
        for position, name in enumerate(result.ranking, start=1):
            _log(args, f"Learning curves: {name} ({position}/{len(result.ranking)})")
            all_curves[name] = curves(
                model,
                pipeline.named_steps["preprocess"],
                table.X,
                table.y,
                loss=name,
                scale_target=result.target_scaling.get(name) == "standardised",
                validation_fraction=_VALIDATION_FRACTION,
                patience=args.patience,
                seed=args.random_state,
                sample_weight=fit_params.get("model__sample_weight"),
            )
        notes = {
            name: " (standardised target)"
            for name, how in result.target_scaling.items()
            if how == "standardised"
        }
        score_name = "R^2" if task == "regression" else "accuracy"
        images.append(
            (
                "Learning curves (all rows: 80% to train, 20% to validate)",
                plot_curves(
                    all_curves,
                    args.output / "learning_curves.png",
                    loss_note=notes,
                    score_name=score_name,
                ),
            )
        )
        images.append(
            (
                "Per-fold scores",
                plot_fold_scores(result, args.output / "fold_scores.png"),
            )
        )
    facts = [
        f"Command: `{' '.join(['sklearn-losses', *args.argv])}`",
        f"Data: `{args.csv}`, {table.describe()}",
        f"Target `{args.target}`: {table.task_reason}",
        *[f"Note: {note}" for note in table.notes],
        f"Model: {type(model).__name__}(hidden_layer_sizes={args.hidden}), Adam; "
        + _training(args)
        + "; the column 'epochs' is the mean number of epochs chosen",
        f"Ranked by {result.rank_by} over {result.n_splits} cross-validation fits; "
        f"wall time {wall:.0f} s",
    ]
    written += [path for _, path in images]
    written.append(
        write_markdown(
            args.output / "report.md",
            title=f"Which loss for {args.csv.name}?",
            facts=facts,
            result=result,
            images=images,
        )
    )
    print("Wrote " + ", ".join(str(p) for p in written))
    return 0 if result.ranking else 1


def _balance(args, y) -> bool:
    """Whether to weigh the classes alike (see --class-weight)."""
    if args.class_weight != "auto":
        return args.class_weight == "balanced"
    from .compare import _imbalance_note

    task = "binary" if len(set(y.tolist())) == 2 else "multiclass"
    return args.metric is None and _imbalance_note(y, task) is not None


def _write_table(result, path: Path) -> Path:
    rows = [
        {**row, "equivalent_losses": " ".join(row["equivalent_losses"])}
        for row in result.table
    ]
    rows += [{"rank": "floor", **row} for row in result.baseline_table]
    keys = list(dict.fromkeys(key for row in rows for key in row)) or ["loss"]
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
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
        0 on success, 2 for a usage error (argparse's usage line and the problem
        on standard error), 1 when no loss could be compared.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        args.argv = argv
        if args.csv is None:
            if args.target:
                parser.error("--target needs --csv FILE.")
            return _run_reference(args, parser)
        return _run_csv(args, parser)
    except SystemExit as exc:  # usage errors (2) and --help (0) as a status
        return exc.code if isinstance(exc.code, int) else 1


if __name__ == "__main__":
    sys.exit(main())
