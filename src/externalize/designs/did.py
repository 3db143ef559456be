"""Callaway & Sant'Anna (2021) group-time ATTs through the `differences` package, as tidy frames.

Why `differences`: it implements the estimator of the R `did` package (group-time ATT(g,t) with never- or
not-yet-treated controls, varying base period, outcome-regression / IPW / doubly-robust estimation,
influence-function standard errors, simple / cohort / event-time aggregations), is typed, tested against
`did` by its author, on PyPI with a plain dependency list (pandas, statsmodels, formulaic, polars), and
reproduces the published minimum-wage example (`mpdta`, see tests/designs/test_did_mpdta.py) to the 4
decimals printed in the `did` README. pyfixest's event-study estimators (did2s, Sun-Abraham) are
regression-based and need many treated units for their cluster-robust errors; csdid pulls in unrelated
build tools (twine) as run-time dependencies.

Inputs are long panels: one row per unit and period, with an integer time index (`time`), the integer
period of first treatment (`cohort`, NaN for never-treated units), the outcome and any covariates.
Intervals are the package's analytic (influence-function, unit-clustered) pointwise 95% intervals; with
few treated units they are optimistic, which is why `randomization_pvalue` exists.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

from externalize.errors import ExternalizeError

CONTROL_GROUPS = ("never_treated", "not_yet_treated")
TIDY_COLUMNS = ["aggregation", "group", "time", "event_time", "estimate", "std_error", "ci_low", "ci_high"]


class DesignError(ExternalizeError):
    """A design cannot be estimated on the input given (no treated or no control units, bad panel)."""


@dataclass
class CSFit:
    """One Callaway-Sant'Anna fit: group-time, event-time and overall estimates as tidy frames."""

    group_time: pd.DataFrame
    event: pd.DataFrame
    overall: pd.DataFrame
    n_units: int
    n_treated: int
    n_never: int


@contextmanager
def _library_deprecations_silenced() -> Iterator[None]:
    """`differences` 0.3 calls pandas methods with inplace=, which pandas >= 3.1 flags (Pandas4Warning /
    FutureWarning raised inside the library: a deprecation there, not a bug signal here). Only those
    categories, and only from the library's modules, are silenced; everything else still raises in tests."""
    with warnings.catch_warnings():
        for cat in (getattr(pd.errors, "Pandas4Warning", None), FutureWarning, DeprecationWarning):
            if cat is not None:
                warnings.filterwarnings("ignore", category=cat, module=r"differences(\..*)?$")
        yield


