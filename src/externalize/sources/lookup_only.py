"""GTD perpetrator-name list (gtd_gnames): a lookup table, input to the actor taxonomy.

The file is the distinct GTD `gname` values, one per line, with no counts. `load_gname_list(path)` returns
them for the taxonomy (which must map every one). `read()` accounts for the lines in the row ledger the way
`ucdp_actors` does: every name is counted under "lookup table (taxonomy input)" and blank lines under
"blank line"; it returns no events because a name is not an event.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from externalize.errors import SourceFormatError
from externalize.locate import read_bytes
from externalize.registry import SourceSpec
from externalize.sources.base import AdapterOutput
from externalize.sources.ucdp_actors import LOOKUP_REASON

SOURCE_IDS: tuple[str, ...] = ("gtd_gnames",)


def _lines(path: Path) -> list[str]:
    try:
        text = read_bytes(Path(path)).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(f"{path}: not UTF-8 text ({exc})") from exc
    return text.splitlines()


def load_gname_list(path: Path) -> pd.Series:
    """Distinct names in file order (surrounding blanks removed, blank lines skipped); duplicates refused."""
    names = pd.Series([s.strip() for s in _lines(path) if s.strip()], dtype="string", name="gname")
    if names.empty:
        raise SourceFormatError(f"{path}: no names in the file")
    dup = names[names.duplicated()]
    if len(dup):
        raise SourceFormatError(f"{path}: the list should hold distinct names; repeated: {dup.tolist()[:5]}")
    return names


def read(spec: SourceSpec, files: Mapping[str, Path]) -> AdapterOutput:
    lines = _lines(Path(files["main"]))
    names = len(load_gname_list(Path(files["main"])))
    blank = sum(1 for s in lines if not s.strip())
    excluded = {LOOKUP_REASON: names, "blank line": blank}
    return AdapterOutput(rows_read=len(lines), excluded={k: v for k, v in excluded.items() if v})
