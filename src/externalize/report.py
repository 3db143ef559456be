"""The report: saved tables + figures + build files -> one self-contained HTML file and a PDF of the same HTML.

Every number in the text is computed here from the saved files and formatted by externalize.tables (the same
rounding as the tables); the template holds words only. The findings section is written by `verdicts`, whose
rule is stated in the report:

    For a hypothesised increase, a test *supports* the hypothesis when the lower end of its 95% interval is
    above the no-change value (ratio 1, or 0 for additive estimates); it *contradicts* it when the upper end is
    below; otherwise it is *inconclusive*. For a hypothesised decrease, the mirror image.
"""

from __future__ import annotations

import base64
import hashlib
import json
import platform
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import jinja2
import pandas as pd
from markupsafe import Markup

from externalize import __version__
from externalize.config import StudyConfig, load_study
from externalize.designs.notes import SCOPE as DESIGN_SCOPE
from externalize.designs.notes import did_versus_its
from externalize.identification import RIVAL_EVENTS
from externalize.paths import PROJECT_ROOT, OutputPaths
from externalize.tables import (
    data_table,
    estimates_table,
    fit_stats_table,
    fmt_ci,
    fmt_int,
    fmt_num,
    fmt_p,
    is_finite,
    ledger_table,
    model_name,
    simulation_table,
    to_html,
    yearly_table,
)
from externalize.vocab import term

TEMPLATES = PROJECT_ROOT / "reports" / "templates"
DEFAULT_OUTPUT = PROJECT_ROOT / "reports" / "output"
#: hypothesised direction of change after the intervention, per event class (the seed's three claims)
HYPOTHESIS = {"clash": -1, "joint": +1, "external": +1}
RULE = ("For a hypothesised increase, a test supports the hypothesis when the lower end of its 95% interval "
        "lies above the no-change value (a ratio of 1, or 0 for changes in events per month), contradicts it "
        "when the upper end lies below, and is inconclusive otherwise; for a hypothesised decrease, the mirror "
        "image. Only the level change at the main intervention is judged (slope changes are reported, not "
        "judged). Yearly arms are judged with the exact conditional (Poisson) interval of the post/pre ratio, which "
        "stays valid when a series is zero on one side. A model-based ratio whose Wald interval reaches beyond "
        "1/1000 or 1000 is reported as not estimable: this happens when a series is zero on one side of the "
        "intervention; the means before and after are then given instead. No adjustment is made for the number of tests, so a single 'supports' "
        "among many tests is weak evidence.")
#: ratio intervals beyond [1/DEGENERATE, DEGENERATE] come from a series at zero on one side (boundary fits)
DEGENERATE = 1e3


@dataclass(frozen=True)
class Verdict:
    """One test of one of the seed's claims, with the decision and the numbers behind it."""

    arm: str            # clash | joint | external | comparison | share
    test: str           # outcome or comparison name
    label: str
    model: str
    term: str
    scale: str          # "ratio" or "events per month"
    direction: int      # +1 hypothesised increase, -1 decrease
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    verdict: str        # supports | contradicts | inconclusive | not estimable
    lower_bound: bool = False
    placebo_p: float | None = None
    note: str = ""

    @property
    def null(self) -> float:
        return 1.0 if self.scale == "ratio" else 0.0

    @property
    def hypothesis(self) -> str:
        return ("increase" if self.direction > 0 else "decrease")

    def sentence(self) -> str:
        what = "rate ratio" if self.scale == "ratio" else "change in events per month"
        if self.verdict == "not estimable":
            return (f"{self.label}: the claim is a{'n' if self.direction > 0 else ''} {self.hypothesis}; not "
                    f"estimable ({model_name(self.model)}). {self.note}").strip()
        s = (f"{self.label}: {what} {fmt_num(self.estimate)} (95% CI {fmt_ci(self.ci_low, self.ci_high)}, "
             f"p {'= ' if fmt_p(self.p_value)[0] != '<' else ''}{fmt_p(self.p_value)}; {model_name(self.model)}); "
             f"the claim is a{'n' if self.direction > 0 else ''} {self.hypothesis}: {self.verdict}.")
        if self.placebo_p is not None and is_finite(self.placebo_p):
            s += f" Placebo-in-time p = {fmt_p(self.placebo_p)}."
        if self.lower_bound:
            s += " Counts are lower bounds (perpetrator blanked in part of the source)."
        if self.note:
            s += " " + self.note
        return s


