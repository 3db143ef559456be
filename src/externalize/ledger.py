"""The row ledger: every raw row read is accounted for, per source, as kept (by class and rule) or excluded."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from externalize.errors import LedgerError
from externalize.vocab import EVENT_CLASSES


@dataclass
class SourceLedger:
    source: str
    file_sha256: dict[str, str]
    checksum_verified: bool
    rows_read: int
    rows_events: int = 0
    rows_yearly: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    by_rule: dict[tuple[str, str], int] = field(default_factory=dict)  # (event_class, rule_id) -> rows

    @property
    def rows_kept(self) -> int:
        return self.rows_events + self.rows_yearly

    @property
    def rows_excluded(self) -> int:
        return sum(self.excluded.values())

    def balances(self) -> bool:
        return self.rows_read == self.rows_kept + self.rows_excluded


@dataclass
class Ledger:
    entries: dict[str, SourceLedger] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # source -> why not read (absent, unused)
    notes: dict[str, list[str]] = field(default_factory=dict)  # source -> facts about its files (decoding, ...)

    def add(self, entry: SourceLedger) -> None:
        if not entry.balances():
            raise LedgerError(
                f"{entry.source}: rows read {entry.rows_read} != kept {entry.rows_kept} "
                f"+ excluded {entry.rows_excluded} ({entry.excluded})")
        self.entries[entry.source] = entry

    def record_classes(self, source: str, counts: dict[tuple[str, str], int]) -> None:
        entry = self.entries[source]
        if sum(counts.values()) != entry.rows_kept:
            raise LedgerError(f"{source}: classified {sum(counts.values())} rows, kept {entry.rows_kept}")
        entry.by_rule = dict(counts)

    def summary(self) -> pd.DataFrame:
        """One row per source: read, kept, excluded, rows with a family actor, and the balance check."""
        rows = []
        for e in self.entries.values():
            # rows with a family actor: everything but NONE-1 (rows excluded by a study choice, e.g. an
            # uncertain attribution, still have one)
            family = sum(v for (_, rule), v in e.by_rule.items() if rule != "NONE-1")
            rows.append({
                "source": e.source, "rows_read": e.rows_read, "rows_kept": e.rows_kept,
                "rows_excluded": e.rows_excluded, "rows_family_actor": family,
                **{f"class_{c}": sum(v for (cls, _), v in e.by_rule.items() if cls == c)
                   for c in EVENT_CLASSES},
                "checksum_verified": e.checksum_verified, "balances": e.balances(),
            })
        return pd.DataFrame(rows)

    def detail(self) -> pd.DataFrame:
        """Long form: source, kind (class rule / excluded), key, rows. Sums to rows_read per source."""
        rows = []
        for e in self.entries.values():
            for (cls, rule), v in sorted(e.by_rule.items()):
                rows.append({"source": e.source, "kind": "kept", "event_class": cls, "key": rule, "rows": v})
            for reason, v in sorted(e.excluded.items()):
                rows.append({"source": e.source, "kind": "excluded", "event_class": pd.NA, "key": reason, "rows": v})
        return pd.DataFrame(rows, columns=["source", "kind", "event_class", "key", "rows"])

    def notes_frame(self) -> pd.DataFrame:
        """source, note: what the build noticed in a source's raw files (stray bytes by line, a header-only
        file), one row a note."""
        rows = [{"source": k, "note": n} for k, notes in self.notes.items() for n in notes]
        return pd.DataFrame(rows, columns=["source", "note"])
