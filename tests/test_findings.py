"""The findings step on a hand-made build: registered primaries with Holm across them and computed caveats,
the yearly minimum, the rival-date tables and the break-profile figure data."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from externalize.build import BuildResult
from externalize.config import InferenceConfig, load_study
from externalize.findings import PRIMARY_COLUMNS, findings_study, yearly_eligibility, yearly_interval_rule
from externalize.figures import break_profile_data, plot_break_profile
from externalize.ledger import Ledger
from externalize.registry import load_registry

IRAQ = pd.Period("2014-08", "M")


def test_yearly_minimum_counts_only_years_inside_the_arms_period():
    cfg = InferenceConfig(min_pre_years=3, arm_defined_from=date(2014, 2, 3))
    s = pd.Series([0.0, 3.0, 503.0, 66.0, 113.0], index=[2012, 2013, 2014, 2015, 2016])
    clash = yearly_eligibility(s, "clash", 2014, cfg)
    assert not clash.testable and clash.pre_years == ()
    assert "0 full pre-intervention years after the AQ-IS split (2014-02-03)" in clash.reason
    assert "2014: 503" in clash.reason
    # external attacks are defined in every covered year: 2012 and 2013 are 2 < 3 pre-years
    ext = yearly_eligibility(s, "external", 2014, cfg)
    assert not ext.testable and ext.pre_years == (2012, 2013)
    longer = pd.Series(np.ones(8), index=range(2009, 2017))
    assert yearly_eligibility(longer, "external", 2014, cfg).testable
    # an arm defined from 2010: years 2010..2013 count, 2009 does not
    later = InferenceConfig(min_pre_years=4, arm_defined_from=date(2010, 1, 1))
    el = yearly_eligibility(longer, "clash", 2014, later)
    assert el.testable and el.pre_years == (2010, 2011, 2012, 2013)


def test_arm_statements_read_the_primary_table_not_votes():
    from externalize.findings import arm_statements

    prim = pd.DataFrame([
        {"arm": "external", "outcome": "a", "status": "tested", "direction": "increase", "estimate": 3.0,
         "ci_low": 1.5, "ci_high": 6.0, "p_value": 0.003, "p_holm": 0.009, "caveat": "c1"},
        {"arm": "clash", "outcome": "b", "status": "tested", "direction": "decrease", "estimate": 2.0,
         "ci_low": 1.2, "ci_high": 3.0, "p_value": 0.01, "p_holm": 0.02, "caveat": "c2"},
        {"arm": "joint", "outcome": "c", "status": "tested", "direction": "increase", "estimate": 1.5,
         "ci_low": 0.8, "ci_high": 2.8, "p_value": 0.2, "p_holm": 0.2, "caveat": "c3"},
        {"arm": "direct", "outcome": "d", "status": "descriptive", "direction": "decrease", "estimate": np.nan,
         "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan, "p_holm": np.nan, "caveat": "0 pre-years"}])
    st = arm_statements(prim).set_index("arm")
    assert st.loc["external", "reading"] == "in the predicted direction"
    assert st.loc["clash", "reading"] == "against the predicted direction"
    assert st.loc["joint", "reading"] == "not distinguishable from no change"
    assert st.loc["direct", "reading"] == "not tested" and "0 pre-years" in st.loc["direct", "statement"]
    assert "Holm-adjusted p = 0.009" in st.loc["external", "statement"]


def test_yearly_interval_rule():
    assert yearly_interval_rule(0.8) == "exact Poisson"
    assert yearly_interval_rule(1.0) == "exact Poisson"
    assert yearly_interval_rule(74.8) == "quasi-Poisson"
    assert yearly_interval_rule(float("nan")) == "quasi-Poisson"


def _monthly_rows(source, event_class, counts, months):
    return pd.DataFrame({"source": source, "event_class": event_class, "family": "all", "period": months,
                         "count": counts.astype(float), "fatalities": np.nan, "in_coverage": True})


def _findings(tmp_path_factory, arm_defined_from: str = "2014-02-03"):
    text = load_study().path.read_text()
    text = text.replace('arm_defined_from = "2014-02-03"', f'arm_defined_from = "{arm_defined_from}"')
    if arm_defined_from != "2014-02-03":   # the yearly clash / joint outcomes then start with the arm
        text = text.replace("first_year = 2013", f"first_year = {arm_defined_from[:4]}")
    d = tmp_path_factory.mktemp("cfg")
    p = d / "study.toml"
    # a cheaper bootstrap for the test, and a cache path that does not exist (the fallback is tested)
    text = text.replace("bootstrap_draws = 999             #", "bootstrap_draws = 199             #")
    text = text.replace('simulation_cache = "analysis/cache/simulation_study.csv"',
                        f'simulation_cache = "{d / "missing.csv"}"')
    p.write_text(text)
    study = load_study(p)
    rng = np.random.default_rng(20140808)
    months = study.months()
    post = np.asarray(months >= IRAQ)
    rows = [_monthly_rows("crenshaw_cym", "external", rng.poisson(np.where(post, 6.0, 2.0)), months)]
    years = np.arange(study.yearly_start, study.yearly_end + 1)
    yrows = []
    for source, cls, pre, postv in (("ucdp_ged_syria_iraq", "clash", 5.0, 40.0),
                                    ("ucdp_ged_syria_iraq", "joint", 10.0, 2.0), ("nesser_cym", "external", 20.0, 40.0)):
        yrows.append(pd.DataFrame({"source": source, "event_class": cls, "family": "all", "year": years,
                                   "count": rng.poisson(np.where(years > 2014, postv, pre)).astype(float),
                                   "fatalities": np.nan, "in_coverage": True, "months_covered": 12}))
    built = BuildResult(events=pd.DataFrame(), yearly=pd.DataFrame(), monthly=pd.concat(rows, ignore_index=True),
                        yearly_series=pd.concat(yrows, ignore_index=True), ledger=Ledger(),
                        coverage=pd.DataFrame(), registry=load_registry(), manifest={})
    out = tmp_path_factory.mktemp("tables")
    return findings_study(built, study, out), out


@pytest.fixture(scope="module")
def findings(tmp_path_factory):
    return _findings(tmp_path_factory)


@pytest.mark.slow
def test_holm_across_every_tested_primary(tmp_path_factory):
    """With the clash and joint arms (and their outcomes) defined from 2008 (a counterfactual config), all four
    arms have six pre-years and are tested; p_holm is Holm over the four p-values."""
    from externalize.robustness.multiplicity import holm

    t, _ = _findings(tmp_path_factory, arm_defined_from="2008-01-01")
    prim = t["primary_estimands"].set_index("arm")
    assert (prim["status"] == "tested").all()
    np.testing.assert_allclose(prim["p_holm"], holm(prim["p_value"].to_numpy(float)))
    assert prim["p_holm"].ge(prim["p_value"] - 1e-15).all()
    # simulated truths: clash x8 (5 -> 40), joint x0.2 (10 -> 2); direct: clash x8 against external x2 -> 4
    assert prim.loc["clash", "ci_low"] < 8 < prim.loc["clash", "ci_high"]
    assert prim.loc["joint", "ci_low"] < 0.2 < prim.loc["joint", "ci_high"]
    assert prim.loc["direct", "ci_low"] < 4 < prim.loc["direct", "ci_high"]
    assert "quasi-Poisson yearly model" in prim.loc["clash", "caveat"]


@pytest.mark.slow
def test_primary_table_has_one_row_per_arm_and_holm(findings):
    t, out = findings
    prim = pd.read_csv(out / "primary_estimands.csv")
    assert tuple(prim.columns) == PRIMARY_COLUMNS
    assert list(prim["arm"]) == ["external", "clash", "joint", "direct"]
    ext = prim.set_index("arm").loc["external"]
    # the known effect: rate x3 at 2014-08 over 2011-01..2016-12
    assert ext["status"] == "tested" and ext["ci_low"] < 3.0 < ext["ci_high"] and ext["ci_low"] > 1
    # one tested primary: Holm leaves its p-value as it is; descriptive arms have none
    assert ext["p_holm"] == pytest.approx(ext["p_value"])
    for arm in ("clash", "joint", "direct"):
        row = prim.set_index("arm").loc[arm]
        assert row["status"] == "descriptive" and np.isnan(row["p_value"]) and np.isnan(row["p_holm"])
        assert "fewer than the minimum 3" in row["caveat"]
    assert "no simulation study to choose the method" in ext["caveat"]
    assert "break-date set" in ext["caveat"] and "placebo rank" in ext["caveat"]
    meth = pd.read_csv(out / "primary_methods.csv")
    assert set(meth["inference"]) == {"quasipoisson", "quasipoisson_floor", "negbin_hac", "nb_ar1_boot"}
    chosen = meth[meth["primary"]].iloc[0]
    assert chosen["inference"] == prim.set_index("arm").loc["external", "inference"]
    assert chosen["ci_low"] == pytest.approx(ext["ci_low"])
    # the floor never narrows the quasi-Poisson interval
    q = meth.set_index("inference")
    assert (q.loc["quasipoisson_floor", "ci_high"] - q.loc["quasipoisson_floor", "ci_low"]
            >= q.loc["quasipoisson", "ci_high"] - q.loc["quasipoisson", "ci_low"] - 1e-12)


@pytest.mark.slow
def test_direct_test_table_is_estimable_with_zero_free_counts(findings):
    t, _ = findings
    d = t["direct_test"].iloc[0]
    assert d["status"] == "descriptive"
    assert d["ci_low"] < d["estimate"] < d["ci_high"]
    assert d["clash_post"] + d["clash_pre"] > 0


@pytest.mark.slow
def test_rival_tables_and_figure_data(findings):
    t, _ = findings
    riv = t["rival_dates"].set_index("candidate")
    assert set(riv.index) == {"caliphate", "iraq_strikes", "adnani_call", "syria_strikes", "russia_strikes"}
    assert riv.loc["iraq_strikes", "months_from_main"] == 0
    assert riv.loc["syria_strikes", "two_date_reason"].startswith("1 month apart")
    assert riv["source"].str.len().min() > 20
    prof = t["break_date_profile"]
    assert prof["in_set"].any() and prof.loc[prof["period"] == IRAQ, "eligible"].iloc[0]
    p, r = break_profile_data(prof, t["rival_dates"])
    assert len(r) == 5 and p["month_start"].is_monotonic_increasing
    plot_break_profile(p, r).draw()


def _config_with(tmp_path, old: str, new: str):
    text = load_study().path.read_text()
    assert old in text
    p = tmp_path / "study.toml"
    p.write_text(text.replace(old, new, 1))
    return p


def test_registered_primaries_and_rival_dates_load():
    study = load_study()
    prim = study.primaries
    assert [p.arm for p in prim] == ["external", "clash", "joint", "direct"]
    assert prim[3].reference == "plots_western_europe_yearly"
    rd = study.rival_dates
    assert rd is not None
    assert [c.name for c in rd.candidates] == ["caliphate", "iraq_strikes", "adnani_call", "syria_strikes",
                                               "russia_strikes"]
    assert str(rd.candidates[0].date) == "2014-06-29" and all(c.source for c in rd.candidates)


@pytest.mark.parametrize(("old", "new", "message"), [
    ('arm = "joint"', 'arm = "clash"', "one estimand per arm"),
    ('direction = "increase"\n\n[[primary]]\narm = "clash"', 'direction = "up"\n\n[[primary]]\narm = "clash"',
     "direction"),
    ('arm = "external"\noutcome = "plots_west"', 'arm = "external"\noutcom = "plots_west"', "unknown key 'outcom'; did you mean 'outcome'"),
    ('date = "2014-06-29"\nsource = "Caliphate', 'date = "2014-06-29"\nsource = "" #', "needs a source"),
    ('window = ["2011-01", "2016-12"]', 'window = ["2010-01", "2016-12"]', "inside the study window"),
])
def test_bad_inference_config_is_refused(tmp_path, old, new, message):
    from externalize.errors import ConfigError

    p = _config_with(tmp_path, old, new)
    with pytest.raises(ConfigError, match=message):
        load_study(p)


@pytest.mark.slow
def test_nearest_scenario_states_size_and_dependence():
    from externalize.findings import nearest_scenario

    sim = pd.DataFrame([{"estimator": "m", "kind": "size", "mean": mean, "ar": ar, "scenario": f"m{mean:g}_ar{ar:g}",
                         "rejection_rate": 0.05 + ar / 10, "coverage": 0.95 - ar / 10}
                        for mean in (2.0, 10.0, 30.0) for ar in (0.0, 0.3, 0.6)])
    text = nearest_scenario(sim, 2.4, 0.9, "m", n=72)
    assert "nearest simulated scenario m2_ar0.6" in text and "size 0.110" in text
    assert "more autocorrelated than any simulated scenario" in text
    assert "m30_ar0" in nearest_scenario(sim, 25.0, -0.3, "m")
    assert nearest_scenario(sim, 2.0, 0.0, "other") == ""


@pytest.mark.slow
def test_direct_row_counts_the_clash_series_only(findings):
    """The direct arm's events are its outcome's (the clash series); the external series' counts are named in
    the caveat and stored in direct_test.csv, never summed with the clash counts."""
    t, out = findings
    prim = pd.read_csv(out / "primary_estimands.csv").set_index("arm").loc["direct"]
    d = pd.read_csv(out / "direct_test.csv").iloc[0]
    assert (prim["events_pre"], prim["events_post"]) == (d["clash_pre"], d["clash_post"])
    assert f"{int(d['external_pre'])} before, {int(d['external_post'])} after" in prim["caveat"]