def decide(ci_low: float, ci_high: float, direction: int, null: float) -> str:
    """The stated rule: supports / contradicts / inconclusive from the 95% interval and the claimed sign.

    An exact interval may reach 0 or infinity (a count of zero on one side); only a missing bound makes a
    test not estimable."""
    if pd.isna(ci_low) or pd.isna(ci_high):
        return "not estimable"
    if ci_low > null:
        return "supports" if direction > 0 else "contradicts"
    if ci_high < null:
        return "supports" if direction < 0 else "contradicts"
    return "inconclusive"


def _row(frame: pd.DataFrame, **eq: object) -> pd.Series | None:
    m = pd.Series(True, index=frame.index)
    for k, v in eq.items():
        m &= frame[k].astype(str) == str(v)
    return frame[m].iloc[0] if m.any() else None


def _truthy(v: object) -> bool:
    return str(v).lower() in ("true", "1", "1.0")


def degenerate(lo: float, hi: float) -> bool:
    """A ratio interval reaching beyond [1/DEGENERATE, DEGENERATE] (or not finite): a boundary fit."""
    return not (is_finite(lo) and is_finite(hi)) or lo < 1 / DEGENERATE or hi > DEGENERATE


def _make(arm: str, test: str, label: str, r: pd.Series, direction: int, lower: bool,
          placebo_p: float | None = None, note: str = "", exact: bool = False) -> Verdict:
    ratio = "ratio" in r and (exact or is_finite(r["ratio"]))
    est, lo, hi = ((r["ratio"], r["ratio_ci_low"], r["ratio_ci_high"]) if ratio
                   else (r["estimate"], r["ci_low"], r["ci_high"]))
    scale = "ratio" if ratio else "events per month"
    verdict = decide(float(lo), float(hi), direction, 1.0 if ratio else 0.0)
    if not exact and ratio and verdict != "not estimable" and degenerate(float(lo), float(hi)):
        verdict = "not estimable"
        note = ("The fitted interval is degenerate (a series at or near zero on one side of the intervention). "
                + note).strip()
    return Verdict(arm=arm, test=test, label=label, model=str(r["model"]), term=str(r["term"]), scale=scale,
                   direction=direction, estimate=float(est), ci_low=float(lo), ci_high=float(hi),
                   p_value=float(r["p_value"]), verdict=verdict, lower_bound=lower, placebo_p=placebo_p, note=note)


