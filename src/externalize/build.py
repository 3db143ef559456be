"""Build: raw releases -> normalised tables (cached) -> classified tables -> series, ledger, coverage.

Each source's normalised rows are cached as parquet keyed by the raw files' checksums and the adapter's code,
so a warm build reads parquet instead of parsing raw files. Classification is redone on every build (it is
cheap and depends on the taxonomy and the study config).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import platform
import subprocess
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from externalize import __version__
from externalize.config import StudyConfig
from externalize.errors import DataNotFoundError
from externalize.ledger import Ledger, SourceLedger
from externalize.locate import LocatedFile, UnverifiedDataWarning, locate_source
from externalize.registry import PROJECT_ROOT, SourceSpec, load_registry
from externalize.schema import conform_events, conform_yearly, empty_events, empty_yearly
from externalize.series import monthly_counts, undated_month_rows, yearly_counts
from externalize.sources import adapter_for
from externalize.sources.base import AdapterOutput

DEFAULT_OUT = PROJECT_ROOT / "data" / "processed"


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
    module = adapter_for(module_name)
    src = inspect.getsource(module) + inspect.getsource(importlib.import_module("externalize.schema"))
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
            return AdapterOutput(rows_read=meta["rows_read"], events=ev, yearly=yr, excluded=meta["excluded"])
    module = adapter_for(spec.adapter)
    out: AdapterOutput = module.read(spec, {role: lf.path for role, lf in files.items()})
    out.check_balance(spec.key)
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for old in cache_dir.glob(f"{spec.key}-*"):
            old.unlink()
        if out.events is not None:
            out.events.to_parquet(cache_dir / f"{spec.key}-{key}-events.parquet", index=False)
        if out.yearly is not None:
            out.yearly.to_parquet(cache_dir / f"{spec.key}-{key}-yearly.parquet", index=False)
        (cache_dir / f"{spec.key}-{key}.json").write_text(json.dumps({
            "rows_read": out.rows_read, "excluded": out.excluded,
            "has_events": out.events is not None, "has_yearly": out.yearly is not None}))
    return out


def read_sources(registry: Mapping[str, SourceSpec], data_dir: str | Path | None = None,
                 allow_checksum_mismatch: bool = False, cache_dir: Path | None = None,
                 console: Console | None = None, only: list[str] | None = None,
                 allow_synthetic: bool = False) -> tuple[pd.DataFrame, pd.DataFrame, Ledger, dict]:
    """Read every present source into one events table and one yearly table, with the ledger.

    A researcher-supplied release that is absent, or a registered file that is missing, is skipped and the
    reason recorded (the study runs on whatever is present); a checksum mismatch is refused.
    """
    console = console or Console(stderr=True)
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
                ledger.skipped[spec.key] = "researcher-supplied release not present"
                progress.advance(task)
                continue
            out = _read_source(spec, located, cache_dir)
            files_info[spec.key] = {role: {"path": str(lf.path), "sha256": lf.sha256, "verified": lf.verified}
                                    for role, lf in located.items()}
            verified = all(lf.verified for lf in located.values())
            if spec.researcher_supplied:
                console.print(f"[yellow]NOTE[/]: {spec.key} read from {located['main'].path} "
                              f"(sha256 {located['main'].sha256[:12]}..., not pinned in data/sources.toml)")
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
    ev = conform_events(pd.concat(events, ignore_index=True)) if events else empty_events()
    yr = conform_yearly(pd.concat(yearly, ignore_index=True)) if yearly else empty_yearly()
    return ev, yr, ledger, files_info


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def coverage_table(registry: Mapping[str, SourceSpec], ledger: Ledger, events: pd.DataFrame,
                   yearly: pd.DataFrame) -> pd.DataFrame:
    """Which source covers which arm, when and how often: the reader's map of what the data can show."""
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
    from externalize.classify import classify_tables, unknown_actor_names  # late: depends on the taxonomy
    from externalize.taxonomy import load_taxonomy

    console = console or Console(stderr=True)
    out = Path(out_dir) if out_dir else DEFAULT_OUT
    out.mkdir(parents=True, exist_ok=True)
    registry = registry or load_registry()
    events, yearly, ledger, files_info = read_sources(
        registry, data_dir, allow_checksum_mismatch, out / "cache" if use_cache else None, console)
    # the same event in two releases (GED Syria-Iraq repeats GED Syria's ids): marked, never dropped
    from externalize.schema import mark_duplicate_events
    events, duplicates = mark_duplicate_events(
        events, {s.key: s.duplicates_of for s in registry.values() if s.duplicates_of})
    duplicates.to_csv(out / "duplicate_events.csv", index=False)
    console.print(f"classifying {len(events):,} events and {len(yearly):,} yearly rows")
    taxonomy = load_taxonomy()
    events, yearly, class_counts = classify_tables(events, yearly, study.taxonomy, taxonomy=taxonomy,
                                                   registry=registry)
    # jihadist-looking actor names not curated in actors.csv: warned here, tabled for the report
    unknown = unknown_actor_names(events, yearly, taxonomy, registry)
    unknown.to_csv(out / "unknown_actor_names.csv", index=False)
    if len(unknown):
        console.print(f"[yellow]WARNING[/]: {unknown['name'].nunique()} jihadist-looking actor names are not "
                      f"curated in data/taxonomy/actors.csv ({int(unknown['rows'].sum()):,} rows); "
                      f"see {out / 'unknown_actor_names.csv'}")
    for source, counts in class_counts.items():
        ledger.record_classes(source, counts)
    monthly = monthly_counts(events, registry, study.window_start, study.window_end)
    yearly_series = yearly_counts(events, yearly, registry, study.yearly_start, study.yearly_end)
    coverage = coverage_table(registry, ledger, events, yearly)
    manifest = {
        "package_version": __version__, "git_commit": _git_commit(), "python": platform.python_version(),
        "pandas": pd.__version__, "study_config": str(study.path), "sources": files_info,
        "skipped": ledger.skipped,
    }
    result = BuildResult(events, yearly, monthly, yearly_series, ledger, coverage, registry, manifest)
    write_outputs(result, out)
    console.print(f"[green]build written to {out}[/]")
    return result


