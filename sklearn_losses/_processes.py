"""Running a search's tasks side by side on the CPU's cores.

A stack of networks trains on one core. With ``n_jobs`` > 1 a search runs its tasks
(its stacks, or the parts of one split stack) side by side. joblib's default
workers (loky) are fresh interpreters that import torch before their first task:
seconds each, more than a whole search of small networks takes. A forked child
starts with the parent's imports. So under joblib's default backend, on Linux (whose
forks are safe) in a process that has not initialised CUDA, the tasks run in forked
children and in the calling process itself; elsewhere, or under a backend the user
chose (``joblib.parallel_config``: Dask, threads, ...), they go through joblib as
scikit-learn's search sends them.

A forked child trains on one torch thread (the parent's OpenMP thread pool does not
survive a fork, so a child never asks for one); the calling process, on its share of
the cores, ``torch.get_num_threads() // n_workers`` threads (at least one).
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Sequence
from contextlib import contextmanager

import torch
from joblib import effective_n_jobs
from joblib.parallel import LokyBackend, get_active_backend
from sklearn import config_context, get_config
from sklearn.utils.parallel import Parallel, delayed

#: ``(function, args, kwargs)``
Task = tuple[Callable, tuple, dict]


def n_workers(n_jobs: int | None, n_tasks: int) -> int:
    """How many processes ``run_tasks`` would use for ``n_tasks`` tasks."""
    return max(1, min(effective_n_jobs(n_jobs), n_tasks))


def forks(n_jobs: int | None, n_tasks: int) -> bool:
    """Whether ``run_tasks`` would run ``n_tasks`` tasks in forked processes."""
    return n_workers(n_jobs, n_tasks) > 1 and _forking_is_cheaper()


def run_tasks(
    tasks: Sequence[Task], n_jobs: int | None, pre_dispatch="2*n_jobs"
) -> list:
    """The results of ``function(*args, **kwargs)`` for every task, in order.

    One task, or ``n_jobs`` of one, runs in the calling process; otherwise the
    tasks run in forked processes or through joblib (see the module's docstring).
    An exception raised by a task is raised here.
    """
    workers = n_workers(n_jobs, len(tasks))
    if workers == 1:
        return [function(*args, **kwargs) for function, args, kwargs in tasks]
    if _forking_is_cheaper():
        return _run_forked(list(tasks), workers)
    parallel = Parallel(n_jobs=n_jobs, pre_dispatch=pre_dispatch)
    return parallel(
        delayed(function)(*args, **kwargs) for function, args, kwargs in tasks
    )


def _forking_is_cheaper() -> bool:
    backend, _ = get_active_backend()
    return (
        type(backend) is LokyBackend
        # Linux forks safely; macOS's system libraries do not survive a fork
        and sys.platform.startswith("linux")
        # a daemonic process (a multiprocessing pool's worker) may not have children
        and not multiprocessing.current_process().daemon
        # CUDA, once initialised, cannot be used in a forked child
        and not torch.cuda.is_initialized()
    )


def _run_forked(tasks: list[Task], workers: int) -> list:
    """Task ``i`` runs in the calling process when ``i % workers == 0``, in one of
    ``workers - 1`` forked children otherwise."""
    threads = max(1, torch.get_num_threads() // workers)
    config = get_config()
    own = range(0, len(tasks), workers)
    others = [i for i in range(len(tasks)) if i % workers]
    context = multiprocessing.get_context("fork")
    results: list = [None] * len(tasks)
    with (
        _torch_threads(threads),
        context.Pool(
            workers - 1, initializer=torch.set_num_threads, initargs=(1,)
        ) as pool,
    ):
        pending = pool.map_async(
            _call, [(tasks[i], config) for i in others], chunksize=1
        )
        for i in own:
            results[i] = _call((tasks[i], config))
        for i, result in zip(others, pending.get()):
            results[i] = result
    return results


def _call(item: tuple[Task, dict]):
    (function, args, kwargs), config = item
    with config_context(**config):
        return function(*args, **kwargs)


@contextmanager
def _torch_threads(threads: int):
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
