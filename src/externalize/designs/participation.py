"""Staggered participation in the strike campaign: did plots against a Western country change once that
country began to bomb IS? A difference-in-differences across countries with staggered adoption.

Units: the countries of a plot data set (Nesser: 18 Western European countries; Crenshaw et al.: 21 Western
countries). Time: calendar months. Treatment: the month of the country's first air strike in Iraq or Syria
(`first_strike` in data/taxonomy/coalition_members.csv, each with a public source; absorbing: a country
that struck stays treated). Countries coded `struck_by_2017 = no` are never treated; a country of the data
set missing from the coalition file, or coded "unknown", is refused (DesignError), never guessed.
Outcomes: plots per country-month, launched and foiled separately and together (events of the plot
sources, zero-filled: a country-month without a row had no plot), and the same per 10 million inhabitants
(population of the country-year files, the data sets' own exposure). Placebo outcome: right-wing attacks
per country-year (`rwattacks`, Nesser country-year file), which the strikes should not move. Covariate
sensitivity: troops deployed in the Muslim world (`troops_in_mw`, country-year), at its base-period value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from externalize.build import BuildResult
from externalize.designs.did import CSFit, DesignError
from externalize.locate import read_bytes
from externalize.paths import PROJECT_ROOT

COALITION_FILE = PROJECT_ROOT / "data" / "taxonomy" / "coalition_members.csv"
PLOT_STATUSES = ("launched", "foiled")
PER_POPULATION = 1e7  # rates are per 10 million inhabitants


def strike_starts(path: str | Path | None = None) -> pd.DataFrame:
    """Per coalition-file country: country, first_strike (pd.Period, month; NaT when never), struck
    ("yes" / "no" / "unknown"), theatre, source. A "yes" needs a date (YYYY-MM-DD or YYYY-MM), a "no" must
    have none; otherwise DesignError."""
    path = Path(path) if path else COALITION_FILE
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    need = ["country", "first_strike", "first_strike_theatre", "struck_by_2017", "first_strike_source"]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise DesignError(f"{path}: missing columns {missing}")
    rows = []
    for i, r in enumerate(raw.itertuples(index=False), start=2):
        struck, date = r.struck_by_2017.strip(), r.first_strike.strip()
        if struck not in ("yes", "no", "unknown"):
            raise DesignError(f"{path} row {i} ({r.country}): struck_by_2017 must be yes / no / unknown")
        if struck == "yes" and not date:
            raise DesignError(f"{path} row {i} ({r.country}): struck_by_2017 = yes needs first_strike")
        if struck != "yes" and date:
            raise DesignError(f"{path} row {i} ({r.country}): first_strike given but struck_by_2017 = {struck}")
        if date and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?", date):
            raise DesignError(f"{path} row {i} ({r.country}): first_strike {date!r} is not YYYY-MM(-DD)")
        month = pd.Period(date[:7], freq="M") if date else pd.NaT
        rows.append({"country": r.country.strip(), "first_strike": month, "struck": struck,
                     "theatre": r.first_strike_theatre.strip(), "source": r.first_strike_source.strip()})
    return pd.DataFrame(rows)


def country_year_file(path: str | Path) -> pd.DataFrame:
    """A Hegghammer & Ketchley country-year file (nesser_new.csv / crenshaw.csv) with its covariates:
    country, year, launched, foiled, all, population, troops_in_mw, rwattacks (float)."""
    import io
    cols = ["country", "year", "launched", "foiled", "all", "population", "troops_in_mw", "rwattacks"]
    df = pd.read_csv(io.BytesIO(read_bytes(Path(path))))
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DesignError(f"{path}: missing columns {missing}")
    return df[cols].astype({"year": "int64"})


def plots_panel(events: pd.DataFrame, source: str, countries: Sequence[str], start: pd.Period, end: pd.Period,
                canonical: Callable[[str], str | None]) -> tuple[pd.DataFrame, int]:
    """Country-month panel of plots: unit (canonical country), period, launched, foiled, all.

    events: the events table (plot rows of `source` with plot_status). countries: the data set's countries
    (canonical names; from its country-year file, so countries with no plot at all are in the panel with
    zeros). Rows dated only to the year are left out and their number (sum of n) returned. A plot row whose
    country is not in `countries` raises DesignError.
    """
    ev = events[(events["source"] == source)]
    undated = int(ev.loc[ev["date_precision"] == "year", "n"].sum())
    ev = ev[ev["date_precision"].isin(["day", "month"])]
    unit = ev["country"].astype(str).map(lambda c: canonical(c) or c)
    unknown = sorted(set(unit) - set(countries))
    if unknown:
        raise DesignError(f"{source}: plot rows for countries outside the panel: {unknown}")
    ev = ev.assign(unit=unit.to_numpy(), period=ev["date"].dt.to_period("M"))
    ev = ev[(ev["period"] >= start) & (ev["period"] <= end)]
    counts = (ev.groupby(["unit", "period", "plot_status"], observed=True)["n"].sum()
              .unstack("plot_status").reindex(columns=list(PLOT_STATUSES)).fillna(0.0))
    grid = pd.MultiIndex.from_product([sorted(countries), pd.period_range(start, end, freq="M")],
                                      names=["unit", "period"])
    panel = counts.reindex(grid, fill_value=0.0).reset_index()
    panel["all"] = panel["launched"] + panel["foiled"]
    return panel, undated


def add_event_time(panel: pd.DataFrame, starts: pd.DataFrame, period: str = "period") -> pd.DataFrame:
    """Add the treatment timing to a unit x period panel (periods monthly or yearly pd.Period):
    cohort_period (first treated period, NaT for never treated), time (integer period index: Period
    ordinal), cohort (integer index of the first treated period, NaN for never treated), event_time
    (time - cohort; <NA> for never treated) and treated (event_time >= 0).
    starts: `strike_starts()` (country, first_strike, struck). A panel unit not in `starts`, or coded
    "unknown", raises DesignError."""
    st = starts.set_index("country")
    units = panel["unit"].unique()
    absent = sorted(set(units) - set(st.index))
    if absent:
        raise DesignError(f"no strike-start coding for {absent} in the coalition file")
    unknown = sorted(u for u in units if st.at[u, "struck"] == "unknown")
    if unknown:
        raise DesignError(f"strike participation unknown for {unknown}: code it before estimating")
    freq = panel[period].iloc[0].freqstr
    first = st["first_strike"]
    cohort_period = panel["unit"].map(lambda u: first[u].asfreq(freq) if pd.notna(first[u]) else pd.NaT)
    time = panel[period].map(lambda p: p.ordinal).astype("int64")
    cohort = cohort_period.map(lambda p: float(p.ordinal) if pd.notna(p) else np.nan).astype("float64")
    event_time = pd.array(np.where(cohort.notna(), time - cohort.fillna(0), np.nan), dtype="Float64").astype("Int64")
    out = panel.assign(cohort_period=cohort_period, time=time, cohort=cohort, event_time=event_time)
    out["treated"] = (out["event_time"] >= 0).fillna(False).astype(bool)
    return out


# ------------------------------------------------------------------------------------------ the design
DATASETS: dict[str, dict[str, str]] = {
    "nesser": {"events": "nesser_cym", "country_year": "nesser_country_year",
               "label": "Nesser, 18 Western European countries"},
    "crenshaw": {"events": "crenshaw_cym", "country_year": "crenshaw_country_year",
                 "label": "Crenshaw et al., 21 Western countries"},
}
# the numbers are the `differences` package's (0.3, est_method="reg"), computed in closed form (designs.did)
ESTIMATOR = "Callaway-Sant'Anna (outcome regression, as differences 0.3)"


def dataset_panel(built: BuildResult, dataset: str, start: pd.Period, end: pd.Period,
                  starts: pd.DataFrame, canonical: Callable[[str], str | None]) -> tuple[pd.DataFrame, dict]:
    """Monthly panel of one plot data set with timing, rates per 10 million and yearly covariates.

    Needs the build's events and the country-year file (path from the build manifest). Returns the panel
    and facts about it (units, treated, never treated, undated rows left out, period)."""
    spec = DATASETS[dataset]
    files = built.manifest.get("sources", {})
    if spec["events"] not in files or spec["country_year"] not in files:
        raise DesignError(f"{dataset}: sources {spec['events']} and {spec['country_year']} must be in the build")
    cy = country_year_file(files[spec["country_year"]]["main"]["path"])
    cy["unit"] = cy["country"].map(lambda c: canonical(c) or c)
    end = min(end, pd.Period(f"{int(cy['year'].max())}-12", freq="M"))
    panel, undated = plots_panel(built.events, spec["events"], sorted(cy["unit"].unique()), start, end, canonical)
    panel = add_event_time(panel, starts)
    panel["year"] = panel["period"].dt.year
    panel = panel.merge(cy[["unit", "year", "population", "troops_in_mw"]], on=["unit", "year"], how="left")
    if panel["population"].isna().any() or (panel["population"] <= 0).any():
        raise DesignError(f"{dataset}: population missing or not positive for some country-years")
    for col in ("all", *PLOT_STATUSES):
        panel[f"{col}_per_10m"] = panel[col] / (panel["population"] / PER_POPULATION)
    units = panel.drop_duplicates("unit")
    facts = {"dataset": dataset, "label": spec["label"], "start": str(start), "end": str(end),
             "units": int(len(units)), "treated": sorted(units.loc[units["cohort"].notna(), "unit"]),
             "never_treated": sorted(units.loc[units["cohort"].isna(), "unit"]), "undated_plots_left_out": undated}
    return panel, facts


def placebo_panel(built: BuildResult, starts: pd.DataFrame, canonical: Callable[[str], str | None],
                  first_year: int, last_year: int) -> pd.DataFrame:
    """Country-year panel of right-wing attacks (Nesser country-year file) with yearly timing."""
    files = built.manifest.get("sources", {})
    if "nesser_country_year" not in files:
        raise DesignError("placebo: nesser_country_year must be in the build")
    cy = country_year_file(files["nesser_country_year"]["main"]["path"])
    cy = cy[cy["year"].between(first_year, last_year)]
    if cy["rwattacks"].isna().any():
        raise DesignError("placebo: rwattacks missing for some country-years")
    panel = pd.DataFrame({"unit": cy["country"].map(lambda c: canonical(c) or c).to_numpy(),
                          "period": [pd.Period(str(int(y)), freq="Y") for y in cy["year"]],
                          "rwattacks": cy["rwattacks"].astype(float).to_numpy(),
                          "troops_in_mw": cy["troops_in_mw"].astype(float).to_numpy()})
    return add_event_time(panel, starts)


def _with_counterfactual(rows: pd.DataFrame, panel: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """On the overall row: counterfactual_mean = the treated countries' mean outcome over their treated
    country-periods minus the overall ATT (the mean they would have had without striking, under parallel
    trends; the simple aggregation weights those cells exactly so), and relative_effect = ATT / that mean
    (a proportional change comparable with an ITS rate ratio - 1). NaN on the other rows."""
    post = panel[panel["cohort"].notna() & (panel["event_time"] >= 0)]
    overall = rows["aggregation"] == "overall"
    att = rows.loc[overall, "estimate"]
    cf = float(post[outcome].mean()) - att
    rows["counterfactual_mean"] = np.nan
    rows.loc[overall, "counterfactual_mean"] = cf
    rows["relative_effect"] = np.nan
    rows.loc[overall, "relative_effect"] = att / cf.where(cf > 0)
    return rows


def _rows(fit, **labels) -> pd.DataFrame:
    parts = [fit.group_time, fit.event, fit.overall]
    out = pd.concat(parts, ignore_index=True)
    return out.assign(**labels, n_units=fit.n_units, n_treated=fit.n_treated, n_never_treated=fit.n_never)


@dataclass(frozen=True)
class _Spec:
    """One specification of the design: a fit of `fit_cs` on one panel (and its RI p-value when asked)."""

    panel: pd.DataFrame
    outcome: str
    control_group: str
    covariates: tuple[str, ...]
    ri_draws: int
    seed: int


def _fit_spec(spec: _Spec) -> tuple[CSFit, float] | DesignError:
    """Fit one specification: (the Callaway-Sant'Anna fit, the RI p-value or NaN), or the DesignError that
    refused it (returned, so the caller decides: the placebo is skipped, a main specification raises). A task
    of `run_tasks`: the RI permutations are seeded by the design's own seed (the same for every
    specification, as before), never by the worker, so the result does not depend on how the specifications
    are spread over processes."""
    from externalize.designs.did import fit_cs, randomization_pvalue

    try:
        fit = fit_cs(spec.panel, spec.outcome, control_group=spec.control_group, covariates=spec.covariates)
    except DesignError as exc:
        return exc
    p = np.nan
    if spec.ri_draws and spec.control_group == "never_treated" and not spec.covariates:
        p, _ = randomization_pvalue(spec.panel, spec.outcome, float(fit.overall["estimate"].iloc[0]),
                                    draws=spec.ri_draws, seed=spec.seed)
    return fit, float(p)


def participation_design(built: BuildResult, starts: pd.DataFrame, canonical: Callable[[str], str | None], *,
                         start: pd.Period, end: pd.Period, placebo_years: tuple[int, int],
                         ri_draws: int = 999, seed: int = 20140808, jobs: int = 1) -> tuple[pd.DataFrame, dict]:
    """Every specification of the staggered-participation design, stacked in one tidy frame.

    Specifications per data set (Nesser, Crenshaw): outcomes all / launched / foiled plots per country-month
    with never-treated and with not-yet-treated controls; the same per 10 million inhabitants (never
    treated); with troops_in_mw as covariate (never treated). Placebo: right-wing attacks per country-year
    (Nesser). Columns: estimator, dataset, outcome, scale, control_group, covariates, aggregation, group,
    time, event_time (integer period indices; for monthly panels `period` / `group_period` give the months),
    estimate, std_error, ci_low, ci_high, ri_pvalue (overall rows without covariates, never-treated controls,
    when ri_draws > 0), counterfactual_mean and relative_effect (overall rows; see `_with_counterfactual`),
    n_units, n_treated, n_never_treated.

    jobs: processes for the 26 fits (`externalize.parallel.run_tasks`; -1 = every core). The fits are
    independent and deterministic (the RI draws use `seed` in every specification), so the frame is the same,
    byte for byte, for any jobs.
    """
    from externalize.parallel import run_tasks

    facts: dict = {}
    specs: list[_Spec] = []
    labels: list[tuple[str, str, str, dict | None]] = []   # dataset, outcome, scale, facts
    for dataset in DATASETS:
        try:
            panel, found = dataset_panel(built, dataset, start, end, starts, canonical)
        except DesignError as exc:
            facts[dataset] = {"skipped": str(exc)}
            continue
        facts[dataset] = found
        plan: list[tuple[str, str, str, tuple[str, ...]]] = []
        for outcome in ("all", *PLOT_STATUSES):
            for cg in ("never_treated", "not_yet_treated"):
                plan.append((outcome, "plots per country-month", cg, ()))
            plan.append((f"{outcome}_per_10m", "plots per 10 million inhabitants per month", "never_treated", ()))
            plan.append((outcome, "plots per country-month", "never_treated", ("troops_in_mw",)))
        for outcome, scale, cg, cov in plan:
            specs.append(_Spec(panel, outcome, cg, cov, ri_draws, seed))
            labels.append((dataset, outcome, scale, found))
    try:
        pp = placebo_panel(built, starts, canonical, *placebo_years)
        for cg in ("never_treated", "not_yet_treated"):
            specs.append(_Spec(pp, "rwattacks", cg, (), ri_draws, seed))
            labels.append(("nesser", "rwattacks (placebo)", "right-wing attacks per country-year", None))
        facts["placebo"] = {"years": list(placebo_years), "units": int(pp["unit"].nunique())}
    except DesignError as exc:
        facts["placebo"] = {"skipped": str(exc)}
    frames = []
    placebo_failed = False
    for spec, (dataset, outcome_label, scale, f), result in zip(specs, labels, run_tasks(_fit_spec, specs, jobs=jobs),
                                                                strict=True):
        placebo = f is None
        if placebo and placebo_failed:
            continue
        if isinstance(result, DesignError):
            if not placebo:
                raise result
            facts["placebo"] = {"skipped": str(result)}   # as when the placebo panel cannot be built
            placebo_failed = True
            continue
        fit, p = result
        rows = _rows(fit, estimator=ESTIMATOR, dataset=dataset, outcome=outcome_label, scale=scale,
                     control_group=spec.control_group, covariates="+".join(spec.covariates) or "none",
                     ri_pvalue=np.nan)
        if np.isfinite(p):
            rows.loc[rows["aggregation"] == "overall", "ri_pvalue"] = p
            if f is not None:
                f[f"ri_pvalue_{spec.outcome}"] = p
                f["ri_draws"] = ri_draws
        frames.append(_with_counterfactual(rows, spec.panel, spec.outcome))
    if not frames:
        raise DesignError("no participation specification could be estimated")
    out = pd.concat(frames, ignore_index=True)
    monthly = ~out["outcome"].str.startswith("rwattacks")
    to_month = lambda v: str(pd.Period(ordinal=int(v), freq="M")) if pd.notna(v) else ""  # noqa: E731
    to_year = lambda v: str(pd.Period(ordinal=int(v), freq="Y")) if pd.notna(v) else ""  # noqa: E731
    out["group_period"] = [to_month(g) if m else to_year(g) for g, m in zip(out["group"], monthly, strict=True)]
    out["period"] = [to_month(t) if m else to_year(t) for t, m in zip(out["time"], monthly, strict=True)]
    cols = ["estimator", "dataset", "outcome", "scale", "control_group", "covariates", "aggregation",
            "group_period", "period", "event_time", "estimate", "std_error", "ci_low", "ci_high", "ri_pvalue",
            "counterfactual_mean", "relative_effect", "n_units", "n_treated", "n_never_treated", "group", "time"]
    return out[cols], facts
