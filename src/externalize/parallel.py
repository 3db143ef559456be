"""Run independent tasks across processes, one BLAS thread per worker, with a seed per task.

Compute-heavy steps (placebo sweeps, bootstrap, the simulation study) are many small independent fits. On a
machine with few cores, letting OpenBLAS / MKL start one thread per core inside each fit oversubscribes the
CPU (numpy's BLAS threads compete with each other and with other processes) and makes a run several times
slower than one thread per fit. The rule here: parallelise across processes, pin BLAS to one thread in each.

    results = run_tasks(fit_one, schedules, jobs=2, seed=study.seed)   # fit_one(task, rng) -> result

Determinism: task i always receives ``numpy.random.default_rng(SeedSequence(seed).spawn(n)[i])`` and BLAS
runs on one thread in every process (the parent too, when ``jobs == 1``), so the list of results is the same,
byte for byte, whatever ``jobs`` is. Results come back in the order of the tasks.

Conventions: ``jobs`` as in joblib (a positive count, or -1 for every core this process may use);
the per-task streams are numpy's ``SeedSequence.spawn`` children (numpy's recommended way to give parallel
work independent streams, NEP 19).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from numbers import Integral
from typing import TYPE_CHECKING, Any, TypeVar

from externalize.errors import ExternalizeError

if TYPE_CHECKING:  # numpy is imported where seeds are made: checking --jobs must not load it (a no-op run)
    import numpy as np

T = TypeVar("T")
R = TypeVar("R")

#: environment variables read by OpenBLAS, MKL, BLIS, Apple Accelerate and OpenMP when they start
BLAS_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                 "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


class ParallelError(ExternalizeError, ValueError):
    """Bad arguments to run_tasks (a jobs count that is not a positive integer or -1)."""


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def resolve_jobs(jobs: int, n_tasks: int | None = None) -> int:
    """Number of worker processes: ``jobs`` (>= 1) or every available core (-1), never more than the tasks.

    Raises ParallelError for 0, other negative values or a non-integer.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, Integral):
        raise ParallelError(f"jobs must be a positive integer or -1 (every core), got {jobs!r}")
    if jobs == -1:
        n = available_cores()
    elif jobs >= 1:
        n = int(jobs)
    else:
        raise ParallelError(f"jobs must be a positive integer or -1 (every core), got {jobs}")
    return max(1, min(n, n_tasks)) if n_tasks is not None else n


def task_seeds(seed: int | np.random.SeedSequence, n_tasks: int) -> list[np.random.SeedSequence]:
    """``n_tasks`` independent child seeds spawned from ``seed`` (a study seed or a SeedSequence).

    The i-th child depends only on ``seed`` and i, not on how the tasks are later split among workers.
    """
    import numpy as np

    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return root.spawn(n_tasks)


@contextmanager
def blas_threads(n: int = 1) -> Iterator[None]:
    """Limit BLAS / OpenMP thread pools of this process to ``n`` threads inside the ``with`` block.

    Uses threadpoolctl, which changes the pools of libraries already loaded (numpy's OpenBLAS, MKL, ...).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=n):
        yield


def default_blas_threads(n: int = 1) -> None:
    """Make ``n`` the BLAS / OpenMP thread count of this process and the processes it starts, unless the user
    set one: only variables absent from the environment are set, and they act on libraries loaded afterwards
    (call before numpy is imported, as `externalize run` does). The study's fits are small; on a busy
    2-core machine OpenBLAS's extra threads made some of them 20x slower.
    """
    for var in BLAS_ENV_VARS:
        os.environ.setdefault(var, str(n))


def pin_blas_threads(n: int = 1) -> None:
    """Pin BLAS / OpenMP pools of this process to ``n`` threads for the rest of its life.

    Call at the start of a command (e.g. a CLI entry point) before compute-heavy work. Sets the environment
    variables (for libraries loaded later and for child processes) and limits the pools already loaded.
    """
    for var in BLAS_ENV_VARS:
        os.environ[var] = str(n)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n)


def _worker_init(n_threads: int) -> None:
    pin_blas_threads(n_threads)


def _call(payload: tuple[Callable[..., Any], Any, np.random.SeedSequence | None]) -> Any:
    fn, task, seq = payload
    if seq is None:
        return fn(task)
    import numpy as np

    return fn(task, np.random.default_rng(seq))


def _default_start_method() -> str:
    # forkserver: workers fork from a small single-threaded server (safe with BLAS threads in the parent,
    # cheaper than spawn); spawn where forkserver does not exist (Windows)
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


@contextmanager
def _env(values: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_tasks(fn: Callable[..., R], tasks: Sequence[T], *, jobs: int = 1, seed: int | np.random.SeedSequence |
              None = None, blas: int = 1, chunksize: int | None = None, start_method: str | None = None) -> list[R]:
    """Apply ``fn`` to every task, in ``jobs`` processes, and return the results in task order.

    fn: a module-level (picklable) function, called as ``fn(task)`` or, when ``seed`` is given, as
        ``fn(task, rng)`` with rng a ``numpy.random.Generator`` seeded from the task's own child seed
        (see task_seeds). Tasks and results must be picklable when jobs > 1.
    jobs: worker processes (1 = in this process, no pickling; -1 = every available core).
    blas: BLAS threads in each worker (and in this process while jobs == 1); 1 unless a task is one big
        matrix computation.
    chunksize: tasks sent to a worker at a time (default: about four chunks per worker).
    start_method: multiprocessing start method (default forkserver where available, else spawn).

    An exception in a task is re-raised here with a note naming the task's index. Raises ParallelError for a
    bad ``jobs``.
    """
    items = list(tasks)
    n = len(items)
    workers = resolve_jobs(jobs, n)
    seqs: list[np.random.SeedSequence | None] = list(task_seeds(seed, n)) if seed is not None else [None] * n
    payloads = [(fn, task, s) for task, s in zip(items, seqs, strict=True)]
    if n == 0:
        return []
    if workers == 1:
        out: list[R] = []
        with blas_threads(blas):
            for i, p in enumerate(payloads):
                try:
                    out.append(_call(p))
                except Exception as exc:
                    exc.add_note(f"in task {i} of {n}")
                    raise
        return out
    size = chunksize or max(1, -(-n // (workers * 4)))
    ctx = multiprocessing.get_context(start_method or _default_start_method())
    with _env({v: str(blas) for v in BLAS_ENV_VARS}), ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_worker_init, initargs=(blas,)) as pool:
        results = pool.map(_call, payloads, chunksize=size)
        out = []
        for i in range(n):
            try:
                out.append(next(results))
            except Exception as exc:
                exc.add_note(f"in task {i} of {n} (or a later task of the same chunk of {size})")
                raise
        return out
