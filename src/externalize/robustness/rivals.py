"""Rival dates: can the data tell the coalition strikes from the events weeks around them?

For one monthly count series and the primary model's design (const, time, Fourier pairs; a level and a slope
change at the candidate month), three analyses:

* `break_date_profile`: the Poisson (quasi-likelihood) fit with the break at every candidate month of a
  window; its deviance D(m), the level rate ratio and its floored quasi-Poisson interval. The break-date
  confidence set inverts the likelihood-ratio test of "the break is at m":
      LR(m) = (D(m) - min D) / s,   set = {m : LR(m) <= c(level)},   c = -2 log(1 - sqrt(level))
  with c the quantile of Hansen's (2000, Econometrica 68, Thm. 2 and eq. 19) law of the LR statistic for a
  change point, P(LR <= x) = (1 - exp(-x/2))^2 (7.35 at 95%), which Bai (1997) derives for break dates. s
  scales the quasi-likelihood for overdispersion and autocorrelation: the long-run variance of the Pearson
  residuals at the best break (Bartlett kernel, Newey-West lag), floored at 1 (Hansen's eta^2 under
  heteroskedasticity). The set is conservative when the break is large (Hansen 2000, s. 3.4). Coverage of
  the nominal 95% set at the true month, 84 months, mean 5, rate x2 (tests/robustness/test_inference_rivals.py
  and runs while building it): Poisson 0.98, NB2 (alpha 0.2) 0.95; with a latent AR(1) (rho 0.3-0.6,
  sigma 0.3) it fell to 0.85-0.89, so under strong autocorrelation the set is somewhat too narrow.
  `n_boot > 0` replaces c by the larger of c and the `level` quantile of LR at the true month in NB-AR(1)
  parametric-bootstrap draws from the best fit (countinf); in our runs that raised AR(1) coverage only to
  0.85-0.93 at ~100x the cost, so the default is Hansen's c.
* `placebo_ranks`: the t statistic of the level change (floored quasi-Poisson) at every eligible month
  (min_pre months before, min_post months from it to the end; no month excluded, so the rival months are
  in), and the rank of each candidate date among them (1 = largest |t|).
* `two_date_models`: one model with a level change at the main date and at a rival date (the main date
  keeps its slope change); whether the two can be separated is stated with the numbers: months apart and
  events between the two dates, against the configured minima, and the correlation of the two estimates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from externalize.errors import ExternalizeError
from externalize.models.design import as_monthly, hac_lag_rule
from externalize.robustness.countinf import quasi_poisson
from externalize.robustness.fastfit import batch_poisson, segmented_designs


class RivalDatesError(ExternalizeError, ValueError):
    """A candidate month outside the series, or too few months for the profile."""


def hansen_critical_value(level: float) -> float:
    """c with (1 - exp(-c/2))^2 = level: 5.94 (80%), 7.35 (95%), 10.59 (99%) (Hansen 2000, Table 1)."""
    if not 0 < level < 1:
        raise RivalDatesError("level must be in (0, 1)")
    return float(-2.0 * np.log(1.0 - np.sqrt(level)))


def _positions(y: pd.Series, months: Sequence[pd.Period]) -> np.ndarray:
    pos = []
    for m in months:
        p = pd.Period(m, freq="M")
        if p < y.index[0] or p > y.index[-1]:
            raise RivalDatesError(f"month {p} lies outside the series {y.index[0]}..{y.index[-1]}")
        pos.append(int(p.ordinal - y.index[0].ordinal))
    return np.asarray(pos, dtype=np.int64)


def _deviance(Y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(Y > 0, Y * np.log(Y / mu), 0.0)
    return 2.0 * np.sum(term - (Y - mu), axis=-1)


def long_run_dispersion(resid_pearson: np.ndarray, k: int) -> float:
    """Bartlett long-run variance of Pearson residuals, divided by n - k, floored at 1."""
    r = np.asarray(resid_pearson, dtype=float)
    n = len(r)
    lag = hac_lag_rule(n)
    s = float(r @ r)
    for h in range(1, lag + 1):
        s += 2.0 * (1.0 - h / (lag + 1.0)) * float(r[h:] @ r[:-h])
    return max(s / (n - k), 1.0)


@dataclass(frozen=True)
class BreakProfile:
    """`frame`: one row per candidate month: period, estimate (log rate ratio of the level change), ci_low,
    ci_high (floored quasi-Poisson, level `level`), t_stat, deviance, lr, in_set (bool), converged.
    best: the month with the smallest deviance; scale: s (see module docstring); critical: c; level."""

    frame: pd.DataFrame
    best: pd.Period
    scale: float
    critical: float
    level: float

    @property
    def confidence_set(self) -> list[pd.Period]:
        return list(self.frame.loc[self.frame["in_set"], "period"])


def _level_designs(index: pd.PeriodIndex, pos: np.ndarray, seasonality: int, *,
                   slope: bool) -> tuple[np.ndarray, tuple[str, ...]]:
    X, terms = segmented_designs(index, pos[:, None], ["break"], seasonality=seasonality)
    if slope:
        return X, terms
    keep = [i for i, t in enumerate(terms) if t != "slope_break"]
    return X[:, :, keep], tuple(terms[i] for i in keep)


def _bootstrap_critical(X: np.ndarray, v: np.ndarray, mu: np.ndarray, ib: int, level: float, n_boot: int,
                        rng: np.random.Generator) -> float:
    """`level` quantile of LR at the true break month, in NB-AR(1) draws (countinf) from the fit at the best
    break: the finite-sample, dependence-aware analogue of Hansen's critical value."""
    from externalize.robustness.countinf import ct_alpha, nb_ar1_draws

    a = ct_alpha(v[None, :], mu[None, :])
    pr = (v - mu) / np.sqrt(mu + a[0] * mu ** 2)
    pr = pr - pr.mean()
    r = float(np.sum(pr[1:] * pr[:-1]) / np.sum(pr ** 2))
    m = float(mu.mean())
    rho = float(np.clip(r * (1 + a[0] * m) / (a[0] * m), 0.0, 0.95)) if np.isfinite(r) else 0.0
    draws = nb_ar1_draws(mu[None, :], a, np.array([rho]), n_boot, rng)[0]  # (n_boot, n)
    C, n, k = X.shape
    Xb = np.broadcast_to(X[None], (n_boot, C, n, k)).reshape(n_boot * C, n, k)
    Yb = np.repeat(draws, C, axis=0)
    fit = batch_poisson(Xb, Yb, terms=[f"x{i}" for i in range(k)])
    mub = np.exp(np.clip(np.einsum("bnk,bk->bn", Xb, fit.params), -700, 700))
    dev = np.where(fit.converged, _deviance(Yb, mub), np.nan).reshape(n_boot, C)
    good = np.isfinite(dev[:, ib]) & (draws.sum(axis=1) > 0)
    dmin = np.nanmin(dev, axis=1)
    mu_true = mub.reshape(n_boot, C, n)[:, ib]
    scale = np.array([long_run_dispersion((draws[b] - mu_true[b]) / np.sqrt(mu_true[b]), k)
                      for b in range(n_boot)])
    lr = (dev[:, ib] - dmin) / scale
    return float(np.quantile(lr[good], level)) if good.any() else float("inf")


