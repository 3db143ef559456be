"""The report: saved tables + figures + build files -> one self-contained HTML file and a PDF of the same HTML.

Every number in the text is computed from the saved files (by the steps before the report) and formatted by
externalize.tables (the same rounding as the tables); the template holds words only. What the evidence says is
read from the registered primary estimands (primary_estimands.csv, one per arm, Holm-adjusted across the
tested primaries) and the statement of each arm (findings.csv); no conclusion is drawn from a count of tests.
"""

from __future__ import annotations

import base64
import hashlib
import json
import platform
import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from externalize import __version__
from externalize.config import StudyConfig, load_study
from externalize.identification import RIVAL_EVENTS
from externalize.paths import PROCESSED_DIR, PROJECT_ROOT, OutputPaths
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
from externalize.vocab import as_bool

TEMPLATES = PROJECT_ROOT / "reports" / "templates"
DEFAULT_OUTPUT = PROJECT_ROOT / "reports" / "output"
#: hypothesised direction of change after the intervention, per event class (the seed's three claims)
def _truthy(v: object) -> bool:
    return as_bool(v)


ARM_TITLES = {"external": "External attacks", "clash": "AQ-IS clashes", "joint": "Joint AQ-IS operations",
              "direct": "The direct test: clashes against external attacks"}


def primary_rows(primary: pd.DataFrame, labels: Mapping[str, str]) -> list[dict[str, str]]:
    """The registered primary estimands as the report shows them: one row per arm, numbers formatted by
    externalize.tables (rate ratio and interval, p, Holm-adjusted p), status and the computed caveat."""
    rows = []
    for r in primary.to_dict("records"):
        tested = str(r.get("status")) == "tested"
        rows.append({"arm": ARM_TITLES.get(str(r["arm"]), str(r["arm"])), "outcome": labels.get(r["outcome"], r["outcome"]),
                     "source": r.get("source", ""), "model": model_name(str(r.get("model", ""))),
                     "inference": str(r.get("inference", "")), "date": str(r.get("date", "")),
                     "direction": str(r.get("direction", "")), "status": str(r.get("status", "")),
                     "estimate": fmt_num(r.get("estimate")) if tested else "–",
                     "ci": fmt_ci(r.get("ci_low"), r.get("ci_high")) if tested else "",
                     "p": fmt_p(r.get("p_value")) if tested else "–", "p_holm": fmt_p(r.get("p_holm")) if tested else "–",
                     "events": f"{fmt_int(r.get('events_pre'))} / {fmt_int(r.get('events_post'))}",
                     # the status is shown beside the caveat, so a caveat that restates it drops the prefix
                     "caveat": str(r.get("caveat", "") or "").removeprefix(f"{r.get('status')}: ")})
    return rows


def rival_rows(rivals: pd.DataFrame, labels: Mapping[str, str]) -> list[dict[str, str]]:
    """The rival-date table as the report shows it: per primary series and candidate date, the level rate
    ratio at that date, whether the date is inside the 95% break-date set, its placebo rank and whether one
    model can separate it from the main date (with the reason)."""
    rows = []
    for r in rivals.to_dict("records"):
        sep = r.get("two_date_separable")
        rows.append({"outcome": labels.get(r["outcome"], r["outcome"]), "candidate": str(r["candidate"]).replace("_", " "),
                     "date": str(r["date"]), "from_main": fmt_int(r.get("months_from_main")),
                     "rr": f"{fmt_num(r.get('rate_ratio'))} {fmt_ci(r.get('rr_ci_low'), r.get('rr_ci_high'))}",
                     "in_set": "yes" if as_bool(r.get("in_confidence_set")) else "no",
                     "rank": f"{fmt_int(r.get('placebo_rank'))} of {fmt_int(r.get('n_eligible'))}",
                     "separable": ("main date" if str(r.get("two_date_reason", "")) == "the main date itself" else
                                   ("yes" if as_bool(sep) else "no") + (f": {r['two_date_reason']}"
                                                                         if isinstance(r.get("two_date_reason"), str)
                                                                         and r["two_date_reason"] else ""))})
    return rows


