"""The yearly quasi-Poisson contrast used for the clash and joint arms (which are yearly only)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from externalize.estimates import fit_yearly

YEARS = np.arange(2009, 2020)


# noise-free data are fitted exactly, which statsmodels flags as perfect prediction: expected here
EXACT = pytest.mark.filterwarnings("ignore::statsmodels.tools.sm_exceptions.PerfectSeparationWarning")


@EXACT
def test_exact_doubling_gives_rate_ratio_two_and_intervention_year_is_left_out():
    y = pd.Series(np.where(YEARS < 2014, 10.0, 20.0), index=YEARS)
    y[2014] = 1000.0  # the partly treated year must not influence the fit
    fit = fit_yearly({"a": y}, 2014)
    t = fit.tidy.set_index("term")
    assert t.loc["post", "ratio"] == pytest.approx(2.0, rel=1e-8)
    assert t.loc["trend", "estimate"] == pytest.approx(0.0, abs=1e-8)
    assert fit.fit_stats["n"].iloc[0] == len(YEARS) - 1


@EXACT
def test_comparative_term_is_the_difference_in_log_changes():
    a = pd.Series(np.where(YEARS < 2014, 10.0, 30.0), index=YEARS)   # x3
    b = pd.Series(np.where(YEARS < 2014, 8.0, 12.0), index=YEARS)    # x1.5 (reference)
    t = fit_yearly({"a": a, "b": b}, 2014, reference="b").tidy.set_index("term")
    assert t.loc["post", "ratio"] == pytest.approx(1.5, rel=1e-8)
    assert t.loc["post:a", "ratio"] == pytest.approx(2.0, rel=1e-8)


def test_matches_statsmodels_quasipoisson_on_noisy_counts():
    rng = np.random.default_rng(3)
    mu = np.exp(2 + 0.05 * (YEARS - 2014) + 0.4 * (YEARS > 2014))
    y = pd.Series(rng.negative_binomial(5, 5 / (5 + mu)).astype(float), index=YEARS)
    t = fit_yearly({"a": y}, 2014).tidy.set_index("term")
    keep = YEARS != 2014
    X = np.column_stack([np.ones(keep.sum()), YEARS[keep] - 2014, (YEARS[keep] > 2014).astype(float)])
    ref = sm.GLM(y.to_numpy()[keep], X, family=sm.families.Poisson()).fit(scale="X2")
    assert ref.scale > 1  # over-dispersed draw, so the floor at 1 is not active
    # both are IRLS fits stopped at statsmodels' default tolerance: agree to 1e-6 relative
    np.testing.assert_allclose(t["estimate"].to_numpy(), ref.params, rtol=1e-6)
    np.testing.assert_allclose(t["std_error"].to_numpy(), ref.bse, rtol=1e-6)


@pytest.mark.parametrize("values, message", [
    (np.zeros(len(YEARS)), "all counts are zero"),
])
def test_refusals(values, message):
    with pytest.raises(ValueError, match=message):
        fit_yearly({"a": pd.Series(values, index=YEARS)}, 2014)


def test_no_post_years_is_refused():
    y = pd.Series(np.arange(1.0, 7.0), index=np.arange(2008, 2014))
    with pytest.raises(ValueError, match="no years on one side"):
        fit_yearly({"a": y}, 2014)


def test_exact_rate_ratio_handles_zeros_and_matches_hand_computation():
    from externalize.estimates import exact_rate_ratio
    pre = pd.Series([10.0], index=[2013])
    post = pd.Series([0.0, 0.0, 0.0, 0.0, 0.0], index=range(2015, 2020))
    r = exact_rate_ratio(pre, post)
    assert r["exact_ratio"] == 0.0 and r["exact_ci_low"] == 0.0
    # Clopper-Pearson upper bound for 0 of 10 is 1 - 0.025**(1/10); ratio = p/(1-p) * T0/T1
    p_hi = 1 - 0.025 ** (1 / 10)
    assert r["exact_ci_high"] == pytest.approx(p_hi / (1 - p_hi) / 5, rel=1e-9)
    r2 = exact_rate_ratio(pd.Series([5.0, 5.0]), pd.Series([20.0, 20.0]))
    assert r2["exact_ratio"] == pytest.approx(4.0)
    assert r2["exact_ci_low"] > 1.0 and r2["exact_p_value"] < 0.001


def test_trend_dropped_when_pre_period_is_short():
    y = pd.Series([100.0, 300.0, 40.0, 30.0, 35.0], index=[2013, 2014, 2015, 2016, 2017])
    fit = fit_yearly({"a": y}, 2014)
    assert "trend" not in set(fit.tidy["term"])
    assert fit.fit_stats["trend"].iloc[0].startswith("none")
    assert fit.tidy.set_index("term").loc["post", "ratio"] == pytest.approx(35.0 / 100.0, rel=1e-8)
