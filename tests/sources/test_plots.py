"""Nesser and Crenshaw plot files: cells -> events, the zero-cell ledger, month '.', the Crenshaw code
mapping (re-derived from the real files), bad input, and the well-known attacks in the real data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from externalize.errors import SourceFormatError
from externalize.locate import locate_source
from externalize.registry import load_registry
from externalize.sources import adapter_for, hegghammer_plots as hp
from externalize.sources.base import read_csv_strict

REG = load_registry()


@pytest.fixture(scope="module")
def fx(fixtures_dir: Path) -> Path:
    return fixtures_dir / "plots"


def test_nesser_cells_to_events(fx: Path) -> None:
    out = hp.read(REG["nesser_cym"], {"main": fx / "nesser_cym_sample.csv.xz"})
    out.check_balance("nesser_cym")
    # 6 lines x 2 cells = 12 cells: 6 non-zero cells are events, 6 zero cells
    assert out.rows_read == 12 and out.excluded == {"zero cell": 6}
    ev = out.events.set_index("event_id")
    assert len(ev) == 6 and ev["n"].sum() == 1 + 1 + 1 + 1 + 1 + 2
    r = ev.loc["France:2015-1:launched"]  # Charlie Hebdo month
    assert (r["n"], r["date"], r["date_precision"], r["plot_status"]) == (1, pd.Timestamp("2015-01-01"), "month",
                                                                          "launched")
    assert ev.loc["France:2015-11:foiled", "n"] == 1 and ev.loc["UK:2016-3:foiled", "n"] == 2
    assert (ev["relation"] == "plot").all() and (ev["side_a"] == hp.JIHADIST_UNNAMED).all()
    assert ev["day"].isna().all()


def test_crenshaw_codes_month_dot_and_unresolved_zero(fx: Path) -> None:
    out = hp.read(REG["crenshaw_cym"], {"main": fx / "crenshaw_cym_sample.csv"})
    out.check_balance("crenshaw_cym")
    assert out.rows_read == 12 and out.excluded == {"zero cell": 7}  # code 54 (unresolved): zero cells only
    ev = out.events.set_index("event_id")
    assert len(ev) == 5 and set(ev["country"]) == {"France", "US", "UK"}
    r = ev.loc["France:2010-NA:foiled"]  # month '.' -> year precision
    assert (r["date_precision"], r["date"], pd.isna(r["month"])) == ("year", pd.Timestamp("2010-01-01"), True)
    assert ev.loc["US:2015-12:foiled", "n"] == 2 and ev.loc["US:2016-6:launched", "n"] == 1


def test_all_equals_launched_plus_foiled_checked(fx: Path) -> None:
    out = hp.read(REG["nesser_cym"], {"main": fx / "nesser_cym_inconsistent_all.csv"})
    out.check_balance("nesser_cym")
    assert out.excluded == {"all != launched + foiled": 2, "zero cell": 1}
    assert out.events["event_id"].tolist() == ["France:2015-1:launched"]


@pytest.mark.parametrize("name, match", [
    ("nesser_cym_bad_year_month.csv", "year_month"),
    ("nesser_cym_negative.csv", "counts"),
    ("nesser_cym_truncated.csv.xz", "truncated|corrupt"),
])
def test_nesser_bad_input(fx: Path, name: str, match: str) -> None:
    with pytest.raises(SourceFormatError, match=match):
        hp.read(REG["nesser_cym"], {"main": fx / name})


@pytest.mark.parametrize("name, match", [
    ("crenshaw_cym_unknown_month.csv", "month"),
    ("crenshaw_cym_unknown_code.csv", "999"),
    ("crenshaw_cym_unresolved_nonzero.csv", "unresolved"),
    ("crenshaw_cym_missing_all.csv", "missing columns"),
])
def test_crenshaw_bad_input(fx: Path, name: str, match: str) -> None:
    with pytest.raises(SourceFormatError, match=match):
        hp.read(REG["crenshaw_cym"], {"main": fx / name})


def test_country_year_rows(fx: Path) -> None:
    out = hp.read(REG["nesser_country_year"], {"main": fx / "nesser_new_sample.csv"})
    out.check_balance("nesser_country_year")
    assert out.excluded == {"all != launched + foiled": 1}  # Belgium 2016: all 4 != 2 + 1
    y = out.yearly.set_index("record_id")
    assert y.loc["France:2015", "n"] == 11 and y.loc["Iceland:2015", "n"] == 0  # an observed zero stays
    assert (y["relation"] == "plot").all()


def test_committed_code_mapping_shape() -> None:
    codes = hp.load_crenshaw_codes()
    assert len(codes) == 22 and codes.notna().sum() == 15
    assert codes[69] == "France" and codes[217] == "US" and codes[216] == "UK" and codes[21] == "Belgium"
    assert codes[[54, 68, 78, 91, 96, 116, 162]].isna().all()


def test_derive_codes_on_a_hand_made_case() -> None:
    cym = pd.DataFrame({"country": ["1", "1", "2", "3"], "year": ["2000", "2001", "2000", "2000"],
                        "month": ["1", "2", "1", "1"], "launched": ["1", "0", "0", "0"],
                        "foiled": ["0", "2", "1", "0"], "all": ["1", "2", "1", "0"]})
    named = pd.DataFrame({"country": ["A", "A", "B", "B", "C", "C"], "year": ["2000", "2001"] * 3,
                          "launched": ["1", "0", "0", "0", "0", "0"], "foiled": ["0", "2", "1", "0", "0", "0"]})
    got = hp.derive_crenshaw_codes(cym, named).set_index("code")["country"]
    assert got[1] == "A" and got[2] == "B" and pd.isna(got[3])


# ------------------------------------------------------------------------------------------ real data
def _real(key: str, data_dir: Path):
    spec = REG[key]
    files = {r: lf.path for r, lf in locate_source(spec, data_dir).items()}
    out = adapter_for(spec.adapter).read(spec, files)
    out.check_balance(key)
    return out, files


@pytest.mark.realdata
def test_real_crenshaw_mapping_rederived(shared_data_dir: Path) -> None:
    cym = read_csv_strict(shared_data_dir / "hegghammer_plots/crenshaw_cym.csv.xz")
    named = read_csv_strict(shared_data_dir / "hegghammer_plots/crenshaw.csv.xz")
    derived = hp.derive_crenshaw_codes(cym, named).set_index("code")["country"]
    committed = hp.load_crenshaw_codes()
    pd.testing.assert_series_equal(derived.sort_index(), committed.sort_index(), check_names=False,
                                   check_index_type=False)


@pytest.mark.realdata
def test_real_nesser(shared_data_dir: Path) -> None:
    out, files = _real("nesser_cym", shared_data_dir)
    raw = read_csv_strict(files["main"])
    assert len(raw) == 6_048 and out.rows_read == 2 * 6_048
    assert "all != launched + foiled" not in out.excluded  # `all` = launched + foiled on every line
    ev = out.events
    assert ev["date"].min() >= pd.Timestamp("1994-01-01") and ev["date"].max() <= pd.Timestamp("2021-12-01")
    assert ev["country"].nunique() <= 18

    def cell(country: str, month: str, status: str) -> int:
        hit = ev[(ev["country"] == country) & (ev["date"] == pd.Timestamp(month)) & (ev["plot_status"] == status)]
        return int(hit["n"].sum())
    assert cell("France", "2015-01-01", "launched") >= 1   # Charlie Hebdo 2015-01-07
    assert cell("France", "2015-11-01", "launched") >= 1   # Paris 2015-11-13
    assert cell("Belgium", "2016-03-01", "launched") >= 1  # Brussels 2016-03-22
    yearly, _ = _real("nesser_country_year", shared_data_dir)
    assert yearly.rows_read == 504 and yearly.yearly["n"].sum() == ev["n"].sum() == 249


@pytest.mark.realdata
def test_real_crenshaw(shared_data_dir: Path) -> None:
    out, files = _real("crenshaw_cym", shared_data_dir)
    assert out.rows_read == 2 * 6_346
    ev = out.events
    assert (ev["date_precision"] == "year").sum() == 10  # the 10 lines with month '.', one cell each
    assert ev["year"].min() >= 1993 and ev["year"].max() <= 2016
    us_dec_2015 = ev[(ev["country"] == "US") & (ev["date"] == pd.Timestamp("2015-12-01"))
                     & (ev["plot_status"] == "launched")]
    assert us_dec_2015["n"].sum() >= 1  # San Bernardino 2015-12-02
    yearly, _ = _real("crenshaw_country_year", shared_data_dir)
    assert yearly.rows_read == 504 and yearly.yearly["n"].sum() == ev["n"].sum() == 333
