"""What every source adapter returns, and small helpers they share."""

from __future__ import annotations

import codecs
import functools
import contextlib
import importlib
import contextvars
import csv
import io
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute as pyarrow_compute
import pyarrow.csv as pyarrow_csv

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
    notes: list[str] = field(default_factory=list)  # facts about the raw files for the ledger (decoding, ...)

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


def combine_parts(parts: list[tuple[Path, AdapterOutput]], source: str) -> AdapterOutput:
    """One release from the adapter outputs of its files (GTD 0522dist + 2021Jan-June_1222dist; a GED split
    by years): rows, exclusions and notes added up, in file order.

    Parts must not overlap: two files holding the same event ids are two copies or two releases (a 0718dist
    and a 0522dist side by side), not parts of one, and are refused with a SourceFormatError naming the files.
    """
    if len(parts) == 1:
        return parts[0][1]
    seen: dict[str, Path] = {}
    for path, out in parts:
        if out.events is None or not len(out.events):
            continue
        ids = out.events["event_id"].astype(str)
        clash = [i for i in ids.unique() if i in seen]
        if clash:
            other = seen[clash[0]]
            raise SourceFormatError(
                f"{source}: {path.name} and {other.name} both hold event ids ({len(clash)} shared, e.g. "
                f"{', '.join(clash[:3])}): they are two copies or two releases, not parts of one release. "
                f"Keep one release in the data folder (all its parts, e.g. globalterrorismdb_0522dist plus "
                f"globalterrorismdb_2021Jan-June_1222dist). Files found: {', '.join(str(p) for p, _ in parts)}")
        seen.update(dict.fromkeys(ids.unique(), path))
    excluded: dict[str, int] = {}
    for _, out in parts:
        for reason, n in out.excluded.items():
            excluded[reason] = excluded.get(reason, 0) + n
    events = [o.events for _, o in parts if o.events is not None and len(o.events)]
    yearly = [o.yearly for _, o in parts if o.yearly is not None and len(o.yearly)]
    return AdapterOutput(
        rows_read=sum(o.rows_read for _, o in parts),
        events=pd.concat(events, ignore_index=True) if events else parts[0][1].events,
        yearly=pd.concat(yearly, ignore_index=True) if yearly else parts[0][1].yearly,
        excluded=excluded, notes=[n for _, o in parts for n in o.notes])


