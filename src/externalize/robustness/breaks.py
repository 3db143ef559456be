"""Unknown break date: do the data put a structural break near the intervention at all?

* `sup_f_test`: Andrews (1993) sup-F for one break in the level and slope of a linear trend model
  y_t = a + b t (+ fixed Fourier terms) against a + b t + d level_t(tb) + g slope_t(tb), swept over every
  candidate first month tb of the new regime inside a trimmed window ([floor(trim n), n - floor(trim n)],
  positions 0-based; the convention of strucchange::Fstats(from = trim)). F at tb is the Chow statistic in
  Wald form, (RSS0 - RSS1) / (RSS1 / (n - k1)) with k1 the columns of the broken model (not divided by the 2
  restrictions), as in strucchange and Andrews' tables.
  p-values, by simulation under the null (seeded):
    - "iid": Gaussian iid errors. The F sequence does not depend on the trend coefficients or the error
      variance, so this is the exact finite-sample null distribution for Gaussian white-noise errors.
    - "ar1": Gaussian AR(1) errors with rho = lag-1 autocorrelation of the no-break residuals (a parametric
      bootstrap). Monthly event counts are autocorrelated, and white-noise critical values are then far too
      small: with rho = 0.5 and 96 months the "iid" 5% test rejects a true null ~60% of the time, the "ar1"
      one ~5% (tests/robustness/test_robust_null_sizes.py). When there is a break, the no-break residuals
      contain it, rho is overestimated and the "ar1" test is conservative.
    - "andrews": the asymptotic law of Andrews (1993), sup over r in [trim, 1-trim] of
      |W(r) - r W(1)|^2 / (r (1 - r)) for a 2-dimensional Brownian motion W (grid of 2,000 steps). It is the
      limit for stationary regressors; with a trend regressor the exact simulation above is the better guide.
* `multiple_breaks`: Bai & Perron (2003) least-squares partitions with all coefficients of y ~ 1 + t changing,
  by exact dynamic programming (ruptures.Dynp, model "linear"), minimum segment length h; the number of breaks
  is chosen by BIC as in strucchange::breakpoints (df = (k + 1)(m + 1)). BIC treats the errors as
  independent; under positive autocorrelation it tends to pick too many breaks, so read it next to the
  sup-F test with the "ar1" null.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import ruptures as rpt

from externalize.models.design import as_monthly, parse_interventions
from externalize.robustness.fastfit import segmented_designs

NULLS = ("iid", "ar1", "andrews")
TRANSFORMS = ("none", "log1p", "sqrt")


def _transform(y: pd.Series, transform: str) -> np.ndarray:
    v = y.to_numpy(dtype=float)
    if transform not in TRANSFORMS:
        raise ValueError(f"transform must be one of {TRANSFORMS}")
    if transform != "none" and (v < 0).any():
        raise ValueError(f"transform {transform!r} needs y >= 0")
    if transform == "log1p":
        return np.log1p(v)
    return np.sqrt(v) if transform == "sqrt" else v


@dataclass(frozen=True)
class SupFResult:
    """sup-F sweep. `frame`: one row per candidate month with columns period (first month of the new
    regime), position (0-based in the window), f_stat, months_from_intervention (NaN without an intervention).

    sup_f: the largest F; break_period: where it is; p_value: P(sup-F >= observed) under `null`;
    critical_values: {0.10, 0.05, 0.01} -> simulated critical value; f_at_intervention: F at the intervention
    month (NaN if outside the trimmed range); months_from_intervention: break_period - intervention month.
    """

    sup_f: float
    break_period: pd.Period
    p_value: float
    critical_values: dict[float, float]
    null: str
    n_sim: int
    trim: float
    n: int
    f_at_intervention: float
    months_from_intervention: float
    frame: pd.DataFrame

    def tidy(self) -> pd.DataFrame:
        """One-row frame: sup_f, break_period, p_value, crit_10, crit_05, crit_01, null, n_sim, trim, n,
        f_at_intervention, months_from_intervention."""
        return pd.DataFrame([{
            "sup_f": self.sup_f, "break_period": self.break_period, "p_value": self.p_value,
            "crit_10": self.critical_values[0.10], "crit_05": self.critical_values[0.05],
            "crit_01": self.critical_values[0.01], "null": self.null, "n_sim": self.n_sim, "trim": self.trim,
            "n": self.n, "f_at_intervention": self.f_at_intervention,
            "months_from_intervention": self.months_from_intervention}])


def candidate_positions(n: int, trim: float) -> np.ndarray:
    """0-based first months of the new regime: floor(trim n) .. n - floor(trim n) (strucchange convention)."""
    if not 0.0 < trim < 0.5:
        raise ValueError("trim must be in (0, 0.5)")
    h = int(np.floor(trim * n))
    pos = np.arange(h, n - h + 1)
    if h < 2 or len(pos) == 0:
        raise ValueError(f"window of {n} months is too short for trimming {trim}")
    return pos


def _orth_basis(X: np.ndarray) -> np.ndarray:
    Q, _ = np.linalg.qr(X)
    return Q


def f_sequence(Y: np.ndarray, X0: np.ndarray, X1: np.ndarray) -> np.ndarray:
    """Chow F (Wald form) for every response row of Y (S, n) and every broken design X1 (B, n, k1) against the
    shared no-break design X0 (n, k0). Returns (S, B)."""
    n, k1 = X1.shape[1], X1.shape[2]
    Q0 = _orth_basis(X0)
    Q1 = _orth_basis(X1)
    yy = np.einsum("sn,sn->s", Y, Y)
    rss0 = yy - np.sum((Y @ Q0) ** 2, axis=1)
    proj1 = np.einsum("sn,bnk->sbk", Y, Q1)
    rss1 = yy[:, None] - np.sum(proj1 ** 2, axis=2)
    return (rss0[:, None] - rss1) / (rss1 / (n - k1))


def andrews_sup_draws(n_sim: int, trim: float, q: int, rng: np.random.Generator, steps: int = 2000) -> np.ndarray:
    """Draws from the Andrews (1993) limit of sup-F with q restrictions: the sup over r in [trim, 1 - trim]
    of |W(r) - r W(1)|^2 / (r (1 - r)), W a q-dimensional Brownian motion on a grid of `steps`."""
    out = np.empty(n_sim)
    r = np.arange(1, steps + 1) / steps
    keep = (r >= trim) & (r <= 1 - trim)
    for start in range(0, n_sim, 500):  # chunks keep memory at ~ 500 x 2000 x q
        m = min(500, n_sim - start)
        W = np.cumsum(rng.standard_normal((m, steps, q)), axis=1) / np.sqrt(steps)
        Bb = W - r[None, :, None] * W[:, -1:, :]
        stat = np.sum(Bb ** 2, axis=2)[:, keep] / (r[keep] * (1 - r[keep]))
        out[start:start + m] = stat.max(axis=1)
    return out


def sup_f_test(y: pd.Series, interventions: Mapping[str, pd.Period | str] | None = None, *, trim: float = 0.15,
               seasonality: int = 0, transform: str = "none", null: str = "iid", n_sim: int = 2000,
               seed: int = 20140808) -> SupFResult:
    """Sweep a level-and-slope break over every candidate month and test for a break at an unknown date.

    y: monthly series (PeriodIndex freq "M"); interventions (optional): only used to report the F at, and the
    distance to, the first intervention month. seasonality: Fourier pairs kept fixed (not broken).
    transform: "none", "log1p" or "sqrt" (variance-stabilising for counts). null: "iid" | "ar1" | "andrews"
    (see module docstring); n_sim: simulations; seed: numpy Generator seed (same seed, same p-value).
    """
    if null not in NULLS:
        raise ValueError(f"null must be one of {NULLS}")
    y = as_monthly(y)
    v = _transform(y, transform)
    n = len(v)
    pos = candidate_positions(n, trim)
    X1, _ = segmented_designs(y.index, pos[:, None], ["break"], seasonality=seasonality)
    X0 = X1[0][:, [0, 1] + list(range(4, X1.shape[2]))]
    F = f_sequence(v[None, :], X0, X1)[0]
    i_max = int(np.argmax(F))
    rng = np.random.default_rng(seed)
    if null == "andrews":
        sims = andrews_sup_draws(n_sim, trim, 2, rng)
    else:
        E = rng.standard_normal((n_sim, n))
        if null == "ar1":
            e0 = v - X0 @ np.linalg.lstsq(X0, v, rcond=None)[0]
            rho = float(np.clip(np.sum(e0[1:] * e0[:-1]) / np.sum(e0 ** 2), -0.95, 0.95))
            E[:, 0] /= np.sqrt(1 - rho ** 2)  # stationary start
            for t in range(1, n):
                E[:, t] += rho * E[:, t - 1]
        sims = np.concatenate([f_sequence(E[s:s + 500], X0, X1).max(axis=1) for s in range(0, n_sim, 500)])
    p = float((1 + np.count_nonzero(sims >= F[i_max])) / (1 + n_sim))
    crit = {a: float(np.quantile(sims, 1 - a)) for a in (0.10, 0.05, 0.01)}
    periods = y.index[pos]
    f_iv, dist_iv = float("nan"), float("nan")
    months_from = np.full(len(pos), np.nan)
    if interventions:
        first = next(iter(parse_interventions(interventions, y.index).values()))
        months_from = (periods.asi8 - first.ordinal).astype(float)
        hit = np.flatnonzero(months_from == 0)
        f_iv = float(F[hit[0]]) if len(hit) else float("nan")
        dist_iv = float(months_from[i_max])
    frame = pd.DataFrame({"period": periods, "position": pos, "f_stat": F, "months_from_intervention": months_from})
    return SupFResult(sup_f=float(F[i_max]), break_period=periods[i_max], p_value=p, critical_values=crit,
                      null=null, n_sim=int(n_sim), trim=trim, n=n, f_at_intervention=f_iv,
                      months_from_intervention=dist_iv, frame=frame)


@dataclass(frozen=True)
class BreaksResult:
    """Multiple breaks. `frame`: one row per number of breaks m = 0..max_breaks with columns m, breakpoints
    (tuple of pd.Period: first month of each new regime), rss, bic, selected (bool).
    `segments`: one row per regime of the selected partition with columns segment, start, end (pd.Period),
    n, intercept, slope (per-segment OLS, slope per month, intercept at the segment's first month), mean."""

    n_breaks: int
    breakpoints: tuple[pd.Period, ...]
    frame: pd.DataFrame
    segments: pd.DataFrame
    min_size: int
    nearest_to_intervention: float  # months between the intervention and the nearest selected break (NaN if none)


def multiple_breaks(y: pd.Series, interventions: Mapping[str, pd.Period | str] | None = None, *,
                    max_breaks: int = 5, trim: float = 0.15, transform: str = "none") -> BreaksResult:
    """Bai-Perron partitions of y ~ 1 + t with m = 0..max_breaks breaks, minimum segment length
    h = floor(trim n), chosen by BIC; exact dynamic programme (ruptures.Dynp, model "linear")."""
    y = as_monthly(y)
    v = _transform(y, transform)
    n = len(v)
    h = int(np.floor(trim * n))
    if h < 3:
        raise ValueError(f"minimum segment of {h} months is too short; use a longer window or a larger trim")
    max_breaks = min(max_breaks, n // h - 1)
    t = np.arange(n, dtype=float)
    X = np.column_stack([np.ones(n), t])
    algo = rpt.Dynp(model="linear", min_size=h, jump=1).fit(np.column_stack([v, X]))
    k = X.shape[1]
    recs = []
    for m in range(0, max_breaks + 1):
        bk = [n] if m == 0 else list(algo.predict(n_bkps=m))
        edges = [0, *bk]
        rss = 0.0
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            r = v[a:b] - X[a:b] @ np.linalg.lstsq(X[a:b], v[a:b], rcond=None)[0]
            rss += float(r @ r)
        llf = -0.5 * n * (np.log(2 * np.pi) + np.log(rss / n) + 1.0)
        bic = -2 * llf + (k + 1) * (m + 1) * np.log(n)
        recs.append({"m": m, "positions": tuple(bk[:-1]), "rss": rss, "bic": bic})
    frame = pd.DataFrame(recs)
    best = int(frame["bic"].idxmin())
    frame["selected"] = frame.index == best
    frame["breakpoints"] = [tuple(y.index[list(p)]) for p in frame["positions"]]
    sel = frame.loc[best, "positions"]
    edges = [0, *sel, n]
    segs = []
    for i, (a, b) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        tt = np.arange(b - a, dtype=float)
        coef = np.polyfit(tt, v[a:b], 1)
        segs.append({"segment": i, "start": y.index[a], "end": y.index[b - 1], "n": b - a,
                     "intercept": float(coef[1]), "slope": float(coef[0]), "mean": float(v[a:b].mean())})
    near = float("nan")
    if interventions and sel:
        first = next(iter(parse_interventions(interventions, y.index).values()))
        d = np.array([y.index[p].ordinal - first.ordinal for p in sel])
        near = float(d[np.argmin(np.abs(d))])
    return BreaksResult(n_breaks=int(frame.loc[best, "m"]), breakpoints=tuple(frame.loc[best, "breakpoints"]),
                        frame=frame[["m", "breakpoints", "positions", "rss", "bic", "selected"]],
                        segments=pd.DataFrame(segs), min_size=h, nearest_to_intervention=near)
