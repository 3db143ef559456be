"""Find raw files, verify their checksums, and open them whatever their compression.

Search order for the data directory: an explicit `--data-dir`, the EXTERNALIZE_DATA environment variable,
data/raw/ in the project, then ../shared/data beside the project when that folder exists.
"""

from __future__ import annotations

import fnmatch
import gzip
import hashlib
import io
import lzma
import os
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from externalize.errors import ChecksumError, DataNotFoundError
from externalize.registry import PROJECT_ROOT, SourceFile, SourceSpec

ENV_VAR = "EXTERNALIZE_DATA"


class UnverifiedDataWarning(UserWarning):
    """A checksum mismatch was overridden, or a researcher-supplied file has no pinned hash."""


def candidate_data_dirs(data_dir: str | Path | None = None) -> list[tuple[str, Path]]:
    """Every place searched, labelled with why it is searched, in order."""
    places: list[tuple[str, Path]] = []
    if data_dir is not None:
        places.append(("--data-dir", Path(data_dir)))
    if os.environ.get(ENV_VAR):
        places.append((ENV_VAR, Path(os.environ[ENV_VAR])))
    places.append(("project data/raw", PROJECT_ROOT / "data" / "raw"))
    places.append(("../shared/data", PROJECT_ROOT.parent / "shared" / "data"))
    return places


def resolve_data_dir(data_dir: str | Path | None = None) -> Path | None:
    """The first existing directory in the search order (None if there is none)."""
    for _, path in candidate_data_dirs(data_dir):
        if path.is_dir():
            return path
    return None


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class LocatedFile:
    role: str
    path: Path
    sha256: str
    verified: bool  # True when the hash equals the registry's


def _missing_message(spec: SourceSpec, wanted: str, searched: list[tuple[str, Path]]) -> str:
    where = "; ".join(f"{label}: {p}" for label, p in searched)
    return (f"source {spec.key!r}: file {wanted!r} not found. Looked in {where}. "
            f"Get it from: {spec.get}. Point the package at it with --data-dir or {ENV_VAR}.")


def locate_file(spec: SourceSpec, sf: SourceFile, data_dir: str | Path | None = None,
                allow_checksum_mismatch: bool = False) -> LocatedFile:
    """Find one registered file and verify its sha256; refuse a mismatch unless told otherwise, loudly."""
    searched = candidate_data_dirs(data_dir)
    for _, base in searched:
        path = base / sf.path
        if path.is_file():
            digest = sha256_of(path)
            if digest != sf.sha256:
                msg = (f"source {spec.key!r}: {path} has sha256 {digest}, the registry expects {sf.sha256}. "
                       "This is not the release the registry describes.")
                if not allow_checksum_mismatch:
                    raise ChecksumError(msg + " Pass --allow-checksum-mismatch to use it anyway (recorded in the ledger).")
                warnings.warn(msg + " Used anyway because the mismatch was explicitly allowed.",
                              UnverifiedDataWarning, stacklevel=2)
            return LocatedFile(sf.role, path, digest, digest == sf.sha256)
    raise DataNotFoundError(_missing_message(spec, sf.path, searched))


SYNTHETIC_MARK = "SYNTHETIC"  # in the name of every file the synthetic-release writers produce


def locate_supplied(spec: SourceSpec, data_dir: str | Path | None = None,
                    allow_synthetic: bool = False) -> LocatedFile | None:
    """A researcher-supplied release: the first file (top level or one folder down) matching `match`.

    Synthetic releases (benchmarks, tests) are never picked up unless allow_synthetic is set, so that no
    synthetic row can feed a finding."""
    for _, base in candidate_data_dirs(data_dir):
        if not base.is_dir():
            continue
        found = sorted(p for p in list(base.glob("*")) + list(base.glob("*/*"))
                       if p.is_file() and any(fnmatch.fnmatch(p.name, pat) for pat in spec.match)
                       and (allow_synthetic or SYNTHETIC_MARK not in p.name))
        if found:
            return LocatedFile("main", found[0], sha256_of(found[0]), verified=False)
    return None


def locate_source(spec: SourceSpec, data_dir: str | Path | None = None,
                  allow_checksum_mismatch: bool = False, allow_synthetic: bool = False,
                  ) -> dict[str, LocatedFile] | None:
    """All files of a source by role; None when a researcher-supplied source is absent.

    Raises DataNotFoundError when a registered (non-supplied) file is missing.
    """
    if spec.researcher_supplied:
        got = locate_supplied(spec, data_dir, allow_synthetic)
        return None if got is None else {"main": got}
    return {sf.role: locate_file(spec, sf, data_dir, allow_checksum_mismatch) for sf in spec.files}


def open_raw(path: Path) -> IO[bytes]:
    """A binary stream of the decompressed content (.xz, .gz, .zip with one member, or plain)."""
    name = path.name.lower()
    if name.endswith(".xz"):
        return lzma.open(path, "rb")
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".zip"):
        zf = zipfile.ZipFile(path)
        members = [m for m in zf.namelist() if not m.endswith("/")]
        if len(members) != 1:
            raise DataNotFoundError(f"{path}: a zip must hold exactly one data file, it holds {members}")
        return zf.open(members[0])
    return open(path, "rb")


def read_bytes(path: Path) -> bytes:
    """Whole decompressed content; a truncated compressed stream raises a clear error."""
    try:
        with open_raw(path) as fh:
            return fh.read()
    except (EOFError, lzma.LZMAError, gzip.BadGzipFile, zipfile.BadZipFile) as exc:
        from externalize.errors import SourceFormatError
        raise SourceFormatError(f"{path}: compressed stream is truncated or corrupt ({exc})") from exc


def text_stream(path: Path, encoding: str = "utf-8-sig") -> io.StringIO:
    """Decompressed text (BOM stripped with utf-8-sig) as an in-memory stream."""
    return io.StringIO(read_bytes(path).decode(encoding))


def inner_name(path: Path) -> str:
    """File name without the compression suffix: tells the adapter the real format."""
    name = path.name
    for suffix in (".xz", ".gz", ".zip"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name
