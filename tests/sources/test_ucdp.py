"""UCDP adapters: Non-State, Battle-Related Deaths, One-Sided, the actor list, GED Syria and GED Syria-Iraq.

Hand-made fixtures (tests/fixtures/ucdp/) in the exact raw layouts check every value the adapters produce;
the realdata tests check the real files against the counts in MANIFEST.md and the ledger balance, and that the
IS vs al-Nusra / JFS / HTS rows and the 2013 same-side rows the clash and joint arms rest on are there.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import pandas as pd
import pytest

from externalize.errors import SourceFormatError
from externalize.locate import locate_source
from externalize.registry import load_registry
from externalize.schema import EVENT_COLUMNS, YEARLY_COLUMNS
from externalize.sources import adapter_for
from externalize.sources import lookup_only, ucdp_actors, ucdp_ged
from externalize.sources.base import AdapterOutput

REGISTRY = load_registry()


def run(key: str, path: Path, **roles: Path) -> AdapterOutput:
    spec = REGISTRY[key]
    out = adapter_for(spec.adapter).read(spec, {"main": path, **roles})
    out.check_balance(key)
    return out


@functools.cache
def run_real(key: str, data_dir: Path) -> AdapterOutput:
    """Read a real source once per test session (the 59k-row .rds takes a few seconds)."""
    spec = REGISTRY[key]
    files = {r: lf.path for r, lf in locate_source(spec, data_dir).items()}
    out = adapter_for(spec.adapter).read(spec, files)
    out.check_balance(key)
    return out


def row(df: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for col, value in where.items():
        mask &= df[col] == value
    assert mask.sum() == 1, f"expected exactly one row for {where}, found {int(mask.sum())}"
    return df[mask].iloc[0]


# ------------------------------------------------------------------ Non-State (fixture)
@pytest.mark.parametrize("name", ["nonstate_sample.csv", "nonstate_sample.csv.xz", "nonstate_sample.csv.gz"])
def test_nonstate_fixture_values_and_ledger(fixtures_dir: Path, name: str) -> None:
    out = run("ucdp_nonstate", fixtures_dir / "ucdp" / name)
    y = out.yearly
    assert out.rows_read == 12
    assert len(y) == 10
    assert out.excluded == {"no year": 1, "duplicate dyad-year": 1}
    assert list(y.columns) == list(YEARLY_COLUMNS)
    r = row(y, record_id="13813-2014")
    assert (r["side_a"], r["side_b"], r["year"], r["relation"], r["country"], r["n"]) == (
        "IS", "Jabhat Fateh al-Sham", 2014, "fighting", "Syria", 1)
    # the first of two rows with the same dyad-year is kept (97, not the repeated row's 98)
    assert (r["fatalities"], r["fatalities_low"], r["fatalities_high"]) == (97.0, 90.0, 120.0)
    # a coalition keeps UCDP's comma-separated string on its side
    r = row(y, record_id="13792-2013")
    assert r["side_b"] == "IS, Jabhat Fateh al-Sham" and r["side_a"] == "Jabhat al-Akrad, PYD"
    assert row(y, record_id="13813-2016")["country"] == "Lebanon, Syria"


def test_nonstate_missing_column_is_refused(fixtures_dir: Path) -> None:
    with pytest.raises(SourceFormatError, match="best_fatality_estimate"):
        run("ucdp_nonstate", fixtures_dir / "ucdp" / "nonstate_missing_column.csv")


@pytest.mark.parametrize("name", ["nonstate_truncated.csv.xz", "nonstate_cut_last_line.csv"])
def test_nonstate_truncated_file_is_refused(fixtures_dir: Path, name: str) -> None:
    with pytest.raises(SourceFormatError, match="truncated"):
        run("ucdp_nonstate", fixtures_dir / "ucdp" / name)


# ------------------------------------------------------------------ Battle-Related Deaths / One-Sided (fixture)
def test_battledeaths_fixture(fixtures_dir: Path) -> None:
    out = run("ucdp_battledeaths", fixtures_dir / "ucdp" / "battledeaths_sample.csv")
    y = out.yearly
    assert out.rows_read == len(y) == 4 and out.excluded == {}
    r = row(y, record_id="13637-2014")
    # primary sides only: the supporting states in side_a_2nd are not folded into side_a
    assert (r["side_a"], r["side_b"]) == ("Government of Iraq", "IS")
    assert (r["fatalities"], r["fatalities_low"], r["fatalities_high"]) == (9000.0, 8500.0, 9600.0)
    assert r["country"] == "Iraq, Syria"  # battle_location
    # battle_location empty -> location_inc
    assert row(y, record_id="13641-2015")["country"] == "Syria"


def test_onesided_fixture(fixtures_dir: Path) -> None:
    out = run("ucdp_onesided", fixtures_dir / "ucdp" / "onesided_sample.csv")
    y = out.yearly
    assert out.rows_read == 5 and len(y) == 4 and out.excluded == {"no year": 1}
    r = row(y, record_id="973-2014")
    assert r["side_a"] == "IS" and pd.isna(r["side_b"]) and r["relation"] == "attack"
    assert (r["fatalities"], r["country"]) == (4500.0, "Iraq, Syria")


def test_onesided_text_in_number_column_is_refused(fixtures_dir: Path) -> None:
    with pytest.raises(SourceFormatError, match="best_fatality_estimate"):
        run("ucdp_onesided", fixtures_dir / "ucdp" / "onesided_bad_number.csv")


# ------------------------------------------------------------------ lookup tables
def test_actor_list_fixture(fixtures_dir: Path) -> None:
    actors = ucdp_actors.load_actor_list(fixtures_dir / "ucdp" / "actors_sample.csv")
    assert actors["ActorId"].tolist() == [234, 1170, 6815, 3]
    jfs = actors.set_index("ActorId").loc[1170]
    assert jfs["NameData"] == "Jabhat Fateh al-Sham" and jfs["GroupName"] == "HTS"
    assert jfs["ActorIdGroup"] == "6815"
    out = run("ucdp_actors", fixtures_dir / "ucdp" / "actors_sample.csv")
    assert out.rows_read == 4 and out.rows_kept == 0
    assert out.excluded == {ucdp_actors.LOOKUP_REASON: 4}


def test_actor_list_duplicate_id_is_refused(fixtures_dir: Path) -> None:
    with pytest.raises(SourceFormatError, match="duplicate ActorId"):
        ucdp_actors.load_actor_list(fixtures_dir / "ucdp" / "actors_duplicate_id.csv")


def test_gname_list(tmp_path: Path) -> None:
    p = tmp_path / "gnames.txt"
    p.write_text("Islamic State of Iraq and the Levant (ISIL)\nAl-Nusrah Front\n\n  Taliban \n")
    names = lookup_only.load_gname_list(p)
    assert names.tolist() == ["Islamic State of Iraq and the Levant (ISIL)", "Al-Nusrah Front", "Taliban"]
    out = run("gtd_gnames", p)
    assert out.rows_read == 4 and out.excluded == {ucdp_actors.LOOKUP_REASON: 3, "blank line": 1}
    p.write_text("Taliban\nTaliban\n")
    with pytest.raises(SourceFormatError, match="repeated"):
        lookup_only.load_gname_list(p)


# ------------------------------------------------------------------ GED Syria (fixture, 10-character names)
@pytest.mark.parametrize("name", ["ged_syria_sample.csv", "ged_syria_sample.csv.xz"])
def test_ged_syria_fixture_dating_rule(fixtures_dir: Path, name: str) -> None:
    out = run("ucdp_ged_syria", fixtures_dir / "ucdp" / name)
    e = out.events.set_index("event_id")
    assert list(out.events.columns) == list(EVENT_COLUMNS)
    assert out.rows_read == 11 and len(e) == 7
    assert out.excluded == {"unparseable date_start": 1, "unknown date_prec code": 1,
                            "unknown type_of_violence code": 1, "duplicate id": 1}
    # date_prec 1 -> day
    r = e.loc["300001"]
    assert (r["date_precision"], r["date"], r["month"], r["day"]) == ("day", pd.Timestamp("2016-03-14"), 3, 14)
    assert (r["side_a"], r["side_b"], r["type_of_violence"], r["fatalities"]) == ("IS", "Jabhat Fateh al-Sham", 2, 5.0)
    # date_prec 2 (2-6 day span) -> day of date_start, even across a month end
    r = e.loc["300002"]
    assert (r["date_precision"], r["date"], r["date_end"]) == ("day", pd.Timestamp("2017-07-29"),
                                                                pd.Timestamp("2017-08-02"))
    # date_prec 3 -> month
    r = e.loc["300003"]
    assert (r["date_precision"], r["date"], r["month"]) == ("month", pd.Timestamp("2016-05-01"), 5)
    assert pd.isna(r["day"])
    # date_prec 4 spanning June-July -> June (date_start's month)
    r = e.loc["300004"]
    assert (r["date_precision"], r["date"], r["month"]) == ("month", pd.Timestamp("2018-06-01"), 6)
    # date_prec 5 -> year
    r = e.loc["300005"]
    assert (r["date_precision"], r["date"], r["year"]) == ("year", pd.Timestamp("2019-01-01"), 2019)
    assert pd.isna(r["month"]) and pd.isna(r["day"])
    # events whose date_end is in a later month, counted at day/month precision: 300002, 300004
    assert ucdp_ged.spanning_months(out.events) == 2


def test_ged_syria_missing_column_is_refused(fixtures_dir: Path) -> None:
    with pytest.raises(SourceFormatError, match="date_prec"):
        run("ucdp_ged_syria", fixtures_dir / "ucdp" / "ged_syria_missing_date_prec.csv")


# ------------------------------------------------------------------ GED Syria-Iraq (.rds, years only)
@pytest.mark.parametrize("name", ["syria_iraq_sample.rds", "syria_iraq_sample.rds.xz"])
def test_syria_iraq_rds_fixture(fixtures_dir: Path, name: str) -> None:
    out = run("ucdp_ged_syria_iraq", fixtures_dir / "ucdp" / name)
    e = out.events.set_index("event_id")
    assert out.rows_read == 7 and len(e) == 6 and out.excluded == {"no year": 1}
    assert set(e["date_precision"]) == {"year"}
    assert e["month"].isna().all() and e["type_of_violence"].isna().all()
    r = e.loc["100002"]
    assert (r["year"], r["date"], r["side_a"], r["side_b"]) == (2013, pd.Timestamp("2013-01-01"),
                                                                "IS, Jabhat Fateh al-Sham", "PYD")
    # fatalities = deaths_a + deaths_b + deaths_civilians + deaths_unknown = 10 + 12 + 1 + 0
    assert r["fatalities"] == 23.0
    assert e.loc["100003", "fatalities"] == 17.0  # 7 + 9 + 0 + 1


def test_syria_iraq_truncated_xz_is_refused(fixtures_dir: Path) -> None:
    with pytest.raises(SourceFormatError, match="truncated or corrupt"):
        run("ucdp_ged_syria_iraq", fixtures_dir / "ucdp" / "syria_iraq_truncated.rds.xz")


def test_dated_source_without_dates_is_refused(fixtures_dir: Path) -> None:
    # the year-only layout must not pass for a source registered as dated
    with pytest.raises(SourceFormatError, match="date_start"):
        run("ucdp_ged_syria", fixtures_dir / "ucdp" / "syria_iraq_sample.rds")


# ------------------------------------------------------------------ real data
MANIFEST_ROWS = {"ucdp_nonstate": 1542, "ucdp_battledeaths": 1848, "ucdp_onesided": 1191,
                 "ucdp_ged_syria": 16566, "ucdp_ged_syria_iraq": 59005}


@pytest.mark.realdata
@pytest.mark.parametrize("key", list(MANIFEST_ROWS))
def test_real_row_counts_and_ledger(shared_data_dir: Path, key: str) -> None:
    out = run_real(key, shared_data_dir)
    assert out.rows_read == MANIFEST_ROWS[key]
    assert out.rows_read == out.rows_kept + sum(out.excluded.values())
    # these releases are clean: every row is kept
    assert out.excluded == {}


@pytest.mark.realdata
def test_real_actor_list(shared_data_dir: Path) -> None:
    out = run_real("ucdp_actors", shared_data_dir)
    assert out.rows_read == 1725 and out.excluded == {ucdp_actors.LOOKUP_REASON: 1725}
    spec = REGISTRY["ucdp_actors"]
    actors = ucdp_actors.load_actor_list(locate_source(spec, shared_data_dir)["main"].path).set_index("ActorId")
    assert actors.loc[234, "NameData"] == "IS"
    assert actors.loc[1170, "NameData"] == "Jabhat Fateh al-Sham"
    assert actors.loc[6815, "NameData"] == "HTS"


def _pair(df: pd.DataFrame, a: str, b: str) -> pd.Series:
    """Rows with actor a alone on one side and b alone on the other, either orientation."""
    return ((df["side_a"] == a) & (df["side_b"] == b)) | ((df["side_a"] == b) & (df["side_b"] == a))


def _same_side(df: pd.DataFrame, *actors: str) -> pd.Series:
    def has_all(side: pd.Series) -> pd.Series:
        parts = side.fillna("").str.split(", ")
        return parts.map(lambda p: all(a in p for a in actors))
    return has_all(df["side_a"]) | has_all(df["side_b"])


@pytest.mark.realdata
def test_real_nonstate_is_vs_nusra_and_shared_side_rows(shared_data_dir: Path) -> None:
    y = run_real("ucdp_nonstate", shared_data_dir).yearly
    # IS against Jabhat Fateh al-Sham (UCDP's name for al-Nusra, ActorId 1170) as a dyad of their own
    clash = y[_pair(y, "IS", "Jabhat Fateh al-Sham")]
    assert sorted(clash["year"].tolist()) == [2014, 2015, 2016]
    assert set(clash["record_id"].str.split("-").str[0]) == {"13813"}
    # 2013: IS and Jabhat Fateh al-Sham on the same side of a dyad (the joint arm), e.g. against the PYD
    shared = y[_same_side(y, "IS", "Jabhat Fateh al-Sham")]
    assert set(shared.loc[shared["year"] == 2013, "record_id"]) == {
        "13767-2013", "13792-2013", "13796-2013", "13798-2013", "16319-2013", "16325-2013", "16331-2013"}
    assert row(y, record_id="13767-2013")["side_a"] == "IS, Jabhat Fateh al-Sham"
    assert row(y, record_id="13767-2013")["side_b"] == "PYD"
    # after 2014 no Non-State dyad-year has them on one side
    assert shared["year"].max() == 2014
    # HTS (ActorId 6815) appears in coalitions against IS from 2017
    hts = y[y["side_a"].fillna("").str.contains(r"\bHTS\b") & (y["side_b"] == "IS")]
    assert 2017 in set(hts["year"])


@pytest.mark.realdata
def test_real_ged_syria_is_vs_nusra_hts(shared_data_dir: Path) -> None:
    out = run_real("ucdp_ged_syria", shared_data_dir)
    e = out.events
    by_year = e[_pair(e, "IS", "Jabhat Fateh al-Sham")].groupby("year").size().to_dict()
    assert by_year == {2016: 32, 2017: 2}
    by_year = e[_pair(e, "IS", "HTS")].groupby("year").size().to_dict()
    assert by_year == {2017: 40, 2018: 43, 2019: 32}
    assert (e.loc[_pair(e, "IS", "HTS"), "type_of_violence"] == 2).all()
    # dating rule on the real file: precision counts follow date_prec (1-2 day, 3-4 month, 5 year)
    assert e["date_precision"].value_counts().to_dict() == {"day": 15480 + 828, "month": 21 + 186, "year": 51}
    assert ucdp_ged.spanning_months(e) == 92  # of the 143 multi-month events, those at date_prec 1-4
    assert e["date"].min() == pd.Timestamp("2016-01-01") and e["date"].max() <= pd.Timestamp("2019-11-30")


@pytest.mark.realdata
def test_real_syria_iraq_years_and_same_side(shared_data_dir: Path) -> None:
    out = run_real("ucdp_ged_syria_iraq", shared_data_dir)
    e = out.events
    assert (e["date_precision"] == "year").all()
    assert (e["year"].min(), e["year"].max()) == (2003, 2019)
    assert int(((e["country"] == "Syria") & (e["year"] == 2014)).sum()) == 11744  # MANIFEST
    clash = e[_pair(e, "IS", "Jabhat Fateh al-Sham")].groupby("year").size().to_dict()
    assert clash == {2013: 3, 2014: 16, 2015: 12, 2016: 28, 2017: 1}
    shared = e[_same_side(e, "IS", "Jabhat Fateh al-Sham")].groupby("year").size().to_dict()
    assert shared == {2013: 135, 2014: 6}
    assert not math.isnan(e["fatalities"].sum())


@pytest.mark.realdata
def test_real_battledeaths_and_onesided_is_rows(shared_data_dir: Path) -> None:
    bd = run_real("ucdp_battledeaths", shared_data_dir).yearly
    r = row(bd, record_id="524-2014")
    # the coalition supports the Government of Iraq as side_a_2nd; the primary sides stay as UCDP gives them
    assert (r["side_a"], r["side_b"], r["fatalities"]) == ("Government of Iraq", "IS", 13761.0)
    gov_iraq = bd[(bd["side_a"] == "Government of Iraq") & (bd["side_b"] == "IS")]
    assert (gov_iraq["year"].min(), gov_iraq["year"].max(), len(gov_iraq)) == (2004, 2022, 19)
    os_ = run_real("ucdp_onesided", shared_data_dir).yearly
    is_years = os_.loc[os_["side_a"] == "IS", "year"]
    assert (is_years.min(), is_years.max(), len(is_years)) == (2004, 2022, 19)
    assert os_["side_b"].isna().all() and (os_["relation"] == "attack").all()


# ------------------------------------------------------------------------------ the same event in two releases
def test_duplicate_events_are_marked_not_dropped() -> None:
    from externalize.schema import conform_events, mark_duplicate_events

    ev = conform_events(pd.DataFrame({
        "source": ["ucdp_ged_syria", "ucdp_ged_syria", "ucdp_ged_syria_iraq", "ucdp_ged_syria_iraq", "other"],
        "event_id": ["1", "2", "2", "3", "2"], "year": [2016] * 5, "date_precision": "year",
        "date": pd.Timestamp("2016-01-01"), "n": 1}))
    out, counts = mark_duplicate_events(ev, {"ucdp_ged_syria_iraq": "ucdp_ged_syria"})
    assert len(out) == 5
    assert out["duplicate_of"].tolist()[:4] == [pd.NA, pd.NA, "ucdp_ged_syria:2", pd.NA]
    assert pd.isna(out["duplicate_of"].iloc[4])   # only the declared pair is compared
    assert counts.to_dict("records") == [{"source": "ucdp_ged_syria_iraq", "duplicates_of": "ucdp_ged_syria",
                                          "rows": 1}]
    assert load_registry()["ucdp_ged_syria_iraq"].duplicates_of == "ucdp_ged_syria"


@pytest.mark.realdata
def test_real_ged_files_share_14132_event_ids(shared_data_dir: Path) -> None:
    """GED Syria and GED Syria-Iraq hold 14,132 of the same events (issue "Coding v2", item 11)."""
    from externalize.schema import mark_duplicate_events

    a = run_real("ucdp_ged_syria", shared_data_dir).events
    b = run_real("ucdp_ged_syria_iraq", shared_data_dir).events
    out, counts = mark_duplicate_events(pd.concat([a, b], ignore_index=True),
                                        {"ucdp_ged_syria_iraq": "ucdp_ged_syria"})
    assert counts["rows"].tolist() == [14_132]
    assert out["duplicate_of"].notna().sum() == 14_132 and len(out) == len(a) + len(b)
