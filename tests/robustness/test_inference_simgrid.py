"""The simulation grid: the same numbers for any number of processes, the method choice rule, the cache's
version check, and the committed cache itself (grid complete, >= 1000 replications per scenario)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from externalize.robustness.simgrid import (GRID_VERSION, SimulationCacheError, choose_method, grid, read_cache,
                                            run_grid)

CACHE = Path(__file__).resolve().parents[2] / "analysis" / "cache" / "simulation_study.csv"


@pytest.mark.slow
def test_results_do_not_depend_on_the_number_of_processes():
    a = run_grid(20, n_boot=49, block=10, scenarios=[0, 13])
    b = run_grid(20, n_boot=49, block=10, scenarios=[0, 13], processes=2)
    pd.testing.assert_frame_equal(a, b)
    assert set(a["estimator"]) == {"quasipoisson", "quasipoisson_floor", "negbin_hac", "nb_ar1_boot"}
    assert (a["n_rep"] == 20).all()


def test_grid_is_mean_by_ar_by_null_and_effect():
    g = grid()
    assert len(g) == 18
    assert {(s.mean, s.ar) for s in g} == {(m, a) for m in (2.0, 10.0, 30.0) for a in (0.0, 0.3, 0.6)}
    levels = sorted({s.level for s in g})
    assert levels[0] == 0.0 and levels[1] == pytest.approx(0.4054651081)


def _summary(rows):
    return pd.DataFrame([{"scenario": s, "estimator": m, "kind": k, "rejection_rate": r, "keeps_size": ks,
                          "keeps_coverage": kc} for s, m, k, r, ks, kc in rows])


def test_choose_method_prefers_the_simplest_method_that_keeps_size_and_coverage():
    s = _summary([("a", "quasipoisson_floor", "size", 0.09, False, True),
                  ("a", "negbin_hac", "size", 0.05, True, True),
                  ("a", "nb_ar1_boot", "size", 0.05, True, True)])
    assert choose_method(s)[0] == "negbin_hac"
    s2 = _summary([("a", "quasipoisson_floor", "size", 0.09, False, True),
                   ("b", "quasipoisson_floor", "size", 0.10, False, True),
                   ("a", "nb_ar1_boot", "size", 0.08, False, True),
                   ("b", "nb_ar1_boot", "size", 0.05, True, True)])
    method, why = choose_method(s2)
    assert method == "nb_ar1_boot" and "no method keeps" in why and "a" in why


def test_cache_version_is_checked(tmp_path):
    p = tmp_path / "sim.csv"
    with pytest.raises(SimulationCacheError, match="analysis/simulation_grid.py"):
        read_cache(p)
    pd.DataFrame({"version": ["0"], "scenario": ["x"]}).to_csv(p, index=False)
    with pytest.raises(SimulationCacheError, match="version"):
        read_cache(p)


def test_committed_cache_covers_the_grid():
    sim = read_cache(CACHE)
    assert set(sim["version"].astype(str)) == {GRID_VERSION}
    assert sim["scenario"].nunique() == 18 and (sim["n_rep"] >= 1000).all()
    assert (sim["n_ok"] >= 0.99 * sim["n_rep"]).all()