def verdicts(tables: Mapping[str, pd.DataFrame], *, intervention: str, main_model: str,
             comparisons: Sequence[tuple[str, str, str]] = ()) -> list[Verdict]:
    """Judge each of the seed's claims on every outcome and comparison that tests it (rule: see RULE).

    tables: 'outcomes' (name, frequency, event_class, label, lower_bound), 'estimates', 'yearly_contrast'
    (optional 'placebo_summary'). comparisons: (name, outcome, reference) as in the study config; the
    claimed sign of a comparison is the outcome's claimed sign minus the reference's (clash vs external:
    negative; joint vs clash: positive; external vs a control series: positive).
    """
    outcomes = tables["outcomes"].set_index("name")
    est = tables.get("estimates", pd.DataFrame())
    yc = tables.get("yearly_contrast", pd.DataFrame())
    ps = tables.get("placebo_summary", pd.DataFrame())
    level = term(intervention, "level")
    out: list[Verdict] = []
    for name, o in outcomes.iterrows():
        direction = HYPOTHESIS.get(str(o["event_class"]))
        if direction is None:
            continue   # control series (class 'other') carry no claim
        lower = _truthy(o.get("lower_bound", False))
        if o["frequency"] == "month" and len(est):
            r = _row(est, outcome=name, model=main_model, spec="main", term=level)
            if r is None:
                continue
            pp = _row(ps, outcome=name, model=main_model) if len(ps) else None
            out.append(_make(str(o["event_class"]), str(name), str(o["label"]), r, direction, lower,
                             None if pp is None else float(pp["p_value"])))
        elif o["frequency"] == "year" and len(yc):
            r = _row(yc, outcome=name)
            if r is None:
                continue
            # exact conditional post/pre ratio: valid with a zero count on one side, unlike the GLM's Wald interval
            rr = pd.Series({"model": "exact_yearly", "term": "post", "ratio": r["exact_ratio"],
                            "ratio_ci_low": r["exact_ci_low"], "ratio_ci_high": r["exact_ci_high"],
                            "p_value": r["exact_p_value"]})
            note = (f"Mean per year {fmt_num(r['mean_pre'], 1)} in {r['years_pre']} and {fmt_num(r['mean_post'], 1)} "
                    f"in {r['years_post']}; the intervention year {fmt_num(r['count_intervention_year'], 0)} "
                    "events, left out. Exact Poisson interval: assumes no overdispersion.")
            out.append(_make(str(o["event_class"]), str(name), str(o["label"]), rr, direction, lower, note=note,
                             exact=True))
    for cname, o_name, ref_name in comparisons:
        if o_name not in outcomes.index or ref_name not in outcomes.index or not len(est):
            continue
        o, ref = outcomes.loc[o_name], outcomes.loc[ref_name]
        direction = HYPOTHESIS.get(str(o["event_class"]), 0) - HYPOTHESIS.get(str(ref["event_class"]), 0)
        if direction == 0:
            continue
        direction = 1 if direction > 0 else -1
        lower = _truthy(o.get("lower_bound", False)) or _truthy(ref.get("lower_bound", False))
        term = f"{level}:{o_name}" if o["frequency"] == "month" else f"post:{o_name}"
        label = f"{o['label']} relative to {ref['label']}"
        r = _row(est, outcome=cname, term=term)
        if r is not None:
            out.append(_make("comparison", cname, label, r, direction, lower))
        s = _row(est, outcome=f"{cname}_share", term=level)
        if s is not None:
            out.append(_make("share", f"{cname}_share", f"Share of {o['label']} in the two series", s,
                             direction, lower))
    return out


def _direct_phrase(direct: Sequence[Verdict]) -> str:
    if not direct:
        return "no direct comparison of clashes with external attacks could be made"
    kinds = sorted({v.verdict for v in direct})
    if kinds == ["not estimable"]:
        return "the direct test (clashes against external attacks) could not be estimated"
    return "the direct test (clashes against external attacks) " + " / ".join(kinds)


def summarise_verdicts(vs: Sequence[Verdict]) -> dict[str, object]:
    """Counts per decision and the wording of the overall finding (computed, conditional)."""
    counts = {k: sum(v.verdict == k for v in vs) for k in ("supports", "contradicts", "inconclusive", "not estimable")}
    direct = [v for v in vs if v.arm == "comparison" and v.direction < 0]   # clash vs external
    arms = [a for a in ("external", "clash", "joint", "comparison", "share") if any(v.arm == a for v in vs)]
    by_arm = [{"arm": a, **{k: sum(v.arm == a and v.verdict == k for v in vs) for k in counts}} for a in arms]
    supporting = [r["arm"] for r in by_arm if r["supports"] > 0]
    contradicting = [r["arm"] for r in by_arm if r["contradicts"] > 0]
    direct_ok = bool(direct) and all(v.verdict == "supports" for v in direct)
    if not vs:
        overall = "No test of the hypothesis could be estimated from the data present."
    elif direct_ok and counts["contradicts"] == 0:
        overall = ("The direct test (clashes against external attacks) supports the hypothesis, and no test "
                   "contradicts it.")
    elif counts["supports"] == 0:
        overall = f"No test supports the hypothesis, and {_direct_phrase(direct)}: the evidence here does not support it."
    elif contradicting:
        overall = (f"The evidence is mixed: tests of the {', '.join(supporting)} arm(s) support the hypothesis, "
                   f"tests of the {', '.join(contradicting)} arm(s) contradict it, and {_direct_phrase(direct)}. "
                   "These data do not support the hypothesis as a whole.")
    elif direct_ok:
        overall = "The direct test (clashes against external attacks) supports the hypothesis; no test contradicts it."
    else:
        overall = (f"Some tests of the {', '.join(supporting)} arm(s) support the hypothesis, but "
                   f"{_direct_phrase(direct)}: the hypothesis as a whole is not supported by these data.")
    return {"counts": counts, "n": len(vs), "overall": overall, "by_arm": by_arm}


