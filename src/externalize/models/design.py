"""Design matrices for interrupted time series, shared by every model family.

Segmented-regression parameterisation of Wagner et al. (2002, J Clin Pharm Ther 27:299-309):

    y_t = b0 + b1*time_t + sum_j [ b2j*level_j,t + b3j*slope_j,t ] + covariates + seasonal terms + error

with `time` = 0, 1, 2, ... periods over the window, `level_<name>` = 1 from the intervention period on, and
`slope_<name>` = periods since the intervention period (0 in the intervention period, 1 the period after, ...;
0 before). `level_<name>` is thus the jump in the intervention period and `slope_<name>` the change in the
trend per period. This is Stata `itsa`'s coding (Linden 2015: `_x_t` = `_t` - trperiod, 0 in the first treated
period). `slope_start=1` codes the ramp 1 in the first treated period instead (Schaffer et al. 2021, BMC Med
Res Methodol 21:58; R `ramp <- pmax(0, t - T0 + 1)`); the slope coefficient is unchanged, the level
coefficient becomes the jump one period *before* the first treated period.

Frequencies: monthly (freq "M"), quarterly ("Q") and yearly ("Y") PeriodIndex series. Every length (min_pre,
washout, k in `ITSResult.effect`) counts periods of the series' own frequency. Fourier terms `sin1, cos1, ...`
use the calendar position (month 1..12 with period 12, quarter 1..4 with period 4), as tsModel::harmonic does,
so the seasonal pattern is tied to the calendar rather than to the start of the window; yearly series have none.

Term names are built in ONE place, `term(intervention, kind)`; everything else calls it (or asks a result
`res.term(intervention, "level")`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from externalize.errors import ModelSpecError
from externalize.vocab import term

IMPACTS = ("level_slope", "level", "slope")
Frequency = Literal["M", "Q", "Y"]
#: periods per year of each supported frequency (the Fourier period)
PERIODS_PER_YEAR: dict[str, int] = {"M": 12, "Q": 4, "Y": 1}
#: largest number of Fourier pairs per frequency (more are collinear with the constant or zero)
MAX_SEASONALITY: dict[str, int] = {"M": 6, "Q": 1, "Y": 0}
PERIOD_WORD: dict[str, str] = {"M": "month", "Q": "quarter", "Y": "year"}


def frequency_of(index: pd.PeriodIndex) -> Frequency:
    """"M", "Q" or "Y" for a PeriodIndex of months, quarters (any fiscal end) or years; ModelSpecError else."""
    code = str(index.freqstr).upper()
    if code in ("M", "ME"):
        return "M"
    if code.startswith("Q"):
        return "Q"
    if code.startswith(("Y", "A")):
        return "Y"
    raise ModelSpecError(f"series frequency {index.freqstr!r} is not supported; use monthly (M), quarterly (Q) "
                         "or yearly (Y) periods")


def as_regular(y: pd.Series, name: str = "y") -> pd.Series:
    """Return `y` as a float series on a contiguous PeriodIndex of months, quarters or years; refuse anything
    else (ModelSpecError). A DatetimeIndex is read as months unless its dates are all 3 months apart
    (quarters) or 12 months apart (years)."""
    if not isinstance(y, pd.Series):
        raise ModelSpecError(f"{name} must be a pandas Series with a period index, got {type(y).__name__}")
    idx = y.index
    if isinstance(idx, pd.DatetimeIndex):
        months = np.diff(np.sort(np.asarray(idx.to_period("M").asi8)))
        code = "M"
        if len(months) >= 2 and (months == 3).all():
            code = "Q"
        elif len(months) >= 2 and (months == 12).all():
            code = "Y"
        idx = idx.to_period(code)
    if not isinstance(idx, pd.PeriodIndex):
        raise ModelSpecError(f"{name} must have a PeriodIndex (freq 'M', 'Q' or 'Y') or a DatetimeIndex; "
                             f"got {type(y.index).__name__}")
    freq = frequency_of(idx)
    word = PERIOD_WORD[freq]
    if len(idx) == 0:
        raise ModelSpecError(f"{name} is empty")
    if idx.has_duplicates:
        raise ModelSpecError(f"{name} has duplicated {word}s")
    expected = pd.period_range(idx.min(), idx.max(), freq=idx.freq)
    if len(expected) != len(idx) or not (idx.sort_values() == expected).all():
        raise ModelSpecError(f"{name} is not contiguous: {word}s are missing between {idx.min()} and {idx.max()}")
    out = pd.Series(pd.to_numeric(y.to_numpy(), errors="coerce").astype(float), index=idx, name=y.name)
    out = out.sort_index()
    if out.isna().any():
        bad = ", ".join(str(p) for p in out.index[out.isna().to_numpy()][:5])
        raise ModelSpecError(f"{name} has missing values inside the window ({bad}); "
                             "trim the window to the covered periods instead of filling them")
    return out


def as_monthly(y: pd.Series, name: str = "y") -> pd.Series:
    """Return `y` as a float series on a contiguous monthly PeriodIndex; refuse anything else."""
    out = as_regular(y, name=name)
    if frequency_of(out.index) != "M":
        raise ModelSpecError(f"{name} must have a monthly PeriodIndex (freq 'M') or a DatetimeIndex of months; "
                             f"got freq {out.index.freqstr!r}")
    return out


def parse_interventions(interventions: Mapping[str, pd.Period | str],
                        index: pd.PeriodIndex) -> dict[str, pd.Period]:
    """Name -> first treated period (in the index's frequency), checked to lie strictly inside the window and
    sorted by date."""
    if not interventions:
        raise ModelSpecError("at least one intervention is needed")
    out: dict[str, pd.Period] = {}
    word = PERIOD_WORD[frequency_of(index)]
    for name, when in interventions.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ModelSpecError(f"intervention name {name!r} must be a plain identifier (letters, digits, _)")
        try:
            p = pd.Period(when, freq=index.freq) if not isinstance(when, pd.Period) else when.asfreq(index.freq)
        except (ValueError, TypeError) as exc:
            raise ModelSpecError(f"intervention {name!r}: cannot read {when!r} as a {word}") from exc
        if p <= index[0] or p > index[-1]:
            raise ModelSpecError(f"intervention {name!r} ({p}) is outside the window {index[0]}..{index[-1]}: "
                                 f"it needs at least one {word} before it and must not be after the last {word}")
        out[name] = p
    return dict(sorted(out.items(), key=lambda kv: (kv[1].ordinal, kv[0])))


def hac_lag_rule(n: int) -> int:
    """Newey-West (1994) plug-in lag: floor(4 * (n/100)^(2/9))."""
    return int(math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0)))


@dataclass(frozen=True)
class Design:
    """Everything a fit needs about the regressors. `X` covers every period of the window (prediction);
    `fit_mask` says which rows enter the fit (washout periods are False). Covariate columns stay at their
    observed values in the counterfactual; only `intervention_terms` are switched off."""

    X: pd.DataFrame
    fit_mask: np.ndarray
    interventions: dict[str, pd.Period]
    intervention_terms: tuple[str, ...]
    post: np.ndarray  # any intervention active
    freq: Frequency = "M"
    covariates: tuple[str, ...] = field(default_factory=tuple)
    trend: bool = True
    slope_start: int = 0

    def counterfactual_X(self) -> pd.DataFrame:
        """The same design with every intervention term switched off."""
        Xc = self.X.copy()
        for t in self.intervention_terms:
            if t in Xc.columns:
                Xc[t] = 0.0
        return Xc


def fourier_terms(index: pd.PeriodIndex, k: int) -> pd.DataFrame:
    """k Fourier pairs sin_j, cos_j of the calendar position (month with period 12, quarter with period 4)."""
    freq = frequency_of(index)
    period = PERIODS_PER_YEAR[freq]
    if k > MAX_SEASONALITY[freq]:
        raise ModelSpecError(f"seasonality={k} Fourier pairs is too many for a {PERIOD_WORD[freq]}ly series "
                             f"(at most {MAX_SEASONALITY[freq]})")
    pos = np.asarray(index.month if freq == "M" else index.quarter, dtype=float)
    cols: dict[str, np.ndarray] = {}
    for j in range(1, k + 1):
        cols[f"sin{j}"] = np.sin(2.0 * np.pi * j * pos / period)
        cols[f"cos{j}"] = np.cos(2.0 * np.pi * j * pos / period)
    return pd.DataFrame(cols, index=index)


def align_covariates(covariates: pd.DataFrame | pd.Series | None, index: pd.PeriodIndex,
                     reserved: set[str]) -> pd.DataFrame | None:
    """Covariates as float columns on `index` (same frequency, every period present, no missing values),
    names not clashing with the design's own terms. ModelSpecError otherwise."""
    if covariates is None:
        return None
    cov = covariates.to_frame() if isinstance(covariates, pd.Series) else covariates
    if not isinstance(cov, pd.DataFrame) or cov.shape[1] == 0:
        raise ModelSpecError("covariates must be a DataFrame (one column per covariate) or a named Series")
    cidx = cov.index
    if isinstance(cidx, pd.DatetimeIndex):
        cidx = cidx.to_period(index.freq)
    if not isinstance(cidx, pd.PeriodIndex) or cidx.freq != index.freq:
        raise ModelSpecError(f"covariates need a PeriodIndex with the series' frequency {index.freqstr!r}")
    cov = cov.set_axis(cidx, axis=0)
    names = [str(c) for c in cov.columns]
    clash = sorted(set(names) & reserved)
    if clash:
        raise ModelSpecError(f"covariate names {clash} clash with design terms; rename them")
    if len(set(names)) != len(names):
        raise ModelSpecError("covariate names must be unique")
    missing = index.difference(cidx)
    if len(missing):
        raise ModelSpecError(f"covariates miss {len(missing)} periods of the window (first {missing[0]})")
    out = cov.reindex(index).apply(pd.to_numeric, errors="coerce").astype(float)
    out.columns = names
    if out.isna().any().any():
        bad = out.columns[out.isna().any()].tolist()
        raise ModelSpecError(f"covariates {bad} have missing or non-numeric values inside the window")
    return out


def build_design(index: pd.PeriodIndex, interventions: Mapping[str, pd.Period | str], *,
                 seasonality: int = 0, washout: int = 0, min_pre: int = 8,
                 impact: str | Mapping[str, str] = "level_slope", trend: bool = True,
                 covariates: pd.DataFrame | pd.Series | None = None, slope_start: int = 0) -> Design:
    """Segmented design over `index` (a contiguous PeriodIndex of months, quarters or years).

    `impact` is one of IMPACTS for every intervention, or a mapping name -> impact (missing names get
    "level_slope"). `trend=False` drops the `time` column (a mean-only model with level shifts, e.g. the Nile
    flow break). `covariates`: extra regressors (one column each), kept at their observed values in the
    counterfactual. `slope_start`: 0 (Stata itsa, default) or 1 (ramp starting at 1). Two interventions in
    consecutive periods cannot both have level and slope terms: slope_a = slope_b + level_b exactly, and the
    design is refused as singular (ModelSpecError).
    """
    impacts = dict(impact) if isinstance(impact, Mapping) else None
    for imp in (impacts.values() if impacts is not None else [impact]):
        if imp not in IMPACTS:
            raise ModelSpecError(f"impact must be one of {IMPACTS}, got {imp!r}")
    freq = frequency_of(index)
    word = PERIOD_WORD[freq]
    if seasonality < 0 or seasonality > MAX_SEASONALITY[freq]:
        raise ModelSpecError(f"seasonality is the number of Fourier pairs, 0..{MAX_SEASONALITY[freq]} for "
                             f"{word}ly series")
    if washout < 0:
        raise ModelSpecError(f"washout must be >= 0 {word}s")
    if slope_start not in (0, 1):
        raise ModelSpecError("slope_start must be 0 (Stata itsa coding) or 1 (ramp starting at 1)")
    ivs = parse_interventions(interventions, index)
    first = next(iter(ivs.values()))
    n_pre = int((index < first).sum())
    if n_pre < min_pre:
        raise ModelSpecError(f"pre-intervention period is {n_pre} {word}s ({index[0]}..{first - 1}); "
                             f"at least min_pre={min_pre} are needed to estimate the pre-trend")
    ordinal = np.asarray(index.asi8, dtype=np.int64)
    cols: dict[str, np.ndarray] = {"const": np.ones(len(index))}
    if trend:
        cols["time"] = (ordinal - ordinal[0]).astype(float)
    terms: list[str] = []
    post = np.zeros(len(index), dtype=bool)
    if impacts is not None and set(impacts) - set(ivs):
        raise ModelSpecError(f"impact names {sorted(set(impacts) - set(ivs))} are not interventions")
    for name, p in ivs.items():
        imp = impacts.get(name, "level_slope") if impacts is not None else impact
        since = (ordinal - p.ordinal).astype(float)
        active = since >= 0
        post |= active
        if imp in ("level_slope", "level"):
            cols[term(name, "level")] = active.astype(float)
            terms.append(term(name, "level"))
        if imp in ("level_slope", "slope"):
            cols[term(name, "slope")] = np.where(active, since + slope_start, 0.0)
            terms.append(term(name, "slope"))
    X = pd.DataFrame(cols, index=index)
    if seasonality:
        X = pd.concat([X, fourier_terms(index, seasonality)], axis=1)
    cov = align_covariates(covariates, index, set(X.columns))
    if cov is not None:
        X = pd.concat([X, cov], axis=1)
    fit_mask = np.ones(len(index), dtype=bool)
    if washout:
        start = int(np.searchsorted(ordinal, first.ordinal))
        fit_mask[start:start + washout] = False
        if not fit_mask[start:].any():
            raise ModelSpecError(f"washout of {washout} {word}s leaves no post-intervention {word} in the fit")
    check_rank(X.to_numpy()[fit_mask], list(X.columns))
    return Design(X=X, fit_mask=fit_mask, interventions=ivs, intervention_terms=tuple(terms), post=post,
                  freq=freq, covariates=tuple(cov.columns) if cov is not None else (), trend=trend,
                  slope_start=slope_start)


def check_rank(X: np.ndarray, names: list[str]) -> None:
    """Refuse a rank-deficient design (ModelSpecError), naming the columns involved."""
    n, k = X.shape
    if n <= k:
        raise ModelSpecError(f"design has {k} columns but only {n} fitted periods: not estimable")
    rank = np.linalg.matrix_rank(X)
    if rank < k:
        # columns that are (near) zero or whose removal does not lower the rank are the culprits
        culprits = [nm for j, nm in enumerate(names)
                    if np.linalg.matrix_rank(np.delete(X, j, axis=1)) == rank]
        raise ModelSpecError(f"singular design (rank {rank} < {k} columns); collinear terms: "
                             f"{', '.join(culprits)}. Interventions too close together, a washout covering a "
                             "whole segment, a constant covariate or too many seasonal terms for the window "
                             "are the usual causes")


def yule_walker_ar(resid: np.ndarray, order: int) -> np.ndarray:
    """Yule-Walker AR(order) coefficients of a residual series (starting values for AR-error fits)."""
    from statsmodels.tsa.stattools import acovf, levinson_durbin

    r = np.asarray(resid, dtype=float)
    if len(r) <= order + 1 or np.allclose(r, 0):
        return np.zeros(order)
    return np.asarray(levinson_durbin(acovf(r - r.mean(), fft=False)[: order + 1], nlags=order, isacov=True)[1])
