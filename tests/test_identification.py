"""What the data can identify, arm by arm, from hand-made coverage tables and monthly series: which sources date
an arm across the intervention, the day gaps to the rival events (closed form), and the sentences."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from externalize.identification import RIVAL_EVENTS, IdentificationError, identify

IV = date(2014, 8, 8)


def _coverage() -> pd.DataFrame:
    return pd.DataFrame([
        ("plots_eu", "external", "month", "1994-01", "2021-12", True),
        ("plots_late", "external", "month", "2014-01", "2016-12", True),     # starts 7 months before: too late
        ("ged_syria", "clash", "day", "2016-01", "2019-11", True),
        ("ged_years", "clash", "year", "2003-01", "2019-12", True),
        ("mmp", "clash", "day", "1959-01", "2017-12", True),
        ("absent_full", "clash", "day", "1989-01", "2022-12", False),        # not in the study: ignored
    ], columns=["source", "arm", "frequency", "start", "end", "in_study"])


def _monthly() -> pd.DataFrame:
    per = pd.period_range("2013-01", "2016-12", freq="M").astype(str)
    rows = []
    for p in per:
        rows.append(("plots_eu", "external", "all", p, 1.0, True))
        rows.append(("plots_eu", "external", "IS", p, 0.0, True))
        rows.append(("mmp", "clash", "all", p, 1.0 if p == "2014-02" else 0.0, True))
    return pd.DataFrame(rows, columns=["source", "event_class", "family", "period", "count", "in_coverage"])


def test_external_arm_dated_across_the_intervention() -> None:
    out = identify(_coverage(), _monthly(), IV, measures={"mmp": "dated relationships between groups"})
    ext = out["external"]
    assert [s["source"] for s in ext.spanning] == ["plots_eu"]
    assert [s["source"] for s in ext.later] == ["plots_late"]
    # 25 months (2013-08 .. 2015-08) of one event each
    assert ext.spanning[0]["n_window"] == 25
    assert "plots_eu (25)" in ext.can[0]
    # rival events: 2014-06-29 is 40 days before 2014-08-08, 2014-09-21 is 44 days after (the split of
    # 2014-02-03, 186 days before, is outside the four-month reach)
    assert "2014-06-29, 40 days before it" in ext.cannot[0] and "2014-09-21, 44 days after it" in ext.cannot[0]
    assert "2014-02-03" not in ext.cannot[0]
    # the only monthly source carries no family counts above zero: it does not record the perpetrator
    assert "plots_eu do not record it" in ext.cannot[1]


def test_clash_arm_is_yearly_only_and_the_relationship_source_is_named() -> None:
    out = identify(_coverage(), _monthly(), IV, measures={"mmp": "dated relationships between groups"})
    clash = out["clash"]
    assert clash.yearly == ["ged_years"]
    assert any("No source here dates AQ-IS clashes month by month" in t and "ged_syria covers 2016-01 to 2019-11"
               in t for t in clash.cannot)
    assert any(t.startswith("mmp spans the date but records dated relationships") and ": 1 clash rows" in t
               for t in clash.cannot)
    assert any("2014-02-03" in t and "2014-06-29" in t and "2014-09-21" in t for t in clash.cannot)
    assert "absent_full" not in " ".join(clash.cannot + clash.can)
    assert out["comparison"].cannot and not out["comparison"].can


def test_findings_come_from_the_primary_statement_of_each_arm() -> None:
    statements = {"external": "external: rate ratio 3.03 [1.49, 6.17]", "direct": "direct: not tested (x)"}
    out = identify(_coverage(), _monthly(), IV, statements=statements)
    assert out["external"].findings == ("The registered primary estimand of this arm: external: rate ratio 3.03 "
                                        "[1.49, 6.17]")
    assert out["comparison"].findings.endswith("direct: not tested (x)")
    assert out["clash"].findings == ""           # no statement, no sentence: nothing is counted


def test_rival_events_have_sources() -> None:
    assert [r.date.isoformat() for r in RIVAL_EVENTS] == ["2014-02-03", "2014-06-29", "2014-09-21"]
    assert all(r.source for r in RIVAL_EVENTS)


def test_bad_coverage_table() -> None:
    with pytest.raises(IdentificationError, match="lacks columns"):
        identify(pd.DataFrame({"source": ["x"]}), _monthly(), IV)


def test_rival_events_in_the_text_and_in_the_study_config_agree():
    """The dated events the identification section names and the rival dates the models test are the same
    dates (al-Adnani's call: released online on 21 September 2014)."""
    from externalize.config import load_study
    from externalize.identification import RIVAL_EVENTS

    study = load_study()
    assert study.rival_dates is not None
    config = {c.date for c in study.rival_dates.candidates}
    named = {e.date for e in RIVAL_EVENTS if "caliphate" in e.label or "Adnani" in e.label}
    assert named and named <= config
