"""Dose-response: distributed-lag count models of monthly outcomes on the monthly number of coalition strikes.

Model (log link), for each outcome y_t and strike series s_t (strikes per month / 100):
    log E[y_t] = a + b * t + Fourier(month) + sum_{l=0..L} beta_l * s_{t-l}
beta_l is the log rate ratio of y per 100 more strikes l months earlier; the cumulative effect
sum_l beta_l (with its variance from the full covariance) is the log rate ratio after a sustained rise of 100
strikes a month. Two honest fits, as for the primary models:
  * quasi-Poisson with the Pearson dispersion floored at 1 (never narrower than Poisson), t(n - k) intervals;
  * NB2 (alpha by maximum likelihood) with a Newey-West HAC covariance (Bartlett, lag floor(4(n/100)^(2/9)),
    small-sample factor), normal intervals.
Samples: "with pre-campaign zeros" (months before 2014-08 enter with 0 strikes BY CONSTRUCTION, so the
contrast before/after the campaign drives part of the estimate) and "campaign months only" (identified by
month-to-month variation in intensity alone; lags may reach into the pre-campaign zeros). Association, not
a causal effect: strike intensity responds to IS activity on the ground.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from externalize.designs.did import DesignError
from externalize.models.counts import fit_negbin_alpha
from externalize.models.design import fourier_terms, hac_lag_rule

DOSE_SCALE = 100.0
MODELS = ("quasipoisson_floor1", "negbin_hac")
COLUMNS = ["outcome", "label", "model", "sample", "strike_series", "term", "lag", "estimate", "std_error",
           "ci_low", "ci_high", "rate_ratio", "rr_low", "rr_high", "p_value", "n_months", "first_month",
           "last_month", "dispersion"]


def lagged_design(y: pd.Series, strikes: pd.Series, max_lag: int = 6, seasonality: int = 1) -> pd.DataFrame:
    """Regressors for months of `y` (PeriodIndex, monthly): const, trend (months from the first), Fourier
    pairs, and dose_lag0..dose_lagL = strikes_{t-l} / 100. Raises DesignError when a needed lag of
    `strikes` is missing (NaN or outside its index): no month is filled in silently."""
    idx = pd.PeriodIndex(y.index, freq="M")
    X = pd.DataFrame({"const": 1.0, "trend": np.arange(len(idx), dtype=float)}, index=idx)
    if seasonality:
        X = X.join(fourier_terms(idx, seasonality))
    for lag in range(max_lag + 1):
        lagged = strikes.reindex(idx - lag)
        if lagged.isna().any():
            bad = [str(p) for p, v in zip(idx - lag, lagged, strict=True) if pd.isna(v)][:3]
            raise DesignError(f"strike series missing at {bad} (lag {lag}); restrict the sample")
        X[f"dose_lag{lag}"] = lagged.to_numpy(dtype=float) / DOSE_SCALE
    return X


def _tidy(params: np.ndarray, cov: np.ndarray, names: list[str], crit: float, pfun) -> list[dict]:
    rows = []
    dose = [i for i, n in enumerate(names) if n.startswith("dose_lag")]
    for i in dose:
        est, se = float(params[i]), float(np.sqrt(cov[i, i]))
        rows.append({"term": names[i], "lag": int(names[i][8:]), "estimate": est, "std_error": se,
                     "ci_low": est - crit * se, "ci_high": est + crit * se, "p_value": pfun(est / se)})
    w = np.zeros(len(names))
    w[dose] = 1.0
    est, se = float(w @ params), float(np.sqrt(w @ cov @ w))
    rows.append({"term": "cumulative", "lag": -1, "estimate": est, "std_error": se,
                 "ci_low": est - crit * se, "ci_high": est + crit * se, "p_value": pfun(est / se)})
    return rows


def fit_dose(y: pd.Series, X: pd.DataFrame, model: str) -> tuple[list[dict], float]:
    """One distributed-lag fit; returns tidy rows (per lag and cumulative, log rate ratios per 100 strikes)
    and the dispersion used (quasi-Poisson phi after flooring, or NB2 alpha)."""
    yv = y.to_numpy(dtype=float)
    if (yv < 0).any() or np.isnan(yv).any():
        raise DesignError(f"{y.name}: counts must be >= 0 and present in every month")
    if (yv == 0).all():
        raise DesignError(f"{y.name}: zero in every month")
    names = list(X.columns)
    n, k = X.shape
    if model == "quasipoisson_floor1":
        base = sm.GLM(yv, X, family=sm.families.Poisson()).fit()
        phi = max(1.0, float(base.pearson_chi2) / float(base.df_resid))
        res = sm.GLM(yv, X, family=sm.families.Poisson()).fit(scale=phi)
        df = n - k
        crit = float(stats.t.ppf(0.975, df))
        rows = _tidy(np.asarray(res.params), np.asarray(res.cov_params()), names, crit,
                     lambda z: float(2 * stats.t.sf(abs(z), df)))
        return rows, phi
    if model == "negbin_hac":
        alpha, _ = fit_negbin_alpha(yv, X, None)
        res = sm.GLM(yv, X, family=sm.families.NegativeBinomial(alpha=alpha)).fit(
            cov_type="HAC", cov_kwds={"maxlags": hac_lag_rule(n), "use_correction": True})
        crit = float(stats.norm.ppf(0.975))
        rows = _tidy(np.asarray(res.params), np.asarray(res.cov_params()), names, crit,
                     lambda z: float(2 * stats.norm.sf(abs(z))))
        return rows, alpha
    raise DesignError(f"model must be one of {MODELS}")


def dose_response(outcomes: dict[str, tuple[pd.Series, str]], strikes: dict[str, pd.Series], *,
                  start: pd.Period, end: pd.Period, campaign_start: pd.Period, max_lag: int = 6,
                  seasonality: int = 1) -> pd.DataFrame:
    """Every outcome x strike series x sample x model; tidy rows with COLUMNS.

    outcomes: name -> (monthly count series, label). strikes: name -> monthly strike series (0 before the
    campaign by construction; NaN where unknown). The sample of each outcome is its own months within
    [start, end] for which all lags of the strike series are known. An outcome that cannot be fitted is
    recorded with term "not fitted" and the reason in `label`, not dropped.
    """
    rows = []
    for name, (y, label) in outcomes.items():
        for sname, s in strikes.items():
            known = s.dropna()
            last_known = known.index.max()
            for sample, lo in (("with pre-campaign zeros", start), ("campaign months only", campaign_start)):
                yy = y[(y.index >= max(lo, y.index.min())) & (y.index <= min(end, last_known))].dropna()
                base = {"outcome": name, "label": label, "sample": sample, "strike_series": sname,
                        "n_months": len(yy), "first_month": str(yy.index.min()) if len(yy) else "",
                        "last_month": str(yy.index.max()) if len(yy) else ""}
                try:   # one design for both models (the same lags, the same months)
                    X: pd.DataFrame | Exception = lagged_design(yy, s, max_lag, seasonality)
                except (DesignError, np.linalg.LinAlgError, ValueError) as exc:
                    X = exc
                for model in MODELS:
                    try:
                        if isinstance(X, Exception):
                            raise X
                        fitted, disp = fit_dose(yy.rename(name), X, model)
                    except (DesignError, np.linalg.LinAlgError, ValueError) as exc:
                        rows.append(base | {"model": model, "term": "not fitted", "lag": -1,
                                            "label": f"{label} (not fitted: {exc})"})
                        continue
                    for r in fitted:
                        rows.append(base | {"model": model, "dispersion": disp} | r)
    out = pd.DataFrame(rows).reindex(columns=COLUMNS)
    out["rate_ratio"] = np.exp(out["estimate"])
    out["rr_low"] = np.exp(out["ci_low"])
    out["rr_high"] = np.exp(out["ci_high"])
    return out