def break_date_profile(y: pd.Series, first: pd.Period, last: pd.Period, *, seasonality: int = 1,
                       level: float = 0.95, slope: bool = False, n_boot: int = 0,
                       rng: np.random.Generator | None = None) -> BreakProfile:
    """Profile of a level-and-slope break over the candidate months first..last (see module docstring)."""
    y = as_monthly(y)
    v = y.to_numpy(dtype=float)
    if (v < 0).any() or v.sum() == 0:
        raise RivalDatesError("the profile needs counts >= 0, not all zero")
    cand = pd.period_range(first, last, freq="M")
    pos = _positions(y, list(cand))
    if pos.min() < 3 or pos.max() > len(y) - 3:
        raise RivalDatesError("candidate months need at least 3 months of data on each side")
    X, terms = _level_designs(y.index, pos, seasonality, slope=slope)
    j = terms.index("level_break")
    fit = batch_poisson(X, v, terms=terms)
    mu = np.exp(np.clip(np.einsum("bnk,bk->bn", X, fit.params), -700, 700))
    dev = _deviance(np.broadcast_to(v, mu.shape), mu)
    dev = np.where(fit.converged, dev, np.nan)
    if not np.isfinite(dev).any():
        raise RivalDatesError("no candidate month gave a converged fit")
    ib = int(np.nanargmin(dev))
    k = X.shape[2]
    s = long_run_dispersion((v - mu[ib]) / np.sqrt(mu[ib]), k)
    c = hansen_critical_value(level)
    if n_boot > 0:
        c = max(c, _bootstrap_critical(X, v, mu[ib], ib, level, n_boot,
                                       rng if rng is not None else np.random.default_rng(20140808)))
    lr = (dev - dev[ib]) / s
    q = quasi_poisson(X, v, j, floor=True, alpha=1 - level, terms=terms)
    frame = pd.DataFrame({"period": cand, "estimate": q.estimate, "ci_low": q.ci_low, "ci_high": q.ci_high,
                          "t_stat": q.estimate / q.std_error, "deviance": dev, "lr": lr,
                          "in_set": np.isfinite(lr) & (lr <= c), "converged": fit.converged})
    return BreakProfile(frame=frame, best=cand[ib], scale=s, critical=c, level=level)


