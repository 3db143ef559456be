"""Find raw files, verify their checksums, and open them whatever their compression.

Where the data is: an explicit `--data-dir` (or `data_dir` argument), else the EXTERNALIZE_DATA environment
variable, else the default places data/raw/ in the project and ../shared/data beside it. A location that was
given is the only place searched, and one that does not exist is an error naming it (never a silent fall back
to another folder). Only when no location is given are the default places searched, in that order.
"""

from __future__ import annotations

import fnmatch
import gzip
import hashlib
import lzma
import os
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from externalize.errors import ChecksumError, DataNotFoundError
from externalize.paths import PROJECT_ROOT, find_project
from externalize.registry import Release, SourceFile, SourceSpec

ENV_VAR = "EXTERNALIZE_DATA"


class UnverifiedDataWarning(UserWarning):
    """A checksum mismatch was overridden, or a researcher-supplied file has no pinned hash."""


def default_data_dirs() -> list[tuple[str, Path]]:
    """The places searched when no location is given, labelled, in order: data/raw/ of the externalize project
    that contains the current folder (the same project whose study config and output folders are used; else
    this checkout), then ../shared/data beside it."""
    root = find_project(Path.cwd()) or PROJECT_ROOT
    return [("project data/raw", root / "data" / "raw"), ("../shared/data", root.parent / "shared" / "data")]


def candidate_data_dirs(data_dir: str | Path | None = None) -> list[tuple[str, Path]]:
    """Every place searched, labelled with why it is searched, in order.

    A given location (`data_dir`, else EXTERNALIZE_DATA) is the only place; it must be an existing folder,
    else DataNotFoundError naming it. With no location given: the default places (they may not exist).
    """
    given: tuple[str, Path] | None = None
    if data_dir is not None and str(data_dir) != "":
        given = ("--data-dir", Path(data_dir))
    elif os.environ.get(ENV_VAR):
        given = (ENV_VAR, Path(os.environ[ENV_VAR]))
    if given is None:
        return default_data_dirs()
    label, path = given
    if not path.is_dir():
        what = "is a file, not a folder" if path.exists() else "does not exist"
        raise DataNotFoundError(f"the data folder given by {label} ({path}) {what}. Give the folder that "
                                f"holds the releases (see README: Data), or leave {label} unset to search "
                                + " and ".join(str(p) for _, p in default_data_dirs()))
    return [given]


def resolve_data_dir(data_dir: str | Path | None = None) -> Path | None:
    """The first existing directory in the search order (None if there is none).

    Raises DataNotFoundError when a location is given and it is not an existing folder."""
    for _, path in candidate_data_dirs(data_dir):
        if path.is_dir():
            return path
    return None


def describe_search(data_dir: str | Path | None = None) -> str:
    """Where the package looks for data, one line, for error messages ("--data-dir: /x (missing); ...")."""
    try:
        places = candidate_data_dirs(data_dir)
    except DataNotFoundError as exc:
        return str(exc)
    return "; ".join(f"{label}: {p}" + ("" if p.is_dir() else " (no such folder)") for label, p in places)


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


def part_role(k: int) -> str:
    """Role of the k-th file (0-based, in name order) of a researcher-supplied release: main, part2, ..."""
    return "main" if k == 0 else f"part{k + 1}"


def release_paths(spec: Release, data_dir: str | Path | None = None, allow_synthetic: bool = False) -> list[Path]:
    """The files of a researcher-supplied release, as `locate_release` finds them, without reading them."""
    for _, base in candidate_data_dirs(data_dir):
        if not base.is_dir():
            continue
        found = sorted({p for p in list(base.glob("*")) + list(base.glob("*/*"))
                        if p.is_file() and matches_release(p.name, spec)
                        and (allow_synthetic or SYNTHETIC_MARK not in p.name)})
        if found:
            return found
    return []


def locate_release(spec: Release, data_dir: str | Path | None = None,
                   allow_synthetic: bool = False) -> list[LocatedFile]:
    """A researcher-supplied release: EVERY file (top level or one folder down) matching `match`, in name
    order, all from the first searched folder holding any (files of two folders are never mixed).

    Several files are parts of one release (GTD 0522dist + 2021Jan-June_1222dist; a GED split by years):
    roles main, part2, part3, ... The build reads them all and refuses parts that overlap. Empty list when
    none is present. Synthetic releases (benchmarks, tests) are never picked up unless allow_synthetic is
    set, so that no synthetic row can feed a finding."""
    return [LocatedFile(part_role(k), p, sha256_of(p), verified=False)
            for k, p in enumerate(release_paths(spec, data_dir, allow_synthetic))]


