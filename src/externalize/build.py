"""Build: raw releases -> normalised tables (cached) -> classified tables -> series, ledger, coverage.

Each source's normalised rows are cached as parquet keyed by the raw files' checksums and the adapter's code,
so a warm build reads parquet instead of parsing raw files. Classification is redone on every build (it is
cheap and depends on the taxonomy and the study config).

Bad input fails early with one message: a data folder that was given and does not exist, or no usable source
at all (where the package looked and which files are missing), or a study none of whose outcomes has a
source present (which outcomes, which sources each accepts). A researcher-supplied release in several files
is read file by file and combined (`sources.base.combine_parts`); each file is in the ledger with its sha256.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import inspect
import json
import platform
import subprocess
import warnings
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from externalize import __version__
from externalize.artefacts import write_frame, write_json
from externalize.config import Outcome, StudyConfig
from externalize.errors import DataNotFoundError, PipelineError
from externalize.ledger import Ledger, SourceLedger
from externalize.locate import (
    LocatedFile,
    UnverifiedDataWarning,
    candidate_data_dirs,
    describe_search,
    locate_source,
    near_misses,
)
from externalize.paths import PROCESSED_DIR, PROJECT_ROOT
from externalize.registry import SourceSpec, load_registry, with_observed_end
from externalize.schema import conform_events, conform_yearly, empty_events, empty_yearly
from externalize.series import monthly_counts, undated_month_rows, yearly_counts
from externalize.sources import adapter_for
from externalize.sources.base import AdapterOutput, collect_notes, combine_parts

if TYPE_CHECKING:  # classification is imported late (it loads the taxonomy)
    from externalize.classify import ClassCounts
    from externalize.taxonomy import Taxonomy

@dataclass
class BuildResult:
    events: pd.DataFrame
    yearly: pd.DataFrame
    monthly: pd.DataFrame
    yearly_series: pd.DataFrame
    ledger: Ledger
    coverage: pd.DataFrame
    registry: dict[str, SourceSpec]
    manifest: dict


def _adapter_fingerprint(module_name: str) -> str:
    """The code that turns a raw file into cached rows: the adapter, the shared readers and the schema."""
    module = adapter_for(module_name)
    src = inspect.getsource(module) + "".join(
        inspect.getsource(importlib.import_module(m)) for m in ("externalize.sources.base", "externalize.locate",
                                                                "externalize.schema"))
    return hashlib.sha256(src.encode()).hexdigest()[:16]


def _cache_key(spec: SourceSpec, files: Mapping[str, LocatedFile]) -> str:
    h = hashlib.sha256()
    for role in sorted(files):
        h.update(f"{role}:{files[role].sha256};".encode())
    h.update(_adapter_fingerprint(spec.adapter).encode())
    h.update(spec.key.encode())
    return h.hexdigest()[:20]


def _read_source(spec: SourceSpec, files: Mapping[str, LocatedFile], cache_dir: Path | None) -> AdapterOutput:
    """Adapter output for one source, from the parquet cache when the raw files and adapter are unchanged."""
    key = _cache_key(spec, files) if cache_dir else ""
    if cache_dir is not None:
        meta_path = cache_dir / f"{spec.key}-{key}.json"
        if meta_path.is_file():
            meta = json.loads(meta_path.read_text())
            ev = pd.read_parquet(cache_dir / f"{spec.key}-{key}-events.parquet") if meta["has_events"] else None
            yr = pd.read_parquet(cache_dir / f"{spec.key}-{key}-yearly.parquet") if meta["has_yearly"] else None
            return AdapterOutput(rows_read=meta["rows_read"], events=ev, yearly=yr, excluded=meta["excluded"],
                                 notes=list(meta.get("notes", [])))
    out = _adapt(spec, files)
    # the raw file's parse buffers are free now: hand them back to the system before the next source is read
    pyarrow.default_memory_pool().release_unused()
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for old in cache_dir.glob(f"{spec.key}-*"):
            old.unlink()
        if out.events is not None:
            out.events.to_parquet(cache_dir / f"{spec.key}-{key}-events.parquet", index=False)
        if out.yearly is not None:
            out.yearly.to_parquet(cache_dir / f"{spec.key}-{key}-yearly.parquet", index=False)
        # the metadata file is written last and atomically: a cache entry without it is never used
        write_json(cache_dir / f"{spec.key}-{key}.json", {
            "rows_read": out.rows_read, "excluded": out.excluded, "notes": out.notes,
            "has_events": out.events is not None, "has_yearly": out.yearly is not None})
    return out


def _read_one(spec: SourceSpec, paths: Mapping[str, Path], label: str) -> AdapterOutput:
    """One adapter call, with the notes it records (decoding) and a note for a file without data rows."""
    module = adapter_for(spec.adapter)
    with collect_notes() as notes:
        out: AdapterOutput = module.read(spec, dict(paths))
    out.notes = [*notes, *out.notes]
    if out.rows_read == 0:
        out.notes.append(f"{label}: header only, no data rows (the file adds 0 rows)")
    out.check_balance(spec.key)
    return out


def _adapt(spec: SourceSpec, files: Mapping[str, LocatedFile]) -> AdapterOutput:
    """Adapter output for one source. A researcher-supplied release in several files (roles main, part2,
    ...) is read file by file and combined into one release; overlapping parts are refused."""
    if not spec.researcher_supplied or len(files) == 1:
        return _read_one(spec, {r: lf.path for r, lf in files.items()},
                         str(files["main"].path) if "main" in files else spec.key)
    parts = [(lf.path, _read_one(spec, {"main": lf.path}, str(lf.path))) for lf in files.values()]
    return combine_parts(parts, spec.key)


def read_sources(registry: Mapping[str, SourceSpec], data_dir: str | Path | None = None,
                 allow_checksum_mismatch: bool = False, cache_dir: Path | None = None,
                 console: Console | None = None, only: list[str] | None = None,
                 allow_synthetic: bool = False) -> tuple[pd.DataFrame, pd.DataFrame, Ledger, dict]:
    """Read every present source into one events table and one yearly table, with the ledger.

    A researcher-supplied release that is absent, or a registered file that is missing, is skipped and the
    reason recorded (the study runs on whatever is present); a checksum mismatch is refused.
    """
    console = console or Console(stderr=True)
    candidate_data_dirs(data_dir)  # a given data folder that does not exist is an error naming it, up front
    ledger = Ledger()
    events, yearly, files_info = [], [], {}
    todo = [s for s in registry.values() if s.is_read and (only is None or s.key in only)]
    for spec in registry.values():
        if not spec.is_read:
            ledger.skipped[spec.key] = f"not read ({spec.table}): {'; '.join(spec.defects) or spec.measures}"
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        task = progress.add_task("reading sources", total=len(todo))
        for spec in todo:
            progress.update(task, description=f"reading {spec.key}")
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", UnverifiedDataWarning)
                    located = locate_source(spec, data_dir, allow_checksum_mismatch, allow_synthetic)
                for w in caught:
                    console.print(f"[yellow]WARNING[/]: {w.message}")
            except DataNotFoundError as exc:
                ledger.skipped[spec.key] = f"absent: {exc}"
                progress.advance(task)
                continue
            if located is None:
                ledger.skipped[spec.key] = _absent_supplied_message(spec, data_dir, registry)
                progress.advance(task)
                continue
            out = _read_source(spec, located, cache_dir)
            files_info[spec.key] = {role: {"path": str(lf.path), "sha256": lf.sha256, "verified": lf.verified}
                                    for role, lf in located.items()}
            verified = all(lf.verified for lf in located.values())
            if spec.researcher_supplied:
                listing = "; ".join(f"{lf.path} (sha256 {lf.sha256[:12]}...)" for lf in located.values())
                console.print(f"[yellow]NOTE[/]: {spec.key} read as one release from {len(located)} file(s): "
                              f"{listing}; not pinned in data/sources.toml")
            if out.notes:
                ledger.notes[spec.key] = list(out.notes)
                for note in out.notes:
                    console.print(f"[yellow]NOTE[/]: {spec.key}: {note}")
            ledger.add(SourceLedger(
                source=spec.key, file_sha256={r: lf.sha256 for r, lf in located.items()},
                checksum_verified=verified, rows_read=out.rows_read,
                rows_events=0 if out.events is None else len(out.events),
                rows_yearly=0 if out.yearly is None else len(out.yearly), excluded=dict(out.excluded)))
            if out.events is not None and len(out.events):
                events.append(out.events)
            if out.yearly is not None and len(out.yearly):
                yearly.append(out.yearly)
            progress.advance(task)
    # every part was validated by its adapter (cached parts before they were written, under a key that
    # includes the schema's code): the combined tables are cast and ordered, not validated a second time
    ev = conform_events(pd.concat(events, ignore_index=True), validate=False) if events else empty_events()
    yr = conform_yearly(pd.concat(yearly, ignore_index=True), validate=False) if yearly else empty_yearly()
    return ev, yr, ledger, files_info


def _absent_supplied_message(spec: SourceSpec, data_dir: str | Path | None,
                             registry: Mapping[str, SourceSpec]) -> str:
    """Why a researcher-supplied release was not read: the names accepted, and look-alike files found (files
    the registry lists for other sources left out)."""
    msg = f"researcher-supplied release not present (accepted file names: {', '.join(spec.match)})"
    odd = near_misses(spec, data_dir, frozenset(f.path for s in registry.values() for f in s.files))
    if odd:
        msg += f"; files with a similar name that match none of them: {', '.join(str(p) for p in odd[:5])}"
    return msg


def no_data_message(registry: Mapping[str, SourceSpec], data_dir: str | Path | None) -> str:
    """One message for a build that found no usable source: where it looked and what is missing."""
    wanted = [f"{s.key} ({', '.join(f.path for f in s.files) or 'any of ' + ', '.join(s.match)})"
              for s in registry.values() if s.is_read]
    return (f"no usable data: none of the {len(wanted)} sources the study reads was found. "
            f"Looked in {describe_search(data_dir)}. Missing: {'; '.join(wanted)}. Put the data folder (see "
            "README: Data, and the `get` line of each source in data/sources.toml) in one of those places, or "
            "pass --data-dir / set EXTERNALIZE_DATA. `externalize verify` lists every file and checksum.")


def observed_registry(registry: Mapping[str, SourceSpec], events: pd.DataFrame) -> dict[str, SourceSpec]:
    """The registry with each `ends_at_last_event` release's coverage cut to the month of its last event
    (a full GTD 0718dist covers up to 2017-12; with the 2021Jan-June supplement, up to 2021-06)."""
    if not len(events):
        return dict(registry)
    last = events.groupby(events["source"].astype(str), observed=True)["date"].max()
    return {k: with_observed_end(s, pd.Period(last[k], freq="M") if k in last.index and pd.notna(last[k])
                                 else None) for k, s in registry.items()}


def check_outcome_sources(study: StudyConfig, registry: Mapping[str, SourceSpec] | None = None) -> None:
    """ConfigError for an outcome listing a source that data/sources.toml (or the given registry) does not
    know, or one that does not measure the outcome's arm: a study cannot silently fall back to a source
    that measures something else."""
    from externalize.errors import ConfigError

    known = {**load_registry(), **(registry or {})}
    for o in study.outcomes:
        for key in o.sources:
            if key not in known:
                raise ConfigError(f"outcome {o.name!r} lists source {key!r}, which data/sources.toml does not "
                                  f"know; known: {', '.join(sorted(known))}")
            if o.arm and o.arm not in known[key].arms:
                raise ConfigError(f"outcome {o.name!r} (arm {o.arm!r}) lists source {key!r}, whose arms are "
                                  f"{list(known[key].arms)}")


def choose_source(outcome: Outcome, available: set[str], registry: Mapping[str, SourceSpec]) -> str | None:
    """The best source present for an outcome: the first of its ordered `sources` that is in `available`
    (sources with a usable series in the build) and in the registry; None when none is. Sources that do not
    measure the outcome's arm are never chosen (`check_outcome_sources` refuses them up front)."""
    return next((k for k in outcome.sources if k in available and k in registry
                 and (not outcome.arm or outcome.arm in registry[k].arms)), None)