def _flatten(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        out[col[-1]] = df[col].to_numpy()
    return out


def check_panel(panel: pd.DataFrame, outcome: str, unit: str = "unit", time: str = "time",
                cohort: str = "cohort") -> None:
    """Refuse a panel the estimator would mis-read: missing columns, repeated unit-times, missing outcomes,
    a cohort that varies within a unit, no treated or no never-treated unit."""
    need = [unit, time, cohort, outcome]
    missing = [c for c in need if c not in panel.columns]
    if missing:
        raise DesignError(f"panel lacks columns {missing}")
    if panel.duplicated([unit, time]).any():
        raise DesignError("panel has repeated unit-time rows")
    if panel[outcome].isna().any():
        raise DesignError(f"outcome {outcome!r} is missing in {int(panel[outcome].isna().sum())} rows")
    if (panel.groupby(unit)[cohort].nunique(dropna=False) > 1).any():
        raise DesignError("cohort (first treated period) varies within a unit")
    if panel[cohort].notna().sum() == 0:
        raise DesignError("no treated unit in the panel")


def fit_cs(panel: pd.DataFrame, outcome: str, *, control_group: str = "never_treated",
           covariates: Sequence[str] = (), unit: str = "unit", time: str = "time", cohort: str = "cohort",
           est_method: str = "reg", alpha: float = 0.05) -> CSFit:
    """Group-time ATTs and their simple and event-time aggregations.

    panel: long, one row per unit x time; `time` and `cohort` integers (cohort NaN = never treated).
    covariates: column names entering the outcome regression at their base-period values (`did` convention).
    Returns CSFit with tidy frames (TIDY_COLUMNS): aggregation "group-time" (group, time), "event" (event_time)
    and "overall" (the simple aggregation, weights proportional to group size, as `aggte(type="simple")`).
    Raises DesignError for a bad panel or an unknown control group.
    """
    from differences import ATTgt

    if control_group not in CONTROL_GROUPS:
        raise DesignError(f"control_group must be one of {CONTROL_GROUPS}")
    check_panel(panel, outcome, unit, time, cohort)
    cols = [unit, time, cohort, outcome, *covariates]
    df = panel[cols].rename(columns={unit: "unit", time: "time", cohort: "cohort"}).copy()
    df["time"] = df["time"].astype("int64")
    df["cohort"] = df["cohort"].astype("float64")
    df = df.set_index(["unit", "time"]).sort_index()
    formula = outcome if not covariates else f"{outcome} ~ {' + '.join(covariates)}"
    with _library_deprecations_silenced():
        att = ATTgt(data=df, cohort_column="cohort")
        att.fit(formula=formula, est_method=est_method, control_group=control_group, alpha=alpha,
                progress_bar=False)
        gt = _flatten(att.results()).reset_index()
        ev = _flatten(att.aggregate("event", alpha=alpha)).reset_index()
        simple = _flatten(att.aggregate("simple", alpha=alpha))
    g = pd.DataFrame({"aggregation": "group-time", "group": gt["cohort"].astype("Int64"),
                      "time": gt["time"].astype("Int64"), "event_time": (gt["time"] - gt["cohort"]).astype("Int64"),
                      "estimate": gt["ATT"], "std_error": gt["std_error"], "ci_low": gt["lower"],
                      "ci_high": gt["upper"]})
    e = pd.DataFrame({"aggregation": "event", "group": pd.array([pd.NA] * len(ev), dtype="Int64"),
                      "time": pd.array([pd.NA] * len(ev), dtype="Int64"),
                      "event_time": ev["relative_period"].astype("Int64"), "estimate": ev["ATT"],
                      "std_error": ev["std_error"], "ci_low": ev["lower"], "ci_high": ev["upper"]})
    o = pd.DataFrame({"aggregation": ["overall"], "group": pd.array([pd.NA], dtype="Int64"),
                      "time": pd.array([pd.NA], dtype="Int64"), "event_time": pd.array([pd.NA], dtype="Int64"),
                      "estimate": simple["ATT"].to_numpy(), "std_error": simple["std_error"].to_numpy(),
                      "ci_low": simple["lower"].to_numpy(), "ci_high": simple["upper"].to_numpy()})
    units = panel.drop_duplicates(unit)
    return CSFit(group_time=g[TIDY_COLUMNS], event=e[TIDY_COLUMNS], overall=o[TIDY_COLUMNS],
                 n_units=len(units), n_treated=int(units[cohort].notna().sum()),
                 n_never=int(units[cohort].isna().sum()))


def simple_att_never_treated(y: np.ndarray, cohort_pos: np.ndarray) -> float:
    """The overall (simple-aggregation) Callaway-Sant'Anna ATT with never-treated controls and no covariates,
    in closed form, for a balanced panel: y is units x periods; cohort_pos[i] is the column index of unit i's
    first treated period, -1 for never treated. ATT(g,t) = mean over cohort g of (y_t - y_{g-1}) minus the
    same mean over never-treated units, for t >= g; the overall ATT averages them with weights proportional
    to cohort size (`aggte(type="simple")`). Cohorts treated in the first period have no base period and are
    left out, as in `did`. Used for randomization inference, where the estimator is refitted many times."""
    never = cohort_pos < 0
    if not never.any():
        raise DesignError("no never-treated unit")
    num, den = 0.0, 0.0
    T = y.shape[1]
    for g in np.unique(cohort_pos[cohort_pos > 0]):
        members = cohort_pos == g
        d_treat = (y[members][:, g:] - y[members][:, [g - 1]]).mean(axis=0)
        d_ctrl = (y[never][:, g:] - y[never][:, [g - 1]]).mean(axis=0)
        n_g = int(members.sum())
        num += n_g * float((d_treat - d_ctrl).sum())
        den += n_g * (T - g)
    if den == 0:
        raise DesignError("no treated cohort with a base period")
    return num / den


def randomization_pvalue(panel: pd.DataFrame, outcome: str, observed: float, *, draws: int = 999,
                         seed: int = 20140808, unit: str = "unit", cohort: str = "cohort",
                         time: str = "time") -> tuple[float, np.ndarray]:
    """Two-sided randomization-inference p-value of the overall ATT (never-treated controls, no covariates):
    the units' first-treatment periods are permuted across units (`draws` random permutations, seeded), the
    overall ATT recomputed each time (`simple_att_never_treated`), and
    p = (1 + #{|ATT_perm| >= |observed|}) / (1 + draws). It tests Fisher's sharp null of no effect in any
    unit and stays honest with few treated units, where the analytic errors are not. Returns (p, permuted ATTs).
    """
    check_panel(panel, outcome, unit, time, cohort)
    wide = panel.pivot(index=unit, columns=time, values=outcome)
    if wide.isna().any().any():
        raise DesignError("randomization inference needs a balanced panel")
    times = wide.columns.to_numpy()
    coh = panel.drop_duplicates(unit).set_index(unit)[cohort].reindex(wide.index)
    pos = np.array([-1 if pd.isna(c) else int(np.searchsorted(times, c)) for c in coh])
    y = wide.to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    stats = np.array([simple_att_never_treated(y, rng.permutation(pos)) for _ in range(draws)])
    pval = (1 + int((np.abs(stats) >= abs(observed) - 1e-12).sum())) / (1 + draws)
    return pval, stats
