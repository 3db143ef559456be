"""UCDP Actor Dataset (v22.1): a lookup table, input to the actor taxonomy, not a count source.

`load_actor_list(path)` is what the taxonomy uses: one row per UCDP actor with its id, names, and the ids
that link it to earlier names, splinters and alliances (e.g. Jabhat Fateh al-Sham, ActorId 1170, which also
covers Jabhat al-Nusra under earlier names; IS = 234; HTS = 6815).

`read()` exists so that the row ledger can account for the file like any other source if it is ever read:
every row is counted under one excluded reason, "lookup table (taxonomy input)". It returns no events and no
yearly rows because an actor is not an event; counting it as one would put actors into the series.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from externalize.errors import SourceFormatError
from externalize.registry import SourceSpec
from externalize.sources.base import AdapterOutput, read_csv_strict, require_columns

SOURCE_IDS: tuple[str, ...] = ("ucdp_actors",)
LOOKUP_REASON = "lookup table (taxonomy input)"

# kept columns (UCDP Actor Dataset codebook 22.1); id-list columns stay comma-separated text
COLUMNS = ("ActorId", "NameData", "NameOrig", "NameOrigFullEng", "NameChange", "NewName", "NewNameFullEng",
           "Org", "Splinter", "NamePrev", "ActorIdPrev", "Alliance", "NameAlliance", "ActorIdAlliance",
           "JoinGroup", "GroupName", "ActorIdGroup", "Location", "Region", "Version")


def load_actor_list(path: Path) -> pd.DataFrame:
    """The actor list with ActorId as int64 (unique) and every other kept column as text."""
    raw = require_columns(read_csv_strict(Path(path)), COLUMNS, path)
    ids = pd.to_numeric(raw["ActorId"], errors="coerce")
    if ids.isna().any():
        raise SourceFormatError(f"{path}: ActorId not a number in {int(ids.isna().sum())} rows")
    if ids.duplicated().any():
        raise SourceFormatError(f"{path}: duplicate ActorId {ids[ids.duplicated()].astype(int).tolist()[:5]}")
    out = raw.loc[:, list(COLUMNS)].copy()
    out["ActorId"] = ids.astype("int64")
    for col in COLUMNS[1:]:
        out[col] = out[col].astype("string").str.strip()
    return out.reset_index(drop=True)


def read(spec: SourceSpec, files: Mapping[str, Path]) -> AdapterOutput:
    n = len(load_actor_list(Path(files["main"])))
    return AdapterOutput(rows_read=n, excluded={LOOKUP_REASON: n} if n else {})
