"""`fit_its`: one entry point for every single-series ITS model."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from externalize.models.arima import fit_arima
from externalize.models.counts import COUNT_MODELS, fit_count
from externalize.models.design import as_monthly, build_design
from externalize.models.results import ITSResult
from externalize.models.segmented import fit_gls_ar, fit_ols_hac

MODELS = ("ols_hac", "gls_ar", "arima", *COUNT_MODELS)


def fit_its(y: pd.Series, interventions: Mapping[str, pd.Period | str], model: str = "ols_hac", *,
            seasonality: int = 0, offset: pd.Series | None = None, washout: int = 0, min_pre: int = 8,
            hac_maxlags: int | None = None, ar_order: int = 1, alpha: float = 0.05,
            robust: str | None = None, impact: str | Mapping[str, str] = "level_slope", ma_order: int = 0,
            seasonal_order: tuple[int, int, int, int] | None = None, gls_method: str = "ML") -> ITSResult:
    """Fit a segmented interrupted-time-series model to a monthly series.

    y: monthly series (PeriodIndex freq "M", or DatetimeIndex of months), contiguous, no missing values.
    interventions: name -> first treated month ("2014-08", "2014-08-08" or a Period).
    model: "ols_hac" | "gls_ar" | "arima" | "poisson" | "quasipoisson" | "negbin".
    seasonality: number of Fourier pairs (period 12) on the calendar month.
    offset: exposure series for count models (log taken inside; values > 0).
    washout: months [start, start + washout) of the first intervention left out of the fit (kept for prediction).
    min_pre: minimum number of months before the first intervention.
    hac_maxlags: Newey-West lag (ols_hac, and count models with robust="hac"); None -> floor(4(n/100)^(2/9)).
    ar_order: AR order for gls_ar / arima; ma_order, seasonal_order: arima only.
    gls_method: "ML" (default, nlme method="ML") or "REML" (less biased AR parameters in short series).
    alpha: level of the intervals the result's methods report when called without alpha (default 0.05).
    robust: "hac" for a Newey-West sandwich on count models.
    impact: "level_slope" (default), "level" (step only) or "slope" (trend change only), or a mapping
        intervention name -> one of those.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    if not 0.0 < alpha < 1.0:
        raise ValueError("alpha must be in (0, 1)")
    y = as_monthly(y)
    if (y.to_numpy() == 0).all():
        raise ValueError("y is zero in every month: there is nothing to model")
    design = build_design(y.index, interventions, seasonality=seasonality, washout=washout, min_pre=min_pre,
                          impact=impact)
    if model not in COUNT_MODELS:
        if offset is not None:
            raise ValueError(f"offset applies to count models; for {model} model the rate (y / exposure) instead")
        if robust is not None:
            raise ValueError(f"robust= applies to count models; {model} has its own covariance")
    if model == "ols_hac":
        res = fit_ols_hac(y, design, hac_maxlags=hac_maxlags)
    elif model == "gls_ar":
        res = fit_gls_ar(y, design, ar_order=ar_order, method=gls_method)
    elif model == "arima":
        res = fit_arima(y, design, ar_order=ar_order, ma_order=ma_order, seasonal_order=seasonal_order)
    else:
        res = fit_count(y, design, model, offset=offset, robust=robust, hac_maxlags=hac_maxlags)
    res.alpha = alpha
    return res
