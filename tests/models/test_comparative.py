"""Comparative (stacked) ITS and the share model: exact identities with separate fits, refusals."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from models_helpers import monthly

from externalize.models import OverdispersionWarning, fit_comparative, fit_its, fit_share

IV = {"iv": "2014-07"}


@pytest.mark.parametrize("model", ["poisson", "ols_hac"])
def test_stacked_difference_terms_equal_differences_of_separate_fits(sim_counts, model: str) -> None:
    """A fully interacted stacked model without shared terms is the separate fits side by side: every
    `<term>:<series>` equals (estimate in that series) - (estimate in the reference), to 1e-7, and each series'
    fitted / counterfactual path equals its own fit's."""
    series = {s: sim_counts[s] for s in ("clash", "joint", "external")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OverdispersionWarning)
        stacked = fit_comparative(series, IV, reference="clash", model=model)
        sep = {s: fit_its(y, IV, model) for s, y in series.items()}
    for s in ("joint", "external"):
        for term in ("const", "time", "level_iv", "slope_iv"):
            name = {"const": f"series:{s}", "time": f"time:{s}"}.get(term, f"{term}:{s}")
            assert stacked.params[name] == pytest.approx(sep[s].params[term] - sep["clash"].params[term],
                                                         abs=1e-7)
    cf = stacked.counterfactual()
    for s, r in sep.items():
        mine = cf[cf["series"] == s].reset_index(drop=True)
        theirs = r.counterfactual()
        np.testing.assert_allclose(mine["fitted"], theirs["fitted"], rtol=1e-7)
        np.testing.assert_allclose(mine["counterfactual"], theirs["counterfactual"], rtol=1e-7)
    e = stacked.effect(3)
    assert list(e["series"]) == ["clash", "joint", "external"]


def test_comparative_detects_a_known_relative_shift() -> None:
    """Nearly noise-free rates (a +/-1e-5 relative month-to-month wiggle, so the fit is not perfect): clash falls by
    30% at the intervention, external rises by 50%: the difference term recovers log(1.5) - log(0.7)
    to 1e-4."""
    t = np.arange(48.0)
    post = t >= 24
    wiggle = 1 + 1e-5 * np.cos(np.pi * t)
    clash = monthly(200 * np.exp(0.01 * t) * np.where(post, 0.7, 1.0) * wiggle)
    ext = monthly(50 * np.exp(0.02 * t) * np.where(post, 1.5, 1.0) / wiggle)
    res = fit_comparative({"clash": clash, "external": ext}, {"iv": "2014-01"}, reference="clash",
                          model="quasipoisson", impact="level")
    assert res.params["level_iv:external"] == pytest.approx(np.log(1.5) - np.log(0.7), abs=1e-4)
    assert res.params["level_iv"] == pytest.approx(np.log(0.7), abs=1e-4)
    assert res.tidy().set_index("term").loc["level_iv:external", "ratio"] == pytest.approx(1.5 / 0.7, rel=1e-4)


def test_comparative_refusals(sim_counts) -> None:
    s = {k: sim_counts[k] for k in ("clash", "joint")}
    with pytest.raises(ValueError, match="reference"):
        fit_comparative(s, IV, reference="external")
    with pytest.raises(ValueError, match="at least two series"):
        fit_comparative({"clash": sim_counts["clash"]}, IV, reference="clash")
    short = {"clash": sim_counts["clash"], "joint": sim_counts["joint"].iloc[1:]}
    with pytest.raises(ValueError, match="common window"):
        fit_comparative(short, IV, reference="clash")
    zero = {"clash": sim_counts["clash"], "joint": sim_counts["joint"] * 0}
    with pytest.raises(ValueError, match="zero in every period"):
        fit_comparative(zero, IV, reference="clash", model="quasipoisson")
    with pytest.raises(ValueError, match="model must be one of"):
        fit_comparative(s, IV, reference="clash", model="arima")


def test_alpha_given_to_the_fit_is_the_default_for_intervals(sim_counts) -> None:
    r90 = fit_its(sim_counts["clash"], IV, "quasipoisson", alpha=0.10)
    r95 = fit_its(sim_counts["clash"], IV, "quasipoisson")
    w90 = (r90.tidy()["ci_high"] - r90.tidy()["ci_low"]).to_numpy()
    w95 = (r95.tidy()["ci_high"] - r95.tidy()["ci_low"]).to_numpy()
    assert (w90 < w95).all()
    pd.testing.assert_frame_equal(r90.tidy(), r95.tidy(alpha=0.10))
    with pytest.raises(ValueError, match="alpha"):
        fit_its(sim_counts["clash"], IV, "quasipoisson", alpha=1.5)


def test_share_model_recovers_known_odds_ratio() -> None:
    """Nearly exact proportions (a +/-1e-5 wiggle on the logit so the fit is not perfect): the share's odds
    jump by a factor 2 at the intervention, no trend change; recovered to 1e-4."""
    t = np.arange(48.0)
    logit = -1.0 + 0.01 * t + np.where(t >= 24, np.log(2.0), 0.0) + 1e-5 * np.cos(np.pi * t)
    p = 1 / (1 + np.exp(-logit))
    den = monthly(np.full(48, 1e4))
    num = monthly(p * 1e4)
    res = fit_share(num, den, {"iv": "2014-01"}, model="quasibinomial")
    t_ = res.tidy().set_index("term")
    assert t_.loc["level_iv", "ratio"] == pytest.approx(2.0, rel=1e-4)
    assert t_.loc["slope_iv", "estimate"] == pytest.approx(0.0, abs=1e-4)
    cf = res.counterfactual()
    np.testing.assert_allclose(cf["counterfactual"], 1 / (1 + np.exp(-(-1.0 + 0.01 * t))), rtol=1e-4)
