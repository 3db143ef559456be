"""Fast and fallback readers give the same events: .rds through pyreadr or rdata, PIRUS .xlsx through
calamine or openpyxl. Both engines of a pair run in the same test on the same file and the adapter's output
tables must be equal (pandas.testing.assert_frame_equal, exact: check_exact=True)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from externalize.errors import SourceFormatError
from externalize.locate import locate_source, read_bytes
from externalize.registry import load_registry
from externalize.sources import gtd, pirus, ucdp_ged
from externalize.sources.base import AdapterOutput, parse_r_data, rds_engine, xlsx_engine

REG = load_registry()
needs_pyreadr = pytest.mark.skipif(rds_engine() != "pyreadr", reason="pyreadr not installed (extra `rds`)")
needs_calamine = pytest.mark.skipif(xlsx_engine() != "calamine",
                                    reason="python-calamine not installed (extra `xlsx`)")


def _same(a: AdapterOutput, b: AdapterOutput) -> None:
    assert (a.rows_read, a.excluded) == (b.rows_read, b.excluded)
    for x, y in ((a.events, b.events), (a.yearly, b.yearly)):
        assert (x is None) == (y is None)
        if x is not None:
            pd.testing.assert_frame_equal(x, y, check_exact=True)


def _gtd0814(path: Path, engine: str) -> AdapterOutput:
    return gtd.normalise_gtd(gtd.read_gtd_rds(path, engine=engine), "gtd0814", path, gtd.LAYOUTS["gtd0814"])


def _syria_iraq(path: Path, engine: str) -> AdapterOutput:
    return ucdp_ged.normalise_ged(ucdp_ged.read_ged_rds(path, engine=engine), "ucdp_ged_syria_iraq", path,
                                  year_only=True)


def _pirus(path: Path, engine: str) -> AdapterOutput:
    return pirus.normalise_pirus(pirus.read_pirus_xlsx(path, engine=engine), "pirus", path)


# ------------------------------------------------------------------------------------------- .rds
@needs_pyreadr
@pytest.mark.parametrize("read, name", [(_gtd0814, "gtd/gtd0814_sample.rds.xz"),
                                        (_syria_iraq, "ucdp/syria_iraq_sample.rds"),
                                        (_syria_iraq, "ucdp/syria_iraq_sample.rds.xz")])
def test_rds_engines_give_the_same_events(fixtures_dir: Path, read, name: str) -> None:
    path = fixtures_dir / name
    fast, slow = read(path, "pyreadr"), read(path, "rdata")
    assert fast.rows_kept > 0
    _same(fast, slow)


@needs_pyreadr
def test_rds_engines_give_the_same_raw_table(fixtures_dir: Path) -> None:
    data = read_bytes(fixtures_dir / "gtd" / "gtd0814_sample.rds.xz")
    fast, slow = parse_r_data(data, ".rds", "pyreadr"), parse_r_data(data, ".rds", "rdata")
    assert isinstance(fast, pd.DataFrame) and isinstance(slow, pd.DataFrame)
    pd.testing.assert_frame_equal(fast.reset_index(drop=True), slow.reset_index(drop=True), check_exact=True)


@pytest.mark.parametrize("engine", [pytest.param("pyreadr", marks=needs_pyreadr), "rdata"])
def test_damaged_rds_refused_by_either_engine(tmp_path: Path, fixtures_dir: Path, engine: str) -> None:
    whole = read_bytes(fixtures_dir / "gtd" / "gtd0814_sample.rds")
    cut = tmp_path / "GTD0814.rds"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(SourceFormatError, match="not a readable R data file"):
        gtd.read_gtd_rds(cut, engine=engine)


# ------------------------------------------------------------------------------------------- .xlsx
@needs_calamine
@pytest.mark.parametrize("name", ["pirus_sample.xlsx", "pirus_sample.xlsx.xz"])
def test_pirus_xlsx_engines_give_the_same_events(fixtures_dir: Path, name: str) -> None:
    path = fixtures_dir / "us" / name
    fast, slow = _pirus(path, "calamine"), _pirus(path, "openpyxl")
    assert fast.rows_kept > 0
    _same(fast, slow)


@pytest.mark.parametrize("engine", [pytest.param("calamine", marks=needs_calamine), "openpyxl"])
def test_pirus_bad_workbooks_refused_by_either_engine(fixtures_dir: Path, engine: str) -> None:
    with pytest.raises(SourceFormatError, match="Date_Exposure"):
        pirus.read_pirus_xlsx(fixtures_dir / "us" / "pirus_missing_date.xlsx", engine=engine)
    with pytest.raises(SourceFormatError, match="truncated|corrupt|not a readable"):
        pirus.read_pirus_xlsx(fixtures_dir / "us" / "pirus_truncated.xlsx.xz", engine=engine)


@pytest.mark.parametrize("engine", [pytest.param("calamine", marks=needs_calamine), "openpyxl"])
def test_pirus_missing_column_message_lists_the_header_found(fixtures_dir: Path, engine: str) -> None:
    """The workbook is parsed once: the header the message lists is the one seen while reading the sheet."""
    path = fixtures_dir / "us" / "pirus_missing_date.xlsx"
    header = [str(c) for c in pd.read_excel(path, nrows=0, engine=engine).columns]
    with pytest.raises(SourceFormatError) as info:
        pirus.read_pirus_xlsx(path, engine=engine)
    assert f"missing columns ['Date_Exposure']; found {header[:40]}" in str(info.value)


# ------------------------------------------------------------------------------------------- real files
def _real(shared_data_dir: Path, key: str) -> Path:
    return locate_source(REG[key], shared_data_dir)["main"].path


@pytest.mark.realdata
@pytest.mark.slow
@needs_pyreadr
@pytest.mark.parametrize("key, read", [("ucdp_ged_syria_iraq", _syria_iraq), ("gtd0814", _gtd0814)])
def test_real_rds_same_events_either_engine(shared_data_dir: Path, key: str, read) -> None:
    """rdata needs tens of seconds for these files (pyreadr about one): slow."""
    path = _real(shared_data_dir, key)
    _same(read(path, "pyreadr"), read(path, "rdata"))


@pytest.mark.realdata
@pytest.mark.slow
@needs_calamine
def test_real_pirus_same_events_either_engine(shared_data_dir: Path) -> None:
    path = _real(shared_data_dir, "pirus")
    fast, slow = _pirus(path, "calamine"), _pirus(path, "openpyxl")
    assert fast.rows_read == 2226
    _same(fast, slow)


def test_engine_can_be_forced_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTERNALIZE_RDS_ENGINE", "rdata")
    monkeypatch.setenv("EXTERNALIZE_XLSX_ENGINE", "openpyxl")
    assert (rds_engine(), xlsx_engine()) == ("rdata", "openpyxl")
    monkeypatch.setenv("EXTERNALIZE_RDS_ENGINE", "something else")  # not an engine: the usual choice
    assert rds_engine() in ("rdata", "pyreadr")
