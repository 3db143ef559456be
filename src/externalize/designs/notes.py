"""What each design can and cannot identify (text for the report), and its headline numbers computed from the
tables `run_designs` wrote, so no number in the report's design sections is typed by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

SCOPE: dict[str, dict[str, str]] = {
    "participation": {
        "identifies": ("Whether plots against a Western country changed after that country itself began to bomb "
                       "IS, relative to Western countries that never struck (or had not yet), month by month, "
                       "under parallel trends in plots between striking and non-striking countries."),
        "cannot": ("Effects common to all Western countries (the caliphate declaration and al-Adnani's call hit "
                   "every country at once and are absorbed by the month effects); effects on the whole West; "
                   "anything about AQ-IS fighting or cooperation. Five (Nesser) or eight (Crenshaw) treated "
                   "countries, all starting within three months: the analytic intervals are optimistic, the "
                   "randomization p-values are the test. The strike starts of Australia and Denmark are "
                   "pinned to the month only (October 2014)."),
    },
    "dose_response": {
        "identifies": ("How monthly outcomes co-move with the number of coalition strikes in the same and the six "
                       "previous months, net of a linear trend and seasonality."),
        "cannot": ("A causal dose effect: strike intensity answers to IS activity on the ground (reverse "
                   "causation), and before 2014-08 the dose is 0 by construction, so the full-sample fit mixes "
                   "the before/after contrast with intensity; the campaign-months-only fit does not. The two "
                   "strike transcriptions differ in level (the scrape misses releases); the harmonised series "
                   "is the check."),
    },
    "nonstate": {
        "identifies": ("The month-by-month timing of non-state fighting in Syria (and five other countries) "
                       "across 2014, from UCDP GED 24.1."),
        "cannot": ("The clash arm itself: most Syrian non-state deaths in 2013-2015 are IS against other rebels "
                   "and Kurds, and only part IS against the Nusra lineage; GED events spanning two months were "
                   "dropped by the file's maker."),
    },
    "joint_operations": {
        "identifies": "How much IS and al-Nusra cooperated and fought, in two cross-sections of the same research group.",
        "cannot": "Any change over time, hence any effect of the intervention: neither matrix is dated within its period.",
    },
}


def headline_numbers(tables_dir: str | Path) -> dict[str, object]:
    """Key numbers from the designs' tables (missing tables give no key): overall DiD ATTs with intervals and
    randomization p-values (never-treated controls, no covariates), the pooled ITS rate ratios, the placebo,
    the cumulative dose-response rate ratios (quasi-Poisson, spliced series), the UCDP shares, the IS-Nusra
    counts, and the strike transcriptions' totals on their overlap."""
    t = Path(tables_dir)
    out: dict[str, object] = {}
    if (t / "did_participation.csv").is_file():
        did = pd.read_csv(t / "did_participation.csv")
        ov = did[(did["aggregation"] == "overall") & (did["control_group"] == "never_treated")
                 & (did["covariates"] == "none") & did["estimator"].str.startswith("Callaway")]
        out["did_overall"] = ov[["dataset", "outcome", "estimate", "ci_low", "ci_high", "ri_pvalue", "n_treated",
                                 "n_never_treated"]].to_dict(orient="records")
        its = did[did["estimator"].str.startswith("pooled ITS")]
        out["pooled_its_rate_ratio"] = its[["dataset", "estimate", "ci_low", "ci_high"]].to_dict(orient="records")
    if (t / "dose_response.csv").is_file():
        dose = pd.read_csv(t / "dose_response.csv")
        cum = dose[(dose["term"] == "cumulative") & (dose["model"] == "quasipoisson_floor1")
                   & (dose["strike_series"] == "spliced")]
        out["dose_cumulative"] = cum[["outcome", "sample", "rate_ratio", "rr_low", "rr_high"]].to_dict(orient="records")
    if (t / "nonstate_share_ucdp.csv").is_file():
        out["ucdp_share"] = pd.read_csv(t / "nonstate_share_ucdp.csv").to_dict(orient="records")
    if (t / "joint_operations.csv").is_file():
        j = pd.read_csv(t / "joint_operations.csv")
        out["is_nusra"] = j[j["pair"] == "ISIL-ANF"][["measure", "count"]].to_dict(orient="records")
    if (t / "strikes_reconciliation.csv").is_file():
        r = pd.read_csv(t / "strikes_reconciliation.csv")
        a = r[r["country"] == "all"]
        out["strikes_overlap"] = {"info_dk": float(a["info_dk"].sum()), "centcom": float(a["centcom"].sum()),
                                  "days_info_only": int(a["days_info_only"].sum()),
                                  "strikes_info_only": float(a["strikes_info_only"].sum()),
                                  "first_day": str(a["first_day"].min()), "last_day": str(a["last_day"].max())}
    if (t / "did_facts.json").is_file():
        out["facts"] = json.loads((t / "did_facts.json").read_text())
    return out


def did_versus_its(tables_dir: str | Path) -> list[str]:
    """One sentence per plot data set setting the staggered DiD beside the pooled ITS, both as proportional
    changes: DiD = overall ATT / the treated countries' counterfactual mean after their first strike; ITS =
    level rate ratio - 1 of the pooled monthly series. Numbers from did_participation.csv."""
    did = pd.read_csv(Path(tables_dir) / "did_participation.csv")
    out = []
    for ds, label in (("nesser", "Nesser (Western Europe)"), ("crenshaw", "Crenshaw et al. (West)")):
        cs = did[(did["dataset"] == ds) & (did["outcome"] == "all") & (did["aggregation"] == "overall")
                 & (did["control_group"] == "never_treated") & (did["covariates"] == "none")
                 & did["estimator"].str.startswith("Callaway")]
        its = did[(did["dataset"] == ds) & did["estimator"].str.startswith("pooled ITS")]
        if cs.empty or its.empty:
            continue
        c, i = cs.iloc[0], its.iloc[0]
        out.append(
            f"{label}: joining the strikes changed plots against the joining country by {c['estimate']:+.3f} per "
            f"country-month (95% CI {c['ci_low']:+.3f} to {c['ci_high']:+.3f}; randomization p = {c['ri_pvalue']:.3f}), "
            f"{c['relative_effect']:+.0%} of what they would have had without striking; the pooled ITS level change for "
            f"all plots in the data set is a rate ratio of {i['estimate']:.2f} ({i['ci_low']:.2f} to {i['ci_high']:.2f}), "
            f"{i['estimate'] - 1:+.0%}. The ITS compares the West before and after August 2014 and absorbs "
            "everything else that changed then; the DiD compares striking with non-striking countries in the same "
            "months and nets out common shocks.")
    return out
