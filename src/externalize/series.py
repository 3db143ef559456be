"""Count series: monthly (event sources dated to the month) and yearly (all sources), per source x class x family.

Zero-filled inside each source's own coverage, missing (NaN) outside it: a month a source does not cover is
unknown, not zero. Coverage is the registry's span minus its documented holes (`SourceSpec.covers`: GTD has no
1993; a supplied release ends with its last event month, see `build.observed_registry`). `event_class` "all"
counts every row of a source (the denominator / volume series) and `family` "all" sums over families.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from externalize.errors import ExternalizeError
from externalize.registry import SourceSpec
from externalize.vocab import EVENT_CLASSES


class CoverageGapError(ExternalizeError, ValueError):
    """A series requested over a window that contains months its source does not cover (a hole)."""

CLASSES = EVENT_CLASSES  # every class gets an explicit zero series (names from externalize.vocab)
MONTHLY_COLUMNS = ["source", "event_class", "family", "period", "count", "fatalities", "in_coverage"]
YEARLY_COLUMNS = ["source", "event_class", "family", "year", "count", "fatalities", "in_coverage",
                  "months_covered"]


def _sums_with_totals(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Grouped sums of a frame with source, event_class, family, the time key, n and fatalities, plus the
    event_class 'all' and family 'all' groups, indexed by `keys`: count = sum of n; fatalities = sum, NaN when
    every value of the group is missing (as Series.sum(min_count=1)).

    The rows are summed once by (source, class, family, time); the 'all' groups are sums of those sums (exact:
    counts and fatalities are whole numbers held as floats). source, event_class and family come back as
    categoricals with 'all' among the categories."""
    def cat(values: pd.Series) -> pd.Categorical:
        # from the Arrow strings directly (one hash pass; a detour through Python strings costs 10x)
        c = pd.Categorical(values.astype("string"))
        return c if "all" in c.categories else c.add_categories(["all"])

    df = df.assign(source=pd.Categorical(df["source"].astype("string")), event_class=cat(df["event_class"]),
                   family=cat(df["family"].fillna("none")))
    base = df.groupby(keys, observed=True, sort=False).agg(
        count=("n", "sum"), fatalities=("fatalities", "sum"), known=("fatalities", "count")).reset_index()
    parts = [base]
    for total in (["event_class"], ["family"], ["event_class", "family"]):
        rest = [k for k in keys if k not in total]
        part = base.groupby(rest, observed=True, sort=False)[["count", "fatalities", "known"]].sum().reset_index()
        for k in total:
            part[k] = pd.Categorical.from_codes(np.full(len(part), base[k].cat.categories.get_loc("all")),
                                                dtype=base[k].dtype)
        parts.append(part[base.columns])
    out = pd.concat(parts, ignore_index=True)
    out["fatalities"] = out["fatalities"].where(out["known"] > 0, np.nan)
    return out.drop(columns="known").set_index(keys)


