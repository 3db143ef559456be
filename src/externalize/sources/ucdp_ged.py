"""UCDP Georeferenced Event Dataset (GED): the full release and the two subsets held here.

Keys and layouts
  ucdp_ged_global      full GED CSV (e.g. GEDEvent_v23_1.csv), column names as in the UCDP GED codebook.
  ucdp_ged_syria       GED Syria subset, CSV converted from an R `sf` object whose column names were cut to
                       10 characters by a shapefile round trip (`type_of_vi`, `dyad_new_i`, ...). The cut
                       names are accepted as aliases of the codebook names (ALIASES_10).
  ucdp_ged_syria_iraq  GED subset as an R .rds data.frame with `year` but no date columns: every event is
                       dated to its year only (date_precision "year"). It has no one-sided violence and
                       no `type_of_violence` column, so type_of_violence is <NA> (it is used when a
                       year-only file has it).

Dating rule (one rule for every GED file)
  An event is dated by `date_start`. GED `date_prec` says how exact that is, and sets the precision kept:
      1 exact day                         -> "day"   (date_start)
      2 within a 2-6 day span             -> "day"   (date_start, the first day of the span)
      3 only the week known               -> "month" (date_start's month)
      4 within 8-30 days / month known    -> "month" (date_start's month)
      5 within more than a month          -> "year"  (date_start's year)
  Code 2 stays at day precision because monthly counts, the finest unit the study uses, move by at most
  the few events whose 2-6 day span crosses a month end. Events whose date_end falls in a later month than
  date_start are NOT split or excluded: they are counted in date_start's month (or year, for code 5).
  GED Syria has 143 such events, 92 of them at date_prec 1-4; `spanning_months(events)` counts those kept
  at day or month precision so the report can state how many monthly counts rest on the rule.
  A `date_prec` outside 1-5 is not guessed: the row is excluded under "unknown date_prec code" (counted in
  the ledger). So are rows whose date_start or date_end cannot be read, or whose date_end is before date_start.

Other fields: event_id = `id`; fatalities = `best` (for the .rds subset, which has no `best`, the sum of
deaths_a + deaths_b + deaths_civilians + deaths_unknown, which is how UCDP defines `best`); relation
"fighting"; n = 1. `type_of_violence` outside 1-3 is excluded under "unknown type_of_violence code".
"""

from __future__ import annotations

import lzma
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from externalize.errors import SourceFormatError
from externalize.locate import inner_name, read_bytes
from externalize.registry import SourceSpec
from externalize.schema import conform_events
from externalize.sources.base import (AdapterOutput, clean_text, conformed, numeric_column, parse_r_data,
                                      read_text_csv_file, require_columns)

SOURCE_IDS: tuple[str, ...] = ("ucdp_ged_syria", "ucdp_ged_syria_iraq", "ucdp_ged_global")

# Full GED CSV layout, codebook v23.1 (49 columns), in file order.
GED_COLUMNS: tuple[str, ...] = (
    "id", "relid", "year", "active_year", "code_status", "type_of_violence", "conflict_dset_id",
    "conflict_new_id", "conflict_name", "dyad_dset_id", "dyad_new_id", "dyad_name", "side_a_dset_id",
    "side_a_new_id", "side_a", "side_b_dset_id", "side_b_new_id", "side_b", "number_of_sources",
    "source_article", "source_office", "source_date", "source_headline", "source_original", "where_prec",
    "where_coordinates", "where_description", "adm_1", "adm_2", "latitude", "longitude", "geom_wkt",
    "priogrid_gid", "country", "country_id", "region", "event_clarity", "date_prec", "date_start",
    "date_end", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown", "best", "high", "low",
    "gwnoa", "gwnob",
)
# Columns a dated GED file must have (the list); the rest of the codebook layout is optional.
REQUIRED: tuple[str, ...] = (
    "id", "date_start", "date_end", "date_prec", "type_of_violence", "dyad_name", "side_a", "side_b",
    "country", "region", "where_prec", "latitude", "longitude", "best", "low", "high",
)
# A year-only subset (syria-iraq.rds) has these instead of dates, type and best/low/high.
YEAR_ONLY_REQUIRED: tuple[str, ...] = (
    "id", "year", "dyad_name", "side_a", "side_b", "country", "where_prec", "latitude", "longitude",
    "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown",
)
# Shapefile-truncated names (10 characters) seen in the GED Syria subset -> codebook names.
ALIASES_10: dict[str, str] = {
    "type_of_vi": "type_of_violence", "active_yea": "active_year", "conflict_n": "conflict_new_id",
    "conflict_1": "conflict_name", "dyad_new_i": "dyad_new_id", "side_a_new": "side_a_new_id",
    "side_b_new": "side_b_new_id", "number_of_": "number_of_sources", "source_art": "source_article",
    "source_off": "source_office", "source_dat": "source_date", "source_hea": "source_headline",
    "source_ori": "source_original", "where_coor": "where_coordinates", "where_desc": "where_description",
    "priogrid_g": "priogrid_gid", "event_clar": "event_clarity", "deaths_civ": "deaths_civilians",
    "deaths_unk": "deaths_unknown", "code_statu": "code_status", "conflict_d": "conflict_dset_id",
    "dyad_dset_": "dyad_dset_id", "side_a_dse": "side_a_dset_id", "side_b_dse": "side_b_dset_id",
}
DATE_PREC_PRECISION: dict[int, str] = {1: "day", 2: "day", 3: "month", 4: "month", 5: "year"}

