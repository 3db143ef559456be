"""Adapters of the third-search releases: Information.dk strike map, UCDP GED 24.1 country-month panel,
Gade et al. joint-operations matrix. Hand-made files for every rule and bad input; real files when present."""

from __future__ import annotations

import json
import lzma
from pathlib import Path

import pandas as pd
import pytest

from externalize.errors import SourceFormatError
from externalize.locate import locate_source
from externalize.registry import load_registry
from externalize.sources import gade_cooperation, ged_country_month, information_dk

REG = load_registry()


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _map(path: Path, points: dict[str, list[int]]) -> Path:
    """A map.en.json in the newspaper's layout: one FeatureCollection per date plus a `total` one."""
    colls = [{"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [43.0, 36.0]},
         "properties": {"attacks": a, "location": "X", "date": d}} for a in attacks]} for d, attacks in points.items()]
    colls.append({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [43.0, 36.0]},
         "properties": {"attacks": 999, "location": "X", "date": "total"}}]})
    with lzma.open(path, "wt") as fh:
        json.dump({"dates": list(points), "points": colls, "sorties": {}, "targets": {}}, fh)
    return path


# ------------------------------------------------------------------------------ Information.dk
def test_information_dk_cells_to_events(tmp_path: Path) -> None:
    daily = _write(tmp_path / "d.csv", "date,Iraq,Syria\n2014-08-08,3,0\n2014-09-23,2,5\n")
    mp = _map(tmp_path / "m.json.xz", {"2014-08-08": [1, 2], "2014-09-23": [4, 3]})
    out = information_dk.read(REG["airstrikes_information_dk"], {"main": daily, "map": mp})
    out.check_balance("x")
    assert out.rows_read == 4 and out.excluded == {"zero cell": 1}
    ev = out.events.set_index("event_id")
    assert ev.loc["2014-09-23:Syria", "n"] == 5 and ev.loc["2014-08-08:Iraq", "n"] == 3
    assert (ev["relation"] == "strike").all() and (ev["side_a"] == "CJTF-OIR coalition").all()


def test_information_dk_refuses_a_daily_file_that_disagrees_with_the_map(tmp_path: Path) -> None:
    daily = _write(tmp_path / "d.csv", "date,Iraq,Syria\n2014-08-08,3,0\n2014-09-23,2,5\n")
    mp = _map(tmp_path / "m.json.xz", {"2014-08-08": [1, 2], "2014-09-23": [4, 4]})   # 8 != 7
    with pytest.raises(SourceFormatError, match="differ from the map"):
        information_dk.read(REG["airstrikes_information_dk"], {"main": daily, "map": mp})


