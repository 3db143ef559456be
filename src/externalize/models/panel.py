"""Multiple-group interrupted time series with a pooled control panel (Stata `itsa, treatid() contid()`).

Model (Linden 2015, Stata Journal 15(2):480-500, eq. 2; Simonton 1977; Linden & Adams 2011), fitted by OLS to
the *stacked* panel: one row per unit and period, the treated unit and every control unit as its own rows
(controls are pooled by stacking, not averaged: itsa averages the controls only for its figure)::

    Y_it = b0 + b1 T_t + b2 X_t + b3 XT_t + b4 Z_i + b5 Z_i T_t + b6 Z_i X_t + b7 Z_i XT_t + e_it

T = periods since the window start (0, 1, ...; itsa `_t`), X = 1 from the first treated period (`_x<trperiod>`),
XT = periods since it, 0 in that period (`_x_t<trperiod>`), Z = 1 for the treated unit (`_z`). With several
interventions X, XT, ZX, ZXT repeat per intervention, as with itsa's `trperiod(numlist)`.

Term names (built with `externalize.vocab.term`):

    itsa          here                   meaning
    _cons         const                  b0 controls' level at T = 0
    _t            time                   b1 controls' pre-period trend
    _x<p>         level_<iv>             b2 controls' level change at the intervention
    _x_t<p>       slope_<iv>             b3 controls' trend change
    _z            treated                b4 treated - controls, level at T = 0
    _z_t          time:treated           b5 treated - controls, pre-period trend
    _z_x<p>       level_<iv>:treated     b6 treated - controls, level change (difference in differences)
    _z_x_t<p>     slope_<iv>:treated     b7 treated - controls, trend change (difference in differences
                                            of slopes)

Covariance (`cov=`). itsa 1.0-2.2 (the Stata Journal article's) runs `newey depvar ..., lag(L) force` on data
`tsset panel time`; itsa 3.0 (2024) runs `glm ..., vce(hac nwest L) vfactor(N/df)` instead, with normal (z)
inference. What either computes on a panel is not documented. newey.ado 1.6.0 builds the meat with the lag
operator `L<j>.`, which on tsset panel data is missing across a panel boundary (within-unit lags:
"newey_panel"; `force` only skips newey's evenly-spaced check). But the one printed multiple-group result we
could find (below) is reproduced by the stacked-series reading and not by the within-unit one, with t or z
inference alike. Both are offered, with two alternatives:

* "newey_stacked" (default, the itsa convention as far as a printed result can tell): the stacked rows, unit
  after unit in the panel's order (Stata: sorted by the panel id, then time), treated as ONE time series:
  Bartlett weights 1 - j/(L+1), factor n/(n-k) (n = all stacked rows), t(n - k) inference, so a lag pairs
  a unit's last period with the next unit's first period (L of them per boundary). Evidence: Linden's
  `power_itsa` help file (2025-26, itsa 3.x) states P = 0.136 for `_z_x_t1989` in `itsa cigsale, treatid(3)
  trperiod(1989) lag(1)`; this convention gives 0.1361 (t) / 0.1359 (z), the within-unit one 0.1368 (t) /
  0.1366 (z), which print as 0.137 (tests/models/test_panel.py). Equal to R `sandwich::NeweyWest(lm(...), lag = L, prewhite = FALSE, adjust = TRUE)` on the stacked
  data (tests/models/references/make_references_panel.R). The result depends on the order of the units.
* "newey_panel": lags only within each unit (the sum over units of per-unit Newey-West meats; the reading of
  newey.ado's code above, what Roodman's `newey2` computes on panels, statsmodels `cov_type="hac-panel"`,
  and the within-panel alternative to the stacked series); factor n/(n-k), t(n - k). R:
  `sandwich::vcovPL(fit, cluster = ~unit, order.by = ~time, lag = L, kernel = "Bartlett", aggregate = FALSE,
  adjust = TRUE)` (equal to the textbook formula, both in make_references_panel.R).
  Neither Newey-West variant allows correlation across units within a period (common shocks).
* "driscoll_kraay": scores summed over units within each period, then Newey-West over periods (Driscoll &
  Kraay 1998; Stata `xtscc`; statsmodels "hac-groupsum"; R `sandwich::vcovPL(..., aggregate = TRUE,
  adjust = TRUE)`):
  allows correlation across units within and between nearby periods; factor n/(n-k), t(n - k) (the
  convention of `fit_comparative`).
* "cluster": cluster-robust by unit (Stata `regress ..., vce(cluster unit)`; R `sandwich::vcovCL(fit,
  cluster = ~unit, type = "HC1")`): factor G/(G-1) (n-1)/(n-k), t(G - 1). With ONE treated unit its
  residuals are orthogonal to the treated unit's own terms, so the treated unit's cluster adds nothing to
  the variance of the treated-minus-controls terms: their standard errors reflect the controls' variability
  only (and the treated post-period trend gets a standard error of ~0). Unreliable for inference on the
  treated unit (Conley & Taber 2011, Rev Econ Stat 93:113; MacKinnon & Webb 2017, J Appl Econometrics
  32:233); offered for comparison, and a note in fit_stats says so.

Which to use: "newey_stacked" reproduces itsa; the lag pairs it forms across unit boundaries have no
meaning, so for a new analysis "newey_panel" (serial correlation within units) or "driscoll_kraay" (also
common shocks across units) is the defensible choice; report the itsa convention beside it when comparing
with published itsa results.

Lag: `hac_maxlags=None` uses the Newey-West (1994) rule floor(4 (T/100)^(2/9)) on the number of periods T per
unit; itsa's own default is lag(0) (heteroskedasticity-robust only): pass `hac_maxlags=0` for that.

Post-period trends (`PanelITSResult.post_trend`, itsa `posttrend`): for the k-th intervention, treated =
b1 + b5 + sum_{j<=k}(b3_j + b7_j), controls = b1 + sum_{j<=k} b3_j, difference = b5 + sum_{j<=k} b7_j, each by
`lincom` (t(df) intervals, as Stata's lincom after newey).

Choosing controls: `match_controls` is itsamatch (controls whose pre-period level and trend differences from
the treated unit have p-values above a cut-off); it reproduces itsa's published example (states 4, 8, 19).

Counterfactual: for the treated unit, every `level_<iv>:treated` / `slope_<iv>:treated` term switched off
(its own pre-period line plus the controls' change at the intervention: the difference-in-differences
counterfactual); control rows are untreated and their counterfactual equals their fit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm

from externalize.errors import ModelSpecError
from externalize.models.design import as_regular, build_design, check_rank, hac_lag_rule
from externalize.models.results import ITSResult, residual_checks
from externalize.vocab import check_choice, term

__all__ = ["PANEL_COVS", "TREATED", "TREATED_TIME", "PanelITSResult", "fit_itsa_panel", "match_controls",
           "panel_from_long"]

#: covariance choices of `fit_itsa_panel`
PANEL_COVS: tuple[str, ...] = ("newey_stacked", "newey_panel", "driscoll_kraay", "cluster")
#: the treated-unit indicator Z (itsa `_z`) and its trend interaction Z*T (itsa `_z_t`)
TREATED = "treated"
TREATED_TIME = f"time:{TREATED}"

_COV_LABEL = {
    "newey_stacked": ("Newey-West HAC on the stacked units as one series (Stata itsa: newey, lag({L}) force; "
                      "Bartlett, n/(n-k), t(n-k))"),
    "newey_panel": "Newey-West HAC, lags within each unit (lag {L}, Bartlett, n/(n-k), t(n-k))",
    "cluster": "cluster-robust by unit (Stata vce(cluster); R vcovCL type HC1; G/(G-1)(n-1)/(n-k), t(G-1))",
    "driscoll_kraay": ("Driscoll-Kraay (scores summed over units per period, Newey-West over periods, lag {L}, "
                       "Bartlett, n/(n-k), t(n-k))"),
}


class PanelITSResult(ITSResult):
    """`ITSResult` of a multiple-group ITS; `post_trend` gives itsa's three `posttrend` rows."""

    def post_trend(self, intervention: str | None = None, alpha: float | None = None) -> pd.DataFrame:
        """Post-period trends after `intervention` (default: the last one) for the treated unit, the
        controls and their difference (Stata `itsa ..., posttrend` in a multiple-group analysis): three
        rows with columns group ("treated" / "controls" / "difference"), intervention, contrast, estimate,
        std_error, statistic, p_value, ci_low, ci_high, per period of the series' frequency."""
        names = list(self.interventions)
        name = names[-1] if intervention is None else intervention
        if name not in self.interventions:
            raise ModelSpecError(f"unknown intervention {intervention!r}; have {names}")
        upto = names[: names.index(name) + 1]
        controls = {"time": 1.0, **{term(iv, "slope"): 1.0 for iv in upto}}
        difference = {TREATED_TIME: 1.0, **{term(iv, "slope", TREATED): 1.0 for iv in upto}}
        rows = []
        for group, w in (("treated", {**controls, **difference}), ("controls", controls),
                         ("difference", difference)):
            out = self.lincom(w, alpha)
            out.insert(0, "intervention", name)
            out.insert(0, "group", group)
            rows.append(out)
        return pd.concat(rows, ignore_index=True)