def _string_keys(agg: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The grouped table with its categorical key columns back as strings (the series' dtype)."""
    out = agg.reset_index()
    for k in keys:
        if isinstance(out[k].dtype, pd.CategoricalDtype):
            out[k] = out[k].astype("string")
    return out


def _grid(sources: list[str], classes_by_source: Mapping[str, list[tuple[str, str]]], times: pd.Index,
          time_name: str) -> pd.DataFrame:
    parts = []
    for s in sources:
        # a source with no rows in the window still gets explicit zero series for every class
        default = [(c, "all") for c in (*CLASSES, "all")]
        keys = pd.DataFrame(classes_by_source.get(s, default), columns=["event_class", "family"])
        t = pd.DataFrame({time_name: times})
        parts.append(keys.merge(t, how="cross").assign(source=s))
    if not parts:
        return pd.DataFrame(columns=["source", "event_class", "family", time_name])
    return pd.concat(parts, ignore_index=True)


def _class_family_keys(df: pd.DataFrame) -> dict[str, list[tuple[str, str]]]:
    """Per source: every (class, family) seen, plus every main class with family 'all' so that a class with
    no rows still gets an explicit zero series. One grouped count over the rows (no Python pass over them)."""
    keys: dict[str, list[tuple[str, str]]] = {}
    if not len(df):
        return keys
    seen = df.groupby(["source", "event_class", "family"], observed=True, sort=False).size().index
    by_source: dict[str, set[tuple[str, str]]] = {}
    for source, cls, fam in seen:
        by_source.setdefault(str(source), set()).add((str(cls), str(fam)))
    for s in sorted(by_source):
        keys[s] = sorted(by_source[s] | {(c, "all") for c in (*CLASSES, "all")})
    return keys


def monthly_counts(events: pd.DataFrame, registry: Mapping[str, SourceSpec],
                   start: pd.Period, end: pd.Period) -> pd.DataFrame:
    """Long monthly series over [start, end] for sources whose events are dated at least to the month.

    Rows dated only to the year are left out of the monthly series (they are in the yearly series); their
    number per source is in `undated_month_rows(events)`.
    """
    months = pd.period_range(start, end, freq="M")
    monthly_sources = [k for k, s in registry.items() if s.table == "events" and s.frequency in ("day", "month")]
    used = ["source", "event_class", "family_a", "family_b", "date", "n", "fatalities"]  # filter only these
    ev = events.loc[events["source"].isin(monthly_sources) & events["date_precision"].isin(["day", "month"]), used]
    ev = ev.assign(period=ev["date"].dt.to_period("M"))
    ev = ev[(ev["period"] >= start) & (ev["period"] <= end)]
    src = pd.DataFrame({"source": ev["source"].astype("string"), "event_class": ev["event_class"].astype("string"),
                        "family": _family_label(ev), "period": ev["period"], "n": ev["n"].astype("float64"),
                        "fatalities": ev["fatalities"].astype("float64")})
    keys = ["source", "event_class", "family", "period"]
    agg = _string_keys(_sums_with_totals(src, keys), keys)
    del src
    # sources with at least one row at all (any date): one grouped count, not a Python pass over the rows
    rows_by_source = events.groupby(events["source"].astype("string"), observed=True).size()
    have = set(rows_by_source.index[rows_by_source > 0].astype(str))
    present = [s for s in monthly_sources if s in have]
    # every (source, class, family) with rows is a group of the sums: the keys come from the small table
    grid = _grid(present, _class_family_keys(agg[agg["source"].isin(present)]), pd.Index(months), "period")
    out = grid.merge(agg, on=keys, how="left")
    out["in_coverage"] = _covered(out, registry, "period")
    out["count"] = out["count"].fillna(0.0).where(out["in_coverage"], np.nan)
    out["fatalities"] = out["fatalities"].where(out["in_coverage"], np.nan)
    return out[MONTHLY_COLUMNS].sort_values(["source", "event_class", "family", "period"]).reset_index(drop=True)


def _covered(out: pd.DataFrame, registry: Mapping[str, SourceSpec], time_name: str) -> pd.Series:
    """Per row: is the source's (period) inside its coverage, holes excluded."""
    mask = np.zeros(len(out), dtype=bool)
    for source, idx in out.groupby("source", sort=False).indices.items():
        mask[idx] = registry[str(source)].covers(pd.PeriodIndex(out[time_name].iloc[idx], freq="M"))
    return pd.Series(mask, index=out.index)


def _family_label(df: pd.DataFrame) -> pd.Series:
    """The acting family of a row: side A's family, or side B's when side A has none (e.g. a coalition
    government listed as side A against an IS side B)."""
    fa = df["family_a"].astype("string")
    fb = df["family_b"].astype("string")
    family_names = {"AQ", "IS", "AQ+IS", "JIH"}
    use_b = ~fa.isin(family_names) & fb.isin(family_names)
    return fa.where(~use_b, fb).fillna("none")


def yearly_counts(events: pd.DataFrame, yearly: pd.DataFrame, registry: Mapping[str, SourceSpec],
                  first_year: int, last_year: int) -> pd.DataFrame:
    """Yearly series for yearly sources and yearly totals of event sources (so both can be compared)."""
    years = pd.Index(range(first_year, last_year + 1), name="year")
    frames = []
    if len(events):
        frames.append(pd.DataFrame({"source": events["source"].astype("string"),
                                    "event_class": events["event_class"].astype("string"),
                                    "family": _family_label(events), "year": events["year"].astype(int),
                                    "n": events["n"].astype("float64"),
                                    "fatalities": events["fatalities"].astype("float64")}))
    if len(yearly):
        frames.append(pd.DataFrame({"source": yearly["source"].astype("string"),
                                    "event_class": yearly["event_class"].astype("string"),
                                    "family": _family_label(yearly), "year": yearly["year"].astype(int),
                                    "n": yearly["n"].astype("float64"),
                                    "fatalities": yearly["fatalities"].astype("float64")}))
    if not frames:
        return pd.DataFrame(columns=YEARLY_COLUMNS)
    src = pd.concat(frames, ignore_index=True)
    src = src[src["year"].between(first_year, last_year)]
    keys = ["source", "event_class", "family", "year"]
    agg = _string_keys(_sums_with_totals(src, keys), keys)
    del src
    present = sorted(set(agg["source"].astype(str).unique()))
    grid = _grid(present, _class_family_keys(agg), years, "year")
    out = grid.merge(agg, on=keys, how="left")
    # months of the year inside the span and outside documented holes (GTD 1993 -> 0: missing, not zero)
    cover = {(s, y): registry[s].months_covered(y) for s in present for y in years}
    out["months_covered"] = [cover[(s, y)] for s, y in zip(out["source"], out["year"])]
    out["in_coverage"] = out["months_covered"] > 0
    out["count"] = out["count"].fillna(0.0).where(out["in_coverage"], np.nan)
    out["fatalities"] = out["fatalities"].where(out["in_coverage"], np.nan)
    return out[YEARLY_COLUMNS].sort_values(["source", "event_class", "family", "year"]).reset_index(drop=True)


def undated_month_rows(events: pd.DataFrame) -> pd.Series:
    """Per source: rows (sum of n) dated only to the year, hence absent from the monthly series."""
    ev = events[events["date_precision"] == "year"]
    return ev.groupby("source", observed=True)["n"].sum().astype("int64")


def select(monthly: pd.DataFrame, source: str, event_class: str, family: str = "all",
           start: pd.Period | None = None, end: pd.Period | None = None) -> pd.Series:
    """One monthly series as a pd.Series with a PeriodIndex, trimmed to the source's coverage (and window).

    Raises KeyError when there is no such series, and CoverageGapError when the covered months inside the
    window are not contiguous (a documented hole such as GTD 1993 inside the window): a time-series model
    needs consecutive months, and closing the gap silently would misplace every later month."""
    m = monthly[(monthly["source"] == source) & (monthly["event_class"] == event_class)
                & (monthly["family"] == family) & monthly["in_coverage"].astype(bool)]
    if m.empty:
        raise KeyError(f"no monthly series for source={source!r}, class={event_class!r}, family={family!r}")
    s = pd.Series(m["count"].to_numpy(dtype=float), index=pd.PeriodIndex(m["period"], freq="M"),
                  name=f"{source}:{event_class}:{family}").sort_index()
    if start is not None:
        s = s[s.index >= start]
    if end is not None:
        s = s[s.index <= end]
    if len(s) > 1:
        steps = np.diff(s.index.asi8)
        if (steps != 1).any():
            k = int(np.argmax(steps != 1))
            raise CoverageGapError(
                f"monthly series {s.name} has no coverage from {s.index[k] + 1} to {s.index[k + 1] - 1} inside "
                f"the window (a documented hole of {source}, see data/sources.toml coverage_holes); choose a "
                "window on one side of it")
    return s
