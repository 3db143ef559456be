"""`externalize run`: build -> fit -> robustness -> figures -> report, skipping steps whose inputs did not change.

Each step declares its input files and its outputs (from the artefact registry, `externalize.artefacts`, and
for figures the figure registry). Before running a step, the pipeline hashes its inputs (sha256 of every input
file's bytes, keyed by a name that does not depend on how a path was spelled, plus the study config, the
package version and a fingerprint of the package code the step runs) and compares the digest with the stamp
written after the step's last success (reports/output/.stamps/<step>.json). Equal digest, every declared
output present and every file the step wrote unchanged since -> the step is skipped; otherwise the run says why.

A run whose steps are all fresh loads no pandas: the study config is validated (`config.load_study`) before any
work only when it, data/sources.toml or the package code changed since the last validated run into the output
folder (`.stamps/study-validated.json`), and otherwise loaded when a step first needs it (`Context.config`).

Crash safety: a step's stamp is removed before it starts and written only after it succeeds, and outputs are
written atomically, so a run killed half way is redone by the next run. Two runs cannot write into one output
folder at once: the second stops with a clear message (an advisory lock on reports/output/.externalize.lock).

Inputs per step: build = the raw files found, data/sources.toml, data/taxonomy/; fit and robustness = the
monthly and yearly series; figures = series, coverage, events, the case catalogue and the model tables;
report = ledger, coverage, build manifest, registry, tables, figures and the template folder.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from externalize import __version__
from externalize.artefacts import outputs_of, write_json
from externalize.config import StudyConfig, load_inference, load_study, study_file
from externalize.errors import PipelineError
from externalize.paths import (
    BIBLIOGRAPHY_FILE,
    CASES_DIR,
    CSL_DIR,
    PROJECT_ROOT,
    REGISTRY_FILE,
    TAXONOMY_DIR,
    TEMPLATES_DIR,
    OutputPaths,
    output_paths,
)
from externalize.vocab import STEPS, check_choice
from externalize.vocab import Step as Step_

PACKAGE_DIR = Path(__file__).resolve().parent
STEP_ORDER = STEPS


@dataclass
class Context:
    """What every step needs: the study, where data is read and where outputs go.

    `study` may be None: the validated study is then loaded from `study_path` when a step first needs it
    (`config()`), so that a run whose steps are all fresh never loads it (no pandas, no model registry)."""

    study: StudyConfig | None
    study_path: Path
    data_dir: Path | None
    paths: OutputPaths
    console: Console
    allow_checksum_mismatch: bool = False
    extra: dict = field(default_factory=dict)
    #: worker processes for the compute-heavy steps (`externalize.parallel.run_tasks`; -1 = every core);
    #: results are the same for any value, so it is not part of a step's input digest
    jobs: int = -1

    def config(self) -> StudyConfig:
        """The study config, validated (`config.load_study`), loaded once."""
        if self.study is None:
            self.study = load_study(self.study_path)
        return self.study

    @property
    def processed_dir(self) -> Path:
        return self.paths.processed

    @property
    def output_dir(self) -> Path:
        return self.paths.output

    @property
    def tables_dir(self) -> Path:
        return self.paths.tables

    @property
    def figures_dir(self) -> Path:
        return self.paths.figures

    @property
    def stamps_dir(self) -> Path:
        return self.paths.stamps


@dataclass(frozen=True)
class Step:
    """A pipeline step: `run(ctx)` does the work; `inputs(ctx)` / `outputs(ctx)` list the files it reads /
    must write (a directory stands for every file below it)."""

    name: str
    run: Callable[[Context], object]
    inputs: Callable[[Context], list[Path]]
    outputs: Callable[[Context], list[Path]]
    #: package modules this step never runs (those of later steps): editing them does not re-run it
    code_excludes: tuple[str, ...] = ()
    #: outputs the step writes only when their data is present: recorded in the stamp when written
    optional_outputs: Callable[[Context], list[Path]] = lambda ctx: []


def _files(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.is_file() and ".stamps" not in q.parts
                              and not q.name.startswith(".") and "cache" not in q.relative_to(p).parts))
        elif p.is_file():
            out.append(p)
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class _HashCache:
    """sha256 of files keyed by (resolved path, size, mtime): a no-op run does not re-read large raw files."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.table: dict[str, list[Any]] = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            self.table = {}
        self.dirty = False

    def sha256(self, p: Path, resolved: Path | None = None) -> str:
        """sha256 of `p` (`resolved`: `p.resolve()` when the caller has it)."""
        st = p.stat()
        key = str(resolved or p.resolve())
        hit = self.table.get(key)
        if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            return str(hit[2])
        digest = _sha256(p)
        self.table[key] = [st.st_size, st.st_mtime_ns, digest]
        self.dirty = True
        return digest

    def save(self) -> None:
        if self.dirty:
            write_json(self.path, self.table)


