"""What the data can and cannot identify, arm by arm: sentences computed from the coverage table, the monthly
series and the findings, for the report's opening section.

Inputs are the saved build files (data/processed/coverage.csv, series_monthly.parquet) and the verdict counts per
arm (findings.csv: the statement of each arm's registered primary estimand; no counting of tests). Nothing here is typed by hand except the wording and the dated rival
events in RIVAL_EVENTS, each with a bibliography key (reports/bibliography.json) or case id (data/cases/cases.csv).

A source *dates an arm across the intervention* when it is in the study, is dated to the day or month, and its
coverage runs from at least `margin` months before the main intervention's month to at least `margin` months after
it (default 12, the placebo sweep's min_pre / min_post). For such a source the number of events of the arm in
those 2 * margin + 1 months is reported, so that a source that spans the date but records almost nothing of the
arm (Mapping Militants dates relationships, not fighting) is seen as such.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from externalize.errors import ExternalizeError
from externalize.vocab import as_bool

ARMS = ("external", "clash", "joint")
ARM_PHRASE = {"clash": "AQ-IS clashes", "joint": "joint AQ-IS operations", "external": "attacks on external targets"}
DATED = ("day", "month")


@dataclass(frozen=True)
class RivalEvent:
    """A dated event other than the intervention that predicts the same change in one or more arms."""

    label: str
    date: date
    source: str        # bibliography key or case id
    predicts: str      # which change it predicts, in words


#: dated rival events (sources: bibliography keys, case ids)
RIVAL_EVENTS: tuple[RivalEvent, ...] = (
    RivalEvent("al-Qaeda's general command disowns ISIS (the AQ-IS split)", date(2014, 2, 3), "case C13",
               "more AQ-IS clashes and competition, from early 2014"),
    RivalEvent("the caliphate declaration", date(2014, 6, 29), "nydn2014caliphate",
               "competition for leadership of the movement (outbidding), including attacks abroad"),
    # released online on Sunday 21 September 2014 (MEMRI; LA Times of 22 September: "released Sunday"); often
    # dated 22 September, the day it was reported
    RivalEvent("al-Adnani's call to attack citizens of coalition countries", date(2014, 9, 21),
               "latimes2014adnani", "more IS-inspired attacks in the West"),
)


class IdentificationError(ExternalizeError, ValueError):
    """The coverage table lacks the columns this module reads."""


@dataclass
class ArmIdentification:
    arm: str
    spanning: list[dict[str, Any]] = field(default_factory=list)   # dated sources across the intervention
    later: list[dict[str, Any]] = field(default_factory=list)      # dated sources that start or end too near
    yearly: list[str] = field(default_factory=list)
    can: list[str] = field(default_factory=list)
    cannot: list[str] = field(default_factory=list)
    findings: str = ""


def _month(s: object) -> pd.Period:
    return pd.Period(str(s)[:7], freq="M")


def _window_counts(monthly: pd.DataFrame, arm: str, lo: pd.Period, hi: pd.Period) -> dict[str, float]:
    if monthly.empty:
        return {}
    m = monthly[(monthly["event_class"] == arm) & (monthly["family"] == "all")]
    per = pd.PeriodIndex(m["period"].astype(str), freq="M")
    m = m[(per >= lo) & (per <= hi) & m["in_coverage"].astype(bool).to_numpy()]
    return m.groupby("source")["count"].sum().to_dict()


def _family_sources(monthly: pd.DataFrame, arm: str, lo: pd.Period, hi: pd.Period) -> list[str]:
    """Sources whose events of the arm in the window carry a perpetrator family (AQ or IS counts > 0)."""
    if monthly.empty:
        return []
    m = monthly[(monthly["event_class"] == arm) & monthly["family"].isin(["AQ", "IS"])]
    per = pd.PeriodIndex(m["period"].astype(str), freq="M")
    m = m[(per >= lo) & (per <= hi)]
    s = m.groupby("source")["count"].sum()
    return sorted(s[s > 0].index)


def _days(a: date, b: date) -> int:
    return (b - a).days


def identify(coverage: pd.DataFrame, monthly: pd.DataFrame, intervention: date, *,
             measures: Mapping[str, str] | None = None, statements: Mapping[str, str] | None = None,
             rivals: Sequence[RivalEvent] = RIVAL_EVENTS, margin: int = 12) -> dict[str, ArmIdentification]:
    """Per arm (external, clash, joint, and 'comparison' for the direct test): which sources date the arm across
    the main intervention, which are yearly only, and the sentences saying what can and cannot be identified.

    coverage: build.coverage_table() as saved (source, arm, frequency, start, end, in_study).
    monthly: series.monthly_counts() long frame (source, event_class, family, period, count, in_coverage).
    measures: registry source -> what it measures (for the wording). statements: arm -> the statement of its
    registered primary estimand (findings.csv, `findings.arm_statements`; arm "direct" is the comparison).
    """
    need = {"source", "arm", "frequency", "start", "end", "in_study"}
    if not need <= set(coverage.columns):
        raise IdentificationError(f"coverage table lacks columns {sorted(need - set(coverage.columns))}")
    measures = measures or {}
    cov = coverage[coverage["in_study"].map(as_bool)]
    iv = pd.Period(intervention, freq="M")
    lo, hi = iv - margin, iv + margin
    statements = dict(statements or {})
    out: dict[str, ArmIdentification] = {}
    for arm in ARMS:
        a = ArmIdentification(arm)
        rows = cov[cov["arm"] == arm]
        counts = _window_counts(monthly, arm, lo, hi)
        for r in rows[rows["frequency"].isin(DATED)].sort_values("start").itertuples():
            info = {"source": r.source, "start": str(r.start), "end": str(r.end),
                    "n_window": float(counts.get(r.source, 0.0)), "measures": measures.get(r.source, "")}
            (a.spanning if _month(r.start) <= lo and _month(r.end) >= hi else a.later).append(info)
        a.yearly = sorted(rows.loc[rows["frequency"] == "year", "source"].unique())
        phrase = ARM_PHRASE[arm]
        event_spanning = [s for s in a.spanning if s["n_window"] >= 1 and "relationship" not in str(s["measures"])]
        relation_spanning = [s for s in a.spanning if "relationship" in str(s["measures"])]
        window = f"the {2 * margin + 1} months around {intervention.isoformat()}"
        if event_spanning:
            srcs = ", ".join(f"{s['source']} ({s['n_window']:.0f})" for s in event_spanning)
            a.can.append(f"{len(event_spanning)} sources date {phrase} month by month on both sides of the main "
                         f"intervention (rows of the arm in {window} in brackets; what each counts is in the table "
                         f"below): {srcs}. A change of level can be placed in time.")
        else:
            starts = "; ".join(f"{s['source']} covers {s['start']} to {s['end']}" for s in a.later)
            a.cannot.append(f"No source here dates {phrase} month by month on both sides of the main intervention "
                            f"({intervention.isoformat()})" + (f": {starts}." if starts else "."))
        for s in relation_spanning:
            a.cannot.append(f"{s['source']} spans the date but records {s['measures']}: {s['n_window']:.0f} "
                            f"{arm} rows in {window}, too few and of another kind to count {phrase}.")
        if a.yearly and not event_spanning:
            near = [r for r in rivals if abs(r.date.year - intervention.year) <= 0]
            rival_txt = "; ".join(f"{r.label} ({r.date.isoformat()})" for r in near)
            a.can.append(f"Yearly counts ({', '.join(a.yearly)}) compare whole years before and after "
                         f"{intervention.year}, with {intervention.year} left out.")
            a.cannot.append(f"Yearly counts cannot place a change within {intervention.year}, nor separate the "
                            f"intervention from other events of the same year" + (f": {rival_txt}." if near else "."))
        if arm == "external" and event_spanning:
            fam = [f for f in _family_sources(monthly, arm, lo, hi) if f in {s["source"] for s in event_spanning}]
            dated_rivals = "; ".join(
                f"{r.label} on {r.date.isoformat()}, {abs(_days(intervention, r.date))} days "
                f"{'after' if r.date >= intervention else 'before'} it" for r in rivals
                if abs(_days(intervention, r.date)) <= 120)
            a.cannot.append("A monthly series cannot separate the intervention from events a few weeks away that "
                            f"predict the same rise: {dated_rivals}." if dated_rivals else
                            "No rival event lies within four months of the intervention.")
            no_fam = [s["source"] for s in event_spanning if s["source"] not in fam]
            a.cannot.append("A rise in attacks or plots in the West cannot by itself separate cooperation against "
                            "the West from competition between the two families (outbidding): both predict more "
                            "attacks. Only the perpetrator's family could begin to tell them apart, and "
                            + (f"{', '.join(no_fam)} do not record it" if no_fam else "every monthly source records it")
                            + (f"; {', '.join(fam)} do, for some of their rows in {window}." if fam else "."))
        if arm in statements:
            a.findings = f"The registered primary estimand of this arm: {statements[arm]}"
        out[arm] = a
    comp = ArmIdentification("comparison")
    clash_ok = any(s["n_window"] >= 1 and "relationship" not in str(s["measures"]) for s in out["clash"].spanning)
    if clash_ok and any(s["n_window"] >= 1 for s in out["external"].spanning):
        comp.can.append("Clashes and external attacks are both dated by month across the intervention, so the "
                        "direct test of externalization compares them month by month.")
    else:
        comp.cannot.append("The direct test of externalization (fewer clashes while external attacks rise, in the "
                           "same months) needs both arms dated by month across the intervention; the clash arm is "
                           "not, so the comparison rests on yearly counts of clashes.")
    if "direct" in statements:
        comp.findings = f"The registered primary estimand of the comparison: {statements['direct']}"
    out["comparison"] = comp
    return out
