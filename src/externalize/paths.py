"""Where things are: the project's own files (registry, taxonomy, templates) and where outputs go.

Two roots, never mixed up:
- `PROJECT_ROOT`: the checkout this package lives in (data/sources.toml, data/taxonomy/, reports/templates/,
  analysis/study.toml). Read-only for the pipeline.
- the output root: where a run writes data/processed/ and reports/output/. It is, in order: the `--out-dir`
  the user gave, the `EXTERNALIZE_OUT` environment variable, the externalize project that contains the
  current directory, else the current directory itself. It is never chosen because the package happens to be
  installed somewhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: the checkout holding data/, analysis/, reports/ (src/externalize/paths.py -> parents[2])
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"
PROCESSED_DIR = DATA_DIR / "processed"  # the build's default output folder
REGISTRY_FILE = DATA_DIR / "sources.toml"
TAXONOMY_DIR = DATA_DIR / "taxonomy"
CASES_DIR = DATA_DIR / "cases"
TEMPLATES_DIR = PROJECT_ROOT / "reports" / "templates"
BIBLIOGRAPHY_FILE = PROJECT_ROOT / "reports" / "bibliography.json"
CSL_DIR = PROJECT_ROOT / "reports" / "csl"
DEFAULT_STUDY = PROJECT_ROOT / "analysis" / "study.toml"

OUT_ENV = "EXTERNALIZE_OUT"


def find_project(start: Path) -> Path | None:
    """The nearest folder at or above `start` that is an externalize project (has analysis/study.toml and
    data/sources.toml), or None."""
    for folder in (start, *start.parents):
        if (folder / "analysis" / "study.toml").is_file() and (folder / "data" / "sources.toml").is_file():
            return folder
    return None


@dataclass(frozen=True)
class OutputPaths:
    """The folders one run writes to: `processed` (build outputs: events, series, ledger, coverage) and
    `output` (tables/, figures/, report.html, report.pdf). `OutputPaths.under(root)` puts them at
    root/data/processed and root/reports/output."""

    processed: Path
    output: Path

    @classmethod
    def under(cls, root: Path) -> OutputPaths:
        return cls(root / "data" / "processed", root / "reports" / "output")

    @property
    def tables(self) -> Path:
        return self.output / "tables"

    @property
    def figures(self) -> Path:
        return self.output / "figures"

    @property
    def stamps(self) -> Path:
        """One JSON stamp per finished step (written last, so a killed step leaves none)."""
        return self.output / ".stamps"

    @property
    def cache(self) -> Path:
        """Adapter cache keyed by raw-file checksum and adapter code."""
        return self.processed / "cache"

    @property
    def lock(self) -> Path:
        """Held by a running pipeline, so two runs cannot write into one output folder at once."""
        return self.output / ".externalize.lock"


def output_paths(out_dir: str | Path | None = None) -> OutputPaths:
    """Resolve the output root (see the module docstring). `out_dir` need not exist yet; it is created by
    the step that writes there."""
    if out_dir is not None:
        return OutputPaths.under(Path(out_dir).resolve())
    env = os.environ.get(OUT_ENV)
    if env:
        return OutputPaths.under(Path(env).resolve())
    cwd = Path.cwd()
    return OutputPaths.under(find_project(cwd) or cwd)


def default_study_path() -> Path:
    """analysis/study.toml of the project containing the current directory, else this checkout's."""
    project = find_project(Path.cwd())
    return (project / "analysis" / "study.toml") if project else DEFAULT_STUDY
