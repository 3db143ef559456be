"""Command line: `externalize build`, `externalize run`, `externalize verify`, `externalize sources`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from externalize.errors import ExternalizeError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Test whether the 2014 coalition intervention externalized AQ-IS competition.")
console = Console(stderr=True)

DataDir = Annotated[Optional[Path], typer.Option("--data-dir", help="Folder with the raw releases "
                    "(else EXTERNALIZE_DATA, data/raw/, ../shared/data).")]
StudyPath = Annotated[Optional[Path], typer.Option("--study", help="Study config (default analysis/study.toml).")]
AllowMismatch = Annotated[bool, typer.Option("--allow-checksum-mismatch",
                          help="Use files whose sha256 differs from the registry (recorded loudly).")]


def _fail(exc: Exception) -> None:
    console.print(f"[red]error[/]: {exc}")
    raise typer.Exit(code=2)


@app.command()
def build(data_dir: DataDir = None, study: StudyPath = None, allow_checksum_mismatch: AllowMismatch = False,
          out_dir: Annotated[Optional[Path], typer.Option(help="Output folder (default data/processed).")] = None,
          no_cache: Annotated[bool, typer.Option("--no-cache", help="Re-read every raw file.")] = False) -> None:
    """Read, verify and classify every present source; write events, series and the ledger."""
    from externalize.build import build_study
    from externalize.config import load_study
    try:
        result = build_study(load_study(study), data_dir, out_dir, allow_checksum_mismatch, console,
                             use_cache=not no_cache)
    except ExternalizeError as exc:
        _fail(exc)
        return
    table = Table(title="Row ledger (full table: data/processed/ledger.csv)")
    summary = result.ledger.summary()
    cols = {"source": "source", "rows_read": "read", "rows_kept": "kept", "rows_excluded": "excluded",
            "rows_family_actor": "family", "class_clash": "clash", "class_joint": "joint",
            "class_external": "external", "balances": "adds up"}
    for label in cols.values():
        table.add_column(label, justify="left" if label == "source" else "right")
    for row in summary[list(cols)].itertuples(index=False):
        table.add_row(*[f"{v:,}" if isinstance(v, (int,)) and not isinstance(v, bool) else str(v) for v in row])
    console.print(table)
    for key, why in result.ledger.skipped.items():
        console.print(f"[dim]skipped {key}: {why}[/]")


@app.command()
def run(data_dir: DataDir = None, study: StudyPath = None, allow_checksum_mismatch: AllowMismatch = False,
        force: Annotated[bool, typer.Option("--force", help="Redo every step.")] = False) -> None:
    """Build -> fit -> robustness -> figures -> report, skipping steps whose inputs did not change."""
    from externalize.pipeline import run_pipeline
    try:
        run_pipeline(study_path=study, data_dir=data_dir, force=force, console=console,
                     allow_checksum_mismatch=allow_checksum_mismatch)
    except ExternalizeError as exc:
        _fail(exc)


@app.command()
def verify(data_dir: DataDir = None) -> None:
    """Check every registered raw file: present, and its sha256 equal to the registry's."""
    from externalize.locate import locate_source
    from externalize.registry import load_registry
    bad = 0
    for spec in load_registry().values():
        try:
            located = locate_source(spec, data_dir)
        except ExternalizeError as exc:
            console.print(f"[red]FAIL[/] {spec.key}: {exc}")
            bad += 1
            continue
        if located is None:
            console.print(f"[dim]--   {spec.key}: researcher-supplied release not present[/]")
            continue
        for role, lf in located.items():
            mark = "[green]ok[/]  " if lf.verified else "[yellow]unpinned[/]"
            console.print(f"{mark} {spec.key}/{role}: {lf.path} sha256 {lf.sha256[:16]}...")
    if bad:
        raise typer.Exit(code=1)


@app.command()
def sources() -> None:
    """List the source registry."""
    from externalize.registry import load_registry, registry_frame
    frame = registry_frame(load_registry())
    table = Table(title="Source registry (data/sources.toml)")
    for col in ("source", "table", "frequency", "coverage", "arms"):
        table.add_column(col)
    for row in frame.itertuples(index=False):
        table.add_row(row.source, row.table, row.frequency, row.coverage, row.arms)
    Console().print(table)


if __name__ == "__main__":
    app()