def package_sources() -> list[tuple[str, bytes]]:
    """Every source file of the package: (path relative to the package, bytes), in path order."""
    return [(p.relative_to(PACKAGE_DIR).as_posix(), p.read_bytes()) for p in sorted(PACKAGE_DIR.rglob("*.py"))]


def code_fingerprint(excludes: Sequence[str] = (), sources: Sequence[tuple[str, bytes]] | None = None) -> str:
    """sha256 over the package's source files (but `excludes`: paths relative to the package, a trailing "/"
    for a whole folder): a code change re-runs the steps that use it even when the version did not change.
    `sources`: `package_sources()` read once for several fingerprints (one run reads the files once)."""
    h = hashlib.sha256()
    for rel, data in package_sources() if sources is None else sources:
        if any(rel == e or (e.endswith("/") and rel.startswith(e)) for e in excludes):
            continue
        h.update(rel.encode())
        h.update(data)
    return h.hexdigest()


def _code(ctx: Context, excludes: Sequence[str] = ()) -> str:
    """`code_fingerprint(excludes)` with the package's files read once per run."""
    if "package_sources" not in ctx.extra:
        ctx.extra["package_sources"] = package_sources()
    return code_fingerprint(excludes, ctx.extra["package_sources"])


def _roots(ctx: Context) -> list[tuple[str, str]]:
    """The labelled folders input keys are relative to, resolved once per run (again when the data folder
    becomes known): the project, the two output folders, the data folder."""
    data_root = ctx.extra.get("data_root")
    cached = ctx.extra.get("key_roots")
    if cached is None or cached[0] != data_root:
        roots = [(label, str(Path(root).resolve())) for label, root in (
            ("project", PROJECT_ROOT), ("processed", ctx.paths.processed), ("output", ctx.paths.output),
            ("data", data_root)) if root is not None]
        ctx.extra["key_roots"] = cached = (data_root, roots)
    return cached[1]


def _input_key(p: Path, ctx: Context, resolved: Path | None = None) -> str:
    """A name for an input file that does not depend on how its folder was spelled on the command line: the
    path inside the project, the output folders or the data folder, else the file name. `resolved`:
    `p.resolve()` when the caller has it."""
    rp = resolved or p.resolve()
    text = str(rp)
    for label, root in _roots(ctx):
        if text == root:
            return f"{label}:."
        prefix = root if root.endswith(os.sep) else root + os.sep
        if text.startswith(prefix):   # = rp.relative_to(root) for resolved absolute paths, without its cost
            return f"{label}:{Path(text[len(prefix):]).as_posix()}"
    return f"file:{rp.name}"


def _hash_cache(ctx: Context) -> _HashCache:
    if "hash_cache" not in ctx.extra:
        ctx.extra["hash_cache"] = _HashCache(ctx.paths.stamps / "hashes.json")
    return ctx.extra["hash_cache"]


def input_digest(step: Step, ctx: Context) -> tuple[str, dict]:
    """Digest of a step's inputs: every input file (by content), the study config, version and code.
    Returns the digest and its parts (kept in the stamp, so a re-run can say what changed)."""
    hashes = _hash_cache(ctx)
    files = {}
    for p in _files(step.inputs(ctx)):
        rp = p.resolve()
        files[_input_key(p, ctx, rp)] = hashes.sha256(p, rp)
    meta = {"step": step.name, "study": _sha256(ctx.study_path), "version": __version__,
            "code": _code(ctx, step.code_excludes), "files": files,
            "options": {"allow_checksum_mismatch": ctx.allow_checksum_mismatch}}
    return hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest(), meta


