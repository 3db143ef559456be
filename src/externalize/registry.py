"""The source registry: data/sources.toml read into frozen, validated specs."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from externalize.errors import ConfigError
from externalize.paths import REGISTRY_FILE
from externalize.vocab import REGISTRY_ARMS

if TYPE_CHECKING:  # numpy / pandas are imported where a month is made: `import externalize.registry` stays light
    import numpy as np
    import pandas as pd

DEFAULT_REGISTRY = REGISTRY_FILE

TABLES = {"events", "yearly", "lookup", "unused"}
READ_TABLES = frozenset({"events", "yearly"})  # tables the build reads (the others are lookups or unused)
FREQUENCIES = {"day", "month", "year", "cross-section"}
ARMS = set(REGISTRY_ARMS)  # names from externalize.vocab


@dataclass(frozen=True)
class SourceFile:
    role: str
    path: str
    sha256: str


@dataclass(frozen=True)
class CoverageHole:
    """Months inside a release's span that it documents as missing (e.g. GTD 1993: records lost)."""

    start: pd.Period
    end: pd.Period
    why: str


@dataclass(frozen=True)
class SourceSpec:
    """One raw release: where it is, what it holds, what is wrong with it."""

    key: str
    title: str
    publisher: str
    version: str
    licence: str
    citation: str
    get: str
    adapter: str
    table: str
    frequency: str
    coverage_start: pd.Period
    coverage_end: pd.Period
    arms: tuple[str, ...]
    measures: str
    defects: tuple[str, ...]
    files: tuple[SourceFile, ...]
    researcher_supplied: bool = False
    match: tuple[str, ...] = field(default_factory=tuple)
    coverage_holes: tuple[CoverageHole, ...] = ()
    # researcher-supplied releases: coverage ends with the month of the release's last event (a 0718dist
    # release supplied where the registry allows up to 2021 covers up to 2017-12, not 2021-12)
    ends_at_last_event: bool = False
    lower_bound: bool = False  # group counts are lower bounds (perpetrator blanked in part of the rows)
    # coding properties (rules 2.0.0; see data/taxonomy/rules.md)
    actor_scheme: str = "any"      # naming scheme of data/taxonomy/actors.csv that applies first
    plot_source: bool = False      # rows are plots or individuals in the West, not attacks with a target
    jihadist_only: bool = False    # holds jihadist plots only: a row with no named actor is "JIH"
    target_fields: tuple[str, ...] = field(default_factory=tuple)  # who-was-targeted fields it carries
    cannot_see: str = ""           # external targets the source cannot see (for series labels, report)
    duplicates_of: str = ""        # key of a source whose events this one repeats (same event_id)

    @property
    def is_read(self) -> bool:
        return self.table in READ_TABLES

    def covers(self, periods: pd.PeriodIndex | pd.Series) -> np.ndarray:
        """Boolean array: each monthly period inside [coverage_start, coverage_end] and in no hole."""
        import numpy as np
        import pandas as pd

        idx = pd.PeriodIndex(periods, freq="M")
        ok = (idx >= self.coverage_start) & (idx <= self.coverage_end)
        for hole in self.coverage_holes:
            ok &= ~((idx >= hole.start) & (idx <= hole.end))
        return np.asarray(ok, dtype=bool)

    def months_covered(self, year: int) -> int:
        """Months of a calendar year the source covers (0-12): span minus documented holes."""
        import pandas as pd

        return int(self.covers(pd.period_range(f"{year}-01", f"{year}-12", freq="M")).sum())

    def file(self, role: str = "main") -> SourceFile:
        for f in self.files:
            if f.role == role:
                return f
        raise KeyError(f"source {self.key!r} has no file with role {role!r}")


_REQUIRED = ("title", "publisher", "version", "licence", "citation", "get", "adapter", "table",
             "frequency", "coverage_start", "coverage_end", "arms", "measures", "defects", "files")


