"""externalize.parallel: same results whatever the number of processes, seeds per task, BLAS pinned."""

from __future__ import annotations

import os

import numpy as np
import pytest

from externalize.errors import ExternalizeError
from externalize.parallel import (ParallelError, blas_threads, pin_blas_threads, resolve_jobs, run_tasks,
                                  task_seeds)


def _ols_on_noise(n_obs: int, rng: np.random.Generator) -> np.ndarray:
    """A least-squares fit on random data: draws from the task's stream and goes through BLAS."""
    X = np.column_stack([np.ones(n_obs), rng.normal(size=(n_obs, 3))])
    y = X @ np.array([1.0, 0.5, -0.25, 2.0]) + rng.normal(size=n_obs)
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    return beta


def _square(x: int) -> int:
    return x * x


def _blas_threads_in_worker(_: int) -> list[int]:
    from threadpoolctl import threadpool_info

    return sorted({int(p["num_threads"]) for p in threadpool_info() if p.get("user_api") == "blas"})


def _fail_on_three(x: int) -> int:
    if x == 3:
        raise RuntimeError("task three fails")
    return x


def test_results_are_byte_identical_for_one_and_two_jobs() -> None:
    tasks = [50 + 7 * i for i in range(24)]
    one = run_tasks(_ols_on_noise, tasks, jobs=1, seed=20140808)
    two = run_tasks(_ols_on_noise, tasks, jobs=2, seed=20140808, chunksize=5)
    # byte-identical numbers (pickle bytes would also differ by how the list's dtype objects are memoised)
    assert b"".join(a.tobytes() for a in one) == b"".join(a.tobytes() for a in two)
    # and the fits are real fits: the known coefficients come back within sampling error
    assert np.allclose(np.mean(one, axis=0), [1.0, 0.5, -0.25, 2.0], atol=0.1)


def test_task_i_gets_the_ith_spawned_stream() -> None:
    got = run_tasks(_ols_on_noise, [40, 40, 40], jobs=1, seed=7)
    seqs = np.random.SeedSequence(7).spawn(3)
    want = [_ols_on_noise(40, np.random.default_rng(s)) for s in seqs]
    assert all(np.array_equal(g, w) for g, w in zip(got, want, strict=True))
    # different tasks draw different numbers; a different study seed changes every task
    assert not np.array_equal(got[0], got[1])
    other = run_tasks(_ols_on_noise, [40, 40, 40], jobs=1, seed=8)
    assert not any(np.array_equal(g, o) for g, o in zip(got, other, strict=True))


def test_task_seeds_do_not_depend_on_how_many_are_spawned_later() -> None:
    a = task_seeds(3, 5)
    b = task_seeds(np.random.SeedSequence(3), 5)
    assert [s.generate_state(2).tolist() for s in a] == [s.generate_state(2).tolist() for s in b]


def test_order_is_kept_without_seed() -> None:
    assert run_tasks(_square, range(13), jobs=2) == [i * i for i in range(13)]
    assert run_tasks(_square, [], jobs=2) == []


def test_workers_run_blas_on_one_thread() -> None:
    got = run_tasks(_blas_threads_in_worker, [0, 1], jobs=2, chunksize=1)
    for threads in got:
        assert threads in ([], [1])  # [] only if numpy ships no threaded BLAS at all


def test_blas_threads_context_limits_this_process() -> None:
    from threadpoolctl import threadpool_info

    with blas_threads(1):
        assert {p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"} <= {1}


def test_pin_blas_threads_sets_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    from threadpoolctl import threadpool_info, threadpool_limits

    before = threadpool_info()
    try:
        pin_blas_threads(1)
        import os

        assert os.environ["OPENBLAS_NUM_THREADS"] == "1" and os.environ["OMP_NUM_THREADS"] == "1"
        assert {p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"} <= {1}
    finally:
        for p in before:  # leave the test process as it was
            threadpool_limits(limits=p["num_threads"], user_api=p["user_api"])


@pytest.mark.parametrize("jobs", [1, 2])
def test_task_error_names_the_task(jobs: int) -> None:
    with pytest.raises(RuntimeError, match="task three fails") as info:
        run_tasks(_fail_on_three, range(6), jobs=jobs, chunksize=1)
    assert any("task 3 of 6" in note for note in getattr(info.value, "__notes__", []))


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True])
def test_bad_jobs_refused(bad: object) -> None:
    with pytest.raises(ParallelError, match="jobs must be"):
        resolve_jobs(bad)  # type: ignore[arg-type]
    assert issubclass(ParallelError, ExternalizeError)


def test_resolve_jobs_caps_at_tasks_and_all_cores() -> None:
    assert resolve_jobs(8, n_tasks=3) == 3
    assert resolve_jobs(-1) >= 1
    assert resolve_jobs(2, n_tasks=0) == 1


def test_default_blas_threads_sets_only_what_the_user_left_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    from externalize.parallel import BLAS_ENV_VARS, default_blas_threads

    for var in BLAS_ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    default_blas_threads(1)
    assert os.environ["OPENBLAS_NUM_THREADS"] == "4"
    assert all(os.environ[v] == "1" for v in BLAS_ENV_VARS if v != "OPENBLAS_NUM_THREADS")
