"""Every model family against R (values committed in references/, made by references/make_references.R).

Tolerances (relative unless stated):
* OLS + Newey-West, GLM Poisson / quasi-Poisson / binomial: same closed-form / IRLS estimator in both
  languages -> estimates and standard errors 1e-6, p-values 1e-5.
* negative binomial: theta is optimised separately in R (glm.nb) and here -> estimates 1e-5, SE 1e-4,
  theta 1e-3.
* GLS AR(p) exact ML (profile likelihood optimised numerically in both) -> estimates 1e-5, SE 1e-4,
  AR parameters 1e-4 absolute, log-likelihood 1e-6 absolute.
* ARIMA regression vs forecast::Arima: both exact ML but R's standard errors come from a numerically
  differentiated Hessian, ours from the observed information matrix -> estimates 1e-4, SE 1e-2, llf 1e-5 abs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from models_helpers import r_case, r_stat

from externalize.models import OverdispersionWarning, fit_comparative, fit_its, fit_share

IV = {"ban": "2005-01"}


def _compare(res, ref: pd.DataFrame, *, est: float, se: float, p: float | None = None,
             terms: list[str] | None = None) -> None:
    terms = terms or list(ref.index)
    tidy = res.tidy().set_index("term")
    np.testing.assert_allclose(tidy.loc[terms, "estimate"], ref.loc[terms, "estimate"], rtol=est, atol=1e-12)
    np.testing.assert_allclose(tidy.loc[terms, "std_error"], ref.loc[terms, "std_error"], rtol=se)
    if p is not None:
        np.testing.assert_allclose(tidy.loc[terms, "p_value"], ref.loc[terms, "p_value"], rtol=p, atol=1e-14)


@pytest.mark.parametrize("lag", [2, 3])
def test_ols_newey_west_matches_sandwich(sicily, ref_coefs, lag: int) -> None:
    res = fit_its(sicily["rate"], IV, "ols_hac", hac_maxlags=lag)
    _compare(res, r_case(ref_coefs, f"sicily_ols_nw_lag{lag}"), est=1e-8, se=1e-6, p=1e-5)
    assert res.fit_stats()["hac_maxlags"].iloc[0] == lag


def test_ols_default_lag_is_the_rule_and_matches_r_lag3(sicily, ref_coefs) -> None:
    # n = 59 -> floor(4 * 0.59^(2/9)) = 3
    res = fit_its(sicily["rate"], IV, "ols_hac")
    assert res.fit_stats()["hac_maxlags"].iloc[0] == 3
    assert "lag 3 (Newey-West 1994 rule" in res.summary()
    _compare(res, r_case(ref_coefs, "sicily_ols_nw_lag3"), est=1e-8, se=1e-6)


@pytest.mark.parametrize("p", [1, 2])
def test_gls_ar_matches_nlme_ml(sicily, ref_coefs, ref_stats, p: int) -> None:
    res = fit_its(sicily["rate"], IV, "gls_ar", ar_order=p)
    case = f"sicily_gls_ar{p}"
    _compare(res, r_case(ref_coefs, case), est=1e-5, se=1e-4, p=1e-3)
    phis = [float(v) for v in res.fit_stats()["ar_params"].iloc[0].split()]
    for i, v in enumerate(phis, start=1):
        assert v == pytest.approx(r_stat(ref_stats, case, f"phi{i}"), abs=1e-4)
    assert res.fit_stats()["llf"].iloc[0] == pytest.approx(r_stat(ref_stats, case, "loglik"), abs=1e-6)


def test_gls_ar_reml_matches_nlme_reml(sicily, ref_coefs, ref_stats) -> None:
    res = fit_its(sicily["rate"], IV, "gls_ar", ar_order=1, gls_method="REML")
    case = "sicily_gls_ar1_reml"
    _compare(res, r_case(ref_coefs, case), est=1e-5, se=1e-4, p=1e-3)
    assert float(res.fit_stats()["ar_params"].iloc[0]) == pytest.approx(r_stat(ref_stats, case, "phi1"), abs=1e-4)
    assert res.fit_stats()["llf"].iloc[0] == pytest.approx(r_stat(ref_stats, case, "loglik"), abs=1e-6)


def test_arima_matches_forecast_arima(sicily, ref_coefs, ref_stats) -> None:
    res = fit_its(sicily["rate"], IV, "arima", ar_order=1)
    ref = r_case(ref_coefs, "sicily_arima_ar1").rename(index={"intercept": "const", "ar1": "ar.L1",
                                                              "xregt0": "time", "xreglevel": "level_ban",
                                                              "xregslope": "slope_ban",
                                                              "time": "time", "level_ban": "level_ban"})
    terms = ["const", "time", "level_ban", "slope_ban", "ar.L1"]
    _compare(res, ref, est=1e-4, se=1e-2, terms=terms)
    assert res.fit_stats()["llf"].iloc[0] == pytest.approx(r_stat(ref_stats, "sicily_arima_ar1", "loglik"),
                                                           abs=1e-5)


def test_arima_and_gls_ar_agree(sicily) -> None:
    # two implementations of the same exact-ML AR(1)-error regression (Kalman filter vs profile GLS)
    a = fit_its(sicily["rate"], IV, "arima", ar_order=1)
    g = fit_its(sicily["rate"], IV, "gls_ar", ar_order=1)
    assert a.fit_stats()["llf"].iloc[0] == pytest.approx(g.fit_stats()["llf"].iloc[0], abs=1e-5)
    np.testing.assert_allclose(a.params[g.params.index], g.params, rtol=1e-4)


def test_poisson_matches_glm(sicily, ref_coefs, ref_stats) -> None:
    with pytest.warns(OverdispersionWarning, match="quasipoisson.*negbin"):
        res = fit_its(sicily["aces"], IV, "poisson", offset=sicily["stdpop"], seasonality=2)
    _compare(res, r_case(ref_coefs, "sicily_poisson"), est=1e-6, se=1e-6, p=1e-4)
    st = res.fit_stats().iloc[0]
    assert st["dispersion"] == pytest.approx(r_stat(ref_stats, "sicily_poisson", "pearson_dispersion"), rel=1e-5)
    assert st["aic"] == pytest.approx(r_stat(ref_stats, "sicily_poisson", "aic"), rel=1e-8)


def test_quasipoisson_matches_glm(sicily, ref_coefs, ref_stats) -> None:
    res = fit_its(sicily["aces"], IV, "quasipoisson", offset=sicily["stdpop"], seasonality=2)
    _compare(res, r_case(ref_coefs, "sicily_quasipoisson"), est=1e-6, se=1e-5, p=1e-4)
    assert res.fit_stats()["dispersion"].iloc[0] == pytest.approx(
        r_stat(ref_stats, "sicily_quasipoisson", "dispersion"), rel=1e-5)


def test_negbin_matches_glm_nb_sicily(sicily, ref_coefs, ref_stats) -> None:
    res = fit_its(sicily["aces"], IV, "negbin", offset=sicily["stdpop"], seasonality=2)
    # theta ~ 860 (nearly Poisson): the likelihood is flat in theta, so theta itself is loose
    _compare(res, r_case(ref_coefs, "sicily_negbin"), est=1e-4, se=1e-3, p=1e-2)
    st = res.fit_stats().iloc[0]
    assert st["nb_theta"] == pytest.approx(r_stat(ref_stats, "sicily_negbin", "theta"), rel=1e-2)
    assert st["llf"] == pytest.approx(r_stat(ref_stats, "sicily_negbin", "loglik"), abs=1e-5)


def test_negbin_matches_glm_nb_overdispersed(sim_counts, ref_coefs, ref_stats) -> None:
    y = sim_counts["clash"]
    res = fit_its(y, {"iv": "2014-07"}, "negbin", seasonality=1)
    _compare(res, r_case(ref_coefs, "sim_negbin_clash", iv="iv"), est=1e-5, se=1e-4, p=1e-3)
    st = res.fit_stats().iloc[0]
    assert st["nb_theta"] == pytest.approx(r_stat(ref_stats, "sim_negbin_clash", "theta"), rel=1e-3)
    assert st["llf"] == pytest.approx(r_stat(ref_stats, "sim_negbin_clash", "loglik"), abs=1e-6)
    off = fit_its(y, {"iv": "2014-07"}, "negbin", offset=sim_counts["total"])
    _compare(off, r_case(ref_coefs, "sim_negbin_clash_offset", iv="iv"), est=1e-5, se=1e-4)
    assert off.fit_stats()["nb_theta"].iloc[0] == pytest.approx(
        r_stat(ref_stats, "sim_negbin_clash_offset", "theta"), rel=1e-3)


def test_quasipoisson_matches_glm_overdispersed(sim_counts, ref_coefs, ref_stats) -> None:
    res = fit_its(sim_counts["clash"], {"iv": "2014-07"}, "quasipoisson", seasonality=1)
    _compare(res, r_case(ref_coefs, "sim_quasipoisson_clash", iv="iv"), est=1e-6, se=1e-5, p=1e-4)
    assert res.fit_stats()["dispersion"].iloc[0] == pytest.approx(
        r_stat(ref_stats, "sim_quasipoisson_clash", "dispersion"), rel=1e-5)


@pytest.mark.parametrize(("model", "case"), [("poisson", "sim_comparative_poisson"),
                                             ("quasipoisson", "sim_comparative_quasipoisson")])
def test_comparative_matches_stacked_glm(sim_counts, ref_coefs, model: str, case: str) -> None:
    series = {s: sim_counts[s] for s in ("clash", "joint", "external")}
    if model == "poisson":
        with pytest.warns(OverdispersionWarning):
            res = fit_comparative(series, {"iv": "2014-07"}, reference="clash", model=model)
    else:
        res = fit_comparative(series, {"iv": "2014-07"}, reference="clash", model=model)
    ref = r_case(ref_coefs, case, iv="iv")
    _compare(res, ref, est=1e-6, se=1e-5, p=1e-4)
    # the difference terms exist under the documented names
    assert {"level_iv:joint", "slope_iv:joint", "level_iv:external", "slope_iv:external"} <= set(res.params.index)


@pytest.mark.parametrize(("model", "case"), [("ols_hac", "sim_comparative_ols_dk"),
                                             ("poisson", "sim_comparative_poisson_dk")])
def test_comparative_driscoll_kraay_matches_vcovPL(sim_counts, ref_coefs, model: str, case: str) -> None:
    """R: sandwich::vcovPL(fit, cluster = ~series, order.by = ~time, lag = 3, adjust = TRUE); lag 3 is also
    this package's rule for 60 months. Estimates 1e-6, SE 1e-6 (same estimator, closed form)."""
    series = {s: sim_counts[s] for s in ("clash", "joint", "external")}
    res = fit_comparative(series, {"iv": "2014-07"}, reference="clash", model=model,
                          robust="hac" if model == "poisson" else None)
    assert res.fit_stats()["hac_maxlags"].iloc[0] == 3
    # p-values: R's coeftest uses t(n-k) for lm and z for glm, as we do
    _compare(res, r_case(ref_coefs, case, iv="iv"), est=1e-6, se=1e-6, p=1e-4)


@pytest.mark.parametrize(("model", "case"), [("binomial", "sim_share_binomial"),
                                             ("quasibinomial", "sim_share_quasibinomial")])
def test_share_matches_binomial_glm(sim_counts, ref_coefs, ref_stats, model: str, case: str) -> None:
    num = sim_counts["joint"] + sim_counts["external"]
    den = num + sim_counts["clash"]
    if model == "binomial":
        with pytest.warns(OverdispersionWarning, match="quasibinomial"):
            res = fit_share(num, den, {"iv": "2014-07"}, model=model)
    else:
        res = fit_share(num, den, {"iv": "2014-07"}, model=model)
        assert res.fit_stats()["dispersion"].iloc[0] == pytest.approx(
            r_stat(ref_stats, case, "dispersion"), rel=1e-5)
    _compare(res, r_case(ref_coefs, case, iv="iv"), est=1e-6, se=1e-5, p=1e-4)
    t = res.tidy().set_index("term")
    assert t.loc["level_iv", "ratio"] == pytest.approx(np.exp(t.loc["level_iv", "estimate"]))
