"""Structural time-series (unobserved components) model with intervention regressors.

y_t = mu_t + x_t b + e_t, with mu_t a stochastic level (statsmodels `UnobservedComponents`, Harvey 1989):
* `ucm_level="llevel"` (default): local level, mu_t = mu_{t-1} + eta_t; the segmented design's `time`
  column stays a regressor (a deterministic drift), the constant is absorbed by the level;
* `"lltrend"`: local linear trend (stochastic level and slope); `time` is dropped;
* `"rwdrift"`: random walk with drift; `time` is dropped.
The intervention (and covariate, Fourier) columns enter as regressors, exact diffuse ML by the Kalman
filter, OIM standard errors, normal inference. The local level model with regressors is the regression
with ARIMA(0,1,1) errors (MA in [-1, 0]); the tests check this against R `arima(order=c(0,1,1), xreg=)`.
Like a differenced ARIMA, the model has no regression mean in levels: `fitted` is the observed series and
the counterfactual is observed - estimated effect. A variance estimated at 0 is reported in the notes.
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
    endog = np.where(mask, y.to_numpy(dtype=float), np.nan)
    exog = design.X.reset_index(drop=True)
    mod = UnobservedComponents(endog, level=ucm_level, exog=exog)
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
    names = list(res.params.index)
    params = pd.Series(np.asarray(res.params), index=names).rename(
        index={f"beta.{c}": c for c in design.X.columns})
    cov = pd.DataFrame(np.asarray(res.cov_params()), index=params.index, columns=params.index)
    converged = bool(res.mle_retvals.get("converged", True)) if res.mle_retvals else True
    variances = {k: float(v) for k, v in params.items() if str(k).startswith("sigma2")}
    zero = [k for k, v in variances.items() if v < 1e-8 * max(1.0, max(variances.values()))]
    xb = design.X.to_numpy() @ params[list(design.X.columns)].to_numpy()
    offset = y.to_numpy(dtype=float) - xb
    notes = (f"{len(fits)} optimisers, best '{method}' (llf {res.llf:.4f}); variances "
             + ", ".join(f"{k} = {v:.6g}" for k, v in variances.items())
             + (f"; {', '.join(zero)} estimated at 0 (boundary: that component is deterministic)" if zero else ""))
    n = int(mask.sum())
    stats_ = {"n": n, "n_params": len(params), "aic": float(res.aic), "bic": float(res.bic), "llf": float(res.llf),
              "dispersion": variances.get("sigma2.irregular", np.nan), "cov_type": "OIM (observed information)",
              "hac_maxlags": np.nan, **residual_checks(np.asarray(res.resid)[mask][2:]),
              "converged": converged, "notes": notes, "boundary": bool(zero)}
    header = [f"Structural time series ({ucm_level}) with intervention regressors, exact diffuse ML "
              "(statsmodels UnobservedComponents), OIM standard errors", notes]
    return single_series_result(model="ucm", design=design, y=y, raw=res, params=params, cov=cov, use_t=False,
                                df_resid=np.inf, link="identity", offset=offset, stats_=stats_, header=header)
