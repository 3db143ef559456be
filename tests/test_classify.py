"""Classification rules: one hand-made row per rule and per precedence question, then the real files."""

from __future__ import annotations

import dataclasses
import functools
import importlib
import re
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from externalize.classify import (
    CLASSES,
    RULES,
    RULES_VERSION,
    classify_events,
    classify_tables,
    classify_yearly,
    load_coalition,
    rule_counts,
)
from externalize.config import TaxonomyChoices
from externalize.ledger import Ledger, SourceLedger
from externalize.schema import conform_events, conform_yearly
from externalize.taxonomy import FAMILY_ACTORS, TaxonomyError, load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = TaxonomyChoices(date(2017, 1, 28), True, True)


@pytest.fixture(scope="module")
def tax():
    return load_taxonomy()


@pytest.fixture(scope="module")
def coal():
    return load_coalition()


def events(rows: list[dict]) -> pd.DataFrame:
    """Schema-valid events from short dicts: source, date (ISO day), and any event column."""
    out = []
    for i, r in enumerate(rows):
        r = dict(r)
        d = pd.Timestamp(r.pop("date"))
        out.append({"event_id": str(i), "year": d.year, "month": d.month, "day": d.day, "date_precision": "day",
                    "date": d, "n": 1, **r})
    return conform_events(pd.DataFrame(out))


