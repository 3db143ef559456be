"""Figures: each one is a tidy frame (computed by `<name>_data`) plus a plotnine call (`plot_<name>`).

`save_figure` writes the PNG (`base.DPI`, 200 dpi: ~200 dpi on the A4 page) and the frame as CSV beside it, so every figure can be
redrawn or checked from its CSV alone. `FIGURES` is the figure registry (number, caption, data function, plot
function, height): `make_figures` draws each registered figure from the saved tables (reports/output/tables/)
and the build (data/processed/), and the report numbers and captions them from the same registry. A new
figure is a data function and a plot function (in `study.py`, `designs.py`, ...) and one registry entry here.

Modules: `base` (theme, colours, saving, the intervention frame), `study` (the study's own figures),
`designs` (staggered participation, dose-response, non-state fighting, strikes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import plotnine as p9

from externalize.artefacts import read_table, write_frame
from externalize.config import StudyConfig
from externalize.errors import PipelineError
from externalize.figures.arms import arm_cases_data, arm_counts_data, arm_height, plot_arm
from externalize.figures.base import (
    CLASS_COLOURS,
    DPI,
    FREQ_COLOURS,
    intervention_frame,
    save_figure,
    theme_externalize,
)
from externalize.figures.designs import (
    dose_response_data,
    event_study_data,
    nonstate_data,
    plot_dose_response,
    plot_event_study,
    plot_nonstate,
    plot_strikes,
    strikes_data,
)
from externalize.figures.inference import break_profile_data, plot_break_profile
from externalize.figures.study import (
    break_sweep_data,
    counterfactual_data,
    coverage_data,
    forest_data,
    geography_data,
    monthly_counts_data,
    placebo_data,
    plot_break_sweep,
    plot_counterfactual,
    plot_coverage,
    plot_forest,
    plot_geography,
    plot_placebo,
    plot_share,
    plot_spec_curve,
    share_data,
    spec_curve_data,
)
from externalize.paths import OutputPaths, output_paths

__all__ = ["arm_cases_data", "arm_counts_data", "break_profile_data", "plot_arm", "plot_break_profile", "CLASS_COLOURS", "DPI", "FIGURES", "FIGURE_NAMES", "FREQ_COLOURS", "Figure", "FigureInputs",
           "break_sweep_data", "counterfactual_data", "coverage_data", "dose_response_data",
           "event_study_data", "figure", "forest_data", "geography_data", "intervention_frame", "make_figures",
           "monthly_counts_data", "nonstate_data", "placebo_data", "plot_break_sweep", "plot_counterfactual",
           "plot_coverage", "plot_dose_response", "plot_event_study", "plot_forest", "plot_geography",
           "plot_nonstate", "plot_placebo", "plot_share", "plot_spec_curve",
           "plot_strikes", "save_figure", "share_data", "spec_curve_data", "strikes_data", "theme_externalize"]


# ---------------------------------------------------------------- the study's figures
@dataclass
class FigureInputs:
    """What the figures' data functions read: declared artefacts (loaded once each) and the study's choices.
    Plot functions never see it: they take the frame they draw and the intervention frame."""

    paths: OutputPaths
    study: StudyConfig
    _cache: dict[str, pd.DataFrame | None] = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame | None:
        if name not in self._cache:
            self._cache[name] = read_table(name, self.paths)
        return self._cache[name]

    @property
    def labels(self) -> dict[str, str]:
        return {o.name: o.label for o in self.study.outcomes}


@dataclass(frozen=True)
class Figure:
    """One figure of the report: `number` is its place in the report, `caption` its caption there; `data`
    returns the frame to draw (None or empty: not drawn), `plot` draws it, `height` sizes it (inches)."""

    name: str
    caption: str
    data: Callable[[FigureInputs], pd.DataFrame | None]
    plot: Callable[..., p9.ggplot]
    height: Callable[[pd.DataFrame], float]
    #: marks drawn over the data (e.g. the catalogue's cases), saved as <name>_cases.csv; the plot function then
    #: takes them as a third argument
    marks: Callable[[pd.DataFrame, FigureInputs], pd.DataFrame] | None = None

    @property
    def number(self) -> int:
        return [f.name for f in FIGURES].index(self.name) + 1


def _arm_counts(arm: str) -> Callable[[FigureInputs], pd.DataFrame | None]:
    def data(inp: FigureInputs) -> pd.DataFrame | None:
        monthly = inp.table("series_monthly")
        return None if monthly is None else arm_counts_data(monthly, arm, str(inp.study.window_start),
                                                             str(inp.study.window_end))
    return data


def _arm_cases(arm: str) -> Callable[[pd.DataFrame, FigureInputs], pd.DataFrame]:
    """The catalogue's cases of this arm only (findings' case registry), solid where a source registers them."""
    def marks(counts: pd.DataFrame, inp: FigureInputs) -> pd.DataFrame:
        registry, pairs = inp.table("case_registry"), inp.table("case_sources")
        if registry is None:
            return pd.DataFrame(columns=["case_id", "date", "source", "linked", "y", "label"])
        registered = set() if pairs is None else {(str(c), str(s)) for c, s in zip(pairs["case_id"], pairs["source"])}
        return arm_cases_data(registry, registered, counts, arm)
    return marks


def _break_profile(inp: FigureInputs) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    profile, rivals = inp.table("break_date_profile"), inp.table("rival_dates")
    if profile is None or rivals is None or profile.empty:
        return None
    return break_profile_data(profile, rivals)


def _arm_figure(arm: str, caption: str) -> Figure:
    return Figure(f"monthly_{arm}", caption, _arm_counts(arm),
                  lambda f, ivs, cases: plot_arm(f, ivs, cases, arm), arm_height, _arm_cases(arm))


def _counterfactual(inp: FigureInputs) -> pd.DataFrame | None:
    cf = inp.table("counterfactual")
    return None if cf is None else counterfactual_data(cf, inp.study.models.main_model, labels=inp.labels)


def _forest(inp: FigureInputs) -> pd.DataFrame | None:
    est = inp.table("estimates")
    return None if est is None else forest_data(est, intervention=inp.study.main.name,
                                                yearly_contrast=inp.table("yearly_contrast"))


def _placebo(inp: FigureInputs) -> pd.DataFrame | None:
    pl = inp.table("placebo")
    return None if pl is None or pl.empty else placebo_data(pl, inp.table("placebo_summary"))


def _coverage(inp: FigureInputs) -> pd.DataFrame | None:
    cov = inp.table("coverage")
    return None if cov is None else coverage_data(cov, inp.study.yearly_start, inp.study.yearly_end)


def _geography(inp: FigureInputs) -> pd.DataFrame | None:
    path = inp.paths.processed / "events.parquet"
    if not path.is_file():
        return None
    ev = pd.read_parquet(path, columns=["event_class", "country", "year", "n"])
    return geography_data(ev, years=(inp.study.yearly_start, inp.study.yearly_end))


def _n_panels(col: str, per_row: int = 1) -> Callable[[pd.DataFrame], float]:
    return lambda f: float(np.ceil(f[col].nunique() / per_row))


#: the report's figures, in the order they are numbered there
FIGURES: tuple[Figure, ...] = (
    Figure("coverage", "Coverage: which source covers which arm, in which months or years, at what frequency.",
           _coverage, plot_coverage, lambda f: 1.6 + 0.22 * f["row"].nunique()),
    _arm_figure("external", "Monthly counts of the external arm, one panel per source, with the catalogue's "
                            "external cases only."),
    _arm_figure("clash", "Monthly counts of the clash arm, one panel per source, with the catalogue's clash cases "
                         "only."),
    _arm_figure("joint", "Monthly counts of the joint arm, one panel per source, with the catalogue's joint cases "
                         "only."),
    Figure("geography", "Where the classified events happen: country by year.", _geography,
           lambda f, ivs: plot_geography(f),
           lambda f: 2.0 + 0.2 * f.groupby("event_class")["country"].nunique().sum()),
    Figure("break_profile", "Break-date profile of each monthly primary: which months the data cannot tell from "
                            "the best break, and where the rival dates fall.",
           lambda inp: None if (b := _break_profile(inp)) is None else b[0],
           lambda f, ivs, rivals: plot_break_profile(f, rivals), lambda f: 1.6 + 2.2 * f["outcome"].nunique(),
           lambda f, inp: (_break_profile(inp) or (f, pd.DataFrame()))[1]),
    Figure("counterfactual", "Observed, fitted and counterfactual series around the main intervention.",
           _counterfactual, plot_counterfactual, lambda f: 1.2 + 1.6 * f["outcome"].nunique()),
    Figure("forest", "Effect estimates across models and sources (ratio scale).", _forest,
           lambda f, ivs: plot_forest(f),
           lambda f: 2.0 + 0.2 * int((~f["degenerate"]).sum()) + 0.45 * f["kind"].nunique()),
    Figure("share", "The externalization share over time with its fitted pre/post trend.",
           lambda inp: _nonempty(inp.table("share"), share_data), plot_share,
           lambda f: 1.5 + 2.0 * f["comparison"].nunique()),
    Figure("event_study", "Joining the strike campaign and plots against the country: staggered DiD event study.",
           lambda inp: _nonempty(inp.table("did_participation"), event_study_data),
           lambda f, ivs: plot_event_study(f), lambda f: 1.6 + 1.7 * f["dataset"].nunique()),
    Figure("strikes", "Coalition strikes per month, spliced from two transcriptions of the same releases.",
           lambda inp: _nonempty(inp.table("strikes_monthly"), strikes_data), lambda f, ivs: plot_strikes(f),
           lambda f: 3.2),
    Figure("dose_response", "Strike intensity and each monthly outcome: distributed-lag rate ratios.",
           lambda inp: _nonempty(inp.table("dose_response"), dose_response_data),
           lambda f, ivs: plot_dose_response(f), lambda f: 1.4 + 1.5 * _n_panels("outcome", 2)(f)),
    Figure("nonstate", "Non-state fighting per month (UCDP GED 24.1), a proxy for the timing of the clash arm.",
           lambda inp: _nonempty(inp.table("nonstate_monthly"), nonstate_data), plot_nonstate,
           lambda f: 1.4 + 1.5 * _n_panels("country", 2)(f)),
    Figure("placebo", "Placebo-in-time distributions with the real estimate marked.", _placebo,
           lambda f, ivs: plot_placebo(f), lambda f: 1.2 + 1.6 * _n_panels("panel", 2)(f)),
    Figure("break_sweep", "Break-date sweep (sup-F).",
           lambda inp: _nonempty(inp.table("break_sweep"), break_sweep_data), plot_break_sweep,
           lambda f: 1.4 + 1.8 * _n_panels("outcome", 2)(f)),
    Figure("spec_curve", "Specification curve of the level change at the main intervention, per outcome.",
           lambda inp: _nonempty(inp.table("spec_curve"), spec_curve_data), lambda f, ivs: plot_spec_curve(f),
           lambda f: 1.6 + 1.9 * _n_panels("outcome", 2)(f)),
)
FIGURE_NAMES: tuple[str, ...] = tuple(f.name for f in FIGURES)


def figure(name: str) -> Figure:
    """The registered figure `name` (FigureError-free lookup with the nearest name on a typo)."""
    from externalize.vocab import check_choice

    check_choice(name, FIGURE_NAMES, "figure", error=PipelineError)
    return FIGURES[FIGURE_NAMES.index(name)]


def _nonempty(frame: pd.DataFrame | None, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> pd.DataFrame | None:
    return None if frame is None or frame.empty else fn(frame)


def _draw(task: tuple[str, pd.DataFrame, pd.DataFrame | None, pd.DataFrame, float, Path]) -> Path:
    """Draw one registered figure from its frame (and marks) into figdir: the PNG path (a worker task of
    make_figures; module-level so that it pickles)."""
    name, frame, marks, ivs, height, figdir = task
    fig = figure(name)
    plot = fig.plot(frame, ivs, marks) if fig.marks is not None else fig.plot(frame, ivs)
    return save_figure(plot, frame, name, figdir, height=height)["png"]


def make_figures(out_dir: str | Path, study: StudyConfig, processed_dir: str | Path | None = None,
                 jobs: int = -1) -> dict[str, dict[str, Path]]:
    """Draw every registered figure whose data exists: <name>.png (`base.DPI`) and <name>.csv (the frame drawn)
    into out_dir/figures (marks, e.g. cases, as <name>_cases.csv). out_dir is the report output folder (its
    tables/ are read). Returns name -> {"png": path, "csv": path}.

    The frames are computed here; the figures, independent of each other, are drawn in `jobs` processes
    (`parallel.run_tasks`; -1: every core, 1: in this process). Each figure is the same file whatever `jobs`."""
    from externalize.parallel import run_tasks

    out = Path(out_dir)
    processed = Path(processed_dir) if processed_dir else output_paths().processed
    inp = FigureInputs(OutputPaths(processed, out), study)
    ivs = intervention_frame(study)
    figdir = out / "figures"
    tasks: list[tuple[str, pd.DataFrame, pd.DataFrame | None, pd.DataFrame, float, Path]] = []
    for fig in FIGURES:
        frame = fig.data(inp)
        if frame is None or frame.empty:
            continue
        marks = None
        if fig.marks is not None:
            marks = fig.marks(frame, inp)
            write_frame(marks, figdir / f"{fig.name}_cases.csv")
        tasks.append((fig.name, frame, marks, ivs, fig.height(frame), figdir))
    pngs = run_tasks(_draw, tasks, jobs=jobs, chunksize=1)
    return {t[0]: {"png": png, "csv": figdir / f"{t[0]}.csv"} for t, png in zip(tasks, pngs, strict=True)}
