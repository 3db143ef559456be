"""Mapping Militant Organizations relationships: both date formats, the two-digit-year pivot, relation codes,
names from the key file, and every row that is not kept counted by reason."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import pytest

from externalize.errors import SourceFormatError
from externalize.locate import locate_source
from externalize.registry import load_registry
from externalize.sources import adapter_for, mapping_militants as mmp
from externalize.sources.base import AdapterOutput

SPEC = load_registry()["mapping_militants"]


def run(fixtures_dir: Path, main: str = "relationships_sample.csv") -> AdapterOutput:
    out = adapter_for(SPEC.adapter).read(SPEC, {"main": fixtures_dir / "mmp" / main,
                                                "key": fixtures_dir / "mmp" / "key_sample.csv"})
    out.check_balance(SPEC.key)
    return out


def test_dates_both_formats_and_pivot() -> None:
    raw = pd.Series(["2/18/10", "2005-00-00", "2014-02-00", "1/1/68", "12/31/17", "1/1/18", "2014-13-00",
                     "spring 2014", "2/30/14", "2014-00-05", "2014-02-15", pd.NA, "0000-00-00"])
    d = mmp.parse_mmp_dates(raw, pivot_year=2017)
    assert d["ok"].tolist() == [True, True, True, True, True, True, False, False, False, False, True, False,
                                False]
    ok = d[d["ok"]]
    assert ok["date"].tolist() == [pd.Timestamp(x) for x in
                                   ("2010-02-18", "2005-01-01", "2014-02-01", "1968-01-01", "2017-12-31",
                                    "1918-01-01", "2014-02-15")]
    assert ok["precision"].tolist() == ["day", "year", "month", "day", "day", "day", "day"]
    # the pivot moves with the release: a 2030 export reads 1/1/18 as 2018
    assert mmp.parse_mmp_dates(pd.Series(["1/1/18"]), pivot_year=2030)["year"].tolist() == [2018]


def test_fixture_rows_and_ledger(fixtures_dir: Path) -> None:
    out = run(fixtures_dir)
    e = out.events.set_index("event_id")
    assert out.rows_read == 15 and len(e) == 9
    assert out.excluded == {"unknown relationship type": 1, "unparseable date": 4, "duplicate id": 1}
    r = e.loc["1633"]
    assert (r["date"], r["date_precision"], r["relation"]) == (pd.Timestamp("2010-02-18"), "day", "rivalry")
    assert (r["side_a"], r["side_b"]) == ("Al Shabaab", "Hizbul Islam")  # trailing blank removed
    r = e.loc["1311"]
    assert (r["date"], r["date_precision"], r["month"], r["relation"]) == (
        pd.Timestamp("2014-02-01"), "month", 2, "alliance")
    assert pd.isna(r["day"])
    r = e.loc["1475"]
    assert (r["year"], r["date_precision"]) == (2005, "year") and pd.isna(r["month"])
    assert e.loc["434", "relation"] == "split" and e.loc["900", "relation"] == "affiliation"
    # empty name cells are filled from the key file by group id
    r = e.loc["901"]
    assert (r["side_a"], r["side_b"], r["relation"]) == ("The Islamic State", "Al-Nusra", "merger")
    assert e.loc["902", "year"] == 1968 and e.loc["903", "date"] == pd.Timestamp("2017-12-31")
    assert e["country"].isna().all() and (e["n"] == 1).all()


def test_key_skips_missing_ids(fixtures_dir: Path) -> None:
    key = mmp.load_group_key(fixtures_dir / "mmp" / "key_sample.csv")
    assert key.to_dict() == {1: "The Islamic State", 2: "Al Qaeda", 20: "Al-Nusra", 7: "Group Seven",
                             8: "Group Eight"}


def test_missing_column_is_refused(fixtures_dir: Path, tmp_path: Path) -> None:
    df = pd.read_csv(fixtures_dir / "mmp" / "relationships_sample.csv", dtype=str)
    df.drop(columns="type").to_csv(tmp_path / "rel.csv", index=False)
    with pytest.raises(SourceFormatError, match=r"missing columns \['type'\]"):
        adapter_for(SPEC.adapter).read(SPEC, {"main": tmp_path / "rel.csv"})


@functools.cache
def _real(data_dir: Path) -> AdapterOutput:
    files = {r: lf.path for r, lf in locate_source(SPEC, data_dir).items()}
    out = adapter_for(SPEC.adapter).read(SPEC, files)
    out.check_balance(SPEC.key)
    return out


@pytest.mark.realdata
def test_real_counts_and_dates(shared_data_dir: Path) -> None:
    out = _real(shared_data_dir)
    assert out.rows_read == 638 and len(out.events) == 638 and out.excluded == {}
    e = out.events
    # 130 M/D/YY dates (day) and 508 YYYY-MM-DD dates, of which the 00-day/00-month ones are month / year
    assert e["date_precision"].value_counts().to_dict() == {"month": 305, "year": 203, "day": 130}
    assert (e["year"].min(), e["year"].max()) == (1959, 2017)
    assert e["relation"].value_counts().to_dict() == {"alliance": 193, "rivalry": 169, "affiliation": 124,
                                                      "split": 90, "merger": 62}


@pytest.mark.realdata
def test_real_is_nusra_relationships(shared_data_dir: Path) -> None:
    e = _real(shared_data_dir).events.set_index("event_id")
    r = e.loc["1247"]
    assert (r["side_a"], r["side_b"], r["relation"], r["date"], r["date_precision"]) == (
        "The Islamic State", "Al-Nusra", "rivalry", pd.Timestamp("2013-05-23"), "day")
    r = e.loc["1803"]  # AQ's break with IS
    assert (r["side_a"], r["side_b"], r["relation"], r["date"]) == (
        "The Islamic State", "Al Qaeda", "split", pd.Timestamp("2014-02-03"))
    r = e.loc["1221"]  # 2013-12-00: month precision
    assert (r["relation"], r["date"], r["date_precision"]) == ("alliance", pd.Timestamp("2013-12-01"), "month")
    pair = e[(e["side_a"] == "The Islamic State") & (e["side_b"] == "Al-Nusra")]
    assert sorted(pair["relation"].tolist()) == ["alliance", "rivalry", "rivalry", "rivalry", "rivalry"]
