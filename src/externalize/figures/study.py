"""The study's figures: monthly counts, counterfactuals, effect forest, share, placebo, break sweep,
specification curve, coverage and geography. Each is a tidy frame (`<name>_data`) and a plotnine call
(`plot_<name>(frame[, interventions])`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import plotnine as p9

from externalize.figures.base import (
    ARM_LABELS,
    CLIP_BAND,
    COUNT_MODELS,
    FREQ_COLOURS,
    _blank,
    _caption,
    _main,
    _month_start,
    _truth,
    _wrap,
    theme_externalize,
)
from externalize.vocab import DEGENERATE_RATIO, as_bool, term


# ---------------------------------------------------------------- 1. monthly counts per source
def monthly_counts_data(monthly: pd.DataFrame, classes: Iterable[str] = ("clash", "joint", "external"),
                        family: str = "all") -> pd.DataFrame:
    """Monthly counts per source x class inside each source's coverage; sources/classes never non-zero are dropped."""
    m = monthly[monthly["event_class"].isin(list(classes)) & (monthly["family"] == family)
                & monthly["in_coverage"].astype(bool)].copy()
    if m.empty:
        return pd.DataFrame(columns=["source", "event_class", "period", "date", "count"])
    keep = m.groupby(["source", "event_class"], observed=True)["count"].transform("sum") > 0
    m = m[keep]
    out = pd.DataFrame({"source": m["source"].astype(str).to_numpy(),
                        "event_class": m["event_class"].astype(str).to_numpy(),
                        "period": m["period"].astype(str).to_numpy(), "count": m["count"].astype(float).to_numpy()})
    out["date"] = _month_start(out["period"]).to_numpy()
    return out.sort_values(["source", "event_class", "period"]).reset_index(drop=True)


