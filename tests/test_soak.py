"""Soak test: many fits and predictions in one process, no memory growth, no failure.

Not part of the default run; run it with ``python -m pytest -m soak tests/test_soak.py``.
"""

import gc
import warnings
from pathlib import Path

import numpy as np
import pytest

from sklearn_losses import MLPClassifier, MLPRegressor
from sklearn_losses.losses import loss_names

N_ROUNDS = 500


def _rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 2**20


@pytest.mark.soak
def test_many_fits_do_not_leak():
    if not Path("/proc/self/statm").exists():
        pytest.skip("needs /proc to read the resident memory")
    rng = np.random.default_rng(0)
    regression = loss_names("regression")
    classification = sorted(set(loss_names("binary")) | set(loss_names("multiclass")))
    rss = []
    for i in range(N_ROUNDS):
        n, d = int(rng.integers(20, 200)), int(rng.integers(1, 12))
        X = rng.normal(size=(n, d))
        if i % 2:
            loss = classification[i // 2 % len(classification)]
            y = rng.integers(0, int(rng.integers(2, 5)), size=n)
            y[:2] = [0, 1]
            est = MLPClassifier(
                loss=loss, hidden_layer_sizes=(int(rng.integers(2, 32)),)
            )
        else:
            loss = regression[i // 2 % len(regression)]
            y = np.abs(rng.normal(size=(n, int(rng.integers(1, 3)))))
            est = MLPRegressor(
                loss=loss, hidden_layer_sizes=(int(rng.integers(2, 32)),)
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.set_params(max_iter=3, random_state=i).fit(X, y)
        assert np.isfinite(est.predict(X).astype(float)).all()
        if i % 50 == 49:
            gc.collect()
            rss.append(_rss_mb())
    # After the first rounds have warmed up torch's caches, memory stays flat.
    assert rss[-1] - rss[1] < 30, rss