def _stamp_path(step: Step, ctx: Context) -> Path:
    return ctx.stamps_dir / f"{step.name}.json"


def _written(step: Step, ctx: Context) -> dict[str, list[int]]:
    """Every file a step's outputs hold now, with size and mtime (recorded in its stamp)."""
    out = {}
    for p in _files([*step.outputs(ctx), *step.optional_outputs(ctx)]):
        st = p.stat()
        out[str(p.resolve())] = [st.st_size, st.st_mtime_ns]
    return out


def _read_stamp(step: Step, ctx: Context) -> dict | None:
    try:
        return json.loads(_stamp_path(step, ctx).read_text())
    except (OSError, json.JSONDecodeError):
        return None


def _outputs_intact(step: Step, ctx: Context, saved: dict) -> str | None:
    """None when every declared output exists and every file the step wrote is as it left it; else why not."""
    for p in step.outputs(ctx):
        if not p.exists():
            return f"output missing: {p}"
    for path, (size, mtime) in saved.get("written", {}).items():
        q = Path(path)
        if not q.is_file():
            return f"output missing: {q}"
        st = q.stat()
        if st.st_size != size or st.st_mtime_ns != mtime:
            return f"output changed since the step ran: {q}"
    return None


def what_changed(step: Step, ctx: Context, meta: dict) -> str:
    """Why a step must run, in words: no previous run, missing outputs, or which inputs differ from the stamp."""
    saved = _read_stamp(step, ctx)
    if saved is None:
        return "no previous run" if not _stamp_path(step, ctx).exists() else "unreadable stamp"
    old = saved.get("meta", {})
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
        return _outputs_intact(step, ctx, saved) or "inputs unchanged"
    return "changed: " + "; ".join(reasons)


def is_fresh(step: Step, ctx: Context, digest: str) -> bool:
    """True when the last success had the same input digest and its outputs are all there, untouched."""
    saved = _read_stamp(step, ctx)
    return saved is not None and saved.get("digest") == digest and _outputs_intact(step, ctx, saved) is None


