"""UCDP One-Sided Violence Dataset (v23.1): actor-years of deliberate killing of civilians.

One yearly row per actor-year: record_id "<dyad_id>-<year>", side_a = `actor_name` (a coalition stays one
comma-separated string, as UCDP writes it), side_b <NA> (the victims are civilians, not an actor),
relation "attack", country = `location`, n = 1, fatalities best / low / high.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from externalize.registry import SourceSpec
from externalize.schema import conform_yearly
from externalize.sources.base import AdapterOutput, conformed, numeric_column, read_csv_strict, require_columns
from externalize.sources.ucdp_dyadic import dyad_year_keys

SOURCE_IDS: tuple[str, ...] = ("ucdp_onesided",)

COLUMNS = ("dyad_id", "actor_name", "year", "best_fatality_estimate", "low_fatality_estimate",
           "high_fatality_estimate", "location")


def normalise_actor_years(raw: pd.DataFrame, source: str, path: Path) -> AdapterOutput:
    raw = require_columns(raw, COLUMNS, path)
    year, record_id, keep, excluded = dyad_year_keys(raw, path, "actor-year")
    table = pd.DataFrame({
        "source": source,
        "record_id": record_id,
        "year": year,
        "side_a": raw["actor_name"].str.strip(),
        "relation": "attack",
        "country": raw["location"].str.strip(),
        "n": 1,
        "fatalities": numeric_column(raw["best_fatality_estimate"], path, "best_fatality_estimate"),
        "fatalities_low": numeric_column(raw["low_fatality_estimate"], path, "low_fatality_estimate"),
        "fatalities_high": numeric_column(raw["high_fatality_estimate"], path, "high_fatality_estimate"),
    })[keep.to_numpy()]
    return AdapterOutput(rows_read=len(raw), yearly=conformed(conform_yearly, table, path), excluded=excluded)


def read(spec: SourceSpec, files: Mapping[str, Path]) -> AdapterOutput:
    path = Path(files["main"])
    return normalise_actor_years(read_csv_strict(path), spec.key, path)
