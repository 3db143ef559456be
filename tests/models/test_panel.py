"""Multiple-group ITS with a pooled control panel (externalize.models.panel; Stata itsa treatid/contid).

References:
* R (references/make_references_panel.R -> ref_panel.csv) on the Abadie et al. (2010) smoking panel
  (data/cigsales.csv: 39 states, 1970-2000, California = state 3): lm coefficients; sandwich::NeweyWest on the
  stacked rows; the within-state Newey-West and Driscoll-Kraay meats written out by their textbook formulas;
  sandwich::vcovCL(type = "HC1"); lincoms of the itsa posttrend rows. Cases: all 38 controls with lag(1);
  contid(4 8 19) (Colorado, Idaho, Montana) with lag(1); two periods 1982 and 1989 with lag(2).
  Tolerances (relative): estimates 1e-8, standard errors 1e-6, p-values 1e-5 (absolute 1e-12 for p < 1e-7).
* Published: Linden's `power_itsa` help file (Stata package itsa / power_itsa, SSC; the "Multiple-group
  ITSA" example) states that in `itsa cigsale, treatid(3) trperiod(1989) lag(1)` the coefficient of
  `_z_x_t1989` has P = 0.136. Tested at the printed precision (three decimals).
* Published: the itsa help file (Stata Journal update st0389_4, SJ 17(2)) runs `itsa cigsale, treatid(3)
  trperiod(1989) contid(4 8 19) lag(1)` with the note "These matches were identified using itsamatch"
  (`itsamatch cigsale, treatid(3) trperiod(1989) pr(0.20) lag(1)`): `match_controls` reproduces {4, 8, 19}.
  (The itsamatch help text says "4, 8, and 9"; state 9's pre-trend p-value is 0.09 < 0.20 under every
  Newey-West convention here, so "9" reads as a typo for "19", which itsa's help file uses.) The 38 pairs'
  p-values are also checked against R (ref_panel_match.csv, relative 1e-5). This example does not tell the
  stacked and within-unit conventions apart: b4 and b5 depend on pre-period rows only, and a stacked
  boundary pairs a post-period row with a pre-period row, so both give the same p-values.
* Closed forms: noiseless data recover the coefficients exactly; the treated unit's segment coefficients
  b0+b4, b1+b5, b2+b6, b3+b7 equal the single-group fit of the treated unit alone (Z saturates the design).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from models_helpers import DATA, REFS

from externalize.errors import ExternalizeError, ModelSpecError
from externalize.models import fit_its
from externalize.models.panel import PANEL_COVS, TREATED, TREATED_TIME, fit_itsa_panel, match_controls, panel_from_long
from externalize.vocab import term

CASES = {
    "all_controls": {"controls": None, "interventions": {"tp1989": "1989"}, "lag": 1},
    "contid_4_8_19": {"controls": [4, 8, 19], "interventions": {"tp1989": "1989"}, "lag": 1},
    "two_periods_lag2": {"controls": None, "interventions": {"tp1982": "1982", "tp1989": "1989"}, "lag": 2},
}


@pytest.fixture(scope="module")
def cig() -> pd.DataFrame:
    return pd.read_csv(DATA / "cigsales.csv")


@pytest.fixture(scope="module")
def panel(cig: pd.DataFrame) -> dict[str, pd.Series]:
    return panel_from_long(cig, "state", "year", "cigsale")


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return pd.read_csv(REFS / "ref_panel.csv")


def r_term(name: str) -> str:
    """R term of make_references_panel.R -> this package's term name."""
    fixed = {"(Intercept)": "const", "t": "time", "z": TREATED, "zt": TREATED_TIME}
    if name in fixed:
        return fixed[name]
    for prefix, kind, treated in (("zxt", "slope", True), ("zx", "level", True), ("xt", "slope", False),
                                  ("x", "level", False)):
        if name.startswith(prefix) and name[len(prefix):].isdigit():
            return term(f"tp{name[len(prefix):]}", kind, TREATED if treated else None)
    raise AssertionError(f"unmapped R term {name}")


def _fit(panel: dict[str, pd.Series], cig: pd.DataFrame, case: str, cov: str):
    spec = CASES[case]
    names = dict(zip(cig["state_id"], cig["state"], strict=False))
    controls = None if spec["controls"] is None else [names[i] for i in spec["controls"]]
    return fit_itsa_panel(panel, "California", spec["interventions"], controls=controls,
                          hac_maxlags=spec["lag"], cov=cov)


