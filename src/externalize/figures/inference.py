"""Figures of the inference step, as data + plot function pairs (the convention of `externalize.figures`):

* `break_profile_data` / `plot_break_profile`: for each monthly primary series, the likelihood-ratio
  profile of the break month (LR(m) = (D(m) - min D) / s, see `externalize.robustness.rivals`) over the
  profile window, the critical value that bounds the break-date confidence set, the months inside the set,
  and the candidate dates (caliphate, Iraq strikes, al-Adnani's call, Syria strikes, Russian campaign) with
  their level rate ratio.

Inputs are the tables the findings step writes (break_date_profile.csv, rival_dates.csv); registered in
`externalize.figures.FIGURES` as "break_profile".
"""

from __future__ import annotations

import textwrap

import pandas as pd
import plotnine as p9

from externalize.figures.base import theme_externalize

PROFILE_COLUMNS = ("outcome", "period", "month_start", "lr", "critical_value", "in_set", "rival", "rate_ratio")
RIVAL_COLUMNS = ("outcome", "candidate", "month_start", "lr", "in_confidence_set", "rate_ratio", "label")


def break_profile_data(profile: pd.DataFrame, rivals: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(profile, rivals) frames for `plot_break_profile`.

    profile: break_date_profile.csv rows inside the profile window, with month_start (Timestamp of the
    month) added; rivals: one row per outcome x candidate with its LR, whether it is in the set, its level
    rate ratio and a label "name (RR 2.7)"."""
    p = profile[profile["in_profile_window"].astype(bool)].copy()
    p["period"] = p["period"].astype(str)
    p["month_start"] = pd.PeriodIndex(p["period"], freq="M").to_timestamp()
    p["in_set"] = p["in_set"].astype(bool)
    p["rival"] = p["rival"].fillna("").astype(str)
    r = rivals.copy()
    r["month_start"] = pd.PeriodIndex(r["month"].astype(str), freq="M").to_timestamp()
    r["in_confidence_set"] = r["in_confidence_set"].astype(bool)
    r = r.sort_values(["outcome", "month_start", "candidate"])
    # candidates in the same month share one marker: stack their labels
    r["label"] = [f"{c} (RR {rr:.2f})" for c, rr in zip(r["candidate"], r["rate_ratio"], strict=True)]
    r["lr"] = r["lr"].astype(float)
    return (p.reindex(columns=list(PROFILE_COLUMNS)).reset_index(drop=True),
            r.reindex(columns=list(RIVAL_COLUMNS)).reset_index(drop=True))


def plot_break_profile(profile: pd.DataFrame, rivals: pd.DataFrame, labels: dict[str, str] | None = None,
                       confidence: float = 0.95) -> p9.ggplot:
    """LR profile of the break month with the confidence set shaded and the candidate dates marked."""
    names = labels or {}

    def wrap(o: object) -> str:
        return textwrap.fill(names.get(str(o), str(o)), 60)

    p = profile.assign(series=profile["outcome"].map(wrap))
    r = rivals.assign(series=rivals["outcome"].map(wrap))
    lab = (r.groupby(["series", "month_start"], as_index=False)
           .agg(lr=("lr", "first"), label=("label", lambda s: "\n".join(s)),
                in_set=("in_confidence_set", "first")))
    lab = lab.sort_values(["series", "month_start"])
    # alternate label heights so that candidates in neighbouring months do not overprint
    span = float(p["lr"].max() - p["lr"].min()) if len(p) else 1.0
    lab["label_y"] = lab["lr"] + span * (0.05 + 0.18 * (lab.groupby("series").cumcount() % 2))
    lab["where"] = lab["in_set"].map({True: "candidate inside the set", False: "candidate outside the set"})
    band = p[p["in_set"]].assign(xmin=lambda d: d["month_start"] - pd.Timedelta(days=15),
                                 xmax=lambda d: d["month_start"] + pd.Timedelta(days=15))
    crit = p.groupby("series", as_index=False)["critical_value"].first()
    return (p9.ggplot(p, p9.aes("month_start", "lr"))
            + p9.geom_rect(band, p9.aes(xmin="xmin", xmax="xmax"), ymin=-float("inf"), ymax=float("inf"),
                           fill="#d1e5f0", alpha=0.7, inherit_aes=False)
            + p9.geom_hline(crit, p9.aes(yintercept="critical_value"), linetype="dashed", colour="#b2182b")
            + p9.geom_line(colour="#2166ac")
            + p9.geom_point(size=0.8, colour="#2166ac")
            + p9.geom_point(lab, p9.aes("month_start", "lr", shape="where"), size=2.6, colour="#000000",
                            fill="#f4a582")
            + p9.geom_segment(lab, p9.aes(x="month_start", xend="month_start", y="lr", yend="label_y"),
                              colour="#777777", size=0.3)
            + p9.geom_text(lab, p9.aes("month_start", "label_y", label="label"), size=6, ha="left", va="bottom")
            + p9.scale_shape_manual(values={"candidate inside the set": "o", "candidate outside the set": "s"})
            + p9.facet_wrap("~series", ncol=1, scales="free_y")
            + p9.scale_x_datetime(date_labels="%Y-%m")
            + p9.labs(x="candidate first month of the break", y="LR statistic (quasi-likelihood)",
                      title="When did the series break? Likelihood-ratio profile of the break month",
                      caption=textwrap.fill(
                          f"Shaded: months in the {confidence:.0%} break-date confidence set (LR below the "
                          "dashed critical value, Hansen 2000). The profile moves a level change (common trend, "
                          "seasonality). Markers: candidate dates, with the rate ratio of the primary model's "
                          "level change dated there (level and slope change, floored quasi-Poisson).", 110))
            + theme_externalize())
