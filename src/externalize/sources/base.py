"""What every source adapter returns, and small helpers they share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pandas as pd

from externalize.errors import SourceFormatError
from externalize.registry import SourceSpec


@dataclass
class AdapterOutput:
    """Normalised rows of one source plus the count of raw rows read and of those left out, by reason.

    Invariant: rows_read == len(events) + len(yearly) + sum(excluded.values()).
    """

    rows_read: int
    events: pd.DataFrame | None = None
    yearly: pd.DataFrame | None = None
    excluded: dict[str, int] = field(default_factory=dict)

    @property
    def rows_kept(self) -> int:
        return (0 if self.events is None else len(self.events)) + (0 if self.yearly is None else len(self.yearly))

    def check_balance(self, source: str) -> None:
        total = self.rows_kept + sum(self.excluded.values())
        if total != self.rows_read:
            raise AssertionError(f"{source}: adapter read {self.rows_read} rows but accounts for {total} "
                                 f"(kept {self.rows_kept}, excluded {self.excluded})")


class Adapter(Protocol):
    SOURCE_IDS: tuple[str, ...]

    def read(self, spec: SourceSpec, files: Mapping[str, Path]) -> AdapterOutput: ...


def require_columns(df: pd.DataFrame, needed: list[str] | tuple[str, ...], path: Path | str,
                    aliases: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Rename known aliases to canonical names, then refuse a file that lacks any needed column."""
    if aliases:
        df = df.rename(columns={a: c for a, c in aliases.items() if a in df.columns and c not in df.columns})
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise SourceFormatError(f"{path}: missing columns {missing}; found {list(df.columns)[:40]}")
    return df


def join_actors(*cols: pd.Series, sep: str = " | ") -> pd.Series:
    """Join non-empty actor strings row-wise with the schema separator; <NA> when none (vectorised)."""
    out: pd.Series | None = None
    for col in cols:
        c = col.astype("string").str.strip().replace("", pd.NA).reset_index(drop=True)
        if out is None:
            out = c
            continue
        both = out.notna() & c.notna()
        out = out.where(~both, out + sep + c).fillna(c)
    assert out is not None, "join_actors needs at least one column"
    return out.astype("string")
