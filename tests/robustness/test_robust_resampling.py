"""Block bootstrap and permutation of the intervention date: reproducibility, block structure, accuracy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from externalize.robustness import block_bootstrap, permutation_test
from externalize.robustness.resampling import block_indices, block_length_rule


def test_block_length_rule() -> None:
    assert block_length_rule(120) == 5  # 120^(1/3) = 4.93
    assert block_length_rule(125) == 5
    assert block_length_rule(126) == 6


def test_moving_blocks_are_runs_of_consecutive_months() -> None:
    idx = block_indices(50, 200, 4, "moving", np.random.default_rng(0))
    assert idx.shape == (200, 50) and idx.min() >= 0 and idx.max() <= 49
    # within each block of 4 the indices step by one
    blocks = idx[:, :48].reshape(200, 12, 4)
    assert (np.diff(blocks, axis=2) == 1).all()


def test_stationary_blocks_have_geometric_mean_length() -> None:
    idx = block_indices(200, 400, 5, "stationary", np.random.default_rng(1))
    breaks = np.diff(idx, axis=1) != 1
    # wrap-around (199 -> 0) continues a block; count those as continuations
    breaks &= ~((idx[:, :-1] == 199) & (idx[:, 1:] == 0))
    mean_len = idx.shape[1] / (1 + breaks.sum(axis=1)).mean()
    # tolerance: 10% of the nominal mean length 5 (a new block starts with probability 1/5; a random start
    # can coincide with the continuation, so the observed rate is a little lower)
    assert mean_len == pytest.approx(5, rel=0.1)


@pytest.mark.parametrize("model", ["ols_hac", "poisson"])
@pytest.mark.parametrize("kind", ["moving", "stationary"])
def test_same_seed_byte_identical_output(counts_series: pd.Series, model: str, kind: str) -> None:
    a = block_bootstrap(counts_series, {"x": "2014-09"}, model, n_boot=200, kind=kind, seed=42)
    b = block_bootstrap(counts_series, {"x": "2014-09"}, model, n_boot=200, kind=kind, seed=42)
    c = block_bootstrap(counts_series, {"x": "2014-09"}, model, n_boot=200, kind=kind, seed=43)
    assert a.draws.to_csv().encode() == b.draws.to_csv().encode()
    assert a.summary.to_csv().encode() == b.summary.to_csv().encode()
    assert a.draws.to_csv() != c.draws.to_csv()


def test_iid_bootstrap_se_matches_the_ols_formula() -> None:
    # block length 1 on iid Gaussian errors is the classical residual bootstrap, whose SE is the OLS SE times
    # sqrt((n - k) / n). Tolerance: 8% (Monte Carlo error of an SE from 2,000 draws is ~1.6%)
    rng = np.random.default_rng(5)
    n = 100
    idx = pd.period_range("2008-01", periods=n, freq="M")
    t = np.arange(n)
    y = pd.Series(2 + 0.02 * t + 1.5 * (t >= 60) + rng.standard_normal(n), index=idx)
    boot = block_bootstrap(y, {"x": idx[60]}, "ols_hac", n_boot=2000, block_length=1, seed=1)
    X = np.column_stack([np.ones(n), t, t >= 60, np.where(t >= 60, t - 60, 0)]).astype(float)
    ols = sm.OLS(y.to_numpy(), X).fit()
    expect = ols.bse[2:4] * np.sqrt((n - 4) / n)
    np.testing.assert_allclose(boot.summary["boot_se"], expect, rtol=0.08)
    np.testing.assert_allclose(boot.summary["estimate"], ols.params[2:4], atol=1e-10)
    lvl = boot.summary.set_index("term").loc["level_x"]
    assert lvl["ci_low"] < 1.5 < lvl["ci_high"] and lvl["p_value"] < 0.01


def test_blocks_widen_intervals_under_positive_autocorrelation() -> None:
    # AR(0.7) errors: residual blocks keep the dependence, so the level SE grows with the block length
    rng = np.random.default_rng(9)
    n = 120
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = 0.7 * e[i - 1] + rng.standard_normal()
    y = pd.Series(5 + e, index=pd.period_range("2008-01", periods=n, freq="M"))
    se1 = block_bootstrap(y, {"x": "2014-09"}, n_boot=1500, block_length=1, seed=3).summary["boot_se"].iloc[0]
    se8 = block_bootstrap(y, {"x": "2014-09"}, n_boot=1500, block_length=8, seed=3).summary["boot_se"].iloc[0]
    assert se8 > 1.3 * se1


def test_poisson_bootstrap_point_estimate_is_the_glm(counts_series: pd.Series) -> None:
    r = block_bootstrap(counts_series, {"x": "2014-09"}, "poisson", n_boot=300, seed=0)
    X = np.column_stack([np.ones(120), np.arange(120), np.arange(120) >= 80,
                         np.where(np.arange(120) >= 80, np.arange(120) - 80, 0)]).astype(float)
    glm = sm.GLM(counts_series.to_numpy(), X, family=sm.families.Poisson()).fit(tol=1e-12)
    np.testing.assert_allclose(r.summary["estimate"], glm.params[2:4], atol=1e-6)
    assert r.summary["n_failed"].iloc[0] == 0
    lvl = r.summary.iloc[0]
    assert lvl["ci_low"] < np.log(1.8) < lvl["ci_high"]


def test_bootstrap_refusals(counts_series: pd.Series) -> None:
    with pytest.raises(ValueError, match="model must be one of"):
        block_bootstrap(counts_series, {"x": "2014-09"}, "negbin")
    with pytest.raises(ValueError, match="block_length"):
        block_bootstrap(counts_series, {"x": "2014-09"}, block_length=0)
    with pytest.raises(ValueError, match="kind"):
        block_bootstrap(counts_series, {"x": "2014-09"}, kind="circular")


def test_permutation_test_uses_every_eligible_date(counts_series: pd.Series) -> None:
    r = permutation_test(counts_series, {"x": "2014-09"}, "quasipoisson")
    pl = r.frame[~r.frame["is_real"]]
    # 120 months, first date at position >= 12, >= 12 months from it to the end: positions 12..108 minus 80
    assert len(pl) == 108 - 12 + 1 - 1 and r.statistic == "t"
    t_real = r.frame.loc[r.frame["is_real"], "statistic"].item()
    assert r.p_value == pytest.approx((1 + (pl["statistic"].abs() >= abs(t_real)).sum()) / (1 + len(pl)))