def placebo_ranks(y: pd.Series, candidates: Mapping[str, pd.Period], *, min_pre: int = 12, min_post: int = 12,
                  seasonality: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """t statistic of the level change at every eligible month and the rank of each named candidate.

    Returns (per_month, ranks): per_month has period, t_stat, estimate, converged; ranks has one row per
    candidate: name, period, eligible (bool), t_stat, rank (1 = largest |t|), n_eligible, share_as_large
    (#{|t| >= |t_candidate|} / n_eligible, the candidate itself counted)."""
    y = as_monthly(y)
    n = len(y)
    pos = np.arange(min_pre, n - min_post + 1)
    if len(pos) < 2:
        raise RivalDatesError("no eligible placebo months; lower min_pre / min_post")
    X, terms = segmented_designs(y.index, pos[:, None], ["break"], seasonality=seasonality)
    q = quasi_poisson(X, y.to_numpy(float), terms.index("level_break"), floor=True, terms=terms)
    t = np.where(q.ok, q.estimate / q.std_error, np.nan)
    per = pd.DataFrame({"period": y.index[pos], "t_stat": t, "estimate": q.estimate, "converged": q.ok})
    tabs = np.abs(t[np.isfinite(t)])
    rows = []
    for name, month in candidates.items():
        p = pd.Period(month, freq="M")
        hit = per.index[per["period"] == p]
        if len(hit) == 0 or not np.isfinite(t[hit[0]]):
            rows.append({"name": name, "period": p, "eligible": False, "t_stat": np.nan, "rank": np.nan,
                         "n_eligible": len(tabs), "share_as_large": np.nan})
            continue
        tc = abs(t[hit[0]])
        rows.append({"name": name, "period": p, "eligible": True, "t_stat": float(t[hit[0]]),
                     "rank": int(1 + np.count_nonzero(tabs > tc)), "n_eligible": len(tabs),
                     "share_as_large": float(np.count_nonzero(tabs >= tc) / len(tabs))})
    return per, pd.DataFrame(rows)


def two_date_models(y: pd.Series, main: tuple[str, pd.Period], rivals: Mapping[str, pd.Period], *,
                    seasonality: int = 1, min_months_apart: int = 3, min_events_between: int = 10,
                    alpha: float = 0.05) -> pd.DataFrame:
    """One model per rival with level changes at the main date and the rival date (see module docstring).

    Columns: rival, rival_period, main_period, months_apart, events_between, separable (bool), reason,
    main_estimate, main_ci_low, main_ci_high, rival_estimate, rival_ci_low, rival_ci_high (log rate ratios,
    floored quasi-Poisson), corr (correlation of the two estimates)."""
    y = as_monthly(y)
    v = y.to_numpy(dtype=float)
    mname, mmonth = main
    mpos = int(_positions(y, [mmonth])[0])
    rows = []
    for name, month in rivals.items():
        rp = int(_positions(y, [month])[0])
        apart = abs(rp - mpos)
        lo, hi = sorted((rp, mpos))
        between = float(v[lo:hi].sum())
        rec = {"rival": name, "rival_period": pd.Period(month, freq="M"), "main_period": pd.Period(mmonth, freq="M"),
               "months_apart": apart, "events_between": between}
        base = {k: np.nan for k in ("main_estimate", "main_ci_low", "main_ci_high", "rival_estimate",
                                    "rival_ci_low", "rival_ci_high", "corr")}
        if apart == 0:
            rows.append({**rec, **base, "separable": False,
                         "reason": "same month as the main date: not separable at monthly resolution"})
            continue
        X3, terms = segmented_designs(y.index, np.array([[mpos, rp]]), [mname, "rival"], seasonality=seasonality)
        keep = [i for i, tname in enumerate(terms) if tname != "slope_rival"]
        X = X3[:, :, keep]
        terms = tuple(terms[i] for i in keep)
        jm, jr = terms.index(f"level_{mname}"), terms.index("level_rival")
        qm = quasi_poisson(X, v, jm, floor=True, alpha=alpha, terms=terms)
        qr = quasi_poisson(X, v, jr, floor=True, alpha=alpha, terms=terms)
        fit = batch_poisson(X, v, terms=terms)
        cov = fit.cov[0]
        corr = float(cov[jm, jr] / np.sqrt(cov[jm, jm] * cov[jr, jr]))
        reasons = []
        months = f"{apart} month{'' if apart == 1 else 's'} apart"
        if apart < min_months_apart:
            reasons.append(f"{months} (< {min_months_apart})")
        if between < min_events_between:
            reasons.append(f"{between:g} events between the dates (< {min_events_between})")
        rows.append({**rec, "separable": not reasons,
                     "reason": "; ".join(reasons) if reasons else
                     f"{months}, {between:g} events between",
                     "main_estimate": float(qm.estimate[0]), "main_ci_low": float(qm.ci_low[0]),
                     "main_ci_high": float(qm.ci_high[0]), "rival_estimate": float(qr.estimate[0]),
                     "rival_ci_low": float(qr.ci_low[0]), "rival_ci_high": float(qr.ci_high[0]), "corr": corr})
    return pd.DataFrame(rows)


def level_at(y: pd.Series, month: pd.Period, *, seasonality: int = 1, alpha: float = 0.05) -> dict[str, float]:
    """The primary model's level change at one month: log rate ratio, floored quasi-Poisson interval, p."""
    y = as_monthly(y)
    pos = _positions(y, [month])
    X, terms = segmented_designs(y.index, pos[:, None], ["d"], seasonality=seasonality)
    q = quasi_poisson(X, y.to_numpy(float), terms.index("level_d"), floor=True, alpha=alpha, terms=terms)
    return {"estimate": float(q.estimate[0]), "ci_low": float(q.ci_low[0]), "ci_high": float(q.ci_high[0]),
            "p_value": float(q.p_value[0]), "dispersion": float(q.dispersion[0])}


__all__ = ["BreakProfile", "RivalDatesError", "break_date_profile", "hansen_critical_value", "level_at",
           "long_run_dispersion", "placebo_ranks", "two_date_models"]
