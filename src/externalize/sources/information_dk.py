"""Coalition air strikes per day, Iraq and Syria, from Dagbladet Information's strike map (2014-08-08 .. 2015-06-25).

Files (registry `airstrikes_information_dk`)
  main   daily_strikes_by_country_DERIVED.csv   date, Iraq, Syria: strikes per day and country. A format
         conversion of `map`, made when the data were gathered: the sum of `properties.attacks` of every
         located strike point per date, country from the coordinates (Syria-Iraq border line; two
         name fixes, see the data manifest).
  map    map.en.json   the map's own data (GeoJSON points per date, plus one `total` collection).

The adapter re-adds the points of `map` per date (leaving out the `total` collection) and refuses the
daily file when any date's Iraq + Syria differs from it, so the conversion is checked on every build.

Rows read are CELLS: two per daily line (Iraq, Syria). A cell with strikes > 0 becomes one event row:
event_id "<date>:<country>", relation "strike", side_a "CJTF-OIR coalition" (as in the CENTCOM adapter),
n = strikes, date precision day. A cell of 0 is counted under "zero cell" (a day with no located strike in
that country). The unit is CENTCOM's "strike" as transcribed by the newspaper; dates are the dates under
which the newspaper filed the release lines (the strike day, or the release day when the release did not
say). Coalition-partner strikes are in the points only to 2015-02 (not transcribed afterwards), and
strikes without coordinates are not in the points at all: these counts are a lower bound of all strikes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from externalize.errors import SourceFormatError
from externalize.locate import read_bytes
from externalize.registry import SourceSpec
from externalize.schema import conform_events
from externalize.sources.base import AdapterOutput, numeric_column, read_csv_strict, require_columns
from externalize.sources.centcom import COALITION

SOURCE_IDS: tuple[str, ...] = ("airstrikes_information_dk",)
COUNTRIES = ("Iraq", "Syria")


def read_daily(path: Path) -> pd.DataFrame:
    """The daily file as date (datetime64), Iraq, Syria (float, whole numbers >= 0); bad input raises."""
    raw = require_columns(read_csv_strict(Path(path)), ("date", *COUNTRIES), path)
    date = pd.to_datetime(raw["date"].astype("string").str.strip(), format="%Y-%m-%d", errors="coerce")
    if date.isna().any():
        raise SourceFormatError(f"{path}: unreadable dates {raw['date'][date.isna()].tolist()[:5]}")
    if date.duplicated().any():
        raise SourceFormatError(f"{path}: repeated dates {date[date.duplicated()].dt.date.tolist()[:5]}")
    out = pd.DataFrame({"date": date})
    for c in COUNTRIES:
        v = numeric_column(raw[c], path, c)
        if v.isna().any() or (v < 0).any() or (v % 1 != 0).any():
            raise SourceFormatError(f"{path}: column {c!r} must hold whole strike counts >= 0")
        out[c] = v
    return out


def map_points_per_date(path: Path) -> pd.Series:
    """Sum of `properties.attacks` per date over the map's point collections, the `total` collection left out."""
    try:
        data = json.loads(read_bytes(Path(path)).decode("utf-8"))
        sums: dict[str, float] = {}
        for collection in data["points"]:
            for feature in collection["features"]:
                props = feature["properties"]
                if props["date"] == "total":
                    continue
                sums[props["date"]] = sums.get(props["date"], 0.0) + float(props["attacks"])
    except (KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
        raise SourceFormatError(f"{path}: not the Information.dk map layout ({exc!r})") from exc
    s = pd.Series(sums, dtype="float64")
    s.index = pd.to_datetime(s.index, format="%Y-%m-%d")
    return s.sort_index()


def check_against_map(daily: pd.DataFrame, points: pd.Series, path: Path) -> None:
    """Refuse a daily file whose Iraq + Syria differs from the map's points on any date (or misses a date)."""
    total = daily.set_index("date")[list(COUNTRIES)].sum(axis=1)
    joined = pd.concat({"daily": total, "map": points}, axis=1)
    bad = joined[joined["daily"].fillna(-1) != joined["map"].fillna(-1)]
    if len(bad):
        raise SourceFormatError(f"{path}: daily strikes differ from the map's points on {len(bad)} dates, e.g. "
                                f"{bad.head(3).reset_index().to_dict('records')}")


def normalise_daily(daily: pd.DataFrame, source: str) -> AdapterOutput:
    long = daily.melt(id_vars="date", value_vars=list(COUNTRIES), var_name="country", value_name="n")
    keep = long["n"] > 0
    ev = long[keep].reset_index(drop=True)
    d = ev["date"]
    events = pd.DataFrame({
        "source": source, "event_id": d.dt.strftime("%Y-%m-%d") + ":" + ev["country"],
        "year": d.dt.year, "month": d.dt.month, "day": d.dt.day, "date_precision": "day", "date": d,
        "country": ev["country"], "region": "Middle East & North Africa", "side_a": COALITION,
        "relation": "strike", "n": ev["n"].astype("int64"),
    })
    zero = int((~keep).sum())
    return AdapterOutput(rows_read=len(long), events=conform_events(events),
                         excluded={"zero cell": zero} if zero else {})


def daily_strikes(files: Mapping[str, Path]) -> pd.DataFrame:
    """The checked daily table (date, Iraq, Syria), for the designs: same checks as `read`."""
    daily = read_daily(Path(files["main"]))
    if "map" in files:
        check_against_map(daily, map_points_per_date(Path(files["map"])), Path(files["main"]))
    return daily


def read(spec: SourceSpec, files: Mapping[str, Path]) -> AdapterOutput:
    return normalise_daily(daily_strikes(files), spec.key)


__all__ = ["SOURCE_IDS", "read", "read_daily", "daily_strikes", "map_points_per_date", "check_against_map",
           "normalise_daily"]