def outcome_sources(study: StudyConfig, monthly: pd.DataFrame, yearly_series: pd.DataFrame,
                    registry: Mapping[str, SourceSpec]) -> pd.DataFrame:
    """One row per outcome: arm, frequency, acceptable sources (best first), the source used, and why.

    A source is usable for an outcome when the build has its series covering the main intervention: the
    intervention month (monthly outcomes) or the whole intervention year (yearly outcomes). A full release
    that ends before the intervention (a GTD 0814dist) is therefore passed over for the next source listed.
    Columns: outcome, arm, frequency, acceptable (" > "-joined), used (<NA> when none is usable), note."""
    month = study.main.month
    have: dict[str, set[str]] = {"month": set(), "year": set()}
    if len(monthly):
        at = monthly[(monthly["period"] == month) & monthly["in_coverage"].astype(bool)]
        have["month"] = set(at["source"].astype(str))
    if len(yearly_series):
        at = yearly_series[(yearly_series["year"] == month.year) & (yearly_series["months_covered"] == 12)]
        have["year"] = set(at["source"].astype(str))
    rows = []
    for o in study.outcomes:
        used = choose_source(o, have[o.frequency], registry)
        skipped = [k for k in o.sources[: o.sources.index(used)]] if used else list(o.sources)
        note = ("" if used == o.sources[0] else
                f"not present or not covering {month if o.frequency == 'month' else month.year}: "
                f"{', '.join(skipped)}" + ("" if used else "; the outcome cannot be estimated"))
        rows.append({"outcome": o.name, "arm": o.arm, "frequency": o.frequency,
                     "acceptable": " > ".join(o.sources), "used": used if used else pd.NA, "note": note})
    return pd.DataFrame(rows, columns=["outcome", "arm", "frequency", "acceptable", "used", "note"])


