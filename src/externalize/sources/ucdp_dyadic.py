"""UCDP dyad-year releases: Non-State Conflict (v23.1) and Battle-Related Deaths, dyadic (v23.1).

One yearly row per dyad-year, record_id "<dyad_id>-<year>", relation "fighting", n = 1.

Side strings are kept exactly as UCDP writes them. A coalition is a comma-separated list in one field
(Non-State `side_a_name` "IS, Jabhat Fateh al-Sham"); the taxonomy, not this adapter, splits it.
Battle-Related Deaths `side_a_2nd` / `side_b_2nd` (supporting states, e.g. the US-led coalition) are not
carried: the yearly schema has one actor string per side, and mixing supporters into the primary side would
make a supporting state look like a fighting party. They stay in the raw file for anyone who needs them.

Country: Non-State `location`; Battle-Related Deaths `battle_location` (where the fighting was), falling back
to `location_inc` (the location of the incompatibility) when it is empty.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd
import pandera.errors

from externalize.errors import SourceFormatError
from externalize.locate import read_bytes
from externalize.registry import SourceSpec
from externalize.schema import conform_yearly
from externalize.sources.base import AdapterOutput, require_columns

SOURCE_IDS: tuple[str, ...] = ("ucdp_nonstate", "ucdp_battledeaths")

# raw column names per release layout (UCDP codebooks v23.1)
NONSTATE_COLUMNS = ("dyad_id", "side_a_name", "side_b_name", "year", "best_fatality_estimate",
                    "low_fatality_estimate", "high_fatality_estimate", "location")
BATTLEDEATHS_COLUMNS = ("dyad_id", "side_a", "side_b", "year", "bd_best", "bd_low", "bd_high",
                        "location_inc", "battle_location")


def check_not_truncated(data: bytes, path: Path) -> None:
    """Refuse CSV bytes whose last line was cut off.

    pandas pads a short last row with NaN without a word, so a truncated download would lose values
    silently. A file that ends without a newline must therefore end with a complete row (same number of
    fields as the header). Only the first and last lines are decoded, so this is cheap on large files.
    """
    if not data.strip():
        raise SourceFormatError(f"{path}: file is empty")
    if data.endswith(b"\n"):
        return
    first_end = data.find(b"\n")
    if first_end < 0:
        return  # a header alone: nothing to cut
    header = data[:first_end].decode("utf-8-sig", errors="replace").rstrip("\r")
    last = data[data.rfind(b"\n") + 1:].decode("utf-8", errors="replace")
    width = len(next(csv.reader([header])))
    try:
        fields = next(csv.reader([last], strict=True))
    except csv.Error as exc:
        raise SourceFormatError(f"{path}: last line is cut off ({exc}); the file looks truncated") from exc
    if len(fields) != width:
        raise SourceFormatError(f"{path}: last line has {len(fields)} fields, the header {width}; "
                                "the file looks truncated")


def read_csv_strict(path: Path, **kwargs) -> pd.DataFrame:
    """A CSV (any compression) with every column as text; truncated or unparseable files raise.

    (Shared by the UCDP, GED, MMP and Gade adapters.)
    """
    data = read_bytes(path)
    check_not_truncated(data, path)
    opts = {"dtype": str, "keep_default_na": False, "na_values": [""], "encoding": "utf-8-sig"} | kwargs
    try:
        return pd.read_csv(io.BytesIO(data), **opts)
    except (pd.errors.ParserError, csv.Error, UnicodeDecodeError) as exc:
        raise SourceFormatError(f"{path}: not a readable CSV ({exc})") from exc
    except ValueError as exc:  # usecols naming a column the file does not have
        if "Usecols" in str(exc) or "usecols" in str(exc):
            raise SourceFormatError(f"{path}: {exc}") from exc
        raise


def conformed(conform: Callable[[pd.DataFrame], pd.DataFrame], table: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Apply schema.conform_events / conform_yearly; a value the schema refuses (a latitude of 200, a negative
    death count) is reported as a SourceFormatError naming the file, like every other bad-input error."""
    try:
        return conform(table)
    except pandera.errors.SchemaError as exc:
        raise SourceFormatError(f"{path}: values outside the schema: {exc}") from exc


def numeric_column(raw: pd.Series, path: Path, column: str) -> pd.Series:
    """Numbers as float (missing stays NaN); text that is not a number is refused, not turned into NaN."""
    out = pd.to_numeric(raw, errors="coerce")
    bad = raw.notna() & out.isna()
    if bad.any():
        raise SourceFormatError(f"{path}: column {column!r} has non-numeric values, "
                                f"e.g. {raw[bad].astype(str).unique()[:5].tolist()}")
    return out.astype("float64")


def normalise_dyad_years(raw: pd.DataFrame, source: str, path: Path) -> AdapterOutput:
    """Raw Non-State or Battle-Related Deaths rows -> yearly rows (layout detected from the columns)."""
    if "side_a_name" in raw.columns or "best_fatality_estimate" in raw.columns:
        raw = require_columns(raw, NONSTATE_COLUMNS, path)
        side_a, side_b = raw["side_a_name"], raw["side_b_name"]
        best, low, high = "best_fatality_estimate", "low_fatality_estimate", "high_fatality_estimate"
        country = raw["location"]
    else:
        raw = require_columns(raw, BATTLEDEATHS_COLUMNS, path)
        side_a, side_b = raw["side_a"], raw["side_b"]
        best, low, high = "bd_best", "bd_low", "bd_high"
        country = raw["battle_location"].fillna(raw["location_inc"])
    rows_read = len(raw)
    year = numeric_column(raw["year"], path, "year")
    no_year = year.isna()
    record_id = raw["dyad_id"].str.strip() + "-" + year.astype("Int64").astype("string")
    no_dyad = raw["dyad_id"].isna() & ~no_year
    keep = ~no_year & ~no_dyad
    duplicate = keep & record_id.duplicated(keep="first")
    keep &= ~duplicate
    table = pd.DataFrame({
        "source": source,
        "record_id": record_id,
        "year": year,
        "side_a": side_a.str.strip(),
        "side_b": side_b.str.strip(),
        "relation": "fighting",
        "country": country.str.strip(),
        "n": 1,
        "fatalities": numeric_column(raw[best], path, best),
        "fatalities_low": numeric_column(raw[low], path, low),
        "fatalities_high": numeric_column(raw[high], path, high),
    })[keep.to_numpy()]
    excluded = {"no year": int(no_year.sum()), "no dyad_id": int(no_dyad.sum()),
                "duplicate dyad-year": int(duplicate.sum())}
    return AdapterOutput(rows_read=rows_read, yearly=conformed(conform_yearly, table, path),
                         excluded={k: v for k, v in excluded.items() if v})


def read(spec: SourceSpec, files: Mapping[str, Path]) -> AdapterOutput:
    path = Path(files["main"])
    return normalise_dyad_years(read_csv_strict(path), spec.key, path)
