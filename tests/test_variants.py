"""Named coding variants: loading from the study config, the before / after counts, the table end to end."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from externalize.config import Outcome, load_study
from externalize.errors import ConfigError
from externalize.schema import conform_events, conform_yearly
from externalize.variants import PRIMARY, VARIANT_COLUMNS, Variant, load_variants, outcome_counts, variant_table

ROOT = Path(__file__).resolve().parents[1]
ISIL = "Islamic State of Iraq and the Levant (ISIL)"


@pytest.fixture(scope="module")
def study():
    return load_study()


def test_shipped_variants_cover_every_contested_choice(study):
    vs = load_variants(study)
    names = [v.name for v in vs]
    assert names[0] == PRIMARY and len(set(names)) == len(names)
    assert vs[0].choices == study.taxonomy
    changed = {k for v in vs[1:] for k, _ in v.overrides}
    # issue "Coding v2" item 12: split date, Nusra cut-off, contested groups, unnamed jihadists,
    # location-only rules, launched / foiled
    assert {"aq_is_split", "nusra_counts_as_aq_until", "contested_groups", "include_unnamed_jihadists",
            "location_only_rules", "plot_status"} <= changed
    by_name = {v.name: v for v in vs}
    assert by_name["split_2013_04"].choices.aq_is_split == date(2013, 4, 9)
    assert by_name["nusra_always_aq"].choices.nusra_counts_as_aq_until is None
    assert {by_name["launched_only"].choices.plot_status, by_name["foiled_only"].choices.plot_status} == \
        {"launched", "foiled"}


@pytest.mark.parametrize(("block", "message"), [
    ('[[variants]]\nname = "primary"\ntaxonomy = { aq_is_split = "2013-04-09" }\n', "unique name"),
    ('[[variants]]\nname = "x"\ntaxonomy = { no_such_key = 1 }\n', "unknown key 'no_such_key'"),
    ('[[variants]]\nname = "x"\ntaxonomy = { plot_status = "sometimes" }\n', "plot_status"),
    ('[[variants]]\nname = "x"\n', "no \\[taxonomy\\] overrides"),
])
def test_bad_variants_are_refused(tmp_path, block, message):
    text = (ROOT / "analysis" / "study.toml").read_text()
    text = text[: text.index("[[variants]]")] + block + "\n" + text[text.index("[models]"):]
    p = tmp_path / "study.toml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_variants(load_study(p))


def _events(rows: list[dict]) -> pd.DataFrame:
    out = []
    for i, r in enumerate(rows):
        r = dict(r)
        d = pd.Timestamp(r.pop("date"))
        out.append({"event_id": str(i), "year": d.year, "month": d.month, "day": d.day, "date_precision": "day",
                    "date": d, "n": 1, **r})
    return conform_events(pd.DataFrame(out))


def _classified(df: pd.DataFrame, cls: list[str], fam: list[str]) -> pd.DataFrame:
    return df.assign(event_class=pd.array(cls, dtype="string"), family_a=pd.array(fam, dtype="string"),
                     family_b=pd.array([pd.NA] * len(df), dtype="string"))


def test_outcome_counts_by_hand(study):
    # main intervention 2014-08-08: months before Aug 2014 are "before"; window 2011-01 .. 2017-12
    ev = _events([
        dict(source="s", date="2010-12-31"),   # outside the window
        dict(source="s", date="2014-07-31"),   # before
        dict(source="s", date="2014-08-01"),   # after (the intervention month)
        dict(source="s", date="2017-12-31"),   # after
        dict(source="s", date="2016-01-01"),   # other class
        dict(source="t", date="2016-01-01"),   # other source
    ])
    ev = _classified(ev, ["external"] * 4 + ["other", "external"], ["IS", "IS", "AQ", "JIH", "IS", "IS"])
    ev.loc[3, "n"] = 3
    o = Outcome("o", "month", "s", "external", "all", "label")
    got = outcome_counts(ev, None, o, study)
    assert (got["before"], got["after"]) == (1.0, 4.0)
    assert (got["periods_before"], got["periods_after"]) == (43, 41)  # 2011-01..2014-07, 2014-08..2017-12
    assert got["rate_ratio"] == pytest.approx((4 / 41) / (1 / 43))
    assert outcome_counts(ev, None, replace(o, family="AQ"), study)["after"] == 1.0
    # a year-precision row is not in a monthly series
    ev.loc[1, "date_precision"] = "year"
    ev.loc[1, "month"] = pd.NA
    ev.loc[1, "day"] = pd.NA
    assert outcome_counts(ev, None, o, study)["before"] == 0.0
    # yearly: the intervention year counts as after; first_year is respected
    yr = conform_yearly(pd.DataFrame({"source": "y", "record_id": ["1", "2", "3", "4"], "year": [2012, 2013, 2014, 2019],
                                      "n": [1, 1, 2, 5]}))
    yr = _classified(yr, ["clash"] * 4, ["IS"] * 4)
    oy = Outcome("oy", "year", "y", "clash", "all", "label", first_year=2013)
    got = outcome_counts(None, yr, oy, study)
    assert (got["before"], got["after"], got["periods_before"], got["periods_after"]) == (1.0, 7.0, 1, 6)


def test_variant_table_end_to_end(study):
    """Two hand-made GTD-like rows whose class depends on the choices: the table shows each variant's effect."""
    ev = _events([
        # an IS attack in Belgium after the intervention: external only through the location-only rule
        dict(source="gtd_france", date="2016-03-22", country="Belgium", relation="attack", side_a=ISIL),
        # an Abu Sayyaf kidnapping of Canadians: contested -> unnamed jihadist (external) by default
        dict(source="gtd_france", date="2016-01-01", country="Philippines", relation="attack",
             side_a="Abu Sayyaf Group (ASG)", target_nationality="Canada"),
    ])
    o = Outcome("ext", "month", "gtd_france", "external", "all", "label")
    o_is = Outcome("ext_is", "month", "gtd_france", "external", "IS", "label")
    st = replace(study, outcomes=(o, o_is))
    vs = [v for v in load_variants(study) if v.name in (PRIMARY, "location_rules_out", "contested_in",
                                                          "unnamed_out")]
    t = variant_table(ev, ev.iloc[:0].rename(columns={"event_id": "record_id"})[["source", "record_id", "year",
                                                                                  "n"]], st, variants=vs)
    assert list(t.columns) == VARIANT_COLUMNS
    after = t.pivot_table(index="variant", columns="outcome", values="after")
    assert after.loc[PRIMARY].tolist() == [2.0, 1.0]
    assert after.loc["location_rules_out"].tolist() == [1.0, 0.0]   # Brussels drops out
    assert after.loc["contested_in"].tolist() == [2.0, 2.0]         # the ASG becomes IS
    assert after.loc["unnamed_out"].tolist() == [1.0, 1.0]          # the contested group drops out
    diff = t.set_index(["variant", "outcome"])["after_minus_primary"]
    assert diff[("location_rules_out", "ext")] == -1.0 and diff[(PRIMARY, "ext")] == 0.0
    assert np.isnan(t["rate_before"]).all() or (t["before"] == 0).all()


def test_variant_is_a_frozen_record(study):
    v = load_variants(study)[1]
    assert isinstance(v, Variant)
    with pytest.raises(AttributeError):
        v.name = "x"  # type: ignore[misc]


def test_variant_table_is_the_same_in_one_or_two_processes(study):
    """The variants are shared between processes in chunks; the table does not depend on how many."""
    ev = _events([
        dict(source="gtd_france", date="2016-03-22", country="Belgium", relation="attack", side_a=ISIL),
        dict(source="gtd_france", date="2016-01-01", country="Philippines", relation="attack",
             side_a="Abu Sayyaf Group (ASG)", target_nationality="Canada"),
    ])
    st = replace(study, outcomes=(Outcome("ext", "month", "gtd_france", "external", "all", "label"),))
    yr = ev.iloc[:0].rename(columns={"event_id": "record_id"})[["source", "record_id", "year", "n"]]
    one = variant_table(ev, yr, st, jobs=1)
    two = variant_table(ev, yr, st, jobs=2)
    pd.testing.assert_frame_equal(one, two)
    assert list(one["variant"].unique()) == [v.name for v in load_variants(study)]   # in the registered order
