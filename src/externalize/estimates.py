"""The study's model step: outcome series from the build -> fits -> tidy tables under reports/output/tables/.

Which series and which models are study choices in analysis/study.toml ([[outcomes]], [comparisons],
[models]). A fit the model suite refuses (too short a pre-period, an all-zero series, ...) is recorded in
fit_errors.csv with the message: nothing is dropped silently.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import statsmodels.api as sm
from rich.console import Console

from externalize.build import BuildResult
from externalize.artefacts import write_frame
from externalize.config import Outcome, StudyConfig
from externalize.errors import ExternalizeError
from externalize.paths import PROJECT_ROOT
from externalize.series import select

DEFAULT_TABLES = PROJECT_ROOT / "reports" / "output" / "tables"
EFFECT_MONTHS = (0, 6, 12)


class SeriesNotFoundError(ExternalizeError, LookupError):
    """The build has no series for an outcome of the study config (source, class, family)."""


#: the failures a fit may meet on real data and that become rows of fit_errors.csv: the package's own
#: refusals, the model suite's ValueError refusals (short pre-period, all-zero series, singular design) and
#: numpy's singular-matrix error. Anything else (KeyError, TypeError, AttributeError, ...) is a bug: it
#: propagates.
FIT_FAILURES: tuple[type[BaseException], ...] = (ExternalizeError, ValueError, np.linalg.LinAlgError)


def monthly_outcome(built: BuildResult, outcome: Outcome, study: StudyConfig) -> pd.Series:
    """The outcome's monthly series inside both the study window and the source's coverage.

    Raises SeriesNotFoundError when the build has no such series."""
    try:
        y = select(built.monthly, outcome.source, outcome.event_class, outcome.family,
                   study.window_start, study.window_end)
    except KeyError as exc:  # series.select signals a missing series with KeyError
        raise SeriesNotFoundError(f"outcome {outcome.name!r}: {exc.args[0] if exc.args else exc}") from exc
    return y.rename(outcome.name)


def yearly_outcome(built: BuildResult, outcome: Outcome, study: StudyConfig) -> pd.Series:
    """The outcome's yearly series over the years its source covers in full (partial years left out)."""
    ys = built.yearly_series
    m = ys[(ys["source"] == outcome.source) & (ys["event_class"] == outcome.event_class)
           & (ys["family"] == outcome.family) & (ys["months_covered"] == 12)]
    if outcome.first_year is not None:
        m = m[m["year"] >= outcome.first_year]
    if m.empty:
        raise SeriesNotFoundError(f"no yearly series for outcome {outcome.name!r}")
    return pd.Series(m["count"].to_numpy(float), index=m["year"].astype(int).to_numpy(), name=outcome.name)


def exact_rate_ratio(pre: pd.Series, post: pd.Series, alpha: float = 0.05) -> dict[str, float]:
    """Post/pre ratio of mean yearly counts with the exact conditional (Clopper-Pearson) interval.

    Given the total N, the post count is Binomial(N, p) with p = R*T1 / (R*T1 + T0), R the rate ratio and
    T0, T1 the numbers of years; the interval for p maps to one for R. Valid with zero counts, which the
    GLM is not; it assumes Poisson counts (no overdispersion), so it is a lower bound on the uncertainty.
    """
    from scipy.stats import binomtest

    k, n0 = int(post.sum()), int(pre.sum())
    t1, t0 = len(post), len(pre)
    n = k + n0
    if n == 0 or t0 == 0 or t1 == 0:
        return {"exact_ratio": np.nan, "exact_ci_low": np.nan, "exact_ci_high": np.nan, "exact_p_value": np.nan}
    test = binomtest(k, n, p=t1 / (t0 + t1))
    ci = test.proportion_ci(confidence_level=1 - alpha, method="exact")

    def to_ratio(p: float) -> float:
        return np.inf if p >= 1 else (p / (1 - p)) * (t0 / t1)

    return {"exact_ratio": to_ratio(k / n), "exact_ci_low": to_ratio(ci.low), "exact_ci_high": to_ratio(ci.high),
            "exact_p_value": float(test.pvalue)}


@dataclass(frozen=True)
class YearlyFit:
    """Quasi-Poisson trend model with a post-intervention level shift on yearly counts."""

    tidy: pd.DataFrame
    fit_stats: pd.DataFrame


MIN_PRE_YEARS_FOR_TREND = 3


