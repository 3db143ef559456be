"""Interrupted-time-series models: segmented OLS with Newey-West errors, GLS with AR(p) errors, Prais-Winsten /
Cochrane-Orcutt, Box-Tiao ARIMA, structural time series, Poisson / quasi-Poisson / negative binomial counts, comparative (stacked) ITS and a logit model of a
share. Every fit returns an `ITSResult`.

    res = fit_its(y, {"iraq_strikes": "2014-08-08"}, "quasipoisson", seasonality=2, offset=total)
    res.tidy()                      # term, estimate, std_error, statistic, p_value, ci_low, ci_high, ratio...
    res.effect(6)                   # effect 6 months after the intervention month, with its interval
    res.cumulative_effect()         # running sums of fitted - and observed - counterfactual, intervals
    res.counterfactual()            # per month: observed, fitted, counterfactual, intervals, effect
    print(res.summary())
"""

from externalize.models.comparative import fit_comparative, fit_share
from externalize.models.design import term
from externalize.models.its import fit_its
from externalize.models.registry import MODEL_LABELS, MODELS, REGISTRY, ModelId, ModelSpec, validate_model
from externalize.models.results import ITSResult, OverdispersionWarning

__all__ = ["MODELS", "MODEL_LABELS", "REGISTRY", "ITSResult", "ModelId", "ModelSpec", "OverdispersionWarning",
           "fit_comparative", "fit_its", "fit_share", "term", "validate_model"]
