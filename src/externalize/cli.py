"""Command line: `externalize check | build | run | verify | sources`.

Every package error (`ExternalizeError`) is printed as one line and exits with code 2; `--debug` (before the
command) shows the traceback instead. Options shared by the commands are defined once here and reused by the
numbered analysis scripts (analysis/_args.py calls `main_options`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Optional, TypeVar

import typer
from rich.console import Console

from externalize.errors import ExternalizeError
from externalize.vocab import STEPS

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Test whether the 2014 coalition intervention externalized AQ-IS competition.")
console = Console(stderr=True)
_state = {"debug": False}

DataDir = Annotated[Optional[Path], typer.Option("--data-dir", help="Folder with the raw releases "
                    "(else EXTERNALIZE_DATA, data/raw/, ../shared/data); must exist when given.")]
StudyPath = Annotated[Optional[Path], typer.Option("--study", help="Study config (default analysis/study.toml).")]
OutDir = Annotated[Optional[Path], typer.Option("--out-dir", help="Where data/processed/ and reports/output/ "
                   "are written (else EXTERNALIZE_OUT, else the project containing the current folder).")]
AllowMismatch = Annotated[bool, typer.Option("--allow-checksum-mismatch",
                          help="Use files whose sha256 differs from the registry (recorded loudly).")]

R = TypeVar("R")


@app.callback()
def _main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of package errors.")] = False
          ) -> None:
    _state["debug"] = debug


def guarded(fn: Callable[[], R]) -> R:
    """Run `fn`; a package error becomes one red line on stderr and exit code 2 (--debug: its traceback, and
    the same exit code)."""
    try:
        return fn()
    except ExternalizeError as exc:
        if _state["debug"]:
            console.print_exception()
        else:
            console.print(f"[red]error[/]: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None


def checked_data_dir(data_dir: Path | None) -> Path | None:
    """A data folder the user named (--data-dir or EXTERNALIZE_DATA) must exist: no silent fallback to another
    folder (`locate.candidate_data_dirs` raises DataNotFoundError naming it)."""
    from externalize.locate import candidate_data_dirs

    candidate_data_dirs(data_dir)
    return data_dir


@app.command()
def check(data_dir: DataDir = None, study: StudyPath = None) -> None:
    """Validate the study config, the source registry and the data location; list every problem."""
    from externalize.config import load_study
    from externalize.locate import candidate_data_dirs, locate_source, resolve_data_dir
    from externalize.registry import load_registry

    problems: list[str] = []

    def attempt(what: str, fn: Callable[[], R]) -> R | None:
        try:
            return fn()
        except ExternalizeError as exc:
            problems.append(f"{what}: {exc}")
            return None

    registry = attempt("registry", load_registry)
    cfg = attempt("study config", lambda: load_study(study))
    folder = attempt("data", lambda: resolve_data_dir(checked_data_dir(data_dir)))
    if folder is None and not any(p.startswith("data:") for p in problems):
        looked = ", ".join(f"{label} ({path})" for label, path in candidate_data_dirs(data_dir))
        problems.append(f"data: no data folder found; looked in {looked}. Name the folder that holds the "
                        "releases with --data-dir DIR or the environment variable EXTERNALIZE_DATA")
    if registry is not None and folder is not None:
        present = set()
        for spec in registry.values():
            located = attempt(f"source {spec.key}", lambda spec=spec: locate_source(spec, data_dir))  # type: ignore[misc]
            if located:
                present.add(spec.key)
        if cfg is not None:
            missing = [o for o in cfg.outcomes if o.source not in present]
            for o in missing:
                console.print(f"[yellow]warning[/]: outcome {o.name} cannot be estimated: source {o.source} "
                              "is not in the data folder", highlight=False, soft_wrap=True)
            if missing and len(missing) == len(cfg.outcomes):
                problems.append("data: no outcome of the study config can be estimated with this data folder")
    if cfg is not None:
        console.print(f"study config {cfg.path}: {len(cfg.outcomes)} outcomes, "
                      f"{len(cfg.interventions)} interventions", highlight=False, soft_wrap=True)
    if folder is not None:
        console.print(f"data folder: {folder}", highlight=False, soft_wrap=True)
    for p in problems:
        console.print(f"[red]problem[/]: {p}", highlight=False, soft_wrap=True)
    if problems:
        raise typer.Exit(code=2)
    console.print("[green]ok[/]")


@app.command()
def build(data_dir: DataDir = None, study: StudyPath = None, allow_checksum_mismatch: AllowMismatch = False,
          out_dir: OutDir = None,
          no_cache: Annotated[bool, typer.Option("--no-cache", help="Re-read every raw file.")] = False) -> None:
    """Read, verify and classify every present source; write events, series and the ledger."""
    from externalize.build import build_study
    from externalize.config import load_study
    from externalize.paths import output_paths

    result = guarded(lambda: build_study(load_study(study), checked_data_dir(data_dir),
                                         output_paths(out_dir).processed, allow_checksum_mismatch, console,
                                         use_cache=not no_cache))
    print_ledger(result.ledger.summary())
    for key, why in result.ledger.skipped.items():
        console.print(f"[dim]skipped {key}: {why}[/]", highlight=False, soft_wrap=True)


def print_ledger(summary: object) -> None:
    """The row ledger as a table that fits an 80-column terminal: source names are never cut."""
    import pandas as pd

    assert isinstance(summary, pd.DataFrame)
    from rich import box
    from rich.table import Table

    # no vertical rules and one space between columns: 8 columns and a 31-character source name fit 80
    table = Table(title="Row ledger (full table: data/processed/ledger.csv)", title_justify="left",
                  box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=0)
    cols = {"source": "source", "rows_read": "read", "rows_kept": "kept", "rows_excluded": "excl",
            "class_clash": "clash", "class_joint": "joint", "class_external": "ext", "balances": "ok"}
    cols = {k: v for k, v in cols.items() if k in summary.columns}
    rows = [[("yes" if v else "NO") if isinstance(v, bool) else f"{v:,}" if isinstance(v, int) else str(v)
             for v in row] for row in summary[list(cols)].itertuples(index=False)]
    for k, (key, label) in enumerate(cols.items()):
        width = max([len(label)] + [len(r[k]) for r in rows])
        table.add_column(label, justify="left" if key == "source" else "right", no_wrap=True, min_width=width)
    for r in rows:
        table.add_row(*r)
    console.print(table)


@app.command()
def run(data_dir: DataDir = None, study: StudyPath = None, allow_checksum_mismatch: AllowMismatch = False,
        out_dir: OutDir = None,
        force: Annotated[bool, typer.Option("--force", help="Redo every step.")] = False,
        step: Annotated[Optional[list[str]], typer.Option("--step", help="Run only this step (repeatable): "
                        f"{', '.join(STEPS)}.")] = None,
        jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes for the compute-heavy steps "
                        "(designs, findings, figures); -1 = every core. Results do not depend on it.")] = -1,
        ) -> None:
    """Run the study's steps in order, skipping those whose inputs did not change."""
    from externalize.pipeline import run_pipeline

    guarded(lambda: run_pipeline(study_path=study, data_dir=checked_data_dir(data_dir), force=force,
                                 steps=step or None, console=console,
                                 allow_checksum_mismatch=allow_checksum_mismatch, out_dir=out_dir, jobs=jobs))


