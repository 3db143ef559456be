"""US sources: CSIS (Orientation as actor label), PIRUS (individuals dated by exposure, XLSX in .xz) and New
America (plots dated by attack, charge or name year). Fixtures in the exact raw formats; real-data totals
from the MANIFEST; San Bernardino (2015-12-02) and Orlando (2016-06-12) where each source covers them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from externalize.errors import SourceFormatError
from externalize.locate import locate_source
from externalize.registry import load_registry
from externalize.sources import adapter_for, csis_us, new_america, pirus
from externalize.sources.base import read_csv_strict

REG = load_registry()


@pytest.fixture(scope="module")
def fx(fixtures_dir: Path) -> Path:
    return fixtures_dir / "us"


# ------------------------------------------------------------------------------------------------ CSIS
def test_csis_dates_and_labels(fx: Path) -> None:
    out = csis_us.read(REG["csis_us"], {"main": fx / "csis_sample.csv"})
    out.check_balance("csis_us")
    assert out.rows_read == 7 and out.excluded == {"no year": 1, "unknown date code": 1}  # month 14; no year
    ev = out.events.set_index("event_id")
    assert ev.loc["1", "date"] == pd.Timestamp("2016-06-12") and ev.loc["1", "fatalities"] == 49
    assert ev.loc["2", "date"] == pd.Timestamp("2015-12-02") and ev.loc["2", "side_a"] == "Religious"
    assert ev.loc["3", "date_precision"] == "year"                 # blank month
    assert ev.loc["4", "date_precision"] == "month"                # day 0 = unknown
    assert ev.loc["5", "date_precision"] == "month"                # blank day
    assert ev.loc["2", "target_type"] == "Government, Military, and Police"
    assert (ev["relation"] == "plot").all() and ev["plot_status"].isna().all()


def test_csis_missing_column(fx: Path) -> None:
    with pytest.raises(SourceFormatError, match="Orientation_csis"):
        csis_us.read(REG["csis_us"], {"main": fx / "csis_missing_orientation.csv"})


# ----------------------------------------------------------------------------------------------- PIRUS
def test_pirus_individuals(fx: Path) -> None:
    out = pirus.read(REG["pirus"], {"main": fx / "pirus_sample.xlsx.xz"})
    out.check_balance("pirus")
    assert out.rows_read == 6 and out.excluded == {"no date": 1, "duplicate id": 1}
    ev = out.events.set_index("event_id")
    assert ev.loc["101", "side_a"] == "Islamic State of Iraq and the Levant (ISIL)"  # -88 codes dropped
    assert ev.loc["101", "date"] == pd.Timestamp("2015-12-02")                       # first row of id 101
    assert ev.loc["102", "side_a"] == "Jabhat al-Nusra | al-Qaeda core"             # -99 dropped
    assert ev.loc["103", "side_a"] == pirus.ISLAMIST_UNNAMED                         # Islamist, no group
    assert pd.isna(ev.loc["104", "side_a"])                                          # neither
    assert (ev["relation"] == "exposure").all() and (ev["date_precision"] == "day").all()


@pytest.mark.parametrize("name, match", [("pirus_truncated.xlsx.xz", "truncated|corrupt"),
                                         ("pirus_missing_date.xlsx", "Date_Exposure")])
def test_pirus_bad_input(fx: Path, name: str, match: str) -> None:
    with pytest.raises(SourceFormatError, match=match):
        pirus.read(REG["pirus"], {"main": fx / name})


# ---------------------------------------------------------------------------------------- New America
def test_new_america_dating_rules(fx: Path) -> None:
    files = {"main": fx / "na_plots_sample.csv", "suspects": fx / "na_suspects_sample.csv"}
    out = new_america.read(REG["new_america_plots"], files)
    out.check_balance("new_america_plots")
    assert out.rows_read == 9
    assert out.excluded == {"no date": 1, "duplicate id": 1, "unknown plot_status": 1}
    ev = out.events.set_index("event_id")
    assert ev.loc["177", "date"] == pd.Timestamp("2015-12-02") and ev.loc["177", "plot_status"] == "launched"
    assert ev.loc["184", "date"] == pd.Timestamp("2016-06-12") and ev.loc["184", "fatalities"] == 49
    # prevented, no attack date: the earliest charge of its two suspects (11/20/2002), year only
    assert (ev.loc["2", "year"], ev.loc["2", "date_precision"], ev.loc["2", "plot_status"]) == (2002, "year", "foiled")
    assert ev.loc["97", "plot_status"] == "launched"               # blank status with an attack date
    assert ev.loc["row5", "year"] == 2016                          # no plot_ID: linked by name, charged 2016
    assert ev.loc["105", "year"] == 2014 and pd.isna(ev.loc["105", "plot_status"])  # name year
    plots = read_csv_strict(files["main"])
    basis = new_america.dating_basis(plots, read_csv_strict(files["suspects"]))["basis"]
    assert basis.fillna("none").tolist() == ["attack_date", "attack_date", "suspect charged", "attack_date",
                                             "suspect charged", "name year", "none", "name year",
                                             "suspect charged"]


def test_new_america_without_suspects_uses_name_year(fx: Path) -> None:
    out = new_america.read(REG["new_america_plots"], {"main": fx / "na_plots_sample.csv"})
    ev = out.events.set_index("event_id")
    assert ev.loc["2", "year"] == 2002 and ev.loc["row5", "year"] == 2016


# ------------------------------------------------------------------------------------------- real data
def _real(key: str, data_dir: Path):
    spec = REG[key]
    files = {r: lf.path for r, lf in locate_source(spec, data_dir).items()}
    out = adapter_for(spec.adapter).read(spec, files)
    out.check_balance(key)
    return out, files


def _on(ev: pd.DataFrame, day: str) -> pd.DataFrame:
    return ev[(ev["date"] == pd.Timestamp(day)) & (ev["date_precision"] == "day")]


@pytest.mark.realdata
def test_real_csis(shared_data_dir: Path) -> None:
    out, _ = _real("csis_us", shared_data_dir)
    ev = out.events
    assert out.rows_read == len(ev) == 980 and (ev["side_a"] == "Religious").sum() == 133
    assert (ev["date_precision"] == "year").sum() == 1
    assert ev["date"].min() >= pd.Timestamp("1994-01-01") and ev["date"].max() <= pd.Timestamp("2021-01-31")
    for day, killed in (("2015-12-02", 14), ("2016-06-12", 49)):
        hit = _on(ev, day)
        assert (hit["side_a"] == "Religious").any() and hit["fatalities"].max() == killed, day


@pytest.mark.realdata
def test_real_pirus(shared_data_dir: Path) -> None:
    out, _ = _real("pirus", shared_data_dir)
    ev = out.events
    assert out.rows_read == 2_226 and len(ev) + sum(out.excluded.values()) == 2_226
    assert ev["date"].min() == pd.Timestamp("1948-07-20") and ev["date"].max() == pd.Timestamp("2018-12-10")
    isil = ev["side_a"].str.contains("Islamic State of Iraq and the Levant (ISIL)", regex=False).fillna(False)
    assert int(isil.sum()) >= 188  # 188 name it first; a few more in Name2/3
    assert not ev["side_a"].isin(["-99", "-88"]).any()
    # plots at home (Extent_Plot 1-5 centred in a US state) are "plot"; everyone else stays "exposure"
    plots = ev[ev["relation"] == "plot"]
    assert set(plots["plot_status"].dropna()) <= {"launched", "foiled"} and plots["plot_status"].notna().all()
    assert (plots["country"] == "United States").all()
    assert (len(plots), int((plots["plot_status"] == "launched").sum())) == (1_119, 785)
    assert int(plots["side_a"].notna().sum()) == 650  # with a group or the Islamist label
    abroad = ev[(ev["relation"] == "exposure") & (ev["country"] != "United States")]
    assert {"Somalia", "Syria"} <= set(abroad["country"].dropna())


@pytest.mark.realdata
def test_real_new_america(shared_data_dir: Path) -> None:
    out, files = _real("new_america_plots", shared_data_dir)
    ev = out.events
    assert out.rows_read == 216 and out.excluded == {}
    assert (ev["side_a"] == "Jihadist").sum() == 195
    assert (ev["date_precision"] == "day").sum() == 34  # the plots with an attack_date
    assert ev["year"].between(2001, 2016).all()
    assert len(_on(ev, "2015-12-02")) == 1 and len(_on(ev, "2016-06-12")) == 1
    basis = new_america.dating_basis(read_csv_strict(files["main"]), read_csv_strict(files["suspects"]))["basis"]
    assert basis.value_counts().to_dict() == {"suspect charged": 165, "attack_date": 34, "name year": 17}
    plots = read_csv_strict(files["main"])
    dated = new_america.dating_basis(plots, read_csv_strict(files["suspects"]))
    name_year = pd.to_numeric(plots["plot_name"].str.extract(r"^((?:19|20)\d\d)")[0])
    charged = dated["basis"] == "suspect charged"
    assert int((dated.loc[charged, "year"] == name_year[charged]).sum()) == 152  # 13 differ (docstring)
