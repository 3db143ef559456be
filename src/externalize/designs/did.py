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

With outcome regression on a balanced panel, without or with numeric covariates, the package's per-cell
data-frame work (about 9 ms a group-time cell) is replaced by the same estimator in closed form
(`_fit_cs_closed_form`, vectorised over cells): the same estimates, errors and bounds to rounding (1e-10
relative in tests/designs/test_did_closed_form.py, against the package on random panels, the `did` example
with and without its covariate, and the study's own panels). Cells the closed form cannot match to rounding
(a nearly singular control design; an influence function that is 0 up to rounding) are computed by the
package's own 2x2 estimator; a cell the package cannot estimate sends the whole fit to the package.
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


def _wide_panel(df: pd.DataFrame, outcome: str, covariates: Sequence[str] = ()
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None] | None:
    """(outcomes units x periods, sorted period values, cohort per unit, covariates units x periods x k or
    None without covariates) of a balanced panel with integer cohorts, units in sorted order; None when the
    panel is unbalanced, a cohort is not an integer, or a covariate is not a finite number (bool, text or
    missing values: the library's formula would encode or drop them; the closed form then does not apply)."""
    times = np.sort(df["time"].unique())
    units = np.sort(df["unit"].unique())
    if len(df) != len(units) * len(times):
        return None
    coh = df.groupby("unit", sort=True)["cohort"].first().to_numpy(dtype=float)
    treated = np.isfinite(coh)
    if (coh[treated] != np.round(coh[treated])).any():
        return None
    wide = df.pivot(index="unit", columns="time", values=outcome).reindex(index=units, columns=times)
    y = wide.to_numpy(dtype=float)
    if np.isnan(y).any():
        return None
    if not covariates:
        return y, times.astype("int64"), coh, None
    layers = []
    for col in covariates:
        if not pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_bool_dtype(df[col]):
            return None
        layer = df.pivot(index="unit", columns="time", values=col).reindex(index=units, columns=times)
        layers.append(layer.to_numpy(dtype=float))
    x = np.stack(layers, axis=2)
    if not np.isfinite(x).all():
        return None
    return y, times.astype("int64"), coh, x


def _library_cell(dy: np.ndarray, treated: np.ndarray, control: np.ndarray,
                  z: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """ATT and unit-level influence function (length N, 0 outside the cell's units) of one group-time cell
    from the library's outcome-regression 2x2 estimator, exactly as `differences` calls it on a balanced panel
    (design [1, z] with z the cell's base-period covariates, units x k, or an intercept only; unit weights;
    influence function scaled by N / n_sample). Raises what the library raises (numpy.linalg.LinAlgError on a
    singular control design); the library then reports the cell as missing."""
    from differences.models.did.did_cal import reg_did_panel

    sample = treated | control
    m = int(sample.sum())
    # column-major, as the library's DataFrame.to_numpy() hands it over: the memory layout changes the
    # rounding of X'X, and with it whether a nearly singular design raises in the library's inverse
    exog = np.asfortranarray(np.ones((m, 1)) if z is None else np.column_stack([np.ones(m), z[sample]]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = reg_did_panel(endog=dy[sample], exog=exog, treated=treated[sample].astype("int64"),
                            weights=np.ones(m, dtype="int64"))
    inf = np.zeros(len(dy))
    inf[sample] = np.asarray(res["influence_func"], dtype=float).ravel() * (len(dy) / m)
    return float(res["att"]), inf


def _outcome_regression_cells(dy: np.ndarray, z: np.ndarray, treat: np.ndarray, ctrl: np.ndarray, n: int
                              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outcome-regression ATTs and influence functions of many cells at once, with covariates.

    dy: outcome changes, units x cells; z: base-period covariates, units x cells x k; treat, ctrl: unit
    masks, units x cells; n: number of units (N). Per cell, OLS of dy on [1, z] among the controls (written
    in deviations from the control means, which is the same fit, better conditioned), then
    ATT = mean_T(dy) - mean_T([1, z] b) = (dybar_T - dybar_C) - (zbar_T - zbar_C)' b_z, and, with the OLS
    estimation effect (DRDID `reg_did_panel`, whose influence function is scaled by N / n_sample here),
    psi_i = N [D_i (dy_i - [1, z_i] b - ATT) / n_T - C_i e_i (1 / n_C + (z_i - zbar_C)' S^-1 (zbar_T - zbar_C))],
    e_i the control residuals and S the controls' centred cross-product of z (the library's
    x_i' (X_C'X_C)^-1 sum_T x, rewritten around the control means).
    Returns (ATT per cell, psi units x cells, a flag per cell whose design is singular or too
    ill-conditioned for the numbers to agree with the library's inverse to rounding: reciprocal condition
    of the scaled centred S below 1e-8, or of the scaled raw X_C'X_C the library inverts below 1e-6; those
    cells are left to the library's own estimator)."""
    n_t, n_c = treat.sum(axis=0), ctrl.sum(axis=0)
    dybar_t = np.where(treat, dy, 0.0).sum(axis=0) / n_t
    dybar_c = np.where(ctrl, dy, 0.0).sum(axis=0) / n_c
    zbar_t = np.where(treat[:, :, None], z, 0.0).sum(axis=0) / n_t[:, None]
    zbar_c = np.where(ctrl[:, :, None], z, 0.0).sum(axis=0) / n_c[:, None]
    zc = z - zbar_c[None, :, :]                                                # units x cells x k
    dyc = dy - dybar_c[None, :]
    zc_ctrl = np.where(ctrl[:, :, None], zc, 0.0)
    s = np.einsum("ick,icl->ckl", zc_ctrl, zc_ctrl)                            # cells x k x k
    scale = np.sqrt(np.einsum("ckk->ck", s))
    ill = (scale == 0).any(axis=1)
    safe = np.where(scale == 0, 1.0, scale)
    corr = s / (safe[:, :, None] * safe[:, None, :])
    eig = np.linalg.eigvalsh(np.where(ill[:, None, None], np.eye(s.shape[1]), corr))
    ill |= eig[:, 0] < 1e-8 * eig[:, -1]
    # the library inverts the raw X_C'X_C (intercept included), whose rounding grows with its condition: a
    # covariate far from 0 relative to its spread (a calendar year, say) can leave the library's numbers
    # accurate to less than 1e-10; such cells are left to the library too
    k = s.shape[1]
    raw = np.empty((s.shape[0], k + 1, k + 1))
    raw[:, 0, 0] = n_c
    raw[:, 0, 1:] = raw[:, 1:, 0] = n_c[:, None] * zbar_c
    raw[:, 1:, 1:] = s + n_c[:, None, None] * zbar_c[:, :, None] * zbar_c[:, None, :]
    d = np.sqrt(np.einsum("ckk->ck", raw))
    d = np.where(d == 0, 1.0, d)
    eig_raw = np.linalg.eigvalsh(np.where(ill[:, None, None], np.eye(k + 1), raw / (d[:, :, None] * d[:, None, :])))
    ill |= eig_raw[:, 0] < 1e-6 * eig_raw[:, -1]
    s = np.where(ill[:, None, None], np.eye(k), s)
    szy = np.einsum("ick,ic->ck", zc_ctrl, np.where(ctrl, dyc, 0.0))
    beta = np.linalg.solve(s, szy[:, :, None])[:, :, 0]                      # cells x k
    h = np.linalg.solve(s, (zbar_t - zbar_c)[:, :, None])[:, :, 0]
    resid = dyc - np.einsum("ick,ck->ic", zc, beta)                            # dy - [1, z] b, every unit
    att = (dybar_t - dybar_c) - np.einsum("ck,ck->c", zbar_t - zbar_c, beta)
    lever = 1.0 / n_c + np.einsum("ick,ck->ic", zc, h)
    psi = n * (np.where(treat, resid - att, 0.0) / n_t - np.where(ctrl, resid * lever, 0.0))
    return att, psi, ill


def _fit_cs_closed_form(y: np.ndarray, times: np.ndarray, cohort: np.ndarray, control_group: str,
                        alpha: float, x: np.ndarray | None = None
                        ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None:
    """Callaway-Sant'Anna group-time ATTs on a balanced panel, without or with covariates, with their simple
    and event-time aggregations, in closed form: the numbers `differences` (0.3,
    `ATTgt(...).fit(est_method="reg")` with its defaults) returns, without its per-cell data frames.

    y: outcomes, units x periods (periods in increasing order `times`); cohort: first treated period per unit
    (NaN = never treated); x: covariates, units x periods x k, or None. Returns (group-time, event, overall)
    frames with columns group, time, estimate, std_error, ci_low, ci_high (event: event_time, ...), or None
    when the library would take another path (no never-treated unit left: it then uses the last cohort as
    controls and truncates the panel; no cohort with a base period) or would report a cell as missing (its
    control design is singular: the library's inverse raises and it drops the cell from the aggregations).

    Conventions, from the library's source (models/attgt: utility_ntl.py, attgt_cal.py, aggregate.py;
    models/did: did_cal.py, att_if.py; data_validator):
    - Units first treated at or before the first period have no untreated period and are dropped; a cohort
      after the last period counts as never treated. N is the number of units left.
    - Cells (g, t): every cohort g > first period, every period t but the first; varying base period: the
      period just before t when t < g (pre-period placebo), the last period before g when t >= g;
      anticipation 0.
    - Treated: units of cohort g. Controls: never-treated units, or with not-yet-treated controls also the
      units of other cohorts first treated after max(t, base).
    - Outcome regression on an intercept is the control mean of dy = y_t - y_base, so
      ATT(g,t) = mean_treated(dy) - mean_control(dy), with unit-level influence function
      psi_i = N * [D_i (dy_i - mean_treated) / n_T - C_i (dy_i - mean_control) / n_C]
      (zero for units in neither group; the OLS estimation effect of the control mean is the second term),
      and standard error sqrt(sum_i psi_i^2) / N (analytic, clustered by unit; no bootstrap by default).
    - With covariates (base_delta "base", the default): the design is [1, x at the base period] (the library
      keeps the earlier of the two periods' rows, and the base period is always the earlier one here), the
      control outcome regression is OLS of dy on it among the cell's controls, and the influence function
      adds its estimation effect (`_outcome_regression_cells`). Cells whose control design is (nearly)
      singular, and cells whose influence function is 0 up to rounding, are computed by the library's own
      2x2 estimator on the cell's units, as it would (`_library_cell`); if that raises, None.
    - Aggregations (simple: cells with t >= g; event: cells with t - g = e, pre-periods included) weight
      the cells by cohort shares n_g / N normalised to sum 1, and add to the influence function the term for
      the estimated weights: [(d - s) / sum(s) - rowsum(d - s) s' / sum(s)^2] @ ATT, d the units x cells
      cohort dummies, s their means.
    - Intervals: estimate -/+ z_{1-alpha/2} * std_error (pointwise normal). A standard error or bound that
      is exactly 0 is reported as NaN (the library's `fix_std_error_cols`): a cell whose outcome changes are
      constant within the treated and within the controls (e.g. no plot in either month anywhere) has none.
    """
    from scipy.stats import norm

    first, last = times[0], times[-1]
    keep = ~(np.isfinite(cohort) & (cohort <= first))
    y, cohort = y[keep], cohort[keep].copy()
    x = None if x is None else x[keep]
    cohort[np.isfinite(cohort) & (cohort > last)] = np.nan
    never = ~np.isfinite(cohort)
    if not never.any():
        return None
    cohorts = np.unique(cohort[~never])
    if len(cohorts) == 0:
        return None
    n = y.shape[0]
    cells_g, cells_b, cells_t = [], [], []
    for g in cohorts:
        last_pre = int(np.flatnonzero(times < g)[-1])
        for k in range(1, len(times)):
            cells_g.append(g)
            cells_t.append(k)
            cells_b.append(last_pre if times[k] >= g else k - 1)
    g_arr = np.array(cells_g)
    b_idx, t_idx = np.array(cells_b), np.array(cells_t)
    dy = y[:, t_idx] - y[:, b_idx]                                            # units x cells
    treat = cohort[:, None] == g_arr[None, :]
    ctrl = np.repeat(never[:, None], len(g_arr), axis=1)
    if control_group == "not_yet_treated":
        horizon = times[np.maximum(t_idx, b_idx)]
        with np.errstate(invalid="ignore"):
            ctrl |= (cohort[:, None] > horizon[None, :]) & ~treat

    def _group_mean_and_deviation(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # a group whose changes are all equal has that change as its mean and deviations exactly 0
        mean = np.where(mask, dy, 0.0).sum(axis=0) / mask.sum(axis=0)
        lo = np.where(mask, dy, np.inf).min(axis=0)
        hi = np.where(mask, dy, -np.inf).max(axis=0)
        const = lo == hi
        mean = np.where(const, lo, mean)
        dev = np.where(mask & ~const[None, :], dy - mean, 0.0)
        return mean, dev, const

    if x is None:
        n_t, n_c = treat.sum(axis=0), ctrl.sum(axis=0)
        mu_t, dev_t, const_t = _group_mean_and_deviation(treat)
        mu_c, dev_c, const_c = _group_mean_and_deviation(ctrl)
        att = mu_t - mu_c
        psi = n * (dev_t / n_t - dev_c / n_c)
        # Cells whose changes are constant within the treated and within the controls have an influence
        # function of 0 in exact arithmetic. The library reports a standard error of exactly 0 as missing, but
        # computes it with rounding residues (about 1e-17) unless every change is 0, so whether it prints NaN
        # or ~1e-17 is decided by its own floating-point path: for those few cells the library's own 2x2
        # estimator (`reg_did_panel`, on the cell's units in its order) gives the estimate and influence
        # function.
        for cell in np.flatnonzero(const_t & const_c & ((mu_t != 0) | (mu_c != 0))).tolist():
            att[cell], psi[:, cell] = _library_cell(dy[:, cell], treat[:, cell], ctrl[:, cell])
    else:
        zb = x[:, b_idx, :]                                                   # units x cells x k
        att, psi, ill = _outcome_regression_cells(dy, zb, treat, ctrl, n)
        # As above: an influence function that is 0 in exact arithmetic (every change 0 is exact here too:
        # the fit is then exactly 0) is left to the library's floating-point path, whose residue or exact 0
        # decides between a tiny standard error and a missing one; so are (nearly) singular designs.
        in_cell = treat | ctrl
        size = np.where(in_cell, np.abs(dy), 0.0).max(axis=0)
        tiny = (np.sqrt((psi ** 2).sum(axis=0)) <= 1e-9 * n * size) & (size > 0)
        for cell in np.flatnonzero(ill | tiny).tolist():
            try:
                att[cell], psi[:, cell] = _library_cell(dy[:, cell], treat[:, cell], ctrl[:, cell], zb[:, cell, :])
            except Exception:              # noqa: BLE001 - as the library's did_single_gt: a missing cell
                return None
    z = float(norm.ppf(1 - alpha / 2))

    def _se(inf: np.ndarray) -> np.ndarray:
        return np.sqrt((inf ** 2).sum(axis=0)) / n

    def _aggregate(cols: np.ndarray) -> tuple[float, float]:
        d = treat[:, cols].astype(float)
        s = d.mean(axis=0)
        w = s / s.sum()
        wif = (d - s) / s.sum() - (d - s).sum(axis=1)[:, None] * (s / s.sum() ** 2)[None, :]
        inf = psi[:, cols] @ w + wif @ att[cols]
        return float(w @ att[cols]), float(_se(inf[:, None])[0])

    def _with_bounds(frame: pd.DataFrame) -> pd.DataFrame:
        # the library reports a standard error, or a bound, that is exactly 0 as missing
        est, se = frame["estimate"].to_numpy(float), frame["std_error"].to_numpy(float)
        lo, hi = est - z * se, est + z * se
        return frame.assign(std_error=np.where(se == 0, np.nan, se), ci_low=np.where(lo == 0, np.nan, lo),
                            ci_high=np.where(hi == 0, np.nan, hi))

    times_t = times[t_idx]
    gt = _with_bounds(pd.DataFrame({"group": g_arr.astype("int64"), "time": times_t, "estimate": att,
                                    "std_error": _se(psi)}))
    rel = times_t - g_arr.astype("int64")
    ev_rows = [(e, *_aggregate(np.flatnonzero(rel == e))) for e in np.unique(rel)]
    ev = _with_bounds(pd.DataFrame(ev_rows, columns=["event_time", "estimate", "std_error"]))
    est, s_err = _aggregate(np.flatnonzero(rel >= 0))
    overall = _with_bounds(pd.DataFrame({"estimate": [est], "std_error": [s_err]}))
    return gt, ev, overall


def _tidy(gt: pd.DataFrame, ev: pd.DataFrame, simple: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                             pd.DataFrame]:
    """The three tidy frames (TIDY_COLUMNS) from group-time (group, time, ...), event (event_time, ...) and
    simple-aggregation (one row) frames with estimate, std_error, ci_low, ci_high."""
    g = pd.DataFrame({"aggregation": "group-time", "group": gt["group"].astype("Int64"),
                      "time": gt["time"].astype("Int64"), "event_time": (gt["time"] - gt["group"]).astype("Int64"),
                      "estimate": gt["estimate"], "std_error": gt["std_error"], "ci_low": gt["ci_low"],
                      "ci_high": gt["ci_high"]})
    e = pd.DataFrame({"aggregation": "event", "group": pd.array([pd.NA] * len(ev), dtype="Int64"),
                      "time": pd.array([pd.NA] * len(ev), dtype="Int64"),
                      "event_time": ev["event_time"].astype("Int64"), "estimate": ev["estimate"],
                      "std_error": ev["std_error"], "ci_low": ev["ci_low"], "ci_high": ev["ci_high"]})
    o = pd.DataFrame({"aggregation": ["overall"], "group": pd.array([pd.NA], dtype="Int64"),
                      "time": pd.array([pd.NA], dtype="Int64"), "event_time": pd.array([pd.NA], dtype="Int64"),
                      "estimate": simple["estimate"].to_numpy(), "std_error": simple["std_error"].to_numpy(),
                      "ci_low": simple["ci_low"].to_numpy(), "ci_high": simple["ci_high"].to_numpy()})
    return g[TIDY_COLUMNS], e[TIDY_COLUMNS], o[TIDY_COLUMNS]


def _fit_cs_library(df: pd.DataFrame, outcome: str, control_group: str, covariates: Sequence[str],
                    est_method: str, alpha: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The fit through `differences` (any panel, covariates, estimation method)."""
    from differences import ATTgt

    df = df.set_index(["unit", "time"]).sort_index()
    formula = outcome if not covariates else f"{outcome} ~ {' + '.join(covariates)}"
    with _library_deprecations_silenced():
        att = ATTgt(data=df, cohort_column="cohort")
        att.fit(formula=formula, est_method=est_method, control_group=control_group, alpha=alpha,
                progress_bar=False)
        gt = _flatten(att.results()).reset_index()
        ev = _flatten(att.aggregate("event", alpha=alpha)).reset_index()
        simple = _flatten(att.aggregate("simple", alpha=alpha))
    names = {"ATT": "estimate", "lower": "ci_low", "upper": "ci_high"}
    return _tidy(gt.rename(columns={**names, "cohort": "group"}),
                 ev.rename(columns={**names, "relative_period": "event_time"}), simple.rename(columns=names))


def fit_cs(panel: pd.DataFrame, outcome: str, *, control_group: str = "never_treated",
           covariates: Sequence[str] = (), unit: str = "unit", time: str = "time", cohort: str = "cohort",
           est_method: str = "reg", alpha: float = 0.05) -> CSFit:
    """Group-time ATTs and their simple and event-time aggregations.

    panel: long, one row per unit x time; `time` and `cohort` integers (cohort NaN = never treated).
    covariates: column names entering the outcome regression at their base-period values (`did` convention).
    Returns CSFit with tidy frames (TIDY_COLUMNS): aggregation "group-time" (group, time), "event" (event_time)
    and "overall" (the simple aggregation, weights proportional to group size, as `aggte(type="simple")`).
    With est_method "reg", on a balanced panel with never-treated units and covariates (if any) that are
    finite numbers, the numbers are computed in closed form (`_fit_cs_closed_form`; the same numbers as
    `differences`, to rounding, as tests/designs/test_did_closed_form.py checks); otherwise through
    `differences`.
    Units first treated in the first period have no base period and are left out, as `differences` and
    `did` do (with a warning).
    Raises DesignError for a bad panel or an unknown control group.
    """
    if control_group not in CONTROL_GROUPS:
        raise DesignError(f"control_group must be one of {CONTROL_GROUPS}")
    check_panel(panel, outcome, unit, time, cohort)
    cols = [unit, time, cohort, outcome, *covariates]
    df = panel[cols].rename(columns={unit: "unit", time: "time", cohort: "cohort"}).copy()
    df["time"] = df["time"].astype("int64")
    df["cohort"] = df["cohort"].astype("float64")
    frames = None
    if est_method == "reg":
        wide = _wide_panel(df, outcome, covariates)
        if wide is not None:
            y, times, coh, x = wide
            frames = _fit_cs_closed_form(y, times, coh, control_group, alpha, x)
            if frames is not None:
                n_early = int((np.isfinite(coh) & (coh <= times[0])).sum())
                if n_early:
                    warnings.warn(f"{n_early} units first treated in the first period (no untreated base "
                                  "period) are left out of the Callaway-Sant'Anna estimates", UserWarning,
                                  stacklevel=2)
                frames = _tidy(*frames)
    if frames is None:
        frames = _fit_cs_library(df, outcome, control_group, covariates, est_method, alpha)
    g, e, o = frames
    units = panel.drop_duplicates(unit)
    return CSFit(group_time=g, event=e, overall=o, n_units=len(units), n_treated=int(units[cohort].notna().sum()),
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