run.__doc__ = (f"{' -> '.join(STEPS).capitalize()}: the study's steps in order, skipping those whose inputs did "
               "not change.")


@app.command()
def verify(data_dir: DataDir = None) -> None:
    """Check every registered raw file: present, and its sha256 equal to the registry's."""
    from externalize.locate import locate_source
    from externalize.registry import load_registry

    checked_dir = guarded(lambda: checked_data_dir(data_dir))
    bad = 0
    for spec in guarded(load_registry).values():
        try:
            located = locate_source(spec, checked_dir)
        except ExternalizeError as exc:
            console.print(f"[red]FAIL[/] {spec.key}: {exc}", highlight=False, soft_wrap=True)
            bad += 1
            continue
        if located is None:
            console.print(f"[dim]--   {spec.key}: researcher-supplied release not present[/]")
            continue
        for role, lf in located.items():
            mark = "[green]ok[/]  " if lf.verified else "[yellow]unpinned[/]"
            console.print(f"{mark} {spec.key}/{role}: {lf.path} sha256 {lf.sha256[:16]}...", highlight=False, soft_wrap=True)
    if bad:
        raise typer.Exit(code=1)


@app.command()
def sources() -> None:
    """List the source registry."""
    from rich.table import Table

    from externalize.registry import load_registry, registry_frame

    frame = registry_frame(guarded(load_registry))
    table = Table(title="Source registry (data/sources.toml)")
    for col in ("source", "table", "frequency", "coverage", "arms"):
        table.add_column(col)
    for row in frame.itertuples(index=False):
        table.add_row(row.source, row.table, row.frequency, row.coverage, row.arms)
    Console().print(table)


def run_step_script(step: str, script: str) -> None:
    """The body of analysis/NN_<step>.py: `externalize run --step <step>` with the script's own command-line
    arguments, its usage lines naming the script. Call it under `if __name__ == "__main__"`: worker processes
    (--jobs) import the script and must not start the step again."""
    import sys

    app(["run", "--step", step, *sys.argv[1:]], prog_name=f"python analysis/{Path(script).name}")


if __name__ == "__main__":
    app()