def panel_from_long(df: pd.DataFrame, unit: str, time: str, y: str, freq: str = "Y") -> dict[str, pd.Series]:
    """Long panel (one row per unit and period) -> {unit name: series on a PeriodIndex of `freq`}.
    `time` holds years (freq "Y"), or anything `pd.Period(value, freq)` reads. Duplicated unit-periods or a
    missing column raise ModelSpecError."""
    missing = [c for c in (unit, time, y) if c not in df.columns]
    if missing:
        raise ModelSpecError(f"panel_from_long: columns {missing} not in the frame")
    if df.duplicated([unit, time]).any():
        raise ModelSpecError(f"panel_from_long: duplicated ({unit}, {time}) rows")
    out: dict[str, pd.Series] = {}
    for key, g in df.sort_values([unit, time]).groupby(unit, sort=False):
        idx = pd.PeriodIndex([pd.Period(str(v), freq=freq) for v in g[time]], freq=freq)
        out[str(key)] = pd.Series(g[y].to_numpy(dtype=float), index=idx, name=str(key))
    return out


def fit_itsa_panel(panel: Mapping[str, pd.Series], treated: str, interventions: Mapping[str, pd.Period | str],
                   *, controls: Sequence[str] | None = None, hac_maxlags: int | None = None,
                   cov: str = "newey_stacked", inference: str | None = None, seasonality: int = 0,
                   min_pre: int = 8, alpha: float = 0.05) -> PanelITSResult:
    """Multiple-group ITS of one treated unit against a pooled panel of control units (module docstring).

    panel: unit name -> series of the outcome on the same contiguous PeriodIndex (monthly, quarterly or
        yearly; no missing values: itsa needs a strongly balanced panel). `panel_from_long` builds it.
    treated: the treated unit (itsa `treatid()`); controls: control units (itsa `contid()`; default every
        other unit, as itsa does without contid()).
    interventions: name -> first treated period (itsa `trperiod()`), one or more.
    hac_maxlags: Newey-West lag L (itsa `lag()`) for the Newey-West and Driscoll-Kraay covariances; None -> the
        Newey-West 1994 rule on the number of periods per unit; 0 -> heteroskedasticity-robust only.
    cov: "newey_stacked" (itsa), "newey_panel" (lags within units), "driscoll_kraay" or "cluster".
    inference: None (t with the covariance's degrees of freedom: Stata newey / regress, itsa 1.0-2.2) or
        "z" (normal: itsa 3.x's glm); "t" is the same as None.
    seasonality: Fourier pairs on the calendar month / quarter, common to all units (not interacted with Z).
    min_pre: minimum number of pre-intervention periods.
    alpha: default level of the result's intervals.

    Returns a `PanelITSResult`: params / cov / tidy() with the terms of the module docstring, `rows` with
    columns series (unit) and period, `post_trend()` with itsa's treated / controls / difference rows,
    `effect(k)` per unit (0 for controls). ModelSpecError for an unknown unit, a control equal to the treated
    unit, fewer than one control, units on different windows or a singular design.
    """
    check_choice(cov, PANEL_COVS, "cov", error=ModelSpecError)
    if inference not in (None, "t", "z"):
        raise ModelSpecError(f"inference must be None, 't' or 'z', got {inference!r}")
    if not 0.0 < alpha < 1.0:
        raise ModelSpecError("alpha must be in (0, 1)")
    units = [str(u) for u in panel]
    treated = str(treated)
    if treated not in units:
        raise ModelSpecError(f"treated unit {treated!r} is not in the panel ({len(units)} units)")
    ctrl = [u for u in units if u != treated] if controls is None else [str(c) for c in controls]
    unknown = [c for c in ctrl if c not in units]
    if unknown:
        raise ModelSpecError(f"control units {unknown} are not in the panel")
    if treated in ctrl:
        raise ModelSpecError(f"the treated unit {treated!r} is among the controls")
    if not ctrl:
        raise ModelSpecError("a multiple-group ITS needs at least one control unit")
    if len(set(ctrl)) != len(ctrl):
        raise ModelSpecError("control units are listed more than once")
    # rows unit after unit in the panel's order (Stata: sorted by panel id): "newey_stacked" depends on it
    order = [u for u in units if u == treated or u in ctrl]
    by_name = {str(u): panel[u] for u in panel}
    ys = {u: as_regular(by_name[u], name=f"unit {u!r}") for u in order}
    index = ys[treated].index
    for u in ctrl:
        if not ys[u].index.equals(index):
            raise ModelSpecError(f"unit {u!r} covers {ys[u].index[0]}..{ys[u].index[-1]} but the treated unit "
                                 f"covers {index[0]}..{index[-1]}: the panel must be balanced")
    base = build_design(index, interventions, seasonality=seasonality, min_pre=min_pre)
    ivs = list(base.interventions)
    n_t = len(index)
    blocks, blocks_cf = [], []
    for u in order:
        z = float(u == treated)
        X = base.X.reset_index(drop=True).copy()
        X[TREATED] = z
        X[TREATED_TIME] = z * X["time"]
        for iv in ivs:
            X[term(iv, "level", TREATED)] = z * X[term(iv, "level")]
            X[term(iv, "slope", TREATED)] = z * X[term(iv, "slope")]
        Xc = X.copy()
        for iv in ivs:
            Xc[term(iv, "level", TREATED)] = 0.0
            Xc[term(iv, "slope", TREATED)] = 0.0
        blocks.append(X)
        blocks_cf.append(Xc)
    # column order as itsa prints it: controls' terms, then the treated-minus-controls terms
    cols = (["const", "time"] + [t for iv in ivs for t in (term(iv, "level"), term(iv, "slope"))]
            + [TREATED, TREATED_TIME] + [t for iv in ivs for t in (term(iv, "level", TREATED),
                                                                   term(iv, "slope", TREATED))])
    cols += [c for c in base.X.columns if c not in cols]
    X_all = pd.concat(blocks, ignore_index=True)[cols]
    Xcf_all = pd.concat(blocks_cf, ignore_index=True)[cols]
    check_rank(X_all.to_numpy(), cols)
    y_all = np.concatenate([ys[u].to_numpy(dtype=float) for u in order])
    unit_codes = np.repeat(np.arange(len(order)), n_t)
    time_codes = np.tile(np.arange(n_t), len(order))
    n, k = X_all.shape
    G = len(order)
    lag = hac_lag_rule(n_t) if hac_maxlags is None else int(hac_maxlags)
    if lag < 0:
        raise ModelSpecError("hac_maxlags must be >= 0")
    ols = sm.OLS(y_all, X_all)
    notes = [f"treated unit {treated}; {len(ctrl)} control units stacked (pooled), {n_t} periods each"]
    if cov == "newey_stacked":
        res = ols.fit(cov_type="HAC", cov_kwds={"maxlags": lag, "use_correction": True}, use_t=True)
        df = float(n - k)
        notes.append("Newey-West lags run across unit boundaries of the stacked series (itsa convention)")
    elif cov == "newey_panel":
        res = ols.fit(cov_type="hac-panel", cov_kwds={"groups": unit_codes, "maxlags": lag,
                                                        "use_correction": "hac"}, use_t=True)
        df = float(n - k)
    elif cov == "cluster":
        res = ols.fit(cov_type="cluster", cov_kwds={"groups": unit_codes, "use_correction": True,
                                                     "df_correction": True}, use_t=True)
        df = float(G - 1)
        notes.append("cluster-robust: with one treated unit the treated-minus-controls standard errors carry "
                     "only the controls' variability and are unreliable (Conley & Taber 2011)")
    else:
        # statsmodels' hac-groupsum needs rows sorted by time
        srt = np.lexsort((unit_codes, time_codes))
        res_s = sm.OLS(y_all[srt], X_all.iloc[srt]).fit(
            cov_type="hac-groupsum", cov_kwds={"time": time_codes[srt], "maxlags": lag, "use_correction": "hac"},
            use_t=True)
        res = res_s  # the raw result (its rows in time order); residuals below are in unit order
        df = float(n - k)
    params = pd.Series(np.asarray(res.params), index=cols)
    cov_df = pd.DataFrame(np.asarray(res.cov_params()), index=cols, columns=cols)
    resid = y_all - X_all.to_numpy() @ params.to_numpy()
    is_treated = np.repeat(np.array([u == treated for u in order]), n_t)
    checks = residual_checks(resid[is_treated])
    notes.append("residual checks: the treated unit's residuals")
    llf = float(res.llf)
    stats_ = {"n": n, "n_params": k, "aic": -2 * llf + 2 * k, "bic": -2 * llf + np.log(n) * k, "llf": llf,
              "dispersion": float(res.scale), "cov_type": _COV_LABEL[cov].format(L=lag),
              "hac_maxlags": np.nan if cov == "cluster" else lag, **checks, "converged": True,
              "notes": "; ".join(notes), "n_units": G, "n_periods": n_t, "panel_cov": cov,
              "slope_start": 0}
    first_active = np.zeros(n_t, dtype=bool)
    for iv, p in base.interventions.items():
        first_active |= np.asarray(index >= p)
    post = np.concatenate([first_active if u == treated else np.zeros(n_t, dtype=bool) for u in order])
    header = [(f"Multiple-group ITS (Stata itsa, treatid/contid): treated unit '{treated}' against {len(ctrl)} "
               "pooled control units; '<term>:treated' = treated minus controls"),
              f"covariance: {_COV_LABEL[cov].format(L=lag)}"]
    rows = pd.DataFrame({"series": np.repeat(order, n_t), "period": np.tile(np.asarray(index), G)})
    out = PanelITSResult(
        model=f"itsa_panel_{cov}", interventions=dict(base.interventions), result=res, params=params, cov=cov_df,
        use_t=True, df_resid=df, link="identity", X=X_all, X_cf=Xcf_all, offset=np.zeros(n), rows=rows,
        observed=y_all, fit_mask=np.ones(n, dtype=bool), post=post,
        intervention_terms=tuple(t for iv in ivs for t in (term(iv, "level", TREATED), term(iv, "slope", TREATED))),
        ratio_label=None, stats=stats_, header=header, alpha=alpha)
    if inference == "z":
        out.set_inference(False)
    return out


