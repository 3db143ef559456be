"""Regression with ARMA errors (Box & Tiao 1975 intervention analysis) via statsmodels SARIMAX.

The step (`level_<name>`) and ramp (`slope_<name>`) regressors of the segmented design enter as exogenous
terms; the errors follow ARMA(p, q) (optionally seasonal). Estimation is exact Gaussian ML by the Kalman
filter. SARIMAX can stop at a worse local optimum, so the fit is run from several starting values (default
start, OLS coefficients with white-noise errors, OLS coefficients with Yule-Walker AR terms, and AR terms
at +/-0.5) and the one with the highest log-likelihood is kept; the spread of log-likelihoods is reported.
Standard errors use the observed information matrix (`cov_type="oim"`), normal inference.
Washout months are set to missing, which the Kalman filter handles exactly.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.statespace.sarimax import SARIMAX

from externalize.models.design import Design, yule_walker_ar
from externalize.models.results import ITSResult, residual_checks, single_series_result


def fit_arima(y: pd.Series, design: Design, *, ar_order: int = 1, ma_order: int = 0,
              seasonal_order: tuple[int, int, int, int] | None = None) -> ITSResult:
    if ar_order < 0 or ma_order < 0:
        raise ValueError("ARMA orders must be >= 0")
    mask = design.fit_mask
    endog = pd.Series(np.where(mask, y.to_numpy(dtype=float), np.nan))
    exog = design.X.reset_index(drop=True)
    sorder = seasonal_order if seasonal_order is not None else (0, 0, 0, 0)
    mod = SARIMAX(endog, exog=exog, order=(ar_order, 0, ma_order), seasonal_order=sorder, trend="n")
    beta = np.linalg.lstsq(exog.to_numpy()[mask], endog.to_numpy()[mask], rcond=None)[0]
    resid = endog.to_numpy()[mask] - exog.to_numpy()[mask] @ beta
    s2 = float(resid.var())
    n_arma = len(mod.param_names) - exog.shape[1] - 1  # everything between betas and sigma2
    starts: list[tuple[str, np.ndarray | None]] = [("default", None)]
    starts.append(("ols_white_noise", np.r_[beta, np.zeros(n_arma), s2]))
    if ar_order:
        phi = yule_walker_ar(resid, ar_order)
        phi = np.clip(phi, -0.9, 0.9)
        starts.append(("ols_yule_walker", np.r_[beta, phi, np.zeros(n_arma - ar_order), s2]))
        for v in (0.5, -0.5):
            arv = np.zeros(ar_order)
            arv[0] = v
            starts.append((f"ar1={v:+.1f}", np.r_[beta, arv, np.zeros(n_arma - ar_order), s2]))
    fits = []
    for label, sp in starts:
        with warnings.catch_warnings():
            # non-convergence and non-stationary starting values are expected from some starts: each start's
            # convergence flag is recorded and only the best log-likelihood is kept
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.filterwarnings("ignore", message=".*[Nn]on-stationary starting.*", category=UserWarning)
            warnings.filterwarnings("ignore", message=".*[Nn]on-invertible starting.*", category=UserWarning)
            try:
                res = mod.fit(start_params=sp, cov_type="oim", disp=False, maxiter=1000, method="lbfgs")
            except (np.linalg.LinAlgError, ValueError):
                continue
        if np.isfinite(res.llf):
            fits.append((label, res))
    if not fits:
        raise RuntimeError("SARIMAX failed from every starting value")
    # best log-likelihood; ties broken by start order so the choice is deterministic
    order = sorted(range(len(fits)), key=lambda i: (-round(fits[i][1].llf, 8), i))
    label, res = fits[order[0]]
    llfs = [f[1].llf for f in fits]
    names = list(res.params.index)
    params = pd.Series(np.asarray(res.params), index=names)
    cov = pd.DataFrame(np.asarray(res.cov_params()), index=names, columns=names)
    n = int(mask.sum())
    converged = bool(res.mle_retvals.get("converged", True)) if res.mle_retvals else True
    spread = max(llfs) - min(llfs)
    notes = (f"{len(fits)} starting values, best from '{label}' (llf {res.llf:.4f}; "
             f"llf range across starts {spread:.4f})")
    innov = np.asarray(res.resid)[mask][max(ar_order, 1):]  # the first innovations carry the initial state
    stats_ = {"n": n, "n_params": len(names), "aic": float(res.aic), "bic": float(res.bic),
              "llf": float(res.llf), "dispersion": float(res.params.get("sigma2", np.nan)),
              "cov_type": "OIM (observed information)", "hac_maxlags": np.nan, **residual_checks(innov),
              "converged": converged, "notes": notes, "n_starts": len(fits), "llf_spread": spread}
    header = [f"Regression with ARMA({ar_order},{ma_order}) errors"
              + (f" x seasonal{sorder}" if seasonal_order else "") + " (Box-Tiao step = level_, ramp = slope_); "
              "exact ML (Kalman filter), OIM standard errors", notes]
    return single_series_result(model="arima", design=design, y=y, raw=res, params=params, cov=cov,
                                use_t=False, df_resid=np.inf, link="identity", offset=None,
                                stats_=stats_, header=header)
