"""CENTCOM strike releases: one row per release line, bad lines counted, the release-date lag, and the monthly
dose series (missing, not zero, outside the scrape)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from externalize.errors import SourceFormatError
from externalize.locate import locate_source
from externalize.registry import load_registry
from externalize.sources import centcom

REG = load_registry()
SPEC = REG["centcom_strikes"]


@pytest.fixture(scope="module")
def fx(fixtures_dir: Path) -> Path:
    return fixtures_dir / "centcom"


@pytest.fixture(scope="module")
def sample(fx: Path) -> centcom.AdapterOutput:
    return centcom.read(SPEC, {"main": fx / "strikes_sample.csv.xz"})


def test_lines_to_events(sample: centcom.AdapterOutput) -> None:
    sample.check_balance(SPEC.key)
    assert sample.rows_read == 9
    # ISO date, "two" as a count, and Libya are not guessed at
    assert sample.excluded == {"unparseable date": 1, "bad strike count": 1, "unknown country": 1}
    ev = sample.events.set_index("event_id")
    assert ev["n"].tolist() == [2, 3, 1, 1, 4, 5]          # identical lines 3 and 4 are two strikes
    assert ev.loc["5", "country"] == "Iraq"                 # "Tikrit, Iraq"
    assert (ev["relation"] == "strike").all() and (ev["date_precision"] == "day").all()


def test_shift_release_dates(sample: centcom.AdapterOutput) -> None:
    shifted = centcom.shift_release_dates(sample.events, 2)
    assert shifted["date"].tolist()[0] == pd.Timestamp("2014-12-17")
    assert shifted.loc[shifted["event_id"] == "5", "date"].item() == pd.Timestamp("2014-12-30")  # crosses year
    assert shifted.loc[shifted["event_id"] == "5", "year"].item() == 2014
    with pytest.raises(ValueError):
        centcom.shift_release_dates(sample.events, -1)


def test_monthly_dose_missing_not_zero(sample: centcom.AdapterOutput) -> None:
    m = centcom.monthly_strikes(sample.events, "2014-11", "2015-03").set_index(["country", "period"])
    p = pd.Period
    assert np.isnan(m.loc[("all", p("2014-11", "M")), "strikes"])     # before the first release
    assert m.loc[("all", p("2014-12", "M")), "strikes"] == 2 + 3 + 1 + 1
    assert m.loc[("Iraq", p("2015-01", "M")), "strikes"] == 4
    assert m.loc[("Syria", p("2015-01", "M")), "strikes"] == 0          # covered, no Syria line: zero
    assert m.loc[("all", p("2015-02", "M")), "strikes"] == 5
    assert np.isnan(m.loc[("all", p("2015-03", "M")), "strikes"])     # after the last release
    # 2014-12 covered from the 19th: 13 of 31 days; 2015-02 covered to the 2nd: 2 of 28
    assert m.loc[("all", p("2014-12", "M")), "days_covered_share"] == pytest.approx(13 / 31)
    assert m.loc[("all", p("2015-02", "M")), "days_covered_share"] == pytest.approx(2 / 28)
    assert m.loc[("all", p("2014-12", "M")), "partial"] and not m.loc[("all", p("2015-01", "M")), "partial"]
    lag = centcom.monthly_strikes(sample.events, "2014-11", "2015-03", lag_days=1).set_index(["country", "period"])
    assert lag.loc[("all", p("2014-12", "M")), "strikes"] == 7 + 4     # 1 Jan release -> 31 Dec strikes


@pytest.mark.parametrize("name, match", [("strikes_missing_number.csv", "number"),
                                         ("strikes_truncated.csv.xz", "truncated|corrupt")])
def test_bad_input(fx: Path, name: str, match: str) -> None:
    with pytest.raises(SourceFormatError, match=match):
        centcom.read(SPEC, {"main": fx / name})


@pytest.mark.realdata
def test_real_centcom(shared_data_dir: Path) -> None:
    files = {r: lf.path for r, lf in locate_source(SPEC, shared_data_dir).items()}
    out = centcom.read(SPEC, files)
    out.check_balance(SPEC.key)
    ev = out.events
    assert out.rows_read == len(ev) == 5_531 and out.excluded == {}
    assert ev["country"].value_counts().to_dict() == {"Iraq": 3_923, "Syria": 1_608}
    assert ev["date"].min() == pd.Timestamp("2014-12-19") and ev["date"].max() == pd.Timestamp("2016-10-17")
    m = centcom.monthly_strikes(ev, "2014-08", "2016-12")
    allc = m[m["country"] == "all"].set_index("period")["strikes"]
    assert allc[:"2014-11"].isna().all() and allc["2016-11":].isna().all()   # campaign months not scraped
    assert allc["2014-12":"2016-10"].notna().all() and allc.sum() == ev["n"].sum()


def test_aligned_on_the_study_interventions(sample: centcom.AdapterOutput) -> None:
    from externalize.config import load_study

    study = load_study()
    m = centcom.monthly_strikes(sample.events, "2014-08", "2015-02", interventions=study.interventions)
    allc = m[m["country"] == "all"].set_index("period")
    # Iraq strikes began 2014-08-08: 2014-08 is month 0, 2014-12 month 4; Syria (2014-09-23): month 3
    assert allc.loc[pd.Period("2014-08", "M"), "months_from_iraq_strikes"] == 0
    assert allc.loc[pd.Period("2014-12", "M"), "months_from_iraq_strikes"] == 4
    assert allc.loc[pd.Period("2014-12", "M"), "months_from_syria_strikes"] == 3
    assert allc.loc[pd.Period("2014-12", "M"), "months_from_russia_strikes"] == -9