def resolve_study(study: StudyConfig, built: BuildResult) -> StudyConfig:
    """The study with each outcome's `source` set to the best source present in this build (its lower_bound
    flag following that source). Call it on the build's result before fitting, so that a full GTD or GED the
    researcher supplied is used wherever an outcome accepts it. Outcomes with no source present keep their
    last-resort source (the fit then reports that series as missing)."""
    table = outcome_sources(study, built.monthly, built.yearly_series, built.registry)
    used = dict(zip(table["outcome"], table["used"]))
    outcomes = []
    for o in study.outcomes:
        chosen = used.get(o.name)
        if chosen is None or pd.isna(chosen):
            outcomes.append(o)
            continue
        spec = built.registry[chosen]
        lower = spec.lower_bound or (o.lower_bound and chosen == o.sources[-1])
        outcomes.append(dataclasses.replace(o, source=str(chosen), lower_bound=bool(lower)))
    return dataclasses.replace(study, outcomes=tuple(outcomes))


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def coverage_table(registry: Mapping[str, SourceSpec], ledger: Ledger, events: pd.DataFrame,
                   yearly: pd.DataFrame) -> pd.DataFrame:
    """Which source covers which arm, when and how often: the reader's map of what the data can show.

    start/end are the span the build used (a supplied release's end is its last event month); `holes` lists
    the documented gaps inside it ("1993-01 to 1993-12" for the GTD copies spanning 1993)."""
    undated = undated_month_rows(events) if len(events) else pd.Series(dtype="int64")
    rows = []
    for spec in registry.values():
        if not spec.is_read:
            continue
        present = spec.key in ledger.entries
        for arm in spec.arms or ("context",):
            rows.append({
                "source": spec.key, "arm": arm, "frequency": spec.frequency, "table": spec.table,
                "start": str(spec.coverage_start), "end": str(spec.coverage_end),
                # documented gaps inside the span (GTD 1993): counts there are missing, not zero
                "holes": "; ".join(f"{h.start} to {h.end}" for h in spec.coverage_holes),
                "rows": ledger.entries[spec.key].rows_kept if present else 0,
                "in_study": present,
                "year_only_rows": int(undated.get(spec.key, 0)),
                "note": "" if present else ledger.skipped.get(spec.key, "absent"),
            })
    return pd.DataFrame(rows)


