"""Break test for a shift in the mean of a series of any frequency (strucchange `Fstats(y ~ 1)` / `sctest`).

For every candidate break i (the last period of the first segment) between `from` = floor(trim * n) and
n - from, the Chow statistic of a mean-only model

    F_i = (RSS_0 - RSS_i) / (RSS_i / (n - 2)),

RSS_0 the residual sum of squares of one mean, RSS_i that of separate means before and after the break
(Andrews 1993; Zeileis et al. 2002, J Stat Softw 7(2), the strucchange convention, default trim 0.15). The
test statistic is sup_i F_i and the estimated break is its argmax.

p-value, by seeded Monte Carlo (p = (1 + #{sup F* >= sup F}) / (1 + n_sim)):
* `null="asymptotic"` (default): Andrews' (1993) limit, sup over the same trimmed range of a squared tied-down
  Brownian bridge, simulated on a grid of 1000 steps. strucchange's `sctest(type="supF")` reports Hansen's
  (1997) approximation of the same distribution; they agree within Monte Carlo error (0.02, tested).
* `null="exact"`: the exact finite-sample distribution under i.i.d. normal errors: sup F of a mean-only
  model does not depend on the mean or the variance, so series of n standard normal draws give it. Preferable
  for short series (it is larger than the asymptotic p in small n).
The test assumes uncorrelated errors: with autocorrelated series it over-rejects, which is why
`externalize.robustness.breaks` offers an AR(1) null for the segmented model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from externalize.errors import ModelSpecError
from externalize.models.design import as_regular


@dataclass(frozen=True)
class MeanBreakTest:
    """Result of `mean_break_test`.

    fstats: Series of F_i indexed by the candidate break period (last period of the first segment);
    sup_f: max F_i; breakpoint: its period; break_obs: its position (1-based, strucchange's `breakpoint`);
    p_value: Monte Carlo p-value (`n_sim` draws, `seed`, under `null`); mean_before / mean_after at the estimated break."""

    fstats: pd.Series
    sup_f: float
    breakpoint: pd.Period
    break_obs: int
    p_value: float
    n_sim: int
    seed: int
    null: str
    mean_before: float
    mean_after: float


def _fstats_matrix(Y: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """F_i for i = lo..hi (first segment = first i observations) for each row of Y (B, n)."""
    n = Y.shape[1]
    c1 = np.cumsum(Y, axis=1)
    c2 = np.cumsum(Y * Y, axis=1)
    i = np.arange(lo, hi + 1)
    s1, q1 = c1[:, i - 1], c2[:, i - 1]
    s2, q2 = c1[:, -1:] - s1, c2[:, -1:] - q1
    rss_i = (q1 - s1 ** 2 / i) + (q2 - s2 ** 2 / (n - i))
    rss_0 = c2[:, -1:] - c1[:, -1:] ** 2 / n
    return (rss_0 - rss_i) / (rss_i / (n - 2))


#: grid size of the simulated Brownian bridge for the asymptotic null
ASYMPTOTIC_GRID = 1000


def mean_break_test(y: pd.Series, *, trim: float = 0.15, n_sim: int = 10_000, seed: int = 0,
                    null: str = "asymptotic") -> MeanBreakTest:
    """sup-F test for one break in the mean of `y` (monthly, quarterly or yearly PeriodIndex); see the module
    docstring. trim: share of the series excluded at each end (strucchange `from`, default 0.15).
    ModelSpecError for a trim outside (0, 0.5) or a series too short for it."""
    if not 0.0 < trim < 0.5:
        raise ModelSpecError("trim must be in (0, 0.5)")
    if null not in ("asymptotic", "exact"):
        raise ModelSpecError(f"null must be 'asymptotic' or 'exact', got {null!r}")
    if n_sim < 99:
        raise ModelSpecError("n_sim must be at least 99")
    y = as_regular(y)
    v = y.to_numpy(dtype=float)
    n = len(v)
    lo = int(np.floor(trim * n))
    hi = n - lo
    if lo < 2 or hi <= lo:
        raise ModelSpecError(f"series of {n} periods is too short for trim={trim}: need at least 2 periods in "
                             "each trimmed end")
    if np.allclose(v, v[0]):
        raise ModelSpecError("series is constant: no break to test")
    f = _fstats_matrix(v[None, :], lo, hi)[0]
    j = int(np.argmax(f))
    sup = float(f[j])
    rng = np.random.default_rng(seed)
    sims = np.empty(n_sim)
    m = n if null == "exact" else ASYMPTOTIC_GRID
    mlo = lo if null == "exact" else int(np.floor(trim * m))
    chunk = max(1, 2_000_000 // m)
    for s in range(0, n_sim, chunk):
        b = min(chunk, n_sim - s)
        sims[s:s + b] = _fstats_matrix(rng.standard_normal((b, m)), mlo, m - mlo).max(axis=1)
    p = float((1 + (sims >= sup).sum()) / (1 + n_sim))
    k = lo + j
    return MeanBreakTest(fstats=pd.Series(f, index=y.index[lo - 1:hi], name="F"), sup_f=sup,
                         breakpoint=y.index[k - 1], break_obs=k, p_value=p, n_sim=n_sim, seed=seed, null=null,
                         mean_before=float(v[:k].mean()), mean_after=float(v[k:].mean()))