def _close(got: float, want: float, rel: float, abs_: float = 1e-12) -> bool:
    return bool(np.isclose(got, want, rtol=rel, atol=abs_))


# ------------------------------------------------------------------------------------------------ data
def test_cigsales_panel_is_the_abadie_smoking_panel(cig: pd.DataFrame) -> None:
    assert cig.shape == (39 * 31, 4)
    assert cig.groupby("state").size().eq(31).all()
    assert cig.loc[cig["state_id"] == 3, "state"].iloc[0] == "California"
    # California per-capita sales: 123.0 packs in 1970, 41.6 in 2000 (stored in single precision, as in the
    # source files: 41.59999847)
    cal = cig[cig["state"] == "California"].set_index("year")["cigsale"]
    assert cal[1970] == pytest.approx(123.0, abs=1e-5) and cal[2000] == pytest.approx(41.6, abs=1e-5)


# ------------------------------------------------------------------------------------------------ R
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("cov", PANEL_COVS)
def test_coefficients_and_standard_errors_match_r(panel, cig, ref, case: str, cov: str) -> None:
    res = _fit(panel, cig, case, cov)
    rows = ref[(ref["case"] == case) & (ref["cov"] == cov) & ~ref["term"].str.startswith("posttrend_")]
    assert len(rows) == len(res.params) == 4 + 4 * len(CASES[case]["interventions"])
    for r in rows.itertuples():
        name = r_term(r.term)
        assert _close(res.params[name], r.estimate, 1e-8), (name, res.params[name], r.estimate)
        assert _close(res.bse[name], r.std_error, 1e-6), (name, res.bse[name], r.std_error)
        assert _close(res.pvalues[name], r.p_value, 1e-5), (name, res.pvalues[name], r.p_value)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("cov", PANEL_COVS)
def test_posttrend_rows_match_r_lincom(panel, cig, ref, case: str, cov: str) -> None:
    res = _fit(panel, cig, case, cov)
    pt = res.post_trend().set_index("group")
    assert list(pt.index) == ["treated", "controls", "difference"]
    assert (pt["intervention"] == list(CASES[case]["interventions"])[-1]).all()
    rows = ref[(ref["case"] == case) & (ref["cov"] == cov) & ref["term"].str.startswith("posttrend_")]
    for r in rows.itertuples():
        g = r.term.removeprefix("posttrend_")
        assert _close(pt.loc[g, "estimate"], r.estimate, 1e-8)
        # cluster: the treated post-period trend has a variance of ~0 (see test_cluster_...)
        assert _close(pt.loc[g, "std_error"], r.std_error, 1e-6, abs_=1e-6)
        if r.std_error > 1e-6:
            assert _close(pt.loc[g, "p_value"], r.p_value, 1e-5)


def test_treated_segment_equals_the_single_group_fit(panel, ref) -> None:
    """Z saturates the design: b0+b4, b1+b5, b2+b6, b3+b7 are the treated unit's own segmented fit, which
    is `fit_its(..., "ols_hac")` of California alone (itsa cigsale, single treatid(3) ... lag(1)); the
    single-group fit is also checked against R."""
    res = fit_itsa_panel(panel, "California", {"tp1989": "1989"}, hac_maxlags=1)
    single = fit_its(panel["California"], {"tp1989": "1989"}, "ols_hac", hac_maxlags=1, min_pre=8)
    p = res.params
    pairs = {"const": p["const"] + p[TREATED], "time": p["time"] + p[TREATED_TIME],
             term("tp1989", "level"): p[term("tp1989", "level")] + p[term("tp1989", "level", TREATED)],
             term("tp1989", "slope"): p[term("tp1989", "slope")] + p[term("tp1989", "slope", TREATED)]}
    for name, combined in pairs.items():
        assert combined == pytest.approx(single.params[name], rel=1e-9)
    rows = ref[ref["case"] == "all_controls_single"]
    assert len(rows) == 4
    for r in rows.itertuples():
        name = r_term(r.term)
        assert _close(single.params[name], r.estimate, 1e-8)
        assert _close(single.bse[name], r.std_error, 1e-6)
    # the post-period trend of the treated row is the single-group posttrend estimate
    assert res.post_trend().loc[0, "estimate"] == pytest.approx(single.post_trend().loc[0, "estimate"],
                                                                rel=1e-9)


