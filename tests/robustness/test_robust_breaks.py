"""sup-F sweep and Bai-Perron partitions against strucchange 1.5.3 (references/make_references.R)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from externalize.robustness import multiple_breaks, sup_f_test
from externalize.robustness.breaks import andrews_sup_draws, candidate_positions

REFS = Path(__file__).resolve().parent / "references"


@pytest.fixture(scope="module")
def fstats() -> pd.DataFrame:
    return pd.read_csv(REFS / "fstats.csv")


@pytest.fixture(scope="module")
def supf() -> pd.DataFrame:
    return pd.read_csv(REFS / "supf.csv").set_index("series")


@pytest.fixture(scope="module")
def bps() -> pd.DataFrame:
    return pd.read_csv(REFS / "breakpoints.csv", keep_default_na=False)


def test_candidate_positions_follow_strucchange_trimming(supf: pd.DataFrame) -> None:
    pos = candidate_positions(120, 0.15)
    assert pos[0] == supf.loc["shift", "from"] and pos[-1] == supf.loc["shift", "to"]


@pytest.mark.parametrize("name", ["shift", "flat", "two"])
def test_f_sequence_matches_strucchange_fstats(break_series, fstats, supf, name: str) -> None:
    r = sup_f_test(break_series[name], n_sim=199)
    ref = fstats[fstats["series"] == name]
    assert r.frame["position"].tolist() == ref["breakpoint"].tolist()
    # tolerance: 1e-9 relative on every F statistic
    np.testing.assert_allclose(r.frame["f_stat"].to_numpy(), ref["f"].to_numpy(), rtol=1e-9)
    assert r.sup_f == pytest.approx(supf.loc[name, "sup_f"], rel=1e-9)
    assert r.break_period == break_series[name].index[supf.loc[name, "argmax"]]


def test_andrews_null_reproduces_hansen_pvalues() -> None:
    # the simulated Andrews (1993) limit against Hansen's (1997) approximation used by strucchange::sctest;
    # tolerance 0.02 absolute (Monte Carlo error ~0.005 with 20,000 draws, plus the grid discretisation)
    ref = pd.read_csv(REFS / "hansen_pvalues.csv")
    draws = andrews_sup_draws(20_000, 0.15, 2, np.random.default_rng(1))
    p = [(draws >= f).mean() for f in ref["f"]]
    np.testing.assert_allclose(p, ref["p_hansen"], atol=0.02)


def test_sup_f_p_values_and_intervention_distance(break_series, supf) -> None:
    shift = sup_f_test(break_series["shift"], {"x": "2014-09"}, n_sim=999)
    assert shift.p_value == pytest.approx(1 / 1000)  # no simulated sup-F reaches 158
    assert shift.months_from_intervention == 0  # break estimated at position 80 = 2014-09
    assert shift.f_at_intervention == pytest.approx(shift.sup_f)
    flat = sup_f_test(break_series["flat"], n_sim=4000, null="andrews")
    assert flat.p_value == pytest.approx(supf.loc["flat", "p_hansen"], abs=0.03)
    assert flat.p_value > 0.1
    crit = flat.critical_values
    assert crit[0.10] < crit[0.05] < crit[0.01]


def test_sup_f_is_reproducible_with_a_seed(break_series) -> None:
    a = sup_f_test(break_series["flat"], null="ar1", n_sim=300, seed=5)
    b = sup_f_test(break_series["flat"], null="ar1", n_sim=300, seed=5)
    c = sup_f_test(break_series["flat"], null="ar1", n_sim=300, seed=6)
    assert a.p_value == b.p_value and a.critical_values == b.critical_values
    assert a.critical_values != c.critical_values


def test_exact_iid_null_has_nominal_size() -> None:
    # Gaussian white noise around a trend: the iid simulation is the exact null law, so 5% tests reject
    # ~5% of the time. 300 series; binomial 99.9% band around 0.05 is about [0.018, 0.095].
    rng = np.random.default_rng(2024)
    idx = pd.period_range("2008-01", periods=60, freq="M")
    rej = 0
    for i in range(300):
        y = pd.Series(3 + 0.05 * np.arange(60) + rng.standard_normal(60), index=idx)
        rej += sup_f_test(y, n_sim=199, seed=i).p_value <= 0.05
    assert 0.018 <= rej / 300 <= 0.095


@pytest.mark.parametrize("name", ["shift", "flat", "two"])
def test_partitions_match_strucchange_breakpoints(break_series, bps, name: str) -> None:
    r = multiple_breaks(break_series[name], max_breaks=5)
    ref = bps[bps["series"] == name].reset_index(drop=True)
    assert r.min_size == ref["h"].iloc[0]
    got = [" ".join(str(p) for p in pos) for pos in r.frame["positions"]]
    assert got == ref["breakpoints"].tolist()
    # tolerance: 1e-9 relative on RSS, 1e-7 absolute on BIC
    np.testing.assert_allclose(r.frame["rss"], ref["rss"], rtol=1e-9)
    np.testing.assert_allclose(r.frame["bic"], ref["bic"], atol=1e-7)


def test_bic_selects_the_two_true_breaks(break_series) -> None:
    r = multiple_breaks(break_series["two"], {"x": "2011-05"})
    idx = break_series["two"].index
    assert r.n_breaks == 2 and r.breakpoints == (idx[40], idx[85])
    assert r.nearest_to_intervention == 0  # 2011-05 is position 40
    assert r.segments["n"].sum() == 120 and len(r.segments) == 3
    # level jumps of +6 then -5 with no trend: segment means near 5, 11, 6 (noise sd 1, >= 35 months each:
    # standard error of a mean < 0.17, tolerance 0.6)
    np.testing.assert_allclose(r.segments["mean"], [5, 11, 6], atol=0.6)


def test_transforms_and_refusals(break_series) -> None:
    y = break_series["flat"]
    with pytest.raises(ValueError, match="y >= 0"):
        sup_f_test(y - 100, transform="log1p")
    with pytest.raises(ValueError, match="trim"):
        sup_f_test(y, trim=0.6)
    with pytest.raises(ValueError, match="too short"):
        multiple_breaks(y.iloc[:15])
    r = sup_f_test(y, transform="sqrt", n_sim=99)
    assert np.isfinite(r.frame["f_stat"]).all()
