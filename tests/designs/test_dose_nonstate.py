"""Dose-response distributed-lag models (seeded simulation with a known lag effect), the non-state series,
the UCDP share, the joint-operations table and the [designs] settings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from externalize.config import DesignSettings, design_settings
from externalize.designs.cooperation import pair_table
from externalize.designs.did import DesignError
from externalize.designs.dose import dose_response, fit_dose, lagged_design
from externalize.designs.nonstate import fatalities_monthly, ucdp_share
from externalize.errors import ConfigError


def _strikes(n: int, seed: int) -> pd.Series:
    idx = pd.period_range("1990-01", periods=n, freq="M")
    rng = np.random.default_rng(seed)
    return pd.Series(rng.integers(0, 600, n).astype(float), index=idx)


def test_lagged_design_columns_and_refusal() -> None:
    s = _strikes(30, 1)
    y = pd.Series(1.0, index=s.index[6:])
    X = lagged_design(y, s, max_lag=6, seasonality=1)
    assert list(X.columns) == ["const", "trend", "sin1", "cos1"] + [f"dose_lag{i}" for i in range(7)]
    assert X["dose_lag2"].iloc[0] == s.iloc[4] / 100
    with pytest.raises(DesignError, match="missing"):
        lagged_design(pd.Series(1.0, index=s.index), s, max_lag=1)


@pytest.mark.parametrize("model", ["quasipoisson_floor1", "negbin_hac"])
def test_simulated_lag_effect_is_recovered(model: str) -> None:
    """y ~ Poisson(exp(1 + 0.3 s_{t-1} - 0.1 s_{t-3})), s in hundreds; 600 months, seed 7. Tolerance: the true
    value inside the 95% interval and the estimate within 4 standard errors (checked per lag and summed)."""
    s = _strikes(606, 7)
    idx = s.index[6:]
    d = s / 100
    mu = np.exp(1.0 + 0.3 * d.shift(1) - 0.1 * d.shift(3)).reindex(idx)
    y = pd.Series(np.random.default_rng(7).poisson(mu.to_numpy()), index=idx, dtype=float)
    rows, disp = fit_dose(y.rename("y"), lagged_design(y, s, 6, seasonality=0), model)
    r = {row["term"]: row for row in rows}
    truth = {"dose_lag0": 0.0, "dose_lag1": 0.3, "dose_lag2": 0.0, "dose_lag3": -0.1, "cumulative": 0.2}
    for term, b in truth.items():
        assert r[term]["ci_low"] <= b <= r[term]["ci_high"], (term, r[term])
        assert abs(r[term]["estimate"] - b) < 4 * r[term]["std_error"]
    if model == "quasipoisson_floor1":
        assert disp >= 1.0                   # floored: never narrower than Poisson


def test_dose_response_table_records_unfittable_outcomes() -> None:
    s = _strikes(40, 3)
    y = pd.Series(np.random.default_rng(3).poisson(3, 40), index=s.index, dtype=float)
    out = dose_response({"y": (y, "y label"), "zeros": (y * 0, "zeros")}, {"s": s},
                        start=s.index[8], end=s.index[-1], campaign_start=s.index[20], max_lag=2, seasonality=0)
    assert set(out["sample"]) == {"with pre-campaign zeros", "campaign months only"}
    assert (out.loc[out["outcome"] == "zeros", "term"] == "not fitted").all()
    ok = out[(out["outcome"] == "y") & (out["term"] == "cumulative")]
    assert len(ok) == 4 and np.allclose(ok["rate_ratio"], np.exp(ok["estimate"]))


def _ged_events(rows: list[tuple[str, str, int, float]]) -> pd.DataFrame:
    return pd.DataFrame({"source": "ucdp_ged_country_month", "country": [r[0] for r in rows],
                         "date": pd.to_datetime([r[1] for r in rows]), "type_of_violence": [r[2] for r in rows],
                         "fatalities": [r[3] for r in rows]})


def test_fatalities_monthly_zero_fill() -> None:
    ev = _ged_events([("Syria", "2014-01-01", 2, 1987.0), ("Syria", "2014-01-01", 1, 3657.0),
                      ("Iraq", "2014-02-01", 2, 5.0)])
    out = fatalities_monthly(ev, pd.Period("2014-01", "M"), pd.Period("2014-03", "M"),
                             countries={"Syria": "Syria", "Iraq": "Iraq"}).set_index(["country", "period"])
    assert len(out) == 6
    assert out.loc[("Syria", pd.Period("2014-01", "M")), "non_state"] == 1987
    assert out.loc[("Syria", pd.Period("2014-01", "M")), "state_based"] == 3657
    assert out.loc[("Syria", pd.Period("2014-02", "M")), "non_state"] == 0
    with pytest.raises(DesignError, match="no rows for"):
        fatalities_monthly(ev, pd.Period("2014-01", "M"), pd.Period("2014-03", "M"), countries={"Yemen": "Yemen"})


def test_ucdp_share_by_family_and_class() -> None:
    y = pd.DataFrame({"source": "ucdp_nonstate", "country": "Syria", "year": 2014,
                      "family_a": ["IS", "other", "AQ+IS", "AQ"], "family_b": ["AQ", "IS", "other", "other"],
                      "event_class": ["clash", "other", "joint", "other"], "fatalities": [100.0, 50.0, 10.0, 40.0]})
    s = ucdp_share(y, years=(2014,)).iloc[0]
    assert s["total"] == 200 and s["with_is"] == 160 and s["is_vs_nusra_lineage"] == 100
    assert s["is_and_nusra_same_side"] == 10 and s["share_is_vs_nusra_lineage"] == pytest.approx(0.5)


def test_pair_table() -> None:
    g = ["ISIL", "ANF", "ASIM"]
    joint = pd.DataFrame([[0, 12, 3], [12, 0, 88], [3, 88, 1]], index=g, columns=g, dtype=float)
    fight = pd.DataFrame([[0, 69, 41], [69, 0, 2], [41, 2, 0]], index=g, columns=g, dtype=float)
    t = pair_table(joint, fight).set_index(["pair", "measure"])
    assert t.loc[("ISIL-ANF", "joint operations (period not stated)"), "count"] == 12
    assert t.loc[("ISIL-ANF", "infighting incidents, 2014"), "count"] == 69
    assert t.loc[("ANF-all others", "joint operations (period not stated)"), "count"] == 100   # diagonal left out
    assert t.loc[("ANF: top partners", "joint operations (period not stated)"), "detail"] == "ASIM 88, ISIL 12"
    with pytest.raises(DesignError):
        pair_table(joint.drop(index="ANF", columns="ANF"), fight)


def test_design_settings() -> None:
    assert design_settings({}) == DesignSettings()
    s = design_settings({"ri_draws": 19, "splice_seam": "2015-03"})
    assert s.ri_draws == 19 and s.month("splice_seam") == pd.Period("2015-03", "M")
    for table, match in [({"ri_draw": 1}, "unknown key 'ri_draw'; did you mean 'ri_draws'"),
                         ({"ri_draws": "many"}, "expected int"), ({"dose_end": "2016-13"}, "YYYY-MM"),
                         ({"ri_draws": -1}, ">= 0")]:
        with pytest.raises(ConfigError, match=match):
            design_settings(table)


def test_a_sample_without_its_lags_is_not_fitted_under_either_model() -> None:
    """The lagged design is built once per sample: when a lag of the strike series is missing, both models
    get a "not fitted" row naming the missing month (nothing dropped)."""
    s = _strikes(40, 3)
    s.iloc[10] = np.nan                                   # a month the lags of the whole sample need
    y = pd.Series(np.random.default_rng(3).poisson(3, 40), index=s.index, dtype=float)
    out = dose_response({"y": (y, "y label")}, {"s": s}, start=s.index[8], end=s.index[-1],
                        campaign_start=s.index[20], max_lag=2, seasonality=0)
    pre = out[out["sample"] == "with pre-campaign zeros"]
    assert sorted(pre["model"]) == ["negbin_hac", "quasipoisson_floor1"]
    assert (pre["term"] == "not fitted").all() and pre["label"].str.contains(str(s.index[10])).all()
    assert (out.loc[out["sample"] == "campaign months only", "term"] != "not fitted").all()