# ---------------------------------------------------------------- inputs
def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file() or path.stat().st_size <= 1:
        return pd.DataFrame()
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def load_tables(tables_dir: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: _read_csv(p) for p in sorted(Path(tables_dir).glob("*.csv"))}


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "externalize": __version__}
    for pkg in ("pandas", "numpy", "statsmodels", "scipy", "plotnine", "matplotlib", "pyarrow", "jinja2",
                "weasyprint", "rich"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _git_commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"




def figure_context(figdir: Path) -> dict[str, dict[str, object]]:
    """The drawn figures, numbered in the figure registry's order (`figures.FIGURES`, which is the order they
    appear in the report), with their captions and the PNG as a data URI: name -> {number, caption, uri}."""
    from externalize.figures import FIGURES

    drawn = [f for f in FIGURES if (figdir / f"{f.name}.png").is_file()]
    return {f.name: {"name": f.name, "number": k, "caption": f.caption, "uri": _data_uri(figdir / f"{f.name}.png")}
            for k, f in enumerate(drawn, start=1)}


def _coverage_facts(coverage: pd.DataFrame, registry: pd.DataFrame) -> dict[str, object]:
    """What the data can show, from the coverage table: per arm, the sources present that are dated to the
    month or day (with their span and what they measure) and those dated to the year only."""
    if coverage.empty:
        return {}
    cov = coverage[coverage["in_study"].map(_truthy)]
    measures = registry.set_index("source")["measures"] if len(registry) else pd.Series(dtype=str)
    facts: dict[str, object] = {}
    for arm in ("clash", "joint", "external"):
        m = cov[(cov["arm"] == arm) & cov["frequency"].isin(["day", "month"])].sort_values("start")
        y = cov[(cov["arm"] == arm) & (cov["frequency"] == "year")]
        facts[arm] = {
            "monthly": [{"source": r.source, "span": f"{r.start} to {r.end}",
                         "measures": str(measures.get(r.source, ""))} for r in m.itertuples()],
            "yearly_sources": sorted(y["source"].unique()),
        }
    return facts


def _simulation_facts(sim: pd.DataFrame, main_model: str) -> dict[str, str]:
    """Range of the main model's empirical size and coverage across the null scenarios (nominal 0.05 / 0.95)."""
    if sim.empty or "kind" not in sim:
        return {}
    s = sim[(sim["estimator"] == main_model) & (sim["kind"] == "size")]
    if s.empty:
        return {}
    return {"model": model_name(main_model), "n": fmt_int(len(s)),
            "size_min": fmt_num(s["rejection_rate"].min(), 2), "size_max": fmt_num(s["rejection_rate"].max(), 2),
            "cov_min": fmt_num(s["coverage"].min(), 2), "cov_max": fmt_num(s["coverage"].max(), 2),
            "reps": fmt_int(s["n_rep"].max())}


# ---------------------------------------------------------------- the report step's own tables and figures
#: tables other steps may write; each is shown in its section when present, and said to be absent otherwise.
#: (key, file name pattern in tables/, title, section)
EXTRA_TABLES: tuple[tuple[str, str, str], ...] = (
    ("primary_estimands", "Primary estimands, registered before fitting", "estimates"),
    ("rival_dates", "The same models at the dates of rival events", "estimates"),
    ("did_participation", "Coalition participation: difference-in-differences", "designs"),
    ("dose_response", "Dose-response: coalition strike intensity", "designs"),
    ("strikes_monthly", "Coalition strikes per month", "designs"),
    ("break_date_profile", "Break-date profile", "robustness"),
    ("variants", "Coding variants", "robustness"),
    ("unknown_actor_names", "Actor names the taxonomy does not place", "appendix"),
)
EXTRA_MAX_ROWS = 40


def _table_html(frame: pd.DataFrame, table_class: str = "tbl wrap") -> str:
    """tables.to_html with the class on the table: pandas' Styler drops table attributes when styles are
    excluded, which left every result table without the report's table CSS."""
    html = to_html(frame, table_class=table_class)
    return html.replace("<table>", f'<table class="{table_class}">', 1) if html.startswith("<table>") else html


def _fmt_cell(v: object) -> str:
    if isinstance(v, float):
        return fmt_num(v) if not float(v).is_integer() or abs(v) >= 1e4 else fmt_int(v)
    return "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)


def extra_tables(paths: OutputPaths) -> dict[str, dict[str, object]]:
    """Each declared artefact of EXTRA_TABLES: its HTML (first EXTRA_MAX_ROWS rows) when present, else the
    file that is absent."""
    from externalize.artefacts import artefact, read_table

    out: dict[str, dict[str, object]] = {}
    for key, title, section in EXTRA_TABLES:
        art = artefact(key)
        shown_name = f"{art.folder}/{art.filename}"
        frame = read_table(key, paths)
        if frame is None or frame.empty:
            out[key] = {"title": title, "section": section, "present": False, "file": shown_name}
            continue
        shown = frame.head(EXTRA_MAX_ROWS).map(_fmt_cell)
        out[key] = {"title": title, "section": section, "present": True, "file": shown_name,
                    "n_rows": fmt_int(len(frame)), "n_shown": fmt_int(len(shown)),
                    "html": _table_html(shown, "tbl wrap small")}
    return out


def _published_rows(pc: pd.DataFrame) -> list[dict[str, str]]:
    rows = []
    for r in pc.to_dict("records"):
        rows.append({"id": r["claim_id"], "publication": str(r["publication"]), "claim": r["claim"],
                     "period": r["period"], "place": r["place"],
                     "published": "no number" if pd.isna(r["published"]) else fmt_int(r["published"]),
                     "unit": r["unit"], "source": r["source"], "definition": r["definition_here"],
                     "this_data": "not measured" if pd.isna(r["this_data"]) else (
                         fmt_int(r["this_data"]) if float(r["this_data"]).is_integer() else fmt_num(r["this_data"], 1)),
                     "difference": "" if pd.isna(r["difference"]) else f"{int(r['difference']):+d}",
                     "explanation": r["explanation"]})
    return rows


def _case_rows(reg: pd.DataFrame) -> list[dict[str, object]]:
    return [{"case": r["case_id"], "seed": _truthy(r["seed_case"]), "date": r["date"],
             "place": ", ".join(str(x) for x in (r["place"], r["country"]) if pd.notna(x) and str(x)) or "online",
             "class": r["class"], "description": r["description"], "status": r["status"],
             "rows": [] if pd.isna(r["rows_read"]) else str(r["rows_read"]).split(" | ")}
            for r in reg.to_dict("records")]


def _identification_rows(ident: pd.DataFrame) -> list[dict[str, object]]:
    if ident.empty:
        return []
    order = ["external", "clash", "joint", "comparison"]
    out = []
    for arm in [a for a in order if a in set(ident["arm"])]:
        g = ident[ident["arm"] == arm]
        src = g[g["kind"] == "source"]
        out.append({"arm": arm,
                    "can": list(g.loc[g["kind"] == "can", "sentence"]),
                    "cannot": list(g.loc[g["kind"] == "cannot", "sentence"]),
                    "findings": list(g.loc[g["kind"] == "findings", "sentence"]),
                    "sources": [{"source": r["src_source"], "span": f"{r['src_start']} to {r['src_end']}",
                                 "n": fmt_int(r["src_n_window"]), "measures": r["src_measures"]}
                                for r in src.to_dict("records")] if len(src) else []})
    return out


def report_context(output_dir: Path, study: StudyConfig, processed_dir: Path) -> dict[str, object]:
    """Everything the template shows, computed from the saved files."""
    tables = load_tables(output_dir / "tables")
    iv = study.main.name
    labels = {o.name: o.label for o in study.outcomes}
    if tables.get("outcomes", pd.DataFrame()).empty:
        tables["outcomes"] = pd.DataFrame([o.__dict__ for o in study.outcomes])
    vs = verdicts(tables, intervention=iv, main_model=study.models.main_model, comparisons=study.comparisons)
    est = tables.get("estimates", pd.DataFrame())
    ledger = _read_csv(processed_dir / "ledger.csv")
    coverage = _read_csv(processed_dir / "coverage.csv")
    manifest_path = processed_dir / "build_manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    from externalize.registry import load_registry, registry_frame

    registry = registry_frame(load_registry())
    figs = figure_context(output_dir / "figures")

    main_models = [study.models.main_model, "quasipoisson_yearly"]
    main_est = estimates_table(est, iv, models=main_models, labels=labels) if len(est) else pd.DataFrame()
    all_est = estimates_table(est, iv, labels=labels) if len(est) else pd.DataFrame()

    ps, bsum, spec, sim, boot = (tables.get(k, pd.DataFrame()) for k in
                                 ("placebo_summary", "break_summary", "spec_curve", "simulation_study", "bootstrap"))
    placebo_rows = [{"outcome": labels.get(r.outcome, r.outcome), "model": model_name(r.model),
                     "real": fmt_num(r.real_estimate), "p": fmt_p(r.p_value), "n": fmt_int(r.n_placebo)}
                    for r in ps.itertuples()] if len(ps) else []
    break_rows = [{"outcome": labels.get(r.outcome, r.outcome), "sup_f": fmt_num(r.sup_f, 2), "p": fmt_p(r.p_value),
                   "at": r.break_period, "from_iv": fmt_int(r.months_from_intervention)}
                  for r in bsum.itertuples() if is_finite(r.sup_f)] if len(bsum) else []
    spec_facts = {}
    if len(spec):
        ok = spec[spec["error"].isna()] if "error" in spec else spec
        pos = ((ok["ci_low"] > 0)).sum()
        neg = ((ok["ci_high"] < 0)).sum()
        spec_facts = {"n": fmt_int(len(spec)), "n_ok": fmt_int(len(ok)), "n_failed": fmt_int(len(spec) - len(ok)),
                      "n_pos": fmt_int(pos), "n_neg": fmt_int(neg), "n_none": fmt_int(len(ok) - pos - neg),
                      "rows": [{"outcome": labels.get(o, o), "n": fmt_int(len(g)),
                                "pos": fmt_int((g["ci_low"] > 0).sum()), "neg": fmt_int((g["ci_high"] < 0).sum()),
                                "median_z": fmt_num((g["estimate"] / g["std_error"]).median(), 2)}
                               for o, g in ok.groupby("outcome", sort=True)]}
    errors = tables.get("fit_errors", pd.DataFrame())
    yc, fs = tables.get("yearly_contrast", pd.DataFrame()), tables.get("fit_stats", pd.DataFrame())
    ledger_tot = {}
    if len(ledger):
        ledger_tot = {"read": fmt_int(ledger["rows_read"].sum()), "kept": fmt_int(ledger["rows_kept"].sum()),
                      "excluded": fmt_int(ledger["rows_excluded"].sum()), "sources": fmt_int(len(ledger)),
                      "unverified": ", ".join(ledger.loc[~ledger["checksum_verified"].map(_truthy), "source"])
                      if "checksum_verified" in ledger else ""}
    checksums = [{"source": s, "role": role, "sha256": info.get("sha256", ""), "verified": info.get("verified")}
                 for s, files in sorted(manifest.get("sources", {}).items()) for role, info in files.items()]
    lower_bound = [o.label for o in study.outcomes if o.lower_bound]
    study_text = study.path.read_text() if Path(study.path).is_file() else ""
    from externalize.cases import NOT_REGISTERED, unregistered_local_cases
    from externalize.citations import Bibliography

    bib = Bibliography.load()
    reg = tables.get("case_registry", pd.DataFrame())
    unreg = unregistered_local_cases(reg) if len(reg) else pd.DataFrame()
    pc = tables.get("published_counts", pd.DataFrame())
    sc = tables.get("source_comparisons", pd.DataFrame())
    return {
        "identification": _identification_rows(tables.get("identification", pd.DataFrame())),
        "published": _published_rows(pc) if len(pc) else [],
        "source_comparisons": [{k: (fmt_int(v) if isinstance(v, (int, float)) else v) for k, v in r.items()}
                               for r in sc.to_dict("records")] if len(sc) else [],
        "case_registry": _case_rows(reg) if len(reg) else [],
        "unregistered_joint": [{"case": r["case_id"], "place": r["place"], "status": r["status"]}
                               for r in unreg.to_dict("records")] if len(unreg) else [],
        "n_cases": fmt_int(len(reg)),
        "n_cases_registered": fmt_int(reg["status"].str.startswith("registered").sum()) if len(reg) else "0",
        "n_cases_unregistered": fmt_int((reg["status"] == NOT_REGISTERED).sum()) if len(reg) else "0",
        "extra": extra_tables(OutputPaths(processed_dir, output_dir)),
        "cite": lambda key, form="parenthetical": Markup(bib.cite(key, form)),
        "references": [Markup(r) for r in bib.references_html(sorted(bib.by_id, key=_ref_sort(bib)))],
        "bib_checks": bib.verification_rows(sorted(bib.by_id, key=_ref_sort(bib))),
        "rivals": [{"label": r.label, "date": r.date.isoformat(), "source": r.source} for r in RIVAL_EVENTS],
        "title": study.name, "study": study, "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "interventions": [{"name": i.name.replace("_", " "), "date": i.date.isoformat(), "source": i.source,
                           "main": i.name == study.main_intervention} for i in study.interventions],
        "window": f"{study.window_start} to {study.window_end}",
        "years": f"{study.yearly_start} to {study.yearly_end}",
        "main_model": model_name(study.models.main_model),
        "verdicts": vs, "verdict_summary": summarise_verdicts(vs), "rule": RULE,
        "figures": figs,
        "design_scope": DESIGN_SCOPE,
        "did_versus_its": did_versus_its(output_dir / "tables") if (output_dir / "tables" / "did_participation.csv").is_file() else [],
        "tables": {
            "data": _table_html(data_table(coverage, registry)) if len(coverage) else "",
            "ledger": _table_html(ledger_table(ledger)) if len(ledger) else "",
            "main_estimates": _table_html(main_est, "tbl wrap estimates") if len(main_est) else "",
            "all_estimates": _table_html(all_est, "tbl wrap estimates") if len(all_est) else "",
            "yearly": _table_html(yearly_table(yc), "tbl wrap yearly") if len(yc) else "",
            "fit_stats": _table_html(fit_stats_table(fs, labels), "tbl wrap fitstats") if len(fs) else "",
            "fit_errors": _table_html(errors[["outcome", "model", "spec", "error"]]) if len(errors) else "",
        },
        "placebo_rows": placebo_rows, "break_rows": break_rows, "spec": spec_facts,
        "simulation": _table_html(simulation_table(sim), "tbl wrap small") if len(sim) else "",
        "simulation_facts": _simulation_facts(sim, study.models.main_model),
        "n_boot": fmt_int(boot["n_boot"].iloc[0]) if len(boot) and "n_boot" in boot else None,
        "coverage": _coverage_facts(coverage, registry), "ledger_total": ledger_tot,
        "skipped": manifest.get("skipped", {}), "lower_bound": lower_bound,
        "n_fit_errors": fmt_int(len(errors)),
        "checksums": checksums, "versions": _versions(), "git_commit": _git_commit(),
        "build_commit": manifest.get("git_commit", "unknown"),
        "study_config": study_text, "study_sha256": hashlib.sha256(study_text.encode()).hexdigest(),
        "study_path": str(study.path),
    }


