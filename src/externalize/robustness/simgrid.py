"""The simulation study behind the primary intervals: size and coverage of the count-model inference methods
(`countinf.METHODS`) on the grid mean count 2 / 10 / 30 x latent AR(1) 0 / 0.3 / 0.6, under the null (size)
and with a level change of log 1.5 (coverage, power).

Data-generating process (`simulation.Scenario`, family "negbin"): 84 months (the study window 2011-01..2017-12),
level change at position 43 (2014-08), log mu_t = log(mean) - sigma^2/2 + level post_t + sigma u_t with u a
stationary AR(1) (unit variance, coefficient `ar`), sigma = 0.3, and NB2 counts with alpha = 0.2 around mu_t.
This is not the copula process the bootstrap draws from, so the bootstrap is not checked on its own model.
The fitted model is the primary one: const, time, level and slope at 2014-08, one Fourier pair.

Tasks are (scenario, block of `block` replications); each draws from
`np.random.SeedSequence(seed, spawn_key=(scenario index, block index))`, so the result is identical for any
number of processes. The cached result (CSV) carries a version and the command that makes it:

    python analysis/simulation_grid.py --n-rep 1000 --processes 2
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from externalize.errors import ExternalizeError
from externalize.robustness.countinf import METHODS, infer
from externalize.robustness.fastfit import segmented_designs
from externalize.robustness.simulation import Scenario

#: bump when the data-generating process, the methods or the summary change (stored in the CSV)
GRID_VERSION = "3"   # bootstrap interval: 1 equal-tailed, 2 symmetric quantile, 3 symmetric, inverts the test
COMMAND = "python analysis/simulation_grid.py --n-rep 1000 --processes 2"
MEANS = (2.0, 10.0, 30.0)
ARS = (0.0, 0.3, 0.6)
EFFECT = math.log(1.5)
SIZE_BAND = (0.03, 0.07)
MIN_COVERAGE = 0.93
#: order of preference when several methods keep size and coverage: simplest first
PREFERENCE = ("quasipoisson_floor", "negbin_hac", "nb_ar1_boot", "quasipoisson")

#: the columns of simulation_study.csv; `estimator` is the inference method (`countinf.METHODS`), named as in
#: the older `simulation.SUMMARY_COLUMNS` so the report's simulation table reads both
SUMMARY_COLUMNS = ("version", "scenario", "mean", "ar", "sigma", "nb_alpha", "level", "term", "kind", "estimator",
                   "n_rep",
                   "n_ok", "rejection_rate", "rejection_mc_se", "coverage", "coverage_mc_se", "mean_estimate",
                   "mean_ci_width", "n_boot", "seed", "keeps_size", "keeps_coverage")


class SimulationCacheError(ExternalizeError, FileNotFoundError):
    """The cached simulation study is missing or from another version."""


@dataclass(frozen=True)
class GridScenario:
    mean: float
    ar: float
    level: float
    sigma: float = 0.3
    nb_alpha: float = 0.2

    @property
    def name(self) -> str:
        return f"m{self.mean:g}_ar{self.ar:g}_{'null' if self.level == 0 else 'effect'}"

    def scenario(self) -> Scenario:
        return Scenario(self.name, family="negbin", mean=self.mean, n=84, at=43, level=self.level, ar=self.ar,
                        sigma=self.sigma, nb_alpha=self.nb_alpha, start="2011-01")


def grid() -> list[GridScenario]:
    return [GridScenario(m, a, lev) for lev in (0.0, EFFECT) for m in MEANS for a in ARS]


def _design() -> tuple[np.ndarray, int]:
    idx = pd.period_range("2011-01", periods=84, freq="M")
    X, terms = segmented_designs(idx, np.array([[43]]), ["x"], seasonality=1)
    return X[0], terms.index("level_x")


def run_task(args: tuple[int, int, int, int, int, Sequence[str]]) -> pd.DataFrame:
    """One block: (scenario index, block index, replications, bootstrap draws, seed, methods) -> replications."""
    si, bi, reps, n_boot, seed, methods = args
    gs = grid()[si]
    ss = np.random.SeedSequence(seed, spawn_key=(si, bi))
    data_rng, boot_rng = (np.random.default_rng(s) for s in ss.spawn(2))
    Y = gs.scenario().simulate(data_rng, reps)
    X, j = _design()
    keep = Y.sum(axis=1) > 0
    frames = []
    for method in methods:
        r = infer(method, X, Y[keep], j, n_boot=n_boot, rng=boot_rng)
        f = pd.DataFrame({"estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan,
                          "ok": False}, index=range(reps))
        kept = np.flatnonzero(keep)   # an all-zero simulated series has no fit: counted as not ok
        f.loc[kept, ["estimate", "ci_low", "ci_high", "p_value"]] = np.column_stack(
            [r.estimate, r.ci_low, r.ci_high, r.p_value])
        f.loc[kept, "ok"] = r.ok
        f["ok"] = f["ok"].astype(bool)
        frames.append(f.assign(scenario_index=si, block=bi, rep=np.arange(reps), method=method))
    return pd.concat(frames, ignore_index=True)


def run_grid(n_rep: int = 1000, *, n_boot: int = 199, seed: int = 20140808, processes: int = 1, block: int = 50,
             methods: Sequence[str] = METHODS, scenarios: Sequence[int] | None = None) -> pd.DataFrame:
    """Run the grid and return the summary (`SUMMARY_COLUMNS`); identical for any `processes`."""
    todo = list(range(len(grid()))) if scenarios is None else list(scenarios)
    tasks = []
    for si in todo:
        for bi in range(math.ceil(n_rep / block)):
            tasks.append((si, bi, min(block, n_rep - bi * block), n_boot, seed, tuple(methods)))
    if processes > 1:
        with ProcessPoolExecutor(processes) as ex:
            parts = list(ex.map(run_task, tasks))
    else:
        parts = [run_task(t) for t in tasks]
    reps = pd.concat(parts, ignore_index=True)
    return summarise(reps, n_boot=n_boot, seed=seed)


def summarise(reps: pd.DataFrame, *, n_boot: int, seed: int, alpha: float = 0.05) -> pd.DataFrame:
    rows = []
    g_all = grid()
    for (si, method), g in reps.groupby(["scenario_index", "method"], sort=True):
        gs = g_all[int(si)]
        ok = g[g["ok"]]
        m = len(ok)
        rej = float((ok["p_value"] < alpha).mean()) if m else np.nan
        cov = float(((ok["ci_low"] <= gs.level) & (gs.level <= ok["ci_high"])).mean()) if m else np.nan
        kind = "size" if gs.level == 0 else "coverage"
        rows.append({"version": GRID_VERSION, "scenario": gs.name, "mean": gs.mean, "ar": gs.ar, "sigma": gs.sigma,
                     "nb_alpha": gs.nb_alpha, "level": gs.level, "term": "level", "kind": kind,
                     "estimator": method, "n_rep": len(g),
                     "n_ok": m, "rejection_rate": rej,
                     "rejection_mc_se": math.sqrt(rej * (1 - rej) / m) if m else np.nan,
                     "coverage": cov, "coverage_mc_se": math.sqrt(cov * (1 - cov) / m) if m else np.nan,
                     "mean_estimate": float(ok["estimate"].mean()) if m else np.nan,
                     "mean_ci_width": float((ok["ci_high"] - ok["ci_low"]).mean()) if m else np.nan,
                     "n_boot": n_boot if method == "nb_ar1_boot" else 0, "seed": seed,
                     "keeps_size": bool(SIZE_BAND[0] <= rej <= SIZE_BAND[1]) if kind == "size" else True,
                     "keeps_coverage": bool(cov >= MIN_COVERAGE)})
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def choose_method(summary: pd.DataFrame) -> tuple[str, str]:
    """The primary inference method and the reason, from the simulation summary.

    The first method in `PREFERENCE` that keeps size in `SIZE_BAND` and coverage >= `MIN_COVERAGE` in every
    scenario. If none does, size comes first (the primaries are tests): the method with the fewest null
    scenarios outside the size band, then the smallest worst size error, then the fewest coverage failures,
    then `PREFERENCE` order; the reason names the scenarios it fails."""
    rank = {}
    for method, g in summary.groupby("estimator"):
        nulls = g[g["kind"] == "size"]
        size_bad = nulls[~nulls["keeps_size"].astype(bool)]
        cov_bad = g[~g["keeps_coverage"].astype(bool)]
        worst = float((nulls["rejection_rate"] - 0.05).abs().max()) if len(nulls) else float("inf")
        rank[str(method)] = (len(size_bad), worst, len(cov_bad), list(size_bad["scenario"]), list(cov_bad["scenario"]))
    if not rank:
        raise SimulationCacheError("empty simulation summary")
    n_scen = summary["scenario"].nunique()
    for method in PREFERENCE:
        if method in rank and rank[method][0] == 0 and rank[method][2] == 0:
            return method, (f"keeps size in [{SIZE_BAND[0]}, {SIZE_BAND[1]}] and coverage >= {MIN_COVERAGE} in "
                            f"all {n_scen} scenarios of the simulation study")
    order = {m: i for i, m in enumerate(PREFERENCE)}
    method = min(rank, key=lambda k: (rank[k][0], rank[k][1], rank[k][2], order.get(k, len(order))))
    size_bad, worst, n_cov, size_list, cov_list = rank[method]
    return method, (f"no method keeps size and coverage in every scenario; {method} keeps size best: outside "
                    f"[{SIZE_BAND[0]}, {SIZE_BAND[1]}] in {size_bad} null scenarios ({', '.join(size_list) or 'none'}; "
                    f"worst |size - 0.05| = {worst:.3f}), coverage below {MIN_COVERAGE} in {n_cov} of {n_scen} "
                    f"scenarios ({', '.join(cov_list) or 'none'})")


def read_cache(path: str | Path) -> pd.DataFrame:
    """The committed simulation summary; SimulationCacheError when missing or of another GRID_VERSION."""
    p = Path(path)
    if not p.is_file():
        raise SimulationCacheError(f"no cached simulation study at {p}; make it with: {COMMAND}")
    df = pd.read_csv(p)
    versions = set(df["version"].astype(str))
    if versions != {GRID_VERSION}:
        raise SimulationCacheError(f"{p} is version {sorted(versions)}, the code expects {GRID_VERSION}; "
                                   f"remake it with: {COMMAND}")
    return df