def require_columns(df: pd.DataFrame, needed: list[str] | tuple[str, ...], path: Path | str,
                    aliases: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Rename known aliases to canonical names, then refuse a file that lacks any needed column."""
    if aliases:
        df = df.rename(columns={a: c for a, c in aliases.items() if a in df.columns and c not in df.columns})
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise SourceFormatError(f"{path}: missing columns {missing}; found {list(df.columns)[:40]}")
    return df


def _arrow_strings(values: pd.Series) -> pyarrow.ChunkedArray:
    """The values of a text column as Arrow strings (missing -> null), without a Python object per value."""
    text = values if isinstance(values.dtype, pd.StringDtype) else values.astype("string")
    arr = pyarrow.array(text.array)  # the Arrow data behind pandas' string array (its __arrow_array__)
    return arr if isinstance(arr, pyarrow.ChunkedArray) else pyarrow.chunked_array([arr])


def _string_series(values: pyarrow.ChunkedArray, index: pd.Index, name: object = None) -> pd.Series:
    """A pandas "string" column holding Arrow strings as they are (no copy, no conversion per value)."""
    if values.type != pyarrow.large_string():
        values = values.cast(pyarrow.large_string())
    return pd.Series(pd.arrays.ArrowStringArray(values), index=index, name=name)


def _trimmed(values: pyarrow.ChunkedArray) -> pyarrow.ChunkedArray:
    trimmed = pyarrow_compute.utf8_trim_whitespace(values)
    return pyarrow_compute.if_else(pyarrow_compute.equal(trimmed, ""), pyarrow.scalar(None, trimmed.type), trimmed)


def clean_text(values: pd.Series) -> pd.Series:
    """A text column with surrounding whitespace removed and blank text as missing: dtype "string", same index.

    Gives what `values.astype("string").str.strip().replace("", pd.NA)` gives (pandas strips with the same
    Arrow kernel, utf8_trim_whitespace), computed on the Arrow strings in one pass each."""
    return _string_series(_trimmed(_arrow_strings(values)), values.index, values.name)


def join_actors(*cols: pd.Series, sep: str = " | ") -> pd.Series:
    """Join non-empty actor strings row-wise with the schema separator; <NA> when none (vectorised).

    Each value is stripped first and blank text counts as none (`clean_text`). Returns a "string" Series on
    a fresh RangeIndex (the inputs must have the same length)."""
    if not cols:
        raise ValueError("join_actors needs at least one column")
    glue = pyarrow.scalar(sep, pyarrow.large_string())
    out: pyarrow.ChunkedArray | None = None
    for col in cols:
        c = _trimmed(_arrow_strings(col)).cast(pyarrow.large_string())
        # where both are present: "a | b"; else whichever is present (Arrow's join is null when either is)
        out = c if out is None else pyarrow_compute.coalesce(
            pyarrow_compute.binary_join_element_wise(out, c, glue), out, c)
    return _string_series(out, pd.RangeIndex(len(cols[0])))


# ------------------------------------------------------------------------------------------ notes
_NOTES: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("externalize_source_notes", default=None)


def record_note(message: str) -> None:
    """A fact about a raw file the ledger must show (stray bytes, header-only file). Collected by the
    enclosing `collect_notes()` (the build wraps every adapter call in one); outside one it is an error to
    lose it, so it is raised as a warning."""
    bucket = _NOTES.get()
    if bucket is None:
        import warnings
        warnings.warn(message, SourceNoteWarning, stacklevel=2)
        return
    bucket.append(message)


class SourceNoteWarning(UserWarning):
    """A note about a raw file raised outside a build (no ledger to record it in)."""


@contextlib.contextmanager
def collect_notes() -> Iterator[list[str]]:
    """Collect every `record_note` made inside the block into the yielded list."""
    bucket: list[str] = []
    token = _NOTES.set(bucket)
    try:
        yield bucket
    finally:
        _NOTES.reset(token)


# ------------------------------------------------------------------------------------------ decoding
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_SHOW_LINES = 10


@dataclass(frozen=True)
class DecodedText:
    """A raw file's text, the one encoding it was decoded with, and the lines that did not fit it."""

    text: str
    encoding: str
    odd_lines: tuple[int, ...] = ()  # 1-based physical line numbers (the header is line 1)


def _line_list(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:_SHOW_LINES])
    return shown + (f" and {len(lines) - _SHOW_LINES} more" if len(lines) > _SHOW_LINES else "")


