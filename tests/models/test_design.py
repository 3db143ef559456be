"""Design matrix: hand-checked small cases and every refusal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from models_helpers import monthly

from externalize.models import fit_its, fit_share
from externalize.models.design import as_monthly, build_design, hac_lag_rule


def test_design_by_hand_two_interventions_and_fourier() -> None:
    idx = pd.period_range("2014-01", periods=12, freq="M")
    d = build_design(idx, {"syria": "2014-09-23", "iraq": "2014-08-08"}, seasonality=1, min_pre=5,
                     impact={"syria": "level"})
    # interventions sorted by date; date strings map to their month
    assert list(d.interventions) == ["iraq", "syria"]
    assert d.interventions["iraq"] == pd.Period("2014-08", "M")
    assert list(d.X.columns) == ["const", "time", "level_iraq", "slope_iraq", "level_syria", "sin1", "cos1"]
    np.testing.assert_array_equal(d.X["time"], np.arange(12))
    np.testing.assert_array_equal(d.X["level_iraq"], [0] * 7 + [1] * 5)
    np.testing.assert_array_equal(d.X["slope_iraq"], [0] * 7 + [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(d.X["level_syria"], [0] * 8 + [1] * 4)
    # calendar-month harmonics: March -> sin(2 pi 3/12) = 1, cos = 0; December -> sin 0, cos 1
    assert d.X["sin1"].iloc[2] == pytest.approx(1.0)
    assert d.X["cos1"].iloc[2] == pytest.approx(0.0, abs=1e-12)
    assert d.X["cos1"].iloc[11] == pytest.approx(1.0)
    np.testing.assert_array_equal(d.post, [False] * 7 + [True] * 5)
    cf = d.counterfactual_X()
    assert (cf[["level_iraq", "slope_iraq", "level_syria"]] == 0).all().all()
    pd.testing.assert_frame_equal(cf[["const", "time", "sin1", "cos1"]], d.X[["const", "time", "sin1", "cos1"]])


def test_consecutive_month_interventions_with_level_and_slope_are_singular() -> None:
    # slope_a = slope_b + level_b when b starts one month after a: refused, with the terms named
    idx = pd.period_range("2013-01", periods=36, freq="M")
    with pytest.raises(ValueError, match="singular design.*slope_iraq.*level_syria.*slope_syria"):
        build_design(idx, {"iraq": "2014-08", "syria": "2014-09"})
    with pytest.raises(ValueError, match="not interventions"):
        build_design(idx, {"iraq": "2014-08"}, impact={"syria": "level"})


def test_washout_drops_months_of_first_intervention_only() -> None:
    idx = pd.period_range("2013-01", periods=24, freq="M")
    d = build_design(idx, {"a": "2014-01"}, washout=2)
    assert (~d.fit_mask).sum() == 2
    assert list(idx[~d.fit_mask].astype(str)) == ["2014-01", "2014-02"]


def test_impact_options() -> None:
    idx = pd.period_range("2013-01", periods=24, freq="M")
    assert [c for c in build_design(idx, {"a": "2014-01"}, impact="level").X.columns if "_a" in c] == ["level_a"]
    assert [c for c in build_design(idx, {"a": "2014-01"}, impact="slope").X.columns if "_a" in c] == ["slope_a"]
    with pytest.raises(ValueError, match="impact"):
        build_design(idx, {"a": "2014-01"}, impact="ramp")


@pytest.mark.parametrize(("n", "lag"), [(24, 2), (59, 3), (60, 3), (100, 4), (200, 4), (500, 5)])
def test_newey_west_lag_rule_closed_form(n: int, lag: int) -> None:
    # floor(4 (n/100)^(2/9)) evaluated by hand
    assert hac_lag_rule(n) == lag


def test_datetime_index_is_accepted() -> None:
    y = pd.Series([1.0, 2.0, 3.0], index=pd.date_range("2014-01-01", periods=3, freq="MS"))
    out = as_monthly(y)
    assert isinstance(out.index, pd.PeriodIndex)
    assert str(out.index[0]) == "2014-01"


# ------------------------------------------------------------------------------------------- refusals
def _y(n: int = 36) -> pd.Series:
    rng = np.random.default_rng(1)
    return monthly(10 + rng.normal(size=n), start="2012-01")


def test_refuses_short_pre_period_with_configurable_minimum() -> None:
    y = _y()
    with pytest.raises(ValueError, match="pre-intervention period is 6 months.*min_pre=8"):
        fit_its(y, {"a": "2012-07"})
    # the same series passes with a lower minimum
    assert fit_its(y, {"a": "2012-07"}, min_pre=6).params.shape[0] == 4


def test_refuses_all_zero_series() -> None:
    with pytest.raises(ValueError, match="zero in every period"):
        fit_its(monthly(np.zeros(36)), {"a": "2013-01"}, "poisson")
    with pytest.raises(ValueError, match="zero in every period"):
        fit_its(monthly(np.zeros(36)), {"a": "2013-01"}, "ols_hac")


@pytest.mark.parametrize("when", ["2011-12", "2012-01", "2015-01", "2020-05"])
def test_refuses_intervention_outside_window(when: str) -> None:
    with pytest.raises(ValueError, match="outside the window"):
        fit_its(_y(), {"a": when}, min_pre=0)


def test_refuses_singular_design() -> None:
    # two interventions in the same month: their level and slope columns are identical
    with pytest.raises(ValueError, match="singular design.*level_a.*level_b"):
        fit_its(_y(), {"a": "2013-06", "b": "2013-06"})
    # a washout covering every post month but one leaves level and slope inseparable from nothing -> refused
    with pytest.raises(ValueError, match="singular design|washout"):
        fit_its(_y(), {"a": "2014-11"}, washout=1)


def test_refuses_nan_and_gaps_and_non_monthly() -> None:
    y = _y()
    y.iloc[5] = np.nan
    with pytest.raises(ValueError, match="missing values inside the window.*2012-06"):
        fit_its(y, {"a": "2013-06"})
    gap = _y().drop(pd.Period("2012-05", "M"))
    with pytest.raises(ValueError, match="not contiguous"):
        fit_its(gap, {"a": "2013-06"})
    daily = pd.Series(np.arange(40.0), index=pd.period_range("2014-01-01", periods=40, freq="D"))
    with pytest.raises(ValueError, match="monthly"):
        fit_its(daily, {"a": "2014-01-20"})
    with pytest.raises(ValueError, match="pandas Series"):
        fit_its(np.arange(30.0), {"a": "2013-06"})  # type: ignore[arg-type]


def test_refuses_bad_offset_and_options() -> None:
    y = monthly(np.arange(1, 37))
    off = monthly(np.ones(36))
    off.iloc[3] = 0.0
    with pytest.raises(ValueError, match="offset values must be > 0"):
        fit_its(y, {"a": "2013-06"}, "poisson", offset=off)
    with pytest.raises(ValueError, match="offset applies to count models"):
        fit_its(y, {"a": "2013-06"}, "ols_hac", offset=monthly(np.ones(36)))
    with pytest.raises(ValueError, match="unknown model"):
        fit_its(y, {"a": "2013-06"}, "tobit")
    with pytest.raises(ValueError, match="negative"):
        fit_its(monthly(np.arange(36) - 3.0), {"a": "2013-06"}, "poisson")


def test_share_refusals() -> None:
    num = monthly(np.zeros(36))
    den = monthly(np.full(36, 5.0))
    with pytest.raises(ValueError, match="numerator is zero in every month"):
        fit_share(num, den, {"a": "2013-06"})
    with pytest.raises(ValueError, match="numerator <= denominator"):
        fit_share(monthly(np.full(36, 6.0)), den, {"a": "2013-06"})
    # zero denominators before the intervention can push the informative pre-period below min_pre
    d2 = den.copy()
    d2.iloc[:12] = 0.0
    n2 = monthly(np.ones(36))
    n2.iloc[:12] = 0.0
    with pytest.raises(ValueError, match="non-zero denominator"):
        fit_share(n2, d2, {"a": "2013-06"})
