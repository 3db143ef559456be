"""The strike splice: zeros before the campaign by construction, Information.dk while it covers whole months,
the CENTCOM scrape from the seam, missing (not zero) afterwards; the overlap reconciled day by day."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from externalize.designs.strikes import (
    CENTCOM_SOURCE,
    INFO_SOURCE,
    PROVENANCE_ZERO,
    StrikeSeriesError,
    daily_strikes,
    reconcile_strikes,
    splice_strikes,
)


def _events(source: str, rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame({"source": source, "date": pd.to_datetime([r[0] for r in rows]),
                         "country": [r[1] for r in rows], "n": [r[2] for r in rows]})


def _daily(source: str, first: str, last: str, per_day: dict[str, int], skip: tuple[str, ...] = ()) -> pd.DataFrame:
    rows = []
    for d in pd.date_range(first, last, freq="D"):
        if d.strftime("%Y-%m-%d") in skip:
            continue
        for country, n in per_day.items():
            rows.append((d.strftime("%Y-%m-%d"), country, n))
    return _events(source, rows)


@pytest.fixture()
def sources() -> tuple[pd.DataFrame, pd.DataFrame]:
    # newspaper: 2 Iraq + 1 Syria strikes a day, 2014-08-08 .. 2015-02-20
    info = daily_strikes(_daily(INFO_SOURCE, "2014-08-08", "2015-02-20", {"Iraq": 2, "Syria": 1}), INFO_SOURCE)
    # scrape: 1 Iraq + 1 Syria a day from 2014-12-19 to 2015-04-10, no line on 2015-01-05 and 2015-01-06
    ev = _daily(CENTCOM_SOURCE, "2014-12-20", "2015-04-11", {"Iraq": 1, "Syria": 1},
                skip=("2015-01-06", "2015-01-07"))   # release dates; lag 1 -> strikes on 01-05 and 01-06 missing
    cc = daily_strikes(ev, CENTCOM_SOURCE, lag_days=1)
    return info, cc


def test_daily_strikes_fills_days_and_applies_the_lag(sources) -> None:
    info, cc = sources
    assert info.index.min() == pd.Timestamp("2014-08-08") and info.loc["2014-08-08", "Iraq"] == 2
    assert cc.index.min() == pd.Timestamp("2014-12-19")           # release 12-20 -> strike 12-19
    assert cc.loc["2015-01-05"].sum() == 0 and cc.loc["2015-01-04"].sum() == 2   # gap kept as zero days
    with pytest.raises(StrikeSeriesError):
        daily_strikes(_daily(INFO_SOURCE, "2014-08-08", "2014-08-09", {"Iraq": 1}), CENTCOM_SOURCE)


def test_reconciliation_on_the_overlap(sources) -> None:
    info, cc = sources
    rec = reconcile_strikes(info, cc).set_index(["period", "country"])
    jan = rec.loc[(pd.Period("2015-01", "M"), "all")]
    assert jan["info_dk"] == 31 * 3 and jan["centcom"] == 29 * 2
    assert jan["difference"] == 58 - 93
    assert jan["days_info_only"] == 2 and jan["strikes_info_only"] == 6
    dec = rec.loc[(pd.Period("2014-12", "M"), "Iraq")]
    assert dec["first_day"] == "2014-12-19" and dec["days"] == 13 and dec["info_dk"] == 26 and dec["centcom"] == 13
    feb = rec.loc[(pd.Period("2015-02", "M"), "all")]
    assert feb["last_day"] == "2015-02-20" and feb["days"] == 20


def test_splice_provenance_per_month(sources) -> None:
    info, cc = sources
    s = splice_strikes(info, cc, "2014-05", "2015-05", seam="2015-01").set_index("period")
    p = lambda x: pd.Period(x, "M")  # noqa: E731
    # before the campaign: 0 by construction, flagged
    assert (s.loc[p("2014-05"):p("2014-07"), "strikes"] == 0).all()
    assert s.loc[p("2014-07"), "zero_by_construction"] and s.loc[p("2014-07"), "provenance"] == PROVENANCE_ZERO
    # campaign month counted from the 8th: 24 days x 3 strikes, a whole month for the newspaper
    assert s.loc[p("2014-08"), "strikes"] == 24 * 3 and s.loc[p("2014-08"), "source"] == INFO_SOURCE
    assert s.loc[p("2014-12"), "strikes_iraq"] == 31 * 2 and not s.loc[p("2014-12"), "zero_by_construction"]
    # from the seam: the scrape (including its missing days, which the reconciliation reports)
    assert s.loc[p("2015-01"), "source"] == CENTCOM_SOURCE and s.loc[p("2015-01"), "strikes"] == 58
    assert s.loc[p("2015-03"), "strikes"] == 31 * 2
    # April is partial in the scrape (to the 10th): missing, not zero
    assert np.isnan(s.loc[p("2015-04"), "strikes"]) and s.loc[p("2015-04"), "source"] == ""
    # harmonisation: scrape months scaled by newspaper / scrape totals over months both cover in full (Jan)
    factor = 93 / 58
    assert s.loc[p("2015-03"), "strikes_harmonised"] == pytest.approx(62 * factor)
    assert s.loc[p("2014-12"), "strikes_harmonised"] == s.loc[p("2014-12"), "strikes"]


def test_splice_refuses_a_seam_the_sources_do_not_support(sources) -> None:
    info, cc = sources
    with pytest.raises(StrikeSeriesError, match="Information.dk does not cover"):
        splice_strikes(info, cc, "2014-05", "2015-05", seam="2015-04")      # newspaper stops 2015-02-20
    with pytest.raises(StrikeSeriesError, match="CENTCOM does not cover the seam"):
        splice_strikes(info, cc, "2014-05", "2015-05", seam="2014-12")      # scrape starts 2014-12-19
    far = daily_strikes(_daily(CENTCOM_SOURCE, "2016-01-01", "2016-02-01", {"Iraq": 1}), CENTCOM_SOURCE)
    with pytest.raises(StrikeSeriesError, match="share no day"):
        reconcile_strikes(info, far)