def _spec_from_toml(key: str, raw: dict) -> SourceSpec:
    import pandas as pd

    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise ConfigError(f"source registry entry {key!r} lacks {', '.join(missing)}")
    if raw["table"] not in TABLES:
        raise ConfigError(f"{key}: table must be one of {sorted(TABLES)}, got {raw['table']!r}")
    if raw["frequency"] not in FREQUENCIES:
        raise ConfigError(f"{key}: frequency must be one of {sorted(FREQUENCIES)}, got {raw['frequency']!r}")
    bad_arms = set(raw["arms"]) - ARMS
    if bad_arms:
        raise ConfigError(f"{key}: unknown arms {sorted(bad_arms)}; allowed {sorted(ARMS)}")
    files = []
    for f in raw["files"]:
        sha = f.get("sha256", "")
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise ConfigError(f"{key}: file {f.get('path')!r} needs a 64-hex-digit sha256")
        files.append(SourceFile(role=f["role"], path=f["path"], sha256=sha))
    supplied = bool(raw.get("researcher_supplied", False))
    if not files and not supplied:
        raise ConfigError(f"{key}: lists no files and is not researcher_supplied")
    if supplied and not raw.get("match"):
        raise ConfigError(f"{key}: a researcher-supplied source needs `match` file patterns")
    try:
        start = pd.Period(raw["coverage_start"], freq="M")
        end = pd.Period(raw["coverage_end"], freq="M")
    except ValueError as exc:
        raise ConfigError(f"{key}: coverage dates must be YYYY-MM ({exc})") from exc
    if end < start:
        raise ConfigError(f"{key}: coverage_end {end} is before coverage_start {start}")
    holes = []
    for h in raw.get("coverage_holes", []):
        if not isinstance(h, dict) or not {"start", "end", "why"} <= set(h):
            raise ConfigError(f"{key}: each coverage hole needs start, end (YYYY-MM) and why, got {h!r}")
        try:
            hole = CoverageHole(pd.Period(h["start"], freq="M"), pd.Period(h["end"], freq="M"), str(h["why"]))
        except ValueError as exc:
            raise ConfigError(f"{key}: coverage hole dates must be YYYY-MM ({exc})") from exc
        if hole.end < hole.start or hole.start < start or hole.end > end:
            raise ConfigError(f"{key}: coverage hole {h['start']} to {h['end']} must be an interval inside "
                              f"the span {start} to {end}")
        holes.append(hole)
    return SourceSpec(
        key=key, title=raw["title"], publisher=raw["publisher"], version=raw["version"],
        licence=raw["licence"], citation=raw["citation"], get=raw["get"], adapter=raw["adapter"],
        table=raw["table"], frequency=raw["frequency"], coverage_start=start, coverage_end=end,
        arms=tuple(raw["arms"]), measures=raw["measures"], defects=tuple(raw["defects"]),
        files=tuple(files), researcher_supplied=supplied, match=tuple(raw.get("match", ())),
        coverage_holes=tuple(holes), ends_at_last_event=bool(raw.get("ends_at_last_event", False)),
        lower_bound=bool(raw.get("lower_bound", False)),
        **_coding_fields(key, raw),
    )


ACTOR_SCHEMES = ("ucdp", "gtd", "mmp", "gade", "pirus", "csis", "new_america", "any")
TARGET_FIELDS = ("target_type", "target_nationality", "target_name", "location", "opponent")


def _coding_fields(key: str, raw: dict) -> dict:
    """The optional coding properties of an entry, validated (defaults: scheme "any", no flags)."""
    scheme = str(raw.get("actor_scheme", "any"))
    if scheme not in ACTOR_SCHEMES:
        raise ConfigError(f"{key}: actor_scheme must be one of {list(ACTOR_SCHEMES)}, got {scheme!r}")
    fields = tuple(str(f) for f in raw.get("target_fields", ()))
    bad = set(fields) - set(TARGET_FIELDS)
    if bad:
        raise ConfigError(f"{key}: unknown target_fields {sorted(bad)}; allowed {list(TARGET_FIELDS)}")
    flags = {}
    for name in ("plot_source", "jihadist_only"):
        v = raw.get(name, False)
        if not isinstance(v, bool):
            raise ConfigError(f"{key}: {name} must be true or false, got {v!r}")
        flags[name] = v
    if flags["jihadist_only"] and not flags["plot_source"]:
        raise ConfigError(f"{key}: jihadist_only is only meaningful for a plot_source")
    return {"actor_scheme": scheme, "plot_source": flags["plot_source"], "jihadist_only": flags["jihadist_only"],
            "target_fields": fields, "cannot_see": str(raw.get("cannot_see", "")),
            "duplicates_of": str(raw.get("duplicates_of", ""))}


