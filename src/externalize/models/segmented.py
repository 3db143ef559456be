"""Segmented regression for a continuous monthly outcome.

* `ols_hac`: OLS with Newey-West HAC standard errors in the Stata `newey` convention: Bartlett kernel,
  lag L (default floor(4 (n/100)^(2/9)), Newey & West 1994), small-sample factor n/(n-k), t(n-k) inference.
  Identical to statsmodels `cov_type="HAC", cov_kwds={"maxlags": L, "use_correction": True}, use_t=True` and to
  R `sandwich::NeweyWest(fit, lag=L, prewhite=FALSE, adjust=TRUE)`.
* `gls_ar`: regression with AR(p) errors by exact Gaussian maximum likelihood (the full AR(p) correlation
  matrix, first observations kept; for p = 1 this is the Prais-Winsten transform at the ML rho, not
  statsmodels' GLSAR, which is iterated Cochrane-Orcutt and drops the first observation). Matches R
  `nlme::gls(correlation = corARMA(p = p), method = "ML")`: coefficient covariance
  sigma^2_ML n/(n-k) (X' R^-1 X)^-1 conditional on the AR parameters (summary.gls), t(n-k) inference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import linalg, optimize
from statsmodels.tsa.arima_process import arma_acf
from statsmodels.tsa.statespace.tools import constrain_stationary_univariate, unconstrain_stationary_univariate

from externalize.errors import ModelSpecError
from externalize.models.design import Design, hac_lag_rule, yule_walker_ar
from externalize.models.results import ITSResult, residual_checks, single_series_result

NW_CONVENTION = ("Newey-West HAC: Bartlett kernel, lag {L} ({rule}), small-sample factor n/(n-k), t(n-k) "
                 "inference (Stata newey; R NeweyWest(lag={L}, prewhite=FALSE, adjust=TRUE))")
NW_CONVENTION_NOADJ = ("Newey-West HAC: Bartlett kernel, lag {L} ({rule}), no small-sample factor, t(n-k) inference "
                       "(R NeweyWest(lag={L}, prewhite=FALSE, adjust=FALSE))")


def fit_ols_hac(y: pd.Series, design: Design, *, hac_maxlags: int | None = None,
                hac_small_sample: bool = True) -> ITSResult:
    """OLS with Newey-West standard errors (see the module docstring). `hac_small_sample=False` drops the
    n/(n-k) factor (R NeweyWest adjust=FALSE) and uses normal inference (Stata newey's t is kept only with
    the factor, R coeftest(df=Inf) convention otherwise)."""
    mask = design.fit_mask
    yf = y.to_numpy(dtype=float)[mask]
    Xf = design.X.reset_index(drop=True).loc[mask]
    n = len(yf)
    lag = hac_lag_rule(n) if hac_maxlags is None else int(hac_maxlags)
    if lag < 0:
        raise ModelSpecError("hac_maxlags must be >= 0")
    rule = "Newey-West 1994 rule floor(4(n/100)^(2/9))" if hac_maxlags is None else "set by the user"
    res = sm.OLS(yf, Xf).fit(cov_type="HAC", cov_kwds={"maxlags": lag, "use_correction": bool(hac_small_sample)},
                             use_t=True)
    params = pd.Series(np.asarray(res.params), index=Xf.columns)
    cov = pd.DataFrame(np.asarray(res.cov_params()), index=Xf.columns, columns=Xf.columns)
    notes = "washout months dropped and the remaining months treated as consecutive" if (~mask).any() else ""
    stats_ = {"n": n, "n_params": Xf.shape[1], "aic": float(res.aic), "bic": float(res.bic),
              "llf": float(res.llf), "dispersion": float(res.scale), "cov_type": "HAC (Newey-West, Bartlett)",
              "hac_maxlags": lag, **residual_checks(np.asarray(res.resid)), "converged": True, "notes": notes}
    header = [NW_CONVENTION.format(L=lag, rule=rule) if hac_small_sample else
              NW_CONVENTION_NOADJ.format(L=lag, rule=rule)]
    stats_["hac_small_sample"] = bool(hac_small_sample)
    return single_series_result(model="ols_hac", design=design, y=y, raw=res, params=params, cov=cov,
                                use_t=True, df_resid=res.df_resid, link="identity", offset=None,
                                stats_=stats_, header=header)


def _ar_corr(phi: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Correlation matrix of a stationary AR(p) process observed at integer `times` (gaps allowed)."""
    span = int(times.max() - times.min()) + 1
    acf = arma_acf(np.r_[1.0, -phi], np.array([1.0]), lags=span)
    lags = np.abs(times[:, None] - times[None, :]).astype(int)
    return acf[lags]


