"""The SYNTHETIC GTD release: 135-column codebook layout, labelled synthetic, reproducible from its seed, its
sidecar counts equal to an independent plain-pandas reading, and read end to end by the GTD adapter (CSV,
Latin-1 CSV and XLSX) with exactly those counts. Full scale (200,000 rows) is timed in a slow test."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest

from externalize.registry import load_registry
from externalize.sources import gtd
from externalize.synthetic import SYNTHETIC_MARK
from externalize.synthetic.gtd import FAMILY_NAMES, FILE_STEM, write_gtd_release

SPEC = load_registry()["gtd_full"]


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, pd.DataFrame]:
    path = write_gtd_release(tmp_path_factory.mktemp("gtd"), n_rows=6_000, seed=5)
    expected = json.loads(path.with_name(path.name + ".expected.json").read_text())
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    return path, expected, raw


def test_layout_and_labels(release: tuple[Path, dict, pd.DataFrame]) -> None:
    path, expected, raw = release
    assert path.name == f"{FILE_STEM}.csv" == "globalterrorismdb_SYNTHETIC.csv"
    assert list(raw.columns) == list(gtd.CODEBOOK_COLUMNS) and raw.shape == (6_000, 135)
    assert expected["synthetic"] is True and SYNTHETIC_MARK in expected["note"]
    for col in ("summary", "scite1", "dbsource"):
        assert raw[col].str.contains(SYNTHETIC_MARK).all(), col
    assert raw["eventid"].is_unique and (raw["eventid"].str.len() == 12).all()
    # eventid = YYYYMMDD + case number, as in GTD
    assert (raw["eventid"].str[:4] == raw["iyear"]).all()
    assert (raw["eventid"].str[4:6].astype(int) == raw["imonth"].astype(int)).all()


def test_reproducible_from_seed(tmp_path: Path) -> None:
    a = write_gtd_release(tmp_path / "a", n_rows=300, seed=1).read_bytes()
    b = write_gtd_release(tmp_path / "b", n_rows=300, seed=1).read_bytes()
    c = write_gtd_release(tmp_path / "c", n_rows=300, seed=2).read_bytes()
    assert a == b and a != c


def test_sidecar_matches_an_independent_reading(release: tuple[Path, dict, pd.DataFrame]) -> None:
    _, expected, raw = release
    perps = raw[["gname", "gname2", "gname3"]]
    fam = perps.isin(list(FAMILY_NAMES)).any(axis=1)
    assert expected["rows_with_family_actor"] == int(fam.sum()) > 0
    assert expected["rows_joint"] == int((raw["gname2"] != "").sum()) > 0
    assert expected["rows_by_gname"] == raw["gname"].value_counts().sort_index().to_dict()
    m, d = raw["imonth"].astype(int), raw["iday"].astype(int)
    assert expected["rows_by_precision"]["year"] == int((m == 0).sum())
    april31 = ((m == 4) & (d == 31)).sum()
    assert expected["rows_by_precision"]["month"] == int(((m > 0) & (d == 0)).sum() + april31)
    assert expected["rows_guncertain"] == int((raw["guncertain1"] == "1").sum())


def _check_adapter(out: gtd.AdapterOutput, expected: dict) -> None:
    out.check_balance(SPEC.key)
    ev = out.events
    assert out.rows_read == len(ev) == expected["n_rows"] and out.excluded == {}
    assert ev["date_precision"].value_counts().to_dict() == expected["rows_by_precision"]
    parts = ev["side_a"].str.split(" | ", regex=False)
    fam = parts.map(lambda xs: any(x in FAMILY_NAMES for x in xs))
    assert int(fam.sum()) == expected["rows_with_family_actor"]
    assert int(ev["side_a"].str.contains(" | ", regex=False).sum()) == expected["rows_joint"]
    assert ev["fatalities"].sum() == pytest.approx(expected["nkill_total"], abs=1e-9)
    assert int(ev["doubt_terrorism"].sum()) == expected["rows_doubtterr_1"]
    assert ev.groupby("year").size().to_dict() == {int(k): v for k, v in expected["rows_by_year"].items()}


def test_adapter_reads_the_release_end_to_end(release: tuple[Path, dict, pd.DataFrame]) -> None:
    path, expected, _ = release
    _check_adapter(gtd.read(SPEC, {"main": path}), expected)


def test_latin1_and_xlsx_read_the_same(tmp_path: Path) -> None:
    utf = write_gtd_release(tmp_path / "u", n_rows=400, seed=9)
    lat = write_gtd_release(tmp_path / "l", n_rows=400, seed=9, encoding="latin-1")
    xls = write_gtd_release(tmp_path / "x", n_rows=400, seed=9, fmt="xlsx")
    assert xls.name == "globalterrorismdb_SYNTHETIC.xlsx"
    a = gtd.read(SPEC, {"main": utf}).events
    assert a["side_a"].str.contains("Libération").any()
    pd.testing.assert_frame_equal(gtd.read(SPEC, {"main": lat}).events, a)
    pd.testing.assert_frame_equal(gtd.read(SPEC, {"main": xls}).events, a)
    with pytest.raises(ValueError, match="fmt"):
        write_gtd_release(tmp_path / "bad", n_rows=10, fmt="parquet")


@pytest.mark.slow
def test_full_scale_release_reads_fast(tmp_path: Path) -> None:
    path = write_gtd_release(tmp_path, n_rows=200_000, seed=0)
    expected = json.loads(path.with_name(path.name + ".expected.json").read_text())
    t0 = time.perf_counter()
    out = gtd.read(SPEC, {"main": path})
    elapsed = time.perf_counter() - t0
    _check_adapter(out, expected)
    assert elapsed < 10.0, f"reading 200,000 GTD rows took {elapsed:.1f} s (budget 10 s)"


def test_matches_the_supplied_pattern_but_a_study_build_ignores_it(tmp_path: Path) -> None:
    from externalize.locate import locate_supplied

    path = write_gtd_release(tmp_path, n_rows=50, seed=4)
    assert locate_supplied(SPEC, tmp_path) is None  # never feeds a study build by accident
    found = locate_supplied(SPEC, tmp_path, allow_synthetic=True)
    assert found is not None and found.path == path and not found.verified
