"""Structural time-series (unobserved components) model with intervention regressors.

y_t = mu_t + x_t b + e_t, with mu_t a stochastic level (statsmodels `UnobservedComponents`, Harvey 1989):
* `ucm_level="llevel"` (default): local level, mu_t = mu_{t-1} + eta_t; the segmented design's `time`
  column stays a regressor (a deterministic drift), the constant is absorbed by the level;
* `"lltrend"`: local linear trend (stochastic level and slope); `time` is dropped;
* `"rwdrift"`: random walk with drift; `time` is dropped.
The intervention (and covariate, Fourier) columns enter as regressors, exact diffuse ML by the Kalman
filter, standard errors from the numerical Hessian of the log-likelihood, normal inference. The local level model with regressors is the regression
with ARIMA(0,1,1) errors (MA in [-1, 0]); the tests check this against R `arima(order=c(0,1,1), xreg=)`.
Like a differenced ARIMA, the model has no regression mean in levels: `fitted` is the observed series and
the counterfactual is observed - estimated effect. A variance estimated at 0 (a deterministic component:
the parameter boundary) is reported in the notes and the fit flagged converged=False.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.statespace.structural import UnobservedComponents

from externalize.errors import FitError, ModelSpecError
from externalize.models.design import Design
from externalize.models.results import ITSResult, residual_checks, single_series_result

UCM_LEVELS = ("llevel", "lltrend", "rwdrift")


def fit_ucm(y: pd.Series, design: Design, *, ucm_level: str = "llevel") -> ITSResult:
    """Unobserved-components fit (see the module docstring)."""
    if ucm_level not in UCM_LEVELS:
        raise ModelSpecError(f"ucm_level must be one of {UCM_LEVELS}, got {ucm_level!r}")
    drop = ["const"] + (["time"] if ucm_level != "llevel" else [])
    design = replace(design, X=design.X.drop(columns=[c for c in drop if c in design.X.columns]))
    if design.X.shape[1] == 0:
        raise ModelSpecError("ucm needs at least one regressor (an intervention term)")
    mask = design.fit_mask
    raw_endog = np.where(mask, y.to_numpy(dtype=float), np.nan)
    # fit y / scale (sd of y) so that the optimiser works on unit-scale variances; mapped back below
    scale = float(np.nanstd(raw_endog))
    scale = scale if np.isfinite(scale) and scale > 0 else 1.0
    exog = design.X.reset_index(drop=True)
    mod = UnobservedComponents(raw_endog / scale, level=ucm_level, exog=exog)
    fits = []
    for method in ("lbfgs", "nm", "bfgs"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            try:
                res = mod.fit(disp=False, method=method, maxiter=2000, cov_type="oim")
            except (np.linalg.LinAlgError, ValueError):
                continue
        if np.isfinite(res.llf):
            fits.append((method, res))
    if not fits:
        raise FitError("UnobservedComponents failed with every optimiser")
    method, res = max(fits, key=lambda f: round(f[1].llf, 8))
    converged = bool(res.mle_retvals.get("converged", True)) if res.mle_retvals else True
    res = mod.smooth(res.params, cov_type="approx")  # numerical Hessian, as for arima
    names = list(res.params.index)
    factor = np.array([scale ** 2 if str(nm).startswith("sigma2") else scale for nm in names])
    params = pd.Series(np.asarray(res.params) * factor, index=names).rename(
        index={f"beta.{c}": c for c in design.X.columns})
    cov = pd.DataFrame(np.asarray(res.cov_params()) * np.outer(factor, factor), index=params.index,
                       columns=params.index)
    llf = float(UnobservedComponents(raw_endog, level=ucm_level, exog=exog).loglike(params.to_numpy()))
    variances = {k: float(v) for k, v in params.items() if str(k).startswith("sigma2")}
    zero = [k for k, v in variances.items() if v < 1e-8 * max(1.0, max(variances.values()))]
    xb = design.X.to_numpy() @ params[list(design.X.columns)].to_numpy()
    offset = y.to_numpy(dtype=float) - xb
    notes = (f"{len(fits)} optimisers, best '{method}' (llf {llf:.4f}); variances "
             + ", ".join(f"{k} = {v:.6g}" for k, v in variances.items())
             + (f"; {', '.join(zero)} estimated at 0 (boundary: that component is deterministic)" if zero else ""))
    n = int(mask.sum())
    aic = -2.0 * llf + 2.0 * len(params)
    stats_ = {"n": n, "n_params": len(params), "aic": aic, "bic": aic + float(res.bic - res.aic), "llf": llf,
              "dispersion": variances.get("sigma2.irregular", np.nan), "cov_type": "observed information (numerical Hessian)",
              "hac_maxlags": np.nan, **residual_checks(np.asarray(res.resid)[mask][2:]),
              "converged": converged and not zero, "notes": notes, "boundary": bool(zero)}
    header = [(f"Structural time series ({ucm_level}) with intervention regressors, exact diffuse ML "
              "(statsmodels UnobservedComponents), standard errors from the numerical Hessian"), notes,
              f"The statsmodels table below is the fit of y / {scale:.6g}; the estimates above are on the scale of y"]
    return single_series_result(model="ucm", design=design, y=y, raw=res, params=params, cov=cov, use_t=False,
                                df_resid=np.inf, link="identity", offset=offset, stats_=stats_, header=header)