def _sources_table(path: Path | None) -> tuple[Path, dict]:
    """The registry file's path and its [sources.*] tables (tomllib); ConfigError when there are none."""
    path = Path(path) if path else DEFAULT_REGISTRY
    with open(path, "rb") as fh:
        sources = tomllib.load(fh).get("sources")
    if not sources:
        raise ConfigError(f"{path}: no [sources.*] tables")
    return path, sources


def load_registry(path: Path | None = None) -> dict[str, SourceSpec]:
    """Read and validate the registry; keys keep the file's order."""
    path, sources = _sources_table(path)
    out = {key: _spec_from_toml(key, raw) for key, raw in sources.items()}
    for s in out.values():
        if s.duplicates_of and s.duplicates_of not in out:
            raise ConfigError(f"{s.key}: duplicates_of names an unknown source {s.duplicates_of!r}")
    return out


class Release(Protocol):
    """What the file locator needs of a registry entry: its key, registered files, `match` patterns, whether
    the researcher supplies it and whether the build reads it. A `SourceSpec` is one; so is a
    `ReleaseFiles` (read without pandas, for the pipeline's freshness check)."""

    @property
    def key(self) -> str: ...
    @property
    def files(self) -> tuple[SourceFile, ...]: ...
    @property
    def match(self) -> tuple[str, ...]: ...
    @property
    def researcher_supplied(self) -> bool: ...
    @property
    def is_read(self) -> bool: ...


@dataclass(frozen=True)
class ReleaseFiles:
    """The file part of one registry entry (see `Release`), read with tomllib alone."""

    key: str
    table: str
    files: tuple[SourceFile, ...]
    researcher_supplied: bool = False
    match: tuple[str, ...] = ()

    @property
    def is_read(self) -> bool:
        return self.table in READ_TABLES


def release_files(path: Path | None = None) -> dict[str, Release]:
    """Each registry entry's files and `match` patterns, keys in the file's order, read with tomllib only
    (no pandas, no month parsing): what `locate.raw_files` needs to list the build's inputs on a no-op run.

    Not a validation: `load_registry` validates the same file (the pipeline calls it, through `load_study`,
    whenever the registry changed since the last validated run). An entry this reader cannot take apart
    falls back to `load_registry(path)`, whose ConfigError names the problem."""
    path, sources = _sources_table(path)
    try:
        return {key: ReleaseFiles(key=key, table=str(raw["table"]),
                                  files=tuple(SourceFile(role=f["role"], path=f["path"], sha256=f.get("sha256", ""))
                                              for f in raw["files"]),
                                  researcher_supplied=bool(raw.get("researcher_supplied", False)),
                                  match=tuple(raw.get("match", ())))
                for key, raw in sources.items()}
    except (KeyError, TypeError, AttributeError):
        return dict(load_registry(path))


def registry_frame(registry: dict[str, SourceSpec]) -> pd.DataFrame:
    """The registry as a table, for the report's data section."""
    import pandas as pd

    rows = [
        {
            "source": s.key, "title": s.title, "publisher": s.publisher, "version": s.version,
            "licence": s.licence, "table": s.table, "frequency": s.frequency,
            "coverage": f"{s.coverage_start} to {s.coverage_end}"
                        + "".join(f" except {h.start} to {h.end}" for h in s.coverage_holes),
            "arms": ", ".join(s.arms),
            "measures": s.measures, "defects": "; ".join(s.defects),
            "researcher_supplied": s.researcher_supplied,
        }
        for s in registry.values()
    ]
    return pd.DataFrame(rows)


def with_observed_end(spec: SourceSpec, last_event: pd.Period | None) -> SourceSpec:
    """The spec with coverage_end cut to the month of the release's last event, for a release flagged
    `ends_at_last_event` (a researcher-supplied GTD or GED of any version). Unchanged otherwise, or when the
    release has no dated event. Months after the last event are then missing, not zero."""
    if not spec.ends_at_last_event or last_event is None or last_event >= spec.coverage_end:
        return spec
    from dataclasses import replace

    import pandas as pd

    return replace(spec, coverage_end=max(pd.Period(last_event, freq="M"), spec.coverage_start))
