"""Full GED CSV (researcher-supplied, e.g. GEDEvent_v23_1.csv): codebook layout, dating rule, bad input.

The fixture GEDEvent_v23_1_sample.csv holds the same 11 hand-made events as the GED Syria fixture but in the
49-column codebook layout with dates written as the GED CSV writes them ("2016-03-14 00:00:00.000").
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from externalize.errors import SourceFormatError
from externalize.locate import locate_supplied
from externalize.registry import load_registry
from externalize.sources import adapter_for, ucdp_ged
from externalize.sources.base import AdapterOutput

SPEC = load_registry()["ucdp_ged_global"]


def run(path: Path) -> AdapterOutput:
    out = adapter_for(SPEC.adapter).read(SPEC, {"main": path})
    out.check_balance(SPEC.key)
    return out


def test_codebook_layout_has_49_columns() -> None:
    assert len(ucdp_ged.GED_COLUMNS) == 49 and len(set(ucdp_ged.GED_COLUMNS)) == 49
    assert set(ucdp_ged.REQUIRED) <= set(ucdp_ged.GED_COLUMNS)
    # every 10-character alias maps to a codebook name and is its first 10 characters, or, where two names
    # collide in 10 characters, the shapefile's de-duplicated form (first 9 characters + a digit)
    for short, full in ucdp_ged.ALIASES_10.items():
        assert full in ucdp_ged.GED_COLUMNS
        assert full[:10] == short or (short[:9] == full[:9] and short[9].isdigit()), (short, full)


@pytest.mark.parametrize("name", ["GEDEvent_v23_1_sample.csv", "GEDEvent_v23_1_sample.csv.gz"])
def test_full_layout_fixture(fixtures_dir: Path, name: str) -> None:
    out = run(fixtures_dir / "ucdp" / name)
    e = out.events.set_index("event_id")
    assert out.rows_read == 11 and len(e) == 7
    assert out.excluded == {"unparseable date_start": 1, "unknown date_prec code": 1,
                            "unknown type_of_violence code": 1, "duplicate id": 1}
    assert e["source"].unique().tolist() == ["ucdp_ged_global"]
    r = e.loc["300001"]
    assert (r["date"], r["date_end"], r["date_precision"]) == (pd.Timestamp("2016-03-14"),
                                                               pd.Timestamp("2016-03-14"), "day")
    assert (r["latitude"], r["longitude"], r["country"], r["region"]) == (36.2, 37.1, "Syria", "Middle East")
    assert r["fatalities"] == 5.0 and r["relation"] == "fighting" and r["n"] == 1
    assert e.loc["300004", "date"] == pd.Timestamp("2018-06-01")
    assert e.loc["300005", "date_precision"] == "year"
    assert e["date_precision"].value_counts().to_dict() == {"day": 4, "month": 2, "year": 1}


def test_same_events_as_the_ten_character_layout(fixtures_dir: Path) -> None:
    full = run(fixtures_dir / "ucdp" / "GEDEvent_v23_1_sample.csv").events.drop(columns="source")
    syria_spec = load_registry()["ucdp_ged_syria"]
    short = adapter_for("ucdp_ged").read(syria_spec, {"main": fixtures_dir / "ucdp" / "ged_syria_sample.csv"})
    pd.testing.assert_frame_equal(full, short.events.drop(columns="source"))


def test_missing_column_is_refused(fixtures_dir: Path) -> None:
    with pytest.raises(SourceFormatError, match=r"missing columns \['side_b'\]"):
        run(fixtures_dir / "ucdp" / "GEDEvent_v23_1_missing_side_b.csv")


def test_cut_last_line_is_refused(fixtures_dir: Path) -> None:
    with pytest.raises(SourceFormatError, match="truncated"):
        run(fixtures_dir / "ucdp" / "GEDEvent_v23_1_cut.csv")


def test_unknown_date_prec_is_counted_not_dropped(fixtures_dir: Path, tmp_path: Path) -> None:
    df = pd.read_csv(fixtures_dir / "ucdp" / "GEDEvent_v23_1_sample.csv", dtype=str, keep_default_na=False)
    p = tmp_path / "GEDEvent_v23_1.csv"
    # codes the codebook does not define (0, 6, empty, 9) on four events that are otherwise valid
    df["date_prec"] = ["0", "6", "", "9", "1", "1", "1", "1", "1", "1", "1"]
    df.to_csv(p, index=False)
    out = run(p)
    assert out.excluded["unknown date_prec code"] == 4
    assert out.rows_read == len(out.events) + sum(out.excluded.values())
    # text where a code should be is a format error, not a quiet exclusion
    df["date_prec"] = ["x1"] + ["1"] * 10
    df.to_csv(p, index=False)
    with pytest.raises(SourceFormatError, match="date_prec"):
        run(p)


def test_researcher_supplied_file_is_found_by_name(fixtures_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "GEDEvent_v23_1.csv"
    target.write_bytes((fixtures_dir / "ucdp" / "GEDEvent_v23_1_sample.csv").read_bytes())
    located = locate_supplied(SPEC, tmp_path)
    assert located is not None and located.path == target and not located.verified
    assert len(run(located.path).events) == 7


def test_bad_end_dates_are_counted(fixtures_dir: Path, tmp_path: Path) -> None:
    df = pd.read_csv(fixtures_dir / "ucdp" / "GEDEvent_v23_1_sample.csv", dtype=str, keep_default_na=False)
    df = df[df["id"].isin(["300001", "300002", "300003"])].drop_duplicates("id").copy()
    df.loc[df["id"] == "300001", "date_end"] = "2016-03-13 00:00:00.000"  # before date_start
    df.loc[df["id"] == "300002", "date_end"] = "soon"
    p = tmp_path / "GEDEvent_v23_1.csv"
    df.to_csv(p, index=False)
    out = run(p)
    assert out.excluded == {"date_end before date_start": 1, "unparseable date_end": 1}
    assert out.events["event_id"].tolist() == ["300003"]


def test_zipped_release(fixtures_dir: Path, tmp_path: Path) -> None:
    import zipfile

    p = tmp_path / "GEDEvent_v23_1.csv.zip"
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(fixtures_dir / "ucdp" / "GEDEvent_v23_1_sample.csv", "GEDEvent_v23_1.csv")
    assert len(run(p).events) == 7


def test_value_outside_schema_names_the_file(fixtures_dir: Path, tmp_path: Path) -> None:
    df = pd.read_csv(fixtures_dir / "ucdp" / "GEDEvent_v23_1_sample.csv", dtype=str, keep_default_na=False)
    df.loc[0, "latitude"] = "200.5"
    p = tmp_path / "GEDEvent_v23_1.csv"
    df.to_csv(p, index=False)
    with pytest.raises(SourceFormatError, match=r"GEDEvent_v23_1\.csv: values outside the schema.*latitude"):
        run(p)
