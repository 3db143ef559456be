"""GTD adapter: every layout on hand-made fixtures in its exact raw format, bad input, and the real copies.

Fixture expectations are written out by hand from the fixture rows (tests/fixtures/gtd/make_fixtures.py
documents each row's case); real-data numbers are the MANIFEST's."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pandas as pd
import pytest

from externalize.errors import ChecksumError, DataNotFoundError, SourceFormatError
from externalize.locate import locate_source, read_bytes
from externalize.registry import SourceFile, load_registry
from externalize.sources import adapter_for, gtd

REG = load_registry()


@pytest.fixture(scope="module")
def fx(fixtures_dir: Path) -> Path:
    return fixtures_dir / "gtd"


def _degraded_files(fx: Path, main: str = "terrorism_act_sample.csv") -> dict[str, Path]:
    return {"main": fx / main, "country": fx / "country_sample.csv", "region": fx / "region_sample.csv",
            "target": fx / "target_sample.csv"}


def _check(out: gtd.AdapterOutput, key: str) -> pd.DataFrame:
    out.check_balance(key)
    assert set(out.events["source"]) == {key}
    assert (out.events["relation"] == "attack").all() and (out.events["n"] == 1).all()
    return out.events.set_index("event_id")


# ------------------------------------------------------------------------------------ codebook layout
def test_codebook_file_has_the_135_columns_in_release_order() -> None:
    cols = gtd.CODEBOOK_COLUMNS
    assert len(cols) == 135 and len(set(cols)) == 135
    assert cols[:4] == ("eventid", "iyear", "imonth", "iday") and cols[-1] == "related"
    assert set(gtd.REQUIRED_FULL) <= set(cols)
    for layout in gtd.LAYOUTS.values():  # every partial copy uses codebook names (bar the degraded copy)
        if not layout.lookups:
            assert set(layout.required) <= set(cols)


def test_partial_copies_headers_are_codebook_subsets(fx: Path) -> None:
    for name, enc in (("France_inc_sample.csv", "utf-8-sig"), ("GTD_us_sample.csv", "latin-1")):
        header = pd.read_csv(fx / name, nrows=0, encoding=enc).columns
        assert set(header) <= set(gtd.CODEBOOK_COLUMNS), name


# ----------------------------------------------------------------------------------------- full release
def test_full_csv_every_date_case_and_field(fx: Path) -> None:
    out = gtd.read(REG["gtd_full"], {"main": fx / "globalterrorismdb_0718dist_sample.csv"})
    assert out.rows_read == 10
    assert out.excluded == {"no year": 1, "unknown date code": 1, "duplicate id": 1}
    ev = _check(out, "gtd_full")
    assert len(ev) == 7
    r = ev.loc["201401010001"]  # the first of two rows with this id is kept
    assert (r["date"], r["date_precision"], r["day"]) == (pd.Timestamp("2014-01-01"), "day", 1)
    assert r["side_a"] == "Islamic State of Iraq and the Levant (ISIL)" and r["fatalities"] == 5
    r = ev.loc["201402000001"]  # iday 0 -> month precision, joint attack, guncertain1 = 1, doubtterr 1
    assert (r["date_precision"], r["month"], pd.isna(r["day"])) == ("month", 2, True)
    assert r["side_a"] == "Al-Nusrah Front | Islamic State of Iraq and the Levant (ISIL)"
    assert r["target_type"] == "Military | Police" and r["target_nationality"] == "Syria | Syria"
    assert r["attribution_uncertain"] and r["doubt_terrorism"]
    r = ev.loc["201400000001"]  # imonth 0 -> year precision; nkill blank; doubtterr -9 = not coded
    assert (r["date_precision"], r["date"]) == ("year", pd.Timestamp("2014-01-01"))
    assert pd.isna(r["month"]) and pd.isna(r["fatalities"]) and pd.isna(r["doubt_terrorism"])
    r = ev.loc["201404310001"]  # 31 April -> month precision, Latin-1 name decoded
    assert r["date_precision"] == "month" and r["side_a"] == "Front de Libération Nationale de la Corse (FLNC)"
    r = ev.loc["201511130008"]  # three perpetrators; guncertain2 = 1
    assert r["side_a"].count(" | ") == 2 and r["attribution_uncertain"]
    assert r["target_nationality"] == "France | Belgium"
    assert pd.isna(ev.loc["201603220001", "latitude"])  # latitude 200 is not a place
    assert ev.loc["201603220001", "longitude"] == pytest.approx(4.48)


ENGINES = ["openpyxl", pytest.param("calamine", marks=pytest.mark.skipif(
    gtd.xlsx_engine() != "calamine", reason="python-calamine not installed (optional, faster XLSX reader)"))]


@pytest.mark.parametrize("engine", ENGINES)
def test_full_xlsx_reads_like_the_csv(fx: Path, engine: str) -> None:
    path = fx / "globalterrorismdb_0718dist_sample.xlsx"
    csv = gtd.read(REG["gtd_full"], {"main": fx / "globalterrorismdb_0718dist_sample.csv"})
    xlsx = gtd.normalise_gtd(gtd.read_gtd_xlsx(path, gtd.LAYOUTS["gtd_full"], engine=engine), "gtd_full", path,
                             gtd.LAYOUTS["gtd_full"])
    assert xlsx.excluded == csv.excluded
    pd.testing.assert_frame_equal(xlsx.events, csv.events)
    pd.testing.assert_frame_equal(gtd.read(REG["gtd_full"], {"main": path}).events, csv.events)


def test_full_missing_column_is_named(fx: Path) -> None:
    with pytest.raises(SourceFormatError, match="gname2"):
        gtd.read(REG["gtd_full"], {"main": fx / "globalterrorismdb_missing_gname2.csv"})


@pytest.mark.parametrize("engine", ENGINES)
def test_not_a_workbook(tmp_path: Path, engine: str) -> None:
    bad = tmp_path / "globalterrorismdb_0718dist.xlsx"
    bad.write_bytes(b"eventid,iyear\n1,2014\n")
    with pytest.raises(SourceFormatError, match="XLSX"):
        gtd.read_gtd_xlsx(bad, gtd.LAYOUTS["gtd_full"], engine=engine)


# ------------------------------------------------------------------------------------------- world_inc
def test_world_inc_month_from_eventid(fx: Path) -> None:
    out = gtd.read(REG["gtd_world_inc"], {"main": fx / "world_inc_sample.csv.xz"})
    assert out.rows_read == 8 and out.excluded == {"unknown date code": 1, "duplicate id": 1}
    ev = _check(out, "gtd_world_inc")
    assert (ev.loc["201401150001", "date_precision"], ev.loc["201401150001", "month"]) == ("month", 1)
    assert ev.loc["201400000002", "date_precision"] == "year"           # '00' = unknown month
    r = ev.loc["201502170099"]                                          # eventid year 2015, iyear 2014
    assert (r["year"], r["date_precision"]) == (2014, "year")
    assert ev.loc["201412310004", "month"] == 12 and pd.isna(ev.loc["201412310004", "latitude"])
    assert ev["day"].isna().all() and ev["country"].isna().all()


def test_eventid_year_mismatch_counts_rows(fx: Path) -> None:
    raw = pd.read_csv(fx / "world_inc_sample.csv", dtype=str, encoding="utf-8-sig")
    assert gtd.eventid_year_mismatch(raw).tolist() == [False, False, True, False, False, False, False, False]


def test_world_inc_bad_inputs(fx: Path) -> None:
    with pytest.raises(SourceFormatError, match="gname"):
        gtd.read(REG["gtd_world_inc"], {"main": fx / "world_inc_missing_gname.csv"})
    with pytest.raises(SourceFormatError, match="truncated"):
        gtd.read(REG["gtd_world_inc"], {"main": fx / "world_inc_truncated.csv.xz"})


# ------------------------------------------------------------------------------- GTD0814, France, US
def test_gtd0814_rds(fx: Path) -> None:
    out = gtd.read(REG["gtd0814"], {"main": fx / "gtd0814_sample.rds.xz"})
    assert out.rows_read == 4 and out.excluded == {"unknown date code": 1}  # iday -99 is not a GTD code
    ev = _check(out, "gtd0814")
    r = ev.loc["201302000002"]  # ids stored as doubles in R come back as integers
    assert r["target_type"] == "Terrorists/Non-State Militia | Police"   # codes 17, 3 via the codebook
    assert r["side_a"] == "Al-Nusrah Front | Islamic State of Iraq and the Levant (ISIL)"
    assert r["doubt_terrorism"] and pd.isna(r["attribution_uncertain"]) and pd.isna(r["fatalities"])
    assert ev.loc["201300000003", "date_precision"] == "year"
    assert ev.loc["201300000003", "target_type"] == "Government (Diplomatic)"


def test_gtd0814_truncated(fx: Path) -> None:
    with pytest.raises(SourceFormatError, match="truncated|corrupt"):
        gtd.read(REG["gtd0814"], {"main": fx / "gtd0814_truncated.rds.xz"})


def test_france_layout(fx: Path) -> None:
    ev = _check(gtd.read(REG["gtd_france"], {"main": fx / "France_inc_sample.csv"}), "gtd_france")
    assert len(ev) == 3 and (ev["country"] == "France").all() and ev["doubt_terrorism"].isna().all()
    r = ev.loc["201406000002"]
    assert r["side_a"] == "Corsican National Liberation Front (FLNC) | Unknown" and r["attribution_uncertain"]
    assert r["date_precision"] == "month"


def test_us_layout_latin1_no_id_no_country(fx: Path) -> None:
    ev = _check(gtd.read(REG["gtd_us"], {"main": fx / "GTD_us_sample.csv"}), "gtd_us")
    assert list(ev.index) == ["1", "2", "3"]
    assert (ev["country"] == "United States").all() and (ev["region"] == "North America").all()
    assert ev.loc["1", "date"] == pd.Timestamp("2015-12-02") and ev.loc["2", "date"] == pd.Timestamp("2016-06-12")
    assert ev.loc["3", "date_precision"] == "month" and ev.loc["3", "doubt_terrorism"]


# ------------------------------------------------------------------------------------ degraded 0718
def test_degraded_lookups_and_blank_perpetrators(fx: Path) -> None:
    out = gtd.read(REG["gtd_0718_degraded"], _degraded_files(fx))
    ev = _check(out, "gtd_0718_degraded")
    assert list(ev.index) == ["0", "1", "2", "3", "4"]
    assert ev["country"].tolist() == ["Iraq", "Iraq", "France", "Iraq", "Syria"]
    assert ev.loc["0", "region"] == "Middle East & North Africa"
    assert ev.loc["1", "target_type"] == "Unknown"   # 20 is not in the copy's lookup: codebook text
    assert pd.isna(ev.loc["3", "target_type"])       # blank target_id stays unknown
    assert ev["side_a"].isna().sum() == 3            # blanks stay <NA>, never "Unknown"
    assert ev.loc["3", "date_precision"] == "year" and ev.loc["4", "date_precision"] == "month"


def test_degraded_unknown_lookup_code(fx: Path) -> None:
    with pytest.raises(SourceFormatError, match="country_id"):
        gtd.read(REG["gtd_0718_degraded"], _degraded_files(fx, "terrorism_act_unknown_country.csv"))


def test_degraded_is_marked_lower_bound() -> None:
    assert gtd.LOWER_BOUND_SOURCES == frozenset({"gtd_0718_degraded"})
    assert any("lower bound" in d for d in REG["gtd_0718_degraded"].defects)
    assert "LOWER BOUNDS" in REG["gtd_0718_degraded"].measures


# ------------------------------------------------------------------------------- locating, checksums
def test_missing_file_and_wrong_checksum(fx: Path, tmp_path: Path) -> None:
    # a path no real data folder has, so the search cannot fall through to ../shared/data
    rel = "gtd_fixture_only/world_inc.csv.xz"
    spec = dataclasses.replace(REG["gtd_world_inc"], files=(SourceFile("main", rel, "0" * 64),))
    with pytest.raises(DataNotFoundError, match="world_inc"):
        locate_source(spec, tmp_path / "nowhere")
    (tmp_path / "gtd_fixture_only").mkdir()
    (tmp_path / rel).write_bytes((fx / "world_inc_sample.csv.xz").read_bytes())
    with pytest.raises(ChecksumError, match="sha256"):
        locate_source(spec, tmp_path)


def test_unknown_key_refused() -> None:
    spec = dataclasses.replace(REG["gtd_us"], key="gtd_other")
    with pytest.raises(ValueError, match="no layout"):
        gtd.read(spec, {"main": Path("x.csv")})


# ------------------------------------------------------------------------------------------ real data
def _real(key: str, data_dir: Path) -> gtd.AdapterOutput:
    spec = REG[key]
    files = {r: lf.path for r, lf in locate_source(spec, data_dir).items()}
    out = adapter_for(spec.adapter).read(spec, files)
    out.check_balance(key)
    return out


@pytest.mark.realdata
def test_real_world_inc(shared_data_dir: Path) -> None:
    out = _real("gtd_world_inc", shared_data_dir)
    ev = out.events
    assert out.rows_read == len(ev) == 64_236 and out.excluded == {}
    assert ev["date"].min() == pd.Timestamp("2000-01-01") and ev["date"].max() == pd.Timestamp("2014-12-01")
    # the MANIFEST's 7 eventid / iyear disagreements + the one eventid with month 00 -> year precision
    raw = pd.read_csv(io.BytesIO(read_bytes(shared_data_dir / "gtd/world_inc.csv.xz")), dtype=str,
                      encoding="utf-8-sig")
    assert int(gtd.eventid_year_mismatch(raw).sum()) == 7
    assert (ev["date_precision"] == "year").sum() == 8
    by_year = ev.groupby("year").size()
    assert (by_year[2012], by_year[2013], by_year[2014]) == (8_491, 11_973, 16_794)


@pytest.mark.realdata
def test_real_degraded(shared_data_dir: Path) -> None:
    out = _real("gtd_0718_degraded", shared_data_dir)
    ev = out.events
    assert out.rows_read == len(ev) == 181_690
    assert (ev["year"] == 2014).sum() == 16_903
    assert ev["side_a"].isna().sum() == 109_353
    assert ev["country"].notna().all() and ev["region"].notna().all()
    assert ev["year"].min() == 1970 and ev["year"].max() == 2017
    # the well-known attacks are there with date and place (the copy's trustworthy fields) ...
    for day, country, at_least in (("2015-01-07", "France", 1), ("2015-11-13", "France", 7),
                                   ("2016-03-22", "Belgium", 2), ("2015-12-02", "United States", 1),
                                   ("2016-06-12", "United States", 1)):
        hit = ev[(ev["date"] == pd.Timestamp(day)) & (ev["country"] == country)]
        assert len(hit) >= at_least, (day, country)
    # ... but the perpetrator of Orlando (ISIL-inspired) is blanked: why group counts are lower bounds
    orlando = ev[(ev["date"] == pd.Timestamp("2016-06-12")) & (ev["country"] == "United States")]
    assert orlando["side_a"].isna().all()


@pytest.mark.realdata
def test_real_degraded_target_lookup_agrees_with_codebook(shared_data_dir: Path) -> None:
    lookup = gtd._lookup(shared_data_dir / "gtd_0718_degraded_teaching_copy/target.csv.xz", "t")
    assert {k: gtd.TARGTYPE_TXT[k] for k in lookup.index} == lookup.to_dict()


@pytest.mark.realdata
def test_real_france_and_us(shared_data_dir: Path) -> None:
    fr = _real("gtd_france", shared_data_dir).events
    assert len(fr) == 325 and (fr["country"] == "France").all()
    assert fr["year"].min() == 2000 and fr["year"].max() == 2014
    assert not ((fr["date"] == pd.Timestamp("2015-01-07"))).any()  # Charlie Hebdo is after this copy
    us = _real("gtd_us", shared_data_dir).events
    assert len(us) == 146 and us["year"].between(2013, 2016).all()
    for day, city_deaths in (("2015-12-02", 14), ("2016-06-12", 49)):  # San Bernardino, Orlando
        hit = us[us["date"] == pd.Timestamp(day)]
        assert len(hit) >= 1 and hit["fatalities"].max() >= city_deaths, day


@pytest.mark.realdata
@pytest.mark.slow
def test_real_gtd0814(shared_data_dir: Path) -> None:
    out = _real("gtd0814", shared_data_dir)
    assert out.rows_read == 125_087
    assert out.excluded == {"unknown date code": 1}  # one row with iday -99
    ev = out.events
    assert ev["year"].min() == 1970 and ev["year"].max() == 2013
    assert (ev["side_a"].str.contains(" | ", regex=False)).sum() > 0  # gname2/3 read
    assert ev["target_type"].notna().all()


def test_study_outcomes_from_lower_bound_sources_are_labelled() -> None:
    from externalize.config import load_study

    study = load_study()
    used = [o for o in study.outcomes if o.source in gtd.LOWER_BOUND_SOURCES]
    assert used, "the study config uses no lower-bound source: this check would be empty"
    assert all(o.lower_bound for o in used), [o.name for o in used if not o.lower_bound]
