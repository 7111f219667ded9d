"""Speed of sklearn-losses' MLPs against scikit-learn's MLP, a bare torch loop and skorch.

Every case runs all contenders side by side in one process, interleaved (one fit of
each per round, after a warm-up fit), and reports the median wall time over the rounds
and the ratio ours / scikit-learn. Sections (``--only``):

``fit``      the nine reference experiments (``sklearn_losses._reference``): 500 samples,
             one hidden layer, SGD with momentum 0.9, batches of 32, 100-200 epochs.
             Contenders: scikit-learn's MLP (its own loss for the task), a bare torch
             loop (autograd, tensor slicing), skorch's ``NeuralNet`` with its defaults
             (``train_split=None``), and ours with each of the reference's losses.
``scale``    regression and 10-class classification, 200,000 x 50, hidden (256, 256),
             adam, batches of 256, 3 epochs.
``predict``  ``predict``/``predict_proba`` on 1 and 10,000 rows.
``grid``     ``GridSearchCV(cv=5)`` over the three regression losses, against
             scikit-learn's MLP over three ``alpha`` values, ``n_jobs`` 1 and 2.
``memory``   peak resident memory while fitting the large regression, in a fresh
             process per contender.

Run ``python benchmarks/bench_speed.py`` (``make bench``); ``--quick`` runs a smaller
version of everything to check that the harness works.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import sklearn
import skorch
import torch
from sklearn import neural_network as sk
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold

from sklearn_losses import MLPClassifier, MLPRegressor
from sklearn_losses._reference import EXPERIMENTS, PROBLEMS, SGD_SETTINGS

warnings.filterwarnings("ignore", category=ConvergenceWarning)
warnings.filterwarnings("ignore", message="The squared_log_error loss clips")


# -- timing ----------------------------------------------------------------------------
@dataclass
class Row:
    """One contender's times in a case."""

    case: str
    contender: str
    times: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def race(
    case: str, contenders: dict[str, Callable[[], object]], rounds: int
) -> list[Row]:
    """Time each contender ``rounds`` times, interleaved, after one warm-up call.

    The order of the contenders rotates from round to round, and garbage left by one
    contender is collected before the next starts, so that no one pays for another.
    """
    rows = {name: Row(case, name) for name in contenders}
    names = list(contenders)
    for fn in contenders.values():
        fn()
    for i in range(rounds):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            gc.collect()
            start = time.perf_counter()
            contenders[name]()
            rows[name].times.append(time.perf_counter() - start)
    return list(rows.values())


def race_calls(
    case: str, contenders: dict[str, Callable[[], object]], min_time: float, rounds: int
) -> list[Row]:
    """Seconds per call of fast functions, side by side: in each round every
    contender runs a batch of calls (enough for ``min_time / rounds`` seconds), the
    order rotating from round to round; each row is the median over the rounds."""
    names = list(contenders)
    calls = {}
    for name, fn in contenders.items():
        fn()
        n, start = 1, time.perf_counter()
        while time.perf_counter() - start < min_time / rounds:
            fn()
            n += 1
        calls[name] = n
    rows = {name: Row(case, name) for name in names}
    for i in range(rounds):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            fn, n = contenders[name], calls[name]
            start = time.perf_counter()
            for _ in range(n):
                fn()
            rows[name].times.append((time.perf_counter() - start) / n)
    return list(rows.values())


# -- the torch baselines ---------------------------------------------------------------
def _torch_mlp(n_features: int, hidden: tuple[int, ...], n_outputs: int, dtype):
    sizes = [n_features, *hidden]
    layers: list[torch.nn.Module] = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    layers.append(torch.nn.Linear(sizes[-1], n_outputs))
    return torch.nn.Sequential(*layers).to(dtype)


def _criterion_and_target(task: str, y: np.ndarray, dtype):
    if task == "regression":
        return torch.nn.MSELoss(), torch.as_tensor(y, dtype=dtype).reshape(-1, 1), 1
    if task == "binary":
        target = torch.as_tensor(y, dtype=dtype).reshape(-1, 1)
        return torch.nn.BCEWithLogitsLoss(), target, 1
    n_classes = int(y.max()) + 1
    return torch.nn.CrossEntropyLoss(), torch.as_tensor(y, dtype=torch.int64), n_classes


