"""The case catalogue (data/cases/): the 2015 analysis's cases and other documented AQ-IS events, checked
against the event sources.

Three steps, each a function:
  load_cases(path)                       read and validate cases.csv (one row per case, with public sources)
  link_cases(cases, events, links)       look each (case, source, event id) link up in an EVENT-schema table
                                         and say whether the id exists and date / country agree
  cases_in_numbers(cases, monthly)       per case: the count of its class in its month, and the 12-month
                                         pre / post means, where a source's monthly series covers them

Date agreement is judged at the coarser of the two precisions (case and event): day -> |gap| <= 1 day (time
zones and overnight events), month -> same calendar month, year -> same year. A year-only source such as the
UCDP syria-iraq subset can therefore only confirm the year.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from externalize.errors import ExternalizeError
from externalize.paths import PROJECT_ROOT
from externalize.registry import load_registry

CASES_DIR = PROJECT_ROOT / "data" / "cases"
DEFAULT_CASES = CASES_DIR / "cases.csv"
DEFAULT_LINKS = CASES_DIR / "case_links.csv"

CASE_COLUMNS = ("case_id", "seed_case", "date", "date_precision", "date_end", "country", "place", "groups",
                "family", "class", "description", "attribution", "source_url", "source_url_2", "notes")
LINK_COLUMNS = ("case_id", "source", "event_id", "match_note")
FAMILIES = ("AQ", "IS", "both")
CASE_CLASSES = ("clash", "joint", "external", "statement")
PRECISIONS = ("day", "month", "year")
STATUSES = ("linked", "id missing", "date mismatch", "country mismatch", "not in any source")
DAY_TOLERANCE = 1  # days, for two day-precision dates
COUNT_CLASS = {"clash": "clash", "joint": "joint", "external": "external"}  # statements have no count series

# the sources spell some countries differently from the catalogue
COUNTRY_ALIASES: dict[str, str] = {
    "uk": "united kingdom", "great britain": "united kingdom", "britain": "united kingdom",
    "us": "united states", "usa": "united states", "united states of america": "united states",
}


class CaseCatalogueError(ExternalizeError, ValueError):
    """The case catalogue or its link table has rows that break the documented rules."""


def _norm_country(value: object) -> str | None:
    if value is None or pd.isna(value) or str(value).strip() == "":
        return None
    key = str(value).strip().lower()
    return COUNTRY_ALIASES.get(key, key)


def _row_label(df: pd.DataFrame, i: int, id_col: str) -> str:
    # line numbers as in a spreadsheet: header is line 1
    return f"line {i + 2} ({id_col} {df.iloc[i][id_col]!r})"


def _read_text_csv(path: Path, what: str, required: Iterable[str]) -> pd.DataFrame:
    if not Path(path).is_file():
        raise CaseCatalogueError(f"{what} file not found: {path}")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise CaseCatalogueError(f"{path}: missing columns {missing}")
    return df.apply(lambda s: s.str.strip())


def load_cases(path: str | Path = DEFAULT_CASES) -> pd.DataFrame:
    """Read cases.csv and check every row; all problems are reported together, one line per bad cell.

    Returns one row per case with `date` / `date_end` as datetime64, `seed_case` as bool, empty text as <NA>.
    """
    path = Path(path)
    raw = _read_text_csv(path, "case catalogue", CASE_COLUMNS)
    errors: list[str] = []
    dates = pd.to_datetime(raw["date"], format="%Y-%m-%d", errors="coerce")
    ends = pd.to_datetime(raw["date_end"].replace("", None), format="%Y-%m-%d", errors="coerce")
    for i in range(len(raw)):
        r = raw.iloc[i]
        where = _row_label(raw, i, "case_id")
        if r["case_id"] == "":
            errors.append(f"{where}: case_id is empty")
        if r["seed_case"] not in ("true", "false"):
            errors.append(f"{where}: seed_case must be true or false, got {r['seed_case']!r}")
        if pd.isna(dates.iloc[i]):
            errors.append(f"{where}: date {r['date']!r} is not YYYY-MM-DD")
        if r["date_precision"] not in PRECISIONS:
            errors.append(f"{where}: date_precision {r['date_precision']!r} not in {PRECISIONS}")
        elif not pd.isna(dates.iloc[i]):
            # a coarse date is written as the first day of its month / year, as in the EVENT schema
            d = dates.iloc[i]
            if (r["date_precision"] == "month" and d.day != 1) or (
                    r["date_precision"] == "year" and (d.day, d.month) != (1, 1)):
                errors.append(f"{where}: a {r['date_precision']}-precision date must be the first day "
                              f"of its {r['date_precision']}, got {r['date']}")
        if r["date_end"] != "":
            if pd.isna(ends.iloc[i]):
                errors.append(f"{where}: date_end {r['date_end']!r} is not YYYY-MM-DD")
            elif not pd.isna(dates.iloc[i]) and ends.iloc[i] < dates.iloc[i]:
                errors.append(f"{where}: date_end {r['date_end']} is before date {r['date']}")
        if r["family"] not in FAMILIES:
            errors.append(f"{where}: family {r['family']!r} not in {FAMILIES}")
        if r["class"] not in CASE_CLASSES:
            errors.append(f"{where}: class {r['class']!r} not in {CASE_CLASSES}")
        if r["class"] != "statement" and r["country"] == "":
            errors.append(f"{where}: country is empty (only statements may lack a place)")
        for col in ("groups", "description"):
            if r[col] == "":
                errors.append(f"{where}: {col} is empty")
        if not r["source_url"].startswith(("http://", "https://")):
            errors.append(f"{where}: source_url must be a public http(s) address, got {r['source_url']!r}")
        if r["source_url_2"] != "" and not r["source_url_2"].startswith(("http://", "https://")):
            errors.append(f"{where}: source_url_2 must be empty or an http(s) address")
    dup = raw["case_id"][raw["case_id"].duplicated() & (raw["case_id"] != "")]
    for cid in dup.unique():
        errors.append(f"case_id {cid!r} appears more than once")
    if errors:
        raise CaseCatalogueError(f"{path}: {len(errors)} problem(s)\n  " + "\n  ".join(errors))
    out = raw.replace("", pd.NA).astype("string")
    out["seed_case"] = raw["seed_case"].eq("true")
    out["date"] = dates.astype("datetime64[ns]")
    out["date_end"] = ends.astype("datetime64[ns]")
    return out


def load_links(path: str | Path = DEFAULT_LINKS, cases: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read case_links.csv; with `cases`, also check that every link names a catalogued case."""
    path = Path(path)
    raw = _read_text_csv(path, "case link", LINK_COLUMNS)
    errors: list[str] = []
    for i in range(len(raw)):
        r = raw.iloc[i]
        where = _row_label(raw, i, "case_id")
        for col in ("case_id", "source", "event_id"):
            if r[col] == "":
                errors.append(f"{where}: {col} is empty")
        if cases is not None and r["case_id"] not in set(cases["case_id"].astype(str)):
            errors.append(f"{where}: case_id {r['case_id']!r} is not in the case catalogue")
    dup = raw.duplicated(["case_id", "source", "event_id"])
    for j in np.flatnonzero(dup.to_numpy()):
        errors.append(f"{_row_label(raw, int(j), 'case_id')}: the same (case, source, event_id) link twice")
    if errors:
        raise CaseCatalogueError(f"{path}: {len(errors)} problem(s)\n  " + "\n  ".join(errors))
    return raw.replace("", pd.NA).astype("string")


