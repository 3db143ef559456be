"""Mapping Militant Organizations (MMP): dated relationships between militant groups.

One event row per relationship line: event_id = `unique_id`, side_a = `group1_name`, side_b = `group2_name`
(names taken from the key file by `group*_id` when the name cell is empty), relation from `type`:
    riv -> rivalry, all -> alliance, aff -> affiliation, spl -> split, mer -> merger.
No location is coded, so country is <NA>; n = 1. The relationship's `description` (when the export has it)
becomes `summary`: the classification reads it to tell statements, rulings and videos from events.

Dates come in two formats in the same column:
    M/D/YY        e.g. 2/18/10     -> day precision
    YYYY-MM-DD    with 00 for an unknown part: 2014-02-00 -> month precision, 2012-00-00 -> year precision
Two-digit years are resolved with a pivot equal to the last year the release covers (the registry's
coverage_end, 2017 for this export): YY <= 17 -> 20YY, YY > 17 -> 19YY. No relationship can be dated after
the release was compiled, and the earliest MMP relationship is from 1959, so this pivot is unambiguous here.
A date in neither format, or an impossible one (month 13, 30 February, a day without a month, a year outside
1900-2100), is excluded under "unparseable date" and counted; an unknown `type` under "unknown relationship
type"; a repeated `unique_id` under "duplicate id".
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from externalize.errors import SourceFormatError
from externalize.registry import SourceSpec
from externalize.schema import conform_events, dates_from_parts
from externalize.sources.base import AdapterOutput, conformed, read_csv_strict, require_columns

SOURCE_IDS: tuple[str, ...] = ("mapping_militants",)

COLUMNS = ("unique_id", "type", "group1_id", "group2_id", "date", "group1_name", "group2_name")
KEY_COLUMNS = ("group_id", "name")
RELATION_TYPES: dict[str, str] = {"riv": "rivalry", "all": "alliance", "aff": "affiliation",
                                  "spl": "split", "mer": "merger"}
DEFAULT_PIVOT_YEAR = 2017

_MDY = r"^(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{2})$"
_YMD = r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})$"


def parse_mmp_dates(raw: pd.Series, pivot_year: int = DEFAULT_PIVOT_YEAR) -> pd.DataFrame:
    """year, month, day (0 / <NA> = unknown), date, precision and `ok` for each raw MMP date string."""
    s = raw.astype("string").str.strip()
    mdy = s.str.extract(_MDY)
    ymd = s.str.extract(_YMD)
    yy = pd.to_numeric(mdy["y"], errors="coerce")
    pivot = pivot_year % 100
    century = pivot_year - pivot
    y_mdy = (yy + century).where(yy <= pivot, yy + century - 100)
    year = pd.to_numeric(ymd["y"], errors="coerce").fillna(y_mdy)
    month = pd.to_numeric(ymd["m"], errors="coerce").fillna(pd.to_numeric(mdy["m"], errors="coerce"))
    day = pd.to_numeric(ymd["d"], errors="coerce").fillna(pd.to_numeric(mdy["d"], errors="coerce"))
    # M/D/YY always names a day; in YYYY-MM-DD a 00 part is unknown. A non-zero part out of range is an
    # error in the source, not an unknown: such rows are not ok (dates_from_parts would silently drop it).
    bad_parts = (month > 12) | (day > 31) | (mdy["m"].notna() & ((month < 1) | (day < 1)))
    bad_parts |= (month == 0) & (day > 0)  # a day without a month
    # a year outside the schema's range (e.g. 0000) is an error in the source; keep it away from the
    # date arithmetic, which cannot represent it
    bad_parts |= year.notna() & ~year.between(1900, 2100)
    date, precision = dates_from_parts(year.where(year.between(1900, 2100)).fillna(1970), month, day)
    # an impossible calendar day (e.g. 2/30/14) comes back as month precision; treat it as an error too
    said_day = (day > 0).fillna(False)
    bad_parts |= said_day & (precision != "day")
    ok = year.notna() & ~bad_parts.fillna(False)
    return pd.DataFrame({"year": year, "month": month, "day": day, "date": date, "precision": precision,
                         "ok": ok})


def load_group_key(path: Path) -> pd.Series:
    """MMP group id -> group name (ids of -99, "no id", are left out)."""
    key = require_columns(read_csv_strict(Path(path)), KEY_COLUMNS, path)
    key = key.dropna(subset=["group_id"])
    ids = pd.to_numeric(key["group_id"], errors="coerce")
    if ids.isna().any():
        raise SourceFormatError(f"{path}: group_id not a number: {key['group_id'][ids.isna()].tolist()[:5]}")
    # -99 marks groups without an MMP id (several share it): they cannot be looked up by id
    valid = ids >= 0
    out = pd.Series(key["name"].str.strip().to_numpy()[valid.to_numpy()],
                    index=ids[valid].astype("int64").to_numpy(), name="name")
    if out.index.duplicated().any():
        raise SourceFormatError(f"{path}: group_id repeated: {out.index[out.index.duplicated()].tolist()[:5]}")
    return out


def normalise_relationships(raw: pd.DataFrame, source: str, path: Path, key: pd.Series | None = None,
                            pivot_year: int = DEFAULT_PIVOT_YEAR) -> AdapterOutput:
    raw = require_columns(raw, COLUMNS, path).reset_index(drop=True)
    names = []
    for i in (1, 2):
        name = raw[f"group{i}_name"].astype("string").str.strip().replace("", pd.NA)
        if key is not None:
            ids = pd.to_numeric(raw[f"group{i}_id"], errors="coerce")
            name = name.fillna(ids.map(key).astype("string"))
        names.append(name)
    kind = raw["type"].astype("string").str.strip().str.lower()
    relation = kind.map(RELATION_TYPES).astype("string")
    dates = parse_mmp_dates(raw["date"], pivot_year)
    event_id = raw["unique_id"].astype("string").str.strip().replace("", pd.NA)

    excluded: dict[str, int] = {}
    drop = pd.Series(False, index=raw.index)
    for mask, reason in ((event_id.isna(), "no unique_id"), (relation.isna(), "unknown relationship type"),
                         (~dates["ok"], "unparseable date")):
        new = mask.fillna(True) & ~drop
        if new.any():
            excluded[reason] = int(new.sum())
        drop |= new
    dup = ~drop & event_id.where(~drop).duplicated(keep="first")
    if dup.any():
        excluded["duplicate id"] = int(dup.sum())
    drop |= dup

    events = pd.DataFrame({
        "source": source, "event_id": event_id, "year": dates["year"],
        "month": dates["month"].where(dates["precision"] != "year"),
        "day": dates["day"].where(dates["precision"] == "day"),
        "date_precision": dates["precision"], "date": dates["date"],
        "side_a": names[0], "side_b": names[1], "relation": relation, "n": 1,
        "summary": (raw["description"].astype("string").str.strip().replace("", pd.NA)
                    if "description" in raw.columns else pd.Series(pd.NA, index=raw.index, dtype="string")),
    })[(~drop).to_numpy()]
    return AdapterOutput(rows_read=len(raw), events=conformed(conform_events, events, path), excluded=excluded)


def read(spec: SourceSpec, files: Mapping[str, Path]) -> AdapterOutput:
    path = Path(files["main"])
    key = load_group_key(Path(files["key"])) if "key" in files else None
    return normalise_relationships(read_csv_strict(path), spec.key, path, key,
                                   pivot_year=spec.coverage_end.year)