def direct_rows(direct: pd.DataFrame) -> list[dict[str, str]]:
    """The direct test (clashes against external attacks) row by row: method, the two series, the counts of
    the 2x2 table, the ratio of rate ratios with its interval and p, and its status with the reason."""
    rows = []
    for r in direct.to_dict("records"):
        counts = (f"clashes {fmt_int(r.get('clash_pre'))} → {fmt_int(r.get('clash_post'))}; external "
                  f"{fmt_int(r.get('external_pre'))} → {fmt_int(r.get('external_post'))}")
        rows.append({"method": str(r.get("method", "")),
                     "series": f"{r.get('clash_outcome', '')} vs {r.get('external_outcome', '')}",
                     "periods": f"{r.get('pre_period', '–')} vs {r.get('post_period', '–')}"
                     if isinstance(r.get("pre_period"), str) else "–",
                     "counts": counts, "estimate": f"{fmt_num(r.get('estimate'))} {fmt_ci(r.get('ci_low'), r.get('ci_high'))}",
                     "p": fmt_p(r.get("p_value")), "status": str(r.get("status", "")),
                     "reason": str(r.get("reason", "") or "")})
    return rows


def _simulation_facts(sim: pd.DataFrame, method: str | None) -> dict[str, object]:
    """How the inference method used for the monthly primaries behaves in the simulation study: its size in the
    null scenarios (nominal 0.05; target [0.03, 0.07]), its lowest coverage (target >= 0.93), and the
    scenarios in which it misses either target."""
    if sim.empty or "kind" not in sim or not method:
        return {}
    s = sim[sim["estimator"] == method]
    null = s[s["kind"] == "size"]
    if null.empty:
        return {}
    bad = s[~s["keeps_size"].map(as_bool) | ~s["keeps_coverage"].map(as_bool)] if "keeps_size" in s else s.iloc[:0]
    return {"method": method, "n": fmt_int(len(null)), "reps": fmt_int(s["n_rep"].max()),
            "size_min": fmt_num(null["rejection_rate"].min(), 3), "size_max": fmt_num(null["rejection_rate"].max(), 3),
            "cov_min": fmt_num(s["coverage"].min(), 3),
            "failing": [f"mean {fmt_num(r.mean, 0)}, AR {fmt_num(r.ar, 1)} ({r.kind})" for r in bad.itertuples()],
            "n_scenarios": fmt_int(s["scenario"].nunique())}


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


# ---------------------------------------------------------------- the report step's own tables and figures
#: tables other steps may write; each is shown in its section when present, and said to be absent otherwise.
#: (key, file name pattern in tables/, title, section)
@dataclass(frozen=True)
class ExtraTable:
    """A table another step saved, shown in the report in short form: the rows `keep` selects and the
    `columns` a reader needs (the full table is named beside it)."""

    key: str
    title: str
    section: str
    columns: tuple[str, ...] = ()
    keep: Callable[[pd.DataFrame], pd.Series] | None = None


EXTRA_TABLES: tuple[ExtraTable, ...] = (
    ExtraTable("did_participation", "Coalition participation: difference-in-differences, overall effects",
               "designs", ("dataset", "outcome", "control_group", "covariates", "estimate", "ci_low", "ci_high",
                           "ri_pvalue", "n_treated"),
               lambda d: d["aggregation"].eq("overall")),
    ExtraTable("dose_response", "Dose-response: rate ratio per 100 strikes, summed over lags 0-6", "designs",
               ("outcome", "model", "sample", "rate_ratio", "rr_low", "rr_high", "p_value", "n_months"),
               lambda d: d["term"].eq("cumulative") & d["strike_series"].eq("spliced")),
    ExtraTable("strikes_monthly", "Coalition strikes per month (campaign months)", "designs",
               ("period", "strikes_iraq", "strikes_syria", "strikes", "source", "info_dk", "centcom"),
               lambda d: ~d["zero_by_construction"].map(as_bool)),
    ExtraTable("variants", "Coding variants: counts before and after the main intervention", "robustness",
               ("variant", "outcome", "before", "after", "rate_ratio", "after_minus_primary")),
    ExtraTable("unknown_actor_names", "Actor names the taxonomy does not place", "appendix"),
)
EXTRA_MAX_ROWS = 40