def ar1_whiten(phi: float, Z: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, float]:
    """Prais-Winsten transform of the rows of `Z` for a stationary AR(1) with unit marginal variance observed at
    integer `times` (gaps allowed, e.g. washout periods): row 1 unchanged, row i -> (z_i - phi^d z_{i-1}) /
    sqrt(1 - phi^(2d)) with d = t_i - t_{i-1}. This is L^-1 Z for the Cholesky factor L of the AR(1)
    correlation matrix (the process is Markov), computed in O(n); returns it with log det R =
    sum_i log(1 - phi^(2 d_i))."""
    gaps = np.diff(times)
    r = phi ** gaps
    v = 1.0 - r * r
    if (v <= 0).any():
        raise ValueError("AR(1) parameter on or outside the unit circle")
    Z = np.asarray(Z, dtype=float)
    out = np.empty_like(Z)
    out[0] = Z[0]
    sd = np.sqrt(v)
    if Z.ndim == 1:
        out[1:] = (Z[1:] - r * Z[:-1]) / sd
    else:
        out[1:] = (Z[1:] - r[:, None] * Z[:-1]) / sd[:, None]
    return out, float(np.log(v).sum())


def _profile(phi: np.ndarray, y: np.ndarray, X: np.ndarray, times: np.ndarray, reml: bool = False,
             dense: bool = False) -> dict:
    """Profile (restricted) log-likelihood at AR parameters `phi`, beta and sigma^2 concentrated out.
    AR(1) uses the O(n) Prais-Winsten whitening (`ar1_whiten`); AR(p > 1), or `dense=True`, the Cholesky
    factor of the full n x n correlation matrix (equal to 1e-8 for AR(1), tested)."""
    if len(phi) == 1 and not dense:
        yw, logdet_r = ar1_whiten(float(phi[0]), y, times)
        Xw, _ = ar1_whiten(float(phi[0]), X, times)
        R = None
    else:
        R = _ar_corr(phi, times)
        C = linalg.cholesky(R, lower=True)
        yw = linalg.solve_triangular(C, y, lower=True)
        Xw = linalg.solve_triangular(C, X, lower=True)
        logdet_r = 2.0 * float(np.log(np.diag(C)).sum())
    beta, *_ = np.linalg.lstsq(Xw, yw, rcond=None)
    ew = yw - Xw @ beta
    n, k = X.shape
    if reml:
        # restricted likelihood (Harville 1974), the nlme "REML" criterion
        s2 = float(ew @ ew) / (n - k)
        _, logdet_xtx = np.linalg.slogdet(Xw.T @ Xw)
        llf = -0.5 * ((n - k) * (np.log(2 * np.pi) + np.log(s2) + 1.0) + logdet_r + logdet_xtx)
    else:
        s2 = float(ew @ ew) / n
        llf = -0.5 * n * (np.log(2 * np.pi) + np.log(s2) + 1.0) - 0.5 * logdet_r
    return {"R": R, "beta": beta, "s2": s2, "llf": llf, "ew": ew, "Xw": Xw}


