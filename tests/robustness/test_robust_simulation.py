"""Simulation study, small and fast: the data-generating process and what the estimators do on it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from externalize.robustness import Scenario, default_scenarios, run_simulation
from externalize.robustness.simulation import SUMMARY_COLUMNS


def binomial_band(p: float, n: int, level: float = 0.999) -> tuple[float, float]:
    """Central `level` range of the share of successes in n Bernoulli(p) draws."""
    lo, hi = stats.binom.interval(level, n, p)
    return lo / n, hi / n


def test_poisson_and_nb_levels_and_dispersion() -> None:
    rng = np.random.default_rng(0)
    Y = Scenario("p", family="poisson", mean=10.0).simulate(rng, 2000)
    # tolerance: 1% on the mean (MC se of the mean of 192,000 Poisson(10) draws is 0.07%)
    assert Y.mean() == pytest.approx(10.0, rel=0.01)
    assert Y.var() == pytest.approx(10.0, rel=0.03)
    nb = Scenario("nb", family="negbin", mean=10.0, nb_alpha=0.5).simulate(rng, 2000)
    # NB2: Var = mu + alpha mu^2 = 10 + 50 = 60 (tolerance 5%)
    assert nb.mean() == pytest.approx(10.0, rel=0.01)
    assert nb.var() == pytest.approx(60.0, rel=0.05)


def test_latent_ar1_keeps_the_mean_and_is_autocorrelated() -> None:
    rng = np.random.default_rng(1)
    sc = Scenario("ar", family="poisson", mean=30.0, ar=0.7, sigma=0.5, n=200, at=100)
    Y = sc.simulate(rng, 1000)
    # the -sigma^2/2 shift keeps E[y] = mean (tolerance 2%)
    assert Y.mean() == pytest.approx(30.0, rel=0.02)
    # lag-1 autocorrelation of the counts: Cov(mu_t, mu_t+1) / Var(y) with lognormal mu
    m, s2 = 30.0, 0.25
    var_mu = m ** 2 * (math.exp(s2) - 1)
    expected = m ** 2 * (math.exp(0.7 * s2) - 1) / (var_mu + m)
    Yc = Y - Y.mean(axis=1, keepdims=True)
    r1 = (Yc[:, 1:] * Yc[:, :-1]).sum() / (Yc ** 2).sum()
    assert r1 == pytest.approx(expected, abs=0.03)


def test_truth_per_estimator_scale() -> None:
    lvl = Scenario("l", family="negbin", mean=8.0, level=math.log(1.5), nb_alpha=0.2)
    assert lvl.truth("negbin") == pytest.approx(math.log(1.5))
    assert lvl.truth("ols_hac") == pytest.approx(4.0)  # 8 * (1.5 - 1)
    slope = Scenario("s", family="negbin", mean=8.0, slope=0.01, term="slope", nb_alpha=0.2)
    assert slope.truth("poisson") == 0.01 and math.isnan(slope.truth("gls_ar"))
    g = Scenario("g", family="gaussian", mean=8.0, level=2.0, sigma=1.0)
    assert g.truth("ols_hac") == 2.0 and math.isnan(g.truth("poisson"))


def test_size_of_ols_on_iid_gaussian_is_nominal() -> None:
    # White-noise errors, OLS with lag-0 sandwich (HC1-type, t(n-k)): size within the binomial band of 0.05
    n_rep = 300
    r = run_simulation([Scenario("g0", family="gaussian", mean=10.0, sigma=2.0)],
                       {"ols_hc": ("ols_hac", {"hac_maxlags": 0})}, n_rep=n_rep, seed=11)
    row = r.summary.iloc[0]
    lo, hi = binomial_band(0.05, n_rep)
    assert row["kind"] == "size" and row["n_ok"] == n_rep
    assert lo <= row["rejection_rate"] <= hi
    assert binomial_band(0.95, n_rep)[0] <= row["coverage"] <= binomial_band(0.95, n_rep)[1]


def test_large_level_change_is_detected() -> None:
    # rate doubles at mean 10 over 96 months: power ~1 for the count models
    n_rep = 40
    est = {k: (k, {}) for k in ("poisson", "quasipoisson", "negbin")}
    r = run_simulation([Scenario("big", family="poisson", mean=10.0, level=math.log(2.0))], est,
                       n_rep=n_rep, seed=12)
    s = r.summary.set_index("estimator")
    assert (s["kind"] == "power").all()
    assert (s["rejection_rate"] >= 0.95).all()
    assert (s["bias"].abs() < 0.05).all()  # log-rate-ratio scale; MC se ~ 0.01


def test_poisson_is_oversized_on_overdispersed_autocorrelated_counts() -> None:
    # NB2 counts with a latent AR(1): model-based Poisson errors are too small, so the 5% test rejects a true
    # null far more often than 5%; quasi-Poisson and NB fix the dispersion part
    n_rep = 80
    est = {k: (k, {}) for k in ("poisson", "quasipoisson")}
    sc = Scenario("od", family="negbin", mean=10.0, ar=0.5, sigma=0.3, nb_alpha=0.3)
    r = run_simulation([sc], est, n_rep=n_rep, seed=13)
    s = r.summary.set_index("estimator")
    pois = s.loc["poisson"]
    assert pois["kind"] == "size"
    assert pois["rejection_rate"] > binomial_band(0.05, n_rep)[1]
    assert pois["n_warned"] > 0.9 * n_rep  # the fit warns (OverdispersionWarning) almost every time
    assert s.loc["quasipoisson", "rejection_rate"] < pois["rejection_rate"]


def test_reproducible_and_independent_of_other_scenarios() -> None:
    a = Scenario("a", family="poisson", mean=3.0)
    b = Scenario("b", family="poisson", mean=5.0, level=0.3)
    est = {"quasipoisson": ("quasipoisson", {})}
    r1 = run_simulation([a, b], est, n_rep=15, seed=5)
    r2 = run_simulation([a, b], est, n_rep=15, seed=5)
    assert r1.summary.to_csv() == r2.summary.to_csv()
    assert list(r1.summary.columns) == list(SUMMARY_COLUMNS)
    # a scenario's draws depend on its position in the list and the seed, not on the estimators
    r3 = run_simulation([a, b], {"ols_hac": ("ols_hac", {}), **est}, n_rep=15, seed=5)
    q1 = r1.replications[r1.replications["estimator"] == "quasipoisson"].reset_index(drop=True)
    q3 = r3.replications[r3.replications["estimator"] == "quasipoisson"].reset_index(drop=True)
    pd.testing.assert_frame_equal(q1, q3)


def test_refused_fits_are_counted() -> None:
    # mean 0.05 a month: some simulated series are all zero, which the model suite refuses
    r = run_simulation([Scenario("rare", family="poisson", mean=0.05, n=24, at=12)],
                       {"poisson": ("poisson", {})}, n_rep=30, seed=1)
    row = r.summary.iloc[0]
    assert row["n_refused"] > 0 and row["n_ok"] + row["n_refused"] == 30
    assert (r.replications["error"] != "").sum() == row["n_refused"]


def test_default_scenarios_cover_the_real_levels() -> None:
    sc = default_scenarios()
    means = {s.mean for s in sc if s.family != "gaussian"}
    assert min(means) <= 2 and max(means) >= 30
    assert {s.term for s in sc} == {"level", "slope"}
    assert any(s.level == 0 and s.slope == 0 and s.ar > 0 for s in sc)
    assert len({s.name for s in sc}) == len(sc)
