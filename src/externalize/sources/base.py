"""What every source adapter returns, and small helpers they share."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pandas as pd
import pandera.errors

from externalize.errors import SourceFormatError
from externalize.locate import read_bytes
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


def rds_engine() -> str:
    """"pyreadr" (librdata, C; tens of times faster than rdata on GTD0814.rds) when installed, else "rdata".

    pyreadr is AGPL-licensed, so it is an optional extra (`pip install externalize[rds]`); rdata (MIT, pure
    Python) is always installed and gives the same table. The environment variable EXTERNALIZE_RDS_ENGINE
    ("rdata" or "pyreadr") overrides the choice (the benchmark times both).
    """
    forced = os.environ.get("EXTERNALIZE_RDS_ENGINE", "")
    if forced in ("rdata", "pyreadr"):
        return forced
    try:
        import pyreadr  # noqa: F401
    except ImportError:
        return "rdata"
    return "pyreadr"


def _pyreadr_frames(data: bytes, extension: str) -> dict[str | None, pd.DataFrame]:
    import tempfile

    import pyreadr

    with tempfile.TemporaryDirectory(prefix="externalize-rds-") as tmp:  # librdata reads files, not bytes
        file = Path(tmp) / f"data{extension}"
        file.write_bytes(data)
        frames = pyreadr.read_r(str(file))
    # the dtypes rdata gives (and the adapters were written for): R character -> pandas "string", R integer
    # -> nullable Int32. pyreadr gives int32 for an integer column without NA (cast here) but float64 for one
    # with NA, which cannot be told from an R double; the adapters convert numbers themselves, and the events
    # are the same either way (tests/sources/test_readers.py, on the real releases too)
    out: dict[str | None, pd.DataFrame] = {}
    for name, frame in frames.items():
        frame = frame.copy()
        for col in frame.columns:
            kind = frame[col].dtype
            if not isinstance(kind, pd.CategoricalDtype) and pd.api.types.is_string_dtype(frame[col]):
                frame[col] = frame[col].astype("string")
            elif pd.api.types.is_integer_dtype(kind):
                frame[col] = frame[col].astype("Int32")
        out[name] = frame
    return out


def parse_r_data(data: bytes, extension: str = ".rds", engine: str | None = None) -> object:
    """The object in R .rds bytes (or the dict of named objects in .rda bytes), as pandas objects.

    engine: "pyreadr" or "rdata" (default rds_engine()). pyreadr reads data.frames only; anything it cannot
    read (another R object, a damaged file) is handed to rdata, whose errors the callers turn into
    SourceFormatError. Same values either way (checked on GTD0814.rds and the GED Syria-Iraq .rds).
    """
    if (engine or rds_engine()) == "pyreadr":
        import pyreadr

        try:
            frames = _pyreadr_frames(data, extension)
        except (pyreadr.custom_errors.PyreadrError, pyreadr.custom_errors.LibrdataError, ValueError):
            frames = {}
        if frames:
            return frames[None] if extension == ".rds" and None in frames else frames
    import warnings

    import rdata

    with warnings.catch_warnings():
        # rdata has no constructor for the tibble classes and falls back to data.frame, which is right
        warnings.filterwarnings("ignore", message=r"Missing constructor for R class \"tbl", category=UserWarning)
        return rdata.conversion.convert(rdata.parser.parse_data(data, extension=extension))


def xlsx_engine() -> str:
    """pandas' "calamine" Excel reader (python-calamine, Rust; extra `xlsx`) when installed, else "openpyxl"
    (always installed, about ten times slower on a large workbook). EXTERNALIZE_XLSX_ENGINE ("calamine" or
    "openpyxl") overrides the choice."""
    forced = os.environ.get("EXTERNALIZE_XLSX_ENGINE", "")
    if forced in ("calamine", "openpyxl"):
        return forced
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return "openpyxl"
    return "calamine"


def xlsx_errors() -> tuple[type[BaseException], ...]:
    """What either Excel reader raises on a file that is not a readable workbook."""
    import zipfile

    from openpyxl.utils.exceptions import InvalidFileException

    errors: tuple[type[BaseException], ...] = (ValueError, KeyError, OSError, zipfile.BadZipFile,
                                               InvalidFileException)
    try:
        from python_calamine import CalamineError
    except ImportError:
        return errors
    return (*errors, CalamineError)