@contextmanager
def project_lock(paths: OutputPaths) -> Iterator[None]:
    """Hold an exclusive advisory lock on the output folder for the whole run; a second run stops at once."""
    paths.output.mkdir(parents=True, exist_ok=True)
    fh = open(paths.lock, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            who = fh.read().strip() or "another process"
            raise PipelineError(f"another externalize run ({who}) is writing to {paths.output}; wait for it "
                                "to finish, or pass a different --out-dir") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        yield
    finally:
        fh.close()


# ---------------------------------------------------------------- the study's steps
def _built(ctx: Context) -> Any:
    from externalize.build import load_built

    if "built" not in ctx.extra:
        ctx.extra["built"] = load_built(ctx.processed_dir)
    return ctx.extra["built"]


def _series_built(ctx: Context) -> Any:
    """The build for steps that read only its series (fit, robustness, findings): the event tables are left
    unread unless the build ran in this process (they are most of a build's reading time)."""
    from externalize.build import load_built

    if "built" in ctx.extra:
        return ctx.extra["built"]
    if "built_series" not in ctx.extra:
        ctx.extra["built_series"] = load_built(ctx.processed_dir, tables=False)
    return ctx.extra["built_series"]


def _study(ctx: Context) -> StudyConfig:
    """The study with each outcome's source resolved to the best source present in the build (a full GTD or
    GED the researcher supplied wins over the partial releases; see `build.resolve_study`)."""
    from externalize.build import load_built, resolve_study

    if "study" not in ctx.extra:   # the series decide; the event tables are read only by steps that use them
        built = ctx.extra.get("built") or ctx.extra.get("built_series") or load_built(ctx.processed_dir,
                                                                                    tables=False)
        ctx.extra["study"] = resolve_study(ctx.config(), built)
    return ctx.extra["study"]


def _run_build(ctx: Context) -> None:
    from externalize.build import build_study

    ctx.extra["built"] = build_study(ctx.config(), ctx.data_dir, ctx.processed_dir, ctx.allow_checksum_mismatch,
                                     ctx.console)


def _run_fit(ctx: Context) -> None:
    from externalize.estimates import fit_study

    fit_study(_series_built(ctx), _study(ctx), ctx.tables_dir, console=ctx.console)


def _run_robustness(ctx: Context) -> None:
    from externalize.estimates import robustness_study

    robustness_study(_series_built(ctx), _study(ctx), ctx.tables_dir, console=ctx.console)


def _run_designs(ctx: Context) -> None:
    from externalize.designs import run_designs

    run_designs(_built(ctx), _study(ctx), ctx.tables_dir, console=ctx.console, data_dir=ctx.data_dir, jobs=ctx.jobs)


def _run_findings(ctx: Context) -> None:
    from externalize.evidence import write_evidence
    from externalize.findings import findings_study

    findings_study(_series_built(ctx), _study(ctx), ctx.tables_dir, console=ctx.console)
    write_evidence(ctx.output_dir, _study(ctx), ctx.processed_dir, jobs=ctx.jobs)


def _run_figures(ctx: Context) -> None:
    from externalize.figures import make_figures

    make_figures(ctx.output_dir, _study(ctx), ctx.processed_dir, jobs=ctx.jobs)


def _run_report(ctx: Context) -> None:
    from externalize.report import render_report

    html, pdf = render_report(ctx.output_dir, _study(ctx), ctx.processed_dir)
    ctx.console.print(f"  report: {html}" + (f" and {pdf}" if pdf else ""), highlight=False)


def _raw_inputs(ctx: Context) -> list[Path]:
    """The raw files the build would read (every registered file found), the registry and the taxonomy.
    The registry's file list is read with tomllib alone (`registry.release_files`); the registry itself was
    validated with the study (`_validated`)."""
    from externalize.locate import raw_files, resolve_data_dir
    from externalize.registry import release_files

    ctx.extra["data_root"] = resolve_data_dir(ctx.data_dir)
    if "raw_files" not in ctx.extra:   # listed once per run (the build and the designs read them)
        ctx.extra["raw_files"] = raw_files(release_files(), ctx.data_dir)
    return [REGISTRY_FILE, TAXONOMY_DIR, *ctx.extra["raw_files"]]


_DRAW = ("figures/", "tables.py", "report.py", "pipeline.py", "cli.py")
#: the data-reading layer: its effect on the models arrives through the series files, which are hashed
_READ = ("sources/", "synthetic/", "classify.py", "taxonomy.py", "locate.py", "ledger.py", "cases.py")
#: modules a step never runs (later steps', the runner's, or, for the models, the readers'), per step
_LATER = {"build": _DRAW, "fit": _DRAW + _READ, "robustness": _DRAW + _READ, "designs": _DRAW,
          "findings": _DRAW, "figures": _DRAW[1:], "report": _DRAW[3:]}


def _declared(step: Step_, optional: bool = False) -> Callable[[Context], list[Path]]:
    """A step's outputs as the artefact registry declares them (the always-written or the optional ones)."""
    return lambda ctx: [a.path(ctx.paths) for a in outputs_of(step, optional=optional)]


def _without_manifest(paths: list[Path]) -> list[Path]:
    """Inputs less the build manifest, which changes with every git commit: only the report shows it."""
    return [p for p in paths if p.name != "build_manifest.json"]


def default_steps() -> dict[str, Step]:
    def series(ctx: Context) -> list[Path]:
        # the model steps read only the count series (and which source each outcome uses): a new git commit in
        # the build manifest or a change in event columns they never use does not refit them
        return [ctx.processed_dir / n for n in ("series_monthly.parquet", "series_yearly.parquet",
                                                 "outcome_sources.csv")]

    def design_inputs(ctx: Context) -> list[Path]:
        # the designs read the event table (strikes, country-months, plot panels), the coalition's strike
        # dates (taxonomy) and one lookup release (the joint-operations matrix, read raw)
        return [*series(ctx), ctx.processed_dir / "events.parquet", *_raw_inputs(ctx)]

    def figure_inputs(ctx: Context) -> list[Path]:
        return _without_manifest([a.path(ctx.paths) for step in STEP_ORDER[:STEP_ORDER.index("figures")]
                                  for a in outputs_of(step)])

    def findings_inputs(ctx: Context) -> list[Path]:
        # the simulation study is cached (analysis/simulation_grid.py writes it): a new cache re-runs the step
        inference = ctx.study.inference if ctx.study is not None else load_inference(ctx.study_path)  # no pandas
        cache = Path(inference.simulation_cache)
        return (_without_manifest(_declared("build")(ctx)) + _declared("fit")(ctx) + _declared("robustness")(ctx)
                + [REGISTRY_FILE, CASES_DIR, cache if cache.is_absolute() else PROJECT_ROOT / cache])

    def report_inputs(ctx: Context) -> list[Path]:
        made = [a.path(ctx.paths) for step in STEP_ORDER[:-1] for a in outputs_of(step)]
        return [*made, ctx.figures_dir, REGISTRY_FILE, TEMPLATES_DIR, CASES_DIR, BIBLIOGRAPHY_FILE, CSL_DIR]

    return {
        "build": Step("build", _run_build, _raw_inputs, _declared("build"), _LATER["build"]),
        "fit": Step("fit", _run_fit, series, _declared("fit"), _LATER["fit"]),
        "robustness": Step("robustness", _run_robustness, series, _declared("robustness"), _LATER["robustness"]),
        "designs": Step("designs", _run_designs, design_inputs, _declared("designs"), _LATER["designs"],
                        _declared("designs", optional=True)),
        "findings": Step("findings", _run_findings, findings_inputs, _declared("findings"), _LATER["findings"],
                         _declared("findings", optional=True)),
        "figures": Step("figures", _run_figures, figure_inputs, lambda c: [c.figures_dir], _LATER["figures"]),
        "report": Step("report", _run_report, report_inputs, _declared("report"), _LATER["report"]),
    }


# ---------------------------------------------------------------- running
def _absent_inputs(step: Step, ctx: Context) -> list[tuple[str, Path]]:
    """(step that writes it, path) for each input of `step` that another study step always writes and that is
    absent: a step run alone (--step, an analysis script) into a folder where an earlier step never ran."""
    made = {p: name for name, s in default_steps().items() for p in s.outputs(ctx)}
    return [(made[p], p) for p in step.inputs(ctx) if made.get(p, step.name) != step.name and not p.exists()]


def _validation_path(ctx: Context) -> Path:
    return ctx.stamps_dir / "study-validated.json"


def _validation_key(ctx: Context) -> str:
    """What the validity of a study config depends on: the file's bytes, the source registry it names sources
    from (data/sources.toml), the package code (the model registry, the vocabularies) and version."""
    parts = {"study": _sha256(ctx.study_path), "registry": _sha256(REGISTRY_FILE), "code": _code(ctx),
             "version": __version__}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _validated(ctx: Context, key: str) -> bool:
    """True when a previous run into this output folder validated a study config with the same key
    (`_validation_key`): the run then loads the study only if a step has to run. A study that changed, or that
    a change of registry or code could make invalid, is validated again before any work starts."""
    try:
        return json.loads(_validation_path(ctx).read_text()).get("key") == key
    except (OSError, json.JSONDecodeError, AttributeError):
        return False


@dataclass(frozen=True)
class StepOutcome:
    name: str
    status: str   # "ran" | "skipped"
    seconds: float
    reason: str


def _plan(steps: Sequence[str | Step] | None) -> list[Step]:
    known = default_steps()
    if steps is None:
        return [known[n] for n in STEP_ORDER]
    for s in steps:
        if isinstance(s, str):
            check_choice(s, STEP_ORDER, "step", error=PipelineError)
    if all(isinstance(s, str) for s in steps):
        return [known[n] for n in STEP_ORDER if n in steps]
    return [known[s] if isinstance(s, str) else s for s in steps]


def run_pipeline(study_path: str | Path | None = None, data_dir: str | Path | None = None, force: bool = False,
                 steps: Sequence[str | Step] | None = None, console: Console | None = None, *,
                 allow_checksum_mismatch: bool = False, out_dir: str | Path | None = None,
                 output_dir: str | Path | None = None,
                 processed_dir: str | Path | None = None, jobs: int = -1) -> list[StepOutcome]:
    """Run the steps in order (default: all), skipping those whose inputs are unchanged (unless force).

    steps: names from STEP_ORDER (a subset, run in the study order) or Step objects (run as given).
    out_dir: root of the outputs (see `externalize.paths.output_paths`); `output_dir` / `processed_dir`
    place the two output folders separately (tests). jobs: worker processes for the compute-heavy steps
    (-1 = every core; results do not depend on it). A failing step raises; its stamp is gone, so the next
    run retries it. Raises PipelineError when another run holds the output folder's lock.
    """
    from rich.table import Table

    console = console or Console(stderr=True)
    from externalize.parallel import default_blas_threads, resolve_jobs

    resolve_jobs(jobs)   # a bad --jobs stops the run before any step (ParallelError)
    default_blas_threads(1)   # processes, not BLAS threads, share the cores (externalize.parallel)
    path = study_file(study_path)
    base = output_paths(out_dir)
    paths = OutputPaths(Path(processed_dir).resolve() if processed_dir else base.processed,
                        Path(output_dir).resolve() if output_dir else base.output)
    ctx = Context(study=None, study_path=path, data_dir=Path(data_dir) if data_dir else None,
                  paths=paths, console=console, allow_checksum_mismatch=allow_checksum_mismatch, jobs=jobs)
    validation = _validation_key(ctx)
    if not _validated(ctx, validation):
        ctx.config()   # validated before any work starts
    plan = _plan(steps)
    outcomes: list[StepOutcome] = []
    with project_lock(paths):
        if ctx.study is not None:
            write_json(_validation_path(ctx), {"key": validation})
        for k, step in enumerate(plan, start=1):
            t0 = time.perf_counter()
            digest, meta = input_digest(step, ctx)
            if not force and is_fresh(step, ctx, digest):
                outcomes.append(StepOutcome(step.name, "skipped", time.perf_counter() - t0, "inputs unchanged"))
                console.print(f"[dim]{k}/{len(plan)} {step.name}: skipped (inputs unchanged)[/]")
                continue
            reason = "forced" if force else what_changed(step, ctx, meta)
            console.rule(f"[bold]{k}/{len(plan)} {step.name}[/] [dim]({reason})[/]")
            absent = _absent_inputs(step, ctx)
            if absent:   # never render or fit from nothing
                by = sorted({s for s, _ in absent}, key=STEP_ORDER.index)
                raise PipelineError(
                    f"step {step.name} reads what the {' and '.join(by)} step{'s' if len(by) > 1 else ''} "
                    f"write{'' if len(by) > 1 else 's'}, and {absent[0][1]} is missing: run `externalize run` "
                    f"(every step, skipping what is done) or `--step {by[0]}` first")
            _stamp_path(step, ctx).unlink(missing_ok=True)   # a step killed from here on leaves no stamp
            step.run(ctx)
            missing = [p for p in step.outputs(ctx) if not p.exists()]
            if missing:
                raise PipelineError(f"step {step.name} finished without writing {missing[0]}")
            seconds = time.perf_counter() - t0
            write_json(_stamp_path(step, ctx), {
                "step": step.name, "digest": digest, "inputs": meta["files"], "meta": meta,
                "written": _written(step, ctx), "version": __version__, "seconds": round(seconds, 3),
                "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
            outcomes.append(StepOutcome(step.name, "ran", seconds, reason))
            console.print(f"[green]{step.name}: done in {seconds:.1f} s[/]")
        if "hash_cache" in ctx.extra:
            ctx.extra["hash_cache"].save()
    table = Table(title="externalize run")
    for col in ("step", "status", "seconds", "why"):
        table.add_column(col)
    for o in outcomes:
        table.add_row(o.name, o.status, f"{o.seconds:.1f}", o.reason)
    console.print(table)
    return outcomes
