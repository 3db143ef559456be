"""Monthly and yearly series: sums, zero-fill inside coverage, NaN outside."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from externalize.registry import load_registry
from externalize.schema import conform_events, conform_yearly
from externalize.series import monthly_counts, select, undated_month_rows, yearly_counts


def _classified(df: pd.DataFrame, classes: list[str], fam_a: list, fam_b: list) -> pd.DataFrame:
    return df.assign(event_class=pd.array(classes, dtype="string"), family_a=pd.array(fam_a, dtype="string"),
                     family_b=pd.array(fam_b, dtype="string"), rule_id="R", rules_version="t")


@pytest.fixture()
def registry():
    reg = load_registry()
    return {k: reg[k] for k in ("nesser_cym", "ucdp_ged_syria", "ucdp_nonstate", "ucdp_ged_syria_iraq")}


@pytest.fixture()
def events():
    raw = pd.DataFrame({
        "source": ["nesser_cym"] * 4 + ["ucdp_ged_syria"] * 3 + ["ucdp_ged_syria_iraq"],
        "event_id": [str(i) for i in range(8)],
        "year": [2014, 2014, 2014, 2015, 2016, 2016, 2016, 2014],
        "month": [8, 8, 9, 1, 1, 1, 3, pd.NA],
        "day": [pd.NA] * 4 + [5, 6, 7, pd.NA],
        "date_precision": ["month"] * 4 + ["day"] * 3 + ["year"],
        "date": pd.to_datetime(["2014-08-01", "2014-08-01", "2014-09-01", "2015-01-01", "2016-01-05",
                                "2016-01-06", "2016-03-07", "2014-01-01"]),
        "n": [2, 1, 3, 1, 1, 1, 1, 1],
        "fatalities": [np.nan, 1.0, np.nan, 12.0, 3.0, 4.0, np.nan, 2.0],
    })
    return _classified(conform_events(raw),
                       ["external", "external", "external", "external", "clash", "joint", "other", "clash"],
                       ["JIH", "JIH", "JIH", "JIH", "IS", "AQ+IS", "AQ", "IS"],
                       [None, None, None, None, "AQ", "other", "other", "AQ"])


def test_monthly_sums_zero_fill_and_nan_outside_coverage(events, registry):
    m = monthly_counts(events, registry, pd.Period("2014-06", "M"), pd.Period("2016-03", "M"))
    ext = select(m, "nesser_cym", "external", "all")
    assert ext[pd.Period("2014-08", "M")] == 3.0          # 2 + 1: n is summed
    assert ext[pd.Period("2014-09", "M")] == 3.0
    assert ext[pd.Period("2014-07", "M")] == 0.0          # covered, nothing happened: zero
    assert ext.sum() == 7.0
    ged = m[(m.source == "ucdp_ged_syria") & (m.event_class == "clash") & (m.family == "all")]
    before = ged[ged.period < pd.Period("2016-01", "M")]
    assert before["count"].isna().all() and not before["in_coverage"].any()   # GED Syria starts 2016-01
    assert ged.set_index("period").loc[pd.Period("2016-01", "M"), "count"] == 1.0
    # a class with no rows in a covered month is an explicit zero
    joint = select(m, "ucdp_ged_syria", "joint", "all")
    assert joint[pd.Period("2016-02", "M")] == 0.0 and joint.sum() == 1.0
    # year-only source is not in the monthly series at all
    assert "ucdp_ged_syria_iraq" not in set(m["source"])
    # the 'all' class equals the sum of the classes
    tot = select(m, "ucdp_ged_syria", "all", "all")
    parts = sum(select(m, "ucdp_ged_syria", c, "all") for c in ("clash", "joint", "other", "external", "none"))
    pd.testing.assert_series_equal(tot, parts, check_names=False)


def test_family_label_uses_side_b_when_side_a_has_no_family(events, registry):
    ev = events.copy()
    ev.loc[6, "family_a"] = "coalition"
    ev.loc[6, "family_b"] = "IS"
    m = monthly_counts(ev, registry, pd.Period("2016-01", "M"), pd.Period("2016-03", "M"))
    assert select(m, "ucdp_ged_syria", "other", "IS").sum() == 1.0


def test_yearly_counts_include_event_and_yearly_sources(events, registry):
    yr_raw = conform_yearly(pd.DataFrame({"source": ["ucdp_nonstate"] * 2, "record_id": ["a", "b"],
                                          "year": [2013, 2014], "n": [1, 1], "fatalities": [30.0, 50.0]}))
    yr = _classified(yr_raw, ["joint", "clash"], ["AQ+IS", "IS"], ["other", "AQ"])
    y = yearly_counts(events, yr, registry, 2012, 2016)
    clash = y[(y.event_class == "clash") & (y.family == "all")].set_index(["source", "year"])["count"]
    assert clash[("ucdp_nonstate", 2014)] == 1.0 and clash[("ucdp_nonstate", 2012)] == 0.0
    assert clash[("ucdp_ged_syria_iraq", 2014)] == 1.0
    assert np.isnan(clash[("ucdp_ged_syria", 2015)])       # before GED Syria coverage
    ext = y[(y.source == "nesser_cym") & (y.event_class == "external") & (y.family == "all")]
    assert ext.set_index("year").loc[2014, "count"] == 6.0
    gs = y[(y.source == "ucdp_ged_syria")].drop_duplicates("year").set_index("year")["months_covered"]
    assert gs[2016] == 12 and gs[2015] == 0


def test_undated_month_rows(events):
    assert undated_month_rows(events).to_dict() == {"ucdp_ged_syria_iraq": 1}


def test_select_unknown_series_is_a_clear_error(events, registry):
    m = monthly_counts(events, registry, pd.Period("2014-06", "M"), pd.Period("2014-12", "M"))
    with pytest.raises(KeyError, match="no monthly series"):
        select(m, "nesser_cym", "clash", "IS")


def _monthly_counts_before(events, registry, start, end):
    """monthly_counts as it was before the grouped-count rewrite (a set of all source names rebuilt per
    source, a Python lambda per group): the reference the rewrite must reproduce exactly."""
    from externalize.series import CLASSES, MONTHLY_COLUMNS, _family_label, _grid

    def _with_totals(df):   # the 'all' class and family groups as copies of the rows, as the old code made them
        both = pd.concat([df, df.assign(event_class="all")], ignore_index=True)
        return pd.concat([both, both.assign(family="all")], ignore_index=True)

    def _class_family_keys(df):
        keys = {}
        for s, g in df.groupby("source", observed=True, sort=True):
            seen = set(zip(g["event_class"].astype(str), g["family"].astype(str)))
            seen |= {(c, "all") for c in (*CLASSES, "all")}
            keys[str(s)] = sorted(seen)
        return keys

    months = pd.period_range(start, end, freq="M")
    monthly_sources = [k for k, s in registry.items() if s.table == "events" and s.frequency in ("day", "month")]
    ev = events[events["source"].isin(monthly_sources) & events["date_precision"].isin(["day", "month"])]
    ev = ev.assign(period=ev["date"].dt.to_period("M"))
    ev = ev[(ev["period"] >= start) & (ev["period"] <= end)]
    src = pd.DataFrame({"source": ev["source"].astype("string"), "event_class": ev["event_class"].astype("string"),
                        "family": _family_label(ev), "period": ev["period"], "n": ev["n"].astype("float64"),
                        "fatalities": ev["fatalities"].astype("float64")})
    src = _with_totals(src)
    agg = src.groupby(["source", "event_class", "family", "period"], observed=True, sort=False).agg(
        count=("n", "sum"), fatalities=("fatalities", lambda x: x.sum(min_count=1)))
    present = [s for s in monthly_sources if s in set(events["source"].astype(str))]
    grid = _grid(present, _class_family_keys(src[src["source"].isin(present)]), pd.Index(months), "period")
    out = grid.merge(agg.reset_index(), on=["source", "event_class", "family", "period"], how="left")
    cov_start = out["source"].map(lambda s: registry[s].coverage_start)
    cov_end = out["source"].map(lambda s: registry[s].coverage_end)
    out["in_coverage"] = (out["period"] >= cov_start) & (out["period"] <= cov_end)
    out["count"] = out["count"].fillna(0.0).where(out["in_coverage"], np.nan)
    out["fatalities"] = out["fatalities"].where(out["in_coverage"], np.nan)
    return out[MONTHLY_COLUMNS].sort_values(["source", "event_class", "family", "period"]).reset_index(drop=True)


def test_monthly_counts_grouped_rewrite_gives_identical_output(registry):
    """A seeded random event table (3 monthly sources, all classes and families, missing fatalities, rows
    outside the window and year-only rows): the grouped-count version equals the previous code exactly."""
    rng = np.random.default_rng(7)
    n = 3000
    sources = np.array(["nesser_cym", "ucdp_ged_syria", "ucdp_ged_syria_iraq"])
    src = sources[rng.integers(0, 3, n)]
    dates = pd.Timestamp("2010-01-01") + pd.to_timedelta(rng.integers(0, 365 * 9, n), unit="D")
    fat = rng.poisson(2, n).astype(float)
    fat[rng.random(n) < 0.3] = np.nan
    prec = np.where(src == "ucdp_ged_syria_iraq", "year", np.where(src == "nesser_cym", "month", "day"))
    raw = pd.DataFrame({"source": src, "event_id": [str(i) for i in range(n)], "year": dates.year,
                        "month": dates.month, "day": dates.day, "date_precision": prec, "date": dates,
                        "n": rng.integers(1, 3, n), "fatalities": fat})
    classes = ["clash", "joint", "external", "other", "none"]
    fams = np.array(["AQ", "IS", "AQ+IS", "JIH", None], dtype=object)
    ev = _classified(conform_events(raw), list(np.array(classes)[rng.integers(0, 5, n)]),
                     list(fams[rng.integers(0, 5, n)]), list(fams[rng.integers(0, 5, n)]))
    start, end = pd.Period("2011-01", "M"), pd.Period("2017-12", "M")
    new = monthly_counts(ev, registry, start, end)
    old = _monthly_counts_before(ev, registry, start, end)
    assert len(new) > 1000 and new["count"].notna().sum() > 0 and new["fatalities"].isna().sum() > 0
    pd.testing.assert_frame_equal(new, old)


def test_monthly_and_yearly_counts_are_missing_in_a_coverage_hole(events, registry):
    import dataclasses

    from externalize.registry import CoverageHole
    holed = dict(registry)
    holed["nesser_cym"] = dataclasses.replace(
        registry["nesser_cym"], coverage_holes=(CoverageHole(pd.Period("2014-09", "M"), pd.Period("2014-12", "M"),
                                                             "test hole"),))
    m = monthly_counts(events, holed, pd.Period("2014-07", "M"), pd.Period("2015-02", "M"))
    s = m.query("source == 'nesser_cym' and event_class == 'external' and family == 'all'").set_index("period")
    assert s.loc[pd.Period("2014-08", "M"), "count"] == 3.0
    assert s.loc[pd.Period("2014-09", "M"):pd.Period("2014-12", "M"), "count"].isna().all()   # 3 events there: unknown
    assert s.loc[pd.Period("2015-01", "M"), "count"] == 1.0
    y = yearly_counts(events, events.iloc[:0], holed, 2014, 2014)   # no yearly-source rows
    row = y.query("source == 'nesser_cym' and event_class == 'all' and family == 'all'")
    assert row["months_covered"].item() == 8    # 12 minus the 4 hole months: a partial year, not a full one


def test_select_refuses_a_window_with_a_coverage_hole_inside(events, registry):
    import dataclasses

    from externalize.registry import CoverageHole
    from externalize.series import CoverageGapError
    holed = dict(registry)
    holed["nesser_cym"] = dataclasses.replace(
        registry["nesser_cym"], coverage_holes=(CoverageHole(pd.Period("2014-09", "M"), pd.Period("2014-12", "M"),
                                                             "test hole"),))
    m = monthly_counts(events, holed, pd.Period("2014-07", "M"), pd.Period("2015-02", "M"))
    with pytest.raises(CoverageGapError, match="no coverage from 2014-09 to 2014-12"):
        select(m, "nesser_cym", "external")
    after = select(m, "nesser_cym", "external", start=pd.Period("2015-01", "M"))   # one side of the hole
    assert list(after.index.astype(str)) == ["2015-01", "2015-02"] and after.tolist() == [1.0, 0.0]
