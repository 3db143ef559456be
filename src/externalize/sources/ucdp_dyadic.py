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

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from externalize.registry import SourceSpec
from externalize.schema import conform_yearly
from externalize.sources.base import AdapterOutput, conformed, numeric_column, read_csv_strict, require_columns

SOURCE_IDS: tuple[str, ...] = ("ucdp_nonstate", "ucdp_battledeaths")

# raw column names per release layout (UCDP codebooks v23.1)
NONSTATE_COLUMNS = ("dyad_id", "side_a_name", "side_b_name", "year", "best_fatality_estimate",
                    "low_fatality_estimate", "high_fatality_estimate", "location")
BATTLEDEATHS_COLUMNS = ("dyad_id", "side_a", "side_b", "year", "bd_best", "bd_low", "bd_high",
                        "location_inc", "battle_location")


def dyad_year_keys(raw: pd.DataFrame, path: Path, unit: str
                   ) -> tuple[pd.Series, pd.Series, pd.Series, dict[str, int]]:
    """(year, record_id "<dyad_id>-<year>", rows to keep, excluded counts) for a UCDP dyad- or actor-year file.

    Rows without a year or a dyad_id, and repeated <dyad_id>-<year> keys after the first, are excluded and
    counted (never dropped silently)."""
    year = numeric_column(raw["year"], path, "year")
    no_year = year.isna()
    record_id = raw["dyad_id"].str.strip() + "-" + year.astype("Int64").astype("string")
    no_dyad = raw["dyad_id"].isna() & ~no_year
    keep = ~no_year & ~no_dyad
    duplicate = keep & record_id.duplicated(keep="first")
    keep &= ~duplicate
    excluded = {"no year": int(no_year.sum()), "no dyad_id": int(no_dyad.sum()),
                f"duplicate {unit}": int(duplicate.sum())}
    return year, record_id, keep, {k: v for k, v in excluded.items() if v}


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
    year, record_id, keep, excluded = dyad_year_keys(raw, path, "dyad-year")
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
    return AdapterOutput(rows_read=rows_read, yearly=conformed(conform_yearly, table, path), excluded=excluded)


def read(spec: SourceSpec, files: Mapping[str, Path]) -> AdapterOutput:
    path = Path(files["main"])
    return normalise_dyad_years(read_csv_strict(path), spec.key, path)
