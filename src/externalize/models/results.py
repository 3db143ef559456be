"""ITSResult: the one results object every ITS fit returns.

Everything downstream of the coefficients (counterfactual, effect at k months, cumulative effect) is computed
here from three ingredients each model supplies: the coefficient vector, its covariance matrix (HAC, AR-GLS,
OIM, quasi-likelihood ... whichever the model used) and the design rows with and without the intervention
terms. Intervals for fitted values, counterfactuals and effects use the delta method on that covariance, so
they inherit the autocorrelation / overdispersion handling of the fit. They are intervals for the *mean*
(the model's expected value), not prediction intervals for a new observation. For models with AR / ARMA
errors (gls_ar, arima) "fitted" is the regression mean X b (the segmented trend), not the one-step-ahead
prediction that also uses past residuals.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from externalize.errors import ModelSpecError
from externalize.models.design import PERIOD_WORD, frequency_of
from externalize.vocab import term as term_name

LINKS = ("identity", "log", "logit")


class OverdispersionWarning(UserWarning):
    """A Poisson (or binomial) fit whose Pearson chi2 / df is well above 1: its standard errors are too small."""


def _inv_link(eta: np.ndarray, link: str) -> np.ndarray:
    if link == "identity":
        return eta
    if link == "log":
        return np.exp(eta)
    return 1.0 / (1.0 + np.exp(-eta))


def _dmu_deta(eta: np.ndarray, link: str) -> np.ndarray:
    if link == "identity":
        return np.ones_like(eta)
    if link == "log":
        return np.exp(eta)
    mu = 1.0 / (1.0 + np.exp(-eta))
    return mu * (1.0 - mu)


@dataclass
class ITSResult:
    """Results of an interrupted-time-series fit.

    Attributes users are expected to read: `model`, `interventions`, `result` (the raw statsmodels result),
    `params`, `bse`, `pvalues`, and the methods `conf_int`, `tidy`, `fit_stats`, `counterfactual`, `effect`,
    `cumulative_effect`, `summary`.
    """

    model: str
    interventions: dict[str, pd.Period]
    result: Any
    params: pd.Series
    cov: pd.DataFrame
    use_t: bool
    df_resid: float
    link: str
    X: pd.DataFrame                 # design rows for every predicted month (regression terms only)
    X_cf: pd.DataFrame              # same rows with the intervention terms at 0
    offset: np.ndarray              # on the link scale (log exposure), 0 when none
    rows: pd.DataFrame              # period (+ series) per row of X
    observed: np.ndarray            # response-scale observation per row (NaN when not observed)
    fit_mask: np.ndarray            # rows that entered the fit
    post: np.ndarray                # rows where any intervention is active
    intervention_terms: tuple[str, ...]
    ratio_label: str | None         # "rate_ratio" / "odds_ratio" for log / logit links, None otherwise
    stats: dict[str, Any]
    header: list[str] = field(default_factory=list)
    alpha: float = 0.05             # default level for intervals when a method is called without alpha

    def __post_init__(self) -> None:
        if self.link not in LINKS:
            raise ModelSpecError(f"unknown link {self.link!r}")
        self.params = self.params.astype(float)
        self.bse = pd.Series(np.sqrt(np.clip(np.diag(self.cov.to_numpy()), 0.0, None)), index=self.params.index)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.tvalues = self.params / self.bse
        self._set_pvalues()

    def _set_pvalues(self) -> None:
        absz = np.abs(self.tvalues.to_numpy())
        p = 2.0 * (stats.t.sf(absz, self.df_resid) if self.use_t else stats.norm.sf(absz))
        self.pvalues = pd.Series(p, index=self.params.index)

    def set_inference(self, use_t: bool) -> None:
        """Switch p-values and intervals to t or normal reference distributions. For t on a model whose own
        convention is normal (arima, count models), the degrees of freedom are (fitted rows) - (regression
        terms), as Stata's `small` option and R's `coeftest(df = n - k)` use."""
        if use_t and not np.isfinite(self.df_resid):
            self.df_resid = float(int(np.asarray(self.fit_mask).sum()) - self.X.shape[1])
        self.use_t = bool(use_t)
        self.stats["inference"] = f"t({self.df_resid:g})" if self.use_t else "normal"
        self._set_pvalues()

    # ----------------------------------------------------------------------------------------- coefficients
    def _crit(self, alpha: float | None) -> float:
        alpha = self.alpha if alpha is None else alpha
        if not 0.0 < alpha < 1.0:
            raise ModelSpecError("alpha must be in (0, 1)")
        return float(stats.t.ppf(1 - alpha / 2, self.df_resid) if self.use_t else stats.norm.ppf(1 - alpha / 2))

    def conf_int(self, alpha: float | None = None) -> pd.DataFrame:
        """Wald intervals (t with df_resid when the model uses t, normal otherwise). `alpha=None` uses the
        level given to the fit (default 0.05); so do the other methods below."""
        c = self._crit(alpha)
        return pd.DataFrame({"lower": self.params - c * self.bse, "upper": self.params + c * self.bse})

    def tidy(self, alpha: float | None = None) -> pd.DataFrame:
        """One row per term: estimate, std_error, statistic, p_value, ci_low, ci_high (+ ratios for log/logit)."""
        ci = self.conf_int(alpha)
        out = pd.DataFrame({
            "term": self.params.index.astype(str),
            "estimate": self.params.to_numpy(),
            "std_error": self.bse.to_numpy(),
            "statistic": self.tvalues.to_numpy(),
            "p_value": self.pvalues.to_numpy(),
            "ci_low": ci["lower"].to_numpy(),
            "ci_high": ci["upper"].to_numpy(),
        })
        if self.ratio_label is not None:
            reg = out["term"].isin(list(self.X.columns))
            # ratios only make sense for regression terms on the log / logit scale, not for e.g. AR terms
            out["ratio"] = np.where(reg, np.exp(out["estimate"]), np.nan)
            out["ratio_ci_low"] = np.where(reg, np.exp(out["ci_low"]), np.nan)
            out["ratio_ci_high"] = np.where(reg, np.exp(out["ci_high"]), np.nan)
        return out.reset_index(drop=True)

    def term(self, intervention: str, kind: str = "level", series: str | None = None) -> str:
        """Name of this fit's `kind` ("level" / "slope") term for `intervention` (and, in a comparative fit,
        the difference term of `series`), checked to be in `params`: `res.params[res.term("iraq", "level")]`.
        ModelSpecError for an unknown intervention or a term the fit does not have (e.g. impact="level")."""
        if intervention not in self.interventions:
            raise ModelSpecError(f"unknown intervention {intervention!r}; have {list(self.interventions)}")
        name = term_name(intervention, kind, series)  # type: ignore[arg-type]
        if name not in self.params.index:
            raise ModelSpecError(f"this {self.model} fit has no term {name!r} (impact or series not in the fit); "
                                 f"terms: {list(self.intervention_terms)}")
        return name

    def lincom(self, weights: Mapping[str, float], alpha: float | None = None) -> pd.DataFrame:
        """Linear combination sum_j w_j b_j of coefficients with its standard error sqrt(w' V w), statistic,
        p-value and interval in the fit's own inference (t(df_resid) or normal): Stata `lincom`, R
        `multcomp::glht` / `car::deltaMethod` for a linear function. `weights`: term name -> weight (terms not
        named get 0). On log / logit links the one-row frame also has ratio columns exp(estimate, ci).
        ModelSpecError for a term the fit does not have."""
        unknown = [t for t in weights if t not in self.params.index]
        if unknown:
            raise ModelSpecError(f"lincom: unknown terms {unknown}; terms are {list(self.params.index)}")
        if not weights:
            raise ModelSpecError("lincom needs at least one term")
        names = list(self.params.index)
        w = np.array([float(weights.get(t, 0.0)) for t in names])
        est = float(w @ self.params.to_numpy())
        se = float(np.sqrt(max(w @ self.cov.loc[names, names].to_numpy() @ w, 0.0)))
        stat = est / se if se > 0 else np.nan
        p = 2.0 * (stats.t.sf(abs(stat), self.df_resid) if self.use_t else stats.norm.sf(abs(stat)))
        c = self._crit(alpha)
        label = " + ".join(f"{v:g}*{t}" for t, v in weights.items())
        out = pd.DataFrame([{"contrast": label, "estimate": est, "std_error": se, "statistic": stat,
                             "p_value": p, "ci_low": est - c * se, "ci_high": est + c * se}])
        if self.ratio_label is not None:
            for a, b in (("ratio", "estimate"), ("ratio_ci_low", "ci_low"), ("ratio_ci_high", "ci_high")):
                out[a] = np.exp(out[b])
        return out

    def post_trend(self, intervention: str | None = None, alpha: float | None = None) -> pd.DataFrame:
        """Trend per period after `intervention` (default: the last one): time + the slope terms of every
        intervention up to and including it (Stata `itsa, posttrend`), with its lincom interval. Needs a
        model with a time trend; ModelSpecError otherwise."""
        names = list(self.interventions)
        name = names[-1] if intervention is None else intervention
        if name not in self.interventions:
            raise ModelSpecError(f"unknown intervention {intervention!r}; have {names}")
        if "time" not in self.params.index:
            raise ModelSpecError("post_trend needs a model with a time trend (trend=True)")
        weights = {"time": 1.0}
        for iv in names[: names.index(name) + 1]:
            s = term_name(iv, "slope")
            if s in self.params.index:
                weights[s] = 1.0
        out = self.lincom(weights, alpha)
        out.insert(0, "intervention", name)
        return out

    def fit_stats(self) -> pd.DataFrame:
        """One-row frame: model, n, n_params, aic, bic, llf, dispersion, cov_type, hac_maxlags, durbin_watson,
        ljung_box_lag, ljung_box_p, converged, notes (and model-specific extras)."""
        return pd.DataFrame([{"model": self.model, **self.stats}])

    # ----------------------------------------------------------------------------------------- predictions
    def _beta(self) -> tuple[np.ndarray, np.ndarray]:
        names = list(self.X.columns)
        b = self.params.loc[names].to_numpy()
        V = self.cov.loc[names, names].to_numpy()
        return b, V

    def _pieces(self) -> dict[str, np.ndarray]:
        b, V = self._beta()
        X = self.X.to_numpy()
        Xc = self.X_cf.to_numpy()
        eta = X @ b + self.offset
        eta_cf = Xc @ b + self.offset
        mu = _inv_link(eta, self.link)
        mu_cf = _inv_link(eta_cf, self.link)
        # gradient of (mu - mu_cf) with respect to beta, one row per month
        grad = _dmu_deta(eta, self.link)[:, None] * X - _dmu_deta(eta_cf, self.link)[:, None] * Xc
        return {"b": b, "V": V, "X": X, "Xc": Xc, "eta": eta, "eta_cf": eta_cf, "mu": mu, "mu_cf": mu_cf,
                "grad": grad}

    def _group_keys(self) -> list[Any]:
        return [None] if "series" not in self.rows.columns else list(dict.fromkeys(self.rows["series"]))

    def _rows_of(self, key: Any) -> np.ndarray:
        if key is None:
            return np.arange(len(self.rows))
        return np.flatnonzero((self.rows["series"] == key).to_numpy())

    def counterfactual(self, alpha: float | None = None) -> pd.DataFrame:
        """Observed, fitted and counterfactual (all intervention terms off) per month, with mean intervals
        (computed on the link scale and transformed), and effect = fitted - counterfactual."""
        c = self._crit(alpha)
        p = self._pieces()
        V = p["V"]
        se_eta = np.sqrt(np.einsum("ij,jk,ik->i", p["X"], V, p["X"]))
        se_cf = np.sqrt(np.einsum("ij,jk,ik->i", p["Xc"], V, p["Xc"]))
        out = self.rows.copy().reset_index(drop=True)
        out["observed"] = self.observed
        out["fitted"] = p["mu"]
        out["fitted_low"] = _inv_link(p["eta"] - c * se_eta, self.link)
        out["fitted_high"] = _inv_link(p["eta"] + c * se_eta, self.link)
        out["counterfactual"] = p["mu_cf"]
        out["cf_low"] = _inv_link(p["eta_cf"] - c * se_cf, self.link)
        out["cf_high"] = _inv_link(p["eta_cf"] + c * se_cf, self.link)
        out["effect"] = p["mu"] - p["mu_cf"]
        out["post"] = self.post.astype(bool)
        out["in_fit"] = self.fit_mask.astype(bool)
        return out

    def effect(self, k: int, intervention: str | None = None, alpha: float | None = None) -> pd.DataFrame:
        """Effect k periods (months, quarters or years: the series' frequency) after an intervention period
        (k=0: the intervention period itself) on the response
        scale, fitted minus counterfactual with every intervention switched off, with a delta-method interval.
        With several interventions the effect at a month includes all interventions active by then."""
        name = intervention if intervention is not None else next(iter(self.interventions))
        if name not in self.interventions:
            raise ModelSpecError(f"unknown intervention {name!r}; have {list(self.interventions)}")
        if k < 0:
            raise ModelSpecError("k must be >= 0 (periods after the intervention period)")
        target = self.interventions[name] + int(k)
        c = self._crit(alpha)
        p = self._pieces()
        recs = []
        for key in self._group_keys():
            idx = self._rows_of(key)
            hit = idx[(self.rows["period"].to_numpy()[idx] == target)]
            if len(hit) == 0:
                raise ModelSpecError(f"{name} + {k} periods = {target} is after the end of the window")
            i = int(hit[0])
            est = float(p["mu"][i] - p["mu_cf"][i])
            se = float(np.sqrt(p["grad"][i] @ p["V"] @ p["grad"][i]))
            rec = {"intervention": name, "k": int(k), "period": target, "estimate": est, "std_error": se,
                   "ci_low": est - c * se, "ci_high": est + c * se}
            if key is not None:
                rec = {"series": key, **rec}
            recs.append(rec)
        return pd.DataFrame(recs)

    def cumulative_effect(self, k: int | None = None, alpha: float | None = None) -> pd.DataFrame:
        """Running sums from the first intervention month (to k months after it, or to the end of the window).

        cum_effect (with std_error, ci_low, ci_high): sum of fitted - counterfactual, the model's effect;
        delta-method interval from the full parameter covariance, so months are not treated as independent.
        cum_observed_effect (with obs_ci_low, obs_ci_high): sum of observed - counterfactual; its interval
        carries the uncertainty of the counterfactual only (the observations are taken as given). Months
        without an observation (e.g. zero denominators of a share) contribute nothing to this column.
        """
        first = next(iter(self.interventions.values()))
        c = self._crit(alpha)
        p = self._pieces()
        grad_cf = _dmu_deta(p["eta_cf"], self.link)[:, None] * p["Xc"]
        parts = []
        periods = self.rows["period"].to_numpy()
        for key in self._group_keys():
            idx = self._rows_of(key)
            sel = idx[np.array([q >= first and (k is None or q <= first + int(k)) for q in periods[idx]])]
            g = np.cumsum(p["grad"][sel], axis=0)
            est = np.cumsum(p["mu"][sel] - p["mu_cf"][sel])
            se = np.sqrt(np.einsum("ij,jk,ik->i", g, p["V"], g))
            seen = np.isfinite(self.observed[sel])
            obs = np.cumsum(np.where(seen, self.observed[sel] - p["mu_cf"][sel], 0.0))
            gc = np.cumsum(np.where(seen[:, None], grad_cf[sel], 0.0), axis=0)
            se_o = np.sqrt(np.einsum("ij,jk,ik->i", gc, p["V"], gc))
            part = pd.DataFrame({"period": periods[sel], "cum_effect": est, "std_error": se,
                                 "ci_low": est - c * se, "ci_high": est + c * se,
                                 "cum_observed_effect": obs, "obs_ci_low": obs - c * se_o,
                                 "obs_ci_high": obs + c * se_o})
            if key is not None:
                part.insert(0, "series", key)
            parts.append(part)
        return pd.concat(parts, ignore_index=True)

    def frames(self, alpha: float | None = None) -> dict[str, pd.DataFrame]:
        """Everything a figure or report table needs, as data frames keyed estimates / fit_stats /
        counterfactual / cumulative_effect, each with a `model` column so several fits can be concatenated."""
        out = {"estimates": self.tidy(alpha), "fit_stats": self.fit_stats(),
               "counterfactual": self.counterfactual(alpha), "cumulative_effect": self.cumulative_effect(alpha=alpha)}
        for name, df in out.items():
            if name != "fit_stats":
                df.insert(0, "model", self.model)
        return out

    # ----------------------------------------------------------------------------------------- text
    def summary(self) -> str:
        ivs = ", ".join(f"{k} = {v}" for k, v in self.interventions.items())
        word = PERIOD_WORD[frequency_of(pd.PeriodIndex(self.rows["period"]))]
        start = int(self.stats.get("slope_start", 0) or 0)
        lines = [f"Interrupted time series: {self.model}", f"Interventions (first treated {word}): {ivs}",
                 (f"Terms: time = {word}s since window start; level_<name> = 1 from the intervention {word}; "
                 f"slope_<name> = {word}s since the intervention {word} ({start} in that {word})"), *self.header]
        s = self.stats
        lines.append(f"n = {s.get('n')}, parameters = {s.get('n_params')}, AIC = {s.get('aic'):.3f}, "
                     f"covariance = {s.get('cov_type')}")
        if s.get("ljung_box_p") is not None and np.isfinite(s.get("ljung_box_p", np.nan)):
            lines.append(f"Residual checks: Durbin-Watson = {s['durbin_watson']:.3f}; "
                         f"Ljung-Box({s['ljung_box_lag']}) p = {s['ljung_box_p']:.4f}")
        if s.get("notes"):
            lines.append(f"Notes: {s['notes']}")
        with warnings.catch_warnings():
            # statsmodels' summary re-derives some statistics and may warn about small samples (kurtosis tests)
            warnings.simplefilter("ignore", UserWarning)
            body = self.result.summary().as_text() if hasattr(self.result, "summary") else ""
        return "\n".join(lines) + "\n\n" + body + "\n\nEstimates (this package's convention):\n" + \
            self.tidy().to_string(index=False, float_format=lambda v: f"{v:.6g}")


def residual_checks(resid: np.ndarray) -> dict[str, float | int]:
    """Durbin-Watson and Ljung-Box (lag min(12, n // 5)) on residuals in time order."""
    from statsmodels.stats.diagnostic import acorr_ljungbox
    from statsmodels.stats.stattools import durbin_watson

    r = np.asarray(resid, dtype=float)
    r = r[np.isfinite(r)]
    lag = int(max(1, min(12, len(r) // 5)))
    lb = acorr_ljungbox(r, lags=[lag])
    return {"durbin_watson": float(durbin_watson(r)), "ljung_box_lag": lag,
            "ljung_box_p": float(lb["lb_pvalue"].iloc[0])}


def single_series_result(*, model: str, design: Any, y: pd.Series, raw: Any, params: pd.Series,
                         cov: pd.DataFrame, use_t: bool, df_resid: float, link: str, offset: np.ndarray | None,
                         stats_: dict[str, Any], header: list[str], observed: np.ndarray | None = None,
                         fit_mask: np.ndarray | None = None) -> ITSResult:
    """Assemble an ITSResult for a model of one series on a `design.Design`."""
    n = len(y)
    return ITSResult(
        model=model, interventions=dict(design.interventions), result=raw, params=params, cov=cov,
        use_t=use_t, df_resid=float(df_resid), link=link,
        X=design.X.reset_index(drop=True), X_cf=design.counterfactual_X().reset_index(drop=True),
        offset=np.zeros(n) if offset is None else np.asarray(offset, dtype=float),
        rows=pd.DataFrame({"period": y.index}),
        observed=y.to_numpy(dtype=float) if observed is None else observed,
        fit_mask=design.fit_mask if fit_mask is None else fit_mask, post=design.post,
        intervention_terms=design.intervention_terms,
        ratio_label={"identity": None, "log": "rate_ratio", "logit": "odds_ratio"}[link],
        stats=stats_, header=header)
