"""CSIS terrorist attacks and plots in the United States (public release 2021-04-12, with Washington Post columns).

One event row per data line (980 in the release). The file has no id: event_id is the 1-based data row
number. Date from Year_csis / Month_csis / Day_csis: a blank month gives year precision (1 row), a blank or
0 day month precision (24 rows: 7 blank, 17 coded 0; 0 means unknown, as in GTD). A month outside 0-12, a
day outside 0-31, or a day without a month is not guessed: the row is excluded under "unknown date code".
A row without a year is excluded under "no year".

CSIS names no group. Its `Orientation_csis` (Violent Far-right, Violent Far-left, Religious, Ethnonationalist,
Other) is carried as side_a, as the taxonomy expects (csis scheme: "Religious" = jihadist cases, family JIH);
every orientation is kept so that the share of jihadist cases can be shown. The release mixes attacks and
plots without a column telling them apart, so relation is "plot" and plot_status <NA>.
country "United States" (the file holds US cases only); region <NA>; target_type = Target_csis;
fatalities = vict_killed_csis; latitude / longitude = Lat_csis / Long_csis.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from externalize.registry import SourceSpec
from externalize.schema import conform_events, dates_from_parts
from externalize.sources.base import AdapterOutput, conformed, numeric_column, read_csv_strict, require_columns

SOURCE_IDS: tuple[str, ...] = ("csis_us",)
COLUMNS = ("Year_csis", "Month_csis", "Day_csis", "Orientation_csis", "vict_killed_csis", "Target_csis",
           "Lat_csis", "Long_csis")
JIHADIST_ORIENTATION = "Religious"


def normalise_csis(raw: pd.DataFrame, source: str, path: Path) -> AdapterOutput:
    raw = require_columns(raw, COLUMNS, path).reset_index(drop=True)
    year = numeric_column(raw["Year_csis"], path, "Year_csis")
    month = numeric_column(raw["Month_csis"], path, "Month_csis")
    day = numeric_column(raw["Day_csis"], path, "Day_csis")
    excluded: dict[str, int] = {}
    no_year = year.isna()
    # 0 means unknown, as in GTD (17 rows have day 0)
    bad = ~no_year & (month.notna() & ~month.between(0, 12) | day.notna() & ~day.between(0, 31)
                      | (day > 0) & ~(month > 0))
    month, day = month.where(month > 0), day.where(day > 0)
    if no_year.any():
        excluded["no year"] = int(no_year.sum())
    if bad.any():
        excluded["unknown date code"] = int(bad.sum())
    keep = ~(no_year | bad)
    date, precision = dates_from_parts(year.fillna(1970), month, day)
    events = pd.DataFrame({
        "source": source,
        "event_id": pd.Series(np.arange(1, len(raw) + 1)).astype("string"),
        "year": date.dt.year, "month": month.where(precision != "year"), "day": day.where(precision == "day"),
        "date_precision": precision, "date": date, "country": "United States",
        "latitude": numeric_column(raw["Lat_csis"], path, "Lat_csis"), "longitude": numeric_column(raw["Long_csis"], path, "Long_csis"),
        "side_a": raw["Orientation_csis"].astype("string").str.strip().replace("", pd.NA),
        "relation": "plot", "target_type": raw["Target_csis"].astype("string").str.strip().replace("", pd.NA),
        "n": 1, "fatalities": numeric_column(raw["vict_killed_csis"], path, "vict_killed_csis"),
    })[keep.to_numpy()]
    return AdapterOutput(rows_read=len(raw), events=conformed(conform_events, events, path), excluded=excluded)


def read(spec: SourceSpec, files: Mapping[str, Path]) -> AdapterOutput:
    path = Path(files["main"])
    return normalise_csis(read_csv_strict(path), spec.key, path)
