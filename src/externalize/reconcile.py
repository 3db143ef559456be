"""Where GTD copies (and the US sources) overlap, compare them and report every disagreement.

All functions take adapter outputs (event tables in the EVENT schema) and return one tidy frame:
    comparison   which pair is compared ("world_inc vs gtd0814 by year", ...)
    unit         "year" | "month" | "event"
    key          the year / month / event id / group compared
    group        perpetrator name compared (<NA> for totals)
    source_a, source_b, count_a, count_b, difference (= count_a - count_b)
`disagreements(frame)` keeps the rows where the two differ. Nothing is reconciled silently: the report
shows the frame, and the study reads each source as it is.

Comparisons
  world_inc vs gtd0814, 2000-2013: events per year, and per year and first perpetrator for the family-
      relevant names (names matching FAMILY_PATTERN, or the names given). world_inc dropped events without
      coordinates, so world_inc < gtd0814 is expected in early years; a later release also re-attributes.
  world_inc vs France_inc: France_inc's eventids that world_inc lacks (one row each, unit "event"), and the
      first perpetrator where an eventid is in both and the names differ; plus events per year.
  gtd_us vs csis_us, 2013-2016: US jihadist events per month. GTD side: first-perpetrator names matching
      US_JIHADIST_PATTERN (GTD's US labels "Jihadi-inspired extremists", "Muslim extremists", IS/AQ names);
      CSIS side: Orientation "Religious". The two count different things (GTD: attacks; CSIS: attacks and
      plots) so a difference is information, not an error.
  degraded 0718 vs world_inc, 2000-2014: events per month (rows dated to the month or day). The degraded
      copy has every 0718dist event; world_inc lacks events without coordinates and comes from an earlier
      release.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from externalize.schema import ACTOR_SEPARATOR

COLUMNS = ["comparison", "unit", "key", "group", "source_a", "source_b", "count_a", "count_b", "difference"]
# family-relevant GTD perpetrator names (AQ and IS lineages as GTD writes them); a screen for the comparison,
# not the classification (which is the taxonomy's job)
FAMILY_PATTERN = r"(?i)islamic state|\bisil\b|\bisis\b|qa.?ida|nusra|shabaab|tawhid and jihad|jihad"
US_JIHADIST_PATTERN = FAMILY_PATTERN + r"|(?i:muslim extremists|jihadi-inspired)"


def _first_perp(events: pd.DataFrame) -> pd.Series:
    return events["side_a"].astype("string").str.split(ACTOR_SEPARATOR, regex=False).str[0]


def _frame(comparison: str, unit: str, a: pd.Series, b: pd.Series, source_a: str, source_b: str,
           group: pd.Series | None = None) -> pd.DataFrame:
    """a, b: counts indexed by key (or by (key, group)); outer-joined, absent = 0."""
    both = pd.concat([a.rename("count_a"), b.rename("count_b")], axis=1).fillna(0).astype("int64")
    both = both.reset_index()
    if both.shape[1] == 4:
        both.columns = ["key", "group", "count_a", "count_b"]
    else:
        both.columns = ["key", "count_a", "count_b"]
        both["group"] = pd.NA
    both["key"] = both["key"].astype(str)
    out = both.assign(comparison=comparison, unit=unit, source_a=source_a, source_b=source_b,
                      difference=both["count_a"] - both["count_b"])
    return out[COLUMNS].astype({"group": "string"}).sort_values(["key", "group"]).reset_index(drop=True)


def _by_year(ev: pd.DataFrame, first: int, last: int) -> pd.Series:
    ev = ev[ev["year"].between(first, last)]
    return ev.groupby(ev["year"].astype(int))["n"].sum()


def world_inc_vs_gtd0814(world: pd.DataFrame, g0814: pd.DataFrame, groups: Iterable[str] | None = None,
                         first: int = 2000, last: int = 2013) -> pd.DataFrame:
    totals = _frame("world_inc vs gtd0814 by year", "year", _by_year(world, first, last),
                    _by_year(g0814, first, last), "gtd_world_inc", "gtd0814")
    parts = []
    for ev in (world, g0814):
        ev = ev[ev["year"].between(first, last)]
        perp = _first_perp(ev)
        keep = perp.isin(list(groups)) if groups is not None else perp.str.contains(FAMILY_PATTERN, regex=True)
        ev = ev[keep.fillna(False).to_numpy()]
        parts.append(ev.groupby([ev["year"].astype(int), _first_perp(ev)])["n"].sum())
    per_group = _frame("world_inc vs gtd0814 by year and first perpetrator", "year", parts[0], parts[1],
                       "gtd_world_inc", "gtd0814")
    return pd.concat([totals, per_group], ignore_index=True)


def world_inc_vs_france(world: pd.DataFrame, france: pd.DataFrame) -> pd.DataFrame:
    years = (int(france["year"].min()), int(france["year"].max())) if len(france) else (2000, 2014)
    in_world = world[world["event_id"].isin(france["event_id"])]
    totals = _frame("France_inc vs world_inc (France eventids) by year", "year", _by_year(france, *years),
                    _by_year(in_world, *years), "gtd_france", "gtd_world_inc")
    missing = france[~france["event_id"].isin(world["event_id"])]
    miss = pd.DataFrame({"comparison": "France_inc eventid absent from world_inc", "unit": "event",
                         "key": missing["event_id"].astype(str), "group": _first_perp(missing),
                         "source_a": "gtd_france", "source_b": "gtd_world_inc", "count_a": 1, "count_b": 0,
                         "difference": 1})
    merged = france.assign(p=_first_perp(france)).merge(world.assign(p=_first_perp(world))[["event_id", "p"]],
                                                        on="event_id", suffixes=("_fr", "_w"))
    diff = merged[merged["p_fr"].fillna("") != merged["p_w"].fillna("")]
    names = pd.DataFrame({"comparison": "first perpetrator differs (France_inc vs world_inc)", "unit": "event",
                          "key": diff["event_id"].astype(str),
                          "group": diff["p_fr"].fillna("<NA>") + " / " + diff["p_w"].fillna("<NA>"),
                          "source_a": "gtd_france", "source_b": "gtd_world_inc", "count_a": 1, "count_b": 1,
                          "difference": 0})
    out = pd.concat([totals, miss[COLUMNS], names[COLUMNS]], ignore_index=True)
    return out.astype({"group": "string", "count_a": "int64", "count_b": "int64", "difference": "int64"})


def _by_month(ev: pd.DataFrame, start: str, end: str) -> pd.Series:
    ev = ev[ev["date_precision"].isin(["day", "month"])]
    per = ev["date"].dt.to_period("M")
    ev = ev[(per >= pd.Period(start, "M")) & (per <= pd.Period(end, "M"))]
    return ev.groupby(ev["date"].dt.to_period("M").astype(str))["n"].sum()


def gtd_us_vs_csis(gtd_us: pd.DataFrame, csis: pd.DataFrame, start: str = "2013-01",
                   end: str = "2016-12") -> pd.DataFrame:
    jih = gtd_us[_first_perp(gtd_us).str.contains(US_JIHADIST_PATTERN, regex=True).fillna(False).to_numpy()]
    rel = csis[(csis["side_a"] == "Religious").fillna(False).to_numpy()]
    months = pd.period_range(start, end, freq="M").astype(str)
    a = _by_month(jih, start, end).reindex(months, fill_value=0)
    b = _by_month(rel, start, end).reindex(months, fill_value=0)
    return _frame("US jihadist events per month: GTD US vs CSIS 'Religious'", "month", a, b, "gtd_us", "csis_us")


def degraded_vs_world_inc(degraded: pd.DataFrame, world: pd.DataFrame, start: str = "2000-01",
                          end: str = "2014-12") -> pd.DataFrame:
    months = pd.period_range(start, end, freq="M").astype(str)
    a = _by_month(degraded, start, end).reindex(months, fill_value=0)
    b = _by_month(world, start, end).reindex(months, fill_value=0)
    return _frame("events per month: degraded 0718 vs world_inc", "month", a, b, "gtd_0718_degraded",
                  "gtd_world_inc")


def reconcile(events: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Every comparison whose two sources are present (keys: registry source keys)."""
    runs = (
        (("gtd_world_inc", "gtd0814"), world_inc_vs_gtd0814),
        (("gtd_world_inc", "gtd_france"), world_inc_vs_france),
        (("gtd_us", "csis_us"), gtd_us_vs_csis),
        (("gtd_0718_degraded", "gtd_world_inc"), degraded_vs_world_inc),
    )
    frames = [fn(events[a], events[b]) for (a, b), fn in runs if a in events and b in events]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True)


def disagreements(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows where the two sources differ (a count, or a name for event-level rows)."""
    name_rows = frame["comparison"].str.startswith("first perpetrator differs")
    return frame[(frame["difference"] != 0) | name_rows].reset_index(drop=True)