def locate_supplied(spec: SourceSpec, data_dir: str | Path | None = None,
                    allow_synthetic: bool = False) -> LocatedFile | None:
    """The one file of a researcher-supplied release, or None when absent. A release in several files is
    a DataNotFoundError naming them (never the first one only): use `locate_release` for those."""
    files = locate_release(spec, data_dir, allow_synthetic)
    if len(files) > 1:
        raise DataNotFoundError(f"source {spec.key!r} is in {len(files)} files "
                                f"({', '.join(str(f.path) for f in files)}); read them with locate_release")
    return files[0] if files else None


def matches_release(name: str, spec: Release) -> bool:
    """Whether a file name is one the registry accepts for a researcher-supplied release (`match`)."""
    return any(fnmatch.fnmatch(name, pat) for pat in spec.match)


def near_misses(spec: SourceSpec, data_dir: str | Path | None = None,
                registered: frozenset[str] = frozenset()) -> list[Path]:
    """Files that look like the release (name starts like a pattern, up to its first wildcard, ignoring
    case) but match no accepted pattern, leaving out files the registry lists (`registered`: paths relative
    to the data folder): told to the user with the accepted names."""
    stems = {pat.split("*")[0].split("[")[0].lower() for pat in spec.match}
    out = []
    for _, base in candidate_data_dirs(data_dir):
        if base.is_dir():
            out += [p for p in list(base.glob("*")) + list(base.glob("*/*")) if p.is_file()
                    and any(p.name.lower().startswith(s) for s in stems if s) and not matches_release(p.name, spec)
                    and p.relative_to(base).as_posix() not in registered]
    return sorted(out)


def locate_source(spec: SourceSpec, data_dir: str | Path | None = None,
                  allow_checksum_mismatch: bool = False, allow_synthetic: bool = False,
                  ) -> dict[str, LocatedFile] | None:
    """All files of a source by role; None when a researcher-supplied source is absent.

    Raises DataNotFoundError when a registered (non-supplied) file is missing, or when a location was given
    that does not exist.
    """
    try:
        candidate_data_dirs(data_dir)
    except DataNotFoundError as exc:
        wanted = ", ".join(f.path for f in spec.files) or "any of " + ", ".join(spec.match)
        raise DataNotFoundError(f"source {spec.key!r} (file {wanted}): {exc}") from exc
    if spec.researcher_supplied:
        got = locate_release(spec, data_dir, allow_synthetic)
        return {lf.role: lf for lf in got} or None
    return {sf.role: locate_file(spec, sf, data_dir, allow_checksum_mismatch) for sf in spec.files}


def open_raw(path: Path) -> IO[bytes]:
    """A binary stream of the decompressed content (.xz, .gz, .zip with one member, or plain)."""
    name = path.name.lower()
    if name.endswith(".xz"):
        return lzma.open(path, "rb")
    if name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]  # GzipFile is a binary IO
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


def inner_name(path: Path) -> str:
    """File name without the compression suffix: tells the adapter the real format."""
    name = path.name
    for suffix in (".xz", ".gz", ".zip"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def raw_files(registry: Mapping[str, Release], data_dir: str | Path | None = None) -> list[Path]:
    """Every raw file a build would read, in registry order: each registered file found, and every file of
    each researcher-supplied release present (all its parts). For a step's input hash: adding a full GTD or
    its 2021 supplement to the data folder changes this list, so the build is redone. Reads no file (the
    pipeline hashes them through its cache)."""
    out: list[Path] = []
    for spec in registry.values():
        if not spec.is_read:
            continue
        if spec.researcher_supplied:
            out += release_paths(spec, data_dir)
            continue
        for sf in spec.files:
            path = next((base / sf.path for _, base in candidate_data_dirs(data_dir) if (base / sf.path).is_file()),
                        None)
            if path is not None:
                out.append(path)
    return out
