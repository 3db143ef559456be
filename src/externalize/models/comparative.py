"""Comparative ITS (stacked outcome series) and a logit model of a monthly share.

`fit_comparative` stacks two or more monthly series and fits one model with, for every series s other than
the reference, a series intercept `series:<s>`, a series trend `time:<s>` and the interactions
`level_<name>:<s>` / `slope_<name>:<s>`. Those interaction terms are the *difference* between the change in
series s and the change in the reference series (on the log scale for count models: a ratio of rate ratios),
the direct test of "the intervention shifted s relative to the reference". Seasonal terms are common to all
series. Default covariance: model-based for count models (series independent given the mean);
`robust="hac"` (and always for `ols_hac`) uses the Driscoll-Kraay sandwich (statsmodels "hac-groupsum":
scores summed within each month across series, then Newey-West over months, Bartlett kernel, n/(n-k)
factor), which allows the series to be correlated within a month and over time.

`fit_share` is a binomial GLM (logit link) of numerator / denominator per month, e.g. the externalization
share (joint + external) / (joint + external + clash). Months with a zero denominator carry no information
and are dropped (counted in fit_stats). Coefficients are log odds ratios; `tidy()` adds odds ratios.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
import statsmodels.api as sm

from externalize.errors import ModelSpecError
from externalize.models.counts import check_counts, fit_negbin_alpha, fit_quasi, log_offset
from externalize.models.design import as_monthly, build_design, check_rank, hac_lag_rule
from externalize.models.estimability import check_estimable
from externalize.models.results import ITSResult, OverdispersionWarning, residual_checks, single_series_result
from externalize.vocab import TermKind, term

COMPARATIVE_MODELS = ("poisson", "quasipoisson", "negbin", "ols_hac")
SHARE_MODELS = ("binomial", "quasibinomial")


def _aligned(series: Mapping[str, pd.Series]) -> dict[str, pd.Series]:
    out = {str(k): as_monthly(v, name=f"series {k!r}") for k, v in series.items()}
    first = next(iter(out.values()))
    for k, v in out.items():
        if not v.index.equals(first.index):
            raise ModelSpecError(f"series {k!r} covers {v.index[0]}..{v.index[-1]} but the first series covers "
                             f"{first.index[0]}..{first.index[-1]}; trim them to a common window")
    return out


def fit_comparative(series: Mapping[str, pd.Series], interventions: Mapping[str, pd.Period | str],
                    reference: str, model: str = "poisson", *, seasonality: int = 0,
                    offsets: Mapping[str, pd.Series] | None = None, washout: int = 0, min_pre: int = 8,
                    hac_maxlags: int | None = None, robust: str | None = None,
                    impact: str | Mapping[str, str] = "level_slope", alpha: float = 0.05) -> ITSResult:
    """Stacked comparative ITS; see the module docstring. `series` maps a name to a monthly series (all on
    the same window); `reference` names the series the others are compared with."""
    if model not in COMPARATIVE_MODELS:
        raise ModelSpecError(f"model must be one of {COMPARATIVE_MODELS}, got {model!r}")
    if len(series) < 2:
        raise ModelSpecError("comparative ITS needs at least two series")
    if reference not in series:
        raise ModelSpecError(f"reference {reference!r} is not one of the series {list(series)}")
    if robust not in (None, "hac"):
        raise ModelSpecError("robust must be None or 'hac'")
    ys = _aligned(series)
    names = [reference] + [k for k in ys if k != reference]
    for k in names:
        if model != "ols_hac":
            check_counts(ys[k], name=f"series {k!r}")
        elif (ys[k].to_numpy() == 0).all():
            raise ModelSpecError(f"series {k!r} is zero in every month: there is nothing to model")
    index = ys[reference].index
    base = build_design(index, interventions, seasonality=seasonality, washout=washout, min_pre=min_pre,
                        impact=impact)
    others = names[1:]
    blocks, blocks_cf, rows, obs = [], [], [], []
    offs: list[np.ndarray] = []
    iv_terms = list(base.intervention_terms)
    # (intervention, kind) of every intervention term of the base design, in design order
    keys: list[tuple[str, TermKind]] = [(iv, kind) for iv in base.interventions for kind in ("level", "slope")
                                        if term(iv, kind) in base.intervention_terms]
    for s in others:
        iv_terms += [term(iv, kind, s) for iv, kind in keys]
    Xcf_base = base.counterfactual_X()
    for s in names:
        X = base.X.copy()
        Xc = Xcf_base.copy()
        for o in others:
            ind = float(s == o)
            X[f"series:{o}"] = ind
            X[f"time:{o}"] = base.X["time"] * ind
            Xc[f"series:{o}"] = ind
            Xc[f"time:{o}"] = base.X["time"] * ind
            for iv, kind in keys:
                X[term(iv, kind, o)] = base.X[term(iv, kind)] * ind
                Xc[term(iv, kind, o)] = 0.0
        blocks.append(X.reset_index(drop=True))
        blocks_cf.append(Xc.reset_index(drop=True))
        rows.append(pd.DataFrame({"series": s, "period": index}))
        obs.append(ys[s].to_numpy(dtype=float))
        if offsets is not None:
            if model == "ols_hac":
                raise ModelSpecError("offsets apply to count models; model rates for ols_hac")
            if s not in offsets:
                raise ModelSpecError(f"offsets given but none for series {s!r}")
            lo = log_offset(offsets[s], index)
            if lo is not None:
                offs.append(lo)
    X_all = pd.concat(blocks, ignore_index=True)
    Xcf_all = pd.concat(blocks_cf, ignore_index=True)
    rows_all = pd.concat(rows, ignore_index=True)
    y_all = np.concatenate(obs)
    off_all = np.concatenate(offs) if offs else None
    fit_mask = np.tile(base.fit_mask, len(names))
    post = np.tile(base.post, len(names))
    Xf = X_all.loc[fit_mask]
    check_rank(Xf.to_numpy(), list(Xf.columns))
    yf = y_all[fit_mask]
    off_f = None if off_all is None else off_all[fit_mask]
    n, k = Xf.shape
    if model != "ols_hac":
        check_estimable(Xf.to_numpy(), yf, pd.PeriodIndex(rows_all["period"])[fit_mask], base.interventions,
                        f"comparative {model}", what="the stacked series",
                        series=rows_all["series"].astype(str).to_numpy()[fit_mask])
    n_months = int(base.fit_mask.sum())
    time_codes = np.tile(np.arange(len(index)), len(names))[fit_mask]
    lag = None
    cov_kw: dict = {}
    cov_label = "nonrobust"
    if robust == "hac" or model == "ols_hac":
        lag = hac_lag_rule(n_months) if hac_maxlags is None else int(hac_maxlags)
        cov_kw = {"cov_type": "hac-groupsum",
                  "cov_kwds": {"time": time_codes, "maxlags": lag, "use_correction": "hac"}}
        cov_label = "Driscoll-Kraay HAC (hac-groupsum, Bartlett, n/(n-k))"
    notes = [f"series: {', '.join(names)} (reference {reference}); seasonal terms common to all series"]
    extra: dict = {}
    use_t = False
    if model == "ols_hac":
        res = sm.OLS(yf, Xf).fit(use_t=True, **cov_kw)
        use_t, link, dispersion = True, "identity", float(res.scale)
        resid = np.asarray(res.resid)
    else:
        if model == "negbin":
            a, _ = fit_negbin_alpha(yf, Xf, off_f)
            family = sm.families.NegativeBinomial(alpha=a)
            extra = {"nb_alpha": a, "nb_theta": 1.0 / a}
            notes.append(f"NB2 alpha = {a:.6g}, common to all series")
        else:
            family = sm.families.Poisson()
        glm = sm.GLM(yf, Xf, family=family, offset=off_f)
        if model == "quasipoisson" and robust is None:
            res = fit_quasi(glm)
            use_t = True
            cov_label = "quasi-Poisson (Pearson chi2/df scale)"
        else:
            res = glm.fit(**cov_kw)
        link = "log"
        dispersion = float(res.pearson_chi2) / float(res.df_resid)
        if model == "poisson" and robust is None and dispersion > 1.5:
            warnings.warn(OverdispersionWarning(
                f"stacked Poisson fit is overdispersed (Pearson chi2/df = {dispersion:.2f} > 1.5): use "
                "model='quasipoisson' or model='negbin' (or robust='hac')."), stacklevel=2)
        resid = np.asarray(res.resid_pearson)
    # residual checks per series, in time order; report the worst (smallest) Ljung-Box p
    per = []
    start = 0
    for s in names:
        m = int(base.fit_mask.sum())
        per.append((s, residual_checks(resid[start:start + m])))
        start += m
    worst = min(per, key=lambda t: t[1]["ljung_box_p"])
    notes.append("Ljung-Box p by series: " + ", ".join(f"{s} {c['ljung_box_p']:.3g}" for s, c in per))
    llf = float(res.llf)
    n_par = k + (1 if model == "negbin" else 0)
    stats_ = {"n": n, "n_params": n_par, "aic": -2 * llf + 2 * n_par, "bic": -2 * llf + np.log(n) * n_par,
              "llf": llf, "dispersion": dispersion, "cov_type": cov_label,
              "hac_maxlags": np.nan if lag is None else lag, **worst[1], "converged": bool(
                  getattr(res, "converged", True)), "notes": "; ".join(notes), **extra}
    params = pd.Series(np.asarray(res.params), index=Xf.columns)
    cov = pd.DataFrame(np.asarray(res.cov_params()), index=Xf.columns, columns=Xf.columns)
    header = [(f"Comparative ITS ({model}), reference series '{reference}': terms '<term>:<series>' are the "
              "change in <series> minus the change in the reference"), f"covariance: {cov_label}"
              + (f", lag {lag}" if lag is not None else "")]
    if not 0.0 < alpha < 1.0:
        raise ModelSpecError("alpha must be in (0, 1)")
    return ITSResult(model=f"comparative_{model}", interventions=dict(base.interventions), result=res,
                     params=params, cov=cov, use_t=use_t, df_resid=float(res.df_resid), link=link,
                     X=X_all, X_cf=Xcf_all, offset=np.zeros(len(y_all)) if off_all is None else off_all,
                     rows=rows_all, observed=y_all, fit_mask=fit_mask, post=post,
                     intervention_terms=tuple(iv_terms), ratio_label=None if link == "identity" else "rate_ratio",
                     stats=stats_, header=header, alpha=alpha)


def fit_share(numerator: pd.Series, denominator: pd.Series, interventions: Mapping[str, pd.Period | str], *,
              model: str = "binomial", seasonality: int = 0, washout: int = 0, min_pre: int = 8,
              robust: str | None = None, hac_maxlags: int | None = None,
              impact: str | Mapping[str, str] = "level_slope", alpha: float = 0.05) -> ITSResult:
    """Binomial (logit) ITS of numerator / denominator per month; `model="quasibinomial"` scales the
    covariance by Pearson chi2/df (t inference)."""
    if model not in SHARE_MODELS:
        raise ModelSpecError(f"model must be one of {SHARE_MODELS}, got {model!r}")
    num = as_monthly(numerator, name="numerator")
    den = as_monthly(denominator, name="denominator")
    if not num.index.equals(den.index):
        raise ModelSpecError("numerator and denominator must cover the same months")
    a, b = num.to_numpy(dtype=float), den.to_numpy(dtype=float)
    if (a < 0).any() or (b < 0).any() or (a > b).any():
        raise ModelSpecError("need 0 <= numerator <= denominator in every month")
    if (a == 0).all():
        raise ModelSpecError("numerator is zero in every month: the share is 0 throughout, nothing to model")
    if (a == b).all():
        raise ModelSpecError("numerator equals denominator in every month: the share is 1 throughout")
    design = build_design(num.index, interventions, seasonality=seasonality, washout=washout, min_pre=min_pre,
                          impact=impact)
    informative = b > 0
    mask = design.fit_mask & informative
    first = next(iter(design.interventions.values()))
    n_pre = int((mask & (num.index < first)).sum())
    if n_pre < min_pre:
        raise ModelSpecError(f"only {n_pre} pre-intervention months have a non-zero denominator; "
                         f"min_pre={min_pre} are needed")
    Xf = design.X.reset_index(drop=True).loc[mask]
    check_rank(Xf.to_numpy(), list(Xf.columns))
    endog = np.column_stack([a[mask], b[mask] - a[mask]])
    n, k = Xf.shape
    check_estimable(Xf.to_numpy(), a[mask], num.index[mask], design.interventions, f"share {model}",
                    trials=b[mask], what="the share")
    glm = sm.GLM(endog, Xf, family=sm.families.Binomial())
    lag = None
    use_t = False
    if robust == "hac":
        lag = hac_lag_rule(n) if hac_maxlags is None else int(hac_maxlags)
        res = glm.fit(cov_type="HAC", cov_kwds={"maxlags": lag, "use_correction": True})
        cov_label = "HAC (Newey-West, Bartlett, n/(n-k))"
    elif robust is None:
        if model == "quasibinomial":
            res = fit_quasi(glm)
            use_t = True
            cov_label = "quasi-binomial (Pearson chi2/df scale)"
        else:
            res = glm.fit()
            cov_label = "nonrobust"
    else:
        raise ModelSpecError("robust must be None or 'hac'")
    dispersion = float(res.pearson_chi2) / float(res.df_resid)
    if model == "binomial" and robust is None and dispersion > 1.5:
        warnings.warn(OverdispersionWarning(
            f"binomial share fit is overdispersed (Pearson chi2/df = {dispersion:.2f} > 1.5): use "
            "model='quasibinomial' or robust='hac'."), stacklevel=2)
    n_zero = int((~informative).sum())
    llf = float(res.llf)
    notes = [f"{n_zero} months with a zero denominator dropped"] if n_zero else []
    if (~design.fit_mask).any():
        notes.append("washout months dropped from the fit")
    stats_ = {"n": n, "n_params": k, "aic": -2 * llf + 2 * k, "bic": -2 * llf + np.log(n) * k, "llf": llf,
              "dispersion": dispersion, "cov_type": cov_label, "hac_maxlags": np.nan if lag is None else lag,
              **residual_checks(np.asarray(res.resid_pearson)), "converged": bool(res.converged),
              "notes": "; ".join(notes), "n_zero_denominator": n_zero}
    params = pd.Series(np.asarray(res.params), index=Xf.columns)
    cov = pd.DataFrame(np.asarray(res.cov_params()), index=Xf.columns, columns=Xf.columns)
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = np.where(informative, a / np.where(informative, b, 1.0), np.nan)
    share = pd.Series(observed, index=num.index)
    header = [f"Share model ({model}, logit link): coefficients are log odds ratios; covariance: {cov_label}"]
    if not 0.0 < alpha < 1.0:
        raise ModelSpecError("alpha must be in (0, 1)")
    out = single_series_result(model=f"share_{model}", design=design, y=share, raw=res, params=params,
                               cov=cov, use_t=use_t, df_resid=res.df_resid, link="logit", offset=None,
                               stats_=stats_, header=header, observed=observed, fit_mask=mask)
    out.alpha = alpha
    return out
