"""Simulation study: how do the ITS estimators behave on series like ours, where the truth is known?

Data-generating process (one `Scenario`): n months, one intervention at position `at`,
    log mu_t = log(mean) - sigma^2 / 2 + level * post_t + slope * since_t + u_t,
    u_t = ar * u_{t-1} + e_t, a stationary Gaussian AR(1) with marginal standard deviation sigma,
so that the pre-intervention mean count is `mean` and dependence lives on the log scale (a latent AR(1)).
Counts: y_t ~ Poisson(mu_t) ("poisson") or NB2 with Var = mu + nb_alpha mu^2 ("negbin", a gamma-Poisson
mixture). "gaussian": y_t = mean + level * post_t + slope * since_t + sigma * u_t / sd(u) with AR(1) u (no
log scale), for checks of the linear models.

The true value of the tested term:
  * log-link estimators (poisson, quasipoisson, negbin): `level` or `slope` (exact: the latent AR(1) is
    stationary, so the marginal mean is log-linear with the same coefficients); undefined for "gaussian" data.
  * identity-link estimators (ols_hac, gls_ar, arima): for "gaussian" data `level` / `slope`; for counts the
    mean path is linear only without a slope change, where the level truth is mean * (exp(level) - 1) and the
    slope truth is 0; otherwise undefined. Undefined truths give NaN coverage and bias (rejection rates are
    still reported).

Summary per scenario x estimator: rejection rate at `alpha` (the size when the tested effect is 0, the power
otherwise) with its Monte Carlo standard error, coverage of the (1 - alpha) interval, mean estimate, bias,
RMSE, mean interval width, refused fits and fits that warned (e.g. OverdispersionWarning).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from externalize.models import fit_its

FAMILIES = ("gaussian", "poisson", "negbin")
LOG_LINK = ("poisson", "quasipoisson", "negbin")

#: label -> (fit_its model, options); the estimators compared by default
DEFAULT_ESTIMATORS: dict[str, tuple[str, dict[str, Any]]] = {
    "ols_hac": ("ols_hac", {}),
    "gls_ar": ("gls_ar", {}),
    "poisson": ("poisson", {}),
    "quasipoisson": ("quasipoisson", {}),
    "negbin": ("negbin", {}),
}

#: columns of `SimulationResult.summary`
SUMMARY_COLUMNS = ("scenario", "family", "mean", "ar", "sigma", "nb_alpha", "level", "slope", "n", "term",
                   "estimator", "truth", "kind", "n_rep", "n_ok", "n_refused", "n_warned", "rejection_rate",
                   "rejection_mc_se", "coverage", "mean_estimate", "bias", "rmse", "mean_ci_width")


@dataclass(frozen=True)
class Scenario:
    """One data-generating process (see module docstring). `term` is the tested term: "level" or "slope"."""

    name: str
    family: str = "poisson"
    mean: float = 10.0
    n: int = 96
    at: int = 55
    level: float = 0.0
    slope: float = 0.0
    ar: float = 0.0
    sigma: float = 0.0
    nb_alpha: float = 0.0
    term: str = "level"
    start: str = "2010-01"

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES}")
        if not -1 < self.ar < 1:
            raise ValueError("ar must be in (-1, 1)")
        if self.term not in ("level", "slope"):
            raise ValueError("term must be 'level' or 'slope'")
        if not 0 < self.at < self.n:
            raise ValueError("the intervention must be inside the window")
        if self.family == "negbin" and self.nb_alpha <= 0:
            raise ValueError("negbin needs nb_alpha > 0")
        if self.family == "gaussian" and self.sigma <= 0:
            raise ValueError("gaussian needs sigma > 0 (the error standard deviation)")

    @property
    def intervention(self) -> pd.Period:
        return pd.Period(self.start, freq="M") + self.at

    def truth(self, model: str) -> float:
        effect = self.level if self.term == "level" else self.slope
        if model in LOG_LINK:
            return float("nan") if self.family == "gaussian" else effect
        if self.family == "gaussian":
            return effect
        if self.slope != 0:
            return float("nan")
        return self.mean * math.expm1(self.level) if self.term == "level" else 0.0

    def simulate(self, rng: np.random.Generator, n_rep: int) -> np.ndarray:
        """(n_rep, n) simulated series."""
        t = np.arange(self.n)
        post = (t >= self.at).astype(float)
        since = np.where(t >= self.at, t - self.at, 0).astype(float)
        u = np.zeros((n_rep, self.n))
        if self.sigma > 0:
            e = rng.standard_normal((n_rep, self.n))
            u[:, 0] = e[:, 0]
            for i in range(1, self.n):
                u[:, i] = self.ar * u[:, i - 1] + math.sqrt(1 - self.ar ** 2) * e[:, i]  # unit marginal sd
        if self.family == "gaussian":
            return self.mean + self.level * post + self.slope * since + self.sigma * u
        log_mu = math.log(self.mean) - self.sigma ** 2 / 2 + self.level * post + self.slope * since + self.sigma * u
        mu = np.exp(log_mu)
        if self.family == "negbin":
            mu = mu * rng.gamma(1.0 / self.nb_alpha, self.nb_alpha, size=mu.shape)
        return rng.poisson(mu).astype(float)


@dataclass(frozen=True)
class SimulationResult:
    """`summary`: one row per scenario x estimator, columns `SUMMARY_COLUMNS` (kind = "size" when the tested
    effect is 0, else "power"). `replications`: one row per scenario x replication x estimator with columns
    scenario, rep, estimator, estimate, std_error, ci_low, ci_high, p_value, reject, covered, error, warned."""

    summary: pd.DataFrame
    replications: pd.DataFrame
    seed: int
    alpha: float


def _fit(y: pd.Series, iv: Mapping[str, pd.Period], model: str, options: Mapping[str, Any], term: str,
         alpha: float) -> dict[str, Any]:
    rec: dict[str, Any] = {"estimate": np.nan, "std_error": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                           "p_value": np.nan, "error": "", "warned": False}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = fit_its(y, iv, model, **dict(options))
        except (ValueError, np.linalg.LinAlgError) as exc:  # e.g. an all-zero simulated series
            rec["error"] = str(exc)
            return rec
    rec["warned"] = bool(caught)
    ci = res.conf_int(alpha)
    rec.update(estimate=float(res.params[term]), std_error=float(res.bse[term]),
               ci_low=float(ci.loc[term, "lower"]), ci_high=float(ci.loc[term, "upper"]),
               p_value=float(res.pvalues[term]))
    return rec


def run_simulation(scenarios: Sequence[Scenario], estimators: Mapping[str, tuple[str, Mapping[str, Any]]]
                   | None = None, *, n_rep: int = 200, seed: int = 20140808, alpha: float = 0.05,
                   progress: Callable[[str, int, int], None] | None = None) -> SimulationResult:
    """Simulate `n_rep` series per scenario and fit every estimator to each.

    estimators: label -> (fit_its model, options); default `DEFAULT_ESTIMATORS`. Log-link estimators are
    skipped on "gaussian" scenarios (negative values). Each scenario draws from its own child of
    `np.random.SeedSequence(seed)`, so results per scenario do not depend on the other scenarios or on the
    estimator list. progress(scenario_name, done, total) is called after each replication.
    """
    est = dict(DEFAULT_ESTIMATORS if estimators is None else estimators)
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ValueError("scenario names must be unique")
    children = np.random.SeedSequence(seed).spawn(len(scenarios))
    reps: list[dict[str, Any]] = []
    for sc, ss in zip(scenarios, children, strict=True):
        Y = sc.simulate(np.random.default_rng(ss), n_rep)
        index = pd.period_range(sc.start, periods=sc.n, freq="M")
        iv = {"x": sc.intervention}
        term = f"{sc.term}_x"
        todo = {k: v for k, v in est.items() if not (sc.family == "gaussian" and v[0] in LOG_LINK)}
        for r in range(n_rep):
            y = pd.Series(Y[r], index=index)
            for label, (model, options) in todo.items():
                rec = _fit(y, iv, model, options, term, alpha)
                reps.append({"scenario": sc.name, "rep": r, "estimator": label, "model": model, **rec})
            if progress is not None:
                progress(sc.name, r + 1, n_rep)
    rep_df = pd.DataFrame(reps)
    summary = summarise(rep_df, scenarios, alpha)
    rep_df["reject"] = rep_df["p_value"] < alpha
    return SimulationResult(summary=summary, replications=rep_df.drop(columns="model"), seed=seed, alpha=alpha)


def summarise(reps: pd.DataFrame, scenarios: Sequence[Scenario], alpha: float) -> pd.DataFrame:
    """Summary table from the replications (see `SUMMARY_COLUMNS`)."""
    by_name = {s.name: s for s in scenarios}
    rows = []
    for (name, label), g in reps.groupby(["scenario", "estimator"], sort=False):
        sc = by_name[str(name)]
        model = str(g["model"].iloc[0])
        truth = sc.truth(model)
        ok = g[g["error"] == ""]
        m = len(ok)
        reject = (ok["p_value"] < alpha).to_numpy()
        rate = float(reject.mean()) if m else float("nan")
        covered = ((ok["ci_low"] <= truth) & (truth <= ok["ci_high"])).to_numpy()
        err = ok["estimate"].to_numpy() - truth
        effect = sc.level if sc.term == "level" else sc.slope
        d = {k: v for k, v in asdict(sc).items() if k in ("family", "mean", "ar", "sigma", "nb_alpha", "level",
                                                            "slope", "n", "term")}
        rows.append({"scenario": name, **d, "estimator": label, "truth": truth,
                     "kind": "size" if effect == 0 else "power", "n_rep": len(g), "n_ok": m,
                     "n_refused": int(len(g) - m), "n_warned": int(ok["warned"].sum()),
                     "rejection_rate": rate,
                     "rejection_mc_se": math.sqrt(rate * (1 - rate) / m) if m else float("nan"),
                     "coverage": float(covered.mean()) if m and np.isfinite(truth) else float("nan"),
                     "mean_estimate": float(ok["estimate"].mean()) if m else float("nan"),
                     "bias": float(err.mean()) if m and np.isfinite(truth) else float("nan"),
                     "rmse": float(np.sqrt((err ** 2).mean())) if m and np.isfinite(truth) else float("nan"),
                     "mean_ci_width": float((ok["ci_high"] - ok["ci_low"]).mean()) if m else float("nan")})
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def default_scenarios(n: int = 96, at: int = 55) -> list[Scenario]:
    """Scenarios at the levels of the real monthly series (means ~1 to ~30 events a month): for each mean,
    Poisson iid and NB2 with a latent AR(1) (ar 0.5, sigma 0.3, nb_alpha 0.3) under the null, a level change
    of log(1.5) and a slope change of +0.01 per month on the log scale (NB2 AR(1)), and one Gaussian iid null."""
    out = [Scenario("gaussian_iid_null", family="gaussian", mean=10.0, sigma=2.0, n=n, at=at)]
    dep: dict[str, Any] = dict(ar=0.5, sigma=0.3, nb_alpha=0.3)
    for mean in (2.0, 10.0, 30.0):
        m = f"m{mean:g}"
        out += [
            Scenario(f"poisson_iid_null_{m}", family="poisson", mean=mean, n=n, at=at),
            Scenario(f"negbin_ar1_null_{m}", family="negbin", mean=mean, n=n, at=at, **dep),
            Scenario(f"negbin_ar1_level_{m}", family="negbin", mean=mean, n=n, at=at, level=math.log(1.5), **dep),
            Scenario(f"negbin_ar1_slope_{m}", family="negbin", mean=mean, n=n, at=at, slope=0.01, term="slope",
                     **dep),
        ]
    return out


__all__ = ["DEFAULT_ESTIMATORS", "SUMMARY_COLUMNS", "Scenario", "SimulationResult", "default_scenarios",
           "run_simulation", "summarise"]