def decode_text(data: bytes, path: Path | str, encodings: tuple[str, ...] = ("utf-8-sig",)) -> DecodedText:
    """Decode a whole raw text file with ONE encoding, chosen once for the file and checked line by line.

    `encodings` lists what the layout allows, UTF-8 first (e.g. ("utf-8-sig", "cp1252", "latin-1") for the
    GTD, which START ships in the Windows code page cp1252 in older releases and in UTF-8 in newer ones).
    Rule: a file that decodes as UTF-8 is UTF-8. Otherwise every line holding a non-ASCII byte is tested:
      - most such lines valid UTF-8 (or no single-byte code page allowed): UTF-8 with stray bytes. The file
        is read as UTF-8, each undecodable byte becomes U+FFFD, and the lines are reported
        (`record_note`): every other line, and so every other name, reads exactly as it is.
      - otherwise the first allowed code page that decodes the whole file (cp1252 before latin-1); lines that
        were valid multi-byte UTF-8 (mixed bytes: names there may read wrongly) are reported.
    Never silently reads a UTF-8 file as Latin-1 because of one stray byte, which would garble every
    non-ASCII name in it. Returns the text (BOM removed), the encoding and the reported line numbers.
    """
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        return DecodedText(body.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    good: list[int] = []
    bad: list[int] = []
    line, counted = 1, 0   # line number of byte offset `counted`
    hit = _HIGH_BYTE.search(body)
    while hit:  # one step per line holding a non-ASCII byte (C-speed searches in between)
        start = body.rfind(b"\n", 0, hit.start()) + 1
        end = body.find(b"\n", hit.start())
        end = len(body) if end < 0 else end
        line += body.count(b"\n", counted, start)
        counted = start
        try:
            body[start:end].decode("utf-8")
            good.append(line)
        except UnicodeDecodeError:
            bad.append(line)
        hit = _HIGH_BYTE.search(body, end)
    single_byte = [e for e in encodings if e.replace("-", "").replace("_", "").lower() not in
                   ("utf8", "utf8sig")]
    if len(good) >= len(bad) or not single_byte:
        record_note(f"{path}: {len(bad)} line(s) are not valid UTF-8 in a UTF-8 file (stray bytes; read as "
                    f"U+FFFD, the rest of each line kept): line {_line_list(bad)}")
        return DecodedText(body.decode("utf-8", errors="replace"), "utf-8", tuple(bad))
    for enc in single_byte:
        try:
            text = body.decode(enc)
        except UnicodeDecodeError:
            continue
        if good:
            record_note(f"{path}: read as {enc}, but {len(good)} line(s) hold valid UTF-8 sequences (mixed "
                        f"encodings; names there may read wrongly): line {_line_list(good)}")
        return DecodedText(text, enc, tuple(good))
    raise SourceFormatError(f"{path}: cannot be decoded as any of {', '.join(encodings)}; "
                            f"undecodable bytes on line {_line_list(bad)}")


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


def _is_utf8(body: bytes | memoryview) -> bool:
    """Whether the bytes are valid UTF-8, checked by Arrow without building a Python string of the file."""
    buf = pyarrow.py_buffer(body)
    offsets = pyarrow.py_buffer(np.array([0, len(buf)], dtype=np.int64).tobytes())
    try:
        pyarrow.Array.from_buffers(pyarrow.large_binary(), 1, [None, offsets, buf]).cast(pyarrow.large_string())
    except pyarrow.ArrowInvalid:
        return False
    return True


def csv_header(data: bytes, sep: str = ",") -> list[str]:
    """The column names of a CSV's first line (quotes and a UTF-8 byte-order mark removed), parsed alone."""
    end = data.find(b"\n")
    first = data[: end if end >= 0 else len(data)].decode("utf-8", errors="replace").lstrip("\ufeff")
    return [str(c) for c in pd.read_csv(io.StringIO(first), sep=sep, nrows=0).columns]


def _arrow_text_csv(data: bytes | Path, sep: str, usecols: list[str] | None, na_values: list[str],
                    first_line: bytes | None = None) -> pd.DataFrame:
    """Every (used) column as text, parsed by Arrow's multithreaded CSV reader straight from UTF-8 bytes, or
    from a plain file (streamed block by block; `first_line` then holds its header line)."""
    if isinstance(data, Path):
        body: object = str(data)
        header = csv_header(first_line or b"", sep)
    else:
        body = pyarrow.py_buffer(memoryview(data)[3:] if data.startswith(b"\xef\xbb\xbf") else memoryview(data))
        header = csv_header(data, sep)
    if len(set(header)) != len(header) or any(not h for h in header):
        raise ValueError("repeated or empty column names: left to pandas, which renames them")
    wanted = header if usecols is None else [c for c in header if c in set(usecols)]
    table = pyarrow_csv.read_csv(
        body,
        read_options=pyarrow_csv.ReadOptions(use_threads=True, block_size=1 << 20),
        parse_options=pyarrow_csv.ParseOptions(delimiter=sep, newlines_in_values=True),
        convert_options=pyarrow_csv.ConvertOptions(
            column_types={c: pyarrow.large_string() for c in header}, include_columns=wanted,
            null_values=list(na_values), strings_can_be_null=True, quoted_strings_can_be_null=True))
    out = table.to_pandas()
    if any(out[c].dtype != _pandas_text_dtype() for c in out.columns):
        # pandas < 3 reads text as object: its own reader gives that table
        raise ValueError("Arrow's text columns are not the dtype pandas' reader gives here")
    return out


@functools.cache
def _pandas_text_dtype() -> object:
    """The dtype `pd.read_csv(dtype=str)` gives text columns with the installed pandas (str in pandas 3)."""
    return pd.read_csv(io.StringIO("a\nx\n"), dtype=str)["a"].dtype


def read_text_csv(data: bytes, path: Path | str, sep: str = ",", usecols: list[str] | None = None,
                  na_values: list[str] | tuple[str, ...] = ("",), encodings: tuple[str, ...] = ("utf-8-sig",)
                  ) -> pd.DataFrame:
    """A CSV's (used) columns as text, as `pd.read_csv(dtype=str, keep_default_na=False, na_values=...)`
    would read it from the text `decode_text` gives.

    A file that is valid UTF-8 is parsed by Arrow from its bytes (several times faster, and no Python string
    of the whole file is held: 0.5 GB less at the peak of a full GTD); any other file (a code page, stray
    bytes: `decode_text` decides and reports) and any file Arrow refuses (a short row, which pandas pads) is
    decoded and parsed by pandas as before, so both routes give the same table or the same error.
    Raises SourceFormatError for a file pandas cannot parse."""
    body = memoryview(data)[3:] if data.startswith(b"\xef\xbb\xbf") else memoryview(data)  # no copy
    if _is_utf8(body):
        try:
            return _arrow_text_csv(data, sep, usecols, list(na_values))
        except (pyarrow.ArrowInvalid, ValueError, KeyError, UnicodeDecodeError, pd.errors.ParserError):
            pass  # pandas reads it, or says what is wrong with it
    text = decode_text(data, path, encodings).text
    try:
        return pd.read_csv(io.StringIO(text), sep=sep, usecols=usecols, dtype=str, keep_default_na=False,
                           na_values=list(na_values), low_memory=False)
    except (pd.errors.ParserError, csv.Error) as exc:
        raise SourceFormatError(f"{path}: not a readable CSV ({exc})") from exc


_STREAM_BLOCK = 1 << 24


def _plain_file_lines(path: Path) -> tuple[bytes, bytes] | None:
    """(first line, last line) of a plain, large, valid UTF-8 file without a byte-order mark, reading it in
    blocks (never whole); None for anything else (compressed, small, a BOM, not UTF-8, a long line): the
    caller then reads the whole file as before."""
    from externalize.locate import inner_name

    if inner_name(path) != path.name or path.stat().st_size < _STREAM_BLOCK:
        return None
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as fh:
        first = fh.read(_STREAM_BLOCK)
        if first.startswith(b"\xef\xbb\xbf") or b"\n" not in first:
            return None
        block = first
        try:
            while block:
                decoder.decode(block)  # raises on a byte that is not UTF-8; the text is not kept
                block = fh.read(_STREAM_BLOCK)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return None
        size = fh.seek(0, 2)
        fh.seek(max(0, size - _STREAM_BLOCK))
        tail = fh.read()
    cut = tail.rstrip(b"\n").rfind(b"\n") if tail.endswith(b"\n") else tail.rfind(b"\n")
    if cut < 0:
        return None
    return first[: first.find(b"\n") + 1], tail[cut + 1:]


def read_text_csv_file(path: Path, sep: str = ",", usecols: list[str] | None = None,
                       na_values: tuple[str, ...] = ("",), encodings: tuple[str, ...] = ("utf-8-sig",),
                       header_check: Callable[[list[str]], list[str] | None] | None = None) -> pd.DataFrame:
    """`read_text_csv(read_bytes(path), ...)` with `check_not_truncated` first, without holding the file: a
    plain (uncompressed) valid UTF-8 file is checked and parsed block by block by Arrow (250 MB less at the
    peak of a 2x synthetic GTD). `header_check(columns)` may refuse the header (raise) or return the columns
    to read (usecols). Every other file, and any file Arrow refuses, goes the whole-file route."""
    lines = _plain_file_lines(Path(path))
    if lines is not None:
        first, last = lines
        check_not_truncated(first + last, path)  # the same verdict as on the whole file: header and last line
        header = csv_header(first, sep)
        use = header_check(header) if header_check else usecols
        try:
            return _arrow_text_csv(Path(path), sep, use, list(na_values), first_line=first)
        except (pyarrow.ArrowInvalid, ValueError, KeyError, UnicodeDecodeError, pd.errors.ParserError):
            pass  # the whole-file route reads it, or says what is wrong with it
    data = read_bytes(path)
    check_not_truncated(data, path)
    use = header_check(csv_header(data, sep)) if header_check else usecols
    return read_text_csv(data, path, sep=sep, usecols=use, na_values=na_values, encodings=encodings)


def read_csv_strict(path: Path, **kwargs) -> pd.DataFrame:
    """A CSV (any compression) with every column as text; truncated or unparseable files raise.

    (Shared by the UCDP, GED, MMP and Gade adapters.)
    """
    data = read_bytes(path)
    check_not_truncated(data, path)
    if set(kwargs) <= {"usecols", "na_values", "sep"} and not isinstance(kwargs.get("na_values", []), dict):
        usecols, header = kwargs.get("usecols"), csv_header(data, kwargs.get("sep", ","))
        if callable(usecols):
            usecols = [c for c in header if usecols(c)]
        if usecols is None or set(usecols) <= set(header):
            try:
                return read_text_csv(data, path, sep=kwargs.get("sep", ","), usecols=usecols,
                                     na_values=tuple(kwargs.get("na_values", [""])))
            except SourceFormatError:
                pass  # the pandas route below words the error as before
    encodings = kwargs.pop("encodings", None) or (kwargs.pop("encoding", "utf-8-sig"),)
    text = decode_text(data, path, tuple(encodings)).text
    del data
    opts = {"dtype": str, "keep_default_na": False, "na_values": [""]} | kwargs
    try:
        return pd.read_csv(io.StringIO(text), **opts)
    except (pd.errors.ParserError, csv.Error) as exc:
        raise SourceFormatError(f"{path}: not a readable CSV ({exc})") from exc
    except ValueError as exc:  # usecols naming a column the file does not have
        if "Usecols" in str(exc) or "usecols" in str(exc):
            raise SourceFormatError(f"{path}: {exc}") from exc
        raise


def conformed(conform: Callable[[pd.DataFrame], pd.DataFrame], table: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Apply schema.conform_events / conform_yearly; a value the schema refuses (a latitude of 200, a negative
    death count), already reported by the schema with its source and column, is reported with the file too."""
    try:
        return conform(table)
    except SourceFormatError as exc:
        raise SourceFormatError(f"{path}: {exc}") from exc


def text_to_float(raw: pd.Series) -> pd.Series | None:
    """float64 of a text column when Arrow parses every value that is not missing (missing -> NaN), else None.

    Arrow's decimal parser rounds correctly, as Python's float() and pandas.to_numeric do (no value of
    500,000 random decimal strings differs, tests/sources/test_text_csv.py), and is about ten times faster
    on Arrow strings. None (a blank, a padded or a non-numeric value) leaves the decision to pandas."""
    if not (pd.api.types.is_string_dtype(raw.dtype) or raw.dtype == object):
        return None
    try:
        arr = pyarrow.array(raw, from_pandas=True)
        if not (pyarrow.types.is_string(arr.type) or pyarrow.types.is_large_string(arr.type)):
            return None
        values = arr.cast(pyarrow.float64()).to_numpy(zero_copy_only=False)
    except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError, pyarrow.ArrowNotImplementedError):
        return None
    return pd.Series(values, index=raw.index, name=raw.name, dtype="float64")


def numeric_column(raw: pd.Series, path: Path, column: str) -> pd.Series:
    """Numbers as float (missing stays NaN); text that is not a number is refused, not turned into NaN."""
    fast = text_to_float(raw)
    if fast is not None:
        return fast
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
    return _reader_choice("EXTERNALIZE_RDS_ENGINE", fast="pyreadr", module="pyreadr", fallback="rdata")


def _reader_choice(env: str, *, fast: str, module: str, fallback: str) -> str:
    """`fast` when the environment variable `env` names it or, unset, when `module` imports; else `fallback`."""
    forced = os.environ.get(env, "")
    if forced in (fast, fallback):
        return forced
    try:
        importlib.import_module(module)
    except ImportError:
        return fallback
    return fast


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
    return _reader_choice("EXTERNALIZE_XLSX_ENGINE", fast="calamine", module="python_calamine", fallback="openpyxl")


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