def fit_gls_ar(y: pd.Series, design: Design, *, ar_order: int = 1, gls_method: str = "ML") -> ITSResult:
    """Regression with AR(p) errors by exact Gaussian ML or REML (see the module docstring). A fit whose AR(1)
    parameter ends on the search bound (|phi| >= 0.999: a unit root, not a stationary AR) is flagged
    converged=False with a note; use arima with diff_order=1 instead."""
    method = gls_method
    if method not in ("ML", "REML"):
        raise ModelSpecError("gls method must be 'ML' or 'REML'")
    reml = method == "REML"
    if ar_order < 1:
        raise ModelSpecError("ar_order must be >= 1 for gls_ar (use ols_hac for no AR errors)")
    mask = design.fit_mask
    yf = y.to_numpy(dtype=float)[mask]
    Xdf = design.X.reset_index(drop=True).loc[mask]
    X = Xdf.to_numpy()
    times = np.flatnonzero(mask).astype(float)
    n, k = X.shape

    def negllf_phi(phi: np.ndarray) -> float:
        try:
            return -_profile(phi, yf, X, times, reml)["llf"]
        except (linalg.LinAlgError, ValueError):
            return np.inf

    if ar_order == 1:
        # one parameter: coarse grid over (-1, 1) to find the basin, then bounded Brent inside it
        grid = np.linspace(-0.95, 0.95, 39)
        vals = [negllf_phi(np.array([g])) for g in grid]
        j = int(np.argmin(vals))
        lo_b, hi_b = max(-0.999, grid[j] - 0.05), min(0.999, grid[j] + 0.05)
        opt1 = optimize.minimize_scalar(lambda v: negllf_phi(np.array([v])), bounds=(lo_b, hi_b),
                                        method="bounded", options={"xatol": 1e-10})
        phi = np.array([float(opt1.x)])
        converged = bool(opt1.success)
        boundary = abs(float(opt1.x)) > 0.998
    else:
        # several AR parameters: optimise in the unconstrained (stationary) parameterisation from white noise
        # and from Yule-Walker on the OLS residuals; the best optimum is kept
        ols_resid = yf - X @ np.linalg.lstsq(X, yf, rcond=None)[0]
        starts = [np.zeros(ar_order)]
        try:
            starts.append(unconstrain_stationary_univariate(np.clip(yule_walker_ar(ols_resid, ar_order),
                                                                    -0.95, 0.95)))
        except (ValueError, np.linalg.LinAlgError):
            pass
        opts = [optimize.minimize(lambda u: negllf_phi(constrain_stationary_univariate(u)), u0, method="BFGS",
                                  options={"gtol": 1e-8, "maxiter": 2000}) for u0 in starts]
        best = min(opts, key=lambda o: o.fun)
        phi = constrain_stationary_univariate(best.x)
        converged = bool(best.success)
        boundary = bool(np.abs(np.roots(np.r_[1.0, -phi])).max() > 0.998) if ar_order else False
    prof = _profile(phi, yf, X, times, reml)
    # statsmodels GLS at the estimated correlation with the scale held at the nlme value: summary.gls uses
    # RSS/(n-k) for the coefficient covariance under both ML and REML
    scale = prof["s2"] * n / (n - k) if not reml else prof["s2"]
    R = prof["R"] if prof["R"] is not None else _ar_corr(phi, times)
    raw = sm.GLS(yf, Xdf, sigma=R).fit(cov_type="fixed scale", cov_kwds={"scale": scale}, use_t=True)
    params = pd.Series(np.asarray(raw.params), index=Xdf.columns)
    cov = pd.DataFrame(np.asarray(raw.cov_params()), index=Xdf.columns, columns=Xdf.columns)
    llf = prof["llf"]
    n_par = k + ar_order + 1
    phis = ", ".join(f"phi{i + 1} = {v:.4f}" for i, v in enumerate(phi))
    stats_ = {"n": n, "n_params": n_par, "aic": -2 * llf + 2 * n_par, "bic": -2 * llf + np.log(n) * n_par,
              "llf": llf, "dispersion": prof["s2"], "cov_type": f"GLS AR({ar_order}), exact {method}",
              "hac_maxlags": np.nan,
              **residual_checks(prof["ew"] / np.sqrt(prof["s2"])),
              "converged": converged and not boundary,
              "notes": f"AR parameters: {phis}; sigma^2 ({method}) = {prof['s2']:.6g}"
              + ("; llf is the restricted log-likelihood" if reml else "")
              + ("; AR parameters at the unit-root boundary: not a stationary AR fit, difference the series "
                 "(arima with diff_order=1)" if boundary else ""),
              "ar_params": " ".join(f"{v:.6g}" for v in phi)}
    header = [(f"Regression with AR({ar_order}) errors, exact Gaussian {method} (first observations kept; "
              f"nlme::gls corARMA {method} convention); {phis}"),
              "Residual checks use the whitened (decorrelated) residuals",
              ("The statsmodels table below is the GLS fit at the estimated AR parameters: its coefficients and "
              "standard errors are this model's, but its log-likelihood / AIC treat the AR parameters as known; "
              "use the values above")]
    return single_series_result(model="gls_ar", design=design, y=y, raw=raw, params=params, cov=cov,
                                use_t=True, df_resid=n - k, link="identity", offset=None,
                                stats_=stats_, header=header)