def bare_torch(X, y, task, hidden, epochs, batch_size, solver, lr, seed=0):
    """The textbook loop: autograd, ``torch.optim``, batches as slices of tensors."""
    torch.manual_seed(seed)
    dtype = torch.float32 if X.dtype == np.float32 else torch.float64
    criterion, target, n_outputs = _criterion_and_target(task, y, dtype)
    model = _torch_mlp(X.shape[1], hidden, n_outputs, dtype)
    if solver == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    data = torch.from_numpy(X)
    for _ in range(epochs):
        for rows in torch.randperm(len(data)).split(batch_size):
            loss = criterion(model(data[rows]), target[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model


def plain_skorch(X, y, task, hidden, epochs, batch_size, lr):
    """skorch's ``NeuralNet`` with its defaults (``train_split=None``)."""
    dtype = torch.float32 if X.dtype == np.float32 else torch.float64
    criterion, target, n_outputs = _criterion_and_target(task, y, dtype)
    net = skorch.NeuralNet(
        _torch_mlp(X.shape[1], hidden, n_outputs, dtype),
        criterion=type(criterion),
        optimizer=torch.optim.SGD,
        optimizer__momentum=0.9,
        lr=lr,
        batch_size=batch_size,
        max_epochs=epochs,
        train_split=None,
        verbose=0,
    )
    return net.fit(X, target.numpy())


# -- sections --------------------------------------------------------------------------
def sklearn_reference(problem) -> sk.MLPRegressor | sk.MLPClassifier:
    """scikit-learn's MLP with the reference settings."""
    params = {
        **SGD_SETTINGS,
        "hidden_layer_sizes": (problem.hidden_units,),
        "max_iter": problem.epochs,
        "n_iter_no_change": problem.epochs + 1,
        "random_state": 0,
    }
    if problem.metric == "mse":
        return sk.MLPRegressor(**params)
    return sk.MLPClassifier(**params)


def bench_fit(rounds: int, quick: bool) -> list[Row]:
    rows = []
    for problem in PROBLEMS:
        X, _, y, _ = problem.load()
        task = problem.name
        epochs = 10 if quick else problem.epochs
        hidden = (problem.hidden_units,)
        reference = sklearn_reference(problem).set_params(
            max_iter=epochs, n_iter_no_change=epochs + 1
        )
        contenders: dict[str, Callable[[], object]] = {
            "scikit-learn": partial(reference.fit, X, y),
            "bare torch": partial(
                bare_torch, X, y, task, hidden, epochs, 32, "sgd", 0.01
            ),
            "skorch NeuralNet": partial(
                plain_skorch, X, y, task, hidden, epochs, 32, 0.01
            ),
        }
        for experiment in EXPERIMENTS:
            if experiment.problem is problem:
                ours = experiment.make_estimator(random_state=0)
                ours.set_params(max_iter=epochs, n_iter_no_change=epochs + 1)
                contenders[f"ours {experiment.loss}"] = partial(ours.fit, X, y)
        rows += race(
            f"{task}, {problem.hidden_units} units, {epochs} epochs", contenders, rounds
        )
    return rows


def large_problem(task: str, n_samples: int, dtype=np.float64):
    """The scale section's data: 50 features, regression or 10 classes."""
    if task == "regression":
        X, y = make_regression(
            n_samples, 50, n_informative=30, noise=1.0, random_state=0
        )
        y = (y - y.mean()) / y.std()
    else:
        X, y = make_classification(
            n_samples, 50, n_informative=30, n_classes=10, random_state=0
        )
    return X.astype(dtype), y


SCALE_SETTINGS = {"hidden_layer_sizes": (256, 256), "solver": "adam", "batch_size": 256}


def bench_scale(rounds: int, quick: bool, dtypes: list[str]) -> list[Row]:
    rows = []
    n_samples, epochs = (20_000, 1) if quick else (200_000, 3)
    for task in ("regression", "multiclass"):
        for dtype in dtypes:
            X, y = large_problem(task, n_samples, np.dtype(dtype))
            params = {
                **SCALE_SETTINGS,
                "max_iter": epochs,
                "random_state": 0,
                "n_iter_no_change": epochs + 1,
            }
            Sk, Ours = (
                (sk.MLPRegressor, MLPRegressor)
                if task == "regression"
                else (sk.MLPClassifier, MLPClassifier)
            )
            contenders = {
                "scikit-learn": partial(Sk(**params).fit, X, y),
                "bare torch": partial(
                    bare_torch, X, y, task, (256, 256), epochs, 256, "adam", 1e-3
                ),
                "ours": partial(Ours(**params).fit, X, y),
            }
            name = f"{task}, {n_samples:,} x 50, {epochs} epochs, {dtype}"
            rows += race(name, contenders, rounds)
    return rows


def bench_predict(quick: bool) -> list[Row]:
    X, y = make_classification(
        12_000, 20, n_informative=10, n_classes=3, random_state=0
    )
    X_train, y_train = X[:2000], y[:2000]
    params = {"max_iter": 5, "random_state": 0}
    theirs = sk.MLPClassifier(**params).fit(X_train, y_train)
    ours = MLPClassifier(**params).fit(X_train, y_train)
    net = skorch.NeuralNetClassifier(
        _torch_mlp(20, (100,), 3, torch.float64),
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=1,
        train_split=None,
        verbose=0,
    ).fit(X_train, y_train)
    rows = []
    for n_rows in (1, 10_000):
        batch = X[2000 : 2000 + n_rows]
        for method in ("predict", "predict_proba"):
            contenders = {
                "scikit-learn": partial(getattr(theirs, method), batch),
                "skorch NeuralNetClassifier": partial(getattr(net, method), batch),
                "ours": partial(getattr(ours, method), batch),
            }
            case = f"{method}, {n_rows:,} rows"
            rows += race_calls(
                case, contenders, 0.1 if quick else 2.0, 5 if quick else 21
            )
    return rows


def worker_threads(_) -> int:
    return torch.get_num_threads()


def bench_grid(rounds: int, quick: bool) -> list[Row]:
    from joblib import Parallel, delayed

    problem = PROBLEMS[0]
    X, _, y, _ = problem.load()
    epochs = 10 if quick else problem.epochs
    cv = KFold(5, shuffle=True, random_state=0)
    theirs = sklearn_reference(problem).set_params(
        max_iter=epochs, n_iter_no_change=epochs + 1
    )
    ours = [e for e in EXPERIMENTS if e.problem is problem][0].make_estimator(0)
    ours.set_params(max_iter=epochs, n_iter_no_change=epochs + 1)
    losses = [e.loss for e in EXPERIMENTS if e.problem is problem]
    alphas = [1e-5, 1e-4, 1e-3]
    rows = []
    for n_jobs in (1, 2):
        contenders = {
            "scikit-learn, 3 alphas": partial(
                GridSearchCV(theirs, {"alpha": alphas}, cv=cv, n_jobs=n_jobs).fit, X, y
            ),
            "ours, 3 losses": partial(
                GridSearchCV(ours, {"loss": losses}, cv=cv, n_jobs=n_jobs).fit, X, y
            ),
        }
        case = f"GridSearchCV(cv=5, n_jobs={n_jobs}), regression, {epochs} epochs"
        rows += race(case, contenders, rounds)
    threads = Parallel(n_jobs=2)(delayed(worker_threads)(i) for i in range(4))
    print(f"torch threads inside joblib workers (n_jobs=2): {sorted(set(threads))}")
    return rows


_MEMORY_SCRIPT = """
import json, sys, numpy as np
sys.path.insert(0, {bench_dir!r})
from bench_speed import large_problem, SCALE_SETTINGS
from sklearn_losses import MLPRegressor
from sklearn import neural_network as sk
def rss(field="VmRSS"):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith(field))
imported = rss()
cls = MLPRegressor if {contender!r} == "ours" else sk.MLPRegressor
# The runtime baseline: libraries loaded and initialised by a tiny fit.
X, y = large_problem("regression", 512, np.dtype({dtype!r}))
cls(**SCALE_SETTINGS, max_iter=1, random_state=0).fit(X, y)
baseline = rss()
X, y = large_problem("regression", {n_samples}, np.dtype({dtype!r}))
before = rss()
with open("/proc/self/clear_refs", "w") as f:  # reset VmHWM: the fit's own peak
    f.write("5")
cls(**SCALE_SETTINGS, max_iter=1, random_state=0).fit(X, y)
print(json.dumps({{"imported": imported, "baseline": baseline, "before": before,
                  "peak": rss("VmHWM"), "x_bytes": X.nbytes, "x32_bytes": X.size * 4}}))
"""


def bench_memory(quick: bool, dtypes: list[str]) -> list[dict]:
    results = []
    n_samples = 20_000 if quick else 200_000
    for dtype in dtypes:
        for contender in ("ours", "scikit-learn"):
            script = _MEMORY_SCRIPT.format(
                bench_dir=os.path.dirname(os.path.abspath(__file__)),
                n_samples=n_samples,
                dtype=dtype,
                contender=contender,
            )
            out = subprocess.run(
                [sys.executable, "-c", script],
                capture_output=True,
                text=True,
                check=True,
            )
            record = json.loads(out.stdout.strip().splitlines()[-1])
            results.append({"contender": contender, "dtype": dtype, **record})
    return results


# -- report ----------------------------------------------------------------------------
def machine() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(
                l.split(":", 1)[1].strip() for l in f if l.startswith("model name")
            )
    except (OSError, StopIteration):
        cpu = platform.processor() or "unknown CPU"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores, load average {load}; Python "
        f"{platform.python_version()}, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), scikit-learn {sklearn.__version__}, "
        f"skorch {skorch.__version__}, numpy {np.__version__}"
    )


def print_rows(rows: list[Row], unit: str = "s") -> None:
    scale = {"s": 1.0, "ms": 1e3, "us": 1e6}[unit]
    print(f"| case | contender | median ({unit}) | ratio to scikit-learn |")
    print("|---|---|---:|---:|")
    reference = {r.case: r.median for r in rows if r.contender.startswith("scikit")}
    for row in rows:
        base = reference.get(row.case)
        ratio = f"{row.median / base:.2f}" if base else ""
        print(f"| {row.case} | {row.contender} | {row.median * scale:.3g} | {ratio} |")
    print()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sections = ("fit", "scale", "predict", "grid", "memory")
    parser.add_argument(
        "--only",
        default=",".join(sections),
        help=f"comma-separated sections of {sections}",
    )
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per case")
    parser.add_argument(
        "--scale-rounds", type=int, default=1, help="timed rounds of the scale cases"
    )
    parser.add_argument(
        "--dtypes",
        default="float64",
        help="dtypes of X for the scale and memory sections",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, 1 round")
    args = parser.parse_args(argv)
    chosen = args.only.split(",")
    dtypes = args.dtypes.split(",")
    rounds = 1 if args.quick else args.rounds
    print(f"Machine: {machine()}\n")
    if "fit" in chosen:
        print("## Fit time, reference experiments (float64)\n")
        print_rows(bench_fit(rounds, args.quick))
    if "scale" in chosen:
        print("## Fit time at scale\n")
        print_rows(
            bench_scale(1 if args.quick else args.scale_rounds, args.quick, dtypes)
        )
    if "predict" in chosen:
        print("## Prediction (per call)\n")
        print_rows(bench_predict(args.quick), unit="us")
    if "grid" in chosen:
        print("## Grid search\n")
        print_rows(bench_grid(rounds, args.quick))
    if "memory" in chosen:
        print("## Peak memory fitting the large regression (1 epoch)\n")
        print(
            "Resident memory (MB) in a fresh process: after the imports; baseline, "
            "after a tiny fit (the runtime initialised); with the data loaded; the "
            "peak during the fit (VmHWM, reset before it).\n"
        )
        print(
            "| contender | X dtype | imports | baseline | X | float32 X | with data "
            "| fit peak | fit peak - with data | fit peak / (baseline + float32 X) |"
        )
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in bench_memory(args.quick, dtypes):
            mb = {k: v / 1e6 for k, v in r.items() if isinstance(v, int)}
            limit = r["baseline"] + r["x32_bytes"]
            print(
                f"| {r['contender']} | {r['dtype']} | {mb['imported']:.0f} | "
                f"{mb['baseline']:.0f} | {mb['x_bytes']:.0f} | {mb['x32_bytes']:.0f} "
                f"| {mb['before']:.0f} | {mb['peak']:.0f} | "
                f"{mb['peak'] - mb['before']:.0f} | {r['peak'] / limit:.2f} |"
            )
        print()
    print(f"Load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
