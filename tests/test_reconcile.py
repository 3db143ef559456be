"""Reconciliation of overlapping sources: hand-made event tables with known disagreements, and the real GTD
copies (counts the MANIFEST states)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from externalize import reconcile as rc
from externalize.locate import locate_source
from externalize.registry import load_registry
from externalize.schema import conform_events
from externalize.sources import adapter_for


def _events(source: str, rows: list[tuple[str, str, str | None, str]]) -> pd.DataFrame:
    """rows: (event_id, date 'YYYY-MM-DD', side_a, precision)."""
    d = pd.to_datetime(pd.Series([r[1] for r in rows]))
    prec = pd.Series([r[3] for r in rows])
    return conform_events(pd.DataFrame({
        "source": source, "event_id": [r[0] for r in rows], "year": d.dt.year,
        "month": d.dt.month.where(prec != "year"), "day": d.dt.day.where(prec == "day"),
        "date_precision": prec, "date": d, "side_a": [r[2] for r in rows], "relation": "attack", "n": 1}))


WORLD = _events("gtd_world_inc", [
    ("1", "2012-01-01", "Islamic State of Iraq (ISI)", "month"),
    ("2", "2012-02-01", "Unknown", "month"),
    ("3", "2013-05-01", "Al-Nusrah Front", "month"),
    ("4", "2013-05-01", "Taliban", "month"),
    ("5", "2014-01-01", "Unknown", "year"),
])
G0814 = _events("gtd0814", [
    ("1", "2012-01-03", "Islamic State of Iraq (ISI)", "day"),
    ("2", "2012-02-04", "Unknown", "day"),
    ("9", "2012-03-04", "Islamic State of Iraq (ISI) | Al-Nusrah Front", "day"),
    ("3", "2013-05-06", "Al-Nusrah Front", "day"),
])


def test_world_inc_vs_gtd0814_by_year_and_group() -> None:
    out = rc.world_inc_vs_gtd0814(WORLD, G0814, first=2012, last=2013)
    years = out[out["group"].isna()].set_index("key")
    assert years.loc["2012", ["count_a", "count_b", "difference"]].tolist() == [2, 3, -1]
    assert years.loc["2013", ["count_a", "count_b", "difference"]].tolist() == [2, 1, 1]
    grp = out[out["group"].notna()].set_index(["key", "group"])
    assert grp.loc[("2012", "Islamic State of Iraq (ISI)"), "difference"] == -1  # first perpetrator of row 9
    assert grp.loc[("2013", "Al-Nusrah Front"), "difference"] == 0
    assert "Taliban" not in set(grp.index.get_level_values("group"))  # not a family-relevant name
    named = rc.world_inc_vs_gtd0814(WORLD, G0814, groups=["Taliban"], first=2012, last=2013)
    assert named[named["group"] == "Taliban"]["count_a"].tolist() == [1]


def test_world_inc_vs_france_events() -> None:
    france = _events("gtd_france", [("3", "2013-05-06", "Al-Nusrah Front", "day"),
                                    ("4", "2013-05-07", "Unknown", "day"),
                                    ("77", "2013-06-01", "Unknown", "day")])
    out = rc.world_inc_vs_france(WORLD, france)
    absent = out[out["comparison"].str.contains("absent")]
    assert absent["key"].tolist() == ["77"]
    differs = out[out["comparison"].str.startswith("first perpetrator differs")]
    assert differs["key"].tolist() == ["4"] and differs["group"].item() == "Unknown / Taliban"
    assert set(rc.disagreements(out)["key"]) == {"2013", "77", "4"}


def test_us_and_degraded_monthly() -> None:
    us = _events("gtd_us", [("1", "2015-12-02", "Jihadi-inspired extremists", "day"),
                            ("2", "2015-12-20", "Anti-Government extremists", "day"),
                            ("3", "2016-06-12", "Jihadi-inspired extremists", "day")])
    csis = _events("csis_us", [("1", "2015-12-02", "Religious", "day"), ("2", "2015-12-11", "Religious", "day"),
                               ("3", "2016-06-12", "Violent Far-right", "day")])
    out = rc.gtd_us_vs_csis(us, csis, "2015-11", "2016-06").set_index("key")
    assert len(out) == 8
    assert out.loc["2015-12", ["count_a", "count_b"]].tolist() == [1, 2]
    assert out.loc["2016-06", ["count_a", "count_b"]].tolist() == [1, 0]
    assert out.loc["2015-11", "difference"] == 0
    deg = _events("gtd_0718_degraded", [("0", "2012-01-05", None, "day"), ("1", "2012-01-06", None, "day"),
                                        ("2", "2012-01-01", None, "year")])
    m = rc.degraded_vs_world_inc(deg, WORLD, "2012-01", "2012-02").set_index("key")
    assert m.loc["2012-01", ["count_a", "count_b"]].tolist() == [2, 1]   # the year-precision row is not a month
    assert m.loc["2012-02", ["count_a", "count_b"]].tolist() == [0, 1]


def test_reconcile_runs_what_is_present() -> None:
    out = rc.reconcile({"gtd_world_inc": WORLD, "gtd0814": G0814})
    assert set(out["comparison"].str.slice(0, 20)) == {"world_inc vs gtd0814"}
    assert list(rc.reconcile({}).columns) == rc.COLUMNS


@pytest.mark.realdata
@pytest.mark.slow
def test_real_reconciliation(shared_data_dir: Path) -> None:
    reg = load_registry()
    ev = {}
    for key in ("gtd_world_inc", "gtd0814", "gtd_france", "gtd_us", "csis_us", "gtd_0718_degraded"):
        spec = reg[key]
        files = {r: lf.path for r, lf in locate_source(spec, shared_data_dir).items()}
        ev[key] = adapter_for(spec.adapter).read(spec, files).events
    out = rc.reconcile(ev)
    years = out[(out["comparison"] == "world_inc vs gtd0814 by year")].set_index("key")
    # MANIFEST: world_inc lacks events without coordinates, 2000 badly (1,257 rows)
    assert years.loc["2000", "count_a"] == 1_257 and (years.loc["2000", "count_b"] - 1_257) > 500
    # every France_inc event is in world_inc, with the same first perpetrator
    fr = out[out["comparison"].str.contains("France")]
    assert fr[fr["unit"] == "event"].empty and (fr["difference"] == 0).all()
    deg = out[out["comparison"].str.startswith("events per month: degraded")]
    in2014 = deg[deg["key"].str.startswith("2014")]
    degraded_2014 = ev["gtd_0718_degraded"]
    month_dated = degraded_2014[(degraded_2014["year"] == 2014) & (degraded_2014["date_precision"] != "year")]
    assert in2014["count_a"].sum() == len(month_dated) <= 16_903
    assert (in2014["difference"] >= 0).all()  # world_inc never has more events in a 2014 month
    us = out[out["comparison"].str.startswith("US jihadist")]
    assert len(us) == 48 and us["count_b"].sum() == 40  # CSIS 'Religious' 2013-2016 (4 + 4 + 21 + 11)


# ---------------------------------------------------------------- published counts against the data
def _plot_cells(source: str, cells: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    """cells: (country, 'YYYY-MM', launched|foiled, n) as the plot adapters write them."""
    d = pd.to_datetime(pd.Series([c[1] + "-01" for c in cells]))
    return pd.DataFrame({"source": source, "event_id": [f"{c[0]}:{c[1]}:{c[2]}" for c in cells],
                         "year": d.dt.year, "date_precision": "month", "date": d,
                         "country": [c[0] for c in cells], "plot_status": [c[2] for c in cells],
                         "n": [c[3] for c in cells], "family_a": "JIH"})


def _published_fixture() -> pd.DataFrame:
    nesser = _plot_cells("nesser_cym", [
        ("France", "2014-05", "launched", 4),     # before June 2014: out
        ("France", "2014-06", "launched", 2),     # first month: in
        ("Belgium", "2016-03", "launched", 3),
        ("UK", "2017-06", "launched", 1),         # last month: in
        ("UK", "2017-07", "launched", 5),         # after: out
        ("France", "2015-01", "foiled", 6),       # foiled: not an attack
        ("France", "2010-02", "foiled", 7),       # the pre-2014 record year: 7 + 0 = 7 plots
        ("Spain", "2014-09", "foiled", 6),        # 2014 plots: 4 + 2 + 6 = 12 (> 7)
    ])
    crenshaw = _plot_cells("crenshaw_cym", [
        ("US", "2015-12", "launched", 2), ("Canada", "2014-10", "launched", 1),
        ("France", "2015-01", "launched", 9),     # Europe: not North America
        ("US", "2014-05", "launched", 3),         # before June 2014: out
    ])
    pirus = pd.DataFrame({"source": "pirus", "event_id": [str(i) for i in range(6)], "year": 2015,
                          "date_precision": "day", "date": pd.Timestamp("2015-03-01"), "country": "United States",
                          "plot_status": pd.NA, "n": 1, "family_a": ["IS", "IS", "IS", "AQ", "AQ+IS", "other"]})
    return pd.concat([nesser, crenshaw, pirus], ignore_index=True)


def test_published_counts_hand_computed() -> None:
    pc = rc.published_counts(_published_fixture()).set_index("claim_id")
    assert list(pc.columns) == rc.PUBLISHED_COLUMNS[1:]
    assert pc.loc["V1a", "this_data"] == 2 + 3 + 1                    # Nesser launched 2014-06 .. 2017-06
    assert pc.loc["V1b", "this_data"] == 2 + 1                        # Crenshaw US + Canada in the window
    assert pc.loc["V1c", "this_data"] == 9 and pc.loc["V1c", "difference"] == 9 - 51
    assert "2015-12" in pc.loc["V1b", "definition_here"]              # the source's last month, read from the data
    assert pd.isna(pc.loc["V2", "this_data"]) and pd.isna(pc.loc["H1", "this_data"])   # not measured
    assert pc.loc["H2", "this_data"] == 3 and "(3 to 1) points the same way" in pc.loc["H2", "explanation"]
    assert pd.isna(pc.loc["H2", "difference"])                        # people against attacks: no difference
    # Nesser et al.: plots per year (launched + foiled) against the highest earlier year (2010: 7)
    assert pc.loc["N2014", "this_data"] == 12 and pc.loc["N2014", "explanation"].startswith("Agrees")
    assert pc.loc["N2015", "this_data"] == 6 and pc.loc["N2015", "explanation"].startswith("Does not agree")
    assert pc.loc["N2016", "this_data"] == 3
    assert pc.loc["Nmean", "this_data"] == pytest.approx((12 + 6 + 3) / 3)      # = 7: not above 7
    assert pc.loc["Nmean", "explanation"].startswith("Does not agree")
    assert pd.isna(pc.loc["N2014", "published"])                      # the claim has no number


def test_published_counts_without_the_sources_say_not_measured() -> None:
    pc = rc.published_counts(_published_fixture()[lambda d: d["source"] == "pirus"]).set_index("claim_id")
    assert pd.isna(pc.loc["V1a", "this_data"]) and pd.isna(pc.loc["V1b", "this_data"])
    assert "V1c" not in pc.index and not any(i.startswith("N") for i in pc.index)


@pytest.mark.realdata
def test_published_counts_on_the_real_plot_data(shared_data_dir: Path) -> None:
    """Nesser and Crenshaw as the adapters read them: 36 launched plots in Western Europe June 2014 - June 2017,
    13 in the US and Canada June 2014 - December 2016 (the Crenshaw data end), 49 together against the published
    51; in Nesser's data 2015 and 2016 exceed every earlier year, 2014 does not."""
    reg = load_registry()
    frames = []
    for key in ("nesser_cym", "crenshaw_cym"):
        spec = reg[key]
        files = {r: lf.path for r, lf in locate_source(spec, shared_data_dir).items()}
        frames.append(adapter_for(spec.adapter).read(spec, files).events)
    pc = rc.published_counts(pd.concat(frames, ignore_index=True)).set_index("claim_id")
    assert (pc.loc["V1a", "this_data"], pc.loc["V1b", "this_data"], pc.loc["V1c", "this_data"]) == (36, 13, 49)
    assert "2016-12" in pc.loc["V1b", "definition_here"]
    assert [pc.loc[f"N{y}", "explanation"].split(":")[0] for y in (2014, 2015, 2016)] == [
        "Does not agree", "Agrees", "Agrees"]