# ---------------------------------------------------------------- 2. observed, fitted, counterfactual
def counterfactual_data(counterfactual: pd.DataFrame, model: str, spec: str = "main",
                        outcomes: Iterable[str] | None = None, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The counterfactual frames of one model (one per outcome), with month-start dates for plotting."""
    cf = counterfactual[(counterfactual["model"] == model) & (counterfactual["spec"] == spec)].copy()
    if outcomes is not None:
        cf = cf[cf["outcome"].isin(list(outcomes))]
    cf["date"] = _month_start(cf["period"]).to_numpy()
    cf["post"] = _truth(cf["post"])
    cf["panel"] = cf["outcome"].map(lambda o: (labels or {}).get(o, o))
    # a near-zero pre-period can give a counterfactual band far above the data; drawn bands stop at
    # CLIP_BAND x the panel's largest observed or fitted value (the CSV keeps cf_high itself)
    top = cf.groupby("outcome")[["observed", "fitted"]].transform("max").max(axis=1)
    cf["cf_high_drawn"] = np.minimum(cf["cf_high"], CLIP_BAND * top)
    cf["band_clipped"] = cf["cf_high"] > cf["cf_high_drawn"]
    cols = ["outcome", "panel", "model", "period", "date", "observed", "fitted", "fitted_low", "fitted_high",
            "counterfactual", "cf_low", "cf_high", "cf_high_drawn", "band_clipped", "post"]
    return cf[cols].reset_index(drop=True)


def plot_counterfactual(frame: pd.DataFrame, ivs: pd.DataFrame) -> p9.ggplot:
    main = _main(ivs)
    post = frame[frame["post"]]
    return (p9.ggplot(frame, p9.aes("date"))
            + p9.geom_ribbon(p9.aes(ymin="cf_low", ymax="cf_high_drawn"), data=post, fill="#fdb863", alpha=0.45)
            + p9.geom_point(p9.aes(y="observed"), size=0.5, colour="#555555")
            + p9.geom_line(p9.aes(y="counterfactual"), data=post, colour="#e66101", linetype="dashed", size=0.6)
            + p9.geom_line(p9.aes(y="fitted"), colour="#2166ac", size=0.6)
            + p9.geom_vline(xintercept=main["date"], linetype="dotted", colour="#333333")
            # plotnine annotates `labeller` as names only, but documents labeller objects too
            + p9.facet_wrap("~panel", ncol=1, scales="free_y", labeller=p9.labeller(panel=_wrap(60)))  # type: ignore[arg-type]
            + p9.scale_x_datetime(date_labels="%Y", date_breaks="1 year")
            + p9.labs(x="", y="events per month",
                      title=f"Observed, fitted and counterfactual ({frame['model'].iloc[0] if len(frame) else ''})",
                      caption=_caption("Points: observed; blue: fitted; orange dashed with band: counterfactual "
                                       "(the fitted model with every intervention term set to zero) and its 95% "
                                       f"interval. Dotted line: {main['intervention']} "
                                       f"({main['date']:%Y-%m-%d})."
                                       + (f" Bands are cut at {CLIP_BAND:g} times the panel's largest observed or "
                                          "fitted value in: " + ", ".join(sorted(frame.loc[frame["band_clipped"],
                                                                                  "panel"].unique())) + "."
                                          if frame["band_clipped"].any() else "")))
            + theme_externalize())


# ---------------------------------------------------------------- specification curve
def spec_curve_data(curve: pd.DataFrame) -> pd.DataFrame:
    """One row per estimated specification with z = estimate / std_error, the scale on which additive (OLS,
    GLS) and log-rate (count) models can share an axis, ranked within each outcome. Refused fits are left
    out here (they are rows of the spec-curve table, with their message)."""
    ok = curve[curve["error"].isna() & curve["std_error"].gt(0)].copy() if "error" in curve else curve.copy()
    ok["z"] = ok["estimate"] / ok["std_error"]
    ok["rank_in_outcome"] = ok.groupby("outcome")["z"].rank(method="first").astype(int)
    ok["interval"] = np.where(ok["ci_low"] > 0, "95% CI above 0",
                              np.where(ok["ci_high"] < 0, "95% CI below 0", "95% CI includes 0"))
    cols = ["outcome", "source", "window", "seasonality", "model", "estimate", "std_error", "z",
            "rank_in_outcome", "interval", "p_value"]
    return ok[cols].sort_values(["outcome", "rank_in_outcome"]).reset_index(drop=True)


def plot_spec_curve(frame: pd.DataFrame) -> p9.ggplot:
    return (p9.ggplot(frame, p9.aes(x="rank_in_outcome", y="z"))
            + p9.geom_hline(yintercept=[-1.96, 1.96], linetype="dashed", color="#888888")
            + p9.geom_hline(yintercept=0, color="#444444")
            + p9.geom_point(p9.aes(color="model", shape="interval"), size=1.8)
            + p9.facet_wrap("~outcome", ncol=2, scales="free_x")
            + p9.labs(x="specification (ranked within outcome)", y="z = level change / standard error",
                      color="model", shape="",
                      title="Specification curve: level change at the main intervention",
                      caption=_caption("Each point is one specification (window x seasonality x model). Dashed: "
                                       "|z| = 1.96. z puts additive and log-rate models on one scale."))
            + theme_externalize())


# ---------------------------------------------------------------- 3. forest plot of effects
def forest_data(estimates: pd.DataFrame, intervention: str = "iraq_strikes",
                yearly_contrast: pd.DataFrame | None = None) -> pd.DataFrame:
    """Ratio-scale effects (rate / odds ratios) of every count, share, comparative and yearly model.

    OLS / GLS estimates are additive (events per month) and cannot share a ratio axis; they are in the
    estimates table. Single yearly outcomes are drawn with their exact conditional post/pre ratio (valid with
    zero counts) from `yearly_contrast`, not with the Wald interval of the yearly GLM.
    Rows: label (outcome, model), kind (level / slope / comparative level / ...), ratio and CI.
    """
    e = estimates[estimates["model"].isin(COUNT_MODELS) & estimates["ratio"].notna()].copy()
    if yearly_contrast is not None and len(yearly_contrast) and "exact_ratio" in yearly_contrast:
        single_yearly = set(yearly_contrast["outcome"])
        e = e[~(e["outcome"].isin(single_yearly) & (e["spec"] == "main"))]
        yc = yearly_contrast
        exact = pd.DataFrame({
            "outcome": yc["outcome"], "source": yc["source"], "model": "exact_yearly", "spec": "main",
            "term": "post", "estimate": np.log(yc["exact_ratio"].astype(float).where(yc["exact_ratio"] > 0)),
            "ratio": yc["exact_ratio"], "ratio_ci_low": yc["exact_ci_low"], "ratio_ci_high": yc["exact_ci_high"],
            "p_value": yc["exact_p_value"]})
        e = pd.concat([e, exact], ignore_index=True)
    level, slope = term(intervention, "level"), term(intervention, "slope")

    def kind(term: str) -> str | None:
        if term == level:
            return "level change"
        if term == slope:
            return "slope change (per month)"
        if term.startswith(level + ":") or term.startswith("post:"):
            return "comparative level change"
        if term.startswith(slope + ":"):
            return "comparative slope change"
        if term == "post":
            return "level change"
        return None

    e["kind"] = e["term"].map(kind)
    e = e[e["kind"].notna()]
    # in a stacked comparison the plain level / slope / post terms are the reference series' change, not the
    # comparison: only the difference terms (`<term>:<series>`) are drawn for it
    e = e[~((e["spec"] == "comparison") & e["term"].isin(["post", level, slope])
            & ~e["outcome"].astype(str).str.endswith("_share"))]
    if "spec" in e:
        e = e[e["spec"].isin(["main", "comparison"])]
    e["label"] = e["outcome"].astype(str) + " (" + e["model"].astype(str) + ")"
    out = e[["label", "outcome", "source", "model", "term", "kind", "estimate", "ratio", "ratio_ci_low",
             "ratio_ci_high", "p_value"]].rename(columns={"ratio_ci_low": "ci_low", "ratio_ci_high": "ci_high"})
    out["excludes_1"] = (out["ci_low"] > 1) | (out["ci_high"] < 1)
    # boundary fits (a series at zero on one side) give intervals spanning dozens of orders of magnitude:
    # they are flagged and left out of the drawing (named in its caption), not squeezed onto the axis
    finite = np.isfinite(out[["ratio", "ci_low", "ci_high"]].astype(float)).all(axis=1)
    out["degenerate"] = ~finite | (out["ci_low"] < 1 / DEGENERATE_RATIO) | (out["ci_high"] > DEGENERATE_RATIO)
    # an exact interval reaching 0 or infinity is not a failed fit but cannot be drawn on a log axis either
    out.loc[out["model"] == "exact_yearly", "degenerate"] = ~finite | (out["ratio"] <= 0)
    return out.sort_values(["kind", "label"]).reset_index(drop=True)


def plot_forest(frame: pd.DataFrame) -> p9.ggplot:
    f = frame[~frame["degenerate"]] if "degenerate" in frame else frame
    left_out = sorted(set(frame.loc[frame["degenerate"], "label"])) if "degenerate" in frame else []
    f = f.assign(significant=np.where(f["excludes_1"], "95% CI excludes 1", "95% CI includes 1"))
    caption = ("Level: change at the intervention month; slope: change per month after it. Comparative: change "
               "in the first series relative to its reference series. Filled: the 95% interval excludes 1.")
    if left_out:
        caption += (" Not drawn (interval beyond 1/1000 to 1000: a series at zero on one side): "
                    + ", ".join(left_out) + ".")
    return (p9.ggplot(f, p9.aes(x="ratio", y="label"))
            + p9.geom_vline(xintercept=1, colour="#777777")
            + p9.geom_errorbarh(p9.aes(xmin="ci_low", xmax="ci_high"), height=0.25, colour="#555555")
            + p9.geom_point(p9.aes(fill="significant"), shape="o", size=2.2)
            + p9.scale_fill_manual(values={"95% CI excludes 1": "#b2182b", "95% CI includes 1": "white"})
            + p9.scale_x_log10()
            + p9.facet_wrap("~kind", ncol=1, scales="free_y")
            + p9.labs(x="rate ratio (odds ratio for shares), log scale", y="",
                      title="Effect estimates with 95% intervals", caption=_caption(caption))
            + theme_externalize())


# ---------------------------------------------------------------- 4. externalization share
def share_data(share: pd.DataFrame) -> pd.DataFrame:
    s = share.copy()
    s["date"] = _month_start(s["period"]).to_numpy()
    return s[["comparison", "period", "date", "numerator", "denominator", "share", "fitted", "fitted_low",
              "fitted_high", "counterfactual"]].reset_index(drop=True)


def plot_share(frame: pd.DataFrame, ivs: pd.DataFrame) -> p9.ggplot:
    main = _main(ivs)
    post = frame[frame["date"] >= main["month_start"]]
    return (p9.ggplot(frame, p9.aes("date"))
            + p9.geom_ribbon(p9.aes(ymin="fitted_low", ymax="fitted_high"), fill="#92c5de", alpha=0.5)
            + p9.geom_point(p9.aes(y="share", size="denominator"), colour="#555555", alpha=0.7)
            + p9.geom_line(p9.aes(y="fitted"), colour="#2166ac", size=0.7)
            + p9.geom_line(p9.aes(y="counterfactual"), data=post, colour="#e66101", linetype="dashed")
            + p9.geom_vline(xintercept=main["date"], linetype="dotted")
            + p9.facet_wrap("~comparison", ncol=1)
            + p9.scale_size_area(max_size=2.5)
            + p9.scale_x_datetime(date_labels="%Y", date_breaks="1 year")
            + p9.labs(x="", y="external / (external + reference)", size="events in the month",
                      title="Externalization share with fitted pre/post trend (binomial logit ITS)",
                      caption=_caption("Blue: fitted share with 95% band; orange dashed: pre-intervention trend "
                                       "continued."))
            + theme_externalize())


# ---------------------------------------------------------------- 5. robustness
def placebo_data(placebo: pd.DataFrame, placebo_summary: pd.DataFrame | None = None) -> pd.DataFrame:
    """Placebo-date statistics per outcome x model; the real one flagged; panel titles carry the p-value."""
    p = placebo[_blank(placebo["error"])].copy() if "error" in placebo else placebo.copy()
    p["is_real"] = _truth(p["is_real"])
    if "used" in p:
        p = p[_truth(p["used"]) | p["is_real"]]
    p = p[np.isfinite(p["statistic"].astype(float))]   # refused or degenerate fits have no statistic
    p["panel"] = p["outcome"].astype(str) + " / " + p["model"].astype(str)
    if placebo_summary is not None and len(placebo_summary):
        pv = placebo_summary.set_index(["outcome", "model"])["p_value"]
        p["panel"] = [f"{o} / {m}\nplacebo p = {pv.get((o, m), np.nan):.3f}" for o, m in zip(p["outcome"], p["model"])]
    return p[["outcome", "model", "panel", "candidate", "is_real", "estimate", "statistic"]].reset_index(drop=True)


def plot_placebo(frame: pd.DataFrame) -> p9.ggplot:
    fake, real = frame[~frame["is_real"]], frame[frame["is_real"]]
    return (p9.ggplot(fake, p9.aes("statistic"))
            + p9.geom_histogram(bins=20, fill="#bababa", colour="white")
            + p9.geom_vline(p9.aes(xintercept="statistic"), data=real, colour="#b2182b", size=0.9)
            + p9.facet_wrap("~panel", scales="free", ncol=2)
            + p9.labs(x="t statistic of the level change at a placebo date", y="placebo dates",
                      title="Placebo-in-time: the real estimate (red) among fake intervention dates")
            + theme_externalize())


def break_sweep_data(break_sweep: pd.DataFrame) -> pd.DataFrame:
    b = break_sweep[np.isfinite(break_sweep["f_stat"].astype(float))].copy()   # degenerate series: no F
    b["date"] = _month_start(b["period"]).to_numpy()
    return b[["outcome", "source", "period", "date", "f_stat", "crit_5pct"]].reset_index(drop=True)


def plot_break_sweep(frame: pd.DataFrame, ivs: pd.DataFrame) -> p9.ggplot:
    main = _main(ivs)
    crit = frame.groupby("outcome", as_index=False)["crit_5pct"].first().dropna()
    return (p9.ggplot(frame, p9.aes("date", "f_stat"))
            + p9.geom_line(colour="#2166ac")
            + p9.geom_hline(p9.aes(yintercept="crit_5pct"), data=crit, linetype="dashed", colour="#b2182b")
            + p9.geom_vline(xintercept=main["date"], linetype="dotted")
            + p9.facet_wrap("~outcome", ncol=2, scales="free_y")
            + p9.scale_x_datetime(date_labels="%Y", date_breaks="1 year")
            + p9.labs(x="candidate break month", y="F statistic",
                      title="Break-date sweep (sup-F): F statistic per candidate month",
                      caption=_caption("Red dashed: simulated 5% critical value of sup-F; dotted: the main "
                                       "intervention."))
            + theme_externalize() + p9.theme(axis_text_x=p9.element_text(rotation=90)))


# ---------------------------------------------------------------- 6. coverage
def coverage_data(coverage: pd.DataFrame, first_year: int, last_year: int,
                  arms: Iterable[str] = ("clash", "joint", "external", "dose")) -> pd.DataFrame:
    """One rectangle per source x arm x period unit: a month for sources dated to the month or day, a year for
    yearly sources. `frequency` says which; rows of absent sources are kept as 'registered, not present'."""
    lo, hi = pd.Period(f"{first_year}-01", "M"), pd.Period(f"{last_year}-12", "M")
    rows = []
    for r in coverage.itertuples(index=False):
        if r.arm not in set(arms) or str(r.frequency) not in ("day", "month", "year"):
            continue
        start, end = max(pd.Period(str(r.start), "M"), lo), min(pd.Period(str(r.end), "M"), hi)
        if end < start:
            continue
        monthly = str(r.frequency) in ("day", "month")
        present = as_bool(r.in_study)
        label = ("monthly or finer" if monthly else "yearly only") if present else "registered, not present"
        units = (pd.period_range(start, end, freq="M") if monthly
                 else pd.period_range(start.asfreq("Y"), end.asfreq("Y"), freq="Y"))
        for u in units:
            rows.append({"source": r.source, "arm": ARM_LABELS.get(r.arm, r.arm), "frequency": label,
                         "unit": "month" if monthly else "year", "period": str(u),
                         "xmin": max(u.start_time.normalize(), lo.start_time),
                         "xmax": min((u.end_time + pd.Timedelta(days=1)).normalize(), (hi + 1).start_time)})
    out = pd.DataFrame(rows, columns=["source", "arm", "frequency", "unit", "period", "xmin", "xmax"])
    out["row"] = out["arm"] + ": " + out["source"]
    return out


def plot_coverage(frame: pd.DataFrame, ivs: pd.DataFrame) -> p9.ggplot:
    order = (frame[["arm", "row"]].drop_duplicates()
             .assign(k=lambda d: d["arm"].map({"clash": 0, "joint": 1, "external": 2, "strikes": 3}).fillna(4))
             .sort_values(["k", "row"], ascending=[False, False])["row"].tolist())
    f = frame.assign(row=pd.Categorical(frame["row"], categories=order))
    f["y"] = f["row"].cat.codes.astype(float)
    return (p9.ggplot(f)
            + p9.geom_rect(p9.aes(xmin="xmin", xmax="xmax", ymin="y - 0.4", ymax="y + 0.4", fill="frequency"),
                           data=f[f["unit"] == "month"], colour="white", size=0.1)
            # yearly cells get a wider border so a reader sees whole-year blocks, not months
            + p9.geom_rect(p9.aes(xmin="xmin", xmax="xmax", ymin="y - 0.4", ymax="y + 0.4", fill="frequency"),
                           data=f[f["unit"] == "year"], colour="white", size=0.8)
            + p9.geom_vline(p9.aes(xintercept="date"), data=ivs, colour="#b2182b", linetype="dashed", size=0.4)
            + p9.scale_fill_manual(values=FREQ_COLOURS)
            + p9.scale_y_continuous(breaks=list(range(len(order))), labels=order, expand=(0, 0.6))
            + p9.scale_x_datetime(date_labels="%Y", date_breaks="1 year")
            + p9.labs(x="", y="", title="What the data can show: arm x source x frequency",
                      caption=_caption("Each cell is one month (narrow cells) or one year (wide cells) that the source "
                                       "covers. Red dashed: the interventions. Grey: registered releases not "
                                       "present in the data folder."))
            + theme_externalize())


# ---------------------------------------------------------------- 7. where the classified events are
#: the same country spelled differently by different sources (the event table keeps each source's spelling)
COUNTRY_NAMES = {"US": "United States", "USA": "United States", "United States of America": "United States",
                 "UK": "United Kingdom", "Great Britain": "United Kingdom"}


def geography_data(events: pd.DataFrame, classes: Iterable[str] = ("clash", "joint", "external"),
                   top: int = 12, years: tuple[int, int] | None = None) -> pd.DataFrame:
    """Classified rows (sum of n) per class x country x year, the `top` countries per class by total.
    Country spellings are unified with COUNTRY_NAMES; `years` restricts to an inclusive range."""
    ev = events[events["event_class"].astype(str).isin(list(classes))]
    if years is not None:
        ev = ev[ev["year"].astype(int).between(*years)]
    if ev.empty:
        return pd.DataFrame(columns=["event_class", "country", "year", "n"])
    country = ev["country"].astype("string").fillna("unknown").replace(COUNTRY_NAMES)
    g = (pd.DataFrame({"event_class": ev["event_class"].astype(str).to_numpy(), "country": country.to_numpy(),
                       "year": ev["year"].astype(int).to_numpy(), "n": ev["n"].astype(float).to_numpy()})
         .groupby(["event_class", "country", "year"], as_index=False)["n"].sum())
    tot = (g.groupby(["event_class", "country"], as_index=False)["n"].sum()
           .sort_values(["event_class", "n", "country"], ascending=[True, False, True]))
    tot["rank"] = tot.groupby("event_class").cumcount() + 1   # ties broken by name: the same rows every run
    keep = tot.loc[tot["rank"] <= top, ["event_class", "country"]]
    out = g.merge(keep, on=["event_class", "country"])
    return out.sort_values(["event_class", "country", "year"]).reset_index(drop=True)


def plot_geography(frame: pd.DataFrame) -> p9.ggplot:
    years = sorted(frame["year"].unique()) if len(frame) else []
    return (p9.ggplot(frame, p9.aes("year", "country", fill="n"))
            + p9.geom_tile(colour="white")
            + p9.facet_grid("event_class ~ .", scales="free_y", space="free_y")
            + p9.scale_fill_gradient(low="#d1e5f0", high="#053061", trans="log10")
            + p9.scale_x_continuous(breaks=years[::2] if len(years) > 8 else years)
            + p9.labs(x="", y="", fill="events (log scale)",
                      title="Where the classified events are: country x year, all sources pooled",
                      caption=_caption("Rows of every source are pooled; a country-year may hold several "
                                       "sources' records of the same events. Countries ranked by total per class."))
            + theme_externalize() + p9.theme(legend_title=p9.element_text(size=7)))


