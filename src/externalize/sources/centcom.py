"""US CENTCOM / CJTF-OIR strike press releases (Iraq and Syria), as scraped line by line.

One event row per release line ("Near X, N strikes ..."): n = number of strikes on the line, country
Iraq or Syria, relation "strike", side_a "CJTF-OIR coalition" (the releases report coalition strikes), event_id the
1-based data row number (the file has no id; identical lines in one release are separate strikes, so they
are not de-duplicated: 4 such pairs in the scrape). The scraper's `location` has no column in the event
schema and is not carried. country cells naming a place before the country
("Tikrit, Iraq", 1 row) are read as the country after the last comma.

Dates: `date` is the RELEASE date (M/D/YYYY). A release reports strikes conducted since the previous release,
usually the day or two before, so the strike itself is 1-2 days earlier. The events keep the release date
(day precision); `shift_release_dates(events, lag_days)` moves them back by a chosen lag for a sensitivity
check, and `monthly_strikes(..., lag_days=)` does the same for the monthly dose series.
A date that cannot be read is excluded under "unparseable date"; a strike count that is not a whole number
>= 1 under "bad strike count"; a country other than Iraq / Syria under "unknown country". All are counted.

The dose series (`monthly_strikes`) is missing, not zero, in months the scrape does not cover: the campaign
began 2014-08-08 (Iraq) and 2014-09-23 (Syria), but the first release here is 2014-12-19 and the last
2016-10-17. The first and last covered months are partial; their share of days covered is reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from externalize.config import Intervention
from externalize.registry import SourceSpec
from externalize.schema import conform_events
from externalize.sources.base import AdapterOutput, conformed, read_csv_strict, require_columns

SOURCE_IDS: tuple[str, ...] = ("centcom_strikes",)
COLUMNS = ("date", "country", "location", "number")
COUNTRIES = ("Iraq", "Syria")
COALITION = "CJTF-OIR coalition"
DEFAULT_LAG_DAYS = 1  # strikes are reported the day or two after they happen


def normalise_strikes(raw: pd.DataFrame, source: str, path: Path) -> AdapterOutput:
    raw = require_columns(raw, COLUMNS, path).reset_index(drop=True)
    date = pd.to_datetime(raw["date"].astype("string").str.strip(), format="%m/%d/%Y", errors="coerce")
    country = raw["country"].astype("string").str.split(",").str[-1].str.strip()
    number = pd.to_numeric(raw["number"], errors="coerce")
    excluded: dict[str, int] = {}
    drop = pd.Series(False, index=raw.index)
    for mask, reason in ((date.isna(), "unparseable date"),
                         (number.isna() | (number < 1) | (number != number.round()), "bad strike count"),
                         (~country.isin(COUNTRIES).fillna(False), "unknown country")):
        new = mask.fillna(True).astype(bool) & ~drop
        if new.any():
            excluded[reason] = int(new.sum())
        drop |= new
    d = date.fillna(pd.Timestamp("1970-01-01"))
    events = pd.DataFrame({
        "source": source, "event_id": pd.Series(np.arange(1, len(raw) + 1)).astype("string"),
        "year": d.dt.year, "month": d.dt.month, "day": d.dt.day, "date_precision": "day", "date": d,
        "country": country, "region": "Middle East & North Africa", "side_a": COALITION,
        "relation": "strike", "n": number.fillna(0),
    })[(~drop).to_numpy()]
    return AdapterOutput(rows_read=len(raw), events=conformed(conform_events, events, path), excluded=excluded)


def shift_release_dates(events: pd.DataFrame, lag_days: int = DEFAULT_LAG_DAYS) -> pd.DataFrame:
    """The same rows dated `lag_days` before the release (the likely strike date); year/month/day follow."""
    if lag_days < 0:
        raise ValueError("lag_days must be >= 0 (strikes happen before they are reported)")
    d = events["date"] - pd.Timedelta(days=lag_days)
    return events.assign(date=d, year=d.dt.year.astype("int16"), month=d.dt.month.astype("Int8"),
                         day=d.dt.day.astype("Int8"))


def monthly_strikes(events: pd.DataFrame, start: pd.Period | str, end: pd.Period | str,
                    lag_days: int = 0, interventions: Iterable[Intervention] = ()) -> pd.DataFrame:
    """Monthly dose series per country (Iraq, Syria, and "all").

    Columns: period, country, strikes (NaN outside the covered days' months: missing, not zero),
    release_days (distinct release dates in the month), days_covered_share (share of the month's days
    between the first and last release, after the lag), partial (share < 1), and for each intervention of
    the study config `months_from_<name>` (0 = the month the intervention date falls in).
    """
    start, end = pd.Period(start, freq="M"), pd.Period(end, freq="M")
    ev = shift_release_dates(events, lag_days) if lag_days else events
    months = pd.period_range(start, end, freq="M")
    first, last = ev["date"].min(), ev["date"].max()
    out = []
    for country in (*COUNTRIES, "all"):
        sub = ev if country == "all" else ev[ev["country"] == country]
        per = sub["date"].dt.to_period("M")
        strikes = sub.groupby(per)["n"].sum().reindex(months, fill_value=0).astype("float64")
        days = sub.groupby(per)["date"].nunique().reindex(months, fill_value=0)
        out.append(pd.DataFrame({"period": months, "country": country, "strikes": strikes.to_numpy(),
                                 "release_days": days.to_numpy()}))
    res = pd.concat(out, ignore_index=True)
    m_start = res["period"].dt.start_time
    m_end = res["period"].dt.end_time.dt.normalize()
    lo = m_start.where(m_start > first, first)
    hi = m_end.where(m_end < last, last)
    covered = ((hi - lo).dt.days + 1).clip(lower=0)
    res["days_covered_share"] = covered / res["period"].dt.days_in_month
    res["partial"] = (res["days_covered_share"] > 0) & (res["days_covered_share"] < 1)
    res["strikes"] = res["strikes"].where(res["days_covered_share"] > 0, np.nan)
    for iv in interventions:
        res[f"months_from_{iv.name}"] = [(p - iv.month).n for p in res["period"]]
    return res


def read(spec: SourceSpec, files: Mapping[str, Path]) -> AdapterOutput:
    path = Path(files["main"])
    return normalise_strikes(read_csv_strict(path), spec.key, path)
