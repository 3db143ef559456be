"""Design matrices for interrupted time series, shared by every model family.

Segmented-regression parameterisation of Wagner et al. (2002, J Clin Pharm Ther 27:299-309):

    y_t = b0 + b1*time_t + sum_j [ b2j*level_j,t + b3j*slope_j,t ] + seasonal terms + error

with `time` = 0, 1, 2, ... over the window, `level_<name>` = 1 from the intervention month on, and
`slope_<name>` = months since the intervention month (0 in the intervention month, 1 the month after, ...;
0 before). `level_<name>` is thus the jump in the intervention month and `slope_<name>` the change in the
monthly trend. Fourier terms `sin1, cos1, ...` use the calendar month (period 12), as tsModel::harmonic
does, so the seasonal pattern is tied to the calendar rather than to the start of the window.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

IMPACTS = ("level_slope", "level", "slope")


def as_monthly(y: pd.Series, name: str = "y") -> pd.Series:
    """Return `y` as a float series on a contiguous monthly PeriodIndex; refuse anything else."""
    if not isinstance(y, pd.Series):
        raise ValueError(f"{name} must be a pandas Series with a monthly index, got {type(y).__name__}")
    idx = y.index
    if isinstance(idx, pd.DatetimeIndex):
        idx = idx.to_period("M")
    if not isinstance(idx, pd.PeriodIndex) or idx.freqstr not in ("M", "ME"):
        raise ValueError(f"{name} must have a monthly PeriodIndex (freq 'M') or a DatetimeIndex of months; "
                         f"got {type(y.index).__name__}")
    if len(idx) == 0:
        raise ValueError(f"{name} is empty")
    if idx.has_duplicates:
        raise ValueError(f"{name} has duplicated months")
    expected = pd.period_range(idx.min(), idx.max(), freq="M")
    if len(expected) != len(idx) or not (idx.sort_values() == expected).all():
        raise ValueError(f"{name} is not contiguous: months are missing between {idx.min()} and {idx.max()}")
    out = pd.Series(pd.to_numeric(y.to_numpy(), errors="coerce").astype(float), index=idx, name=y.name)
    out = out.sort_index()
    if out.isna().any():
        bad = ", ".join(str(p) for p in out.index[out.isna().to_numpy()][:5])
        raise ValueError(f"{name} has missing values inside the window ({bad}); "
                         "trim the window to the covered months instead of filling them")
    return out


def parse_interventions(interventions: Mapping[str, pd.Period | str],
                        index: pd.PeriodIndex) -> dict[str, pd.Period]:
    """Name -> first treated month, checked to lie strictly inside the window and sorted by date."""
    if not interventions:
        raise ValueError("at least one intervention is needed")
    out: dict[str, pd.Period] = {}
    for name, when in interventions.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"intervention name {name!r} must be a plain identifier (letters, digits, _)")
        try:
            p = pd.Period(when, freq="M")
        except (ValueError, TypeError) as exc:
            raise ValueError(f"intervention {name!r}: cannot read {when!r} as a month") from exc
        if p <= index[0] or p > index[-1]:
            raise ValueError(f"intervention {name!r} ({p}) is outside the window {index[0]}..{index[-1]}: "
                             "it needs at least one month before it and must not be after the last month")
        out[name] = p
    return dict(sorted(out.items(), key=lambda kv: (kv[1].ordinal, kv[0])))


def hac_lag_rule(n: int) -> int:
    """Newey-West (1994) plug-in lag: floor(4 * (n/100)^(2/9))."""
    return int(math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0)))


@dataclass(frozen=True)
class Design:
    """Everything a fit needs about the regressors. `X` covers every month of the window (prediction);
    `fit_mask` says which rows enter the fit (washout months are False)."""

    X: pd.DataFrame
    fit_mask: np.ndarray
    interventions: dict[str, pd.Period]
    intervention_terms: tuple[str, ...]
    post: np.ndarray  # any intervention active

    def counterfactual_X(self) -> pd.DataFrame:
        """The same design with every intervention term switched off."""
        Xc = self.X.copy()
        for t in self.intervention_terms:
            if t in Xc.columns:
                Xc[t] = 0.0
        return Xc


def fourier_terms(index: pd.PeriodIndex, k: int) -> pd.DataFrame:
    month = np.asarray(index.month, dtype=float)
    cols: dict[str, np.ndarray] = {}
    for j in range(1, k + 1):
        cols[f"sin{j}"] = np.sin(2.0 * np.pi * j * month / 12.0)
        cols[f"cos{j}"] = np.cos(2.0 * np.pi * j * month / 12.0)
    return pd.DataFrame(cols, index=index)


def build_design(index: pd.PeriodIndex, interventions: Mapping[str, pd.Period | str], *,
                 seasonality: int = 0, washout: int = 0, min_pre: int = 8,
                 impact: str | Mapping[str, str] = "level_slope") -> Design:
    """Segmented design over `index` (a contiguous monthly PeriodIndex).

    `impact` is one of IMPACTS for every intervention, or a mapping name -> impact (missing names get
    "level_slope"). Two interventions in consecutive months cannot both have level and slope terms:
    slope_a = slope_b + level_b exactly, and the design is refused as singular.
    """
    impacts = dict(impact) if isinstance(impact, Mapping) else None
    for imp in (impacts.values() if impacts is not None else [impact]):
        if imp not in IMPACTS:
            raise ValueError(f"impact must be one of {IMPACTS}, got {imp!r}")
    if seasonality < 0 or seasonality > 6:
        raise ValueError("seasonality is the number of Fourier pairs, 0..6")
    if washout < 0:
        raise ValueError("washout must be >= 0 months")
    ivs = parse_interventions(interventions, index)
    first = next(iter(ivs.values()))
    n_pre = int((index < first).sum())
    if n_pre < min_pre:
        raise ValueError(f"pre-intervention period is {n_pre} months ({index[0]}..{first - 1}); "
                         f"at least min_pre={min_pre} are needed to estimate the pre-trend")
    ordinal = np.asarray(index.asi8, dtype=np.int64)
    cols: dict[str, np.ndarray] = {"const": np.ones(len(index)), "time": (ordinal - ordinal[0]).astype(float)}
    terms: list[str] = []
    post = np.zeros(len(index), dtype=bool)
    if impacts is not None and set(impacts) - set(ivs):
        raise ValueError(f"impact names {sorted(set(impacts) - set(ivs))} are not interventions")
    for name, p in ivs.items():
        imp = impacts.get(name, "level_slope") if impacts is not None else impact
        since = (ordinal - p.ordinal).astype(float)
        active = since >= 0
        post |= active
        if imp in ("level_slope", "level"):
            cols[f"level_{name}"] = active.astype(float)
            terms.append(f"level_{name}")
        if imp in ("level_slope", "slope"):
            cols[f"slope_{name}"] = np.where(active, since, 0.0)
            terms.append(f"slope_{name}")
    X = pd.DataFrame(cols, index=index)
    if seasonality:
        X = pd.concat([X, fourier_terms(index, seasonality)], axis=1)
    fit_mask = np.ones(len(index), dtype=bool)
    if washout:
        start = int(np.searchsorted(ordinal, first.ordinal))
        fit_mask[start:start + washout] = False
        if not fit_mask[start:].any():
            raise ValueError(f"washout of {washout} months leaves no post-intervention month in the fit")
    check_rank(X.to_numpy()[fit_mask], list(X.columns))
    return Design(X=X, fit_mask=fit_mask, interventions=ivs, intervention_terms=tuple(terms), post=post)


def check_rank(X: np.ndarray, names: list[str]) -> None:
    """Refuse a rank-deficient design, naming the columns involved."""
    n, k = X.shape
    if n <= k:
        raise ValueError(f"design has {k} columns but only {n} fitted months: not estimable")
    rank = np.linalg.matrix_rank(X)
    if rank < k:
        # columns that are (near) zero or whose removal does not lower the rank are the culprits
        culprits = [nm for j, nm in enumerate(names)
                    if np.linalg.matrix_rank(np.delete(X, j, axis=1)) == rank]
        raise ValueError(f"singular design (rank {rank} < {k} columns); collinear terms: {', '.join(culprits)}. "
                         "Interventions too close together, a washout covering a whole segment, or too many "
                         "seasonal terms for the window are the usual causes")


def yule_walker_ar(resid: np.ndarray, order: int) -> np.ndarray:
    """Yule-Walker AR(order) coefficients of a residual series (starting values for AR-error fits)."""
    from statsmodels.tsa.stattools import acovf, levinson_durbin

    r = np.asarray(resid, dtype=float)
    if len(r) <= order + 1 or np.allclose(r, 0):
        return np.zeros(order)
    return np.asarray(levinson_durbin(acovf(r - r.mean(), fft=False)[: order + 1], nlags=order, isacov=True)[1])