def match_controls(panel: Mapping[str, pd.Series], treated: str, interventions: Mapping[str, pd.Period | str],
                   *, p_min: float = 0.2, hac_maxlags: int | None = None, cov: str = "newey_stacked",
                   inference: str | None = None, min_pre: int = 8) -> pd.DataFrame:
    """Control units whose pre-period level and trend do not differ detectably from the treated unit's
    (Stata `itsamatch depvar, treatid() trperiod() pr(p_min) lag(L)`, Linden 2017/2018, itsamatch.ado 1.1.0):
    for every other unit, the two-unit `fit_itsa_panel` over the whole window; the unit is matched when the
    p-values of `treated` (b4, level difference at T = 0) and `time:treated` (b5, pre-period trend
    difference) both exceed `p_min`. Returns one row per candidate unit, in the panel's order: unit, p_level,
    p_trend, matched (bool). The matched units are meant for `fit_itsa_panel(..., controls=...)`.
    Balance tests are a screening device, not a proof of comparability: a large p-value can come from a
    short or noisy pre-period."""
    if not 0.0 < p_min < 1.0:
        raise ModelSpecError("p_min must be in (0, 1)")
    treated = str(treated)
    by_name = {str(u): panel[u] for u in panel}
    if treated not in by_name:
        raise ModelSpecError(f"treated unit {treated!r} is not in the panel ({len(by_name)} units)")
    rows = []
    for u in by_name:
        if u == treated:
            continue
        pair = {v: by_name[v] for v in by_name if v in (treated, u)}
        res = fit_itsa_panel(pair, treated, interventions, hac_maxlags=hac_maxlags, cov=cov, inference=inference,
                             min_pre=min_pre)
        p_level, p_trend = float(res.pvalues[TREATED]), float(res.pvalues[TREATED_TIME])
        rows.append({"unit": u, "p_level": p_level, "p_trend": p_trend, "matched": min(p_level, p_trend) > p_min})
    return pd.DataFrame(rows)