def _table_html(frame: pd.DataFrame, table_class: str = "tbl wrap") -> str:
    """tables.to_html with the class on the table: pandas' Styler drops table attributes when styles are
    excluded, which left every result table without the report's table CSS."""
    html = _identifier_breaks(to_html(frame, table_class=table_class))
    return html.replace("<table>", f'<table class="{table_class}">', 1) if html.startswith("<table>") else html


_TEXT_NODE = re.compile(r">([^<]*_[^<]*)<")


def _identifier_breaks(html: str) -> str:
    """A line-break opportunity (<wbr>) after each underscore in the cells' text, so that an identifier such as
    gtd_0718_degraded can wrap inside a narrow column instead of running into the next one (WeasyPrint sizes
    table columns by the longest unbreakable word; `overflow-wrap: anywhere` would make every character a
    break point, and costs a third of the PDF's layout time). Tags and their attributes are left as they are."""
    return _TEXT_NODE.sub(lambda m: ">" + m.group(1).replace("_", "_<wbr>") + "<", html)


def _fmt_cell(v: object) -> str:
    if isinstance(v, float):
        return fmt_num(v) if not float(v).is_integer() or abs(v) >= 1e4 else fmt_int(v)
    return "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)


def extra_tables(paths: OutputPaths) -> dict[str, dict[str, object]]:
    """Each declared artefact of EXTRA_TABLES: its HTML (first EXTRA_MAX_ROWS rows) when present, else the
    file that is absent."""
    from externalize.artefacts import artefact, read_table

    out: dict[str, dict[str, object]] = {}
    for x in EXTRA_TABLES:
        key, title, section = x.key, x.title, x.section
        art = artefact(key)
        shown_name = f"{art.folder}/{art.filename}"
        frame = read_table(key, paths)
        if frame is None or frame.empty:
            # a file written with no rows is a result (e.g. every actor name is curated), not a missing output
            out[key] = {"title": title, "section": section, "present": False, "file": shown_name,
                        "empty": art.path(paths).is_file()}
            continue
        if x.keep is not None:
            try:
                frame = frame[x.keep(frame).fillna(False).astype(bool)]
            except KeyError:
                pass    # a table of another layout: shown as it is
        if x.columns:
            frame = frame[[c for c in x.columns if c in frame.columns]]
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


def _identification_rows(ident: pd.DataFrame) -> list[dict[str, Any]]:
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


def _fit_warnings(warnings_table: pd.DataFrame) -> list[dict[str, str]]:
    """The fits that carried a warning (fit_warnings.csv: overdispersion, convergence), one row each."""
    if warnings_table.empty:
        return []
    return [{"outcome": str(r["outcome"]), "source": str(r["source"]), "model": str(r["model"]),
             "warning": str(r["warning"]).rstrip(".")} for r in warnings_table.to_dict("records")]