def build_study(study: StudyConfig, data_dir: str | Path | None = None, out_dir: str | Path | None = None,
                allow_checksum_mismatch: bool = False, console: Console | None = None,
                registry: dict[str, SourceSpec] | None = None, use_cache: bool = True) -> BuildResult:
    """Run the data half of the study and write its outputs under out_dir (default data/processed/)."""
    from externalize.classify import classify_tables  # late: depends on the taxonomy
    from externalize.taxonomy import load_taxonomy

    console = console or Console(stderr=True)
    out = Path(out_dir) if out_dir else PROCESSED_DIR
    out.mkdir(parents=True, exist_ok=True)
    registry = registry or load_registry()
    check_outcome_sources(study, registry)  # refused before any file is read
    events, yearly, ledger, files_info = read_sources(
        registry, data_dir, allow_checksum_mismatch, out / "cache" if use_cache else None, console)
    if not ledger.entries:
        raise DataNotFoundError(no_data_message(registry, data_dir))
    registry = observed_registry(registry, events)
    # the same event in two releases (GED Syria-Iraq repeats GED Syria's ids): marked, never dropped
    from externalize.schema import mark_duplicate_events
    events, duplicates = mark_duplicate_events(
        events, {s.key: s.duplicates_of for s in registry.values() if s.duplicates_of})
    write_frame(duplicates, out / "duplicate_events.csv")
    console.print(f"classifying {len(events):,} events and {len(yearly):,} yearly rows")
    taxonomy = load_taxonomy()
    events, yearly, class_counts = classify_tables(events, yearly, study.taxonomy, taxonomy=taxonomy,
                                                   registry=registry)
    with ThreadPoolExecutor(max_workers=1) as pool:
        # the two row tables are final here: written in the background (Arrow encodes parquet outside the
        # GIL) while the series are counted
        rows_written = pool.submit(write_row_tables, events, yearly, out)
        result, used = _summarise(study, events, yearly, class_counts, ledger, registry, files_info, taxonomy, out,
                            console)
        rows_written.result()
    write_outputs(result, out)
    write_frame(used, out / "outcome_sources.csv")
    for r in used.itertuples():
        if r.note:
            console.print(f"[yellow]NOTE[/]: outcome {r.outcome}: {r.note}"
                          + ("" if pd.isna(r.used) else f"; using {r.used}"))
    if len(used) and used["used"].isna().all():
        raise DataNotFoundError(
            "nothing can be estimated: no outcome of the study has a source in this build ("
            + "; ".join(f"{r.outcome} accepts {r.acceptable}" for r in used.itertuples())
            + f"). Looked in {describe_search(data_dir)}. Build outputs are in {out} for inspection.")
    console.print(f"[green]build written to {out}[/]")
    return result


