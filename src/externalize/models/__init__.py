"""Interrupted-time-series models: segmented OLS with Newey-West errors, GLS with AR(p) errors, Prais-Winsten /
Cochrane-Orcutt, Box-Tiao ARIMA, structural time series, Poisson / quasi-Poisson / negative binomial counts,
comparative (stacked) ITS and a logit model of a share. Every fit returns an `ITSResult`.

    res = fit_its(y, {"iraq_strikes": "2014-08-08"}, "quasipoisson", seasonality=2, offset=total)
    res.tidy()                      # term, estimate, std_error, statistic, p_value, ci_low, ci_high, ratio...
    res.effect(6)                   # effect 6 months after the intervention month, with its interval
    res.cumulative_effect()         # running sums of fitted - and observed - counterfactual, intervals
    res.counterfactual()            # per month: observed, fitted, counterfactual, intervals, effect
    print(res.summary())
    res.params[res.term("iraq_strikes", "level")]   # term names come from models.design.term, never rebuilt
    res.post_trend(); res.lincom({"level_iraq_strikes": 1, "slope_iraq_strikes": 12})

Model ids, labels and options live in `models.registry` (`REGISTRY`, `MODELS`, `validate_model`). Series
may be monthly, quarterly or yearly; `covariates=`, `trend=False`, `slope_start=1`, `inference="z"`,
`hac_small_sample=False` are options of `fit_its`. Beside it: `pre_period_forecast` (counterfactual from the
pre-period only), `mean_break_test` (strucchange's Fstats(y ~ 1)) and `fit_itsa_panel` (a treated unit
against a pooled control panel, Stata `itsa, treatid() contid()`; `match_controls` is `itsamatch`). Non-estimable fits raise
`externalize.errors.FitError`; bad requests `ModelSpecError`.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from externalize.models.breaktest import MeanBreakTest, mean_break_test
    from externalize.models.comparative import fit_comparative, fit_share
    from externalize.models.forecast import PrePeriodForecast, pre_period_forecast
    from externalize.models.its import fit_its
    from externalize.models.panel import PanelITSResult, fit_itsa_panel, match_controls, panel_from_long
    from externalize.models.registry import MODEL_LABELS, MODELS, REGISTRY, ModelId, ModelSpec, validate_model
    from externalize.models.results import ITSResult, OverdispersionWarning
    from externalize.vocab import term

# Names are imported on first use (PEP 562): `externalize check` and a no-op run read the registry's model ids
# without loading statsmodels.
_HOME = {
    "term": "externalize.vocab",
    "MeanBreakTest": "breaktest", "mean_break_test": "breaktest",
    "fit_comparative": "comparative", "fit_share": "comparative",
    "PrePeriodForecast": "forecast", "pre_period_forecast": "forecast",
    "fit_its": "its",
    "PanelITSResult": "panel", "fit_itsa_panel": "panel", "match_controls": "panel", "panel_from_long": "panel",
    "MODEL_LABELS": "registry", "MODELS": "registry", "REGISTRY": "registry", "ModelId": "registry",
    "ModelSpec": "registry", "validate_model": "registry",
    "ITSResult": "results", "OverdispersionWarning": "results",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        import importlib

        home = _HOME[name]
        return getattr(importlib.import_module(home if "." in home else f"externalize.models.{home}"), name)
    raise AttributeError(f"module 'externalize.models' has no attribute {name!r}")


__all__ = ["MODELS", "MODEL_LABELS", "REGISTRY", "ITSResult", "MeanBreakTest", "ModelId", "ModelSpec",
           "OverdispersionWarning", "PanelITSResult", "PrePeriodForecast", "fit_comparative", "fit_its",
           "fit_itsa_panel", "fit_share", "match_controls", "mean_break_test", "panel_from_long",
           "pre_period_forecast", "term", "validate_model"]
