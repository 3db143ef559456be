"""Count-model inference for the primaries: the dispersion floor, NB2 + HAC against statsmodels, the point
estimate against the model suite, and the NB-AR(1) bootstrap on seeded series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from externalize.models import fit_its
from externalize.robustness.countinf import (InferenceError, ct_alpha, infer, nb_ar1_draws, negbin_hac,
                                             quasi_poisson)
from externalize.robustness.fastfit import segmented_designs
from externalize.robustness.simulation import Scenario

IDX = pd.period_range("2011-01", "2017-12", freq="M")


@pytest.fixture(scope="module")
def design():
    X, terms = segmented_designs(IDX, np.array([[43]]), ["iv"], seasonality=1)
    return X[0], terms.index("level_iv")


def test_dispersion_floor_gives_poisson_intervals_for_underdispersed_counts(design):
    X, j = design
    # under-dispersed counts: 5 + Binomial(2, 0.5) varies less than a Poisson with mean 6
    y = 5.0 + np.random.default_rng(4).binomial(2, 0.5, 84)
    raw = quasi_poisson(X, y, j, floor=False)
    floored = quasi_poisson(X, y, j, floor=True)
    pois = sm.GLM(y, X, family=sm.families.Poisson()).fit()
    assert raw.dispersion[0] < 1
    np.testing.assert_allclose(floored.std_error[0], pois.bse[j], rtol=1e-6)     # floor: Poisson s.e.
    np.testing.assert_allclose(raw.std_error[0], pois.bse[j] * np.sqrt(raw.dispersion[0]), rtol=1e-6)
    assert floored.ci_high[0] - floored.ci_low[0] > raw.ci_high[0] - raw.ci_low[0]


def test_floor_changes_nothing_when_overdispersed(design):
    X, j = design
    y = np.random.default_rng(5).negative_binomial(2, 2 / (2 + 8.0), 84).astype(float)
    raw, floored = quasi_poisson(X, y, j, floor=False), quasi_poisson(X, y, j, floor=True)
    assert raw.dispersion[0] > 1
    np.testing.assert_allclose(raw.std_error, floored.std_error)


def test_quasipoisson_matches_the_model_suite(design):
    X, j = design
    y = np.random.default_rng(6).poisson(6.0, 84).astype(float)
    r = quasi_poisson(X, y, j, floor=False)
    f = fit_its(pd.Series(y, index=IDX), {"iv": IDX[43]}, "quasipoisson", seasonality=1)
    # tolerance: two IRLS implementations stopping at 1e-10 / statsmodels' default; 1e-6 relative
    np.testing.assert_allclose([r.estimate[0], r.std_error[0], r.p_value[0]],
                               [f.params["level_iv"], f.bse["level_iv"], f.pvalues["level_iv"]], rtol=1e-6)


def test_negbin_hac_matches_statsmodels_at_the_same_alpha(design):
    X, j = design
    sc = Scenario("x", family="negbin", mean=10, n=84, at=43, ar=0.3, sigma=0.3, nb_alpha=0.3, start="2011-01")
    Y = sc.simulate(np.random.default_rng(1), 3)
    r = negbin_hac(X, Y, j)
    for b in range(3):
        res = sm.GLM(Y[b], X, family=sm.families.NegativeBinomial(alpha=r.extra["nb_alpha"][b])).fit(
            cov_type="HAC", cov_kwds={"maxlags": int(r.extra["hac_lag"][b]), "use_correction": True})
        # coefficients: IRLS stopping rules differ (1e-5 relative); HAC s.e.: 1e-5 relative
        np.testing.assert_allclose(r.estimate[b], res.params[j], rtol=1e-5)
        np.testing.assert_allclose(r.std_error[b], res.bse[j], rtol=1e-5)


def test_cameron_trivedi_alpha_recovers_the_truth():
    rng = np.random.default_rng(8)
    mu = np.full((1, 20000), 5.0)
    y = rng.negative_binomial(1 / 0.4, 1 / (1 + 0.4 * 5.0), size=mu.shape).astype(float)
    assert ct_alpha(y, mu)[0] == pytest.approx(0.4, rel=0.05)


def test_nb_ar1_draws_have_nb_margins_and_ar_dependence():
    rng = np.random.default_rng(9)
    mu = np.full((1, 400), 10.0)
    d = nb_ar1_draws(mu, np.array([0.5]), np.array([0.6]), 200, rng)[0]
    assert d.mean() == pytest.approx(10.0, rel=0.02)
    assert d.var() == pytest.approx(10 + 0.5 * 100, rel=0.05)       # NB2 variance mu + alpha mu^2
    r1 = np.mean([np.corrcoef(s[1:], s[:-1])[0, 1] for s in d])
    # corr of counts = rho_g alpha mu / (1 + alpha mu) with rho_g a bit below 0.6 (copula): 0.6 * 5/6 = 0.5
    assert 0.35 < r1 < 0.52


@pytest.mark.slow
def test_bootstrap_is_seeded_and_covers_a_known_effect(design):
    X, j = design
    sc = Scenario("x", family="negbin", mean=10, n=84, at=43, ar=0.3, sigma=0.3, nb_alpha=0.2,
                  level=np.log(2), start="2011-01")
    Y = sc.simulate(np.random.default_rng(10), 30)
    a = infer("nb_ar1_boot", X, Y, j, n_boot=199, rng=np.random.default_rng(1))
    b = infer("nb_ar1_boot", X, Y, j, n_boot=199, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a.ci_low, b.ci_low)
    assert a.ok.all()
    cover = (a.ci_low <= np.log(2)) & (np.log(2) <= a.ci_high)
    assert cover.sum() >= 24   # 30 draws of a nominal 95% interval: P(Binomial(30, 0.95) < 24) < 0.001
    assert ((a.p_value > 0) & (a.p_value <= 1)).all()
    with pytest.raises(InferenceError):
        infer("nb_ar1_boot", X, Y, j)
    with pytest.raises(InferenceError):
        infer("wald", X, Y, j)


@pytest.mark.slow
def test_bootstrap_interval_is_the_set_its_test_does_not_reject(design):
    """The interval excludes 0 exactly when p < 0.05, series by series (so null coverage is 1 - size)."""
    X, j = design
    sc = Scenario("x", family="negbin", mean=10, n=84, at=43, ar=0.3, sigma=0.3, nb_alpha=0.2, start="2011-01")
    Y = sc.simulate(np.random.default_rng(3), 60)
    r = infer("nb_ar1_boot", X, Y, j, n_boot=199, rng=np.random.default_rng(1))
    excludes_zero = (r.ci_low > 0) | (r.ci_high < 0)
    np.testing.assert_array_equal(excludes_zero, r.p_value < 0.05)
