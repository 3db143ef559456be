"""The checks on a real monthly series: jihadi plots in Western Europe (Nesser), 2010-01 to 2017-12."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from externalize.robustness import block_bootstrap, multiple_breaks, placebo_in_time, sup_f_test

pytestmark = pytest.mark.realdata

IV = {"iraq_strikes": "2014-08"}


@pytest.fixture(scope="module")
def plots(nesser_monthly: pd.Series) -> pd.Series:
    return nesser_monthly.loc["2010-01":"2017-12"]


def test_placebo_on_real_counts(plots: pd.Series) -> None:
    assert len(plots) == 96 and plots.sum() > 0
    for model in ("ols_hac", "quasipoisson"):
        r = placebo_in_time(plots, IV, model, exclude_within=6)
        # 96 months, real date at position 55: shifts -43 .. 29 with |s| > 6 -> 73 - 13 = 60 placebo dates
        assert len(r.frame) == 61 and r.n_placebo + r.n_failed == 60
        pl = r.frame[~r.frame["is_real"] & r.frame["used"]]
        assert r.p_value == pytest.approx((1 + (pl["estimate"].abs() >= abs(r.real_estimate)).sum())
                                          / (1 + len(pl)))
        assert 1 / 61 <= r.p_value <= 1


def test_break_sweep_and_partitions_on_real_counts(plots: pd.Series) -> None:
    s = sup_f_test(plots, IV, transform="sqrt", null="ar1", n_sim=499)
    assert len(s.frame) == 96 - 2 * 14 + 1
    assert s.frame["f_stat"].max() == s.sup_f and np.isfinite(s.f_at_intervention)
    m = multiple_breaks(plots, IV, transform="sqrt")
    assert m.segments["n"].sum() == 96 and (m.segments["n"] >= m.min_size).all()


def test_bootstrap_on_real_counts_is_reproducible(plots: pd.Series) -> None:
    a = block_bootstrap(plots, IV, "quasipoisson", n_boot=300, seed=1)
    b = block_bootstrap(plots, IV, "quasipoisson", n_boot=300, seed=1)
    assert a.summary.to_csv() == b.summary.to_csv()
    assert (a.summary["ci_low"] < a.summary["ci_high"]).all()
