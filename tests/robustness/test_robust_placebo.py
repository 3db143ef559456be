"""Placebo-in-time: fast path = slow path, eligibility rules, the empirical p-value formula."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from externalize.models import fit_its
from externalize.robustness import empirical_p_value, placebo_in_time, refit_schedules
from externalize.robustness.placebo import eligible_shifts


def test_empirical_p_value_hand_computed() -> None:
    # |placebo| >= 2: -3, 2.5, 2 -> 3 of 5; p = (1 + 3) / (1 + 5)
    assert empirical_p_value(2.0, np.array([-3.0, 0.5, 2.5, 2.0, -1.0])) == pytest.approx(4 / 6)
    assert empirical_p_value(-10.0, np.array([1.0, 2.0, 3.0])) == pytest.approx(1 / 4)


def test_eligible_shifts_hand_computed() -> None:
    # n = 40, one intervention at position 20, min_pre = 8, min_post = 6, exclude |s| <= 3:
    # first month at 20 + s >= 8 -> s >= -12; 40 - (20 + s) >= 6 -> s <= 14
    s = eligible_shifts(40, np.array([20]), min_pre=8, min_post=6, exclude_within=3)
    expected = [v for v in range(-12, 15) if abs(v) > 3]
    assert s.tolist() == expected
    # two interventions 2 months apart: the last one needs min_post months
    s2 = eligible_shifts(40, np.array([20, 22]), min_pre=8, min_post=6, exclude_within=0)
    assert s2.min() == -12 and s2.max() == 12 and 0 not in s2


@pytest.mark.parametrize("model,atol", [("ols_hac", 1e-10), ("poisson", 1e-6), ("quasipoisson", 1e-6)])
def test_fast_path_equals_fit_its_loop(counts_series: pd.Series, model: str, atol: float) -> None:
    iv = {"strikes": "2014-09"}
    shifts = np.array([-40, -20, 0, 15, 20])
    fast = refit_schedules(counts_series, iv, shifts, model, seasonality=1)
    slow = refit_schedules(counts_series, iv, shifts, model, seasonality=1, fast=False)
    for col in ("estimate", "std_error", "statistic", "p_value"):
        # tolerance: 1e-10 for OLS (batched QR vs statsmodels), 1e-6 for the IRLS counts models
        np.testing.assert_allclose(fast[col].to_numpy(), slow[col].to_numpy(), rtol=1e-6 if atol > 1e-9 else 1e-8,
                                   atol=atol)
    assert fast["period"].tolist() == [pd.Period("2014-09", "M") + int(s) for s in shifts]
    # both paths flag the same overdispersed Poisson fits
    assert (fast["warning"].str.contains("Overdispersion") == slow["warning"].str.contains("Overdispersion")).all()
    # and the real row is exactly the model suite's fit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Poisson overdispersion warnings are not the point here
        res = fit_its(counts_series, iv, model, seasonality=1)
    assert fast.loc[fast["shift"] == 0, "estimate"].item() == pytest.approx(res.params["level_strikes"], abs=atol)


def test_placebo_p_value_is_the_formula_applied_to_the_frame(counts_series: pd.Series) -> None:
    r = placebo_in_time(counts_series, {"x": "2014-09"}, "ols_hac", exclude_within=6)
    pl = r.frame[~r.frame["is_real"] & r.frame["used"]]
    real = r.frame.loc[r.frame["is_real"], "estimate"].item()
    assert r.real_estimate == real
    assert r.n_placebo == len(pl)
    assert r.p_value == pytest.approx((1 + (pl["estimate"].abs() >= abs(real)).sum()) / (1 + len(pl)))
    assert (r.frame.loc[~r.frame["is_real"], "shift"].abs() > 6).all()
    assert r.frame["shift"].is_monotonic_increasing


def test_a_strong_real_effect_ranks_first_among_placebos() -> None:
    # a flat series with one large jump at the real date: every placebo t is smaller in absolute value
    rng = np.random.default_rng(3)
    idx = pd.period_range("2008-01", periods=120, freq="M")
    y = pd.Series(10 + 8.0 * (np.arange(120) >= 80) + rng.normal(0, 1, 120), index=idx)
    r = placebo_in_time(y, {"x": "2014-09"}, "ols_hac", statistic="t", exclude_within=12)
    assert r.p_value == pytest.approx(1 / (1 + r.n_placebo))
    assert r.share_below == 1.0


def test_pre_only_fits_use_pre_intervention_months(counts_series: pd.Series) -> None:
    r = placebo_in_time(counts_series, {"x": "2014-09"}, "poisson", pre_only=True, min_pre=12, min_post=12)
    pl = r.frame[~r.frame["is_real"]]
    assert (pl["n"] == 80).all()  # 2008-01 .. 2014-08
    assert (pl["period"] <= pd.Period("2014-08", "M") - 11).all()  # >= 12 post months inside the pre-period
    assert pl["period"].min() == pd.Period("2009-01", "M")  # 12 months before the first fake date
    assert r.frame.loc[r.frame["is_real"], "n"].item() == 120


def test_refused_placebo_fits_are_rows_not_dropped(counts_series: pd.Series) -> None:
    # a 20-month washout leaves no post month for placebo dates less than 20 months before the end
    r = placebo_in_time(counts_series, {"x": "2012-01"}, "ols_hac", min_post=12, washout=20)
    refused = r.frame[r.frame["error"] != ""]
    assert len(refused) > 0 and r.n_failed == len(refused)
    assert refused["error"].str.contains("washout").all()
    assert not refused["used"].any()


def test_placebo_refuses_when_no_date_is_eligible(counts_series: pd.Series) -> None:
    with pytest.raises(ValueError, match="no eligible placebo date"):
        placebo_in_time(counts_series.iloc[:40], {"x": "2009-09"}, min_pre=16, min_post=16)


def test_placebo_grid_per_outcome_and_model(counts_series: pd.Series) -> None:
    from externalize.robustness import placebo_grid

    outcomes = {"external": counts_series, "too_short": counts_series.iloc[:30]}
    summary, dist = placebo_grid(outcomes, {"x": "2014-09"}, ("ols_hac", "poisson"))
    assert len(summary) == 4
    bad = summary[summary["outcome"] == "too_short"]
    assert bad["error"].str.len().gt(0).all() and bad["p_value"].isna().all()
    one = placebo_in_time(counts_series, {"x": "2014-09"}, "poisson")
    row = summary[(summary["outcome"] == "external") & (summary["model"] == "poisson")].iloc[0]
    assert row["p_value"] == one.p_value and row["n_placebo"] == one.n_placebo
    assert set(dist["model"]) == {"ols_hac", "poisson"} and set(dist["outcome"]) == {"external"}
    assert len(dist) == 2 * len(one.frame)


def test_refit_schedules_refuses_shifts_outside_the_window(counts_series: pd.Series) -> None:
    with pytest.raises(ValueError, match="outside the window"):
        refit_schedules(counts_series, {"x": "2014-09"}, np.array([0, 45]))
    with pytest.raises(ValueError, match="min_pre"):
        refit_schedules(counts_series, {"x": "2014-09"}, np.array([-75]), min_pre=8)