def fit_yearly(series: dict[str, pd.Series], intervention_year: int, reference: str | None = None,
               alpha: float = 0.05) -> YearlyFit:
    """log E[y_st] = a_s + b_s * (t - t0) + c * post_t (+ d_s * post_t for s != reference when stacked).

    post = years after the intervention year; the intervention year itself is left out (it is partly
    treated). The trend terms b_s are dropped when any series has fewer than 3 pre-intervention years
    (a trend could not be told from the step); fit_stats says which. Quasi-Poisson: variance = phi * mean with phi = max(1, Pearson chi2 / df). With one series the `post`
    rate ratio is the level change; with two, `post:<series>` is the difference in the log change between
    <series> and the reference (the comparative test).
    """
    frames = []
    for name, s in series.items():
        frames.append(pd.DataFrame({"series": name, "year": s.index.astype(int), "y": s.to_numpy(float)}))
    df = pd.concat(frames, ignore_index=True)
    df = df[df["year"] != intervention_year].reset_index(drop=True)
    if df["y"].sum() == 0:
        raise ValueError("all counts are zero: no rate to model")
    df["post"] = (df["year"] > intervention_year).astype(float)
    if df["post"].sum() == 0 or (1 - df["post"]).sum() == 0:
        raise ValueError("no years on one side of the intervention")
    t0 = intervention_year
    names = list(series)
    ref = reference or names[0]
    pre_years = df[df["post"] == 0].groupby("series")["year"].nunique()
    with_trend = bool(pre_years.reindex(names).fillna(0).min() >= MIN_PRE_YEARS_FOR_TREND)
    X = pd.DataFrame(index=df.index)
    for name in names:
        ind = (df["series"] == name).astype(float)
        X[f"const:{name}" if len(names) > 1 else "const"] = ind
        if with_trend:
            X[f"trend:{name}" if len(names) > 1 else "trend"] = ind * (df["year"] - t0)
    X["post"] = df["post"]
    for name in names:
        if name != ref:
            X[f"post:{name}"] = df["post"] * (df["series"] == name)
    if np.linalg.matrix_rank(X.to_numpy()) < X.shape[1]:
        raise ValueError("singular design: too few years on one side of the intervention")
    poisson = sm.GLM(df["y"], X, family=sm.families.Poisson()).fit()
    # quasi-Poisson dispersion, floored at 1: under-dispersed counts get Poisson, not narrower, intervals
    phi = max(float(poisson.pearson_chi2 / poisson.df_resid), 1.0) if poisson.df_resid > 0 else 1.0
    res = sm.GLM(df["y"], X, family=sm.families.Poisson()).fit(scale=phi)
    ci = res.conf_int(alpha)
    tidy = pd.DataFrame({"term": X.columns, "estimate": res.params.to_numpy(), "std_error": res.bse.to_numpy(),
                         "statistic": res.tvalues.to_numpy(), "p_value": res.pvalues.to_numpy(),
                         "ci_low": ci[0].to_numpy(), "ci_high": ci[1].to_numpy()})
    tidy["ratio"] = np.exp(tidy["estimate"])
    tidy["ratio_ci_low"] = np.exp(tidy["ci_low"])
    tidy["ratio_ci_high"] = np.exp(tidy["ci_high"])
    stats = pd.DataFrame([{"model": "quasipoisson_yearly", "n": int(res.nobs), "n_params": X.shape[1],
                           "dispersion": float(res.scale), "deviance": float(res.deviance),
                           "trend": "per series" if with_trend else
                           f"none (fewer than {MIN_PRE_YEARS_FOR_TREND} pre-intervention years)",
                           "years": f"{df['year'].min()}-{df['year'].max()} without {intervention_year}"}])
    return YearlyFit(tidy, stats)


def _stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


T = TypeVar("T")


