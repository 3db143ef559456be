"""Seeded simulations with a known level and slope change.

Coverage tolerance: with R replications and nominal 0.95, the empirical coverage is checked against the
binomial band 0.95 +/- 3 * sqrt(0.95 * 0.05 / R) (R = 200: [0.904, 0.996]; R = 400: [0.917, 0.983]).
Bias tolerance: |mean estimate - truth| < 4 Monte-Carlo standard errors (sd / sqrt(R)).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from models_helpers import monthly

from externalize.models import fit_its

N, IV_AT = 60, 30          # 60 months, intervention in month 30 (2014-07 for a window from 2012-01)
LEVEL, SLOPE = -3.0, 0.15
IV = {"iv": "2014-07"}


def _band(reps: int) -> tuple[float, float]:
    half = 3 * math.sqrt(0.95 * 0.05 / reps)
    return 0.95 - half, min(1.0, 0.95 + half)


def _ar1(rng: np.random.Generator, n: int, phi: float, sd: float) -> np.ndarray:
    e = np.empty(n)
    e[0] = rng.normal(scale=sd / math.sqrt(1 - phi ** 2))
    for t in range(1, n):
        e[t] = phi * e[t - 1] + rng.normal(scale=sd)
    return e


def _mean_path(t: np.ndarray, base: float, trend: float, level: float, slope: float) -> np.ndarray:
    return base + trend * t + level * (t >= IV_AT) + slope * np.where(t >= IV_AT, t - IV_AT, 0)


def _run(reps: int, seed: int, make_y, model: str, truth: dict[str, float], **kw) -> dict[str, dict[str, float]]:
    rng = np.random.default_rng(seed)
    est: dict[str, list[float]] = {k: [] for k in truth}
    cover: dict[str, list[bool]] = {k: [] for k in truth}
    for _ in range(reps):
        res = fit_its(make_y(rng), IV, model, **kw)
        ci = res.conf_int(0.05)
        for k, v in truth.items():
            est[k].append(float(res.params[k]))
            cover[k].append(bool(ci.loc[k, "lower"] <= v <= ci.loc[k, "upper"]))
    return {k: {"mean": float(np.mean(est[k])), "mcse": float(np.std(est[k]) / math.sqrt(reps)),
                "coverage": float(np.mean(cover[k]))} for k in truth}


def _check(out: dict[str, dict[str, float]], truth: dict[str, float], reps: int) -> None:
    lo, hi = _band(reps)
    for k, v in truth.items():
        assert abs(out[k]["mean"] - v) < 4 * out[k]["mcse"], (k, out[k])
        assert lo <= out[k]["coverage"] <= hi, (k, out[k], (lo, hi))


def test_ols_recovers_level_and_slope_and_covers_with_white_noise() -> None:
    """200 replications of a 60-month series with white-noise errors (sd 1). With no autocorrelation the
    lag-0 member of the Newey-West family (heteroskedasticity-robust, n/(n-k)) must cover at nominal."""
    t = np.arange(N, dtype=float)
    mu = _mean_path(t, 10.0, 0.05, LEVEL, SLOPE)
    truth = {"level_iv": LEVEL, "slope_iv": SLOPE}
    out = _run(200, 1, lambda rng: monthly(mu + rng.normal(size=N)), "ols_hac", truth, hac_maxlags=0)
    _check(out, truth, 200)


def test_ols_hac_default_lag_short_series_floor() -> None:
    """Newey-West intervals under-cover in short series: with n = 60 and the rule lag 3 the level-change
    coverage was 0.897 in a 2000-replication run (white noise; 0.936 at lag 1, 0.841 at lag 6) - a known
    finite-sample property of HAC estimators, reported in the documentation. This test only guards against
    gross errors (coverage below 0.85 with 200 replications, more than 2 binomial sd below 0.897)."""
    t = np.arange(N, dtype=float)
    mu = _mean_path(t, 10.0, 0.05, LEVEL, SLOPE)
    truth = {"level_iv": LEVEL, "slope_iv": SLOPE}
    out = _run(200, 1, lambda rng: monthly(mu + rng.normal(size=N)), "ols_hac", truth)
    assert abs(out["level_iv"]["mean"] - LEVEL) < 4 * out["level_iv"]["mcse"]
    assert out["level_iv"]["coverage"] >= 0.85 and out["slope_iv"]["coverage"] >= 0.85


def test_quasipoisson_recovers_rate_ratios_and_covers() -> None:
    """200 replications of overdispersed counts (negative binomial, size 8, mean ~20-30)."""
    t = np.arange(N, dtype=float)
    eta = _mean_path(t, math.log(20), 0.01, -0.4, 0.01)
    truth = {"level_iv": -0.4, "slope_iv": 0.01}

    def make(rng: np.random.Generator) -> pd.Series:
        mu = np.exp(eta)
        return monthly(rng.negative_binomial(8, 8 / (8 + mu)))

    out = _run(200, 2, make, "quasipoisson", truth)
    _check(out, truth, 200)


@pytest.mark.slow
def test_gls_ar_covers_under_ar1_errors_and_beats_hac() -> None:
    """300 replications of a 120-month series with AR(1) errors, phi = 0.5, intervention at month 60.
    Exact-likelihood AR(1) GLS (REML and ML) covers at the nominal rate (binomial band [0.912, 0.988]);
    Newey-West with the rule lag (4) is visibly worse under this autocorrelation (0.865 vs 0.955 for REML
    in a 400-replication run), which the test states as REML coverage > HAC coverage."""
    n = 120
    t = np.arange(n, dtype=float)
    mu = 10.0 + 0.05 * t + LEVEL * (t >= 60) + SLOPE * np.where(t >= 60, t - 60, 0)
    iv = {"iv": "2017-01"}
    rng = np.random.default_rng(3)
    hits: dict[str, list[bool]] = {"REML": [], "ML": [], "hac": []}
    ests: list[float] = []
    for _ in range(300):
        y = monthly(mu + _ar1(rng, n, 0.5, 1.0))
        for m in hits:
            res = fit_its(y, iv, "ols_hac") if m == "hac" else fit_its(y, iv, "gls_ar", gls_method=m)
            ci = res.conf_int()
            hits[m].append(bool(ci.loc["level_iv", "lower"] <= LEVEL <= ci.loc["level_iv", "upper"]))
            if m == "REML":
                ests.append(float(res.params["level_iv"]))
    lo, hi = _band(300)
    assert lo <= np.mean(hits["REML"]) <= hi
    assert lo <= np.mean(hits["ML"]) <= hi
    assert np.mean(hits["REML"]) > np.mean(hits["hac"])
    assert abs(np.mean(ests) - LEVEL) < 4 * np.std(ests) / math.sqrt(300)


@pytest.mark.slow
def test_negbin_recovers_and_covers() -> None:
    t = np.arange(N, dtype=float)
    eta = _mean_path(t, math.log(15), 0.01, 0.3, -0.01)
    truth = {"level_iv": 0.3, "slope_iv": -0.01}

    def make(rng: np.random.Generator) -> pd.Series:
        mu = np.exp(eta)
        return monthly(rng.negative_binomial(5, 5 / (5 + mu)))

    out = _run(400, 4, make, "negbin", truth)
    _check(out, truth, 400)


@pytest.mark.slow
def test_effect_and_cumulative_intervals_cover() -> None:
    """400 replications, quasi-Poisson counts: the delta-method intervals of the effect 6 months after the
    intervention (in counts) and of the cumulative effect over months 0..11 cover the true values at the
    nominal rate (band [0.917, 0.983])."""
    t = np.arange(N, dtype=float)
    eta_cf = math.log(20) + 0.01 * t
    eta = eta_cf + np.where(t >= IV_AT, -0.4 + 0.01 * (t - IV_AT), 0.0)
    true_eff = np.exp(eta) - np.exp(eta_cf)
    true_e6 = true_eff[IV_AT + 6]
    true_cum = true_eff[IV_AT:IV_AT + 12].sum()
    rng = np.random.default_rng(6)
    h6, hc = [], []
    for _ in range(400):
        mu = np.exp(eta)
        res = fit_its(monthly(rng.negative_binomial(8, 8 / (8 + mu))), IV, "quasipoisson")
        e = res.effect(6)
        h6.append(e["ci_low"].iloc[0] <= true_e6 <= e["ci_high"].iloc[0])
        c = res.cumulative_effect(k=11).iloc[-1]
        hc.append(c["ci_low"] <= true_cum <= c["ci_high"])
    lo, hi = _band(400)
    assert lo <= np.mean(h6) <= hi
    assert lo <= np.mean(hc) <= hi
