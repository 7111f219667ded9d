"""Sparse input: sklearn-losses' MLPs against scikit-learn's on a wide CSR matrix.

A 20,000 x 100,000 CSR matrix with 0.1% non-zeros (100 per row, random columns, rows
scaled to unit norm like TF-IDF features; fixed seed), a regression target (a random
linear function of the features plus noise) and a binary one (its sign). Each
contender fits the default network (hidden (100,), adam, batches of 200) for 5 epochs
(``max_iter=5``) and predicts the training matrix (``predict``; ``predict_proba`` for
the classifier), in a fresh process per contender and task, so that its peak memory
(VmHWM) is its own.

Reported per contender: fit and predict wall time, the fit's CPU time (all threads;
less sensitive than wall time to other processes on the machine), the process's peak resident memory
(including the libraries: torch weighs more than NumPy), that peak minus the resident
memory just before the fit (the fit's own cost), and the ratios ours / scikit-learn.

Run ``python benchmarks/bench_sparse.py``; ``--quick`` runs a 2,000 x 10,000 version
to check that the harness works.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp

N_SAMPLES, N_FEATURES, DENSITY = 20_000, 100_000, 0.001
SETTINGS = dict(hidden_layer_sizes=(100,), solver="adam", max_iter=5, random_state=0)


def sparse_problem(n_samples: int, n_features: int, density: float, seed: int = 0):
    """A TF-IDF-like CSR matrix and its regression and binary targets."""
    rng = np.random.default_rng(seed)
    per_row = max(1, round(density * n_features))
    rows = np.repeat(np.arange(n_samples), per_row)
    cols = rng.integers(0, n_features, size=n_samples * per_row)
    values = rng.random(n_samples * per_row) + 0.1
    X = sp.csr_matrix((values, (rows, cols)), shape=(n_samples, n_features))
    X.sum_duplicates()
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    X = sp.csr_matrix(sp.diags(1.0 / norms) @ X)
    coef = rng.standard_normal(n_features) * np.sqrt(per_row)
    y = X @ coef
    y = (y - y.mean()) / y.std() + 0.1 * rng.standard_normal(n_samples)
    return X, y, (y > 0).astype(np.int64)


def rss(field: str = "VmRSS") -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(field))


def worker(contender: str, task: str, shape: tuple[int, int, float]) -> dict:
    """Fit and predict once in this process; time and memory of each."""
    from sklearn.exceptions import ConvergenceWarning

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    if contender == "ours":
        from sklearn_losses import MLPClassifier, MLPRegressor
    else:
        from sklearn.neural_network import MLPClassifier, MLPRegressor
    imported = rss()
    assert contender != "ours" or MLPRegressor.__module__.startswith("sklearn_losses")
    X, y_reg, y_bin = sparse_problem(*shape)
    model = (
        MLPRegressor(**SETTINGS) if task == "regression" else MLPClassifier(**SETTINGS)
    )
    y = y_reg if task == "regression" else y_bin
    before = rss()
    start, cpu_start = time.perf_counter(), time.process_time()
    model.fit(X, y)
    fit_time = time.perf_counter() - start
    fit_cpu = time.process_time() - cpu_start
    fit_peak = rss("VmHWM")
    start = time.perf_counter()
    pred = model.predict(X)
    if task == "classification":
        model.predict_proba(X)
    predict_time = time.perf_counter() - start
    score = float(model.score(X, y))
    return {
        "imported": imported,
        "before": before,
        "fit_peak": fit_peak,
        "peak": rss("VmHWM"),
        "fit_time": fit_time,
        "fit_cpu": fit_cpu,
        "predict_time": predict_time,
        "score": score,
        "n_iter": int(model.n_iter_),
        "predicted": len(pred),
        "nnz": int(X.nnz),
    }


def run_worker(contender: str, task: str, shape) -> dict:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # Measure the sklearn_losses of this checkout, not whichever one is installed.
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    out = subprocess.run(
        [sys.executable, __file__, "--worker", contender, task, json.dumps(shape)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": path},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 x 10,000")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        contender, task, shape = args.worker
        print(json.dumps(worker(contender, task, tuple(json.loads(shape)))))
        return
    shape = (
        [N_SAMPLES // 10, N_FEATURES // 10, DENSITY * 10]
        if args.quick
        else [
            N_SAMPLES,
            N_FEATURES,
            DENSITY,
        ]
    )
    import sklearn
    import torch

    print(
        f"{shape[0]:,} x {shape[1]:,} CSR, density {shape[2]:g}; {SETTINGS}; "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"scikit-learn {sklearn.__version__}, {os.cpu_count()} cores, load "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}\n"
    )
    print(
        "| task | contender | fit (s) | fit CPU (s) | predict (s) | peak RSS (MB) | "
        "fit peak - before fit (MB) | score | fit time ratio | peak ratio |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for task in ("regression", "classification"):
        results = {c: run_worker(c, task, shape) for c in ("scikit-learn", "ours")}
        base = results["scikit-learn"]
        for contender, r in results.items():
            print(
                f"| {task} | {contender} | {r['fit_time']:.2f} | {r['fit_cpu']:.1f} | "
                f"{r['predict_time']:.2f} | {r['peak'] / 1e6:.0f} | "
                f"{(r['fit_peak'] - r['before']) / 1e6:.0f} | {r['score']:.3f} | "
                f"{r['fit_time'] / base['fit_time']:.2f} | "
                f"{r['peak'] / base['peak']:.2f} |",
                flush=True,
            )
    print(
        f"\nLoad average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
