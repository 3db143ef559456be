"""`externalize run`: build -> fit -> robustness -> figures -> report, skipping steps whose inputs did not change.

Each step declares its input files and its outputs. Before running a step, the pipeline hashes its inputs
(sha256 of every input file's bytes, plus the study config, the package version and a fingerprint of the
package code the step runs) and compares the digest with the stamp written after the step's last success
(reports/output/.stamps/<step>.json). Equal digest and every output present -> the step is skipped; otherwise
the run says what changed. A step that re-runs and writes byte-identical outputs lets the later steps skip.

Inputs per step: build = the raw files found, data/sources.toml, data/taxonomy/; fit and robustness = the
monthly and yearly series; figures = series, coverage, events, the case catalogue and the model tables;
report = ledger, coverage, build manifest, registry, tables, figures and the template folder.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from externalize import __version__
from externalize.config import StudyConfig, load_study
from externalize.registry import PROJECT_ROOT

PACKAGE_DIR = Path(__file__).resolve().parent
STEP_ORDER = ("build", "fit", "robustness", "figures", "report")


@dataclass
class Context:
    """What every step needs: the study, where data is read and where outputs go."""

    study: StudyConfig
    study_path: Path
    data_dir: Path | None
    processed_dir: Path
    output_dir: Path
    console: Console
    allow_checksum_mismatch: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def tables_dir(self) -> Path:
        return self.output_dir / "tables"

    @property
    def figures_dir(self) -> Path:
        return self.output_dir / "figures"

    @property
    def stamps_dir(self) -> Path:
        return self.output_dir / ".stamps"


@dataclass(frozen=True)
class Step:
    """A pipeline step: `run(ctx)` does the work; `inputs(ctx)` / `outputs(ctx)` list the files it reads / writes
    (a directory stands for every file below it)."""

    name: str
    run: Callable[[Context], object]
    inputs: Callable[[Context], list[Path]]
    outputs: Callable[[Context], list[Path]]
    #: package modules this step never runs (those of later steps): editing them does not re-run it
    code_excludes: tuple[str, ...] = ()


def _files(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.is_file() and ".stamps" not in q.parts
                              and "cache" not in q.relative_to(p).parts))
        elif p.is_file():
            out.append(p)
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def code_fingerprint(excludes: Sequence[str] = ()) -> str:
    """sha256 over the package's source files (but `excludes`: paths relative to the package, a trailing "/"
    for a whole folder): a code change re-runs the steps that use it even when the version did not change."""
    h = hashlib.sha256()
    for p in sorted(PACKAGE_DIR.rglob("*.py")):
        rel = p.relative_to(PACKAGE_DIR).as_posix()
        if any(rel == e or (e.endswith("/") and rel.startswith(e)) for e in excludes):
            continue
        h.update(rel.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def input_digest(step: Step, ctx: Context) -> tuple[str, dict]:
    """Digest of a step's inputs: every input file (path and sha256), the study config, version and code.
    Returns the digest and its parts (kept in the stamp, so a re-run can say what changed)."""
    files = {}
    for p in _files(step.inputs(ctx)):
        try:
            key = p.resolve().relative_to(PROJECT_ROOT).as_posix()
        except ValueError:
            key = str(p.resolve())
        files[key] = _sha256(p)
    meta = {"step": step.name, "study": _sha256(ctx.study_path), "version": __version__,
            "code": code_fingerprint(step.code_excludes), "files": files,
            "options": {"allow_checksum_mismatch": ctx.allow_checksum_mismatch,
                        "data_dir": str(ctx.data_dir) if ctx.data_dir else None}}
    return hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest(), meta


def _stamp_path(step: Step, ctx: Context) -> Path:
    return ctx.stamps_dir / f"{step.name}.json"


def what_changed(step: Step, ctx: Context, meta: dict) -> str:
    """Why a step must run, in words: no previous run, missing outputs, or which inputs differ from the stamp."""
    stamp = _stamp_path(step, ctx)
    if not stamp.is_file():
        return "no previous run"
    try:
        old = json.loads(stamp.read_text()).get("meta", {})
    except json.JSONDecodeError:
        return "unreadable stamp"
    reasons = []
    for key, label in (("study", "study config"), ("code", "package code"), ("version", "package version"),
                       ("options", "options")):
        if old.get(key) != meta.get(key):
            reasons.append(label)
    old_files, new_files = old.get("files", {}), meta.get("files", {})
    changed = sorted(k for k in set(old_files) | set(new_files) if old_files.get(k) != new_files.get(k))
    if changed:
        reasons.append(f"{len(changed)} input file(s), e.g. {changed[0]}")
    if not reasons:
        missing = [str(p) for p in step.outputs(ctx) if not p.exists()]
        return f"output missing: {missing[0]}" if missing else "inputs unchanged"
    return "changed: " + "; ".join(reasons)


def is_fresh(step: Step, ctx: Context, digest: str) -> bool:
    """True when the last success had the same input digest and every declared output still exists."""
    stamp = _stamp_path(step, ctx)
    if not stamp.is_file():
        return False
    try:
        saved = json.loads(stamp.read_text())
    except json.JSONDecodeError:
        return False
    return saved.get("digest") == digest and all(p.exists() for p in step.outputs(ctx))


# ---------------------------------------------------------------- the study's steps
def _built(ctx: Context):
    from externalize.build import load_built

    if "built" not in ctx.extra:
        ctx.extra["built"] = load_built(ctx.processed_dir)
    return ctx.extra["built"]


def _run_build(ctx: Context) -> None:
    from externalize.build import build_study

    ctx.extra["built"] = build_study(ctx.study, ctx.data_dir, ctx.processed_dir, ctx.allow_checksum_mismatch,
                                     ctx.console)


def _run_fit(ctx: Context) -> None:
    from externalize.estimates import fit_study

    fit_study(_built(ctx), ctx.study, ctx.tables_dir, console=ctx.console)


def _run_robustness(ctx: Context) -> None:
    from externalize.estimates import robustness_study

    robustness_study(_built(ctx), ctx.study, ctx.tables_dir, console=ctx.console)


def _run_figures(ctx: Context) -> None:
    from externalize.figures import make_figures

    make_figures(ctx.output_dir, ctx.study, ctx.processed_dir)


def _run_report(ctx: Context) -> None:
    from externalize.report import render_report

    html, pdf = render_report(ctx.output_dir, ctx.study, ctx.processed_dir)
    ctx.console.print(f"  report: {html}" + (f" and {pdf}" if pdf else ""))


def _raw_inputs(ctx: Context) -> list[Path]:
    """The raw files the build would read (every registered file found), the registry and the taxonomy."""
    from externalize.locate import resolve_data_dir

    found: list[Path] = [PROJECT_ROOT / "data" / "sources.toml", PROJECT_ROOT / "data" / "taxonomy"]
    data_dir = resolve_data_dir(ctx.data_dir)
    if data_dir is not None:
        from externalize.registry import load_registry

        for spec in load_registry().values():
            for sf in spec.files:
                if (data_dir / sf.path).is_file():
                    found.append(data_dir / sf.path)
    return found


_BUILD_OUT = ("events.parquet", "yearly.parquet", "series_monthly.parquet", "series_yearly.parquet", "ledger.csv",
              "coverage.csv", "build_manifest.json")
_FIT_OUT = ("estimates.csv", "fit_stats.csv", "counterfactual.csv", "effects.csv", "share.csv",
            "yearly_contrast.csv", "fit_errors.csv")
_ROB_OUT = ("placebo.csv", "placebo_summary.csv", "break_sweep.csv", "break_summary.csv", "spec_curve.csv",
            "primary_estimands.csv", "break_date_profile.csv", "rival_dates.csv", "direct_test.csv",
            "primary_methods.csv", "findings.csv")


_DRAW = ("figures.py", "tables.py", "report.py", "pipeline.py", "cli.py")
#: the data-reading layer: its effect on the models arrives through the series files, which are hashed
_READ = ("sources/", "synthetic/", "classify.py", "taxonomy.py", "locate.py", "ledger.py", "cases.py")
#: modules a step never runs (later steps', the runner's, or, for the models, the readers'), per step
_LATER = {"build": _DRAW, "fit": _DRAW + _READ, "robustness": _DRAW + _READ, "figures": _DRAW[1:],
          "report": _DRAW[3:]}


def default_steps() -> dict[str, Step]:
    def built(ctx: Context) -> list[Path]:
        return [ctx.processed_dir / n for n in _BUILD_OUT]

    def series(ctx: Context) -> list[Path]:
        # the model steps read only the count series: a new git commit in the build manifest or a change in
        # event columns they never use does not refit them
        return [ctx.processed_dir / "series_monthly.parquet", ctx.processed_dir / "series_yearly.parquet"]

    def figure_inputs(ctx: Context) -> list[Path]:
        return (series(ctx) + [ctx.processed_dir / "coverage.csv", ctx.processed_dir / "events.parquet",
                               PROJECT_ROOT / "data" / "cases" / "cases.csv"]
                + [ctx.tables_dir / n for n in _FIT_OUT + _ROB_OUT])

    def report_inputs(ctx: Context) -> list[Path]:
        return [ctx.processed_dir / n for n in ("ledger.csv", "coverage.csv", "build_manifest.json")] + [
            PROJECT_ROOT / "data" / "sources.toml", ctx.tables_dir, ctx.figures_dir,
            PROJECT_ROOT / "reports" / "templates"]

    return {
        "build": Step("build", _run_build, _raw_inputs, built, _LATER["build"]),
        "fit": Step("fit", _run_fit, series, lambda c: [c.tables_dir / n for n in _FIT_OUT], _LATER["fit"]),
        "robustness": Step("robustness", _run_robustness, series, lambda c: [c.tables_dir / n for n in _ROB_OUT],
                           _LATER["robustness"]),
        "figures": Step("figures", _run_figures, figure_inputs, lambda c: [c.figures_dir], _LATER["figures"]),
        "report": Step("report", _run_report, report_inputs,
                       lambda c: [c.output_dir / "report.html", c.output_dir / "report.pdf"], _LATER["report"]),
    }


# ---------------------------------------------------------------- running
@dataclass(frozen=True)
class StepOutcome:
    name: str
    status: str   # "ran" | "skipped"
    seconds: float
    reason: str


def run_pipeline(study_path: str | Path | None = None, data_dir: str | Path | None = None, force: bool = False,
                 steps: Sequence[str | Step] | None = None, console: Console | None = None, *,
                 allow_checksum_mismatch: bool = False, output_dir: str | Path | None = None,
                 processed_dir: str | Path | None = None) -> list[StepOutcome]:
    """Run the steps in order (default: all five), skipping those whose inputs are unchanged (unless force).

    steps: names from STEP_ORDER (a subset, run in the study order) or Step objects (run as given).
    A failing step raises; its stamp is not written, so the next run retries it.
    """
    from externalize.build import DEFAULT_OUT

    console = console or Console(stderr=True)
    study = load_study(study_path)   # validated before any work starts
    ctx = Context(study=study, study_path=Path(study.path), data_dir=Path(data_dir) if data_dir else None,
                  processed_dir=Path(processed_dir) if processed_dir else DEFAULT_OUT,
                  output_dir=Path(output_dir) if output_dir else PROJECT_ROOT / "reports" / "output",
                  console=console, allow_checksum_mismatch=allow_checksum_mismatch)
    known = default_steps()
    if steps is None:
        plan = [known[n] for n in STEP_ORDER]
    else:
        names = [s for s in steps if isinstance(s, str)]
        unknown = set(names) - set(known)
        if unknown:
            raise ValueError(f"unknown steps {sorted(unknown)}; choose from {list(STEP_ORDER)}")
        plan = ([known[n] for n in STEP_ORDER if n in names] if len(names) == len(steps)
                else [known[s] if isinstance(s, str) else s for s in steps])
    outcomes: list[StepOutcome] = []
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("pipeline", total=len(plan))
        for step in plan:
            progress.update(task, description=f"step {step.name}")
            t0 = time.perf_counter()
            digest, meta = input_digest(step, ctx)
            if not force and is_fresh(step, ctx, digest):
                outcomes.append(StepOutcome(step.name, "skipped", time.perf_counter() - t0, "inputs unchanged"))
                console.print(f"[dim]{step.name}: skipped (inputs unchanged)[/]")
                progress.advance(task)
                continue
            reason = "forced" if force else what_changed(step, ctx, meta)
            console.rule(f"[bold]{step.name}[/] [dim]({reason})[/]")
            step.run(ctx)
            ctx.stamps_dir.mkdir(parents=True, exist_ok=True)
            seconds = time.perf_counter() - t0
            _stamp_path(step, ctx).write_text(json.dumps(
                {"step": step.name, "digest": digest, "inputs": meta["files"], "meta": meta,
                 "version": __version__, "seconds": round(seconds, 3),
                 "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
                indent=2, sort_keys=True))
            outcomes.append(StepOutcome(step.name, "ran", seconds, reason))
            console.print(f"[green]{step.name}: done in {seconds:.1f} s[/]")
            progress.advance(task)
    table = Table(title="externalize run")
    for col in ("step", "status", "seconds", "why"):
        table.add_column(col)
    for o in outcomes:
        table.add_row(o.name, o.status, f"{o.seconds:.1f}", o.reason)
    console.print(table)
    return outcomes
