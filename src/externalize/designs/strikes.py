"""One monthly series of coalition air strikes (Iraq, Syria, both) from two transcriptions of the same
CENTCOM / DoD releases, with the provenance of every month.

* Information.dk strike map (`airstrikes_information_dk`): strikes per day from 2014-08-08 to 2015-06-25,
  located points only; coalition-partner strikes transcribed only to 2015-02.
* CENTCOM scrape (`centcom_strikes`): strikes per release line from 2014-12-19 to 2016-10-17, dated by the
  release; shifted back by `lag_days` (default 1, the usual gap between strike and release).

Reconciliation (`reconcile_strikes`): on the days both cover, the monthly totals of each and their
difference, per country. Splice (`splice_strikes`): months before the campaign (before 2014-08) are 0 BY
CONSTRUCTION (no coalition strike in Iraq or Syria before 8 Aug 2014; flagged `zero_by_construction`, not
data); from 2014-08 to the month before `seam` the Information.dk counts; from `seam` to the last complete
CENTCOM month the CENTCOM counts; later months are missing (NaN), not zero. The default seam (2015-06) is the
first month Information.dk does not cover in full. On the overlap the scrape is the lower of the two, mostly
because it has no line at all on some days on which the newspaper has strikes (releases missing from the
scrape; `reconcile_strikes` counts them), so the Information.dk counts are preferred while they cover whole
months. `strikes_harmonised` rescales the CENTCOM months to the Information.dk level by the ratio of the two
sources' totals over the months both cover in full (one factor, assuming the scrape misses the same share of
releases throughout); it is a sensitivity series, flagged as such.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from externalize.errors import ExternalizeError

INFO_SOURCE = "airstrikes_information_dk"
CENTCOM_SOURCE = "centcom_strikes"
CAMPAIGN_START = pd.Timestamp("2014-08-08")
COUNTRIES = ("Iraq", "Syria")
PROVENANCE_ZERO = "zero by construction (no coalition strikes before 2014-08-08)"


class StrikeSeriesError(ExternalizeError):
    """The strike sources cannot be spliced as asked (no overlap, a seam outside their coverage, ...)."""


def daily_strikes(events: pd.DataFrame, source: str, lag_days: int = 0) -> pd.DataFrame:
    """Strikes per day of one source: DataFrame indexed by date (datetime64, every day from the first to the
    last date of the source, 0 on days without a row) with columns Iraq, Syria. `lag_days` moves the dates
    back (CENTCOM release date -> likely strike date). Raises StrikeSeriesError when the source has no rows."""
    ev = events[events["source"] == source]
    if ev.empty:
        raise StrikeSeriesError(f"no strike rows of source {source!r} in the events table")
    if lag_days < 0:
        raise StrikeSeriesError("lag_days must be >= 0")
    date = ev["date"] - pd.Timedelta(days=lag_days)
    wide = (ev.assign(date=date).groupby(["date", "country"], observed=True)["n"].sum()
            .unstack("country").reindex(columns=list(COUNTRIES)).fillna(0.0))
    days = pd.date_range(date.min(), date.max(), freq="D")
    return wide.reindex(days, fill_value=0.0).astype("float64").rename_axis("date")


def _monthly(daily: pd.DataFrame) -> pd.DataFrame:
    m = daily.groupby(daily.index.to_period("M")).sum()
    m["all"] = m["Iraq"] + m["Syria"]
    return m


def _days_share(daily: pd.DataFrame) -> pd.Series:
    per = daily.index.to_period("M")
    n = pd.Series(1, index=daily.index).groupby(per).sum()
    return n / n.index.days_in_month


def reconcile_strikes(info: pd.DataFrame, centcom: pd.DataFrame) -> pd.DataFrame:
    """Monthly totals of both transcriptions on the days both cover, per country ("Iraq", "Syria", "all").

    Columns: period, country, first_day, last_day (of the overlap in that month), days, info_dk, centcom,
    difference (centcom - info_dk), ratio (centcom / info_dk; NaN when info_dk is 0), days_info_only /
    strikes_info_only (days on which Information.dk has strikes and the scrape has no line, and the strikes
    of those days: releases missing from the scrape), days_centcom_only / strikes_centcom_only (the converse).
    Raises StrikeSeriesError when the sources share no day.
    """
    lo, hi = max(info.index.min(), centcom.index.min()), min(info.index.max(), centcom.index.max())
    if lo > hi:
        raise StrikeSeriesError("the two strike sources share no day")
    a, b = info.loc[lo:hi], centcom.loc[lo:hi]
    ma, mb = _monthly(a), _monthly(b)
    per = a.index.to_period("M")
    first = pd.Series(a.index, index=a.index).groupby(per).min()
    last = pd.Series(a.index, index=a.index).groupby(per).max()
    rows = []
    a = a.assign(all=a["Iraq"] + a["Syria"])
    b = b.assign(all=b["Iraq"] + b["Syria"])
    for p in ma.index:
        in_p = per == p
        for c in (*COUNTRIES, "all"):
            x, y = float(ma.at[p, c]), float(mb.at[p, c])
            ai, bi = a.loc[in_p, c], b.loc[in_p, c]
            info_only, cc_only = (ai > 0) & (bi == 0), (bi > 0) & (ai == 0)
            rows.append({"period": p, "country": c, "first_day": first[p].date().isoformat(),
                         "last_day": last[p].date().isoformat(), "days": int((last[p] - first[p]).days) + 1,
                         "info_dk": x, "centcom": y, "difference": y - x, "ratio": y / x if x else np.nan,
                         "days_info_only": int(info_only.sum()), "strikes_info_only": float(ai[info_only].sum()),
                         "days_centcom_only": int(cc_only.sum()), "strikes_centcom_only": float(bi[cc_only].sum())})
    return pd.DataFrame(rows)


def splice_strikes(info: pd.DataFrame, centcom: pd.DataFrame, start: pd.Period | str, end: pd.Period | str,
                   seam: pd.Period | str = "2015-06") -> pd.DataFrame:
    """The spliced monthly series over [start, end].

    Returns one row per month: period, strikes_iraq, strikes_syria, strikes (all), strikes_harmonised and
    harmonisation_factor (see the module note), provenance (text),
    source ("construction" | INFO_SOURCE | CENTCOM_SOURCE | "" when missing), zero_by_construction (bool),
    info_dk, centcom (each source's own monthly total where it covers the whole month, else NaN).
    Months before 2014-08 are 0 by construction; months no source covers in full after the campaign began
    are NaN. Raises StrikeSeriesError when Information.dk does not cover every month from 2014-08 to the
    month before the seam in full, or CENTCOM does not cover the seam month in full.
    """
    start, end, seam = (pd.Period(x, freq="M") for x in (start, end, seam))
    campaign = CAMPAIGN_START.to_period("M")
    mi, mc = _monthly(info), _monthly(centcom)
    # a month counts as covered in full when the source has every day of it (the campaign month from the 8th)
    full_i = _days_share(info).reindex(mi.index)
    full_c = _days_share(centcom).reindex(mc.index)
    if campaign in full_i.index:
        first_days = (campaign.end_time.normalize() - CAMPAIGN_START).days + 1
        full_i[campaign] = min(1.0, full_i[campaign] * campaign.days_in_month / first_days)
    info_full = mi[full_i >= 1.0]
    centcom_full = mc[full_c >= 1.0]
    need = pd.period_range(campaign, seam - 1, freq="M")
    missing = [str(p) for p in need if p not in info_full.index]
    if missing:
        raise StrikeSeriesError(f"Information.dk does not cover these months in full: {missing}")
    if seam not in centcom_full.index:
        raise StrikeSeriesError(f"CENTCOM does not cover the seam month {seam} in full")
    rows = []
    for p in pd.period_range(start, end, freq="M"):
        row = {"period": p, "info_dk": float(info_full.at[p, "all"]) if p in info_full.index else np.nan,
               "centcom": float(centcom_full.at[p, "all"]) if p in centcom_full.index else np.nan}
        if p < campaign:
            vals, src, prov, zero = (0.0, 0.0), "construction", PROVENANCE_ZERO, True
        elif p < seam:
            vals, src, zero = (info_full.at[p, "Iraq"], info_full.at[p, "Syria"]), INFO_SOURCE, False
            prov = "Information.dk strike map (located strikes)"
        elif p in centcom_full.index:
            vals, src, zero = (centcom_full.at[p, "Iraq"], centcom_full.at[p, "Syria"]), CENTCOM_SOURCE, False
            prov = "CENTCOM release scrape"
        else:
            vals, src, prov, zero = (np.nan, np.nan), "", "not covered in full by either source", False
        row.update(strikes_iraq=float(vals[0]), strikes_syria=float(vals[1]), strikes=float(vals[0] + vals[1]),
                   provenance=prov, source=src, zero_by_construction=zero)
        rows.append(row)
    out = pd.DataFrame(rows)
    both = out["info_dk"].notna() & out["centcom"].notna()
    factor = float(out.loc[both, "info_dk"].sum() / out.loc[both, "centcom"].sum()) if both.any() else np.nan
    # months of the overlap outside [start, end] also inform the factor
    if not both.any():
        common = info_full.index.intersection(centcom_full.index)
        if len(common):
            factor = float(info_full.loc[common, "all"].sum() / centcom_full.loc[common, "all"].sum())
    out["harmonisation_factor"] = np.where(out["source"] == CENTCOM_SOURCE, factor, 1.0)
    out["strikes_harmonised"] = out["strikes"] * out["harmonisation_factor"]
    cols = ["period", "strikes_iraq", "strikes_syria", "strikes", "strikes_harmonised", "harmonisation_factor",
            "source", "provenance", "zero_by_construction", "info_dk", "centcom"]
    return out[cols]
