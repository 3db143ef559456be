"""UCDP GED 24.1 fatalities per country and month by type of violence (country-month panel, 1989-2023).

The file is an aggregation of UCDP GED v24.1 made for a replication archive (Hannah Frank, "Reconceptualizing
Conflict Emergence", scripts `procedural/data/ucdp_cm_{sb,ns,osv}.py`): per country (Gleditsch-Ward code
`gw_codes`, name `country`) and month (`dd`, "YYYY-MM"), the sums of GED `best` for type_of_violence 1
(state-based, `sb_fatalities`), 2 (non-state, `ns_fatalities`) and 3 (one-sided, `osv_fatalities`).
Its maker dropped GED events whose start and end months differ, so the sums are slightly below UCDP's
yearly figures (Syria non-state 2014: 10,207 here against 10,356 in the yearly Non-State file). Months with
no event are 0. The ACLED columns of the same file are zero-filled outside ACLED's coverage and are not read.

Rows read are CELLS: three per line (one per type of violence). A cell with fatalities > 0 becomes one event
row: event_id "<gw_code>:<YYYY-MM>:<type>", date precision month (dated to the 1st), country as the file
names it, type_of_violence 1/2/3, relation "fighting" (1, 2) or "attack" (3), fatalities = the sum,
n = 1 (one country-month aggregate: the file does not say how many GED events it sums; use `fatalities`).
No actor is named, so no class other than "none" can follow. A cell of 0 is counted under "zero cell".
A line whose `year` disagrees with `dd`, or a repeated country-month, is refused (SourceFormatError).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from externalize.errors import SourceFormatError
from externalize.registry import SourceSpec
from externalize.schema import conform_events
from externalize.sources.base import AdapterOutput, numeric_column, read_csv_strict, require_columns

SOURCE_IDS: tuple[str, ...] = ("ucdp_ged_country_month",)
TYPES: dict[int, str] = {1: "sb_fatalities", 2: "ns_fatalities", 3: "osv_fatalities"}
TYPE_LABELS: dict[int, str] = {1: "state-based", 2: "non-state", 3: "one-sided"}
COLUMNS = ("year", "dd", "gw_codes", "country", *TYPES.values())


def read_panel(path: Path) -> pd.DataFrame:
    """The panel as period (pd.Period M), gw_code (int), country, sb/ns/osv fatalities (float); checked."""
    raw = require_columns(read_csv_strict(Path(path), usecols=lambda c: c in COLUMNS), COLUMNS, path)
    period = pd.PeriodIndex(pd.to_datetime(raw["dd"].astype("string").str.strip(), format="%Y-%m",
                                           errors="coerce"), freq="M")
    if period.isna().any():
        raise SourceFormatError(f"{path}: unreadable months in `dd`: {raw['dd'][period.isna()].tolist()[:5]}")
    year = numeric_column(raw["year"], path, "year")
    if (year != period.year).any():
        raise SourceFormatError(f"{path}: `year` disagrees with `dd` on {(year != period.year).sum()} lines")
    out = pd.DataFrame({"period": period, "gw_code": numeric_column(raw["gw_codes"], path, "gw_codes").astype("int64"),
                        "country": raw["country"].astype("string").str.strip()})
    for col in TYPES.values():
        v = numeric_column(raw[col], path, col)
        if v.isna().any() or (v < 0).any():
            raise SourceFormatError(f"{path}: `{col}` must be fatalities >= 0 on every line")
        out[col] = v
    dup = out.duplicated(["gw_code", "period"])
    if dup.any():
        raise SourceFormatError(f"{path}: repeated country-months, e.g. {out[dup].head(3).to_dict('records')}")
    return out


def normalise_panel(panel: pd.DataFrame, source: str) -> AdapterOutput:
    parts = []
    for tov, col in TYPES.items():
        parts.append(panel[["period", "gw_code", "country"]].assign(type_of_violence=tov, fatalities=panel[col]))
    long = pd.concat(parts, ignore_index=True)
    keep = long["fatalities"] > 0
    ev = long[keep].reset_index(drop=True)
    d = ev["period"].dt.start_time
    events = pd.DataFrame({
        "source": source,
        "event_id": ev["gw_code"].astype(str) + ":" + ev["period"].astype(str) + ":" + ev["type_of_violence"].astype(str),
        "year": d.dt.year, "month": d.dt.month, "day": pd.NA, "date_precision": "month", "date": d,
        "country": ev["country"], "relation": ev["type_of_violence"].map({1: "fighting", 2: "fighting", 3: "attack"}),
        "n": 1, "fatalities": ev["fatalities"], "type_of_violence": ev["type_of_violence"],
    })
    zero = int((~keep).sum())
    return AdapterOutput(rows_read=len(long), events=conform_events(events),
                         excluded={"zero cell": zero} if zero else {})


def read(spec: SourceSpec, files: Mapping[str, Path]) -> AdapterOutput:
    return normalise_panel(read_panel(Path(files["main"])), spec.key)
