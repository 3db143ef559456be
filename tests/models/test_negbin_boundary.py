"""NB2 on counts that are not overdispersed: the ML alpha sits at the Poisson boundary and the fit must
neither fail nor leave the parameter space; its coefficients then equal the Poisson ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from externalize.models import fit_its

IDX = pd.period_range("2011-01", "2017-12", freq="M")


@pytest.mark.parametrize("seed", range(10))
def test_negbin_at_poisson_boundary_matches_poisson(seed):
    rng = np.random.default_rng(seed)
    y = pd.Series(rng.poisson(5, len(IDX)).astype(float), index=IDX)
    nb = fit_its(y, {"s": "2014-09"}, "negbin", seasonality=1)
    stats = nb.fit_stats().iloc[0]
    assert stats["nb_alpha"] >= 0
    if stats["nb_alpha"] < 1e-4:
        pois = fit_its(y, {"s": "2014-09"}, "quasipoisson", seasonality=1).params
        # alpha ~ 0: NB2 and Poisson coefficients agree to 1e-3 (alpha * mu is below 1e-3 here)
        np.testing.assert_allclose(nb.params.to_numpy(), pois.to_numpy(), atol=1e-3)
