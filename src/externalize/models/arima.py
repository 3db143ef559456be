"""Regression with ARMA errors (Box & Tiao 1975 intervention analysis) via statsmodels SARIMAX.

The step (`level_<name>`) and ramp (`slope_<name>`) regressors of the segmented design enter as exogenous
terms; the errors follow ARMA(p, q) (optionally seasonal). Estimation is exact Gaussian ML by the Kalman
filter. SARIMAX can stop at a worse local optimum, so the fit is run from several starting values (default
start, OLS coefficients with white-noise errors, OLS coefficients with Yule-Walker AR terms, and AR terms
at +/-0.5) and the one with the highest log-likelihood is kept; the spread of log-likelihoods is reported.
Standard errors: inverse of the numerical (complex-step) Hessian of the exact log-likelihood at the optimum
(statsmodels `cov_type="approx"`, R `arima`'s `var.coef`), normal inference.
Washout periods are set to missing, which the Kalman filter handles exactly.

Differencing (`diff_order` d, and D of `seasonal_order`): the model is regression with ARIMA errors, as R's
`forecast::Arima(y, order=c(p,d,q), seasonal=..., xreg=X)` fits it: y and the regressors are differenced
before estimation (`simple_differencing=True`, the first d + sD observations are conditioned on). The
constant is differenced away and dropped when d + D >= 1; the time trend becomes a drift when d + D = 1
(R `include.drift`) and is dropped when d + D >= 2. A differenced model has no regression mean in levels, so
its `fitted` is the observed series and its counterfactual = observed - estimated effect (Box & Tiao 1975);
intervals of those carry the effect's uncertainty.

A fit whose AR or MA polynomial has a root on the unit circle (|root| < 1.01, i.e. a coefficient within 0.01 of +/-1, e.g. a seasonal MA at -1
after over-differencing) is on the parameter boundary: its standard errors are not valid and it is flagged
`converged=False` with a note, never reported as plainly converged.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.statespace.sarimax import SARIMAX

from externalize.errors import FitError, ModelSpecError
from externalize.models.design import Design, yule_walker_ar
from externalize.models.results import ITSResult, residual_checks, single_series_result


def _difference(a: np.ndarray, d: int, D: int, s: int) -> np.ndarray:
    """(1 - B)^d (1 - B^s)^D applied along the first axis (rows lost at the start)."""
    out = np.asarray(a, dtype=float)
    for _ in range(d):
        out = out[1:] - out[:-1]
    for _ in range(D):
        out = out[s:] - out[:-s]
    return out


#: |root| of an AR or MA polynomial below this counts as on the unit circle (parameter boundary)
UNIT_ROOT_TOL = 1.01


def fit_arima(y: pd.Series, design: Design, *, ar_order: int = 1, ma_order: int = 0,
              seasonal_order: tuple[int, int, int, int] | None = None, diff_order: int = 0) -> ITSResult:
    """Regression with (S)ARIMA(p, d, q)(P, D, Q, s) errors; see the module docstring."""
    if ar_order < 0 or ma_order < 0 or diff_order < 0:
        raise ModelSpecError("ARIMA orders must be >= 0")
    if diff_order > 2:
        raise ModelSpecError("diff_order above 2 is not supported")
    sorder = tuple(seasonal_order) if seasonal_order is not None else (0, 0, 0, 0)
    if len(sorder) != 4 or any(int(v) < 0 for v in sorder):
        raise ModelSpecError("seasonal_order is (P, D, Q, s) with non-negative integers")
    n_diff = diff_order + int(sorder[1])
    drop = [c for c, lim in (("const", 1), ("time", 2)) if n_diff >= lim and c in design.X.columns]
    if drop:
        design = replace(design, X=design.X.drop(columns=drop))
    mask = design.fit_mask
    raw_endog = pd.Series(np.where(mask, y.to_numpy(dtype=float), np.nan))
    # fit on y / scale (scale = sd of y): the optimiser stops short on series in the thousands (e.g. the Nile
    # flow); coefficients, covariance and log-likelihood are mapped back to the original scale below
    scale = float(np.nanstd(raw_endog.to_numpy()))
    scale = scale if np.isfinite(scale) and scale > 0 else 1.0
    endog = raw_endog / scale
    exog = design.X.reset_index(drop=True)
    spec = {"exog": exog, "order": (ar_order, diff_order, ma_order), "seasonal_order": sorder, "trend": "n",
            "simple_differencing": n_diff > 0}
    mod = SARIMAX(endog, **spec)
    Xm = _difference(exog.to_numpy()[mask], diff_order, int(sorder[1]), int(sorder[3]))
    ym = _difference(endog.to_numpy()[mask], diff_order, int(sorder[1]), int(sorder[3]))
    n_lost = diff_order + int(sorder[1]) * int(sorder[3])  # observations conditioned on by the differencing
    beta = np.linalg.lstsq(Xm, ym, rcond=None)[0]
    ym = ym / scale
    beta = beta / scale
    resid = ym - Xm @ beta
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
                res = mod.fit(start_params=sp, cov_type="none", disp=False, maxiter=1000, method="lbfgs")
            except (np.linalg.LinAlgError, ValueError):
                continue
        if np.isfinite(res.llf):
            fits.append((label, res))
    if not fits:
        raise FitError("SARIMAX failed from every starting value")
    # best log-likelihood; ties broken by start order so the choice is deterministic
    order = sorted(range(len(fits)), key=lambda i: (-round(fits[i][1].llf, 8), i))
    label, res = fits[order[0]]
    llfs = [f[1].llf for f in fits]
    converged = bool(res.mle_retvals.get("converged", True)) if res.mle_retvals else True
    # polish the best optimum with BFGS at a tight gradient tolerance: L-BFGS-B with numerical gradients stops
    # up to 1e-5 short in log-likelihood on flat ridges (Sicily AR(1): 6e-6 below the exact GLS optimum)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            pol = mod.fit(start_params=res.params, cov_type="none", disp=False, maxiter=2000, method="bfgs",
                          gtol=1e-10)
        except (np.linalg.LinAlgError, ValueError):
            pol = None
    if pol is not None and np.isfinite(pol.llf) and pol.llf > res.llf:
        res = pol
        label += ", polished by BFGS"
    # covariance: numerical (complex-step) Hessian of the exact log-likelihood at the optimum, as R's arima
    # reports it. statsmodels' cov_type="oim" is Harvey's (1989, 3.4.5) information formula, which differs
    # from the Hessian by up to 14% with MA terms (measured on the Seatbelts ARIMA(0,1,1) regression).
    res = mod.smooth(res.params, cov_type="approx")
    names = list(res.params.index)
    factor = np.array([scale if nm in exog.columns else scale ** 2 if nm == "sigma2" else 1.0 for nm in names])
    params = pd.Series(np.asarray(res.params) * factor, index=names)
    cov = pd.DataFrame(np.asarray(res.cov_params()) * np.outer(factor, factor), index=names, columns=names)
    llf = float(SARIMAX(raw_endog, **spec).loglike(params.to_numpy()))
    aic = -2.0 * llf + 2.0 * len(names)
    bic = aic + float(res.bic - res.aic)
    n = int(mask.sum())
    spread = max(llfs) - min(llfs)
    notes = (f"{len(fits)} starting values, best from '{label}' (llf {llf:.4f}; "
             f"llf range across starts {spread:.4f})")
    roots = [np.atleast_1d(r) for r in (res.arroots, res.maroots) if r is not None and np.size(r)]
    min_root = float(min(np.abs(r).min() for r in roots)) if roots else np.inf
    boundary = min_root < UNIT_ROOT_TOL
    if boundary:
        notes += (f"; a root of the AR/MA polynomial is on the unit circle (|root| = {min_root:.4f}): the fit is "
                  "on the parameter boundary (over-differencing, or a seasonal MA at -1), its standard errors "
                  "are not valid; simplify the error model")
    if drop:
        notes += f"; {' and '.join(drop)} dropped (differenced away, d + D = {n_diff})"
    offset = None
    if n_diff:
        # no regression mean in levels: fitted = observed, counterfactual = observed - effect (module docstring)
        xb = design.X.to_numpy() @ params[list(design.X.columns)].to_numpy()
        offset = y.to_numpy(dtype=float) - xb
    innov = np.asarray(res.resid)[mask[n_lost:]][max(ar_order, 1):]  # the first innovations carry the initial state
    stats_ = {"n": n, "n_params": len(names), "aic": aic, "bic": bic,
              "llf": llf, "dispersion": float(params.get("sigma2", np.nan)),
              "cov_type": "observed information (numerical Hessian)", "hac_maxlags": np.nan, **residual_checks(innov),
              "converged": converged and not boundary, "notes": notes, "n_starts": len(fits),
              "llf_spread": spread, "boundary": boundary, "min_root_modulus": min_root}
    header = [f"Regression with ARIMA({ar_order},{diff_order},{ma_order}) errors"
              + (f" x seasonal{sorder}" if seasonal_order else "") + " (Box-Tiao step = level_, ramp = slope_); "
              "exact ML (Kalman filter), standard errors from the numerical Hessian", notes,
              (f"The statsmodels table below is the fit of y / {scale:.6g} (regression coefficients and sqrt(sigma2) "
              "divided by that scale); the estimates above are on the scale of y")]
    return single_series_result(model="arima", design=design, y=y, raw=res, params=params, cov=cov,
                                use_t=False, df_resid=np.inf, link="identity", offset=offset,
                                stats_=stats_, header=header)
