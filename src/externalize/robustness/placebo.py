"""Placebo-in-time: refit the ITS model with the intervention schedule moved to every eligible fake date and
ask where the real estimate falls in the distribution of placebo estimates.

The whole schedule is shifted (with several interventions their spacing is kept), the term of interest is
the level or slope term of the first intervention. Empirical two-sided p-value:

    p = (1 + #{placebo : |value| >= |real value|}) / (1 + n_placebo)

where `value` is the estimate or its t/z statistic (`statistic=`). The "+1"s count the real date as one
draw of the reference distribution, so p is never 0, and P(p <= a) <= a when the statistic's values at the
real and the placebo dates are exchangeable under the null (a permutation-test argument; autocorrelation and
slow drifts make that only approximate, see tests/robustness/test_robust_null_sizes.py).

Placebo fits whose post-period contains the real intervention absorb part of the real effect; keep them out
with `exclude_within` (months around the real date) or use only pre-intervention data (`pre_only=True`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from externalize.models import fit_its
from externalize.models.counts import OVERDISPERSION_THRESHOLD
from externalize.models.design import as_monthly, hac_lag_rule, parse_interventions
from externalize.robustness.fastfit import BatchFit, batch_ols, batch_poisson, segmented_designs

FAST_MODELS = ("ols_hac", "poisson", "quasipoisson")
STATISTICS = ("estimate", "t")

#: columns of the frame returned by `refit_schedules` and `PlaceboResult.frame`
REFIT_COLUMNS = ("shift", "period", "is_real", "n", "estimate", "std_error", "statistic", "p_value",
                 "converged", "error", "warning")


@dataclass(frozen=True)
class PlaceboResult:
    """Summary of a placebo-in-time analysis; `frame` holds one row per fit (real and placebo).

    frame columns: shift (months between the fake and the real first intervention; 0 = real), period (first
    treated month of the first intervention in that fit, a pd.Period), is_real (bool), n (months in the fit),
    estimate, std_error, statistic (t or z), p_value (the model's nominal p-value for the term),
    converged (bool), error (refusal message, "" if the fit ran), warning (warning text, "" if none),
    used (bool: entered the empirical p-value).
    """

    model: str
    term: str
    statistic: str
    real_estimate: float
    real_value: float
    p_value: float
    n_placebo: int
    n_failed: int
    share_below: float  # share of placebo values <= real value (position of the real estimate)
    frame: pd.DataFrame

    def tidy(self) -> pd.DataFrame:
        """One-row frame: model, term, statistic, real_estimate, real_value, p_value, n_placebo, n_failed,
        share_below."""
        return pd.DataFrame([{k: getattr(self, k) for k in
                              ("model", "term", "statistic", "real_estimate", "real_value", "p_value",
                               "n_placebo", "n_failed", "share_below")}])


def empirical_p_value(real: float, placebo: np.ndarray) -> float:
    """Two-sided (1 + #{|placebo| >= |real|}) / (1 + n)."""
    placebo = np.asarray(placebo, dtype=float)
    return float((1 + np.count_nonzero(np.abs(placebo) >= abs(real))) / (1 + len(placebo)))


def resolve_term(term: str, first: str) -> str:
    """'level' / 'slope' mean the term of the first intervention; a full name is kept."""
    return f"{term}_{first}" if term in ("level", "slope") else term


def _batch_rows(fit: BatchFit, term: str, shifts: np.ndarray, periods: list[pd.Period], n: int,
                model: str) -> pd.DataFrame:
    j = fit.column(term)
    est = fit.params[:, j]
    se = fit.bse[:, j]
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
    absz = np.abs(stat)
    p = 2.0 * (stats.t.sf(absz, fit.df_resid) if fit.use_t else stats.norm.sf(absz))
    ok = fit.converged & np.isfinite(est) & np.isfinite(se)
    warn: str | np.ndarray = ""
    if model == "poisson":
        # the same check (and threshold) as the model suite's OverdispersionWarning, recorded per fit
        warn = np.where(fit.dispersion > OVERDISPERSION_THRESHOLD,
                        [f"OverdispersionWarning: Pearson chi2/df = {d:.2f} > {OVERDISPERSION_THRESHOLD}"
                         for d in fit.dispersion], "")
    return pd.DataFrame({"shift": shifts.astype(int), "period": periods, "is_real": shifts == 0,
                         "n": n, "estimate": est, "std_error": se, "statistic": stat, "p_value": p,
                         "converged": ok, "error": np.where(ok, "", "IRLS did not converge"), "warning": warn})


def refit_schedules(y: pd.Series, interventions: Mapping[str, pd.Period | str], shifts: np.ndarray,
                    model: str = "ols_hac", *, term: str = "level", seasonality: int = 0,
                    hac_maxlags: int | None = None, min_pre: int = 8, fast: bool = True,
                    **fit_kwargs: Any) -> pd.DataFrame:
    """Fit `model` once per shift of the whole intervention schedule (shift in months; 0 = as given).

    Uses the vectorised path (`fastfit`) for ols_hac / poisson / quasipoisson when no other fit options are
    given and `fast` is True; otherwise calls `externalize.models.fit_its` per shift, recording refusals
    (ValueError) in `error` and warnings in `warning` instead of stopping. Columns: see `REFIT_COLUMNS`.
    """
    y = as_monthly(y)
    ivs = parse_interventions(interventions, y.index)
    names = list(ivs)
    term = resolve_term(term, names[0])
    shifts = np.asarray(shifts, dtype=np.int64)
    base = np.array([int(np.searchsorted(y.index.asi8, p.ordinal)) for p in ivs.values()])
    periods = [y.index[0] + int(base[0] + s) for s in shifts]
    n = len(y)
    if fast and model in FAST_MODELS and not fit_kwargs:
        # the model suite refuses these fits; the batch would return garbage for them, so refuse up front
        bad = (base.min() + shifts < min_pre) | (base.max() + shifts > n - 1)
        if bad.any():
            raise ValueError(f"shifts {shifts[bad].tolist()} put an intervention outside the window or leave "
                             f"fewer than min_pre={min_pre} months before it")
        X, terms = segmented_designs(y.index, base[None, :] + shifts[:, None], names, seasonality=seasonality)
        if term not in terms:
            raise ValueError(f"term {term!r} not in the design ({', '.join(terms)})")
        yv = y.to_numpy(dtype=float)
        if model == "ols_hac":
            lag = hac_lag_rule(n) if hac_maxlags is None else int(hac_maxlags)
            fit = batch_ols(X, yv, hac_maxlags=lag, terms=terms)
        else:
            if (yv < 0).any():
                raise ValueError("count models need y >= 0")
            fit = batch_poisson(X, yv, terms=terms, scale="X2" if model == "quasipoisson" else "poisson")
        return _batch_rows(fit, term, shifts, periods, n, model)

    recs = []
    for s, per in zip(shifts, periods, strict=True):
        sched = {k: v + int(s) for k, v in ivs.items()}
        rec: dict[str, Any] = {"shift": int(s), "period": per, "is_real": s == 0, "n": n, "estimate": np.nan,
                               "std_error": np.nan, "statistic": np.nan, "p_value": np.nan, "converged": False,
                               "error": "", "warning": ""}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = fit_its(y, sched, model, seasonality=seasonality, hac_maxlags=hac_maxlags,
                              min_pre=min_pre, **fit_kwargs)
            except ValueError as exc:
                rec["error"] = str(exc)
                res = None
        rec["warning"] = "; ".join(sorted({f"{w.category.__name__}: {w.message}" for w in caught}))
        if res is not None:
            if term not in res.params.index:
                raise ValueError(f"term {term!r} not in the fit ({', '.join(res.params.index)})")
            rec.update(estimate=float(res.params[term]), std_error=float(res.bse[term]),
                       statistic=float(res.tvalues[term]), p_value=float(res.pvalues[term]),
                       converged=bool(res.stats.get("converged", True)),
                       n=int(res.stats.get("n", n)))
        recs.append(rec)
    return pd.DataFrame(recs, columns=list(REFIT_COLUMNS))


def eligible_shifts(n: int, positions: np.ndarray, *, min_pre: int, min_post: int, exclude_within: int) -> np.ndarray:
    """Shifts s (months) such that the shifted first intervention has >= min_pre months before it, the shifted
    last intervention has >= min_post months from it to the end (inclusive), s != 0 and |s| > exclude_within."""
    first, last = int(positions.min()), int(positions.max())
    s = np.arange(min_pre - first, n - min_post - last + 1)
    return s[(np.abs(s) > exclude_within) & (s != 0)]


def placebo_in_time(y: pd.Series, interventions: Mapping[str, pd.Period | str], model: str = "ols_hac", *,
                    term: str = "level", statistic: str = "estimate", min_pre: int = 12, min_post: int = 12,
                    exclude_within: int = 6, pre_only: bool = False, seasonality: int = 0,
                    hac_maxlags: int | None = None, fast: bool = True, **fit_kwargs: Any) -> PlaceboResult:
    """Placebo-in-time test of one term (default: the level change of the first intervention).

    y: monthly series (PeriodIndex freq "M"); interventions: name -> first treated month (as `fit_its`).
    model: any `fit_its` model; ols_hac / poisson / quasipoisson use the vectorised path unless `fast=False`
        or extra `fit_kwargs` (washout, offset, robust, ...) are given, which go to `fit_its`.
    term: "level" / "slope" (of the first intervention) or a full term name.
    statistic: "estimate" (compare coefficients) or "t" (compare t/z statistics, which puts fits with
        different precision on one scale).
    min_pre / min_post: months needed before the first / from the last (shifted) intervention.
    exclude_within: placebo dates within this many months of the real date are left out.
    pre_only: fit placebos on the months before the real first intervention only (no contamination by the
        real effect); the real estimate still comes from the full series.
    Failed or non-converged placebo fits are kept in `frame` (used=False) and counted in `n_failed`.
    """
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {STATISTICS}")
    y = as_monthly(y)
    ivs = parse_interventions(interventions, y.index)
    pos = np.array([int(np.searchsorted(y.index.asi8, p.ordinal)) for p in ivs.values()])
    common = dict(model=model, term=term, seasonality=seasonality, hac_maxlags=hac_maxlags,
                  min_pre=min(min_pre, 8), fast=fast, **fit_kwargs)
    real = refit_schedules(y, ivs, np.array([0]), **common)
    if real["error"].iloc[0]:
        raise ValueError(f"the real fit was refused: {real['error'].iloc[0]}")
    if pre_only:
        window = y.iloc[: int(pos.min())]
        shifts = eligible_shifts(len(window), pos, min_pre=min_pre, min_post=min_post, exclude_within=-1)
        if len(shifts) == 0:
            raise ValueError("no eligible placebo date in the pre-intervention months; lower min_pre/min_post")
        # refit_schedules needs a schedule inside the window: anchor it at the earliest eligible shift
        anchor = {k: v + int(shifts[0]) for k, v in ivs.items()}
        placebo = refit_schedules(window, anchor, shifts - shifts[0], **common)
        placebo["shift"] = shifts
        placebo["is_real"] = False
    else:
        shifts = eligible_shifts(len(y), pos, min_pre=min_pre, min_post=min_post, exclude_within=exclude_within)
        if len(shifts) == 0:
            raise ValueError("no eligible placebo date; lower min_pre / min_post / exclude_within")
        placebo = refit_schedules(y, ivs, shifts, **common)
    placebo["used"] = placebo["converged"] & (placebo["error"] == "")
    real["used"] = True
    col = "estimate" if statistic == "estimate" else "statistic"
    vals = placebo.loc[placebo["used"], col].to_numpy(dtype=float)
    real_val = float(real[col].iloc[0])
    frame = pd.concat([real, placebo], ignore_index=True).sort_values("shift", kind="stable").reset_index(drop=True)
    return PlaceboResult(model=model, term=resolve_term(term, next(iter(ivs))), statistic=statistic,
                         real_estimate=float(real["estimate"].iloc[0]), real_value=real_val,
                         p_value=empirical_p_value(real_val, vals), n_placebo=int(len(vals)),
                         n_failed=int((~placebo["used"]).sum()),
                         share_below=float(np.mean(vals <= real_val)) if len(vals) else float("nan"),
                         frame=frame)


def placebo_grid(outcomes: Mapping[str, pd.Series], interventions: Mapping[str, pd.Period | str],
                 models: tuple[str, ...] = ("ols_hac", "quasipoisson"), **kwargs: Any
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`placebo_in_time` for every outcome x model (keywords passed through).

    Returns (summary, distributions): summary has one row per outcome x model with the columns of
    `PlaceboResult.tidy()` plus outcome and error (refusal of the real fit or of the whole analysis; the
    other columns are then NaN); distributions is the concatenation of the result frames with outcome and
    model columns first (the data of a placebo histogram with the real estimate marked).
    """
    summaries, frames = [], []
    for outcome, y in outcomes.items():
        for model in models:
            try:
                r = placebo_in_time(y, interventions, model, **kwargs)
            except ValueError as exc:
                summaries.append({"outcome": outcome, "model": model, "error": str(exc)})
                continue
            summaries.append({"outcome": outcome, **r.tidy().iloc[0].to_dict(), "error": ""})
            f = r.frame.copy()
            f.insert(0, "model", model)
            f.insert(0, "outcome", outcome)
            frames.append(f)
    summary = pd.DataFrame(summaries)
    cols = ["outcome", "model", "term", "statistic", "real_estimate", "real_value", "p_value", "n_placebo",
            "n_failed", "share_below", "error"]
    summary = summary.reindex(columns=cols)
    dist = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["outcome", "model",
                                                                                      *REFIT_COLUMNS, "used"])
    return summary, dist
