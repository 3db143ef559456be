"""Vectorised refits against statsmodels and the model suite on the same data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from externalize.models import fit_its
from externalize.models.design import build_design
from externalize.robustness.fastfit import batch_ols, batch_poisson, segmented_designs

IDX = pd.period_range("2009-01", periods=96, freq="M")
SCHED = np.array([[30, 33], [48, 51], [60, 66], [70, 72]])


@pytest.fixture(scope="module")
def y() -> np.ndarray:
    rng = np.random.default_rng(11)
    t = np.arange(96)
    return rng.poisson(np.exp(1.2 + 0.01 * t + 0.4 * (t >= 55))).astype(float)


@pytest.mark.parametrize("seasonality", [0, 2])
def test_designs_equal_the_model_suite_design(seasonality: int) -> None:
    X, terms = segmented_designs(IDX, SCHED, ["a", "b"], seasonality=seasonality)
    for b, (i, j) in enumerate(SCHED):
        d = build_design(IDX, {"a": IDX[i], "b": IDX[j]}, seasonality=seasonality)
        assert list(d.X.columns) == list(terms)
        np.testing.assert_array_equal(X[b], d.X.to_numpy())


@pytest.mark.parametrize("lag", [0, 3, 7])
def test_batch_ols_hac_matches_statsmodels(y: np.ndarray, lag: int) -> None:
    X, terms = segmented_designs(IDX, SCHED, ["a", "b"], seasonality=1)
    fit = batch_ols(X, y, hac_maxlags=lag, terms=terms)
    for b in range(len(SCHED)):
        ref = sm.OLS(y, X[b]).fit(cov_type="HAC", cov_kwds={"maxlags": lag, "use_correction": True}, use_t=True)
        # tolerances: 1e-10 absolute on coefficients; 5e-9 relative on HAC standard errors, because
        # statsmodels' own HAC errors reach ~1e-9 relative when two interventions are 2 months apart
        # (checked against 40-digit arithmetic, where this module's errors stayed below 1e-10)
        np.testing.assert_allclose(fit.params[b], ref.params, rtol=0, atol=1e-10)
        np.testing.assert_allclose(fit.bse[b], ref.bse, rtol=5e-9, atol=0)
        assert fit.df_resid[b] == ref.df_resid


def test_batch_ols_matches_fit_its(y: np.ndarray) -> None:
    X, terms = segmented_designs(IDX, SCHED[:, :1], ["a"])
    fit = batch_ols(X, y, hac_maxlags=3, terms=terms)
    ys = pd.Series(y, index=IDX)
    for b, (i,) in enumerate(SCHED[:, :1]):
        res = fit_its(ys, {"a": IDX[i]}, "ols_hac", hac_maxlags=3)
        np.testing.assert_allclose(fit.params[b], res.params.to_numpy(), atol=1e-10)
        np.testing.assert_allclose(fit.bse[b], res.bse.to_numpy(), rtol=1e-10)


def test_batch_ols_many_responses_one_design(y: np.ndarray) -> None:
    X, terms = segmented_designs(IDX, SCHED[:1, :1], ["a"])
    Y = np.vstack([y, y[::-1], np.sqrt(y)])
    fit = batch_ols(X[0], Y, hac_maxlags=2, terms=terms)
    for r in range(3):
        ref = sm.OLS(Y[r], X[0]).fit(cov_type="HAC", cov_kwds={"maxlags": 2, "use_correction": True}, use_t=True)
        np.testing.assert_allclose(fit.params[r], ref.params, atol=1e-10)
        np.testing.assert_allclose(fit.bse[r], ref.bse, rtol=1e-10)


@pytest.mark.parametrize("scale", ["poisson", "X2"])
def test_batch_poisson_matches_statsmodels_glm(y: np.ndarray, scale: str) -> None:
    X, terms = segmented_designs(IDX, SCHED, ["a", "b"], seasonality=1)
    off = np.log(np.linspace(1.0, 2.0, 96))
    fit = batch_poisson(X, y, terms=terms, scale=scale, offset=off)
    assert fit.converged.all()
    for b in range(len(SCHED)):
        glm = sm.GLM(y, X[b], family=sm.families.Poisson(), offset=off)
        ref = glm.fit(tol=1e-13, scale="X2") if scale == "X2" else glm.fit(tol=1e-13)
        # tolerance: 1e-6 on coefficients and standard errors
        np.testing.assert_allclose(fit.params[b], ref.params, atol=1e-6)
        np.testing.assert_allclose(fit.bse[b], ref.bse, atol=1e-6)
        assert fit.dispersion[b] == pytest.approx(ref.pearson_chi2 / ref.df_resid, rel=1e-6)


def test_batch_poisson_matches_fit_its_quasipoisson(y: np.ndarray) -> None:
    X, terms = segmented_designs(IDX, SCHED[:, :1], ["a"])
    fit = batch_poisson(X, y, terms=terms, scale="X2")
    res = fit_its(pd.Series(y, index=IDX), {"a": IDX[SCHED[2, 0]]}, "quasipoisson")
    np.testing.assert_allclose(fit.params[2], res.params.to_numpy(), atol=1e-6)
    np.testing.assert_allclose(fit.bse[2], res.bse.to_numpy(), atol=1e-6)


def test_batch_poisson_flags_a_fit_that_cannot_converge() -> None:
    # zeros from the intervention on: the level coefficient runs off to -infinity
    y = np.r_[np.full(60, 3.0), np.zeros(36)]
    X, terms = segmented_designs(IDX, np.array([[60], [40]]), ["a"])
    fit = batch_poisson(X, y, terms=terms)
    assert not fit.converged[0]
    assert fit.converged[1]


def test_batch_poisson_refuses_negative_counts() -> None:
    X, terms = segmented_designs(IDX, np.array([[40]]), ["a"])
    with pytest.raises(ValueError, match="y >= 0"):
        batch_poisson(X, -np.ones(96), terms=terms)