@pytest.mark.parametrize("text, match", [
    ("date,Iraq,Syria\n2014-13-01,1,0\n", "unreadable dates"),
    ("date,Iraq,Syria\n2014-08-08,1,0\n2014-08-08,1,0\n", "repeated dates"),
    ("date,Iraq,Syria\n2014-08-08,1.5,0\n", "whole strike counts"),
    ("date,Iraq,Syria\n2014-08-08,-1,0\n", "whole strike counts"),
    ("date,Iraq\n2014-08-08,1\n", "missing columns"),
])
def test_information_dk_bad_daily_files(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(SourceFormatError, match=match):
        information_dk.read_daily(_write(tmp_path / "d.csv", text))


# ------------------------------------------------------------------------------ GED country-month
GED_HEADER = ",year,dd,gw_codes,country,d_protest,d_sb,sb_fatalities,osv_fatalities,ns_fatalities\n"


def test_ged_country_month_cells(tmp_path: Path) -> None:
    f = _write(tmp_path / "g.csv", GED_HEADER + "0,2014,2014-01,652,Syria,1,1,3657,154,1987\n"
                                   "1,2014,2014-02,652,Syria,0,1,10,0,0\n")
    out = ged_country_month.read(REG["ucdp_ged_country_month"], {"main": f})
    out.check_balance("x")
    assert out.rows_read == 6 and out.excluded == {"zero cell": 2}
    ev = out.events.set_index("event_id")
    assert ev.loc["652:2014-01:2", "fatalities"] == 1987 and ev.loc["652:2014-01:2", "type_of_violence"] == 2
    assert ev.loc["652:2014-01:3", "relation"] == "attack" and (ev["n"] == 1).all()
    assert (ev["date_precision"] == "month").all() and ev.loc["652:2014-02:1", "date"] == pd.Timestamp("2014-02-01")


@pytest.mark.parametrize("rows, match", [
    ("0,2015,2014-01,652,Syria,0,0,1,0,0\n", "disagrees"),
    ("0,2014,2014-01,652,Syria,0,0,1,0,0\n1,2014,2014-01,652,Syria,0,0,1,0,0\n", "repeated"),
    ("0,2014,2014-01,652,Syria,0,0,-1,0,0\n", ">= 0"),
    ("0,2014,2014-1x,652,Syria,0,0,1,0,0\n", "unreadable months"),
])
def test_ged_country_month_bad_lines(tmp_path: Path, rows: str, match: str) -> None:
    with pytest.raises(SourceFormatError, match=match):
        ged_country_month.read_panel(_write(tmp_path / "g.csv", GED_HEADER + rows))


# ------------------------------------------------------------------------------ Gade joint operations
def test_gade_cooperation_matrix_and_ledger(tmp_path: Path) -> None:
    f = _write(tmp_path / "j.csv", ",ISIL,ANF,ASIM\nISIL,0,12,3\nANF,12,0,88\nASIM,3,88,1\n")
    m = gade_cooperation.joint_operations(f)
    assert m.loc["ISIL", "ANF"] == 12 and m.loc["ASIM", "ASIM"] == 1
    out = gade_cooperation.read(REG["syria_cooperation_gade2019jcr"], {"main": f})
    out.check_balance("x")
    assert out.rows_read == 6 and out.excluded == {gade_cooperation.LOOKUP_REASON: 3, "diagonal cell": 3}


@pytest.mark.parametrize("text, match", [
    (",ISIL,ANF\nISIL,0,12\nANF,11,0\n", "not symmetric"),
    (",ISIL,ANF\nISIL,0,12\nNUS,12,0\n", "labels"),
    (",ISIL,ANF\nISIL,0,1.5\nANF,1.5,0\n", "whole numbers"),
    (",ISIL,ANF\nISIL,0,x\nANF,x,0\n", "non-numeric"),
])
def test_gade_cooperation_bad_matrices(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(SourceFormatError, match=match):
        gade_cooperation.joint_operations(_write(tmp_path / "j.csv", text))


# ------------------------------------------------------------------------------ real files
@pytest.mark.realdata
def test_real_information_dk(shared_data_dir: Path) -> None:
    spec = REG["airstrikes_information_dk"]
    files = {r: lf.path for r, lf in locate_source(spec, shared_data_dir).items()}
    out = information_dk.read(spec, files)
    out.check_balance(spec.key)
    # 295 days x 2 countries; 4,942 located strikes (data manifest)
    assert out.rows_read == 590 and int(out.events["n"].sum()) == 4942
    monthly = out.events.groupby(out.events["date"].dt.to_period("M"))["n"].sum()
    assert monthly[pd.Period("2014-08", "M")] == 114 and monthly[pd.Period("2015-01", "M")] == 671
    assert out.events.loc[out.events["country"] == "Syria", "date"].min() == pd.Timestamp("2014-09-23")


@pytest.mark.realdata
def test_real_ged_country_month(shared_data_dir: Path) -> None:
    spec = REG["ucdp_ged_country_month"]
    files = {r: lf.path for r, lf in locate_source(spec, shared_data_dir).items()}
    out = ged_country_month.read(spec, files)
    out.check_balance(spec.key)
    assert out.rows_read == 68976 * 3
    ev = out.events
    syr = ev[(ev["country"] == "Syria") & (ev["type_of_violence"] == 2) & (ev["year"] == 2014)]
    assert syr["fatalities"].sum() == 10207                      # manifest: 10,207 (10,356 in the yearly file)
    jan = syr[syr["month"] == 1]["fatalities"].item()
    assert jan == 1987


@pytest.mark.realdata
def test_real_gade_cooperation(shared_data_dir: Path) -> None:
    spec = REG["syria_cooperation_gade2019jcr"]
    files = {r: lf.path for r, lf in locate_source(spec, shared_data_dir).items()}
    m = gade_cooperation.joint_operations(files["main"])
    assert m.shape == (31, 31) and m.loc["ISIL", "ANF"] == 12
    off = m.copy()
    for g in off.index:
        off.loc[g, g] = 0
    assert off.loc["ISIL"].sum() == 23 and off.loc["ANF"].sum() == 174
    gade_cooperation.read(spec, files).check_balance(spec.key)