def guarded(errors: list[dict], label: dict, fn: Callable[[], T], warned: list[dict] | None = None) -> T | None:
    """Run one fit: a refusal in `FIT_FAILURES` becomes a row of `errors` (label + error), each warning a row
    of `warned` (never lost); any other exception is a bug and propagates. Returns fn() or None."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result: T | None
        try:
            result = fn()
        except FIT_FAILURES as exc:
            errors.append({**label, "error": f"{type(exc).__name__}: {exc}"})
            result = None
    if warned is not None:
        seen = set()
        for w in caught:
            text = f"{w.category.__name__}: {w.message}"
            if text not in seen:
                seen.add(text)
                warned.append({**label, "warning": text})
    return result


def fit_study(built: BuildResult, study: StudyConfig, out_dir: str | Path | None = None,
              console: Console | None = None) -> dict[str, pd.DataFrame]:
    """Fit every outcome x model of the study and write the tables; returns them by name."""
    from externalize.models import fit_comparative, fit_its, fit_share

    console = console or Console(stderr=True)
    out = Path(out_dir) if out_dir else DEFAULT_TABLES
    out.mkdir(parents=True, exist_ok=True)
    main = {study.main.name: study.main.month}
    mc = study.models
    all_ivs = {k: v for k, v in study.intervention_months().items() if k in mc.secondary_interventions}
    estimates: list[pd.DataFrame] = []
    stats: list[pd.DataFrame] = []
    cfs: list[pd.DataFrame] = []
    effects: list[pd.DataFrame] = []
    errors: list[dict] = []
    warned: list[dict] = []

    def record(res, label: dict) -> None:
        estimates.append(res.tidy().assign(**label))
        stats.append(res.fit_stats().assign(**label))
        cf = res.counterfactual()
        cfs.append(cf.assign(period=cf["period"].astype(str), **label))
        for k in EFFECT_MONTHS:
            effects.append(res.effect(k).assign(kind="effect", **label))
        cum = res.cumulative_effect()
        if len(cum):
            last = cum.iloc[[min(12, len(cum) - 1)]]
            effects.append(pd.DataFrame({"intervention": study.main.name, "k": min(12, len(cum) - 1),
                                         "estimate": last["cum_effect"].to_numpy(),
                                         "ci_low": last["ci_low"].to_numpy(), "ci_high": last["ci_high"].to_numpy(),
                                         "kind": "cumulative"}).assign(**label))

    monthly = [o for o in study.outcomes if o.frequency == "month"]
    for o in monthly:
        y = guarded(errors, {"outcome": o.name, "source": o.source, "model": "-", "spec": "-"},
                 lambda: monthly_outcome(built, o, study))
        if y is None:
            continue
        for model in mc.monthly_models:
            for spec, ivs in (("main", main), ("secondary_interventions", all_ivs)):
                if spec == "secondary_interventions" and model != mc.main_model:
                    continue
                label = {"outcome": o.name, "source": o.source, "model": model, "spec": spec}
                console.print(f"  fit {o.name} ({model}, {spec})", markup=False)
                seasonality = mc.seasonality_pairs if model not in ("ols_hac", "gls_ar") else 0
                # interventions one month apart cannot all have a slope term (slope_a = slope_b + level_b):
                # the main one gets level and slope, the others a level change only
                impact = {name: ("level_slope" if name == study.main.name else "level") for name in ivs}
                res = guarded(errors, label, lambda: fit_its(
                    y, ivs, model=model, seasonality=seasonality, washout=mc.washout_months,
                    min_pre=mc.min_pre_months, hac_maxlags=mc.hac_maxlags, impact=impact), warned)
                if res is not None:
                    record(res, label)

    share_rows = []
    for name, o_name, ref_name in study.comparisons:
        o, ref = study.outcome(o_name), study.outcome(ref_name)
        label = {"outcome": name, "source": f"{o.source} vs {ref.source}", "model": "", "spec": "comparison"}
        if o.frequency == "month":
            y1 = guarded(errors, label, lambda: monthly_outcome(built, o, study))
            y0 = guarded(errors, label, lambda: monthly_outcome(built, ref, study))
            if y1 is None or y0 is None:
                continue
            common = y1.index.intersection(y0.index)
            label["model"] = mc.main_model if mc.main_model in ("poisson", "quasipoisson", "negbin", "ols_hac") \
                else "quasipoisson"
            res = guarded(errors, label, lambda: fit_comparative(
                {o.name: y1[common], ref.name: y0[common]}, main, reference=ref.name, model=label["model"]), warned)
            if res is not None:
                estimates.append(res.tidy().assign(**label))
                stats.append(res.fit_stats().assign(**label))
            # the externalization share: outcome / (outcome + reference), binomial logit ITS
            sres = guarded(errors, {**label, "model": "binomial_share"},
                        lambda: fit_share(y1[common], y1[common] + y0[common], main), warned)
            if sres is not None:
                slabel = {**label, "model": "binomial_share", "outcome": f"{name}_share"}
                estimates.append(sres.tidy().assign(**slabel))
                stats.append(sres.fit_stats().assign(**slabel))
                cf = sres.counterfactual()
                denom = (y1[common] + y0[common])
                share_rows.append(pd.DataFrame({
                    "comparison": name, "period": cf["period"].astype(str),
                    "numerator": y1[common].reindex(cf["period"]).to_numpy(),
                    "denominator": denom.reindex(cf["period"]).to_numpy(),
                    "fitted": cf["fitted"].to_numpy(), "fitted_low": cf["fitted_low"].to_numpy(),
                    "fitted_high": cf["fitted_high"].to_numpy(), "counterfactual": cf["counterfactual"].to_numpy(),
                }).assign(share=lambda d: d["numerator"] / d["denominator"].replace(0, np.nan)))
        else:
            s1 = guarded(errors, label, lambda: yearly_outcome(built, o, study))
            s0 = guarded(errors, label, lambda: yearly_outcome(built, ref, study))
            if s1 is None or s0 is None:
                continue
            common = s1.index.intersection(s0.index)
            label["model"] = "quasipoisson_yearly"
            from externalize.findings import yearly_eligibility

            inference = study.inference
            blocked = [e.reason for e in (yearly_eligibility(s1[common], o.event_class, study.main.date.year,
                                                             inference),
                                          yearly_eligibility(s0[common], ref.event_class, study.main.date.year,
                                                             inference)) if not e.testable]
            if blocked:
                errors.append({**label, "error": f"not tested ({blocked[0]})"})
                continue
            fit = guarded(errors, label, lambda: fit_yearly({o.name: s1[common], ref.name: s0[common]},
                                                         study.main.date.year, reference=ref.name))
            if fit is not None:
                estimates.append(fit.tidy.assign(**label))
                stats.append(fit.fit_stats.assign(**label))

    yearly_rows = []
    from externalize.findings import yearly_eligibility, yearly_interval_rule

    inference = study.inference
    for o in (o for o in study.outcomes if o.frequency == "year"):
        label = {"outcome": o.name, "source": o.source, "model": "quasipoisson_yearly", "spec": "main"}
        s = guarded(errors, label, lambda: yearly_outcome(built, o, study))
        if s is None:
            continue
        iv_year = study.main.date.year
        elig = yearly_eligibility(s, o.event_class, iv_year, inference)
        pre, post = s[s.index < iv_year], s[s.index > iv_year]
        row = {**label, "label": o.label, "years_pre": f"{pre.index.min()}-{pre.index.max()}" if len(pre) else "",
               "years_post": f"{post.index.min()}-{post.index.max()}" if len(post) else "",
               "mean_pre": pre.mean() if len(pre) else np.nan, "mean_post": post.mean() if len(post) else np.nan,
               "count_intervention_year": s.get(iv_year, np.nan),
               "status": "tested" if elig.testable else "descriptive", "reason": elig.reason}
        if not elig.testable:
            # no test from fewer pre-years than the minimum inside the arm's period: counts and the reason only
            yearly_rows.append(row)
            continue
        s_fit = s[[y for y in s.index if y in elig.pre_years or y >= iv_year]]
        fit = guarded(errors, label, lambda: fit_yearly({o.name: s_fit}, iv_year))
        exact = exact_rate_ratio(s_fit[s_fit.index < iv_year], post)
        if fit is not None:
            estimates.append(fit.tidy.assign(**label))
            stats.append(fit.fit_stats.assign(**label))
            post_row = fit.tidy.set_index("term").loc["post"]
            phi = float(fit.fit_stats["dispersion"].iloc[0])
            rule = yearly_interval_rule(phi)
            row.update(rate_ratio=post_row["ratio"], rr_ci_low=post_row["ratio_ci_low"],
                       rr_ci_high=post_row["ratio_ci_high"], p_value=post_row["p_value"], dispersion=phi,
                       interval=rule)
            if rule != "exact Poisson":   # the exact Poisson interval would be too narrow: not reported
                exact = {k: np.nan for k in exact}
        row.update(exact)
        yearly_rows.append(row)

    tables = {
        "estimates": _stack(estimates), "fit_stats": _stack(stats), "counterfactual": _stack(cfs),
        "effects": _stack(effects), "share": _stack(share_rows), "yearly_contrast": pd.DataFrame(yearly_rows),
        "fit_errors": pd.DataFrame(errors, columns=["outcome", "source", "model", "spec", "error"]),
        "fit_warnings": pd.DataFrame(warned, columns=["outcome", "source", "model", "spec", "warning"]),
        "outcomes": pd.DataFrame([o.__dict__ for o in study.outcomes]),
    }
    for name, frame in tables.items():
        write_frame(frame, out / f"{name}.csv")
    return tables


def _spec_windows(study: StudyConfig) -> dict[str, tuple[pd.Period, pd.Period]]:
    """The full study window and a narrower one (two years each side of the main intervention)."""
    m = study.main.month
    narrow = (max(study.window_start, m - 24), min(study.window_end, m + 23))
    return {f"{study.window_start}..{study.window_end}": (study.window_start, study.window_end),
            f"{narrow[0]}..{narrow[1]}": narrow}


def robustness_study(built: BuildResult, study: StudyConfig, out_dir: str | Path | None = None,
                     console: Console | None = None, n_boot: int | None = None) -> dict[str, pd.DataFrame]:
    """Placebo-in-time, unknown-break sweeps, block bootstrap and the specification curve of every monthly
    outcome (secondary checks; the registered primaries are estimated by the findings step,
    `externalize.findings.findings_study`)."""
    from externalize.robustness import (Spec, block_bootstrap, multiple_breaks, placebo_in_time,
                                        specification_curve, sup_f_test)

    console = console or Console(stderr=True)
    out = Path(out_dir) if out_dir else DEFAULT_TABLES
    out.mkdir(parents=True, exist_ok=True)
    main = {study.main.name: study.main.month}
    pl = study.placebo
    placebo_rows: list[pd.DataFrame] = []
    placebo_summary: list[pd.DataFrame] = []
    sweeps: list[pd.DataFrame] = []
    break_summary: list[pd.DataFrame] = []
    segments: list[pd.DataFrame] = []
    boots: list[pd.DataFrame] = []
    errors: list[dict] = []
    specs: list[Spec] = []
    monthly = [o for o in study.outcomes if o.frequency == "month"]
    for o in monthly:
        base = {"outcome": o.name, "source": o.source}
        y = guarded(errors, {**base, "check": "series"}, lambda: monthly_outcome(built, o, study))
        if y is None:
            continue
        console.print(f"  robustness {o.name}")
        for model in ("ols_hac", study.models.main_model):
            label = {**base, "model": model}
            res = guarded(errors, {**label, "check": "placebo"}, lambda: placebo_in_time(
                y, main, model, term="level", statistic="t", min_pre=pl.min_pre, min_post=pl.min_post,
                exclude_within=pl.exclude_months_around_real,
                seasonality=0 if model == "ols_hac" else study.models.seasonality_pairs))
            if res is not None:
                f = res.frame.assign(candidate=res.frame["period"].astype(str), **label)
                placebo_rows.append(f.drop(columns=["period"]))
                placebo_summary.append(res.tidy().assign(**label))
        sf = guarded(errors, {**base, "check": "sup_f"}, lambda: sup_f_test(y, main, transform="sqrt", null="ar1"))
        if sf is not None:
            sweeps.append(sf.frame.assign(period=sf.frame["period"].astype(str), crit_5pct=sf.critical_values[0.05],
                                          **base))
            break_summary.append(sf.tidy().assign(break_period=str(sf.break_period), **base))
        mb = guarded(errors, {**base, "check": "multiple_breaks"}, lambda: multiple_breaks(y, main, transform="sqrt"))
        if mb is not None:
            segments.append(mb.segments.assign(start=mb.segments["start"].astype(str),
                                               end=mb.segments["end"].astype(str), n_breaks=mb.n_breaks,
                                               nearest_to_intervention=mb.nearest_to_intervention, **base))
        bb = guarded(errors, {**base, "check": "bootstrap"}, lambda: block_bootstrap(
            y, main, "ols_hac", n_boot=n_boot or study.robustness_boot_draws, terms=("level", "slope")))
        if bb is not None:
            boots.append(bb.summary.assign(block_length=bb.block_length, kind=bb.kind, **base))
        for wname, (w0, w1) in _spec_windows(study).items():
            yw = y[(y.index >= w0) & (y.index <= w1)]
            for model in study.models.monthly_models:
                for seas in (0, 1):
                    specs.append(Spec(
                        labels={"outcome": o.name, "source": o.source, "window": wname,
                                "seasonality": "on" if seas else "off", "model": model,
                                "taxonomy": "lower bound" if o.lower_bound else "as coded"},
                        series=yw, interventions=main, model=model,
                        options={"seasonality": seas, "min_pre": study.models.min_pre_months}, term="level"))
    console.print(f"  specification curve: {len(specs)} specifications")
    curve = specification_curve(specs) if specs else pd.DataFrame()

    tables = {
        "placebo": _stack(placebo_rows), "placebo_summary": _stack(placebo_summary),
        "break_sweep": _stack(sweeps), "break_summary": _stack(break_summary), "break_segments": _stack(segments),
        "bootstrap": _stack(boots), "spec_curve": curve,
        "robustness_errors": pd.DataFrame(errors),
    }
    for name, frame in tables.items():
        write_frame(frame, out / f"{name}.csv")
    return tables
