"""The exact 2x2 test of the ratio of rate ratios against R fisher.test, and Holm against a hand example and
R p.adjust (references/exact2x2.R writes the CSVs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from externalize.errors import ExternalizeError
from externalize.robustness.exact2x2 import TableError, exact_ratio_of_rate_ratios
from externalize.robustness.multiplicity import MultiplicityError, holm

REF = Path(__file__).parent / "references"


@pytest.mark.parametrize("row", pd.read_csv(REF / "exact2x2.csv").to_dict("records"), ids=lambda r: r["case"])
def test_exact_ratio_matches_r_fisher_test(row):
    r = exact_ratio_of_rate_ratios(row["a"], row["b"], row["c"], row["d"])
    # tolerances: R's fisher.test finds the conditional MLE (on the log scale) and the Cornfield limits
    # with uniroot at its default tol = .Machine$double.eps^0.25 = 1.22e-4, searching a limit psi <= 1 on
    # psi in (0, 1) and a limit psi > 1 on 1/psi in (0, 1). So R's limits are accurate to 1.22e-4 on
    # min(psi, 1/psi), which is what we compare (the tail-equation test below checks ours to 1e-6).
    # The MLE: 3e-4 relative. The p-value is a finite sum: 1e-9 relative.
    np.testing.assert_allclose(r.estimate, row["estimate"], rtol=3e-4, atol=1e-9)
    np.testing.assert_allclose(r.p_value, row["p_value"], rtol=1e-9)
    r90 = exact_ratio_of_rate_ratios(row["a"], row["b"], row["c"], row["d"], alpha=0.10)
    for ours, ref in ((r.ci_low, row["ci_low"]), (r.ci_high, row["ci_high"]), (r90.ci_low, row["ci90_low"]),
                      (r90.ci_high, row["ci90_high"])):
        assert _solver_scale(ours) == pytest.approx(_solver_scale(ref), abs=1.3e-4)


def _solver_scale(psi: float) -> float:
    return psi if psi <= 1 else 1.0 / psi


@pytest.mark.parametrize("row", pd.read_csv(REF / "exact2x2.csv").to_dict("records"), ids=lambda r: r["case"])
def test_exact_limits_solve_the_tail_equations(row):
    """Tighter than R: at each finite Cornfield limit the noncentral hypergeometric tail is alpha/2 (1e-6)."""
    from scipy.stats import nchypergeom_fisher

    a, b, c, d = (int(row[k]) for k in "abcd")
    r = exact_ratio_of_rate_ratios(a, b, c, d)
    M, n, N = a + b + c + d, a + b, a + c   # population, clash total, post total
    if r.ci_low > 0:
        assert nchypergeom_fisher.sf(a - 1, M, n, N, r.ci_low) == pytest.approx(0.025, abs=1e-6)
    if np.isfinite(r.ci_high):
        assert nchypergeom_fisher.cdf(a, M, n, N, r.ci_high) == pytest.approx(0.025, abs=1e-6)


def test_zero_cell_is_estimable_and_one_sided():
    r = exact_ratio_of_rate_ratios(0, 7, 25, 20)
    assert r.estimate == 0 and r.ci_low == 0 and 0 < r.ci_high < 1 and r.p_value < 0.05
    assert r.sample_ratio == 0


def test_ratio_of_rate_ratios_is_the_table_odds_ratio_hand_case():
    # clash 10 -> 20 (x2), external 10 -> 40 (x4): ratio of rate ratios 0.5 = (20*10)/(10*40)
    r = exact_ratio_of_rate_ratios(20, 10, 40, 10)
    assert r.sample_ratio == pytest.approx(0.5)
    assert r.ci_low < 0.5 < r.ci_high


@pytest.mark.parametrize("cells", [(-1, 2, 3, 4), (1.5, 2, 3, 4), (0, 0, 3, 4), (0, 2, 0, 4)])
def test_bad_tables_are_refused(cells):
    with pytest.raises(TableError):
        exact_ratio_of_rate_ratios(*cells)
    assert issubclass(TableError, ExternalizeError)


def test_holm_hand_example():
    # m = 4: sorted 0.005, 0.01, 0.03, 0.04 -> 4*0.005 = 0.02, 3*0.01 = 0.03, 2*0.03 = 0.06, max(0.06, 0.04) = 0.06
    got = holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(got, [0.03, 0.06, 0.06, 0.02])


def test_holm_matches_r_p_adjust_and_skips_missing():
    ref = pd.read_csv(REF / "holm.csv")
    got = holm(ref["p"].to_numpy())
    assert np.isnan(got[ref["p"].isna().to_numpy()]).all()
    np.testing.assert_allclose(got[ref["p"].notna().to_numpy()], ref["holm"].dropna(), rtol=1e-12)


def test_holm_caps_at_one_and_refuses_bad_input():
    np.testing.assert_allclose(holm([0.6, 0.7]), [1.0, 1.0])
    assert np.isnan(holm([np.nan])).all()
    with pytest.raises(MultiplicityError):
        holm([0.5, 1.2])


def test_stacked_monthly_model_recovers_a_known_ratio_of_rate_ratios():
    from externalize.robustness.exact2x2 import stacked_ratio_of_rate_ratios

    idx = pd.period_range("2011-01", "2017-12", freq="M")
    post = np.arange(84) >= 43
    rng = np.random.default_rng(12)
    hits = 0
    for _ in range(40):
        clash = pd.Series(rng.poisson(np.where(post, 4.0, 8.0)).astype(float), index=idx)     # x0.5
        ext = pd.Series(rng.poisson(np.where(post, 12.0, 6.0)).astype(float), index=idx)      # x2
        r = stacked_ratio_of_rate_ratios(clash, ext, pd.Period("2014-08", "M"))
        hits += r.ci_low <= 0.25 <= r.ci_high                                               # truth 0.5 / 2
    # 40 seeded draws of a nominal 95% interval: P(Binomial(40, 0.95) < 34) < 0.01
    assert hits >= 34


def test_stacked_model_says_why_a_zero_cell_has_no_estimate():
    from externalize.robustness.exact2x2 import stacked_ratio_of_rate_ratios

    idx = pd.period_range("2013-01", "2015-12", freq="M")
    clash = pd.Series(np.r_[np.ones(19), np.zeros(17)], index=idx)
    ext = pd.Series(np.full(36, 3.0), index=idx)
    r = stacked_ratio_of_rate_ratios(clash, ext, pd.Period("2014-08", "M"))
    assert np.isnan(r.estimate) and "no events" in r.note and r.cells[0] == 0
