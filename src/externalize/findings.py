"""The findings step: the registered primary estimands (one per arm, `[[primary]]` in analysis/study.toml)
estimated with the inference method the simulation study supports, Holm-adjusted across the primaries, each
with the identification caveat computed from the data; the rival-date analyses of each monthly primary; the
direct test of externalization. Everything else the study fits is secondary. Nothing here counts tests as
votes: the report renders these tables as they are.

Outputs (tables directory):
* primary_estimands.csv: arm, outcome, source, model, inference, date, direction, status ("tested" or
  "descriptive"), estimate, ci_low, ci_high (rate ratio scale), p_value, p_holm, n_pre, n_post (periods),
  events_pre, events_post (events of the outcome; for the direct arm the clash series, the external series'
  counts being in the caveat and direct_test.csv), caveat.
* break_date_profile.csv: outcome, period, eligible / in_profile_window flags, placebo t statistic at every
  eligible month, and in the profile window the level rate ratio, its interval, the LR statistic and
  in_set (the break-date confidence set), rival (name of a candidate date in that month).
* rival_dates.csv: outcome x candidate date: source, months from the main date, rate ratio at that date,
  in the confidence set or not, placebo rank among all eligible months, two-date model and separability.
* direct_test.csv: the ratio of rate ratios (clash against external): the exact conditional test on the 2x2
  table of yearly counts (clash, external x post, pre), and the stacked monthly count model for every monthly
  clash series of the build against the external primary series (or the reason it is not estimable).
* findings.csv: one statement per arm computed from the primary table (`arm_statements`).
* primary_methods.csv: each monthly primary under every inference method of the simulation study (the
  chosen one flagged `primary`), so a reader sees what the choice changes.
* simulation_study.csv: the cached simulation grid (analysis/cache/simulation_study.csv, see simgrid).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console

from externalize.artefacts import write_bytes, write_frame
from externalize.build import BuildResult
from externalize.config import InferenceConfig, PrimaryEstimand, RivalDatesConfig, StudyConfig
from externalize.errors import ConfigError, ExternalizeError
from externalize.paths import PROJECT_ROOT

PRIMARY_COLUMNS = ("arm", "outcome", "source", "model", "inference", "date", "direction", "status", "estimate",
                   "ci_low", "ci_high", "p_value", "p_holm", "n_pre", "n_post", "events_pre", "events_post",
                   "caveat")
YEARLY_CLASSES = ("clash", "joint")   # classes that exist only after the AQ-IS split


@dataclass(frozen=True)
class YearlyEligibility:
    """Whether a yearly series may be tested: pre-years inside the period the arm is defined, against the
    configured minimum; `reason` states the numbers."""

    testable: bool
    pre_years: tuple[int, ...]
    reason: str


def yearly_eligibility(series: pd.Series, event_class: str, intervention_year: int,
                       cfg: InferenceConfig) -> YearlyEligibility:
    """Pre-intervention years counted for a yearly test: years before the intervention year that lie wholly
    inside the period the arm is defined (for clash and joint: from 1 January after the AQ-IS split,
    `inference.arm_defined_from`; external attacks: every covered year)."""
    years = [int(y) for y in series.index if int(y) < intervention_year]
    if event_class in YEARLY_CLASSES:
        years = [y for y in years if date(y, 1, 1) >= cfg.arm_defined_from]
        where = f"after the AQ-IS split ({cfg.arm_defined_from.isoformat()})"
    else:
        where = "covered by the source"
    if len(years) >= cfg.min_pre_years:
        return YearlyEligibility(True, tuple(years), f"{len(years)} pre-intervention years {where}")
    counts = ", ".join(f"{int(y)}: {v:g}" for y, v in series.items())
    return YearlyEligibility(False, tuple(years),
                             f"descriptive: {len(years)} full pre-intervention years {where}, fewer than the "
                             f"minimum {cfg.min_pre_years}; yearly counts {counts}")


def yearly_interval_rule(dispersion: float) -> str:
    """Which yearly interval is honest: the exact Poisson one only when the measured dispersion allows it
    (Pearson chi2/df <= 1); otherwise the quasi-Poisson one scaled by the dispersion."""
    return "exact Poisson" if np.isfinite(dispersion) and dispersion <= 1.0 else "quasi-Poisson"


def _simulation(study: StudyConfig, cfg: InferenceConfig, out: Path) -> tuple[pd.DataFrame, str, str]:
    from externalize.robustness.simgrid import SimulationCacheError, choose_method, read_cache

    path = Path(cfg.simulation_cache)
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    try:
        sim = read_cache(path)
    except SimulationCacheError as exc:
        return pd.DataFrame(), "nb_ar1_boot", f"no simulation study to choose the method ({exc})"
    write_bytes(out / "simulation_study.csv", path.read_bytes())   # the cached study, as it is
    method, why = choose_method(sim)
    return sim, method, why


def _lag1_pearson(X: np.ndarray, y: np.ndarray) -> np.ndarray | float:
    """Lag-1 autocorrelation of the Pearson residuals of the Poisson fit (the series' dependence); y of shape
    (n,) gives a float, (B, n) an array of B values."""
    from externalize.robustness.fastfit import batch_poisson

    Y = np.atleast_2d(y)
    fit = batch_poisson(X, Y, terms=[f"x{i}" for i in range(X.shape[1])])
    mu = np.exp(fit.params @ X.T)
    r = (Y - mu) / np.sqrt(mu)
    r = r - r.mean(axis=1, keepdims=True)
    out = np.sum(r[:, 1:] * r[:, :-1], axis=1) / np.sum(r ** 2, axis=1)
    return float(out[0]) if np.ndim(y) == 1 else out


def nearest_scenario(sim: pd.DataFrame, mean: float, lag1: float, method: str, n: int = 84) -> str:
    """The simulation scenario (null) nearest to a series (mean count on the log scale, then its lag-1
    autocorrelation against the grid's AR) and the method's size and coverage there, as a sentence."""
    if sim.empty or "estimator" not in sim:
        return ""
    g = sim[(sim["estimator"] == method) & (sim["kind"] == "size")]
    if g.empty:
        return ""
    means = np.asarray(sorted(g["mean"].unique()), dtype=float)
    m = float(means[np.argmin(np.abs(np.log(means) - np.log(max(mean, 1e-9))))])
    # the latent AR of the grid shows in the counts attenuated: compare like with like, the lag-1 Pearson
    # residual autocorrelation the grid's series have on average
    ars = sorted(float(a) for a in g.loc[g["mean"] == m, "ar"].unique())
    typical = {a: _grid_lag1(m, a) for a in ars}
    a = min(ars, key=lambda x: abs(typical[x] - lag1))
    row = g[(g["mean"] == m) & (g["ar"] == a)].iloc[0]
    out = (f"this series: mean {mean:.2f} a month, lag-1 residual autocorrelation {lag1:.2f} (s.e. about "
           f"{1 / np.sqrt(n):.2f} over {n} months); nearest simulated scenario {row['scenario']} (typical lag-1 "
           f"{typical[a]:.2f}): size {row['rejection_rate']:.3f}, coverage {row['coverage']:.3f}")
    if lag1 > max(typical.values()):
        out += "; the series is more autocorrelated than any simulated scenario with its mean"
    return out


@functools.lru_cache(maxsize=None)
def _grid_lag1(mean: float, ar: float, n_series: int = 200) -> float:
    """Mean lag-1 Pearson residual autocorrelation of the grid's null series with this mean and AR (seeded)."""
    from externalize.robustness.simgrid import GridScenario, _design

    X, _ = _design()
    Y = GridScenario(mean, ar, 0.0).scenario().simulate(np.random.default_rng(20140808), n_series)
    Y = Y[Y.sum(axis=1) > 0]
    return float(np.mean(_lag1_pearson(X, Y)))


def _monthly_primary(p: PrimaryEstimand, y: pd.Series, study: StudyConfig, method: str, why: str,
                     cfg: InferenceConfig, profile: pd.DataFrame | None, ranks: pd.DataFrame | None,
                     lower_bound: bool, sim: pd.DataFrame) -> dict:
    from externalize.robustness.countinf import METHODS, infer
    from externalize.robustness.fastfit import segmented_designs

    iv = next(i for i in study.interventions if i.name == p.date)
    y = y[(y.index >= p.window[0]) & (y.index <= p.window[1])]
    pos = int(iv.month.ordinal - y.index[0].ordinal)
    pre, post = y[y.index < iv.month], y[y.index >= iv.month]
    caveats = []
    row: dict[str, object] = {"n_pre": len(pre), "n_post": len(post), "events_pre": float(pre.sum()), "events_post": float(post.sum())}
    if len(pre) < study.models.min_pre_months:
        return {**row, "status": "descriptive", "caveat": f"no dated source of this arm covers the months before "
                f"the intervention ({len(pre)} months < {study.models.min_pre_months})"}
    X, terms = segmented_designs(y.index, np.array([[pos]]), [p.date], seasonality=study.models.seasonality_pairs)
    j = terms.index(f"level_{p.date}")
    everyone = {m: infer(m, X[0], y.to_numpy(float), j, n_boot=cfg.bootstrap_draws,
                         rng=np.random.default_rng(cfg.seed)) for m in METHODS}
    r = everyone[method]
    row["_methods"] = [{"arm": p.arm, "outcome": p.outcome, "inference": m, "primary": m == method,
                        "estimate": float(np.exp(v.estimate[0])), "ci_low": float(np.exp(v.ci_low[0])),
                        "ci_high": float(np.exp(v.ci_high[0])), "p_value": float(v.p_value[0]), "ok": bool(v.ok[0]),
                        "dispersion": float(v.dispersion[0])} for m, v in everyone.items()]
    if not r.ok[0]:
        return {**row, "status": "descriptive", "caveat": f"the {method} fit did not converge"}
    row.update(status="tested", estimate=float(np.exp(r.estimate[0])), ci_low=float(np.exp(r.ci_low[0])),
               ci_high=float(np.exp(r.ci_high[0])), p_value=float(r.p_value[0]))
    caveats.append(f"inference {method}: {why}")
    caveats.append(f"Pearson dispersion {r.dispersion[0]:.2f}")
    near = nearest_scenario(sim, float(y.mean()), float(_lag1_pearson(X[0], y.to_numpy(float))), method,
                            n=len(y))
    if near:
        caveats.append(near)
    if lower_bound:
        caveats.append("counts are a lower bound (perpetrator blanked in part of the source)")
    if profile is not None and len(profile):
        inset = profile[profile["in_set"].astype(bool)]
        rivals_in = sorted({str(x) for x in inset["rival"] if isinstance(x, str) and x})
        caveats.append(f"95% break-date set {len(inset)} months ({inset['period'].min()}..{inset['period'].max()})"
                       + (f", containing the rival dates {', '.join(rivals_in)}" if rivals_in else
                          ", containing no candidate date"))
    if ranks is not None and len(ranks):
        rk = ranks[ranks["name"] == p.date]
        if len(rk) and bool(rk["eligible"].iloc[0]):
            caveats.append(f"placebo rank of the date {int(rk['rank'].iloc[0])} of {int(rk['n_eligible'].iloc[0])} "
                           "eligible months")
    row["caveat"] = "; ".join(caveats)
    return row


def _yearly_counts(built: BuildResult, study: StudyConfig, name: str) -> pd.Series:
    from externalize.estimates import yearly_outcome

    return yearly_outcome(built, study.outcome(name), study)


def _direct(p: PrimaryEstimand, built: BuildResult, study: StudyConfig, cfg: InferenceConfig) -> tuple[dict, dict]:
    from externalize.robustness.exact2x2 import exact_ratio_of_rate_ratios

    iv_year = next(i for i in study.interventions if i.name == p.date).date.year
    clash = _yearly_counts(built, study, p.outcome)
    ext = _yearly_counts(built, study, str(p.reference))
    common = clash.index.intersection(ext.index)
    clash, ext = clash[common], ext[common]
    pre_y = [y for y in common if y < iv_year]
    post_y = [y for y in common if y > iv_year]
    a, b = int(clash[post_y].sum()), int(clash[pre_y].sum())
    c, d = int(ext[post_y].sum()), int(ext[pre_y].sum())
    detail: dict[str, object] = {"arm": p.arm, "method": "exact conditional 2x2 (yearly)", "clash_outcome": p.outcome, "external_outcome": p.reference,
              "pre_period": f"{min(pre_y)}-{max(pre_y)}" if pre_y else "", "post_period":
              f"{min(post_y)}-{max(post_y)}" if post_y else "", "clash_post": a, "clash_pre": b, "external_post": c,
              "external_pre": d}
    elig = yearly_eligibility(clash, study.outcome(p.outcome).event_class, iv_year, cfg)
    er = exact_ratio_of_rate_ratios(a, b, c, d)
    detail.update(estimate=er.estimate, ci_low=er.ci_low, ci_high=er.ci_high, p_value=er.p_value,
                  sample_ratio=er.sample_ratio, status="tested" if elig.testable else "descriptive",
                  reason=elig.reason)
    # the row's events are its outcome's (the clash series); the external series' counts are in the caveat, never
    # summed with them
    row: dict[str, object] = {"n_pre": len(pre_y), "n_post": len(post_y), "events_pre": float(b), "events_post": float(a)}
    counts = f"external series {p.reference}: {d} before, {c} after"
    if not elig.testable:
        row.update(status="descriptive", caveat=elig.reason + f"; {counts}; exact conditional ratio "
                   f"{er.estimate:.3g} [{er.ci_low:.3g}, {er.ci_high:.3g}] shown in direct_test.csv as description only")
        return row, detail
    row.update(status="tested", estimate=er.estimate, ci_low=er.ci_low, ci_high=er.ci_high, p_value=er.p_value,
               caveat=f"{elig.reason}; {counts}; exact conditional test assumes Poisson counts given the totals "
               "(no widening for overdispersion between years)")
    return row, detail


def _yearly_single(p: PrimaryEstimand, built: BuildResult, study: StudyConfig, cfg: InferenceConfig) -> dict:
    from externalize.estimates import fit_yearly

    iv_year = next(i for i in study.interventions if i.name == p.date).date.year
    s = _yearly_counts(built, study, p.outcome)
    elig = yearly_eligibility(s, study.outcome(p.outcome).event_class, iv_year, cfg)
    pre, post = s[s.index < iv_year], s[s.index > iv_year]
    row = {"n_pre": len(elig.pre_years), "n_post": len(post), "events_pre": float(pre.sum()),
           "events_post": float(post.sum())}
    if not elig.testable:
        return {**row, "status": "descriptive", "caveat": elig.reason}
    fit = fit_yearly({p.outcome: s[[y for y in s.index if y in elig.pre_years or y >= iv_year]]}, iv_year)
    t = fit.tidy.set_index("term").loc["post"]
    phi = float(fit.fit_stats["dispersion"].iloc[0])
    return {**row, "status": "tested", "estimate": float(t["ratio"]), "ci_low": float(t["ratio_ci_low"]),
            "ci_high": float(t["ratio_ci_high"]), "p_value": float(t["p_value"]),
            "caveat": f"{elig.reason}; quasi-Poisson yearly model, dispersion {phi:.2f} (floored at 1)"}


def _direct_monthly(built: BuildResult, study: StudyConfig,
                    primaries: tuple[PrimaryEstimand, ...]) -> list[dict[str, object]]:
    """The direct test by the stacked monthly count model: every monthly clash series of the build (inside
    its source's coverage) against the external arm's primary series, over the months both cover; a row
    with the reason when no clash series has events on both sides of the date."""
    from externalize.estimates import monthly_outcome
    from externalize.robustness.exact2x2 import stacked_ratio_of_rate_ratios

    ext_p = next((p for p in primaries if p.arm == "external"), None)
    direct_p = next((p for p in primaries if p.arm == "direct"), None)
    if ext_p is None or direct_p is None:
        return []
    iv = next(i for i in study.interventions if i.name == direct_p.date)
    ext = monthly_outcome(built, study.outcome(ext_p.outcome), study)
    m = built.monthly
    clash = m[(m["event_class"] == "clash") & (m["family"] == "all") & m["in_coverage"].astype(bool)]
    rows: list[dict[str, object]] = []
    for source, g in clash.groupby("source", sort=True):
        y = g.set_index("period")["count"].astype(float).sort_index()
        y.index = pd.PeriodIndex(y.index, freq="M")
        y = y[(y.index >= study.window_start) & (y.index <= study.window_end)]
        pre, post = y[y.index < iv.month].sum(), y[y.index >= iv.month].sum()
        if pre + post == 0:
            continue   # a source that never codes a clash (plots, attacks in the West) is no clash series
        base: dict[str, object] = {"arm": "direct", "method": "stacked monthly count model",
                                   "clash_outcome": f"{source} clash",
                "external_outcome": ext_p.outcome}
        common = y.index.intersection(ext.index)
        if (common < iv.month).sum() == 0:
            rows.append({**base, "status": "not estimable", "reason": f"{source} covers no month before "
                         f"{iv.month} ({y.index.min()}..{y.index.max()})"})
            continue
        r = stacked_ratio_of_rate_ratios(y[common], ext[common], iv.month, seasonality=study.models.seasonality_pairs)
        rows.append({**base, "pre_period": f"{common.min()}..{iv.month - 1}",
                     "post_period": f"{iv.month}..{common.max()}",
                     "clash_post": r.cells[0], "clash_pre": r.cells[1], "external_post": r.cells[2],
                     "external_pre": r.cells[3], "estimate": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high,
                     "p_value": r.p_value, "status": "secondary" if not r.note else "not estimable",
                     "reason": r.note or f"floored quasi-Poisson, dispersion {r.dispersion:.2f}"})
    if not rows:
        rows.append({"arm": "direct", "method": "stacked monthly count model", "status": "not estimable",
                     "reason": "no monthly clash series in the build"})
    return rows


def rival_date_tables(y: pd.Series, outcome: str, study: StudyConfig, rd: RivalDatesConfig, main: str
                      ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(profile, rivals, ranks) for one monthly primary series; see the module docstring for the columns."""
    from externalize.robustness.rivals import break_date_profile, level_at, placebo_ranks, two_date_models

    seas = study.models.seasonality_pairs
    pl = study.placebo
    cands = {c.name: c.month for c in rd.candidates}
    per, ranks = placebo_ranks(y, cands, min_pre=pl.min_pre, min_post=pl.min_post, seasonality=seas)
    first = max(rd.profile_window[0], y.index[0] + 3)
    last = min(rd.profile_window[1], y.index[-1] - 3)
    prof = break_date_profile(y, first, last, seasonality=seas, level=rd.confidence)
    pf = prof.frame.rename(columns={"t_stat": "profile_t"})
    frame = pd.DataFrame({"period": y.index}).merge(per.rename(columns={"estimate": "placebo_estimate",
                                                                        "converged": "placebo_converged"}),
                                                    on="period", how="left")
    frame = frame.merge(pf, on="period", how="left")
    frame["eligible"] = frame["t_stat"].notna()
    frame["in_profile_window"] = frame["lr"].notna()
    frame["in_set"] = frame["in_set"].fillna(False).astype(bool)
    for col in ("estimate", "ci_low", "ci_high"):
        frame[f"rate_ratio{'' if col == 'estimate' else '_' + col}"] = np.exp(frame[col])
    by_month: dict[pd.Period, list[str]] = {}
    for c in rd.candidates:
        by_month.setdefault(c.month, []).append(c.name)
    frame["rival"] = [" + ".join(by_month.get(p, [])) for p in frame["period"]]
    frame.insert(0, "outcome", outcome)
    frame["critical_value"] = prof.critical
    frame["lr_scale"] = prof.scale
    frame["best_period"] = str(prof.best)

    main_month = next(i for i in study.interventions if i.name == main).month
    rivals = {c.name: c.month for c in rd.candidates if c.name != main}
    two = two_date_models(y, (main, main_month), rivals, seasonality=seas, min_months_apart=rd.min_months_apart,
                          min_events_between=rd.min_events_between).set_index("rival") if rivals else pd.DataFrame()
    rows = []
    for c in rd.candidates:
        lv = level_at(y, c.month, seasonality=seas)
        fr = frame.set_index("period")
        rk = ranks.set_index("name").loc[c.name]
        rec = {"outcome": outcome, "candidate": c.name, "date": c.date.isoformat(), "month": str(c.month),
               "source": c.source, "months_from_main": int((c.month - main_month).n),
               "rate_ratio": np.exp(lv["estimate"]), "rr_ci_low": np.exp(lv["ci_low"]),
               "rr_ci_high": np.exp(lv["ci_high"]), "p_value": lv["p_value"],
               "lr": fr.loc[c.month, "lr"] if c.month in fr.index else np.nan,
               "in_confidence_set": bool(fr.loc[c.month, "in_set"]) if c.month in fr.index else False,
               "placebo_rank": rk["rank"], "n_eligible": rk["n_eligible"], "share_as_large": rk["share_as_large"]}
        if c.name in two.index:
            t = two.loc[c.name]
            rec.update(two_date_separable=bool(t["separable"]), two_date_reason=t["reason"],
                       two_date_main_rr=np.exp(t["main_estimate"]), two_date_main_ci_low=np.exp(t["main_ci_low"]),
                       two_date_main_ci_high=np.exp(t["main_ci_high"]), two_date_rival_rr=np.exp(t["rival_estimate"]),
                       two_date_rival_ci_low=np.exp(t["rival_ci_low"]),
                       two_date_rival_ci_high=np.exp(t["rival_ci_high"]), two_date_corr=t["corr"],
                       months_apart=t["months_apart"], events_between=t["events_between"])
        else:
            rec.update(two_date_reason="the main date itself")
        rows.append(rec)
    return frame, pd.DataFrame(rows), ranks


def arm_statements(primary: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """One statement per arm, computed from the primary table (no counting of tests): what the registered
    estimand shows, or why the arm cannot be tested. Columns: arm, outcome, status, reading, statement.

    reading: "in the predicted direction" when the Holm-adjusted p < alpha and the interval lies wholly on
    the predicted side of 1; "against the predicted direction" when it lies wholly on the other side with
    Holm p < alpha; "not distinguishable from no change" otherwise; "not tested" for descriptive arms."""
    rows = []
    for r in primary.itertuples(index=False):
        if r.status != "tested" or not np.isfinite(r.p_holm):
            rows.append({"arm": r.arm, "outcome": r.outcome, "status": r.status, "reading": "not tested",
                         "statement": f"{r.arm}: not tested ({r.caveat})"})
            continue
        up, down = r.ci_low > 1, r.ci_high < 1
        predicted_up = r.direction == "increase"
        if r.p_holm < alpha and (up or down):
            reading = "in the predicted direction" if up == predicted_up else "against the predicted direction"
        else:
            reading = "not distinguishable from no change"
        rows.append({"arm": r.arm, "outcome": r.outcome, "status": r.status, "reading": reading,
                     "statement": f"{r.arm}: rate ratio {r.estimate:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}], "
                                  f"p = {r.p_value:.3g}, Holm-adjusted p = {r.p_holm:.3g} across the tested "
                                  f"primaries; {reading} (hypothesis: {r.direction}). Caveats: {r.caveat}"})
    return pd.DataFrame(rows, columns=["arm", "outcome", "status", "reading", "statement"])


def findings_study(built: BuildResult, study: StudyConfig, out_dir: str | Path,
                   console: Console | None = None) -> dict[str, pd.DataFrame]:
    """Estimate the registered primaries, the rival-date tables and the direct test; write them to out_dir."""
    from externalize.estimates import SeriesNotFoundError, monthly_outcome
    from externalize.robustness.countinf import InferenceError
    from externalize.robustness.multiplicity import holm

    console = console or Console(stderr=True)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg = study.inference
    primaries = study.primaries
    if study.rival_dates is None:
        raise ConfigError(f"{study.path}: the findings need a [rival_dates] table")
    rd = study.rival_dates
    sim, method, why = _simulation(study, cfg, out)
    rows: list[dict[str, object]] = []
    profiles: list[pd.DataFrame] = []
    rivals: list[pd.DataFrame] = []
    direct: list[dict[str, object]] = []
    methods: list[dict[str, object]] = []
    for p in primaries:
        o = study.outcome(p.outcome)
        base = {"arm": p.arm, "outcome": p.outcome, "source": o.source if p.reference is None else
                f"{o.source} vs {study.outcome(p.reference).source}",
                "model": p.model, "date": p.date, "direction": p.direction,
                "inference": method if p.model != "exact_2x2" else "exact conditional (Fisher)"}
        console.print(f"  primary {p.arm}: {p.outcome}", markup=False)
        try:
            if p.arm == "direct":
                row, detail = _direct(p, built, study, cfg)
                direct.append(detail)
            elif o.frequency == "year":
                row = _yearly_single(p, built, study, cfg)
            else:
                y = monthly_outcome(built, o, study)
                y = y[(y.index >= p.window[0]) & (y.index <= p.window[1])]
                if y.sum() == 0:
                    raise InferenceError(f"no events in {p.window[0]}..{p.window[1]}")
                prof, riv, ranks = rival_date_tables(y, p.outcome, study, rd, p.date)
                profiles.append(prof)
                rivals.append(riv)
                row = _monthly_primary(p, y, study, method, why, cfg, prof, ranks, o.lower_bound, sim)
        except (SeriesNotFoundError, ExternalizeError, ValueError, np.linalg.LinAlgError) as exc:
            row = {"status": "descriptive", "caveat": f"not estimable: {type(exc).__name__}: {exc}"}
        methods.extend(row.pop("_methods", []))
        rows.append({**base, **row})
    direct.extend(_direct_monthly(built, study, primaries))
    prim = pd.DataFrame(rows).reindex(columns=list(PRIMARY_COLUMNS))
    prim["p_holm"] = holm(prim["p_value"].to_numpy(dtype=float))
    tables = {"primary_estimands": prim, "findings": arm_statements(prim),
              "break_date_profile": pd.concat(profiles, ignore_index=True) if profiles else pd.DataFrame(),
              "rival_dates": pd.concat(rivals, ignore_index=True) if rivals else pd.DataFrame(),
              "direct_test": pd.DataFrame(direct), "primary_methods": pd.DataFrame(methods),
              "simulation_study": sim}
    for name, frame in tables.items():
        if name == "simulation_study":
            continue
        f = frame.copy()
        for col in f.columns:
            if len(f) and isinstance(f[col].iloc[0], pd.Period):
                f[col] = f[col].astype(str)
        write_frame(f, out / f"{name}.csv")
    return tables
