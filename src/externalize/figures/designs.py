"""Figures of the designs (`externalize.designs`): each a tidy frame (`<name>_data`) plus a plotnine call
(`plot_<name>`), drawn from the tables `run_designs` writes (read back from CSV or passed as frames), in the
style of the study's figures (same theme; registered in `externalize.figures.FIGURES`).

* event_study      Callaway-Sant'Anna event-time effects of joining the strike campaign on plots against the
                   country, per plot data set and outcome (launched / foiled / all), with 95% intervals;
* dose_response    rate ratio of each monthly outcome per 100 more strikes at lags 0..L and cumulated;
* nonstate         non-state fatalities per month, Syria and five other countries (UCDP GED 24.1);
* strikes          the spliced monthly strike series, coloured by source, with the other transcription on
                   the overlap.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotnine as p9

from externalize.figures.base import _caption, _month_start, theme_externalize

OUTCOME_LABELS = {"all": "all plots", "launched": "launched (attacks)", "foiled": "foiled plots"}
DATASET_LABELS = {"nesser": "Nesser (18)", "crenshaw": "Crenshaw (21)"}


# ------------------------------------------------------------------------------------- event study
def event_study_data(did: pd.DataFrame, outcomes: Sequence[str] = ("all", "launched", "foiled"),
                     control_group: str = "never_treated", covariates: str = "none",
                     window: tuple[int, int] = (-24, 24)) -> pd.DataFrame:
    """Event-time rows of the DiD table for the chosen specification: dataset, outcome, event_time (months
    from the country's first strike), estimate, ci_low, ci_high, phase ("before" / "after"), ri_pvalue of
    the overall ATT (repeated per row, for the caption), n_treated."""
    d = did[(did["aggregation"] == "event") & did["outcome"].isin(outcomes)
            & (did["control_group"] == control_group) & (did["covariates"] == covariates)].copy()
    d["event_time"] = d["event_time"].astype(int)
    d = d[d["event_time"].between(*window)]
    overall = did[(did["aggregation"] == "overall") & (did["control_group"] == control_group)
                  & (did["covariates"] == covariates) & did["estimator"].str.startswith("Callaway")]
    ri = overall.set_index(["dataset", "outcome"])["ri_pvalue"]
    att = overall.set_index(["dataset", "outcome"])["estimate"]
    d["ri_pvalue"] = [ri.get((a, b), np.nan) for a, b in zip(d["dataset"], d["outcome"], strict=True)]
    d["overall_att"] = [att.get((a, b), np.nan) for a, b in zip(d["dataset"], d["outcome"], strict=True)]
    d["phase"] = np.where(d["event_time"] < 0, "before first strike", "after first strike")
    d["dataset_label"] = d["dataset"].map(DATASET_LABELS).fillna(d["dataset"])
    d["outcome_label"] = pd.Categorical(d["outcome"].map(OUTCOME_LABELS).fillna(d["outcome"]),
                                        categories=[OUTCOME_LABELS.get(o, o) for o in outcomes])
    return d[["dataset", "dataset_label", "outcome", "outcome_label", "event_time", "estimate", "ci_low",
              "ci_high", "phase", "overall_att", "ri_pvalue", "n_treated"]].reset_index(drop=True)


def plot_event_study(frame: pd.DataFrame) -> p9.ggplot:
    has_ci = frame["ci_low"].notna() & frame["ci_high"].notna()
    facts = (frame.drop_duplicates(["dataset", "outcome"])
             .apply(lambda r: f"{r['dataset']} / {r['outcome']}: ATT {r['overall_att']:+.3f}, "
                              f"randomization p = {r['ri_pvalue']:.3f}", axis=1))
    caption = _caption(
        "Callaway & Sant'Anna (2021) event-time ATTs (outcome regression with the differences package's "
        "conventions; never-treated controls; varying base "
        "period, so each pre-period point is a one-month change). Outcome: plots against the country per "
        "country-month. 95% pointwise intervals from the influence function are optimistic with "
        f"{int(frame['n_treated'].max())} or fewer treated countries; the randomization p-values of the overall "
        "ATT (first strike dates permuted across countries) are the honest test: " + "; ".join(facts) + "."
        + (f" {int((~has_ci).sum())} points have no interval (no variation in the cells behind them)."
           if (~has_ci).any() else ""))
    return (p9.ggplot(frame, p9.aes("event_time", "estimate", colour="phase"))
            + p9.geom_hline(yintercept=0, colour="#555555")
            + p9.geom_vline(xintercept=-0.5, linetype="dashed", colour="#999999")
            + p9.geom_linerange(p9.aes(ymin="ci_low", ymax="ci_high"), data=frame[has_ci], alpha=0.5)
            + p9.geom_point(size=1.2)
            + p9.facet_grid("dataset_label ~ outcome_label")
            + p9.scale_colour_manual(values={"before first strike": "#b2182b", "after first strike": "#2166ac"})
            + p9.labs(x="months since the country's first air strike in Iraq or Syria",
                      y="effect on plots per country-month", title="Joining the strike campaign: event study",
                      caption=caption)
            + theme_externalize())


# ------------------------------------------------------------------------------------ dose response
def dose_response_data(dose: pd.DataFrame, model: str = "quasipoisson_floor1", strike_series: str = "spliced",
                       sample: str = "with pre-campaign zeros") -> pd.DataFrame:
    """Per outcome: rate ratio per 100 strikes at each lag and cumulated (lag label "sum"), with 95% limits."""
    d = dose[(dose["model"] == model) & (dose["strike_series"] == strike_series) & (dose["sample"] == sample)
             & (dose["term"] != "not fitted")].copy()
    d["lag_label"] = np.where(d["term"] == "cumulative", "sum", d["lag"].astype(int).astype(str))
    order = [str(i) for i in sorted(d.loc[d["term"] != "cumulative", "lag"].astype(int).unique())] + ["sum"]
    d["lag_label"] = pd.Categorical(d["lag_label"], categories=order)
    d["kind"] = np.where(d["term"] == "cumulative", "cumulative", "single lag")
    return d[["outcome", "label", "model", "sample", "strike_series", "lag_label", "kind", "rate_ratio", "rr_low",
              "rr_high", "n_months"]].reset_index(drop=True)


def plot_dose_response(frame: pd.DataFrame) -> p9.ggplot:
    m = frame["model"].iloc[0]
    s = frame["sample"].iloc[0]
    caption = _caption(
        f"Distributed-lag count models ({m.replace('_', ' ')}; linear trend and seasonality), sample {s}, "
        f"strike series {frame['strike_series'].iloc[0]} (0 before 2014-08 by construction). Rate ratio of the "
        "outcome per 100 more coalition strikes in the same month (lag 0) or l months earlier; 'sum' is a "
        "sustained rise. An association: strike intensity answers to IS activity on the ground.")
    return (p9.ggplot(frame, p9.aes("lag_label", "rate_ratio", colour="kind"))
            + p9.geom_hline(yintercept=1, colour="#555555")
            # one group per kind, not per lag x kind: the same marks, drawn in 2 calls per panel instead of one
            # per point (a third of the figure's drawing time)
            + p9.geom_pointrange(p9.aes(ymin="rr_low", ymax="rr_high", group="kind"), size=0.3)
            + p9.facet_wrap("~outcome", ncol=3)
            + p9.scale_y_log10()
            + p9.scale_colour_manual(values={"single lag": "#4d4d4d", "cumulative": "#2166ac"})
            + p9.labs(x="lag (months)", y="rate ratio per 100 strikes (log scale)",
                      title="Dose-response: monthly outcomes and coalition strike intensity", caption=caption)
            + theme_externalize())


# ------------------------------------------------------------------------------------ non-state series
def nonstate_data(nonstate: pd.DataFrame, start: str = "2011-01", end: str = "2019-12") -> pd.DataFrame:
    """date (month start), country, non_state fatalities, within [start, end]."""
    d = nonstate.copy()
    d["period"] = pd.PeriodIndex(d["period"].astype(str), freq="M")
    d = d[(d["period"] >= pd.Period(start, freq="M")) & (d["period"] <= pd.Period(end, freq="M"))]
    d["date"] = _month_start(d["period"]).to_numpy()
    order = ["Syria", "Iraq", "Lebanon", "Yemen", "Libya", "Somalia"]
    d["country"] = pd.Categorical(d["country"], categories=[c for c in order if c in set(d["country"])])
    return d[["date", "country", "non_state"]].reset_index(drop=True)


def plot_nonstate(frame: pd.DataFrame, iv: pd.DataFrame) -> p9.ggplot:
    caption = _caption(
        "Non-state fatalities (GED best estimate) per country-month, UCDP GED 24.1 aggregated by country and "
        "month; GED events spanning two months were dropped by the file's maker. In Syria 2013-2015 most of "
        "these deaths are in dyads with IS (shares per year from the yearly UCDP Non-State file in "
        "tables/nonstate_share_ucdp.csv) and only part are IS against the Nusra lineage: a proxy for the timing of intra-insurgent fighting, not the clash arm. "
        "Dashed lines: interventions of the study config.")
    return (p9.ggplot(frame, p9.aes("date", "non_state"))
            + p9.geom_vline(p9.aes(xintercept="date"), data=iv, linetype="dashed", colour="#999999")
            + p9.geom_line(colour="#b2182b")
            + p9.facet_wrap("~country", ncol=2, scales="free_y")
            + p9.scale_x_datetime(date_labels="%Y")
            + p9.labs(x="", y="non-state fatalities per month", title="Intra-insurgent (non-state) fighting per month",
                      caption=caption)
            + theme_externalize())


# ------------------------------------------------------------------------------------ strike series
def strikes_data(spliced: pd.DataFrame) -> pd.DataFrame:
    """Long: date, series ("spliced series" coloured by its source, or the other transcription), strikes."""
    d = spliced.copy()
    d["date"] = _month_start(d["period"]).to_numpy()
    src = d["source"].fillna("").astype(str).replace({"construction": "0 by construction",
                                                      "airstrikes_information_dk": "Information.dk (used)",
                                                      "centcom_strikes": "CENTCOM scrape (used)", "": "missing"})
    main = pd.DataFrame({"date": d["date"], "series": src, "strikes": d["strikes"]})
    other = []
    for col, label in (("info_dk", "Information.dk (overlap, not used)"), ("centcom", "CENTCOM scrape (overlap, not used)")):
        used = "Information.dk (used)" if col == "info_dk" else "CENTCOM scrape (used)"
        m = d[col].notna() & (src != used)
        other.append(pd.DataFrame({"date": d.loc[m, "date"], "series": label, "strikes": d.loc[m, col]}))
    return pd.concat([main, *other], ignore_index=True).dropna(subset=["strikes"])


def plot_strikes(frame: pd.DataFrame) -> p9.ggplot:
    caption = _caption(
        "Coalition air strikes per month in Iraq and Syria. Before 8 Aug 2014: 0 by construction (no campaign). "
        "Information.dk transcription while it covers whole months, then the CENTCOM release scrape. On their "
        "overlap the scrape is lower, mostly because it lacks lines on days on which the newspaper has strikes "
        "(tables/strikes_reconciliation.csv).")
    colours = {"0 by construction": "#bdbdbd", "Information.dk (used)": "#2166ac", "CENTCOM scrape (used)": "#b2182b",
               "Information.dk (overlap, not used)": "#92c5de", "CENTCOM scrape (overlap, not used)": "#f4a582"}
    return (p9.ggplot(frame, p9.aes("date", "strikes", colour="series"))
            + p9.geom_line(p9.aes(group="series"), alpha=0.4)
            + p9.geom_point(size=1.2)
            + p9.scale_colour_manual(values=colours)
            + p9.scale_x_datetime(date_labels="%Y")
            + p9.labs(x="", y="strikes per month", title="Coalition strikes per month: one series from two transcriptions",
                      caption=caption)
            + theme_externalize())
