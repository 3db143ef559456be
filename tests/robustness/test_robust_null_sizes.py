"""Sizes under a true null with autocorrelated errors (seeded simulation): what referees worry about."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from externalize.robustness import placebo_in_time, sup_f_test


@pytest.mark.slow
def test_null_sizes_with_ar1_errors() -> None:
    # 200 series of 96 months, no break, Gaussian AR(1) errors with rho = 0.5
    n_rep, n = 200, 96
    rng = np.random.default_rng(99)
    idx = pd.period_range("2008-01", periods=n, freq="M")
    rej = {"placebo": 0, "supf_iid": 0, "supf_ar1": 0}
    for i in range(n_rep):
        z = rng.standard_normal(n)
        e = np.empty(n)
        e[0] = z[0] / np.sqrt(1 - 0.25)
        for k in range(1, n):
            e[k] = 0.5 * e[k - 1] + z[k]
        y = pd.Series(5 + e, index=idx)
        rej["placebo"] += placebo_in_time(y, {"x": "2012-09"}, "ols_hac", statistic="t").p_value <= 0.05
        rej["supf_iid"] += sup_f_test(y, n_sim=199, seed=i).p_value <= 0.05
        rej["supf_ar1"] += sup_f_test(y, null="ar1", n_sim=199, seed=i).p_value <= 0.05
    lo, hi = (v / n_rep for v in stats.binom.interval(0.999, n_rep, 0.05))
    # white-noise critical values are far too small under positive autocorrelation ...
    assert rej["supf_iid"] / n_rep > 0.3
    # ... the AR(1) parametric null and the placebo distribution hold their level (99.9% binomial band)
    assert lo <= rej["supf_ar1"] / n_rep <= hi
    assert rej["placebo"] / n_rep <= hi