_READ_COLUMNS = set(REQUIRED) | set(YEAR_ONLY_REQUIRED)


def _canonical(name: str) -> str:
    name = name.strip()
    return ALIASES_10.get(name, name)


def read_ged_csv(path: Path) -> pd.DataFrame:
    """The columns this adapter uses from a GED CSV (codebook or 10-character names), as text."""
    # UTF-8 (stray bytes reported by line, base.decode_text); parsed by Arrow when valid UTF-8
    raw = read_text_csv_file(path, header_check=lambda cols: [c for c in cols if _canonical(c) in _READ_COLUMNS])
    return raw.rename(columns={c: _canonical(c) for c in raw.columns})


def read_ged_rds(path: Path, engine: str | None = None) -> pd.DataFrame:
    """An R .rds (or .rda holding one data.frame) with GED rows: the decompressed bytes are parsed and
    converted to pandas (pyreadr when installed, else rdata; see sources.base.parse_r_data)."""
    data = read_bytes(path)
    ext = ".rds" if inner_name(path).lower().endswith(".rds") else ".rda"
    try:
        obj = parse_r_data(data, ext, engine)
    except (ValueError, EOFError, lzma.LZMAError, NotImplementedError, IndexError, KeyError) as exc:
        raise SourceFormatError(f"{path}: not a readable R data file ({type(exc).__name__}: {exc})") from exc
    if isinstance(obj, dict):  # .rda: named objects; accept exactly one data.frame
        frames = [v for v in obj.values() if isinstance(v, pd.DataFrame)]
        obj = frames[0] if len(frames) == 1 else obj
    if not isinstance(obj, pd.DataFrame):
        raise SourceFormatError(f"{path}: expected an R data.frame, found {type(obj).__name__}")
    obj = obj.rename(columns={c: _canonical(str(c)) for c in obj.columns})
    return obj.reset_index(drop=True)


def _text(raw: pd.Series) -> pd.Series:
    return clean_text(raw)


def _ged_date(raw: pd.Series) -> pd.Series:
    """GED dates: ISO "YYYY-MM-DD", also with a time part ("1989-01-01 00:00:00.000") or already datetime."""
    if pd.api.types.is_datetime64_any_dtype(raw):
        return raw.astype("datetime64[ns]")
    return pd.to_datetime(raw.astype("string").str.strip().str.slice(0, 10), format="%Y-%m-%d",
                          errors="coerce").astype("datetime64[ns]")


