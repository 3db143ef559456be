"""Refits per second: the vectorised path (externalize.robustness.fastfit) against a plain loop of statsmodels
calls, on the same 2,000+ segmented ITS fits (placebo schedules x bootstrap series, 120 months).

Target: >= 2,000 fits in <= 10 s on this machine, for each model.

    python benchmarks/bench_refits.py [--fits 2000] [--loop-fits 300]

The loop is timed on `--loop-fits` fits and its rate extrapolated (a full loop of Poisson GLMs takes a while).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import statsmodels.api as sm

from externalize.robustness.fastfit import batch_ols, batch_poisson, segmented_designs

TARGET_FITS, TARGET_SECONDS = 2000, 10.0


def problem(n_fits: int) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """n_fits (design, response) pairs: 100 schedules x (n_fits / 100) Poisson series, 120 months, 1 Fourier pair."""
    rng = np.random.default_rng(0)
    idx = pd.period_range("2008-01", periods=120, freq="M")
    n_sched = 100
    sched = np.arange(12, 12 + n_sched)[:, None]
    X, terms = segmented_designs(idx, sched, ["x"], seasonality=1)
    reps = -(-n_fits // n_sched)
    t = np.arange(120)
    Y = rng.poisson(np.exp(1.5 + 0.4 * (t >= 80)), size=(reps, 120)).astype(float)
    Xb = np.repeat(X, reps, axis=0)[:n_fits]
    Yb = np.tile(Y, (n_sched, 1))[:n_fits]
    return Xb, Yb, terms


def timed(fn, *args, **kwargs) -> float:
    t0 = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fits", type=int, default=TARGET_FITS)
    ap.add_argument("--loop-fits", type=int, default=300)
    args = ap.parse_args()
    X, Y, terms = problem(args.fits)
    m = min(args.loop_fits, args.fits)

    def loop_ols() -> None:
        for b in range(m):
            sm.OLS(Y[b], X[b]).fit(cov_type="HAC", cov_kwds={"maxlags": 4, "use_correction": True}, use_t=True)

    def loop_poisson() -> None:
        for b in range(m):
            sm.GLM(Y[b], X[b], family=sm.families.Poisson()).fit()

    print(f"{args.fits} segmented ITS fits, 120 months, {len(terms)} terms; target: {TARGET_FITS} fits "
          f"in <= {TARGET_SECONDS:.0f} s")
    print(f"{'model':<22}{'vectorised s':>14}{'fits/s':>12}{'loop fits/s':>14}{'speed-up':>10}  target")
    for name, fast, loop in (
        ("OLS + Newey-West HAC", lambda: batch_ols(X, Y, hac_maxlags=4, terms=terms), loop_ols),
        ("Poisson GLM (IRLS)", lambda: batch_poisson(X, Y, terms=terms), loop_poisson),
    ):
        fast()  # warm-up (first-call allocations)
        t_fast = timed(fast)
        t_loop = timed(loop)
        rate_fast, rate_loop = args.fits / t_fast, m / t_loop
        ok = t_fast * TARGET_FITS / args.fits <= TARGET_SECONDS
        print(f"{name:<22}{t_fast:>14.3f}{rate_fast:>12.0f}{rate_loop:>14.0f}{rate_fast / rate_loop:>9.0f}x  "
              f"{'met' if ok else 'MISSED'}")

    # for context: the generic slow path (one externalize.models.fit_its call per placebo date)
    from externalize.models import fit_its

    idx = pd.period_range("2008-01", periods=120, freq="M")
    y = pd.Series(Y[0], index=idx)
    k = min(m, 100)
    t_its = timed(lambda: [fit_its(y, {"x": idx[12 + b]}, "ols_hac", seasonality=1) for b in range(k)])
    print(f"generic path, fit_its('ols_hac') loop: {k / t_its:.0f} fits/s "
          f"({TARGET_FITS * t_its / k:.1f} s for {TARGET_FITS} fits)")


if __name__ == "__main__":
    main()