def _summarise(study: StudyConfig, events: pd.DataFrame, yearly: pd.DataFrame, class_counts: ClassCounts,
               ledger: Ledger, registry: dict[str, SourceSpec], files_info: dict, taxonomy: Taxonomy, out: Path,
               console: Console) -> tuple[BuildResult, pd.DataFrame]:
    """What the build derives from the classified rows: unknown names, rule counts in the ledger, series,
    coverage and the manifest; and the source each outcome uses (`outcome_sources`)."""
    from externalize.classify import unknown_actor_names

    # jihadist-looking actor names not curated in actors.csv: warned here, tabled for the report
    unknown = unknown_actor_names(events, yearly, taxonomy, registry)
    write_frame(unknown, out / "unknown_actor_names.csv")
    if len(unknown):
        console.print(f"[yellow]WARNING[/]: {unknown['name'].nunique()} jihadist-looking actor names are not "
                      f"curated in data/taxonomy/actors.csv ({int(unknown['rows'].sum()):,} rows); "
                      f"see {out / 'unknown_actor_names.csv'}")
    for source, counts in class_counts.items():
        ledger.record_classes(source, counts)
    monthly = monthly_counts(events, registry, study.window_start, study.window_end)
    yearly_series = yearly_counts(events, yearly, registry, study.yearly_start, study.yearly_end)
    coverage = coverage_table(registry, ledger, events, yearly)
    used = outcome_sources(study, monthly, yearly_series, registry)
    manifest = {
        "package_version": __version__, "git_commit": _git_commit(), "python": platform.python_version(),
        "pandas": pd.__version__, "study_config": str(study.path), "sources": files_info,
        "skipped": ledger.skipped, "notes": ledger.notes,
        "coverage_observed": {k: [str(s.coverage_start), str(s.coverage_end)] for k, s in registry.items()
                              if s.ends_at_last_event and k in ledger.entries},
        "outcome_sources": {r.outcome: (None if pd.isna(r.used) else r.used) for r in used.itertuples()},
    }
    return BuildResult(events, yearly, monthly, yearly_series, ledger, coverage, registry, manifest), used


