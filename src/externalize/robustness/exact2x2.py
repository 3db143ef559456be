"""The direct test of externalization on yearly counts: a ratio of rate ratios by an exact conditional test.

Table (counts of events summed over the years of each period):

                  post   pre
    clash           a     b
    external        c     d

With Poisson counts and the same years in both rows, the clash rate ratio post/pre is (a / T1) / (b / T0) and
the external one (c / T1) / (d / T0); their ratio psi = (a d) / (b c) is the odds ratio of the table (the
exposures T0, T1 cancel). Conditioning on every margin, a follows Fisher's noncentral hypergeometric law
with parameter psi, which gives the conditional maximum-likelihood estimate, the exact interval
(Cornfield 1956) and the two-sided p-value of Fisher's test: the conventions of R `fisher.test` (p: sum of
the probabilities of tables no more likely than the observed one, relative tolerance 1e-7), as computed by
scipy `fisher_exact` and `contingency.odds_ratio(kind="conditional")`. Zero cells are allowed: the estimate
is then 0 or inf and the interval one-sided, but the test is always defined (a GLM on the same table
degenerates). The test assumes Poisson counts given the totals; it does not widen for overdispersion
between years, which the caller states as a caveat.

psi < 1: clashes fell relative to external attacks (the externalization hypothesis).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import contingency, fisher_exact

from externalize.errors import ExternalizeError


class TableError(ExternalizeError, ValueError):
    """A 2x2 table with negative or non-integer counts, or an empty row or column."""


@dataclass(frozen=True)
class ExactRatio:
    """Ratio of rate ratios from a 2x2 table: conditional MLE, exact (1 - alpha) interval, Fisher p-value,
    the sample (unconditional) odds ratio a d / (b c) and the table itself."""

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    sample_ratio: float
    table: tuple[tuple[int, int], tuple[int, int]]
    alpha: float


def exact_ratio_of_rate_ratios(clash_post: int, clash_pre: int, external_post: int, external_pre: int,
                               alpha: float = 0.05) -> ExactRatio:
    """Exact conditional test of psi = 1 on [[clash_post, clash_pre], [external_post, external_pre]]."""
    cells = np.array([[clash_post, clash_pre], [external_post, external_pre]], dtype=float)
    if (cells < 0).any() or (cells != np.round(cells)).any():
        raise TableError(f"counts must be non-negative integers, got {cells.tolist()}")
    t = cells.astype(int)
    if (t.sum(axis=0) == 0).any() or (t.sum(axis=1) == 0).any():
        raise TableError(f"a row or column of the table {t.tolist()} is empty: no ratio to estimate")
    res = contingency.odds_ratio(t, kind="conditional")
    ci = res.confidence_interval(confidence_level=1 - alpha, alternative="two-sided")
    p = float(fisher_exact(t, alternative="two-sided").pvalue)
    a, b, c, d = t.ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        sample = float(np.float64(a * d) / np.float64(b * c)) if b * c else (np.inf if a * d else np.nan)
    return ExactRatio(float(res.statistic), float(ci.low), float(ci.high), p, sample,
                      ((int(a), int(b)), (int(c), int(d))), alpha)