# (expected rule, expected family_a, row). At least one row per rule, plus the precedence and history cases.
ISIL = "Islamic State of Iraq and the Levant (ISIL)"
CASES: list[tuple[str, str | None, dict]] = [
    ("NONE-ZERO", "JIH", dict(source="nesser_cym", date="2013-05-01", country="France", relation="plot", n=0)),
    ("NONE-1", "other", dict(source="gtd_full", date="2015-03-01", side_a="Taliban", country="Afghanistan",
                             relation="attack")),
    ("NONE-1", "other", dict(source="csis_us", date="2015-03-01", side_a="Violent Far-right",
                             country="United States", relation="plot")),
    # statement: MMP "rivalry" that is a denunciation, not a fight
    ("STMT-1", "AQ", dict(source="mapping_militants", date="2014-06-15", side_a="Al Qaeda",
                          side_b="The Islamic State", relation="rivalry",
                          summary="Zawahiri released an audio message denouncing al-Baghdadi's caliphate.")),
    ("CLASH-1", "IS", dict(source="ucdp_ged_global", date="2015-06-01", side_a="IS",
                           side_b="Jabhat Fateh al-Sham", country="Syria", relation="fighting")),
    ("CLASH-1", "AQ+IS", dict(source="ucdp_ged_global", date="2014-06-01", side_a="IS, Jabhat Fateh al-Sham",
                              side_b="IS", country="Syria", relation="fighting")),    # clash before joint
    # GTD clash: ISIL attacks al-Nusrah members (target type and corp1/target1)
    ("CLASH-GTD-1", "IS", dict(source="gtd_full", date="2015-04-02", country="Syria", relation="attack",
                               side_a=ISIL, target_type="Terrorists/Non-State Militia", competing_claims=False,
                               target_name="Al-Nusrah Front | Members of the Al-Nusrah Front")),
    ("CLASH-2", "IS", dict(source="mapping_militants", date="2014-02-03", side_a="The Islamic State",
                           side_b="Al-Nusra", relation="rivalry",
                           summary="IS fighters clashed with al-Nusra in Deir ez-Zor, killing dozens.")),
    ("JOINT-EXT-1", "AQ+IS", dict(source="gtd_full", date="2015-03-18", country="France", relation="attack",
                                  side_a=f"Al-Qaida in the Arabian Peninsula (AQAP) | {ISIL}",
                                  competing_claims=False)),
    ("JOINT-1", "AQ+IS", dict(source="ucdp_ged_global", date="2014-09-01", side_a="IS, Jabhat Fateh al-Sham",
                              side_b="PYD", country="Syria", relation="fighting")),
    ("JOINT-1", "AQ+IS", dict(source="gtd_full", date="2014-11-01", country="Lebanon", relation="attack",
                              side_a=f"Al-Nusrah Front | {ISIL}", competing_claims=False)),
    # a release without compclaim cannot tell co-perpetration from competing claims
    ("JOINT-UNV-1", "AQ+IS", dict(source="gtd0814", date="2014-11-01", country="Lebanon", relation="attack",
                                  side_a=f"Al-Nusrah Front | {ISIL}")),
    ("JOINT-UNV-1", "AQ+IS", dict(source="gtd_full", date="2014-11-01", country="Lebanon", relation="attack",
                                  side_a=f"Al-Nusrah Front | {ISIL}", competing_claims=False,
                                  attribution_uncertain=True)),
    ("JOINT-UNV-2", "AQ+IS", dict(source="ucdp_ged_global", date="2014-01-01", date_precision="year", month=None,
                                  day=None, side_a="IS, Jabhat Fateh al-Sham", side_b="PYD", country="Syria",
                                  relation="fighting")),
    ("JOINT-2", "IS", dict(source="mapping_militants", date="2015-04-01", side_a="The Islamic State",
                           side_b="Al-Nusra", relation="alliance",
                           summary="IS and al-Nusra fighters cooperated in the Yarmouk camp offensive.")),
    # direction: the coalition's own fighting is coalition contact, never external (any date, fixed set)
    ("COAL-CONTACT-1", "coalition", dict(source="ucdp_ged_global", date="2016-09-01", side_a="Government of Turkey",
                                         side_b="IS", country="Syria", relation="fighting")),
    ("COAL-CONTACT-1", "coalition", dict(source="ucdp_ged_global", date="2013-01-15", side_a="Government of Turkey",
                                         side_b="IS", country="Syria", relation="fighting")),
    ("COAL-CONTACT-1", "coalition", dict(source="ucdp_ged_global", date="2010-05-01", country="Pakistan",
                                         side_a="Government of United States of America", side_b="al-Qaida",
                                         relation="fighting")),
    ("EXT-PLOT-1", "JIH", dict(source="nesser_cym", date="2015-11-01", country="France", relation="plot",
                               plot_status="launched")),
    ("EXT-PLOT-1", "JIH", dict(source="csis_us", date="2015-12-02", side_a="Religious", country="United States",
                               relation="attack")),
    ("EXT-PLOT-1", "JIH", dict(source="new_america_plots", date="2016-06-12", side_a="Jihadist",
                               country="United States", relation="plot")),
    ("EXT-PLOT-1", "IS", dict(source="pirus", date="2016-01-10", country="United States", relation="plot",
                              side_a=ISIL, plot_status="foiled", target_type="Military")),
    # a PIRUS individual without a home plot (traveller, material support) is not an external attack
    ("NONE-EXPOSURE", "IS", dict(source="pirus", date="2016-01-10", country="Syria", relation="exposure",
                                 side_a=ISIL)),
    ("EXT-PLOT-1", "AQ+IS", dict(source="pirus", date="2016-01-10", country="United States", relation="plot",
                                 side_a=f"{ISIL} | al-Qaeda core")),
    ("EXT-NAT-1", "IS", dict(source="gtd_full", date="2015-01-24", country="Syria", relation="attack",
                             side_a=ISIL, target_nationality="Japan | United States")),
    ("EXT-NAT-1", "AQ", dict(source="gtd_full", date="2013-11-20", country="Lebanon", relation="attack",
                             side_a="Al-Qaida", target_nationality="Germany", target_type="Business")),
    # the state of a non-Western member is external at every date (no joining date in the target set)
    ("EXT-STATE-1", "AQ", dict(source="gtd_full", date="2012-06-01", country="Saudi Arabia", relation="attack",
                               side_a="Al-Qaida in the Arabian Peninsula (AQAP)", target_type="Police",
                               target_nationality="Saudi Arabia")),
    ("EXT-NAT-2", "IS", dict(source="gtd_full", date="2016-12-18", country="Iraq", relation="attack",
                             side_a=ISIL, target_type="Private Citizens & Property", target_nationality="Jordan")),
    ("EXT-TOUR-1", "AQ", dict(source="gtd_full", date="2015-03-18", country="Tunisia", relation="attack",
                              side_a="Okba Ibn Nafaa Brigade", target_type="Tourists")),
    ("EXT-WEST-1", "IS", dict(source="gtd_full", date="2016-03-22", country="Belgium", relation="attack",
                              side_a=ISIL)),
    ("EXT-WEST-1", "AQ", dict(source="gtd_full", date="2005-07-07", country="United Kingdom", relation="attack",
                              side_a="Al-Qaida")),                                     # West: before 2014 too
    ("EXT-WEST-1", "JIH", dict(source="gtd_full", date="2015-06-01", country="United States", relation="attack",
                               side_a="Jihadi-inspired extremists")),
    ("OTHER-2", "AQ", dict(source="mapping_militants", date="2014-02-02", side_a="Al Qaeda",
                           side_b="The Islamic State", relation="split")),
    # before the split: one network, never clash or joint
    ("NET-1", "AQ+IS", dict(source="ucdp_ged_global", date="2013-09-01", side_a="IS, Jabhat Fateh al-Sham",
                            side_b="PYD", country="Syria", relation="fighting")),
    ("NET-1", "IS", dict(source="mapping_militants", date="2004-10-17", side_a="The Islamic State",
                         side_b="Al Qaeda", relation="affiliation",
                         summary="Zarqawi pledged allegiance to bin Laden; JTJ became al-Qaeda in Iraq.")),
    ("NET-1", "IS", dict(source="mapping_militants", date="2013-04-01", side_a="The Islamic State",
                         side_b="Al-Nusra", relation="alliance")),
    ("NET-1", "AQ+IS", dict(source="gtd0814", date="2013-11-01", country="Syria", relation="attack",
                            side_a=f"Al-Nusrah Front | {ISIL}")),
    ("MULTI-CLAIM-1", "AQ+IS", dict(source="gtd_full", date="2015-05-01", country="Yemen", relation="attack",
                                    side_a=f"Al-Qaida in the Arabian Peninsula (AQAP) | {ISIL}",
                                    competing_claims=True, target_type="Military", target_nationality="Yemen")),
    # a Saudi Shia mosque: not external (rules 1.0.0 made it external after 2014-09-23 by location)
    ("OTHER-1", "IS", dict(source="gtd_full", date="2015-05-22", country="Saudi Arabia", relation="attack",
                           side_a="Najd Province of the Islamic State",
                           target_type="Religious Figures/Institutions", target_nationality="Saudi Arabia")),
    ("OTHER-1", "IS", dict(source="gtd_full", date="2015-06-01", country="Iraq", relation="attack",
                           side_a=ISIL, target_type="Military", target_nationality="Iraq")),
    # GTD world_inc: coordinates but no country and no target fields
    ("OTHER-UNSEEN", "IS", dict(source="gtd_world_inc", date="2014-09-15", relation="attack", side_a=ISIL)),
    ("OTHER-1", "AQ", dict(source="mapping_militants", date="2014-02-02", side_a="Al Qaeda", side_b="Taliban",
                           relation="alliance")),
    # a family actor that is the victim, not the perpetrator, is not an external attack
    ("OTHER-1", "other", dict(source="gtd_full", date="2015-06-01", country="France", relation="attack",
                              side_a="Taliban", side_b=ISIL)),
    ("NONE-JIH", "JIH", dict(source="gtd_full", date="2015-06-01", country="Nigeria", relation="attack",
                             side_a="Jihadi-inspired extremists")),
]
#: rules that apply only under a non-default study choice (each is tested with that choice below)
EXCLUSION_RULES = {"EXCL-UNCERTAIN", "EXCL-DOUBT", "EXCL-UNNAMED", "EXCL-PLOT-STATUS", "CLASH-UNV-1"}


@pytest.fixture(scope="module")
def classified(tax, coal):
    rows = [dict(r) for _, _, r in CASES]
    out, counts = classify_events(events(rows), tax, coal, DEFAULT)
    return out, counts


