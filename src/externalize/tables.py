"""Report tables: the saved result frames turned into display frames with one rounding rule, and HTML.

Rounding (the same everywhere, text included): estimates, ratios and intervals 3 decimals; p-values 3 decimals
or "<0.001"; counts as integers with thousands separators. The report's text uses these same functions, so a
number in a sentence is the string in the table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pandas as pd

from externalize.models.registry import MODEL_LABELS
from externalize.vocab import as_bool, term

DIGITS = 3
#: table labels: every `fit_its` model from the model registry, and the study's two other fits
MODEL_NAMES = {**MODEL_LABELS, "binomial_share": "binomial logit (share)",
               "quasipoisson_yearly": "quasi-Poisson, yearly"}


def _missing(x: object) -> bool:
    try:
        return x is None or pd.isna(x)
    except (TypeError, ValueError):
        return False


def fmt_num(x: object, digits: int = DIGITS) -> str:
    if _missing(x):
        return "–"
    v = float(x)  # type: ignore[arg-type]
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    # very small or very large values (boundary fits) in scientific notation so that columns stay narrow
    if (v != 0 and abs(v) < 10 ** (-digits)) or abs(v) >= 1e4:
        return f"{v:.{digits - 1}e}"
    out = f"{v:.{digits}f}"
    return "0." + "0" * digits if out == "-0." + "0" * digits else out


def fmt_p(p: object) -> str:
    if _missing(p):
        return "–"
    return "<0.001" if float(p) < 0.001 else f"{float(p):.3f}"  # type: ignore[arg-type]


def fmt_ci(lo: object, hi: object, digits: int = DIGITS) -> str:
    if _missing(lo) or _missing(hi):
        return "–"
    return f"[{fmt_num(lo, digits)}, {fmt_num(hi, digits)}]"


def fmt_int(x: object) -> str:
    if _missing(x):
        return "–"
    return f"{int(round(float(x))):,}"  # type: ignore[arg-type]


def model_name(model: str) -> str:
    return MODEL_NAMES.get(str(model), str(model))


def term_name(name: str, intervention: str) -> str:
    """Readable term: level_iraq_strikes -> 'level change'; post:x -> 'post-period change, x vs reference'."""
    t = str(name)
    if t == term(intervention, "level") or t == "post":
        return "level change"
    if t == term(intervention, "slope"):
        return "slope change (per month)"
    for prefix, what in ((term(intervention, "level") + ":", "level change"), (term(intervention, "slope") + ":", "slope change"),
                         ("post:", "post-period change")):
        if t.startswith(prefix):
            return f"{what}, {t[len(prefix):]} minus reference"
    return t


def estimates_table(estimates: pd.DataFrame, intervention: str, models: Iterable[str] | None = None,
                    specs: Iterable[str] = ("main", "comparison"), labels: Mapping[str, str] | None = None
                    ) -> pd.DataFrame:
    """The effect terms (level, slope, post and their comparative versions) of the chosen fits.

    Count and share models report ratios (rate / odds ratios, exp of the coefficient); OLS / GLS report the
    additive change in events per month (their model name says so).
    """
    e = estimates[estimates["spec"].isin(list(specs))]
    if models is not None:
        e = e[e["model"].isin(list(models))]
    keep = e["term"].map(lambda t: term_name(t, intervention) != str(t))
    # the stacked yearly comparison's shared `post` is the reference's own change, not an effect on the outcome
    keep &= ~((e["spec"] == "comparison") & (e["term"] == "post"))
    e = e[keep]
    rows = []
    for r in e.itertuples(index=False):
        ratio = not _missing(getattr(r, "ratio", None))
        est = fmt_num(r.ratio if ratio else r.estimate)
        ci = fmt_ci(r.ratio_ci_low, r.ratio_ci_high) if ratio else fmt_ci(r.ci_low, r.ci_high)
        rows.append({
            "Outcome": (labels or {}).get(r.outcome, r.outcome), "Source": r.source,
            # count and share models: ratios; OLS / GLS: events per month (said in the model name)
            "Model": model_name(r.model) + ("" if ratio else " (events per month)"),
            "Term": term_name(r.term, intervention), "Estimate [95% CI]": f"{est} {ci}",
            "p": fmt_p(r.p_value),
            "Note": "boundary" if ratio and _boundary(r.ratio_ci_low, r.ratio_ci_high) else "",
        })
    return pd.DataFrame(rows, columns=["Outcome", "Source", "Model", "Term", "Estimate [95% CI]", "p", "Note"])


def _boundary(lo: object, hi: object, limit: float = 1e3) -> bool:
    """A ratio interval beyond [1/limit, limit]: a series at zero on one side, where Wald intervals fail."""
    return not (is_finite(lo) and is_finite(hi)) or float(lo) < 1 / limit or float(hi) > limit  # type: ignore[arg-type]


def yearly_table(yearly_contrast: pd.DataFrame) -> pd.DataFrame:
    """Yearly arms before and after: means, the exact conditional rate ratio (valid with zero counts) and,
    where the data allow it, the quasi-Poisson GLM ratio (a 'boundary' note where its interval degenerates)."""
    y = yearly_contrast
    missing = pd.Series(index=y.index, dtype=float)
    glm_lo, glm_hi = y.get("rr_ci_low", missing), y.get("rr_ci_high", missing)
    return pd.DataFrame({
        "Outcome": y["label"], "Source": y["source"], "Years before": y["years_pre"], "Years after": y["years_post"],
        "Mean per year before": y["mean_pre"].map(lambda v: fmt_num(v, 1)),
        "Mean per year after": y["mean_post"].map(lambda v: fmt_num(v, 1)),
        "Exact rate ratio": y.get("exact_ratio", missing).map(fmt_num),
        "95% CI (exact)": [fmt_ci(lo, hi) for lo, hi in zip(y.get("exact_ci_low", missing),
                                                            y.get("exact_ci_high", missing))],
        "p (exact)": y.get("exact_p_value", missing).map(fmt_p),
        "GLM rate ratio [95% CI]": [f"{fmt_num(r)} {fmt_ci(lo, hi)}" + (" boundary" if _boundary(lo, hi) else "")
                                    for r, lo, hi in zip(y.get("rate_ratio", missing), glm_lo, glm_hi)],
    })


def ledger_table(ledger: pd.DataFrame) -> pd.DataFrame:
    """Rows read, kept, excluded and kept by class per source, with the checksum and balance checks."""
    cols = {"source": "Source", "rows_read": "Rows read", "rows_kept": "Kept", "rows_excluded": "Excluded",
            "class_clash": "Clash", "class_joint": "Joint", "class_external": "External", "class_other": "Other",
            "class_none": "No family actor", "checksum_verified": "Checksum verified", "balances": "Balances"}
    out = pd.DataFrame({new: ledger[old] for old, new in cols.items() if old in ledger})
    for c in out.columns:
        if c not in ("Source", "Checksum verified", "Balances"):
            out[c] = out[c].map(fmt_int)
    for c in ("Checksum verified", "Balances"):
        if c in out:
            out[c] = out[c].map(lambda v: "yes" if as_bool(v) else "NO")
    return out


def data_table(coverage: pd.DataFrame, registry: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per source in the study: what it measures, coverage, frequency, arms, rows kept, present."""
    g = coverage.groupby("source", sort=False).agg(
        arms=("arm", lambda a: ", ".join(sorted(set(map(str, a))))), frequency=("frequency", "first"),
        start=("start", "first"), end=("end", "first"), rows=("rows", "first"), in_study=("in_study", "first"),
    ).reset_index()
    out = pd.DataFrame({"Source": g["source"], "Arms": g["arms"], "Dated to": g["frequency"],
                        "Coverage": g["start"].astype(str) + " – " + g["end"].astype(str),
                        "Rows kept": g["rows"].map(fmt_int),
                        "Present": g["in_study"].map(lambda v: "yes" if as_bool(v) else "no")})
    if registry is not None and len(registry):
        reg = registry.set_index("source")
        # key, title and version in one cell keeps the table readable on an A4 page
        out["Source"] = [f"{s}: {reg['title'].get(s, '')} (version {reg['version'].get(s, '?')})"
                         if s in reg.index else s for s in out["Source"]]
    return out


