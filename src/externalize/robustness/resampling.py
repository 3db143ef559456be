"""Resampling inference that respects autocorrelation in short monthly series.

* `block_bootstrap`: residual block bootstrap of the segmented model. The design is held fixed; blocks of
  residuals (moving blocks of length l, Kunsch 1989, or stationary blocks with mean length l, Politis &
  Romano 1994, wrapped around the end) are laid end to end to make each bootstrap series, so dependence within
  a block is kept. Block length rule: l = ceil(n^(1/3)) (the order that minimises the error of block-bootstrap
  variance estimates, Hall, Horowitz & Jing 1995), unless given.
    - ols_hac: y* = fitted + e*, e* = resampled residuals.
    - poisson / quasipoisson: multiplicative residuals, y* = mu_hat * (y / mu_hat)* (keeps y* >= 0; the
      Poisson quasi-likelihood fit accepts non-integer y*).
  Intervals: percentile. p-value (two-sided, null beta = 0) from the centred draws:
  (1 + #{|b* - b_hat| >= |b_hat|}) / (1 + B).
* `permutation_test`: the intervention date permuted over every eligible month (placebo-in-time with no
  exclusion zone), compared on the t/z statistic.

Seeded with numpy's Generator (PCG64): the same seed gives byte-identical frames.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from externalize.models.design import as_monthly, parse_interventions
from externalize.robustness.fastfit import batch_ols, batch_poisson, segmented_designs
from externalize.robustness.placebo import PlaceboResult, placebo_in_time, resolve_term

BOOT_MODELS = ("ols_hac", "poisson", "quasipoisson")
KINDS = ("moving", "stationary")


def block_length_rule(n: int) -> int:
    """ceil(n^(1/3))."""
    return int(np.ceil(n ** (1.0 / 3.0)))


def block_indices(n: int, n_boot: int, block_length: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    """(n_boot, n) resampled time indices built from blocks of consecutive months."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    if not 1 <= block_length <= n:
        raise ValueError(f"block_length must be in 1..{n}")
    if kind == "moving":
        n_blocks = -(-n // block_length)
        starts = rng.integers(0, n - block_length + 1, size=(n_boot, n_blocks))
        idx = starts[:, :, None] + np.arange(block_length)[None, None, :]
        return idx.reshape(n_boot, -1)[:, :n]
    # stationary bootstrap: each month starts a new block with probability 1/l, else continues (circularly)
    new_block = rng.random((n_boot, n)) < 1.0 / block_length
    new_block[:, 0] = True
    starts = rng.integers(0, n, size=(n_boot, n))
    # position within the current block: months since the last block start
    last_start = np.maximum.accumulate(np.where(new_block, np.arange(n)[None, :], 0), axis=1)
    offset = np.arange(n)[None, :] - last_start
    start_of_block = np.take_along_axis(starts, last_start, axis=1)
    return (start_of_block + offset) % n


@dataclass(frozen=True)
class BootstrapResult:
    """Block bootstrap. `draws`: long frame with columns draw (0..B-1), term, estimate.
    `summary`: one row per term with columns term, estimate (original fit), boot_mean, boot_se, ci_low,
    ci_high (percentile, level 1 - alpha), p_value (centred-draw two-sided), n_boot, n_failed."""

    model: str
    kind: str
    block_length: int
    n_boot: int
    seed: int
    alpha: float
    summary: pd.DataFrame
    draws: pd.DataFrame


def block_bootstrap(y: pd.Series, interventions: Mapping[str, pd.Period | str], model: str = "ols_hac", *,
                    n_boot: int = 999, block_length: int | None = None, kind: str = "moving",
                    seed: int = 20140808, alpha: float = 0.05, terms: Sequence[str] = ("level", "slope"),
                    seasonality: int = 0) -> BootstrapResult:
    """Residual block bootstrap of the segmented ITS model (see module docstring).

    y: monthly series; interventions: as `fit_its`; model: ols_hac | poisson | quasipoisson (the point
    estimates are those of `fit_its` for that model; quasipoisson and poisson share them). terms: "level",
    "slope" (of the first intervention) or full term names.
    """
    if model not in BOOT_MODELS:
        raise ValueError(f"model must be one of {BOOT_MODELS} (vectorised refits)")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")
    y = as_monthly(y)
    ivs = parse_interventions(interventions, y.index)
    names = list(ivs)
    pos = np.array([[int(np.searchsorted(y.index.asi8, p.ordinal)) for p in ivs.values()]])
    X3, cols = segmented_designs(y.index, pos, names, seasonality=seasonality)
    X = X3[0]
    want = [resolve_term(t, names[0]) for t in terms]
    for t in want:
        if t not in cols:
            raise ValueError(f"term {t!r} not in the design ({', '.join(cols)})")
    jj = [cols.index(t) for t in want]
    v = y.to_numpy(dtype=float)
    n = len(v)
    L = block_length_rule(n) if block_length is None else int(block_length)
    idx = block_indices(n, n_boot, L, kind, np.random.default_rng(seed))
    if model == "ols_hac":
        fit0 = batch_ols(X, v, hac_maxlags=0, terms=cols)
        fitted = X @ fit0.params[0]
        resid = v - fitted
        ystar = fitted[None, :] + resid[idx]
        boot = batch_ols(X, ystar, hac_maxlags=0, terms=cols)
    else:
        if (v < 0).any():
            raise ValueError("count models need y >= 0")
        fit0 = batch_poisson(X, v, terms=cols)
        if not fit0.converged[0]:
            raise ValueError("the Poisson fit to the observed series did not converge")
        mu = np.exp(X @ fit0.params[0])
        ystar = mu[None, :] * (v / mu)[idx]
        boot = batch_poisson(X, ystar, terms=cols)
    ok = boot.converged & np.isfinite(boot.params).all(axis=1)
    b_hat = fit0.params[0, jj]
    B = boot.params[ok][:, jj]
    recs = []
    for i, t in enumerate(want):
        d = B[:, i]
        recs.append({"term": t, "estimate": float(b_hat[i]), "boot_mean": float(d.mean()),
                     "boot_se": float(d.std(ddof=1)),
                     "ci_low": float(np.quantile(d, alpha / 2)), "ci_high": float(np.quantile(d, 1 - alpha / 2)),
                     "p_value": float((1 + np.count_nonzero(np.abs(d - b_hat[i]) >= abs(b_hat[i]))) / (1 + len(d))),
                     "n_boot": int(len(d)), "n_failed": int((~ok).sum())})
    draw_ids = np.flatnonzero(ok)
    draws = pd.DataFrame({"draw": np.repeat(draw_ids, len(want)), "term": np.tile(want, len(draw_ids)),
                          "estimate": B.reshape(-1)})
    return BootstrapResult(model=model, kind=kind, block_length=L, n_boot=int(n_boot), seed=int(seed),
                           alpha=alpha, summary=pd.DataFrame(recs), draws=draws)


def permutation_test(y: pd.Series, interventions: Mapping[str, pd.Period | str], model: str = "ols_hac", *,
                     term: str = "level", min_pre: int = 12, min_post: int = 12, **kwargs: Any) -> PlaceboResult:
    """Permutation of the intervention date: the t/z statistic of `term` at the real date against its value at
    every other eligible date (no exclusion zone), p = (1 + #{|t_perm| >= |t_real|}) / (1 + n_perm).
    Deterministic (all eligible dates are used, nothing is sampled). Returns a `PlaceboResult`."""
    return placebo_in_time(y, interventions, model, term=term, statistic="t", min_pre=min_pre,
                           min_post=min_post, exclude_within=0, **kwargs)