# ------------------------------------------------------------------------------------------------ published
def test_power_itsa_help_p_value_of_z_x_t1989(panel) -> None:
    """Linden, power_itsa help (Multiple-group ITSA, example 1): P = 0.136 for _z_x_t1989 in
    `itsa cigsale, treatid(3) trperiod(1989) lag(1)`. The stacked-series convention reproduces it; the
    within-unit one gives 0.137 at that precision, which is why newey_stacked is the itsa default."""
    stacked = fit_itsa_panel(panel, "California", {"tp1989": "1989"}, hac_maxlags=1)
    within = fit_itsa_panel(panel, "California", {"tp1989": "1989"}, hac_maxlags=1, cov="newey_panel")
    name = term("tp1989", "slope", TREATED)
    assert stacked.stats["panel_cov"] == "newey_stacked"
    assert round(float(stacked.pvalues[name]), 3) == 0.136
    assert round(float(within.pvalues[name]), 3) == 0.137
    # itsa 3.x (which the help file's example runs) reports z statistics: the same split
    for res, printed in ((stacked, 0.136), (within, 0.137)):
        res.set_inference(False)
        assert round(float(res.pvalues[name]), 3) == printed
    z = fit_itsa_panel(panel, "California", {"tp1989": "1989"}, hac_maxlags=1, inference="z")
    assert z.pvalues[name] == pytest.approx(stacked.pvalues[name], rel=1e-12)


@pytest.mark.parametrize("cov", ["newey_stacked", "newey_panel"])
def test_itsamatch_example_selects_states_4_8_19(cig, cov: str) -> None:
    panel_ids = panel_from_long(cig, "state_id", "year", "cigsale")
    m = match_controls(panel_ids, "3", {"tp1989": "1989"}, p_min=0.2, hac_maxlags=1, cov=cov)
    assert len(m) == 38
    assert sorted(int(u) for u in m.loc[m["matched"], "unit"]) == [4, 8, 19]
    # the near miss: state 9 balances on level but not on the pre-period trend
    nine = m.set_index("unit").loc["9"]
    assert nine["p_level"] > 0.2 > nine["p_trend"]
    # every two-state p-value against R (relative 1e-5)
    ref = pd.read_csv(REFS / "ref_panel_match.csv")
    ref = ref[ref["cov"] == cov].set_index(ref[ref["cov"] == cov]["state_id"].astype(str))
    got = m.set_index("unit")
    assert sorted(ref.index) == sorted(got.index)
    np.testing.assert_allclose(got.loc[ref.index, "p_level"], ref["p_level"], rtol=1e-5)
    np.testing.assert_allclose(got.loc[ref.index, "p_trend"], ref["p_trend"], rtol=1e-5)


# ------------------------------------------------------------------------------------------------ closed forms
def _synthetic(b: dict[str, float], noise: float = 0.0, n_controls: int = 5, seed: int = 1) -> dict[str, pd.Series]:
    idx = pd.period_range("2000", periods=20, freq="Y")
    t = np.arange(20.0)
    x = (t >= 12).astype(float)
    xt = np.where(x > 0, t - 12, 0.0)
    rng = np.random.default_rng(seed)
    out = {}
    for i in range(n_controls + 1):
        z = float(i == 0)
        mean = (b["b0"] + b["b1"] * t + b["b2"] * x + b["b3"] * xt
                + z * (b["b4"] + b["b5"] * t + b["b6"] * x + b["b7"] * xt) + 0.5 * (i - 2) * (1 - z))
        out["treated" if i == 0 else f"c{i}"] = pd.Series(mean + noise * rng.standard_normal(20), index=idx)
    return out


def test_noiseless_panel_recovers_the_coefficients() -> None:
    b = {"b0": 50.0, "b1": -1.0, "b2": -3.0, "b3": 0.5, "b4": 4.0, "b5": 0.25, "b6": -6.0, "b7": -0.75}
    # control intercepts differ by unit (+0.5 (i - 2)), which averages to 0 over c1..c5 only if centred:
    shift = np.mean([0.5 * (i - 2) for i in range(1, 6)])
    res = fit_itsa_panel(_synthetic(b), "treated", {"tax": "2012"}, hac_maxlags=1)
    want = {"const": b["b0"] + shift, "time": b["b1"], term("tax", "level"): b["b2"], term("tax", "slope"): b["b3"],
            TREATED: b["b4"] - shift, TREATED_TIME: b["b5"], term("tax", "level", TREATED): b["b6"],
            term("tax", "slope", TREATED): b["b7"]}
    for name, v in want.items():
        assert res.params[name] == pytest.approx(v, abs=1e-9)
    # effect of the intervention on the treated unit k years in: b6 + b7 k; controls are untreated
    eff = res.effect(3, "tax").set_index("series")
    assert eff.loc["treated", "estimate"] == pytest.approx(b["b6"] + 3 * b["b7"], abs=1e-9)
    assert (eff.drop(index="treated")["estimate"] == 0.0).all()


