"""A cross-validated loss search as a user's script runs it: one fresh process each.

Three contenders per reference problem, each search in a fresh Python process (start-up
and imports included, as a user's script pays them), side by side:

``sklearn``   scikit-learn's ``GridSearchCV(n_jobs=2)`` over scikit-learn's MLP, with as
              many ``alpha`` values as the problem has losses (the same number of fits);
``ours``      scikit-learn's ``GridSearchCV(n_jobs=2)`` over our MLP and the losses;
``stacked``   ``sklearn_losses.model_selection.GridSearchCV`` over our MLP and the losses
              (every candidate and fold trained as one stack, split in ``n_jobs`` parts).

Problems (``sklearn_losses._reference``): the first 500 samples of the reference
regression (6 regression losses), binary and multi-class problems (their reference
losses), 5 folds, the reference settings: SGD with momentum 0.9 (not Nesterov), learning
rate 0.01, batches of 32, 100 or 200 epochs, He-uniform initialisation.

For each search the child process reports the wall time of ``search.fit``; the parent
reports that and the whole process's wall time. ``--rounds`` (default 3) repeats every
search (interleaved) and reports medians; keep it odd, since a median of two runs is
their mean, which one slow run moves. ``--quick`` trains 10 epochs to check the
harness.

Run ``python benchmarks/bench_search.py`` (from the repository root).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REGRESSION_LOSSES = [
    "squared_error",
    "absolute_error",
    "squared_log_error",
    "huber",
    "log_cosh",
    "quantile",
]
CONTENDERS = ("sklearn", "ours", "stacked")
ROOT = Path(__file__).resolve().parent.parent


# -- the child: one search ----------------------------------------------------------------
def child(contender: str, problem_name: str, epochs: int | None) -> dict:
    """Run one search; return the wall time of ``search.fit`` and its best score."""
    start = time.perf_counter()
    import warnings

    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV as SklearnSearch
    from sklearn.model_selection import KFold, StratifiedKFold

    from sklearn_losses._reference import EXPERIMENTS, PROBLEMS, SGD_SETTINGS

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    warnings.filterwarnings("ignore", message="The squared_log_error loss clips")
    problem = next(p for p in PROBLEMS if p.name == problem_name)
    epochs = epochs or problem.epochs
    X, _, y, _ = problem.load()
    experiments = [e for e in EXPERIMENTS if e.problem is problem]
    losses = REGRESSION_LOSSES if problem.name == "regression" else None
    losses = losses or [e.loss for e in experiments]
    if problem.metric == "mse":
        cv = KFold(5, shuffle=True, random_state=0)
    else:
        cv = StratifiedKFold(5, shuffle=True, random_state=0)

    if contender == "sklearn":
        from sklearn import neural_network

        kind = "MLPRegressor" if problem.metric == "mse" else "MLPClassifier"
        estimator = getattr(neural_network, kind)(
            hidden_layer_sizes=(problem.hidden_units,),
            max_iter=epochs,
            n_iter_no_change=epochs + 1,
            random_state=0,
            **{k: v for k, v in SGD_SETTINGS.items() if k != "alpha"},
        )
        grid = {"alpha": list(np.logspace(-5, 0, len(losses)))}
        search = SklearnSearch(estimator, grid, cv=cv, n_jobs=2)
    else:
        estimator = experiments[0].make_estimator(random_state=0)
        estimator.set_params(max_iter=epochs, n_iter_no_change=epochs + 1)
        grid = {"loss": losses}
        if contender == "ours":
            search = SklearnSearch(estimator, grid, cv=cv, n_jobs=2)
        else:
            from sklearn_losses.model_selection import GridSearchCV

            search = GridSearchCV(estimator, grid, cv=cv, n_jobs=2)
    imported = time.perf_counter()
    search.fit(X, y)
    fitted = time.perf_counter()
    return {
        "imports_and_data": imported - start,
        "fit": fitted - imported,
        "fits": len(search.cv_results_["params"]) * search.n_splits_,
        "best_score": float(search.best_score_),
    }


# -- the parent: fresh processes, side by side -------------------------------------------
def run_fresh(contender: str, problem: str, epochs: int | None) -> dict:
    command = [sys.executable, __file__, "--child", contender, problem]
    if epochs:
        command += ["--epochs", str(epochs)]
    start = time.perf_counter()
    # this checkout's package, whatever the environment has installed
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        command, capture_output=True, text=True, check=True, cwd=ROOT, env=env
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process"] = time.perf_counter() - start
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="odd: a median of runs")
    parser.add_argument("--quick", action="store_true", help="10 epochs")
    parser.add_argument("--problems", default="regression,binary,multiclass")
    parser.add_argument("--child", nargs=2, metavar=("CONTENDER", "PROBLEM"))
    parser.add_argument("--epochs", type=int, default=None)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child, args.epochs)))
        return
    epochs = 10 if args.quick else args.epochs
    print(
        "| problem | fits | contender | search.fit (s) | process (s) | "
        "fit vs sklearn | fit vs ours | best score |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for problem in args.problems.split(","):
        times: dict[str, list[dict]] = {c: [] for c in CONTENDERS}
        for _ in range(args.rounds):
            for contender in CONTENDERS:
                times[contender].append(run_fresh(contender, problem, epochs))
        median = {
            c: {
                key: statistics.median(r[key] for r in runs)
                for key in ("fit", "process")
            }
            for c, runs in times.items()
        }
        for contender in CONTENDERS:
            m = median[contender]
            print(
                f"| {problem} | {times[contender][0]['fits']} | {contender} | "
                f"{m['fit']:.2f} | {m['process']:.2f} | "
                f"{m['fit'] / median['sklearn']['fit']:.2f} | "
                f"{m['fit'] / median['ours']['fit']:.2f} | "
                f"{times[contender][0]['best_score']:.4f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
