"""Prais-Winsten and Cochrane-Orcutt feasible GLS for AR(1) errors (Stata `prais`, `prais, corc`).

Algorithm (Stata `prais` with its default `rhotype(regress)`; Prais & Winsten 1954, Cochrane & Orcutt 1949;
Judge et al. 1985, The Theory and Practice of Econometrics, 8.2):
1. OLS of y on X; residuals e.
2. rho = sum_t e_t e_{t-1} / sum_t e_{t-1}^2 (regression of e_t on e_{t-1} without constant).
3. Transform y and X: row t >= 2 -> z_t - rho z_{t-1}; row 1 -> sqrt(1 - rho^2) z_1 (Prais-Winsten) or
   dropped (Cochrane-Orcutt). OLS on the transformed rows gives beta; e = y - X beta on the original scale.
4. Repeat 2-3 until rho changes by less than 1e-10 (at most 1000 iterations), or stop after one update
   (`twostep=True`, Stata `twostep`).
Covariance: OLS on the transformed rows, sigma^2 = RSS* / (n* - k) with n* = n (PW) or n - 1 (CO), t(n* - k)
inference, as Stata reports it. At a given rho the PW estimate equals GLS with AR(1) correlation rho (tested).
This is a two-step estimator beside `gls_ar`, which maximises the exact likelihood over rho.
Washout periods are refused: the transform needs consecutive periods.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from externalize.errors import FitError, ModelSpecError
from externalize.models.design import Design
from externalize.models.results import ITSResult, residual_checks, single_series_result

RHO_TOL = 1e-10
MAX_ITER = 1000


def _transform(Z: np.ndarray, rho: float, corc: bool) -> np.ndarray:
    out = Z[1:] - rho * Z[:-1]
    if corc:
        return out
    return np.concatenate([np.sqrt(1.0 - rho * rho) * Z[:1], out])


def _rho(e: np.ndarray) -> float:
    return float(e[1:] @ e[:-1] / (e[:-1] @ e[:-1]))


def prais_winsten(y: np.ndarray, X: np.ndarray, *, corc: bool = False, twostep: bool = False
                  ) -> tuple[float, np.ndarray, int, bool]:
    """rho, beta, number of rho updates and convergence flag of the (iterated) Prais-Winsten or
    Cochrane-Orcutt estimator; arrays (n,), (n, k). FitError when rho leaves (-1, 1)."""
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    rho_old = np.inf
    it = 0
    converged = False
    while it < (1 if twostep else MAX_ITER):
        rho = _rho(y - X @ beta)
        if not -1.0 < rho < 1.0:
            raise FitError(f"Prais-Winsten: estimated rho = {rho:.4f} is outside (-1, 1); the errors look "
                           "non-stationary: difference the series (arima with diff_order=1)")
        it += 1
        beta = np.linalg.lstsq(_transform(X, rho, corc), _transform(y, rho, corc), rcond=None)[0]
        if abs(rho - rho_old) < RHO_TOL:
            converged = True
            break
        rho_old = rho
    if twostep:
        converged = True
    return rho, beta, it, converged


def fit_prais(y: pd.Series, design: Design, *, corc: bool = False, twostep: bool = False) -> ITSResult:
    """Prais-Winsten (corc=False) or Cochrane-Orcutt (corc=True) fit of the segmented design; see the
    module docstring."""
    name = "cochrane_orcutt" if corc else "prais"
    if not design.fit_mask.all():
        raise ModelSpecError(f"{name} needs consecutive periods: use washout=0 (or gls_ar, which handles gaps)")
    yv = y.to_numpy(dtype=float)
    X = design.X.to_numpy(dtype=float)
    rho, _, it, converged = prais_winsten(yv, X, corc=corc, twostep=twostep)
    ys, Xs = _transform(yv, rho, corc), _transform(X, rho, corc)
    raw = sm.OLS(ys, pd.DataFrame(Xs, columns=design.X.columns)).fit(use_t=True)
    params = pd.Series(np.asarray(raw.params), index=design.X.columns)
    cov = pd.DataFrame(np.asarray(raw.cov_params()), index=design.X.columns, columns=design.X.columns)
    label = "Cochrane-Orcutt" if corc else "Prais-Winsten"
    how = "two-step" if twostep else f"iterated ({it} rho updates)"
    n, k = Xs.shape
    stats_ = {"n": n, "n_params": k + 1, "aic": np.nan, "bic": np.nan, "llf": np.nan,
              "dispersion": float(raw.scale), "cov_type": f"{label} FGLS, OLS on the transformed rows",
              "hac_maxlags": np.nan, **residual_checks(np.asarray(raw.resid)), "converged": converged,
              "notes": f"{label} AR(1), {how}: rho = {rho:.6f}" + ("" if converged else "; rho did not converge"),
              "ar_params": f"{rho:.10g}", "rho_iterations": it}
    header = [(f"{label} AR(1) FGLS, {how}, rho = {rho:.6f} (Stata prais{', corc' if corc else ''}; "
              "rhotype(regress)); t(n* - k) inference on the transformed regression")]
    return single_series_result(model=name, design=design, y=y, raw=raw, params=params, cov=cov, use_t=True,
                                df_resid=float(raw.df_resid), link="identity", offset=None, stats_=stats_,
                                header=header)