def write_outputs(result: BuildResult, out: Path) -> None:
    result.events.to_parquet(out / "events.parquet", index=False)
    result.yearly.to_parquet(out / "yearly.parquet", index=False)
    result.monthly.assign(period=result.monthly["period"].astype(str)).to_parquet(
        out / "series_monthly.parquet", index=False)
    result.yearly_series.to_parquet(out / "series_yearly.parquet", index=False)
    result.ledger.summary().to_csv(out / "ledger.csv", index=False)
    result.ledger.detail().to_csv(out / "ledger_detail.csv", index=False)
    result.coverage.to_csv(out / "coverage.csv", index=False)
    (out / "build_manifest.json").write_text(json.dumps(result.manifest, indent=2, sort_keys=True))


def load_built(out_dir: str | Path | None = None) -> BuildResult:
    """Read a finished build back (periods as pd.Period). The ledger comes back as its two tables."""
    out = Path(out_dir) if out_dir else DEFAULT_OUT
    if not (out / "build_manifest.json").is_file():
        raise FileNotFoundError(f"no build in {out}: run `externalize build` first")
    monthly = pd.read_parquet(out / "series_monthly.parquet")
    monthly["period"] = pd.PeriodIndex(monthly["period"], freq="M")
    ledger = Ledger()
    ledger_summary = pd.read_csv(out / "ledger.csv")
    result = BuildResult(
        events=pd.read_parquet(out / "events.parquet"), yearly=pd.read_parquet(out / "yearly.parquet"),
        monthly=monthly, yearly_series=pd.read_parquet(out / "series_yearly.parquet"), ledger=ledger,
        coverage=pd.read_csv(out / "coverage.csv"), registry=load_registry(),
        manifest=json.loads((out / "build_manifest.json").read_text()))
    result.manifest["ledger_summary"] = ledger_summary.to_dict(orient="records")
    return result
