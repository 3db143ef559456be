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

`stacked_ratio_of_rate_ratios` estimates the same quantity from monthly series by a stacked count model
(series-specific intercept, trend, seasonality and level change), with a floored quasi-Poisson interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
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


@dataclass(frozen=True)
class StackedRatio:
    """Ratio of rate ratios from a stacked monthly count model: estimate and interval on the ratio scale,
    p-value, Pearson dispersion (before the floor), and the four period x series totals (clash post, clash
    pre, external post, external pre); `note` says why the estimate is missing when it is."""

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    dispersion: float
    cells: tuple[float, float, float, float]
    note: str


def stacked_ratio_of_rate_ratios(clash: pd.Series, external: pd.Series, month: pd.Period, *,
                                 seasonality: int = 1, alpha: float = 0.05) -> StackedRatio:
    """log E[y_st] = a_s + b_s t (+ Fourier_s) + c_s post_t, stacked over s in {clash, external}; the ratio of
    rate ratios is exp(c_clash - c_external), with a floored quasi-Poisson interval (t(n - k)).

    Months: those both series cover. A zero total in any period x series cell makes the maximum-likelihood
    estimate infinite: the result is then NaN with the note, and the exact 2x2 test is the estimate to use."""
    import statsmodels.api as sm
    from scipy import stats as st

    from externalize.models.design import fourier_terms

    common = clash.index.intersection(external.index)
    if len(common) == 0:
        raise TableError("the clash and external series share no month")
    month = pd.Period(month, freq="M")
    post = np.asarray(common >= month, dtype=float)
    yc, ye = clash[common].to_numpy(float), external[common].to_numpy(float)
    cells = (float(yc[post == 1].sum()), float(yc[post == 0].sum()), float(ye[post == 1].sum()),
             float(ye[post == 0].sum()))
    nan = float("nan")
    if min(cells) == 0:
        return StackedRatio(nan, nan, nan, nan, nan, cells,
                            "a period x series cell has no events: the count model's estimate is infinite")
    t = np.arange(len(common), dtype=float)
    four = fourier_terms(common, seasonality).to_numpy() if seasonality else np.empty((len(common), 0))
    blocks = []
    for is_clash in (1.0, 0.0):
        ind = np.full(len(common), is_clash)
        cols = [ind, 1 - ind, ind * t, (1 - ind) * t, post * ind, post * (1 - ind)]
        cols += [ind[:, None] * four, (1 - ind)[:, None] * four] if seasonality else []
        blocks.append(np.column_stack([c if c.ndim == 2 else c[:, None] for c in cols]))
    X = np.vstack(blocks)
    # contrast parameterisation: column 4 (post x clash) minus column 5 (post x external)
    L = np.zeros(X.shape[1])
    L[4], L[5] = 1.0, -1.0
    y = np.r_[yc, ye]
    res = sm.GLM(y, X, family=sm.families.Poisson()).fit()
    phi = float(res.pearson_chi2 / res.df_resid)
    cov = np.asarray(res.cov_params()) * max(phi, 1.0)
    est = float(L @ np.asarray(res.params))
    se = float(np.sqrt(L @ cov @ L))
    q = st.t.ppf(1 - alpha / 2, res.df_resid)
    p = float(2 * st.t.sf(abs(est / se), res.df_resid))
    return StackedRatio(float(np.exp(est)), float(np.exp(est - q * se)), float(np.exp(est + q * se)), p, phi,
                        cells, "")