def _coarser(p1: str, p2: str) -> str:
    return max(p1, p2, key=PRECISIONS.index)


def dates_agree(case_date: pd.Timestamp, case_precision: str, event_date: pd.Timestamp,
                event_precision: str) -> bool:
    """Agreement at the coarser precision: day -> within DAY_TOLERANCE days, month -> same month, year -> same year."""
    level = _coarser(case_precision, event_precision)
    if level == "day":
        return abs((event_date - case_date).days) <= DAY_TOLERANCE
    if level == "month":
        return (event_date.year, event_date.month) == (case_date.year, case_date.month)
    return event_date.year == case_date.year


def link_cases(cases: pd.DataFrame, events: pd.DataFrame, links: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per link (and one per case with no link): does the linked id exist, do date and country agree?

    `events` is an EVENT-schema table (source, event_id, date, date_precision, country, ...). Links to sources
    absent from `events` come out as "id missing"; pass the events of every linked source for a full check.
    Status precedence: id missing > date mismatch > country mismatch > linked. A source with no country
    (Mapping Militants) gives country_match <NA>, which does not count as a mismatch.
    """
    if links is None:
        links = load_links(DEFAULT_LINKS, cases)
    ev = events.drop_duplicates(["source", "event_id"]).set_index(["source", "event_id"])
    case_by_id = cases.set_index("case_id")
    rows: list[dict[str, object]] = []
    for link in links.itertuples(index=False):
        case = case_by_id.loc[link.case_id]
        key = (str(link.source), str(link.event_id))
        row: dict[str, object] = {"case_id": link.case_id, "source": link.source, "event_id": link.event_id,
                                  "found": key in ev.index, "date_gap_days": np.nan,
                                  "country_match": pd.NA}
        if not row["found"]:
            row["status"] = "id missing"
            rows.append(row)
            continue
        e = ev.loc[key]
        row["date_gap_days"] = float((e["date"] - case["date"]).days)
        date_ok = dates_agree(case["date"], str(case["date_precision"]), e["date"], str(e["date_precision"]))
        ec, cc = _norm_country(e.get("country")), _norm_country(case["country"])
        if ec is not None and cc is not None:
            row["country_match"] = ec == cc
        if not date_ok:
            row["status"] = "date mismatch"
        elif row["country_match"] is False:
            row["status"] = "country mismatch"
        else:
            row["status"] = "linked"
        rows.append(row)
    linked_ids = set(links["case_id"].astype(str))
    for cid in cases["case_id"].astype(str):
        if cid not in linked_ids:
            rows.append({"case_id": cid, "source": pd.NA, "event_id": pd.NA, "found": False,
                         "date_gap_days": np.nan, "country_match": pd.NA, "status": "not in any source"})
    out = pd.DataFrame(rows, columns=["case_id", "source", "event_id", "found", "date_gap_days",
                                      "country_match", "status"])
    out["found"] = out["found"].astype(bool)
    out["country_match"] = out["country_match"].astype("boolean")
    out["status"] = pd.Categorical(out["status"], categories=STATUSES)
    order = {cid: k for k, cid in enumerate(cases["case_id"].astype(str))}
    return out.sort_values("case_id", key=lambda s: s.astype(str).map(order), kind="stable").reset_index(drop=True)


def _window_mean(s: pd.Series, periods: pd.PeriodIndex) -> tuple[float, int]:
    """Mean of s over `periods` if every one of them is covered (not NaN), else NaN; plus months covered."""
    vals = s.reindex(periods)
    covered = int(vals.notna().sum())
    return (float(vals.mean()) if covered == len(periods) else np.nan), covered


def cases_in_numbers(cases: pd.DataFrame, monthly_series: pd.DataFrame, family: str = "all",
                     window: int = 12, sources: Iterable[str] | None = None,
                     arms: Mapping[str, Iterable[str]] | None = None) -> pd.DataFrame:
    """Per case x monthly source of the case's class: the count in the case's month and the mean count over
    the `window` months before and after it (the case month itself excluded).

    `monthly_series` is the long frame of series.monthly_counts (source, event_class, family, period, count,
    in_coverage). A month the source does not cover is NaN; a pre / post mean is NaN unless all `window`
    months are covered (the number covered is reported). Statements have no count class: one row each with
    source <NA>. Cases whose class has no series in `monthly_series` also get one all-NaN row.

    `arms` maps a source to the classes it can measure (default: the `arms` of data/sources.toml). The series
    grid zero-fills every class for every source, so without this a plot source would report "0 clashes";
    a source absent from `arms` is kept.
    """
    if arms is None:
        arms = {key: spec.arms for key, spec in load_registry().items()}
    m = monthly_series[monthly_series["family"] == family]
    if sources is not None:
        m = m[m["source"].isin(list(sources))]
    m = m.assign(count=m["count"].where(m["in_coverage"].astype(bool)))
    rows: list[dict[str, object]] = []
    base_cols = ["case_id", "date", "class", "family", "seed_case"]
    for c in cases.to_dict("records"):
        base = {k: c[k] for k in base_cols}
        month = pd.Period(c["date"], freq="M")
        cls = COUNT_CLASS.get(str(base["class"]))
        series = m[m["event_class"] == cls] if cls else m.iloc[0:0]
        measurable = [src for src in series["source"].unique() if src not in arms or cls in set(arms[src])]
        series = series[series["source"].isin(measurable)]
        if series.empty:
            rows.append({**base, "source": pd.NA, "period": month, "count": np.nan, "pre_mean": np.nan,
                         "post_mean": np.nan, "pre_months_covered": 0, "post_months_covered": 0})
            continue
        for src, g in series.groupby("source", observed=True, sort=True):
            s = pd.Series(g["count"].to_numpy(dtype=float), index=pd.PeriodIndex(g["period"], freq="M"))
            pre_idx = pd.period_range(month - window, month - 1, freq="M")
            post_idx = pd.period_range(month + 1, month + window, freq="M")
            pre, n_pre = _window_mean(s, pre_idx)
            post, n_post = _window_mean(s, post_idx)
            count = s.get(month, np.nan)
            rows.append({**base, "source": src, "period": month, "count": float(count), "pre_mean": pre,
                         "post_mean": post, "pre_months_covered": n_pre, "post_months_covered": n_post})
    out = pd.DataFrame(rows)
    return out[["case_id", "date", "class", "family", "seed_case", "source", "period", "count", "pre_mean",
                "post_mean", "pre_months_covered", "post_months_covered"]]


# ---------------------------------------------------------------- what the data register of each case
NOT_REGISTERED = "not registered by these sources"
REGISTRY_COLUMNS = ["case_id", "seed_case", "date", "country", "place", "class", "description", "status",
                    "registered_as", "n_links", "rows_read"]


def _row_text(link: Mapping[str, object], ev: pd.Series | None) -> str:
    where = f"{link['source']} {link['event_id']}"
    if ev is None:
        return f"{where}: not found in the event table"
    sides = " vs ".join(str(s) for s in (ev.get("side_a"), ev.get("side_b")) if pd.notna(s) and str(s))
    when = pd.Timestamp(ev["date"]).strftime("%Y-%m-%d") if pd.notna(ev.get("date")) else "undated"
    prec = str(ev.get("date_precision", ""))
    return f"{where} ({when}, {prec} precision): {sides or 'no sides'}; coded {ev.get('event_class')}"


def case_registry(cases: pd.DataFrame, events: pd.DataFrame, links: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per case: is it in the data, and as what? A case is in the data only through an explicit link
    (case_links.csv) whose row exists and agrees in date and country (link_cases status 'linked').

    status:
      "registered as <class>"            a linked row carries the case's own class
      "linked, not as <class>: ..."      linked rows exist but are coded otherwise (e.g. Arsal: GED codes the
                                         battle as state-based fighting, so it is not a joint event here)
      "statement: <relation> in <src>"   a statement with a linked row (statements have no count series)
      "statement (no count series)"      a statement without one
      NOT_REGISTERED                     no link, or no link that passes the check
    rows_read: each linked row as the data have it (date, sides, class), so that a reader can check it
    against the case. events: the classified EVENT table (needs event_class, side_a, side_b, relation).
    """
    if links is None:
        links = load_links(DEFAULT_LINKS, cases)
    checked = link_cases(cases, events, links)
    good = checked[checked["status"] == "linked"]
    ev = events.drop_duplicates(["source", "event_id"]).set_index(["source", "event_id"])
    rows = []
    for c in cases.to_dict("records"):
        mine = good[good["case_id"] == c["case_id"]]
        read, classes = [], []
        for link in mine.to_dict("records"):
            key = (str(link["source"]), str(link["event_id"]))
            e = ev.loc[key] if key in ev.index else None
            read.append(_row_text(link, e))
            if e is not None:
                classes.append(str(e.get("event_class")))
        cls = str(c["class"])
        if cls == "statement":
            rel = sorted({str(ev.loc[(str(r["source"]), str(r["event_id"]))].get("relation")) + " in "
                          + str(r["source"]) for r in mine.to_dict("records")})
            status = f"statement: recorded as {'; '.join(rel)}" if rel else "statement (no count series)"
        elif not len(mine):
            status = NOT_REGISTERED
        elif cls in classes:
            status = f"registered as {cls}"
            if all(":launched" in str(r["event_id"]) for r in mine.to_dict("records")):
                status += " (only in country-month plot counts, which name no group)"
        else:
            status = f"linked, not as {cls}: the linked rows are coded {', '.join(sorted(set(classes)))}"
        rows.append({"case_id": c["case_id"], "seed_case": bool(c["seed_case"]),
                     "date": pd.Timestamp(c["date"]).strftime("%Y-%m-%d"), "country": c["country"],
                     "place": c["place"], "class": cls, "description": c["description"], "status": status,
                     "registered_as": ", ".join(sorted(set(classes))), "n_links": len(mine),
                     "rows_read": " | ".join(read)})
    return pd.DataFrame(rows, columns=REGISTRY_COLUMNS)


def unregistered_local_cases(registry: pd.DataFrame, cls: str = "joint",
                             exclude_countries: Iterable[str] = ()) -> pd.DataFrame:
    """The seed's cases of class `cls` that no source registers as `cls` (default: the local cooperation
    episodes, none of which is a joint event in any source here)."""
    r = registry[registry["seed_case"].astype(bool) & (registry["class"] == cls)
                 & ~registry["country"].isin(list(exclude_countries))]
    return r[~r["status"].eq(f"registered as {cls}")].reset_index(drop=True)


def registered_pairs(cases: pd.DataFrame, events: pd.DataFrame, links: pd.DataFrame | None = None
                     ) -> set[tuple[str, str]]:
    """(case_id, source) pairs where the source registers the case as its own class: a link that passes
    link_cases and whose row carries the case's class (statements never do)."""
    if links is None:
        links = load_links(DEFAULT_LINKS, cases)
    good = link_cases(cases, events, links)
    good = good[good["status"] == "linked"]
    ev = events.drop_duplicates(["source", "event_id"]).set_index(["source", "event_id"])["event_class"]
    cls = cases.set_index("case_id")["class"].astype(str)
    return {(str(r.case_id), str(r.source)) for r in good.itertuples()
            if ev.get((str(r.source), str(r.event_id))) == cls[r.case_id]}
