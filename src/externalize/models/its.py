"""`fit_its`: one entry point for every single-series ITS model, dispatching through the model registry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from externalize.errors import ModelSpecError
from externalize.models.design import as_regular, build_design
from externalize.models.registry import MODELS, REGISTRY, validate_model
from externalize.models.results import ITSResult

__all__ = ["MODELS", "REGISTRY", "fit_its"]

#: options every model may receive and ignore (kept so one call can loop over models, e.g. a study's
#: hac_maxlags setting); any other model-specific option given to a model that does not take it is refused
_SHARED_LENIENT = frozenset({"hac_maxlags"})


def fit_its(y: pd.Series, interventions: Mapping[str, pd.Period | str], model: str = "ols_hac", *,
            seasonality: int = 0, offset: pd.Series | None = None, washout: int = 0, min_pre: int = 8,
            hac_maxlags: int | None = None, ar_order: int | None = None, alpha: float = 0.05,
            robust: str | None = None, impact: str | Mapping[str, str] = "level_slope",
            ma_order: int | None = None, seasonal_order: tuple[int, int, int, int] | None = None,
            gls_method: str | None = None, trend: bool = True,
            covariates: pd.DataFrame | pd.Series | None = None, slope_start: int = 0,
            inference: str | None = None, hac_small_sample: bool | None = None, diff_order: int | None = None,
            twostep: bool | None = None, ucm_level: str | None = None, **model_options: Any) -> ITSResult:
    """Fit a segmented interrupted-time-series model to a monthly, quarterly or yearly series.

    y: series on a PeriodIndex of freq "M", "Q" or "Y" (or a DatetimeIndex), contiguous, no missing values.
    interventions: name -> first treated period ("2014-08", "2014-08-08", "2014" or a Period).
    model: a registry id (`externalize.models.registry.MODELS`): "ols_hac" | "gls_ar" | "prais" |
        "cochrane_orcutt" | "arima" | "ucm" | "poisson" | "quasipoisson" | "negbin".
    seasonality: number of Fourier pairs on the calendar month (period 12) or quarter (period 4).
    offset: exposure series for count models (log taken inside; values > 0).
    washout: periods [start, start + washout) of the first intervention left out of the fit (kept for
        prediction).
    min_pre: minimum number of periods before the first intervention.
    trend: False drops the linear time trend (mean-only model with level shifts).
    covariates: frame of extra regressors on the same periods (e.g. traffic volume, petrol price in the
        Seatbelts analysis); they stay at their observed values in the counterfactual.
    slope_start: slope term in the first treated period: 0 (Stata itsa, default) or 1 (a ramp from 1).
    hac_maxlags: Newey-West lag (ols_hac, and count models with robust="hac"); None -> floor(4(n/100)^(2/9));
        ignored by models without a HAC covariance.
    hac_small_sample: Newey-West small-sample factor n/(n-k) (default True: Stata newey, R NeweyWest
        adjust=TRUE); False is R adjust=FALSE.
    ar_order: AR order for gls_ar / arima (default 1); ma_order, seasonal_order, diff_order (d of ARIMA(p,d,q)):
        arima only.
    gls_method: "ML" (default, nlme method="ML") or "REML" (less biased AR parameters in short series).
    twostep: prais / cochrane_orcutt: stop after one rho update (Stata prais, twostep) instead of iterating.
    ucm_level: ucm only: the trend component ("llevel" local level, default; "lltrend" local linear trend).
    **model_options: options of a model added to the registry later (its `ModelSpec.options`), passed to its
        fit function, so that a new model needs no change here.
    inference: None (the model's own convention), "t" (t with n - k degrees of freedom) or "z" (normal).
    alpha: level of the intervals the result's methods report when called without alpha (default 0.05).
    robust: "hac" for a Newey-West sandwich on count models.
    impact: "level_slope" (default), "level" (step only) or "slope" (trend change only), or a mapping
        intervention name -> one of those.

    Raises ModelSpecError (a bad request: unknown model, option the model does not take, singular design)
    and FitError (a model that is not estimable on these data, e.g. a count series that is 0 on one side of
    an intervention: separation).
    """
    spec = validate_model(model)
    if not 0.0 < alpha < 1.0:
        raise ModelSpecError("alpha must be in (0, 1)")
    if inference not in (None, "t", "z"):
        raise ModelSpecError(f"inference must be None, 't' or 'z', got {inference!r}")
    y = as_regular(y)
    if (y.to_numpy() == 0).all():
        raise ModelSpecError("y is zero in every period: there is nothing to model")
    if seasonality and not spec.takes_seasonality:
        raise ModelSpecError(f"{model} does not take seasonal terms")
    given: dict[str, Any] = {"offset": offset, "robust": robust, "hac_maxlags": hac_maxlags,
                             "ar_order": ar_order, "ma_order": ma_order, "seasonal_order": seasonal_order,
                             "gls_method": gls_method, "hac_small_sample": hac_small_sample,
                             "diff_order": diff_order, "twostep": twostep, "ucm_level": ucm_level}
    given.update(model_options)
    given = {k: v for k, v in given.items() if v is not None}
    refused = sorted(set(given) - spec.options - _SHARED_LENIENT)
    if refused:
        hint = ""
        if "offset" in refused:
            hint = f"; offset applies to count models: for {model} model the rate (y / exposure) instead"
        elif "robust" in refused:
            hint = f"; robust= applies to count models: {model} has its own covariance"
        raise ModelSpecError(f"{model} does not take {', '.join(refused)} (its options: "
                             f"{', '.join(sorted(spec.options)) or 'none'}){hint}")
    options = {k: v for k, v in given.items() if k in spec.options}
    design = build_design(y.index, interventions, seasonality=seasonality, washout=washout, min_pre=min_pre,
                          impact=impact, trend=trend, covariates=covariates, slope_start=slope_start)
    res = spec.fit(y, design, **options)
    res.stats["slope_start"] = slope_start
    if inference is not None:
        res.set_inference(inference == "t")
    res.alpha = alpha
    return res