def normalise_ged(raw: pd.DataFrame, source: str, path: Path, year_only: bool = False) -> AdapterOutput:
    """GED rows (canonical column names) -> event rows, applying the module's dating rule."""
    rows_read = len(raw)
    raw = raw.reset_index(drop=True)
    excluded: dict[str, int] = {}
    drop = pd.Series(False, index=raw.index)

    def exclude(mask: pd.Series, reason: str) -> None:
        nonlocal drop
        new = mask & ~drop
        if new.any():
            excluded[reason] = excluded.get(reason, 0) + int(new.sum())
        drop = drop | new

    event_id = _text(raw["id"].astype("string"))
    event_id = event_id.str.replace(r"\.0$", "", regex=True)  # ids stored as floats in R files
    exclude(event_id.isna(), "no id")

    if year_only:
        require_columns(raw, YEAR_ONLY_REQUIRED, path)
        year = numeric_column(raw["year"], path, "year")
        exclude(year.isna(), "no year")
        yr = year.fillna(1970).astype("int64")
        date = pd.to_datetime(pd.DataFrame({"year": yr, "month": 1, "day": 1})).astype("datetime64[ns]")
        precision = pd.Series("year", index=raw.index, dtype="string")
        month = pd.Series(pd.NA, index=raw.index, dtype="Int8")
        day = pd.Series(pd.NA, index=raw.index, dtype="Int8")
        date_end = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
        if "best" in raw.columns:
            fatalities = numeric_column(raw["best"], path, "best")
        else:
            deaths = [numeric_column(raw[c], path, c) for c in ("deaths_a", "deaths_b", "deaths_civilians",
                                                         "deaths_unknown")]
            fatalities = deaths[0] + deaths[1] + deaths[2] + deaths[3]
        if "type_of_violence" in raw.columns:
            tov_num = numeric_column(raw["type_of_violence"], path, "type_of_violence")
            exclude(~tov_num.isin([1, 2, 3]), "unknown type_of_violence code")
            tov = tov_num.where(tov_num.isin([1, 2, 3])).astype("Int8")
        else:
            tov = pd.Series(pd.NA, index=raw.index, dtype="Int8")
        region = _text(raw["region"]) if "region" in raw.columns else pd.Series(pd.NA, index=raw.index,
                                                                                   dtype="string")
    else:
        require_columns(raw, REQUIRED, path)
        start = _ged_date(raw["date_start"])
        end = _ged_date(raw["date_end"])
        exclude(start.isna(), "unparseable date_start")
        exclude(raw["date_end"].notna() & end.isna(), "unparseable date_end")
        exclude(end.notna() & start.notna() & (end < start), "date_end before date_start")
        prec_code = numeric_column(raw["date_prec"], path, "date_prec")
        precision = prec_code.map(DATE_PREC_PRECISION).astype("string")
        exclude(precision.isna(), "unknown date_prec code")
        tov_num = numeric_column(raw["type_of_violence"], path, "type_of_violence")
        exclude(~tov_num.isin([1, 2, 3]), "unknown type_of_violence code")
        tov = tov_num.where(tov_num.isin([1, 2, 3])).astype("Int8")
        start = start.fillna(pd.Timestamp("1970-01-01"))
        is_day = (precision == "day").fillna(False).to_numpy()
        is_month = (precision == "month").fillna(False).to_numpy()
        month = pd.Series(np.where(is_day | is_month, start.dt.month, 0), index=raw.index)
        month = month.where(month > 0).astype("Int8")
        day = pd.Series(np.where(is_day, start.dt.day, 0), index=raw.index)
        day = day.where(day > 0).astype("Int8")
        date = pd.Series(np.where(is_day, start, np.where(is_month, start.dt.to_period("M").dt.start_time,
                                                          start.dt.to_period("Y").dt.start_time)),
                         index=raw.index).astype("datetime64[ns]")
        date_end = end
        fatalities = numeric_column(raw["best"], path, "best")
        region = _text(raw["region"])

    ids_ok = event_id.notna() & ~drop
    # first occurrence wins among rows not already excluded
    duplicate = ids_ok & event_id.where(ids_ok).duplicated(keep="first")
    exclude(duplicate, "duplicate id")

    keep = (~drop).to_numpy()
    events = pd.DataFrame({
        "source": source,
        "event_id": event_id,
        "year": date.dt.year,
        "month": month,
        "day": day,
        "date_precision": precision,
        "date": date,
        "date_end": date_end,
        "country": _text(raw["country"]),
        "region": region,
        "latitude": numeric_column(raw["latitude"], path, "latitude"),
        "longitude": numeric_column(raw["longitude"], path, "longitude"),
        "side_a": _text(raw["side_a"]),
        "side_b": _text(raw["side_b"]),
        "relation": "fighting",
        "n": 1,
        "fatalities": fatalities,
        "type_of_violence": tov,
    })
    if not keep.all():  # a boolean selection copies every column: only when rows are left out
        events = events[keep]
    return AdapterOutput(rows_read=rows_read, events=conformed(conform_events, events, path), excluded=excluded)


def spanning_months(events: pd.DataFrame) -> int:
    """Rows counted in date_start's month although date_end falls in a later month (the dating rule).

    Only rows kept at day or month precision are counted: year-precision rows enter no monthly count.
    """
    end = events["date_end"]
    start = events["date"]
    later = end.notna() & ((end.dt.year * 12 + end.dt.month) > (start.dt.year * 12 + start.dt.month))
    return int((later & (events["date_precision"] != "year")).sum())


def read(spec: SourceSpec, files: Mapping[str, Path]) -> AdapterOutput:
    path = Path(files["main"])
    name = inner_name(path).lower()
    raw = read_ged_rds(path) if name.endswith((".rds", ".rda", ".rdata")) else read_ged_csv(path)
    has_dates = "date_start" in raw.columns
    if not has_dates and spec.frequency != "year":
        missing = [c for c in REQUIRED if c not in raw.columns]
        raise SourceFormatError(f"{path}: missing columns {missing}; {spec.key} is registered as dated "
                                f"({spec.frequency}), so a file without date_start cannot stand for it")
    return normalise_ged(raw, spec.key, path, year_only=not has_dates)