@pytest.mark.parametrize("k", range(len(CASES)), ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_rule_on_a_hand_made_row(classified, k):
    out, _ = classified
    rule, fam_a, _ = CASES[k]
    assert out.loc[k, "rule_id"] == rule
    assert out.loc[k, "event_class"] == RULES[rule]
    got = out.loc[k, "family_a"]
    assert (None if pd.isna(got) else got) == fam_a
    assert out.loc[k, "rules_version"] == RULES_VERSION


def test_the_hand_made_rows_cover_every_rule_but_the_exclusions(classified):
    out, counts = classified
    assert set(out["rule_id"]) == set(RULES) - EXCLUSION_RULES
    # counts per (class, rule) per source add up to the rows
    assert sum(v for d in counts.values() for v in d.values()) == len(out)
    assert counts["mapping_militants"] == {("statement", "STMT-1"): 1, ("clash", "CLASH-2"): 1,
                                           ("joint", "JOINT-2"): 1, ("other", "OTHER-2"): 1,
                                           ("other", "NET-1"): 2, ("other", "OTHER-1"): 1}


def test_input_columns_and_row_order_are_kept(classified, tax, coal):
    rows = [dict(r) for _, _, r in CASES]
    ev = events(rows)
    out, _ = classified
    pd.testing.assert_frame_equal(out[ev.columns], ev)
    shifted, _ = classify_events(ev.set_axis(ev.index + 100), tax, coal, DEFAULT)
    assert list(shifted.index) == list(ev.index + 100)
    assert list(shifted["rule_id"]) == list(out["rule_id"])
    assert list(out.columns[-5:]) == ["family_a", "family_b", "event_class", "rule_id", "rules_version"]
    assert set(out["event_class"]) <= set(CLASSES)


def test_exclusion_choices_make_rows_none_and_never_drop_them(tax, coal):
    ev = events([
        dict(source="gtd_full", date="2015-06-01", country="Iraq", relation="attack", attribution_uncertain=True,
             side_a="Islamic State of Iraq and the Levant (ISIL)"),
        dict(source="gtd_full", date="2015-06-01", country="Iraq", relation="attack", doubt_terrorism=True,
             side_a="Islamic State of Iraq and the Levant (ISIL)"),
        dict(source="gtd_full", date="2015-06-01", country="Iraq", relation="attack", doubt_terrorism=True,
             attribution_uncertain=True, side_a="Islamic State of Iraq and the Levant (ISIL)"),
        dict(source="gtd_full", date="2015-06-01", country="Iraq", relation="attack", attribution_uncertain=True,
             side_a="Taliban"),
    ])
    keep, _ = classify_events(ev, tax, coal, DEFAULT)
    assert list(keep["rule_id"]) == ["OTHER-1", "OTHER-1", "OTHER-1", "NONE-1"]
    drop_unc, _ = classify_events(ev, tax, coal, TaxonomyChoices(date(2017, 1, 28), False, True))
    assert list(drop_unc["rule_id"]) == ["EXCL-UNCERTAIN", "OTHER-1", "EXCL-UNCERTAIN", "NONE-1"]
    drop_both, counts = classify_events(ev, tax, coal, TaxonomyChoices(date(2017, 1, 28), False, False))
    assert list(drop_both["rule_id"]) == ["EXCL-UNCERTAIN", "EXCL-DOUBT", "EXCL-UNCERTAIN", "NONE-1"]
    assert list(drop_both["event_class"]) == ["none"] * 4 and len(drop_both) == 4
    assert counts == {"gtd_full": {("none", "EXCL-UNCERTAIN"): 2, ("none", "EXCL-DOUBT"): 1, ("none", "NONE-1"): 1}}


def _yearly(rows: list[dict]) -> pd.DataFrame:
    return conform_yearly(pd.DataFrame([{"record_id": str(i), "n": 1, **r} for i, r in enumerate(rows)]))


def test_yearly_rows_use_mid_year_and_all_locations(tax, coal):
    yr = _yearly([
        dict(source="ucdp_nonstate", year=2016, side_a="IS", side_b="Jabhat Fateh al-Sham", relation="fighting"),
        dict(source="ucdp_nonstate", year=2017, side_a="IS", side_b="HTS", relation="fighting"),
        dict(source="ucdp_onesided", year=2015, side_a="IS", relation="attack", country="France"),
        dict(source="ucdp_onesided", year=2015, side_a="IS", relation="attack", country="Iraq, Syria, France"),
        dict(source="ucdp_onesided", year=2015, side_a="IS", relation="attack", country="France, Belgium"),
    ])
    out, _ = classify_yearly(yr, tax, coal, DEFAULT)
    assert list(out["rule_id"]) == ["CLASH-1", "OTHER-1", "EXT-WEST-1", "OTHER-1", "EXT-WEST-1"]
    # JFS judged on 1 July 2016, before a 2016-07-28 cut-off: still AQ
    jfs_cut, _ = classify_yearly(yr, tax, coal, TaxonomyChoices(date(2016, 7, 28), True, True))
    assert jfs_cut.loc[0, "rule_id"] == "CLASH-1"
    hts_in, _ = classify_yearly(yr, tax, coal, TaxonomyChoices(date(2019, 12, 31), True, True))
    assert hts_in.loc[1, "rule_id"] == "CLASH-1"


def test_classify_tables_merges_counts_per_source(tax, coal):
    ev = events([dict(source="ucdp_ged_global", date="2015-06-01", side_a="IS", side_b="Jabhat Fateh al-Sham",
                      relation="fighting")])
    yr = _yearly([dict(source="ucdp_ged_global", year=2015, side_a="IS", side_b="PYD", relation="fighting")])
    e, y, counts = classify_tables(ev, yr, DEFAULT, tax, coal)
    assert counts == {"ucdp_ged_global": {("clash", "CLASH-1"): 1, ("other", "OTHER-1"): 1}}
    assert len(e) == 1 and len(y) == 1


# ------------------------------------------------------------------------------------------ coalition list
def test_coalition_list(coal):
    t = coal.table.set_index("country")
    assert t.at["United States", "joined"] == pd.Timestamp("2014-08-08")
    assert bool(t.at["France", "western"]) and not bool(t.at["Jordan", "western"])
    assert coal.canonical("United States of America") == "United States" == coal.canonical("US")
    c = pd.Series(["Jordan", "Jordan", "UK", "Syria", "Turkey | Jordan", None])
    d = pd.Series(pd.to_datetime(["2014-09-22", "2014-09-23", "1999-01-01", "2015-01-01", "2014-10-01",
                                  "2015-01-01"]))
    assert coal.member_on(c, d).tolist() == [False, True, True, False, True, False]
    assert coal.member_on(c, d, how="all").tolist() == [False, True, True, False, False, False]
    # the fixed target set of rules 2.0.0 does not depend on the date
    assert coal.in_target_set(c).tolist() == [True, True, True, False, True, False]
    assert coal.in_target_set(pd.Series(["Syria, France"]), how="all").tolist() == [False]
    assert coal.non_western_members(pd.Series(["Jordan | France", "Iraq", None])) == [{"Jordan"}, set(), set()]


@pytest.mark.parametrize(("edit", "message"), [
    (lambda s: s.replace("2014-08-08,2014-08-08", "2014-8-8,2014-08-08", 1), "not an ISO date"),
    (lambda s: s.replace("Jordan,Jordan,", "Jordan,Jordan;France,", 1), "already names"),
    (lambda s: s.replace(",true,", ",yes,", 1), "western must be"),
])
def test_coalition_list_validation(tmp_path, edit, message):
    text = (ROOT / "data" / "taxonomy" / "coalition_members.csv").read_text()
    p = tmp_path / "c.csv"
    p.write_text(edit(text))
    with pytest.raises(TaxonomyError, match=message):
        load_coalition(p)


# ------------------------------------------------------------------------------------------ documentation
def test_rules_md_documents_every_rule_and_the_version():
    text = (ROOT / "data" / "taxonomy" / "rules.md").read_text()
    assert f'rules_version = "{RULES_VERSION}"' in text
    documented = re.findall(r"^\|\s*`([A-Z]+-[A-Z0-9-]+)`", text, flags=re.M)
    assert documented == list(RULES), "rules.md table must list the rule ids in order of precedence"


# ------------------------------------------------------------------------------------------ speed
@pytest.mark.slow
def test_half_a_million_rows_in_seconds(tax, coal):
    rng = np.random.default_rng(0)
    names = pd.Series(tax.table["raw_name"].tolist() + [f"Group {i}" for i in range(3000)])
    n = 500_000
    df = pd.DataFrame({
        "source": rng.choice(["gtd_full", "ucdp_ged_global"], n),
        "event_id": np.arange(n).astype(str),
        "year": rng.integers(2000, 2018, n),
        "date_precision": "day",
        "side_a": names.sample(n, replace=True, random_state=1).to_numpy(),
        "side_b": names.sample(n, replace=True, random_state=2).to_numpy(),
        "relation": "attack",
        "country": rng.choice(["Iraq", "France", "Syria", "Jordan", "United States", "Nigeria"], n),
        "target_nationality": rng.choice(["Iraq", "France", "Syria"], n),
        "target_type": rng.choice(["Military", "Tourists", "Business"], n),
    })
    df["date"] = pd.to_datetime(df["year"].astype(str) + "-06-15")
    t0 = time.perf_counter()
    out, counts = classify_events(df, tax, coal, DEFAULT)
    elapsed = time.perf_counter() - t0
    assert sum(counts["gtd_full"].values()) + sum(counts["ucdp_ged_global"].values()) == n
    print(f"classified {n} rows in {elapsed:.2f} s")
    assert elapsed < 10.0, f"classification of {n} rows took {elapsed:.1f} s"


# ------------------------------------------------------------------------------------------ real data
def _read_source(key: str, data: Path):
    from externalize.locate import locate_source
    from externalize.registry import load_registry
    from externalize.sources import adapter_for

    spec = load_registry()[key]
    files = {r: lf.path for r, lf in locate_source(spec, data).items()}
    return adapter_for(spec.adapter).read(spec, files)


def _components(s: pd.Series) -> pd.Series:
    return s.fillna("").str.split(", ")


@functools.lru_cache(maxsize=4)
def _ucdp_table(key: str, data: Path) -> pd.DataFrame:
    """Read once per test session (the .rds subset takes a few seconds)."""
    out = _read_source(key, data)
    return out.events if out.events is not None else out.yearly


NUSRA_NAMES = {"Jabhat Fateh al-Sham", "HTS"}


def _is_vs_nusra(t: pd.DataFrame) -> pd.Series:
    a, b = _components(t["side_a"]), _components(t["side_b"])
    a_is, b_is = a.map(lambda x: "IS" in x), b.map(lambda x: "IS" in x)
    a_nu, b_nu = a.map(lambda x: bool(NUSRA_NAMES & set(x))), b.map(lambda x: bool(NUSRA_NAMES & set(x)))
    return (a_is & b_nu & ~a_nu & ~b_is) | (b_is & a_nu & ~b_nu & ~a_is)


def _shared_side(t: pd.DataFrame) -> pd.Series:
    both = lambda x: "IS" in x and bool(NUSRA_NAMES & set(x))  # noqa: E731
    return _components(t["side_a"]).map(both) | _components(t["side_b"]).map(both)


@pytest.mark.realdata
@pytest.mark.parametrize("key", ["ucdp_nonstate", "ucdp_ged_syria", "ucdp_ged_syria_iraq"])
def test_real_is_vs_nusra_fighting_is_clash(tax, coal, shared_data_dir, key):
    t = _ucdp_table(key, shared_data_dir)
    fighting = _is_vs_nusra(t)
    assert fighting.sum() > 0
    year = t["year"].astype(int)
    for choices, last_aq_year in ((DEFAULT, 2016), (TaxonomyChoices(date(2019, 12, 31), True, True), 2019)):
        out = (classify_events if "date" in t.columns else classify_yearly)(t, tax, coal, choices)[0]
        # before the split (2013 rows) the fighting is inside one network: NET-1
        assert (out.loc[fighting.to_numpy() & (year <= 2013).to_numpy(), "rule_id"] == "NET-1").all()
        within = fighting.to_numpy() & (year <= last_aq_year).to_numpy() & (year >= 2014).to_numpy()
        assert within.sum() > 0
        assert (out.loc[within, "event_class"] == "clash").all(), out.loc[within, ["year", "side_a", "side_b",
                                                                                    "rule_id"]]
    # under the default choice HTS (2017 on) is not AQ: its fights with IS are IS's "other" activity
    out = (classify_events if "date" in t.columns else classify_yearly)(t, tax, coal, DEFAULT)[0]
    hts = fighting.to_numpy() & (year >= 2018).to_numpy()
    assert (out.loc[hts, "event_class"] == "other").all()


@pytest.mark.realdata
@pytest.mark.parametrize(("key", "min_2013"), [("ucdp_nonstate", 5), ("ucdp_ged_syria_iraq", 100)])
def test_real_2013_shared_side_rows_are_one_network_not_joint(tax, coal, shared_data_dir, key, min_2013):
    """UCDP's 2013 side "IS, Jabhat Fateh al-Sham" (ISIS and al-Nusra against the PYD) is before the AQ-IS
    split: NET-1 (other). Under the April 2013 split variant the same rows are joint."""
    t = _ucdp_table(key, shared_data_dir)
    shared = (_shared_side(t) & ~_is_vs_nusra(t)).to_numpy()
    year = t["year"].astype(int).to_numpy()
    out = (classify_events if "date" in t.columns else classify_yearly)(t, tax, coal, DEFAULT)[0]
    in_2013 = shared & (year == 2013)
    assert in_2013.sum() >= min_2013
    assert (out.loc[in_2013, "rule_id"] == "NET-1").all()
    assert not (out.loc[year <= 2013, "event_class"].isin(["joint", "clash"])).any()
    # no verified joint row: the shared sides of 2014 cannot be placed after the split (JOINT-UNV-2)
    assert not (out["event_class"] == "joint").any()
    in_2014 = shared & (year == 2014)
    assert in_2014.sum() >= 1 and (out.loc[in_2014, "rule_id"] == "JOINT-UNV-2").all()
    early = replace(DEFAULT, aq_is_split=date(2013, 4, 9))
    out2 = (classify_events if "date" in t.columns else classify_yearly)(t, tax, coal, early)[0]
    # under the April 2013 split the 2013 rows are no longer one network, but a year-only row of 2013
    # cannot be placed after 9 April: unverified joint
    assert (out2.loc[in_2013, "rule_id"] == "JOINT-UNV-2").all()


@pytest.mark.realdata
def test_real_us_jihadist_plots_are_external(tax, coal, shared_data_dir):
    """CSIS 'Religious' cases and New America 'Jihadist' plots: every one external, nothing else.

    Built straight from the raw files with the schema (the same labels the adapters are asked to put in
    side_a, see rules.md), so the rule is checked whether or not the adapters are in place."""
    raw = pd.read_csv(shared_data_dir / "csis_us_terrorism" / "csis_wapo_domestic_terrorism.csv.xz")
    year = raw["Year_csis"].astype(int)
    month = pd.to_numeric(raw["Month_csis"], errors="coerce")
    csis = pd.DataFrame({
        "source": "csis_us", "event_id": raw.index.astype(str), "year": year,
        "month": month.astype("Int64"), "date_precision": np.where(month.notna(), "month", "year"),
        "date": pd.to_datetime(pd.DataFrame({"year": year, "month": month.fillna(1), "day": 1})),
        "side_a": raw["Orientation_csis"], "country": "United States", "relation": "attack", "n": 1})
    na = pd.read_csv(shared_data_dir / "new_america" / "plots.csv.xz")
    d = pd.to_datetime(na["attack_date"], errors="coerce", format="mixed")
    na = na[d.notna()]  # only attacks carried out have a date; prevented plots have none
    d = d[d.notna()]
    nam = pd.DataFrame({"source": "new_america_plots", "event_id": "na" + na.index.astype(str), "year": d.dt.year,
                        "month": d.dt.month, "day": d.dt.day, "date_precision": "day", "date": d,
                        "side_a": na["plot_ideology"], "country": "United States", "relation": "plot", "n": 1})
    ev = conform_events(pd.concat([csis, nam], ignore_index=True))
    out, _ = classify_events(ev, tax, coal, DEFAULT)
    jihadist = ev["side_a"].isin(["Religious", "Jihadist"]).to_numpy()
    assert (ev["side_a"] == "Religious").sum() == 133  # as documented in the manifest
    assert jihadist[len(csis):].sum() > 10
    assert (out.loc[jihadist, "event_class"] == "external").all()
    assert (out.loc[jihadist, "family_a"] == "JIH").all()
    assert (out.loc[~jihadist, "event_class"] == "none").all()


@pytest.mark.realdata
def test_real_ledger_sums_to_rows_read(tax, coal, shared_data_dir):
    """Every raw row of each real source is either excluded (with a reason) or classified under one rule."""
    ledger = Ledger()
    tables = []
    keys = ["ucdp_nonstate", "ucdp_onesided", "ucdp_battledeaths", "ucdp_ged_syria", "mapping_militants",
            "gade_infighting_2014", "ucdp_actors"]
    for key in keys:
        out = _read_source(key, shared_data_dir)
        ledger.add(SourceLedger(source=key, file_sha256={}, checksum_verified=True, rows_read=out.rows_read,
                                rows_events=0 if out.events is None else len(out.events),
                                rows_yearly=0 if out.yearly is None else len(out.yearly),
                                excluded=dict(out.excluded)))
        ev = out.events if out.events is not None else conform_events(pd.DataFrame(
            {c: [] for c in ("source", "event_id", "year", "date_precision", "n")}))
        yr = out.yearly if out.yearly is not None else conform_yearly(pd.DataFrame(
            {c: [] for c in ("source", "record_id", "year", "n")}))
        e, y, counts = classify_tables(ev, yr, DEFAULT, tax, coal)
        for src, c in counts.items():
            ledger.record_classes(src, c)
        tables.append(pd.concat([e, y]))
    detail = ledger.detail()
    summary = ledger.summary().set_index("source")
    for key in keys:
        assert detail.loc[detail["source"] == key, "rows"].sum() == summary.at[key, "rows_read"], key
        assert summary.at[key, "balances"]
    allrows = pd.concat(tables, ignore_index=True)
    fam = allrows["family_a"].isin(FAMILY_ACTORS) | allrows["family_b"].isin(FAMILY_ACTORS)
    for key in keys:
        n_fam = int((fam & (allrows["source"] == key)).sum())
        assert summary.at[key, "rows_family_actor"] == n_fam, key  # no exclusions under the default choices
    # the only post-2013 shared side (2014 dyad-year) cannot be placed after the split: joint_unverified
    assert summary.at["ucdp_nonstate", "class_clash"] > 0 and summary.at["ucdp_nonstate", "class_joint_unverified"] > 0
    assert summary.at["ucdp_actors", "rows_kept"] == 0  # a lookup table: excluded with its reason
    assert rule_counts(allrows.iloc[:0]) == {}


def _adapter_present(name: str) -> bool:
    try:
        importlib.import_module(f"externalize.sources.{name}")
    except ModuleNotFoundError:
        return False
    return True


@pytest.mark.realdata
@pytest.mark.parametrize(("key", "adapter", "min_jihadist"), [
    ("csis_us", "csis_us", 130), ("new_america_plots", "new_america", 190), ("pirus", "pirus", 170),
    ("nesser_cym", "hegghammer_plots", 100), ("crenshaw_cym", "hegghammer_plots", 100),
    ("nesser_country_year", "hegghammer_plots", 100)])
def test_real_plot_sources_through_their_adapters(tax, coal, shared_data_dir, key, adapter, min_jihadist):
    """Through the adapters: every jihadist row (named AQ/IS group or a jihadist label) is external under
    EXT-PLOT-1; every other row (far-right, far-left, other groups, no group) is class none."""
    if not _adapter_present(adapter):
        pytest.skip(f"adapter externalize.sources.{adapter} not present")
    out = _read_source(key, shared_data_dir)
    t = out.events if out.events is not None else out.yearly
    c = (classify_events if out.events is not None else classify_yearly)(t, tax, coal, DEFAULT)[0]
    jihadist = c["family_a"].isin(FAMILY_ACTORS).to_numpy()
    # an individual without a plot at home (PIRUS "exposure") is not external (NONE-EXPOSURE)
    event = (c["n"] > 0).to_numpy() & (c["relation"] != "exposure").fillna(True).to_numpy()
    assert (jihadist & event).sum() >= min_jihadist
    # a country-year cell with no plots is not an event (NONE-ZERO); every other jihadist row is external
    assert set(c.loc[jihadist & event, "rule_id"]) == {"EXT-PLOT-1"}
    assert set(c.loc[jihadist & ~event & (c["n"] > 0).to_numpy(), "rule_id"]) <= {"NONE-EXPOSURE"}
    assert set(c.loc[(c["n"] == 0).to_numpy(), "rule_id"]) <= {"NONE-ZERO"}
    assert (c.loc[~jihadist, "event_class"] == "none").all()


@pytest.mark.realdata
def test_real_gtd_us_and_france_family_attacks_are_external(tax, coal, shared_data_dir):
    """GTD attacks by named AQ/IS groups or jihadi-inspired perpetrators in the US (2013-2016) and France
    (2000-2014) are external (West, any date); nothing in them is classed other."""
    if not _adapter_present("gtd"):
        pytest.skip("adapter externalize.sources.gtd not present")
    for key, min_family in (("gtd_us", 5), ("gtd_france", 1)):
        out = _read_source(key, shared_data_dir)
        c, _ = classify_events(out.events, tax, coal, DEFAULT)
        fam = c["family_a"].isin(FAMILY_ACTORS).to_numpy()
        assert fam.sum() >= min_family, key
        assert (c.loc[fam, "event_class"] == "external").all(), c.loc[fam, ["side_a", "country", "rule_id"]]
        assert (c["event_class"] != "other").all()


@pytest.mark.realdata
@pytest.mark.slow
def test_real_full_build_ledger_sums_to_rows_read(tax, coal, shared_data_dir):
    """Every registered source present in the data folder, read and classified: per source the ledger's
    kept-by-rule and excluded-by-reason rows add up to the rows read."""
    from rich.console import Console

    from externalize.build import read_sources
    from externalize.registry import load_registry

    ev, yr, ledger, _ = read_sources(load_registry(), shared_data_dir, cache_dir=None,
                                     console=Console(quiet=True))
    e, y, counts = classify_tables(ev, yr, DEFAULT, tax, coal)
    for src, c in counts.items():
        ledger.record_classes(src, c)
    detail = ledger.detail()
    summary = ledger.summary().set_index("source")
    assert len(summary) >= 15
    for src in summary.index:
        assert detail.loc[detail["source"] == src, "rows"].sum() == summary.at[src, "rows_read"], src
        assert summary.at[src, "balances"], src
    assert summary["class_clash"].sum() > 0 and summary["class_joint_unverified"].sum() > 0
    assert summary["class_external"].sum() > 0 and summary["class_other"].sum() > 0
    print(summary[["rows_read", "rows_kept", "rows_excluded", "rows_family_actor", "class_clash", "class_joint",
                   "class_external", "class_other", "class_none"]].to_string())


# ------------------------------------------------------------------------------------------ study choices
def _one(tax, coal, choices, **row):
    out, _ = classify_events(events([row]), tax, coal, choices)
    return out.loc[0, "rule_id"]


def test_split_date_is_a_study_choice(tax, coal):
    row = dict(source="ucdp_ged_global", date="2013-09-01", side_a="IS, Jabhat Fateh al-Sham", side_b="PYD",
               country="Syria", relation="fighting")
    assert _one(tax, coal, DEFAULT, **row) == "NET-1"
    assert _one(tax, coal, replace(DEFAULT, aq_is_split=date(2013, 4, 9)), **row) == "JOINT-1"
    fight = dict(row, side_a="IS", side_b="Jabhat Fateh al-Sham", date="2013-12-01")
    assert _one(tax, coal, DEFAULT, **fight) == "NET-1"
    assert _one(tax, coal, replace(DEFAULT, aq_is_split=date(2013, 4, 9)), **fight) == "CLASH-1"


def test_nusra_cut_off_never(tax, coal):
    row = dict(source="ucdp_ged_global", date="2018-06-01", side_a="IS", side_b="HTS", country="Syria",
               relation="fighting")
    assert _one(tax, coal, DEFAULT, **row) == "OTHER-1"
    assert _one(tax, coal, replace(DEFAULT, nusra_counts_as_aq_until=None), **row) == "CLASH-1"
    assert _one(tax, coal, replace(DEFAULT, nusra_counts_as_aq_until=date(2016, 7, 28)),
                **dict(row, date="2016-09-01", side_b="Jabhat Fateh al-Sham")) == "OTHER-1"


def test_contested_groups_variant(tax, coal):
    row = dict(source="gtd_full", date="2016-01-01", country="Philippines", relation="attack",
               side_a="Abu Sayyaf Group (ASG)", target_nationality="Canada", target_type="Private Citizens & Property")
    out, _ = classify_events(events([row]), tax, coal, DEFAULT)
    # contested membership: a jihadist group of unestablished family (JIH), external by its target
    assert out.loc[0, "family_a"] == "JIH" and out.loc[0, "rule_id"] == "EXT-NAT-1"
    local, _ = classify_events(events([dict(row, target_nationality="Philippines")]), tax, coal, DEFAULT)
    assert local.loc[0, "rule_id"] == "NONE-JIH"
    out, _ = classify_events(events([row]), tax, coal, replace(DEFAULT, contested_groups="in"))
    assert out.loc[0, "family_a"] == "IS" and out.loc[0, "rule_id"] == "EXT-NAT-1"
    # before the 2014-07-23 pledge the ASG is not IS even when contested groups are in
    out, _ = classify_events(events([dict(row, date="2013-01-01")]), tax, coal, replace(DEFAULT, contested_groups="in"))
    assert out.loc[0, "family_a"] == "other"


def test_location_only_unnamed_and_plot_status_variants(tax, coal):
    west = dict(source="gtd_full", date="2016-03-22", country="Belgium", relation="attack", side_a=ISIL)
    assert _one(tax, coal, replace(DEFAULT, location_only_rules=False), **west) == "OTHER-1"
    jih = dict(source="nesser_cym", date="2015-11-01", country="France", relation="plot", plot_status="foiled")
    assert _one(tax, coal, replace(DEFAULT, include_unnamed_jihadists=False), **jih) == "EXCL-UNNAMED"
    assert _one(tax, coal, replace(DEFAULT, plot_status="launched"), **jih) == "EXCL-PLOT-STATUS"
    assert _one(tax, coal, replace(DEFAULT, plot_status="foiled"), **jih) == "EXT-PLOT-1"
    # a named group in a plot source is not excluded with the unnamed jihadists
    named = dict(source="pirus", date="2016-01-10", country="United States", relation="plot", side_a=ISIL,
                 plot_status="launched")
    assert _one(tax, coal, replace(DEFAULT, include_unnamed_jihadists=False), **named) == "EXT-PLOT-1"


def test_exclusion_choices_of_rules_2(tax, coal):
    ev = events([dict(source="gtd_full", date="2015-06-01", country="Iraq", relation="attack",
                      attribution_uncertain=True, side_a=ISIL)])
    out, _ = classify_events(ev, tax, coal, replace(DEFAULT, include_uncertain_attributions=False))
    assert out.loc[0, "rule_id"] == "EXCL-UNCERTAIN"
    ev = events([dict(source="gtd_full", date="2015-06-01", country="Iraq", relation="attack",
                      doubt_terrorism=True, side_a=ISIL)])
    out, _ = classify_events(ev, tax, coal, replace(DEFAULT, include_doubtful_terrorism=False))
    assert out.loc[0, "rule_id"] == "EXCL-DOUBT"


def test_statement_needs_words_and_no_deed(tax, coal):
    base = dict(source="mapping_militants", date="2015-01-01", side_a="Al-Nusra", side_b="The Islamic State",
                relation="rivalry")
    assert _one(tax, coal, DEFAULT, **dict(base, summary="Al-Nusra issued a statement condemning IS.")) == "STMT-1"
    mixed = "Al-Nusra condemned IS after IS fighters attacked its positions near Aleppo."
    assert _one(tax, coal, DEFAULT, **dict(base, summary=mixed)) == "CLASH-2"
    assert _one(tax, coal, DEFAULT, **base) == "CLASH-2"   # no description: as the relation says
    hedged = "AQKB released a statement condemning IS. Unconfirmed reports surfaced of AQKB fighting IS."
    assert _one(tax, coal, DEFAULT, **dict(base, summary=hedged)) == "STMT-1"


def test_gtd_clash_reads_the_target_not_only_the_type(tax, coal):
    row = dict(source="gtd_full", date="2015-04-02", country="Syria", relation="attack", side_a=ISIL,
               target_type="Terrorists/Non-State Militia", competing_claims=False)
    assert _one(tax, coal, DEFAULT, **dict(row, target_name="Free Syrian Army | Commander")) == "OTHER-1"
    assert _one(tax, coal, DEFAULT, **dict(row, target_name="Jabhat al-Nusra | Checkpoint")) == "CLASH-GTD-1"
    aq = dict(row, side_a="Al-Qaida in the Arabian Peninsula (AQAP)", country="Yemen",
              target_name="Islamic State | Members")
    assert _one(tax, coal, DEFAULT, **aq) == "CLASH-GTD-1"
    # the AQI lineage in a target is IS family: AQAP against "al-Qaida in Iraq" members is across the divide
    assert _one(tax, coal, DEFAULT, **dict(aq, target_name="Al-Qaida in Iraq")) == "CLASH-GTD-1"
    # not when the target type is not a militia
    assert _one(tax, coal, DEFAULT, **dict(row, target_type="Business", target_name="Al-Nusrah Front")) == "OTHER-1"


def test_every_rule_id_is_stated_once_with_a_class_from_the_vocabulary():
    from externalize.classify import RULE_LIST
    from externalize.vocab import EVENT_CLASSES

    assert [r.id for r in RULE_LIST] == list(RULES)
    assert {r.event_class for r in RULE_LIST} == set(EVENT_CLASSES)
    assert all(r.description for r in RULE_LIST)


def test_source_properties_come_from_the_registry():
    from externalize.classify import source_coding
    from externalize.registry import load_registry

    coding = source_coding(load_registry())
    plot = {k for k, c in coding.items() if c.plot_source}
    assert plot == {"nesser_cym", "crenshaw_cym", "nesser_country_year", "crenshaw_country_year", "csis_us",
                    "new_america_plots", "pirus"}
    assert {k for k, c in coding.items() if c.jihadist_only} == {"nesser_cym", "crenshaw_cym",
                                                                 "nesser_country_year", "crenshaw_country_year"}
    assert coding["mapping_militants"].actor_scheme == "mmp" and coding["gtd0814"].is_gtd


def test_unknown_jihadist_names_are_tabled_not_silent(tax, coal):
    from externalize.classify import unknown_actor_names

    ev = events([
        dict(source="gtd_full", date="2019-06-01", country="DR Congo", relation="attack",
             side_a="Central Africa Province of the Islamic State"),
        dict(source="gtd_full", date="2019-06-01", country="Philippines", relation="attack",
             side_a="East Asia Division of the Islamic State"),
        dict(source="gtd_full", date="2019-06-01", country="Mali", relation="attack", side_a="Katiba al-Qaida X"),
        dict(source="gtd_full", date="2019-06-01", country="Iraq", relation="attack", side_a=ISIL),
    ])
    out, _ = classify_events(ev, tax, coal, DEFAULT)
    assert list(out["family_a"]) == ["IS", "IS", "other", "IS"]
    table = unknown_actor_names(ev, None, tax)
    assert dict(zip(table["name"], table["mapped_as"], strict=True)) == {
        "Central Africa Province of the Islamic State": "IS (name pattern)",
        "East Asia Division of the Islamic State": "IS (name pattern)",
        "Katiba al-Qaida X": "other (unlisted)"}


def test_a_joint_row_must_lie_wholly_after_the_split(tax, coal):
    ev = events([dict(source="ucdp_ged_global", date="2014-01-01", side_a="IS, Jabhat Fateh al-Sham",
                      side_b="PYD", country="Syria", relation="fighting")])
    ev["date_precision"] = pd.array(["year"], dtype="string")
    ev["month"] = pd.array([pd.NA], dtype="Int8")
    ev["day"] = pd.array([pd.NA], dtype="Int8")
    out, _ = classify_events(ev, tax, coal, DEFAULT)
    assert out.loc[0, "rule_id"] == "JOINT-UNV-2" and out.loc[0, "event_class"] == "joint_unverified"
    # a 2014 dyad-year too; 2015 is wholly after the split
    yr = _yearly([dict(source="ucdp_nonstate", year=y, side_a="IS, Jabhat Fateh al-Sham", side_b="PYD",
                       relation="fighting") for y in (2013, 2014, 2015)])
    out, _ = classify_yearly(yr, tax, coal, DEFAULT)
    assert list(out["rule_id"]) == ["NET-1", "JOINT-UNV-2", "JOINT-1"]
    # a month-precision MMP alliance in February 2014 (the split is on the 3rd) cannot be placed either
    mm = events([dict(source="mapping_militants", date="2014-02-01", side_a="The Islamic State", side_b="Al-Nusra",
                      relation="alliance")])
    mm["date_precision"] = pd.array(["month"], dtype="string")
    mm["day"] = pd.array([pd.NA], dtype="Int8")
    assert classify_events(mm, tax, coal, DEFAULT)[0].loc[0, "rule_id"] == "JOINT-UNV-2"
    # fighting across the divide in the split year stays a clash (the rupture itself)
    fight = _yearly([dict(source="ucdp_nonstate", year=2014, side_a="IS", side_b="Jabhat Fateh al-Sham",
                          relation="fighting")])
    assert classify_yearly(fight, tax, coal, DEFAULT)[0].loc[0, "rule_id"] == "CLASH-1"
    # ... unless the study choice treats it as joint rows are (the variant split_period_unverified)
    unv = dataclasses.replace(DEFAULT, split_period_clashes="unverified")
    out = classify_yearly(fight, tax, coal, unv)[0]
    assert out.loc[0, "rule_id"] == "CLASH-UNV-1" and out.loc[0, "event_class"] == "clash_unverified"
    later = _yearly([dict(source="ucdp_nonstate", year=2015, side_a="IS", side_b="Jabhat Fateh al-Sham",
                          relation="fighting")])
    assert classify_yearly(later, tax, coal, unv)[0].loc[0, "rule_id"] == "CLASH-1"   # wholly after the split


@pytest.mark.realdata
@pytest.mark.slow
@pytest.mark.parametrize(("key", "where", "rule", "family"), [
    # Zarqawi's 2004 pledge to bin Laden: one network, not joint
    ("mapping_militants", lambda t: t["summary"].str.contains("Zarqawi came to an agreement", regex=False),
     "NET-1", "IS"),
    # AQAP's video rebuking al-Baghdadi's caliphate: a statement, not a clash
    ("mapping_militants", lambda t: t["summary"].str.contains("rebuked IS in a video", regex=False), "STMT-1", "IS"),
    # AQ in Yemen's suicide attack on Spanish tourists at Marib (July 2007)
    ("gtd0814", lambda t: t["event_id"] == "200707030001", "EXT-NAT-1", "AQ"),
    # Jund al-Khilafah's kidnapping of the French tourist Herve Gourdel in Algeria (September 2014)
    ("gtd_0718_degraded", lambda t: (t["side_a"] == "Jund al-Khilafa") & (t["year"] == 2014), "EXT-TOUR-1", "IS"),
    # Merah's Toulouse and Montauban shootings, claimed by the Kazakh Jund al-Khilafah (contested AQ tie)
    ("gtd_france", lambda t: t["event_id"] == "201203110021", "EXT-NAT-1", "JIH"),
    # IS's bombing of a Shia mosque in Qatif, Saudi Arabia (22 May 2015): local, not external (rules 1.0.0 had it)
    ("gtd_0718_degraded", lambda t: t["side_a"].str.contains("Najd Province", regex=False)
     & (t["date"] == pd.Timestamp("2015-05-22")), "OTHER-1", "IS"),
    # Turkey's Euphrates Shield fighting against IS: the coalition's action
    ("ucdp_ged_syria", lambda t: t["event_id"] == "228441", "COAL-CONTACT-1", "coalition"),
    # a PIRUS ISIL traveller to Syria: not an external attack
    ("pirus", lambda t: t["event_id"] == "6387", "NONE-EXPOSURE", "IS"),
])
def test_real_rows_of_each_kind(tax, coal, shared_data_dir, key, where, rule, family):
    t = _read_source(key, shared_data_dir).events
    out, _ = classify_events(t, tax, coal, DEFAULT)
    hit = where(out).fillna(False).to_numpy(dtype=bool)
    assert hit.sum() >= 1, key
    assert set(out.loc[hit, "rule_id"]) == {rule}
    assert set(out.loc[hit, "family_a"]) == {family}


def test_month_end_and_year_spans_by_hand():
    from externalize.classify import _date_span, _month_end

    days = pd.Series(pd.to_datetime(["2016-02-05", "2015-02-28", None, "2014-12-31"])).astype("datetime64[ns]")
    ends = _month_end(days)
    assert [None if pd.isna(d) else str(d.date()) for d in ends] == ["2016-02-29", "2015-02-28", None, "2014-12-31"]
    rows = pd.DataFrame({"year": [2014, 2014, 2014], "date": pd.to_datetime(["2014-03-09", "2014-03-01", "2014-07-01"]),
                         "date_precision": pd.array(["day", "month", "year"], dtype="string")})
    first, last = _date_span(rows)
    assert [str(d)[:10] for d in first] == ["2014-03-09", "2014-03-01", "2014-01-01"]
    assert [str(d)[:10] for d in last] == ["2014-03-09", "2014-03-31", "2014-12-31"]
    first, last = _date_span(pd.DataFrame({"year": [2016]}))  # a yearly row: the whole year
    assert (str(first[0])[:10], str(last[0])[:10]) == ("2016-01-01", "2016-12-31")


def test_labels_decide_tests_once_per_label_and_keep_missing_apart():
    from externalize.classify import Labels

    lab = Labels.of(pd.Series(["AQ", None, "IS", "AQ+IS", "AQ"], dtype="string"))
    assert lab.isin(["AQ"]).tolist() == [True, False, False, False, True]
    assert lab.isin(["AQ", "AQ+IS"]).tolist() == [True, False, False, True, True]
    assert lab.where(lambda t: "IS" in t).tolist() == [False, False, True, True, False]
    text = lab.as_text()
    assert str(text.dtype) == "string" and text.isna().tolist() == [False, True, False, False, False]
    assert text.dropna().tolist() == ["AQ", "IS", "AQ+IS", "AQ"]
    obj = Labels.of(np.array(["x", None], dtype=object))
    assert obj.isin([""]).tolist() == [False, True]  # missing is "", never a real label
