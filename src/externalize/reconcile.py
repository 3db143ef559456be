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


#: the comparisons, as ((source a, source b), function of their event rows)
COMPARISONS = (
    (("gtd_world_inc", "gtd0814"), world_inc_vs_gtd0814),
    (("gtd_world_inc", "gtd_france"), world_inc_vs_france),
    (("gtd_us", "csis_us"), gtd_us_vs_csis),
    (("gtd_0718_degraded", "gtd_world_inc"), degraded_vs_world_inc),
)
#: every source some comparison reads
COMPARED_SOURCES = frozenset(k for pair, _ in COMPARISONS for k in pair)


def reconcile(events: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Every comparison whose two sources are present (keys: registry source keys; sources outside
    COMPARED_SOURCES are not read)."""
    frames = [fn(events[a], events[b]) for (a, b), fn in COMPARISONS if a in events and b in events]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True)


def disagreements(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows where the two sources differ (a count, or a name for event-level rows)."""
    name_rows = frame["comparison"].str.startswith("first perpetrator differs")
    return frame[(frame["difference"] != 0) | name_rows].reset_index(drop=True)


# ---------------------------------------------------------------- published counts against this data
#: published counts the report sets against the data (bibliography keys in reports/bibliography.json)
PUBLISHED_COLUMNS = ["claim_id", "publication", "claim", "period", "place", "published", "unit", "source",
                     "definition_here", "this_data", "difference", "explanation"]
WEST_EUROPE_LABEL = "18 Western European countries (Nesser)"
NORTH_AMERICA = ("US", "United States", "Canada")


def _plots(events: pd.DataFrame, source: str, status: str | None, start: str, end: str,
           countries: Iterable[str] | None = None) -> pd.DataFrame:
    ev = events[events["source"] == source]
    if status is not None:
        ev = ev[ev["plot_status"] == status]
    ev = ev[ev["date_precision"].isin(["day", "month"])]
    per = ev["date"].dt.to_period("M")
    ev = ev[(per >= pd.Period(start, "M")) & (per <= pd.Period(end, "M"))]
    if countries is not None:
        ev = ev[ev["country"].isin(list(countries))]
    return ev


def _end_of(events: pd.DataFrame, source: str) -> str:
    ev = events[events["source"] == source]
    return str(ev["date"].max().to_period("M")) if len(ev) else "absent"


def published_counts(events: pd.DataFrame) -> pd.DataFrame:
    """Published counts next to what this data gives for the nearest definition, one row per comparison.

    events: the classified EVENT table (data/processed/events.parquet). Each row says which source and definition
    was used and why the numbers differ; `this_data` is NaN where no source here measures the quantity (the row
    then says so). Sources absent from `events` give NaN with the reason. Published values and their sources:
    reports/bibliography.json (vidino2017, hamming2017, nesser2016), with what was and was not verified there.
    """
    rows: list[dict[str, object]] = []

    def add(claim_id: str, publication: str, claim: str, period: str, place: str, published: float, unit: str,
            source: str, definition: str, value: float, explanation: str, same_unit: bool = True) -> None:
        # a difference only where both numbers count the same unit (not people against attacks)
        diff = value - published if same_unit and pd.notna(value) and pd.notna(published) else float("nan")
        rows.append({"claim_id": claim_id, "publication": publication, "claim": claim, "period": period,
                     "place": place, "published": published, "unit": unit, "source": source,
                     "definition_here": definition, "this_data": value, "difference": diff,
                     "explanation": explanation})

    nan = float("nan")
    have = set(events["source"].unique()) if len(events) else set()
    # Vidino, Marone & Entenmann (2017): 51 attacks, June 2014 - June 2017, Europe and North America
    claim = "jihadist attacks carried out in Europe and North America"
    nes = _plots(events, "nesser_cym", "launched", "2014-06", "2017-06") if "nesser_cym" in have else None
    cre_na = (_plots(events, "crenshaw_cym", "launched", "2014-06", "2017-06", NORTH_AMERICA)
              if "crenshaw_cym" in have else None)
    cre_end = _end_of(events, "crenshaw_cym")
    add("V1a", "vidino2017", claim, "2014-06 to 2017-06", "Europe and North America", 51, "attacks", "nesser_cym",
        f"launched plots, {WEST_EUROPE_LABEL}, 2014-06 to 2017-06", float(nes["n"].sum()) if nes is not None else nan,
        "Western Europe only: attacks in North America are not in this source.")
    add("V1b", "vidino2017", claim, "2014-06 to 2017-06", "Europe and North America", 51, "attacks",
        "crenshaw_cym", f"launched plots in the US and Canada, 2014-06 to {cre_end} (the source ends there)",
        float(cre_na["n"].sum()) if cre_na is not None else nan,
        "North America only, and the Crenshaw data end before June 2017.")
    if nes is not None and cre_na is not None:
        # days are not known (country-month cells), so the two months at the ends are counted whole
        add("V1c", "vidino2017", claim, "2014-06 to 2017-06", "Europe and North America", 51, "attacks",
            "nesser_cym + crenshaw_cym", f"sum of V1a and V1b: Western Europe to 2017-06, US and Canada to {cre_end}",
            float(nes["n"].sum() + cre_na["n"].sum()),
            "A lower bound for the published definition: North America after the Crenshaw data end is missing, "
            "and Nesser counts the attacks of 7-9 January 2015 in France (Charlie Hebdo, Montrouge, Hyper Cacher) "
            "as one launched plot where the case catalogue has two attacks (C05, C06). Both sources count by "
            "country and month, so June 2014 and June 2017 are counted whole.")
    add("V2", "vidino2017", "people killed in those attacks", "2014-06 to 2017-06", "Europe and North America",
        395, "killed", "(none)", "no source here records deaths for the plots of the West", nan,
        "Not measured: the plot sources give counts of launched and foiled plots per country and month, not "
        "deaths. The published total of 395 was not found on the pages read (see the bibliography note).")
    # Hamming (2017): 38 attacks in the West organised or claimed by IS since 2014, 1 by AQ
    claim_h = "attacks in the West organised or claimed by IS (against 1 by AQ)"
    add("H1", "hamming2017", claim_h, "2014 to 2017", "the West", 38, "attacks (IS)", "nesser_cym, crenshaw_cym",
        "launched plots carry no perpetrator group", nan,
        "Not measurable from the plot sources: they record 'jihadist (unnamed)' for every plot, so attacks by IS "
        "and by AQ cannot be told apart.")
    if "pirus" in have:
        p = events[(events["source"] == "pirus") & events["year"].between(2014, 2017)]
        n_is = int(p.loc[p["family_a"] == "IS", "n"].sum())
        n_aq = int(p.loc[p["family_a"] == "AQ", "n"].sum())
        n_both = int(p.loc[p["family_a"] == "AQ+IS", "n"].sum())
        add("H2", "hamming2017", claim_h, "2014 to 2017", "United States", 38, "attacks (IS)", "pirus",
            f"individuals exposed 2014-2017 whose group is IS-family ({n_is}); AQ-family: {n_aq}; both: {n_both}",
            float(n_is),
            f"Another unit: PIRUS counts people (arrests and attackers, United States only), not attacks. The "
            f"ratio of IS to AQ individuals ({n_is} to {n_aq}) "
            + ("points the same way as" if n_is > n_aq else "does not point the same way as")
            + " the published 38 to 1.", same_unit=False)
    # Nesser, Stenersen & Oftedal (2016): more plots per year in Western Europe in 2014-2016 than ever before
    if "nesser_cym" in have:
        ev = events[(events["source"] == "nesser_cym")]
        per_year = ev.groupby(ev["year"].astype(int))["n"].sum()
        before = per_year[per_year.index < 2014]
        best_year = int(before.idxmax()) if len(before) else -1
        best = float(before.max()) if len(before) else nan
        first = int(before.index.min()) if len(before) else 2014
        for label, years in (("2014", [2014]), ("2015", [2015]), ("2016", [2016]),
                             ("2014-2016 mean", [2014, 2015, 2016])):
            v = float(per_year.reindex(years, fill_value=0).mean())
            verdict = "Agrees" if v > best else "Does not agree"
            add(f"N{label[:4] if len(years) == 1 else 'mean'}", "nesser2016",
                "more jihadi plots per year in Western Europe in 2014-2016 than ever before", label,
                WEST_EUROPE_LABEL, nan, "plots per year (no number published)", "nesser_cym",
                f"launched + foiled plots per year; the highest year before 2014 is {best_year} with {best:.0f}",
                v, f"{verdict}: {v:.1f} plots against at most {best:.0f} in any year from {first} to 2013. The "
                "data are Nesser's own (extended after 2016), so this checks the adapter and the reading of the "
                "claim, not an independent source.")
    return pd.DataFrame(rows, columns=PUBLISHED_COLUMNS)
