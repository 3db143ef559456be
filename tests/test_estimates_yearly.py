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
