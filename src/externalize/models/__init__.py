"""Interrupted-time-series models: segmented OLS with Newey-West errors, GLS with AR(p) errors, Box-Tiao
ARIMA, Poisson / quasi-Poisson / negative binomial counts, comparative (stacked) ITS and a logit model of a
share. Every fit returns an `ITSResult`."""

from externalize.models.comparative import fit_comparative, fit_share
from externalize.models.its import MODELS, fit_its
from externalize.models.results import ITSResult, OverdispersionWarning

__all__ = ["MODELS", "ITSResult", "OverdispersionWarning", "fit_comparative", "fit_its", "fit_share"]
