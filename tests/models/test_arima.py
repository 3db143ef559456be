"""Box-Tiao regression with ARMA errors: multi-start optimum, orders, washout as missing months."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from models_helpers import monthly
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.statespace.sarimax import SARIMAX

from externalize.models import fit_its


def _series(seed: int = 0, n: int = 72) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = 0.6 * e[i - 1] + rng.normal()
    return monthly(20 + 0.1 * t - 4 * (t >= 36) + 0.2 * np.where(t >= 36, t - 36, 0) + e)


def test_best_of_several_starts_is_at_least_the_default_fit() -> None:
    y = _series()
    res = fit_its(y, {"iv": "2015-01"}, "arima", ar_order=2)
    st = res.fit_stats().iloc[0]
    assert st["n_starts"] >= 4
    assert "starting values, best from" in st["notes"]
    # an independent default-start SARIMAX fit of the same model cannot beat the kept optimum
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = SARIMAX(y.to_numpy(), exog=res.X.to_numpy(), order=(2, 0, 0), trend="n").fit(disp=False)
    assert st["llf"] >= ref.llf - 1e-6
    assert np.isfinite(res.bse).all()


def test_ma_and_seasonal_terms_are_estimated_and_reported() -> None:
    y = _series(seed=3)
    res = fit_its(y, {"iv": "2015-01"}, "arima", ar_order=1, ma_order=1, seasonal_order=(1, 0, 0, 12))
    terms = set(res.tidy()["term"])
    assert {"ar.L1", "ma.L1", "ar.S.L12", "sigma2", "level_iv", "slope_iv"} <= terms
    assert "seasonal(1, 0, 0, 12)" in res.summary()


@pytest.mark.slow
def test_true_level_change_recovered_within_tolerance() -> None:
    """AR(0.6) errors, level change -4: the estimate is within 2.5 standard errors of the truth on each of
    five seeds (a per-seed check; coverage is tested for GLS in test_simulation), and the Kalman-filter fit
    agrees with the profile-likelihood GLS fit of the same model (AR parameter 1e-3 absolute, log-likelihood
    1e-3 absolute: two optimisers of one likelihood). The AR estimates themselves range 0.23-0.66 across
    the seeds: the ML estimate of phi is strongly biased down in 72 months with a trend and two
    intervention terms, which is why REML is offered for gls_ar."""
    for seed in range(5):
        y = _series(seed)
        res = fit_its(y, {"iv": "2015-01"}, "arima", ar_order=1)
        z = (res.params["level_iv"] + 4) / res.bse["level_iv"]
        assert abs(z) < 2.5, (seed, z)
        g = fit_its(y, {"iv": "2015-01"}, "gls_ar", ar_order=1)
        assert res.params["ar.L1"] == pytest.approx(float(g.fit_stats()["ar_params"].iloc[0]), abs=1e-3)
        assert res.fit_stats()["llf"].iloc[0] == pytest.approx(g.fit_stats()["llf"].iloc[0], abs=1e-3)


def test_gls_ar_refuses_order_zero_and_bad_method() -> None:
    y = _series()
    with pytest.raises(ValueError, match="ar_order must be >= 1"):
        fit_its(y, {"iv": "2015-01"}, "gls_ar", ar_order=0)
    with pytest.raises(ValueError, match="ML' or 'REML"):
        fit_its(y, {"iv": "2015-01"}, "gls_ar", gls_method="OLS")
