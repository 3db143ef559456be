"""`run_designs`: every design of the package on a finished build, tables written to `tables_dir`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console

from externalize.artefacts import write_frame, write_json
from externalize.build import BuildResult
from externalize.config import StudyConfig
from externalize.designs.cooperation import CAVEAT, pair_table
from externalize.designs.did import DesignError
from externalize.designs.dose import dose_response
from externalize.designs.nonstate import LABEL as NONSTATE_LABEL
from externalize.designs.nonstate import fatalities_monthly, nonstate_models, ucdp_share
from externalize.designs.participation import participation_design, strike_starts
from externalize.designs.strikes import (
    CAMPAIGN_START,
    CENTCOM_SOURCE,
    INFO_SOURCE,
    daily_strikes,
    reconcile_strikes,
    splice_strikes,
)
from externalize.errors import DataNotFoundError

OUTPUTS = ("strikes_monthly", "strikes_reconciliation", "did_participation", "did_facts", "dose_response",
           "nonstate_monthly", "nonstate_share_ucdp", "joint_operations")


def pooled_its(built: BuildResult, study: StudyConfig, outcome_names: tuple[str, ...]) -> pd.DataFrame:
    """The pooled ITS level change (quasi-Poisson, one step at the main intervention, study seasonality) for
    the plot outcomes, as rate ratios with 95% intervals, to set beside the DiD."""
    from externalize.estimates import monthly_outcome
    from externalize.errors import ExternalizeError
    from externalize.models import fit_its

    rows: list[dict[str, object]] = []
    for name in outcome_names:
        try:
            outcome = study.outcome(name)
            y = monthly_outcome(built, outcome, study)
            res = fit_its(y, {study.main.name: study.main.date.isoformat()}, "quasipoisson",
                          seasonality=study.models.seasonality_pairs, impact="level",
                          min_pre=study.models.min_pre_months)
        except (ExternalizeError, ValueError) as exc:   # a missing series, a refused fit
            rows.append({"outcome": name, "note": f"not fitted: {exc}"})
            continue
        t = res.tidy()
        lv = t[t["term"].str.startswith("level")].iloc[0]
        rows.append({"outcome": name, "estimate": float(np.exp(lv["estimate"])), "ci_low": float(np.exp(lv["ci_low"])),
                     "ci_high": float(np.exp(lv["ci_high"])), "note": f"{len(y)} months, {y.index.min()}-{y.index.max()}"})
    return pd.DataFrame(rows)


def _write(df: pd.DataFrame, path: Path) -> Path:
    out = df.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.PeriodDtype):
            out[c] = out[c].astype(str)
    return write_frame(out, path)


def run_designs(built: BuildResult, study: StudyConfig, tables_dir: str | Path, console: Console | None = None,
                data_dir: str | Path | None = None, jobs: int = 1) -> dict[str, Path]:
    """Run the designs on a build and write their tables; returns name -> path of every file written.

    Writes (CSV unless said): strikes_monthly (spliced strike series with provenance per month),
    strikes_reconciliation (the two strike transcriptions on their overlap), did_participation (every DiD
    specification, plus the pooled ITS rows), did_facts.json (units, treated and control countries, RI draws),
    dose_response, nonstate_monthly, nonstate_its / nonstate_break_profile / nonstate_placebo (the study's
    primary model, break-date profile and placebo sweep on Syria's monthly non-state fatalities, study window),
    nonstate_share_ucdp, joint_operations. A design whose sources are
    absent is skipped with the reason in did_facts.json under "skipped" (nothing is written for it).
    jobs: worker processes for the DiD fits (`externalize.parallel.run_tasks`, -1 = every core); the tables
    are the same, byte for byte, for any jobs.
    """
    from externalize.classify import load_coalition

    console = console or Console(stderr=True)
    tables = Path(tables_dir)
    tables.mkdir(parents=True, exist_ok=True)
    settings = study.designs
    written: dict[str, Path] = {}
    facts: dict = {"skipped": {}}

    # strikes
    spliced = None
    try:
        info = daily_strikes(built.events, INFO_SOURCE)
        cc = daily_strikes(built.events, CENTCOM_SOURCE, lag_days=settings.centcom_lag_days)
        rec = reconcile_strikes(info, cc)
        spliced = splice_strikes(info, cc, settings.month("strikes_start"), settings.month("strikes_end"),
                                 settings.month("splice_seam"))
        written["strikes_reconciliation"] = _write(rec.assign(centcom_lag_days=settings.centcom_lag_days),
                                                   tables / "strikes_reconciliation.csv")
        written["strikes_monthly"] = _write(spliced, tables / "strikes_monthly.csv")
        console.print(f"designs: strike series spliced at {settings.splice_seam}")
    except DesignError as exc:
        facts["skipped"]["strikes"] = str(exc)

    # staggered participation
    coalition = load_coalition()
    try:
        did, did_facts = participation_design(
            built, strike_starts(), coalition.canonical, start=settings.month("did_start"),
            end=settings.month("did_end"), placebo_years=(settings.placebo_first_year, settings.placebo_last_year),
            ri_draws=settings.ri_draws, seed=settings.seed, jobs=jobs)
        its = pooled_its(built, study, ("plots_western_europe", "plots_west"))
        its_rows = pd.DataFrame({
            "estimator": "pooled ITS (quasi-Poisson, level change at the main intervention)",
            "dataset": its["outcome"].map({"plots_western_europe": "nesser", "plots_west": "crenshaw"}),
            "outcome": "all", "scale": "rate ratio (pooled monthly series)", "control_group": "none (before/after)",
            "covariates": "trend + seasonality", "aggregation": "overall",
            "estimate": its.get("estimate"), "ci_low": its.get("ci_low"), "ci_high": its.get("ci_high")})
        did = pd.concat([did, its_rows], ignore_index=True)
        written["did_participation"] = _write(did, tables / "did_participation.csv")
        facts["participation"] = did_facts
        console.print("designs: staggered participation estimated")
    except DesignError as exc:
        facts["skipped"]["participation"] = str(exc)

    # dose-response
    if spliced is not None:
        try:
            from externalize.estimates import SeriesNotFoundError, monthly_outcome

            outcomes = {}
            for o in study.outcomes:
                if o.frequency != "month":
                    continue
                try:
                    outcomes[o.name] = (monthly_outcome(built, o, study), o.label)
                except SeriesNotFoundError as exc:
                    facts["skipped"][f"dose:{o.name}"] = str(exc)
            ns = fatalities_monthly(built.events, settings.month("dose_start") - 12, settings.month("dose_end"))
            syria = ns[ns["country"] == "Syria"].set_index("period")["non_state"]
            outcomes["syria_nonstate_fatalities"] = (syria, "Syria non-state fatalities (UCDP GED 24.1): clash-arm timing proxy")
            idx = pd.PeriodIndex(spliced["period"], freq="M")
            series = {"spliced": pd.Series(spliced["strikes"].to_numpy(), index=idx),
                      "spliced, CENTCOM months harmonised": pd.Series(spliced["strikes_harmonised"].to_numpy(), index=idx)}
            dose = dose_response(outcomes, series, start=settings.month("dose_start"), end=settings.month("dose_end"),
                                 campaign_start=CAMPAIGN_START.to_period("M"), max_lag=settings.dose_max_lag,
                                 seasonality=study.models.seasonality_pairs)
            written["dose_response"] = _write(dose, tables / "dose_response.csv")
            console.print("designs: dose-response fitted")
        except DesignError as exc:
            facts["skipped"]["dose_response"] = str(exc)

    # non-state series and the share in the yearly UCDP file
    try:
        ns = fatalities_monthly(built.events, settings.month("nonstate_start"), settings.month("nonstate_end"))
        written["nonstate_monthly"] = _write(ns.assign(label=NONSTATE_LABEL), tables / "nonstate_monthly.csv")
        syria = ns[ns["country"] == "Syria"].set_index("period")["non_state"].rename("syria_nonstate_fatalities")
        syria = syria[(syria.index >= study.window_start) & (syria.index <= study.window_end)]
        for key, frame in nonstate_models(syria, study).items():
            written[f"nonstate_{key}"] = _write(frame.assign(outcome="syria_nonstate_fatalities"),
                                                tables / f"nonstate_{key}.csv")
        share = ucdp_share(built.yearly)
        written["nonstate_share_ucdp"] = _write(share, tables / "nonstate_share_ucdp.csv")
        facts["nonstate_share"] = share.to_dict(orient="records")
    except DesignError as exc:
        facts["skipped"]["nonstate"] = str(exc)

    # joint operations beside infighting
    try:
        table = joint_operations_table(built, data_dir)
        written["joint_operations"] = _write(table.assign(caveat=CAVEAT), tables / "joint_operations.csv")
    except (DesignError, DataNotFoundError) as exc:
        facts["skipped"]["joint_operations"] = str(exc)

    written["did_facts"] = write_json(tables / "did_facts.json", facts)
    return written


def joint_operations_table(built: BuildResult, data_dir: str | Path | None = None) -> pd.DataFrame:
    """The IS-Nusra pair table from the two Gade et al. matrices (files located like every source)."""
    from externalize.locate import locate_source
    from externalize.sources.gade_cooperation import joint_operations
    from externalize.sources.gade_infighting import read_matrix

    reg = built.registry
    files = {}
    for key in ("syria_cooperation_gade2019jcr", "gade_infighting_2014"):
        if key not in reg:
            raise DesignError(f"{key} not in the registry")
        located = locate_source(reg[key], data_dir, False, False)
        if located is None:
            raise DesignError(f"{key}: file not present")
        files[key] = located["main"].path
    return pair_table(joint_operations(files["syria_cooperation_gade2019jcr"]),
                      read_matrix(files["gade_infighting_2014"]))