def report_context(output_dir: Path, study: StudyConfig, processed_dir: Path) -> dict[str, object]:
    """Everything the template shows, computed from the saved files."""
    tables = load_tables(output_dir / "tables")
    iv = study.main.name
    labels = {o.name: o.label for o in study.outcomes}
    if tables.get("outcomes", pd.DataFrame()).empty:
        tables["outcomes"] = pd.DataFrame([o.__dict__ for o in study.outcomes])
    primary = tables.get("primary_estimands", pd.DataFrame())
    arm_findings = tables.get("findings", pd.DataFrame())
    method = next((str(m) for m in primary.get("inference", pd.Series(dtype=str))
                   if isinstance(m, str) and "exact" not in m), None) if len(primary) else None
    est = tables.get("estimates", pd.DataFrame())
    ledger = _read_csv(processed_dir / "ledger.csv")
    coverage = _read_csv(processed_dir / "coverage.csv")
    manifest_path = processed_dir / "build_manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    from externalize.designs.notes import SCOPE as DESIGN_SCOPE
    from externalize.designs.notes import did_versus_its
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
        "primary": primary_rows(primary, labels) if len(primary) else [],
        "arm_findings": [{"arm": ARM_TITLES.get(str(r["arm"]), str(r["arm"])), "reading": r["reading"],
                          "statement": r["statement"]} for r in arm_findings.to_dict("records")]
                        if len(arm_findings) else [],
        "direct_test": direct_rows(tables["direct_test"]) if len(tables.get("direct_test", pd.DataFrame())) else [],
        "rival_rows": rival_rows(tables["rival_dates"], labels) if len(tables.get("rival_dates", pd.DataFrame()))
                      else [],
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
        "simulation_facts": _simulation_facts(sim, method),
        "n_boot": fmt_int(boot["n_boot"].iloc[0]) if len(boot) and "n_boot" in boot else None,
        "coverage": _coverage_facts(coverage, registry), "ledger_total": ledger_tot,
        "skipped": manifest.get("skipped", {}), "lower_bound": lower_bound,
        "n_fit_errors": fmt_int(len(errors)),
        "fit_warnings": _fit_warnings(tables.get("fit_warnings", pd.DataFrame())),
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


def layout_problems(document: Any) -> list[str]:
    """What a reader would see as broken in a rendered PDF (a `weasyprint.Document`): tables wider than the
    page's content box (they run into the margin or off the page) and table body rows split across a page
    break (the print CSS forbids it; a row taller than a page would still split). Header rows repeated on each
    page a table runs over are not splits. Returns one sentence per problem, empty when there is none."""
    from weasyprint.formatting_structure import boxes

    problems: list[str] = []
    pages_of_row: dict[Any, set[int]] = {}
    header_rows: set[Any] = set()

    def walk(box: Any, page: int, limit: float) -> None:
        if isinstance(box, boxes.TableBox) and box.margin_width() > limit + 0.5:
            problems.append(f"page {page}: a table is {box.margin_width() - limit:.0f} px wider than the page "
                            f"content ({''.join(box.element.itertext())[:60].split()!r})")
        if isinstance(box, boxes.TableRowGroupBox) and box.is_header:
            header_rows.update(r.element for r in box.children)
        if isinstance(box, boxes.TableRowBox):
            pages_of_row.setdefault(box.element, set()).add(page)
        for child in box.all_children():
            walk(child, page, limit)

    for number, page in enumerate(document.pages, start=1):
        root = page._page_box   # WeasyPrint keeps the laid-out page box here (no public accessor)
        walk(root, number, root.width)
    for element, pages in pages_of_row.items():
        if len(pages) > 1 and element not in header_rows:
            problems.append(f"pages {min(pages)}-{max(pages)}: a table row is split "
                            f"({' '.join(''.join(element.itertext()).split())[:60]!r})")
    return problems


def render_report(output_dir: str | Path | None = None, study: StudyConfig | None = None,
                  processed_dir: str | Path | None = None, pdf: bool = True) -> tuple[Path, Path | None]:
    """Render reports/output/report.html (self-contained) and report.pdf (WeasyPrint, A4, page numbers) from the
    same HTML, laid out once; layout problems (`layout_problems`) are logged as warnings."""
    out = Path(output_dir) if output_dir else DEFAULT_OUTPUT
    study = study or load_study()
    processed = Path(processed_dir) if processed_dir else PROCESSED_DIR
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
    document = weasyprint.HTML(string=html, base_url=str(out)).render()
    for problem in layout_problems(document):
        logging.getLogger(__name__).warning("report.pdf layout: %s", problem)
    document.write_pdf(pdf_path)
    return html_path, pdf_path
