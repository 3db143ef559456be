"""A monthly series of intra-insurgent fighting across 2014: non-state fatalities per country-month from the
UCDP GED 24.1 country-month panel (`ucdp_ged_country_month`), Syria with Iraq, Lebanon, Yemen, Libya and
Somalia beside it, and the share of Syria's non-state deaths that the yearly UCDP Non-State file attributes
to IS dyads and to IS-versus-Nusra-lineage dyads.

What it is: all non-state (type_of_violence 2) deaths GED records in the country and month. In Syria
2013-2015 that is mostly IS fighting other rebels and Kurds (`ucdp_share`); only part of it is IS against the
Nusra lineage (the clash arm). It is a proxy for the TIMING of the clash arm, not the clash arm. GED events
spanning two months were dropped by the file's maker, so the monthly sums are slightly below UCDP's yearly
totals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from externalize.config import StudyConfig
from externalize.designs.did import DesignError

SOURCE = "ucdp_ged_country_month"
COUNTRIES = {"Syria": "Syria", "Iraq": "Iraq", "Lebanon": "Lebanon", "Yemen (North Yemen)": "Yemen",
             "Libya": "Libya", "Somalia": "Somalia"}
TYPES = {1: "state_based", 2: "non_state", 3: "one_sided"}
LABEL = ("Non-state fatalities per month (UCDP GED 24.1, country-month; events spanning two months dropped). "
         "In Syria mostly IS against other rebels and Kurds: a proxy for the timing of the clash arm, not the "
         "clash arm")


def fatalities_monthly(events: pd.DataFrame, start: pd.Period, end: pd.Period,
                       countries: dict[str, str] | None = None) -> pd.DataFrame:
    """Long frame: period, country (short name), state_based, non_state, one_sided fatalities (0 in months
    without a row: the panel records every month of every country, a month without deaths has no row
    after the adapter's zero cells are left out). Raises DesignError when the source is not in the events
    table or a country named is absent from it."""
    countries = countries or COUNTRIES
    ev = events[events["source"] == SOURCE]
    if ev.empty:
        raise DesignError(f"no rows of {SOURCE} in the events table")
    absent = sorted(set(countries) - set(ev["country"].astype(str)))
    if absent:
        raise DesignError(f"{SOURCE}: no rows for {absent}")
    ev = ev[ev["country"].isin(list(countries))]
    ev = ev.assign(period=ev["date"].dt.to_period("M"), tov=ev["type_of_violence"].astype(int))
    ev = ev[(ev["period"] >= start) & (ev["period"] <= end)]
    wide = ev.pivot_table(index=["country", "period"], columns="tov", values="fatalities", aggfunc="sum")
    grid = pd.MultiIndex.from_product([sorted(countries), pd.period_range(start, end, freq="M")],
                                      names=["country", "period"])
    wide = wide.reindex(grid).reindex(columns=list(TYPES)).fillna(0.0)
    wide.columns = [TYPES[c] for c in wide.columns]
    out = wide.reset_index()
    out["country"] = out["country"].map(countries)
    return out[["period", "country", *TYPES.values()]]


def ucdp_share(yearly: pd.DataFrame, country: str = "Syria", years: tuple[int, ...] = (2013, 2014, 2015),
               source: str = "ucdp_nonstate") -> pd.DataFrame:
    """Per year: the country's non-state deaths in the yearly UCDP Non-State file, those in dyads with IS on
    a side (family IS, or AQ+IS on one side), and those in IS-versus-Nusra-lineage dyads (class "clash":
    IS on one side, an AQ group, in Syria Jabhat al-Nusra / Jabhat Fateh al-Sham, alone or in a coalition,
    on the other), with shares. Columns: year, total, with_is, is_vs_nusra_lineage, is_and_nusra_same_side,
    share_with_is, share_is_vs_nusra_lineage. Raises DesignError when the source is absent."""
    y = yearly[(yearly["source"] == source) & (yearly["country"].astype(str) == country)]
    if y.empty:
        raise DesignError(f"no {source} rows for {country}")
    rows = []
    for yr in years:
        g = y[y["year"] == yr]
        fam = g["family_a"].astype(str) + "|" + g["family_b"].astype(str)
        with_is = fam.str.contains(r"(?:^|\|)(?:IS|AQ\+IS)(?:$|\|)", regex=True)
        total = float(g["fatalities"].sum())
        clash = float(g.loc[g["event_class"] == "clash", "fatalities"].sum())
        joint = float(g.loc[g["event_class"] == "joint", "fatalities"].sum())
        rows.append({"year": yr, "country": country, "total": total, "with_is": float(g.loc[with_is, "fatalities"].sum()),
                     "is_vs_nusra_lineage": clash, "is_and_nusra_same_side": joint})
    out = pd.DataFrame(rows)
    out["share_with_is"] = out["with_is"] / out["total"].replace(0, np.nan)
    out["share_is_vs_nusra_lineage"] = out["is_vs_nusra_lineage"] / out["total"].replace(0, np.nan)
    return out


def nonstate_models(y: pd.Series, study: StudyConfig) -> dict[str, pd.DataFrame]:
    """The study's primary model, break-date profile and placebo sweep on a monthly fatalities series, with
    the same settings as the main robustness step (`estimates.robustness_study`): quasi-Poisson (the study's
    main model) level-and-slope ITS at the main intervention; sup-F sweep (sqrt transform, AR(1) null);
    placebo-in-time of the level change (t statistic). Returns frames "its" (tidy terms), "break_profile"
    (F per candidate month, with the 5% critical value and the sup-F p-value) and "placebo" (one-row summary).
    """
    from externalize.models import fit_its
    from externalize.robustness import placebo_in_time, sup_f_test

    main = {study.main.name: study.main.month}
    model = study.models.main_model
    its = fit_its(y, main, model, seasonality=study.models.seasonality_pairs,
                  min_pre=study.models.min_pre_months).tidy()
    sf = sup_f_test(y, main, transform="sqrt", null="ar1")
    profile = sf.frame.assign(period=sf.frame["period"].astype(str), crit_5pct=sf.critical_values[0.05],
                              sup_f_p_value=sf.p_value, break_period=str(sf.break_period))
    pl = study.placebo
    plc = placebo_in_time(y, main, model, term="level", statistic="t", min_pre=pl.min_pre, min_post=pl.min_post,
                          exclude_within=pl.exclude_months_around_real, seasonality=study.models.seasonality_pairs)
    return {"its": its.assign(model=model), "break_profile": profile, "placebo": plc.tidy()}