def fit_stats_table(fit_stats: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    f = fit_stats
    col = lambda name: f[name] if name in f else pd.Series([None] * len(f), index=f.index)  # noqa: E731
    return pd.DataFrame({
        "Outcome": f["outcome"].map(lambda o: (labels or {}).get(o, o)), "Model": f["model"].map(model_name),
        "Spec": col("spec"), "n": col("n").map(fmt_int), "AIC": col("aic").map(lambda v: fmt_num(v, 1)),
        "Dispersion": col("dispersion").map(fmt_num), "HAC lags": col("hac_maxlags").map(fmt_int),
        "Durbin-Watson": col("durbin_watson").map(fmt_num), "Ljung-Box p": col("ljung_box_p").map(fmt_p),
    })


def simulation_table(sim: pd.DataFrame) -> pd.DataFrame:
    """The simulation study, one row per scenario (mean count, AR(1) of the latent process, null or effect) and
    one column per inference method: "rejection rate / interval coverage" (size under the null, power under
    the effect; nominal 0.05 / 0.95). A cell is starred when the method misses its target there (size outside
    [0.03, 0.07] or coverage below 0.93)."""
    if sim.empty:
        return pd.DataFrame()
    cell = []
    for r in sim.itertuples(index=False):
        ok = as_bool(getattr(r, "keeps_size", True)) and as_bool(getattr(r, "keeps_coverage", True))
        cell.append(f"{fmt_num(r.rejection_rate, 3)} / {fmt_num(r.coverage, 3)}" + ("" if ok else " *"))
    f = sim.assign(cell=cell, Scenario=[f"mean {fmt_num(m, 0)}, AR {fmt_num(a, 1)}" for m, a in zip(sim["mean"], sim["ar"])],
                   Kind=sim["kind"].map({"size": "null (size)", "power": "effect (power)"}).fillna(sim["kind"]))
    wide = f.pivot_table(index=["Scenario", "Kind"], columns="estimator", values="cell", aggfunc="first", sort=False)
    return wide.reset_index().rename_axis(columns=None)


def to_html(frame: pd.DataFrame, caption: str | None = None, table_class: str = "tbl wrap") -> str:
    """A plain, self-contained HTML table (no index, no external resources) styled by the report's CSS."""
    styler = frame.style.hide(axis="index").set_table_attributes(f'class="{table_class}"')
    if caption:
        styler = styler.set_caption(caption)
    return styler.to_html(doctype_html=False, exclude_styles=True)


def is_finite(x: object) -> bool:
    return not _missing(x) and math.isfinite(float(x))  # type: ignore[arg-type]