def test_seeded_simulation_interval_covers_the_true_difference_in_slopes() -> None:
    """20 seeded panels with a known difference in post-period slopes (b7 = -0.75): the estimates centre
    on it (mean within 3 Monte Carlo standard errors)."""
    b = {"b0": 50.0, "b1": -1.0, "b2": -3.0, "b3": 0.5, "b4": 4.0, "b5": 0.25, "b6": -6.0, "b7": -0.75}
    name = term("tax", "slope", TREATED)
    est = np.array([fit_itsa_panel(_synthetic(b, noise=1.0, seed=s), "treated", {"tax": "2012"},
                                   hac_maxlags=1).params[name] for s in range(20)])
    assert abs(est.mean() - b["b7"]) < 3 * est.std(ddof=1) / np.sqrt(len(est))


# ------------------------------------------------------------------------------------------------ conventions
def test_cluster_standard_error_of_the_treated_trend_collapses(panel) -> None:
    """Documented degeneracy: with one treated unit the treated post-period trend (a combination of that
    unit's own terms) gets a cluster-robust standard error of ~0, and fit_stats carries a note."""
    res = fit_itsa_panel(panel, "California", {"tp1989": "1989"}, cov="cluster")
    assert res.post_trend().loc[0, "std_error"] < 1e-6
    assert "unreliable" in res.stats["notes"]
    assert res.df_resid == 38.0  # t(G - 1), G = 39 states


def test_unit_order_matters_only_for_the_stacked_convention(panel) -> None:
    rev = dict(reversed(list(panel.items())))
    name = term("tp1989", "slope", TREATED)
    for cov, same in (("newey_panel", True), ("driscoll_kraay", True), ("newey_stacked", False)):
        a = fit_itsa_panel(panel, "California", {"tp1989": "1989"}, hac_maxlags=1, cov=cov)
        b = fit_itsa_panel(rev, "California", {"tp1989": "1989"}, hac_maxlags=1, cov=cov)
        assert a.params[name] == pytest.approx(b.params[name], rel=1e-10)
        assert bool(abs(a.bse[name] - b.bse[name]) < 1e-10 * a.bse[name]) is same


def test_default_lag_is_the_newey_west_rule_on_periods_per_unit(panel) -> None:
    res = fit_itsa_panel(panel, "California", {"tp1989": "1989"})
    assert res.stats["hac_maxlags"] == 3  # floor(4 (31/100)^(2/9)) = 3
    assert res.stats["n"] == 39 * 31 and res.stats["n_units"] == 39


# ------------------------------------------------------------------------------------------------ errors
@pytest.mark.parametrize(("kwargs", "match"), [
    ({"treated": "Atlantis"}, "not in the panel"),
    ({"controls": ["Atlantis"]}, "not in the panel"),
    ({"controls": ["California", "Idaho"]}, "among the controls"),
    ({"controls": []}, "at least one control"),
    ({"controls": ["Idaho", "Idaho"]}, "more than once"),
    ({"cov": "newey_stacke"}, "did you mean 'newey_stacked'"),
    ({"hac_maxlags": -1}, "hac_maxlags"),
])
def test_bad_requests_are_refused(panel, kwargs: dict, match: str) -> None:
    args = {"treated": "California", **kwargs}
    treated = args.pop("treated")
    with pytest.raises(ModelSpecError, match=match):
        fit_itsa_panel(panel, treated, {"tp1989": "1989"}, **args)


def test_unbalanced_panel_is_refused(panel) -> None:
    short = dict(panel)
    short["Idaho"] = panel["Idaho"].iloc[1:]
    with pytest.raises(ModelSpecError, match="balanced"):
        fit_itsa_panel(short, "California", {"tp1989": "1989"})


def test_panel_from_long_refuses_duplicates(cig: pd.DataFrame) -> None:
    with pytest.raises(ExternalizeError, match="duplicated"):
        panel_from_long(pd.concat([cig, cig.head(1)]), "state", "year", "cigsale")