def _ref_sort(bib: object):
    """Reference-list order: first author's family name (or the newspaper's name), then year."""
    def key(k: str) -> tuple[str, int]:
        it = bib.by_id[k]  # type: ignore[attr-defined]
        who = (it.get("author") or [{"family": it.get("container-title", "")}])[0].get("family", "")
        return (str(who).lower(), int(it["issued"]["date-parts"][0][0]))
    return key


def render_html(context: Mapping[str, object], templates: Path = TEMPLATES) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    css = (templates / "report.css").read_text()
    return env.get_template("report.html.j2").render(css=css, **context)


def render_report(output_dir: str | Path | None = None, study: StudyConfig | None = None,
                  processed_dir: str | Path | None = None, pdf: bool = True) -> tuple[Path, Path | None]:
    """Render reports/output/report.html (self-contained) and report.pdf (WeasyPrint, A4, page numbers)."""
    from externalize.build import DEFAULT_OUT

    out = Path(output_dir) if output_dir else DEFAULT_OUTPUT
    study = study or load_study()
    processed = Path(processed_dir) if processed_dir else DEFAULT_OUT
    html = render_html(report_context(out, study, processed))
    html_path, pdf_path = out / "report.html", out / "report.pdf"
    out.mkdir(parents=True, exist_ok=True)
    html_path.write_text(html, encoding="utf-8")
    if not pdf:
        return html_path, None
    import logging

    import weasyprint

    # WeasyPrint logs unsupported CSS properties at WARNING; the print CSS is written for it, so keep it quiet
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    weasyprint.HTML(string=html, base_url=str(out)).write_pdf(pdf_path)
    return html_path, pdf_path
