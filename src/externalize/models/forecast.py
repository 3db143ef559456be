"""Counterfactual forecast from a model of the pre-intervention period only (CausalPy's approach).

Beside the segmented counterfactual of `fit_its` (one model of the whole window, intervention terms switched
off), `pre_period_forecast` fits y on the pre-period only (constant, trend, seasonal terms, covariates; no
intervention terms) by OLS and projects it over the whole window. The effect is observed - forecast; its
interval is the forecast's prediction interval (the post-period observation's noise included), so it answers
"is this month outside what the pre-period predicts". Intervals: R `predict.lm(interval = "confidence" /
"prediction")`, t(n_pre - k). They assume independent errors: with autocorrelated series they are too narrow,
and the cumulative effect's interval (which treats forecast errors as independent given the coefficients)
even more so; use it as a descriptive check beside the segmented models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm

from externalize.errors import ModelSpecError
from externalize.models.design import as_regular, build_design, check_rank


@dataclass(frozen=True)
class PrePeriodForecast:
    """frame: one row per period: period, observed, counterfactual (forecast), cf_low / cf_high (mean
    interval), pi_low / pi_high (prediction interval), effect (= observed - counterfactual), post, in_fit;
    cumulative: running sums of effect from the first intervention period with the prediction interval of
    the sum (eff_low / eff_high); params / bse: the pre-period regression; result: the statsmodels fit."""

    frame: pd.DataFrame
    cumulative: pd.DataFrame
    params: pd.Series
    bse: pd.Series
    n_pre: int
    alpha: float
    result: Any


def pre_period_forecast(y: pd.Series, interventions: Mapping[str, pd.Period | str], *, seasonality: int = 0,
                        trend: bool = True, covariates: pd.DataFrame | pd.Series | None = None, min_pre: int = 8,
                        alpha: float = 0.05) -> PrePeriodForecast:
    """Fit the pre-period (before the first intervention) by OLS and forecast the whole window; see the module
    docstring. ModelSpecError for a bad window, too short a pre-period or a singular pre-period design."""
    if not 0.0 < alpha < 1.0:
        raise ModelSpecError("alpha must be in (0, 1)")
    y = as_regular(y)
    design = build_design(y.index, interventions, seasonality=seasonality, min_pre=min_pre, trend=trend,
                          covariates=covariates)
    X = design.X.drop(columns=list(design.intervention_terms))
    pre = ~design.post
    check_rank(X.to_numpy()[pre], list(X.columns))
    res = sm.OLS(y.to_numpy()[pre], X.loc[pre]).fit()
    pred = res.get_prediction(X).summary_frame(alpha=alpha)
    frame = pd.DataFrame({"period": y.index, "observed": y.to_numpy(), "counterfactual": pred["mean"].to_numpy(),
                          "cf_low": pred["mean_ci_lower"].to_numpy(), "cf_high": pred["mean_ci_upper"].to_numpy(),
                          "pi_low": pred["obs_ci_lower"].to_numpy(), "pi_high": pred["obs_ci_upper"].to_numpy()})
    frame["effect"] = frame["observed"] - frame["counterfactual"]
    frame["post"] = design.post
    frame["in_fit"] = pre
    # cumulative effect: Var(sum of forecast errors) = x_sum' V x_sum + m sigma^2
    from scipy import stats

    post_rows = np.flatnonzero(design.post)
    Xp = X.to_numpy()[post_rows]
    V = np.asarray(res.cov_params())
    g = np.cumsum(Xp, axis=0)
    m = np.arange(1, len(post_rows) + 1)
    se = np.sqrt(np.einsum("ij,jk,ik->i", g, V, g) + m * float(res.scale))
    c = float(stats.t.ppf(1 - alpha / 2, res.df_resid))
    cum = np.cumsum(frame["effect"].to_numpy()[post_rows])
    cumulative = pd.DataFrame({"period": y.index[post_rows], "cum_effect": cum, "std_error": se,
                               "eff_low": cum - c * se, "eff_high": cum + c * se})
    return PrePeriodForecast(frame=frame, cumulative=cumulative, params=pd.Series(res.params, index=X.columns),
                             bse=pd.Series(res.bse, index=X.columns), n_pre=int(pre.sum()), alpha=alpha, result=res)