def write_row_tables(events: pd.DataFrame, yearly: pd.DataFrame, out: Path) -> None:
    """The classified event and yearly tables, each written atomically."""
    write_frame(events, out / "events.parquet")
    write_frame(yearly, out / "yearly.parquet")


def write_outputs(result: BuildResult, out: Path) -> None:
    """Every build artefact but the row tables (`write_row_tables`), each written atomically (a killed build
    leaves no half-written file)."""
    write_frame(result.monthly.assign(period=result.monthly["period"].astype(str)), out / "series_monthly.parquet")
    write_frame(result.yearly_series, out / "series_yearly.parquet")
    write_frame(result.ledger.summary(), out / "ledger.csv")
    write_frame(result.ledger.detail(), out / "ledger_detail.csv")
    write_frame(result.ledger.notes_frame(), out / "ledger_notes.csv")
    write_frame(result.coverage, out / "coverage.csv")
    write_json(out / "build_manifest.json", result.manifest)


def _read_saved(path: Path, rows: bool = True) -> pd.DataFrame:
    """A saved table, or (rows=False) its columns and types without reading its rows."""
    if rows:
        return pd.read_parquet(path)
    import pyarrow.parquet as pq

    return pq.read_schema(path).empty_table().to_pandas()


def load_built(out_dir: str | Path | None = None, *, tables: bool = True) -> BuildResult:
    """Read a finished build back (periods as pd.Period). The ledger comes back as its two tables.
    tables=False leaves `events` and `yearly` empty (their saved columns and types, no rows) and reads the
    series only: enough for `resolve_study`, and the event table is most of a build's reading time."""
    out = Path(out_dir) if out_dir else PROCESSED_DIR
    if not (out / "build_manifest.json").is_file():
        raise PipelineError(f"no build in {out}: run `externalize build` first")
    monthly = pd.read_parquet(out / "series_monthly.parquet")
    monthly["period"] = pd.PeriodIndex(monthly["period"], freq="M")
    ledger = Ledger()
    ledger_summary = pd.read_csv(out / "ledger.csv")
    result = BuildResult(
        events=_read_saved(out / "events.parquet", rows=tables), yearly=_read_saved(out / "yearly.parquet", rows=tables),
        monthly=monthly, yearly_series=pd.read_parquet(out / "series_yearly.parquet"), ledger=ledger,
        coverage=pd.read_csv(out / "coverage.csv"), registry=load_registry(),
        manifest=json.loads((out / "build_manifest.json").read_text()))
    for key, (_, end) in result.manifest.get("coverage_observed", {}).items():
        if key in result.registry:  # the coverage the build used (a supplied release's last event month)
            result.registry[key] = dataclasses.replace(result.registry[key], coverage_end=pd.Period(end, freq="M"))
    result.manifest["ledger_summary"] = ledger_summary.to_dict(orient="records")
    return result
