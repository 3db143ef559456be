"""Every file the pipeline writes, declared once: its step, its folder, its name and (for tables) the columns
it must have, with typed read and atomic write.

The pipeline derives each step's outputs from this registry, so deleting any declared output re-runs the
step that makes it; the report and figures read tables through `read_table`, which checks the columns, so a
table that lost a column fails loudly instead of silently dropping a section.

Writes are atomic (a temporary file in the same folder, then `os.replace`): a run killed half way leaves the
previous file or none, never a half-written one that a later run would take as valid.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from externalize.errors import PipelineError
from externalize.paths import OutputPaths
from externalize.vocab import Step

if TYPE_CHECKING:
    import pandas as pd

Folder = Literal["processed", "tables", "output"]
#: float format of every CSV table: 10 significant digits, enough for the 1e-6 reference checks
CSV_FLOAT_FORMAT = "%.10g"


@dataclass(frozen=True)
class Artefact:
    """One output file: `name` is how code refers to it; `columns` are those a reader may rely on."""

    name: str
    step: Step
    folder: Folder
    filename: str
    description: str
    columns: tuple[str, ...] = ()
    #: written only when the data it needs is present (e.g. a design whose sources are absent writes nothing)
    optional: bool = False

    def path(self, paths: OutputPaths) -> Path:
        base = {"processed": paths.processed, "tables": paths.tables, "output": paths.output}[self.folder]
        return base / self.filename


def _a(name: str, step: Step, folder: Folder, filename: str, description: str, *columns: str) -> Artefact:
    return Artefact(name, step, folder, filename, description, tuple(columns))


def _t(name: str, step: Step, description: str, *columns: str) -> Artefact:
    return Artefact(name, step, "tables", f"{name}.csv", description, tuple(columns))


def _f(name: str, description: str, *columns: str) -> Artefact:
    """A table of the findings step, written only when its inputs are present."""
    return Artefact(name, "findings", "tables", f"{name}.csv", description, tuple(columns), True)


def _d(name: str, description: str, *columns: str, filename: str | None = None) -> Artefact:
    """A table of the designs step, written only when the design's sources are present."""
    return Artefact(name, "designs", "tables", filename or f"{name}.csv", description, tuple(columns), True)


