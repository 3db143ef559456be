"""Is a count (or share) model estimable? Separation checks run before every log- or logit-link fit.

A Poisson, quasi-Poisson or negative-binomial maximum-likelihood estimate does not exist when some
combination of the regressors can push the fitted mean of a set of zero counts to 0 while leaving every
positive count untouched; the textbook case in interrupted time series is a series that is 0 in every period
before (or after) an intervention: the level coefficient runs off to -inf / +inf, IRLS stops at a large
finite value (a rate ratio of 1e10 with p near 1) and reports convergence. The check is the linear program of
Correia, Guimaraes & Zylkin (2021, "Verifying the existence of maximum likelihood estimates for generalized
linear models", Econometrics Journal 24:1; the `ppmlhdfe` separation check) and, for the binomial, of
Albert & Anderson (1984, Biometrika 71:1):

    find z = X d with  z_i = 0 where 0 < y_i < n_i,  z_i <= 0 where y_i = 0,  z_i >= 0 where y_i = n_i,
    maximise the number of rows with z_i != 0 (LP: sum |z_i| with |z_i| <= 1).

Any such z != 0 is a direction of recession of the log-likelihood: the rows with z_i != 0 are separated
and their fitted values sit on the boundary; the MLE does not exist (Poisson-family) or is infinite.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from externalize.errors import FitError

#: a row counts as separated when |z_i| exceeds this on the LP's [-1, 1] scale
SEPARATION_TOL = 1e-7


def separated_rows(X: np.ndarray, y: np.ndarray, trials: np.ndarray | None = None) -> np.ndarray:
    """Boolean mask of the rows separated by the regressors (empty mask of False when the MLE exists).

    X: (n, k) design of the fitted rows; y: (n,) counts >= 0; trials: (n,) binomial totals for a share
    model (None for count models, whose counts have no upper bound)."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, k = X.shape
    scale = np.abs(X).max(axis=0)
    scale[scale == 0] = 1.0
    Xs = X / scale
    low = y <= 0
    high = np.zeros(n, dtype=bool) if trials is None else y >= np.asarray(trials, dtype=float)
    high &= ~low
    inner = ~(low | high)
    if not (low | high).any():
        return np.zeros(n, dtype=bool)
    # variables d (k, free); objective: maximise sum(-z over low) + sum(z over high)
    c = -(-Xs[low].sum(axis=0) + Xs[high].sum(axis=0))
    A_ub = np.vstack([Xs[low], -Xs[low], -Xs[high], Xs[high]])
    b_ub = np.r_[np.zeros(low.sum()), np.ones(low.sum()), np.zeros(high.sum()), np.ones(high.sum())]
    A_eq = Xs[inner] if inner.any() else None
    b_eq = np.zeros(inner.sum()) if inner.any() else None
    lp = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=[(None, None)] * k, method="highs")
    if lp.status != 0 or -lp.fun <= SEPARATION_TOL:
        return np.zeros(n, dtype=bool)
    z = Xs @ lp.x
    return np.abs(z) > SEPARATION_TOL * 10


def describe_rows(periods: pd.Index, mask: np.ndarray, interventions: dict[str, pd.Period]) -> str:
    """Plain words for a set of separated periods: 'every period before iraq (2010-01..2014-07)' when they
    form a whole segment, else the count and the first few periods."""
    sel = periods[mask]
    pos = np.asarray(periods)
    first_iv = next(iter(interventions.items()))
    pre = np.array([p < first_iv[1] for p in pos])
    if pre.any() and mask[pre].all() and not mask[~pre].any():
        return f"every period before {first_iv[0]} ({sel[0]}..{sel[-1]})"
    for name, start in interventions.items():
        after = np.array([p >= start for p in pos])
        if after.any() and mask[after].all() and not mask[~after].any():
            return f"every period from {name} on ({sel[0]}..{sel[-1]})"
    head = ", ".join(str(p) for p in sel[:4])
    return f"{int(mask.sum())} periods ({head}{', ...' if mask.sum() > 4 else ''})"


def check_estimable(X: np.ndarray, y: np.ndarray, periods: pd.Index, interventions: dict[str, pd.Period],
                    model: str, trials: np.ndarray | None = None, what: str = "y",
                    series: np.ndarray | None = None) -> None:
    """Raise FitError when the fit of `model` on (X, y) has no finite MLE, saying which periods are
    separated and what to use instead. `series`: the series label of each row of a stacked fit."""
    mask = separated_rows(X, y, trials)
    if not mask.any():
        return
    if series is None:
        where = describe_rows(periods, mask, interventions)
    else:
        labels = np.asarray(series)
        parts = []
        for s in dict.fromkeys(labels[mask]):
            rows = labels == s
            parts.append(f"series {s}: " + describe_rows(periods[rows], mask[rows], interventions))
        where = "; ".join(parts)
    bound = "0" if trials is None else "0 or equal to its denominator"
    raise FitError(
        f"{model} fit of {what} is not estimable: {what} is {bound} in {where}, which the intervention and "
        "trend terms can fit exactly (separation, Correia et al. 2021), so a level or slope coefficient has no "
        "finite maximum-likelihood estimate and IRLS would report an arbitrary huge rate ratio. Use the exact "
        "conditional post/pre rate ratio instead (externalize.estimates.exact_rate_ratio), or widen the window "
        "/ pool the series so that both sides of the intervention have events")