_ALL: tuple[Artefact, ...] = (
    # build: raw releases -> events, series, ledger
    _a("events", "build", "processed", "events.parquet", "one row per event, every source, classified",
       "source", "event_id", "event_class", "n"),
    _a("yearly", "build", "processed", "yearly.parquet", "one row per source-year-dyad (year-only releases)",
       "source", "year", "event_class", "n"),
    _a("series_monthly", "build", "processed", "series_monthly.parquet",
       "monthly counts per source, class and family; NaN outside coverage", "source", "event_class", "family",
       "period", "count", "in_coverage"),
    _a("series_yearly", "build", "processed", "series_yearly.parquet", "yearly counts per source, class, family",
       "source", "event_class", "family", "year", "count", "in_coverage"),
    _a("ledger", "build", "processed", "ledger.csv", "rows read, kept, excluded and classified, per source",
       "source", "rows_read", "rows_kept", "rows_excluded", "balances"),
    _a("ledger_detail", "build", "processed", "ledger_detail.csv", "every exclusion reason with its count"),
    _a("ledger_notes", "build", "processed", "ledger_notes.csv",
       "notes on reading each file: decoding, stray bytes, header-only files"),
    _a("outcome_sources", "build", "processed", "outcome_sources.csv",
       "which of its acceptable sources each outcome uses in this build", "outcome", "used"),
    _a("coverage", "build", "processed", "coverage.csv", "what each source covers and whether it was read",
       "source", "in_study"),
    _a("duplicate_events", "build", "processed", "duplicate_events.csv",
       "events one release repeats from another (by event id), with the row they duplicate"),
    _a("unknown_actor_names", "build", "processed", "unknown_actor_names.csv",
       "actor names that look jihadist but are not in the taxonomy (warned at build time)"),
    _a("build_manifest", "build", "processed", "build_manifest.json", "versions, checksums, skipped sources"),
    # fit: series -> models
    _t("estimates", "fit", "every model term of every outcome", "outcome", "model", "term", "estimate"),
    _t("fit_stats", "fit", "fit statistics per outcome and model", "outcome", "model"),
    _t("counterfactual", "fit", "observed, fitted and counterfactual per month", "outcome", "model", "period"),
    _t("effects", "fit", "effects k months after the intervention, and cumulative", "outcome", "model"),
    _t("share", "fit", "binomial share models of one class among another", "comparison"),
    _t("yearly_contrast", "fit", "yearly before/after contrasts (exact and quasi-Poisson)", "outcome"),
    _t("fit_errors", "fit", "fits that could not be estimated, with the reason"),
    _t("fit_warnings", "fit", "warnings raised by fits (overdispersion, convergence), per fit"),
    _t("outcomes", "fit", "the outcome series as the study config defines them", "name", "frequency", "source"),
    # robustness: series -> checks
    _t("placebo", "robustness", "placebo-in-time statistic per candidate month", "outcome", "model"),
    _t("placebo_summary", "robustness", "placebo rank and p-value of the real date", "outcome", "model"),
    _t("break_sweep", "robustness", "sup-F sweep over candidate break months", "outcome", "period"),
    _t("break_summary", "robustness", "sup-F test and estimated break month", "outcome"),
    _t("break_segments", "robustness", "Bai-Perron segments", "outcome"),
    _t("bootstrap", "robustness", "block-bootstrap intervals of the level and slope change", "outcome"),
    _t("spec_curve", "robustness", "estimate of every specification", "outcome", "model"),
    _t("robustness_errors", "robustness", "checks that could not be run, with the reason"),
    # designs: staggered participation, dose-response, non-state fighting, joint operations
    _a("design_facts", "designs", "tables", "did_facts.json",
       "units, treated and control countries, draws, and every design skipped with the reason"),
    _d("strikes_monthly", "coalition strikes per month, spliced, with the source of each month", "period", "strikes"),
    _d("strikes_reconciliation", "the two strike transcriptions on their overlap, per month"),
    _d("did_participation", "staggered-participation DiD: every specification and the pooled ITS rows",
       "estimator", "outcome", "estimate", "ci_low", "ci_high"),
    _d("dose_response", "distributed-lag count models of each outcome on strikes", "outcome", "estimate"),
    _d("nonstate_monthly", "non-state fatalities per country-month (UCDP GED 24.1)", "period", "country"),
    _d("nonstate_its", "the primary model on Syria's monthly non-state fatalities"),
    _d("nonstate_break_profile", "break-date profile of Syria's monthly non-state fatalities"),
    _d("nonstate_placebo", "placebo-in-time sweep on Syria's monthly non-state fatalities"),
    _d("nonstate_share_ucdp", "share of Syrian non-state deaths in IS dyads and in IS-Nusra dyads, per year"),
    _d("joint_operations", "IS-Nusra joint operations beside infighting (Gade et al.)"),
    # findings: the registered primaries and what the report states, computed before it renders
    _a("primary_estimands", "findings", "tables", "primary_estimands.csv",
       "one registered primary estimand per arm: estimate, interval, p, Holm-adjusted p, caveat",
       "arm", "outcome", "source", "model", "date", "estimate", "ci_low", "ci_high", "p_value", "p_holm", "caveat"),
    _a("findings", "findings", "tables", "findings.csv", "one statement per arm, read from the primary table",
       "arm"),
    _a("break_date_profile", "findings", "tables", "break_date_profile.csv",
       "fit at every candidate break month of each monthly primary, with the confidence set", "outcome"),
    _a("rival_dates", "findings", "tables", "rival_dates.csv",
       "each rival date: inside the break-date set, placebo rank, separable from the main date", "outcome"),
    _a("direct_test", "findings", "tables", "direct_test.csv", "clash against external: exact 2x2 and stacked"),
    _a("primary_methods", "findings", "tables", "primary_methods.csv",
       "each monthly primary under every inference method of the simulation study"),
    _f("simulation_study", "size and coverage of each inference method by scenario (the cached grid)"),
    _f("published_counts", "published counts next to this data for the same definition and period",
       "claim_id", "published", "this_data", "explanation"),
    _f("source_comparisons", "the same events counted by two sources, per comparison"),
    _f("case_registry", "each catalogue case: in the data or not, and as what", "case_id", "status"),
    _f("case_sources", "which source registers which case as an event of its own class", "case_id", "source"),
    _f("variants", "each named coding variant's counts before and after the main intervention, per outcome",
       "variant", "outcome"),
    _f("identification", "what each arm can and cannot identify, in sentences computed from coverage",
       "arm", "kind", "sentence"),
    # report
    _a("report_html", "report", "output", "report.html", "the report, one self-contained HTML file"),
    _a("report_pdf", "report", "output", "report.pdf", "the same report as an A4 PDF"),
)

ARTEFACTS: Mapping[str, Artefact] = {a.name: a for a in _ALL}


def artefact(name: str) -> Artefact:
    """The declared artefact `name`; an unknown name is a bug in the caller, named with the nearest match."""
    from externalize.vocab import check_choice

    check_choice(name, ARTEFACTS, "artefact", error=PipelineError)
    return ARTEFACTS[name]


def outputs_of(step: Step, *, optional: bool | None = None) -> tuple[Artefact, ...]:
    """The declared outputs of one step (figures are declared by the figure registry); `optional` selects
    only the always-written (False) or only the optional (True) ones."""
    return tuple(a for a in _ALL if a.step == step and (optional is None or a.optional == optional))


# ---------------------------------------------------------------- atomic writes
@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` in one step, on error it is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_bytes(path: Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


def write_text(path: Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, obj: Any) -> Path:
    return write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str))


def write_frame(frame: pd.DataFrame, path: Path) -> Path:
    """A frame to CSV (10 significant digits) or Parquet, by the file's suffix, atomically."""
    with atomic_path(path) as tmp:
        if path.suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False, float_format=CSV_FLOAT_FORMAT)
    return path


def write_table(name: str, frame: pd.DataFrame, paths: OutputPaths) -> Path:
    """Write the declared table `name` (CSV or Parquet) where the registry says."""
    return write_frame(frame, artefact(name).path(paths))


def read_table(name: str, paths: OutputPaths, *, required: bool = False) -> pd.DataFrame | None:
    """Read the declared table `name`; None when it is absent or empty (unless `required`). A table missing
    one of its declared columns raises PipelineError naming it."""
    import pandas as pd

    art = artefact(name)
    path = art.path(paths)
    if not path.is_file() or path.stat().st_size <= 1:
        if required:
            raise PipelineError(f"{art.name} ({path}) is missing: run the '{art.step}' step")
        return None
    try:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return None
    if len(frame.columns) and art.columns:
        missing = [c for c in art.columns if c not in frame.columns]
        if missing and len(frame):
            raise PipelineError(f"{path} lacks columns {missing}: rerun the '{art.step}' step "
                                "(`externalize run --force`)")
    return frame
