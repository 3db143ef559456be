"""The report: the primary table and the simulation facts from hand-made tables, and a render from a minimal
hand-made set of tables
(self-contained HTML, every section, numbers in the text equal to the table values, a paged PDF). The HTML is
also loaded in headless Chromium when it is installed, and the report is rendered from the real outputs when a
full run has produced them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from externalize.config import load_study
from externalize.report import _simulation_facts, primary_rows, render_report
from externalize.tables import fmt_ci, fmt_int, fmt_num

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("identification", "question", "literature", "data", "descriptive", "published", "estimates", "designs",
            "robustness", "evidence", "limitations", "reproducibility", "references", "appendix")
CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(p).is_file()), None)


# ---------------------------------------------------------------- the primary table
def _primary() -> pd.DataFrame:
    return pd.DataFrame([
        {"arm": "external", "outcome": "plots_west", "source": "crenshaw_cym", "model": "quasipoisson",
         "inference": "nb_ar1_boot", "date": "iraq_strikes", "direction": "increase", "status": "tested",
         "estimate": 3.0312, "ci_low": 1.4903, "ci_high": 6.1656, "p_value": 0.0031, "p_holm": 0.0031,
         "n_pre": 43, "n_post": 29, "events_pre": 46, "events_post": 83,
         "caveat": "the break-date set also holds the caliphate declaration"},
        {"arm": "clash", "outcome": "ged_clash_events", "source": "ucdp_ged_syria_iraq", "model": "exact_2x2",
         "inference": "exact conditional (Fisher)", "date": "iraq_strikes", "direction": "decrease",
         "status": "descriptive", "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan,
         "p_holm": np.nan, "n_pre": 0, "n_post": 5, "events_pre": 0, "events_post": 179,
         "caveat": "0 full pre-years after the AQ-IS split (minimum 3)"},
    ])


def test_primary_rows_format_tested_and_descriptive_arms():
    rows = primary_rows(_primary(), {"plots_west": "Plots in the West"})
    ext, clash = rows
    assert ext["estimate"] == "3.031" and ext["ci"] == "[1.490, 6.166]" and ext["p_holm"] == "0.003"
    assert ext["outcome"] == "Plots in the West" and ext["events"] == "46 / 83"
    assert clash["status"] == "descriptive" and clash["estimate"] == "–" and clash["p_holm"] == "–"
    assert "minimum 3" in clash["caveat"]


def test_simulation_facts_name_the_method_and_where_it_misses():
    sim = pd.DataFrame({"scenario": ["a", "b", "c", "a"], "mean": [2, 10, 10, 2], "ar": [0.0, 0.6, 0.6, 0.0],
                        "kind": ["size", "size", "power", "size"],
                        "estimator": ["nb_ar1_boot", "nb_ar1_boot", "nb_ar1_boot", "quasipoisson"],
                        "n_rep": 1000, "rejection_rate": [0.051, 0.090, 0.7, 0.2], "coverage": [0.949, 0.91, 0.9, 0.8],
                        "keeps_size": [True, False, True, False], "keeps_coverage": [True, False, False, False]})
    f = _simulation_facts(sim, "nb_ar1_boot")
    assert f["size_min"] == "0.051" and f["size_max"] == "0.090" and f["cov_min"] == "0.900"
    assert f["failing"] == ["mean 10, AR 0.6 (size)", "mean 10, AR 0.6 (power)"]
    assert _simulation_facts(sim, None) == {}


def _outcomes() -> pd.DataFrame:
    return pd.DataFrame([
        ("gtd_external_attacks", "month", "gtd_0718_degraded", "external", "External attacks", True),
        ("gtd_local_attacks", "month", "gtd_0718_degraded", "other", "Other attacks", True),
        ("plots_western_europe", "month", "nesser_cym", "external", "Plots in Western Europe", False),
        ("ged_clash_events", "year", "ucdp_ged_syria_iraq", "clash", "AQ-IS clashes", False),
        ("ged_joint_events", "year", "ucdp_ged_syria_iraq", "joint", "AQ-IS joint events", False),
        ("plots_western_europe_yearly", "year", "nesser_cym", "external", "Plots per year", False),
    ], columns=["name", "frequency", "source", "event_class", "label", "lower_bound"]).assign(family="all")


def _est(outcome, term, ratio, lo, hi, model="quasipoisson", spec="main", p=0.01, source="s"):
    est = np.log(ratio) if np.isfinite(ratio) else 0.5
    return {"outcome": outcome, "source": source, "model": model, "spec": spec, "term": term, "estimate": est,
            "std_error": 0.1, "statistic": 2.0, "p_value": p,
            "ci_low": np.log(lo) if np.isfinite(ratio) else 0.1, "ci_high": np.log(hi) if np.isfinite(ratio) else 0.9,
            "ratio": ratio, "ratio_ci_low": lo, "ratio_ci_high": hi}


def _tables() -> dict[str, pd.DataFrame]:
    est = pd.DataFrame([
        _est("gtd_external_attacks", "level_iraq_strikes", 1.4913, 1.1021, 2.0187, p=0.0031),
        _est("gtd_external_attacks", "slope_iraq_strikes", 1.0012, 0.9951, 1.0074, p=0.71),
        _est("gtd_external_attacks", "level_iraq_strikes", np.nan, np.nan, np.nan, model="ols_hac"),
        _est("gtd_local_attacks", "level_iraq_strikes", 1.05, 0.9, 1.2),
        _est("plots_western_europe", "level_iraq_strikes", 1.2, 0.8, 1.8, p=0.37),
        _est("yearly_clash_vs_external", "post", 2.0, 1.2, 3.4, model="quasipoisson_yearly", spec="comparison"),
        _est("yearly_clash_vs_external", "post:ged_clash_events", 3.9223, 1.6166, 9.5170,
             model="quasipoisson_yearly", spec="comparison", p=0.0025),
        _est("monthly_external_vs_local", "level_iraq_strikes:gtd_external_attacks", 1.5372, 1.0862, 2.1754,
             model="poisson", spec="comparison", p=0.015),
        _est("monthly_external_vs_local_share", "level_iraq_strikes", 1.5412, 1.0884, 2.1824,
             model="binomial_share", spec="comparison", p=0.0148),
    ])
    yc = pd.DataFrame([
        {"outcome": "ged_clash_events", "source": "ucdp_ged_syria_iraq", "model": "quasipoisson_yearly",
         "spec": "main", "label": "AQ-IS clashes", "years_pre": "2008-2013", "years_post": "2015-2019",
         "mean_pre": 4.1667, "mean_post": 38.0, "count_intervention_year": 7, "rate_ratio": 7.959,
         "rr_ci_low": 3.8423, "rr_ci_high": 16.4865, "p_value": 2.4e-08, "exact_ratio": 7.959,
         "exact_ci_low": 3.8423, "exact_ci_high": 16.4865, "exact_p_value": 2.4e-08},
        {"outcome": "ged_joint_events", "source": "ucdp_ged_syria_iraq", "model": "quasipoisson_yearly",
         "spec": "main", "label": "AQ-IS joint events", "years_pre": "2008-2013", "years_post": "2015-2019",
         "mean_pre": 10.0, "mean_post": 2.4, "count_intervention_year": 5, "rate_ratio": 0.33,
         "rr_ci_low": 0.07, "rr_ci_high": 1.5, "p_value": 0.2, "exact_ratio": 0.33,
         "exact_ci_low": 0.07, "exact_ci_high": 1.5, "exact_p_value": 0.2},
    ])
    ps = pd.DataFrame([{"model": "quasipoisson", "term": "level_iraq_strikes", "statistic": "t",
                        "real_estimate": 0.3996, "real_value": 2.9, "p_value": 0.0204, "n_placebo": 48,
                        "n_failed": 0, "share_below": 0.98, "outcome": "gtd_external_attacks",
                        "source": "gtd_0718_degraded"}])
    return {"outcomes": _outcomes(), "estimates": est, "yearly_contrast": yc, "placebo_summary": ps}


COMPARISONS = (("monthly_external_vs_local", "gtd_external_attacks", "gtd_local_attacks"),
               ("yearly_clash_vs_external", "ged_clash_events", "plots_western_europe_yearly"),
               ("yearly_joint_vs_clash", "ged_joint_events", "ged_clash_events"))


# ---------------------------------------------------------------- rendering
def _png(path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [0, 1])
    fig.savefig(path, dpi=50)
    plt.close(fig)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    processed = tmp_path_factory.mktemp("processed")
    (out / "tables").mkdir()
    (out / "figures").mkdir()
    t = _tables()
    for name, frame in t.items():
        frame.to_csv(out / "tables" / f"{name}.csv", index=False)
    pd.DataFrame([{"model": "quasipoisson", "n": 84, "aic": 400.12, "dispersion": 1.31, "hac_maxlags": np.nan,
                   "durbin_watson": 1.9, "ljung_box_p": 0.4, "outcome": "gtd_external_attacks", "spec": "main"}]
                 ).to_csv(out / "tables" / "fit_stats.csv", index=False)
    pd.DataFrame([{"outcome": "plots_west", "source": "crenshaw_cym", "model": "ols_hac", "spec": "main",
                   "error": "ValueError: y is zero in every month"}]).to_csv(out / "tables" / "fit_errors.csv",
                                                                              index=False)
    pd.DataFrame({"scenario": ["m2_ar0_null", "m10_ar6_null", "m10_ar6_effect"], "mean": [2, 10, 10],
                  "ar": [0.0, 0.6, 0.6], "term": "level", "kind": ["size", "size", "power"],
                  "estimator": "nb_ar1_boot", "n_rep": 1000, "n_ok": 1000, "rejection_rate": [0.04, 0.07, 0.81],
                  "rejection_mc_se": 0.007, "coverage": [0.955, 0.93, 0.94], "keeps_size": True,
                  "keeps_coverage": True}).to_csv(out / "tables" / "simulation_study.csv", index=False)
    primary = _primary()
    primary.to_csv(out / "tables" / "primary_estimands.csv", index=False)
    from externalize.findings import arm_statements
    arm_statements(primary).to_csv(out / "tables" / "findings.csv", index=False)
    for name in ("coverage", "forest", "monthly_external"):
        _png(out / "figures" / f"{name}.png")
    ledger = pd.DataFrame([
        {"source": "gtd_0718_degraded", "rows_read": 181690, "rows_kept": 181690, "rows_excluded": 0,
         "class_clash": 0, "class_joint": 3, "class_external": 412, "class_other": 2100, "class_none": 179175,
         "checksum_verified": True, "balances": True},
        {"source": "ucdp_ged_syria_iraq", "rows_read": 59005, "rows_kept": 59001, "rows_excluded": 4,
         "class_clash": 300, "class_joint": 40, "class_external": 0, "class_other": 5000, "class_none": 53661,
         "checksum_verified": True, "balances": True}])
    ledger.to_csv(processed / "ledger.csv", index=False)
    pd.DataFrame([("gtd_0718_degraded", "external", "day", "1970-01", "2017-12", 181690, True),
                  ("ucdp_ged_syria_iraq", "clash", "year", "2003-01", "2019-12", 59001, True),
                  ("ucdp_ged_syria", "clash", "day", "2016-01", "2019-11", 16566, True)],
                 columns=["source", "arm", "frequency", "start", "end", "rows", "in_study"]
                 ).to_csv(processed / "coverage.csv", index=False)
    sha = "ab" * 32
    (processed / "build_manifest.json").write_text(json.dumps({
        "git_commit": "0123abc", "sources": {"gtd_0718_degraded": {"main": {"path": "x", "sha256": sha,
                                                                           "verified": True}}},
        "skipped": {"gtd_full": "researcher-supplied release not present"}}))
    html, pdf = render_report(out, load_study(), processed)
    return {"html": html, "pdf": pdf, "text": html.read_text(), "tables": t, "ledger": ledger, "sha": sha,
            "processed": processed, "primary": primary}


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("src", "href") and v is not None:
                self.refs.append((tag, k, v))
            if k == "id":
                self.ids.add(v)


def test_html_is_self_contained_with_every_section(rendered):
    p = _Refs()
    p.feed(rendered["text"])
    imgs = [v for tag, k, v in p.refs if k == "src"]
    assert len(imgs) == 3 and all(v.startswith("data:image/png;base64,") for v in imgs)
    # the only hrefs are links (in-page anchors or web addresses), never stylesheets or scripts
    assert all(tag == "a" and (v.startswith("#") or v.startswith("http")) for tag, k, v in p.refs if k == "href")
    assert "<link" not in rendered["text"] and "<script" not in rendered["text"]
    assert set(SECTIONS) <= p.ids


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_numbers_in_the_text_equal_the_tables(rendered):
    text, t = rendered["text"], rendered["tables"]
    evidence = _plain(text.split('id="evidence"')[1].split('id="limitations"')[0])
    estimates = _plain(text.split('id="estimates"')[1].split('id="designs"')[0])
    p = rendered["primary"].set_index("arm")
    ext = p.loc["external"]
    # the primary table and the arm statement show the registered estimand's numbers, never a count of tests
    assert f"{fmt_num(ext.estimate)} {fmt_ci(ext.ci_low, ext.ci_high)}" in estimates
    assert "3.031 [1.490, 6.166]" in estimates
    assert "rate ratio 3.03 [1.49, 6.17]" in evidence and "in the predicted direction" in evidence
    assert "not tested" in evidence and "minimum 3" in evidence
    assert "support the hypothesis" not in evidence and " tests, " not in evidence
    # secondary estimates keep their own numbers
    est = t["estimates"].set_index(["outcome", "term", "model"])
    r = est.loc[("gtd_external_attacks", "level_iraq_strikes", "quasipoisson")]
    assert f"{fmt_num(r.ratio)} {fmt_ci(r.ratio_ci_low, r.ratio_ci_high)}" in estimates
    # ledger totals and checksums are the files' values
    data = _plain(text.split('id="data"')[1].split('id="descriptive"')[0])
    lg = rendered["ledger"]
    assert f"{fmt_int(lg.rows_read.sum())} raw rows" in data and "240,695 raw rows" in data
    assert rendered["sha"] in text
    robust = _plain(text.split('id="robustness"')[1].split('id="evidence"')[0])
    # min / max over the two null scenarios only (the power scenario's 0.81 is not a size)
    assert "rejects a true null in 0.040 to 0.070 of replications" in robust
    assert "cover the truth in at least 0.930 of them" in robust
    # the clash arm's monthly start is read from the coverage table
    assert "ucdp_ged_syria (2016-01 to 2019-11;" in data
    limits = _plain(text.split('id="limitations"')[1].split('id="reproducibility"')[0])
    assert "Clash arm, sources dated to the month: ucdp_ged_syria from 2016-01 to 2019-11" in limits


def _pdf_pages(path: Path) -> int:
    """Page count by pypdf if installed, else poppler's pdfinfo, else by counting page objects in the file."""
    try:
        from pypdf import PdfReader

        return len(PdfReader(str(path)).pages)
    except ImportError:
        pass
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        return int(re.search(r"Pages:\s+(\d+)", info).group(1))
    n = len(re.findall(rb"/Type\s*/Page(?!s)", path.read_bytes()))
    if n == 0:
        pytest.skip("neither pypdf nor pdfinfo is installed and the PDF's page objects are compressed")
    return n


def test_pdf_has_the_expected_pages(rendered):
    pdf = rendered["pdf"]
    assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-"
    # three sections start on a new page (evidence, reproducibility, appendix): at least 4 pages
    n = _pdf_pages(pdf)
    assert n >= 4
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
        # A4 is 595.28 x 841.89 points; tolerance 0.5 pt for rounding
        assert abs(float(size.group(1)) - 595.28) < 0.5 and abs(float(size.group(2)) - 841.89) < 0.5


def _chromium_console(html: Path) -> tuple[str, str]:
    proc = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--enable-logging=stderr", "--v=0", "--dump-dom", html.as_uri()],
                          capture_output=True, text=True, timeout=120)
    return proc.stdout, proc.stderr


def _console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines()
            if "CONSOLE" in line or "Uncaught" in line or "Failed to load resource" in line]


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium): "
                                            "the headless HTML check is skipped")
def test_html_loads_in_headless_chromium(rendered, tmp_path):
    # the detector itself: a page with a script error must be caught
    bad = tmp_path / "bad.html"
    bad.write_text('<html><body><script>console.error("boom"); notDefined();</script></body></html>')
    assert len(_console_errors(_chromium_console(bad)[1])) >= 1
    dom, stderr = _chromium_console(rendered["html"])
    assert 'id="evidence"' in dom and "What the evidence says" in dom
    assert _console_errors(stderr) == []


@pytest.mark.slow
@pytest.mark.slow
@pytest.mark.realdata
def test_one_command_reproduces_everything_from_the_real_releases(tmp_path, shared_data_dir):
    """The whole pipeline on the real releases into a fresh folder: every figure, a self-contained HTML report
    that loads without console errors, a PDF with all its pages; a second run skips every step."""
    from externalize.pipeline import STEP_ORDER, run_pipeline
    out, processed = tmp_path / "output", tmp_path / "processed"
    first = run_pipeline(data_dir=shared_data_dir, output_dir=out, processed_dir=processed)
    assert [o.status for o in first] == ["ran"] * len(STEP_ORDER)
    ledger = pd.read_csv(processed / "ledger.csv")
    assert ledger["balances"].all() and ledger["checksum_verified"].all() and len(ledger) >= 20
    for name in ("coverage", "monthly_external", "geography", "counterfactual", "forest", "share", "placebo",
                 "break_sweep", "spec_curve"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 10_000, name
        assert (out / "figures" / f"{name}.csv").is_file(), name
    html, pdf = out / "report.html", out / "report.pdf"
    p = _Refs()
    p.feed(html.read_text())
    assert set(SECTIONS) <= p.ids
    assert all(v.startswith("data:") for tag, k, v in p.refs if k == "src")
    assert _pdf_pages(pdf) >= 20
    if CHROMIUM is not None:
        _, stderr = _chromium_console(html)
        assert _console_errors(stderr) == []
    second = run_pipeline(data_dir=shared_data_dir, output_dir=out, processed_dir=processed)
    assert [o.status for o in second] == ["skipped"] * len(STEP_ORDER)


# ---------------------------------------------------------------- table formatting
def test_number_formats():
    from externalize.tables import fmt_p

    assert fmt_num(1.49134) == "1.491" and fmt_num(-0.0) == "0.000" and fmt_num(np.nan) == "–"
    assert fmt_num(3.03e10) == "3.03e+10" and fmt_num(1.13e-40) == "1.13e-40" and fmt_num(np.inf) == "inf"
    assert fmt_p(0.0004) == "<0.001" and fmt_p(0.0204) == "0.020" and fmt_p(None) == "–"
    assert fmt_ci(0.5, 2.0) == "[0.500, 2.000]" and fmt_int(181690.0) == "181,690"


def test_estimates_table_keeps_effect_terms_and_flags_boundary_fits():
    from externalize.tables import estimates_table

    t = _tables()["estimates"]
    extra = pd.DataFrame([_est("ged_joint_events", "post", 1.1e-43, 1.3e-65, 9.7e-22, model="quasipoisson_yearly"),
                          _est("gtd_external_attacks", "time", 1.01, 1.0, 1.02)])
    tab = estimates_table(pd.concat([t, extra], ignore_index=True), "iraq_strikes")
    # `time` is no effect; the stacked comparison's shared `post` is the reference's change: both left out
    assert len(tab) == len(t) + 1 - 1
    assert (tab["Term"] == "time").sum() == 0
    ols = tab[tab["Model"].str.startswith("OLS")]
    assert len(ols) == 1 and ols["Model"].item().endswith("(events per month)")
    assert ols["Estimate [95% CI]"].item() == "0.500 [0.100, 0.900]"   # additive scale, not a ratio
    assert tab.loc[tab["Outcome"] == "ged_joint_events", "Note"].item() == "boundary"
    assert (tab["Note"] == "boundary").sum() == 1


# ---------------------------------------------------------------- the report's own tables (issue "Report v2")
def _full_processed(processed: Path) -> None:
    """A small classified event table and monthly series: two plot cells of the real case links (Charlie
    Hebdo's month in Nesser and Crenshaw), the GED row linked to Arsal, Nesser plots per year."""
    rows = [("nesser_cym", "France:2015-1:launched", "2015-01-01", "France", "launched", 1, "external",
             "jihadist (unnamed)", None),
            ("crenshaw_cym", "France:2015-1:launched", "2015-01-01", "France", "launched", 2, "external",
             "jihadist (unnamed)", None),
            ("crenshaw_cym", "US:2015-12:launched", "2015-12-01", "US", "launched", 1, "external",
             "jihadist (unnamed)", None),
            ("nesser_cym", "Belgium:2016-3:launched", "2016-03-01", "Belgium", "launched", 1, "external",
             "jihadist (unnamed)", None),
            ("nesser_cym", "France:2010-5:foiled", "2010-05-01", "France", "foiled", 3, "external",
             "jihadist (unnamed)", None),
            ("ucdp_ged_syria_iraq", "156771", "2014-01-01", "Lebanon", None, 1, "other", "Government of Lebanon",
             "IS")]
    ev = pd.DataFrame(rows, columns=["source", "event_id", "date", "country", "plot_status", "n", "event_class",
                                     "side_a", "side_b"])
    ev["date"] = pd.to_datetime(ev["date"])
    ev["year"] = ev["date"].dt.year
    ev["date_precision"] = np.where(ev["source"] == "ucdp_ged_syria_iraq", "year", "month")
    ev["relation"] = np.where(ev["source"] == "ucdp_ged_syria_iraq", "fighting", "plot")
    ev["family_a"] = "JIH"
    ev.to_parquet(processed / "events.parquet", index=False)
    per = pd.period_range("2011-01", "2017-12", freq="M").astype(str)
    counts = (np.arange(len(per)) % 4).astype(float)
    pd.DataFrame({"source": "nesser_cym", "event_class": "external", "family": "all", "period": per,
                  "count": counts, "fatalities": np.nan, "in_coverage": True}
                 ).to_parquet(processed / "series_monthly.parquet", index=False)
    cov = pd.read_csv(processed / "coverage.csv")
    cov = pd.concat([cov, pd.DataFrame([("nesser_cym", "external", "month", "1994-01", "2021-12", 230, True)],
                                       columns=cov.columns)], ignore_index=True)
    cov.to_csv(processed / "coverage.csv", index=False)


@pytest.fixture(scope="module")
def rendered_full(rendered, tmp_path_factory):
    """The minimal render plus an event table, a monthly series and one table of another step."""
    out = tmp_path_factory.mktemp("out_full")
    processed = tmp_path_factory.mktemp("processed_full")
    shutil.copytree(rendered["html"].parent / "tables", out / "tables")
    shutil.copytree(rendered["html"].parent / "figures", out / "figures")
    src = rendered["html"].parent.parent
    for f in rendered["processed"].iterdir():
        shutil.copy(f, processed / f.name)
    _full_processed(processed)
    from externalize.evidence import write_evidence

    write_evidence(out, load_study(), processed)     # the findings step's tables, which the report renders
    html, _ = render_report(out, load_study(), processed, pdf=False)
    return {"text": html.read_text(), "out": out, "src": src}


def _section(text: str, name: str) -> str:
    return _plain(text.split(f'id="{name}"')[1].split("</section>")[0])


@pytest.mark.slow   # shares a render with figures (~15 s)
def test_report_opens_with_what_the_data_can_identify(rendered_full):
    text = rendered_full["text"]
    first = re.search(r'<section id="([a-z]+)"', text).group(1)
    assert first == "identification"
    ident = pd.read_csv(rendered_full["out"] / "tables" / "identification.csv")
    body = _section(text, "identification")
    sentences = ident.loc[ident["kind"].isin(["can", "cannot", "findings"]), "sentence"]
    assert len(sentences) >= 6
    for s in sentences:
        assert _plain(s.replace("'", "&#39;")) in body
    assert "No source here dates AQ-IS clashes month by month" in body
    # the hand-made series counts i % 4 in its i-th month from 2011-01; 2013-08 .. 2015-08 are months 31 .. 55
    assert f"nesser_cym ({sum(i % 4 for i in range(31, 56))})" in body


@pytest.mark.slow   # shares a render with figures (~15 s)
def test_published_counts_and_cases_come_from_the_saved_tables(rendered_full):
    text, out = rendered_full["text"], rendered_full["out"]
    pc = pd.read_csv(out / "tables" / "published_counts.csv").set_index("claim_id")
    pub = _section(text, "published")
    # V1a: Nesser launched June 2014 - June 2017 in the fixture: France 2015-01 (1) + Belgium 2016-03 (1) = 2
    assert pc.loc["V1a", "this_data"] == 2 and "2 (-49)" in pub
    assert pc.loc["V1c", "this_data"] == 3 and "3 (-48)" in pub
    assert "395 killed" in pub and "not measured" in pub
    reg = pd.read_csv(out / "tables" / "case_registry.csv").set_index("case_id")
    cases = _section(text, "descriptive")
    assert reg.loc["C01", "status"] == "linked, not as joint: the linked rows are coded other"
    assert "C01 Arsal (linked, not as joint" in cases and "C03 Atarib, Aleppo governorate (not registered" in cases
    assert "not registered as joint events by any source here" in cases
    assert reg.loc["C05", "status"].startswith("registered as external (only in country-month plot counts")
    assert cases.count("statement (no count series)") == (reg["status"] == "statement (no count series)").sum()


@pytest.mark.slow   # shares a render with figures (~15 s)
def test_every_number_in_the_new_sections_is_in_a_saved_file(rendered_full):
    """Each number in the opening, literature, cases and reconciliation text appears in a saved table of the
    run, the study config, the case catalogue or the bibliography: nothing typed into the template."""
    text, out = rendered_full["text"], rendered_full["out"]
    corpus = " ".join(p.read_text() for p in (out / "tables").glob("*.csv"))
    corpus += (ROOT / "analysis" / "study.toml").read_text() + (ROOT / "reports" / "bibliography.json").read_text()
    corpus += (ROOT / "data" / "cases" / "cases.csv").read_text()
    corpus = corpus.replace(",", "")
    missing = []
    for name in ("identification", "literature", "descriptive", "published"):
        body = _section(text, name).split("Figure 2")[0] if name == "descriptive" else _section(text, name)
        body = body + (_section(text, "descriptive").split("The cases:")[1] if name == "descriptive" else "")
        for tok in re.findall(r"(?<![\w-])[-+]?\d[\d,]*(?:\.\d+)?", body):
            t = tok.replace(",", "").lstrip("+")
            if t.lstrip("-") not in corpus:
                missing.append((name, tok))
    assert not missing, missing


@pytest.mark.slow   # shares a render with figures (~15 s)
def test_tables_of_other_steps_shown_when_present_and_named_when_absent(rendered_full):
    est = _section(rendered_full["text"], "estimates")
    assert "3.031 [1.490, 6.166]" in est and "descriptive" in est     # the registered primaries, rendered
    assert "Not produced by this run: tables/rival_dates.csv is absent" in est
    designs = _section(rendered_full["text"], "designs")
    assert designs.count("Not produced by this run") == 3 and "8. Other designs" in designs


@pytest.mark.slow   # shares a render with figures (~15 s)
def test_literature_cites_every_reference_and_lists_it(rendered_full):
    from externalize.citations import Bibliography

    text = rendered_full["text"]
    lit = _section(text, "literature")
    refs = _section(text, "references")
    bib = Bibliography.load()
    for key in bib.by_id:
        label = _plain(bib.cite(key, "narrative"))
        short = _plain(bib.cite(key))
        assert any(x in lit or x in _plain(text) for x in (label, short, label.replace("'", "&#39;"))), key
        title = _plain(bib.by_id[key]["title"])
        assert title in refs or title.replace("'", "&#39;") in refs, key


def test_the_report_only_renders_what_earlier_steps_saved(tmp_path):
    """The derived tables (identification, case registry, published counts) and the per-arm figures are made
    by the findings and figures steps and are inputs of the report step, which writes only the HTML and PDF
    (so a render never makes the next run render again)."""
    import io

    from rich.console import Console

    from externalize.paths import OutputPaths
    from externalize.pipeline import Context, default_steps

    paths = OutputPaths(tmp_path / "p", tmp_path / "out")
    ctx = Context(study=load_study(), study_path=load_study().path, data_dir=None, paths=paths,
                  console=Console(file=io.StringIO()))
    (paths.figures).mkdir(parents=True)
    (paths.figures / "monthly_external.png").write_text("x")
    steps = default_steps()
    inputs = set(steps["report"].inputs(ctx))
    assert {paths.tables / "estimates.csv", paths.tables / "identification.csv",
            paths.tables / "case_registry.csv", paths.figures} <= inputs
    assert set(steps["report"].outputs(ctx)) == {paths.output / "report.html", paths.output / "report.pdf"}
    assert paths.tables / "identification.csv" in steps["findings"].optional_outputs(ctx)
    assert ROOT / "reports" / "bibliography.json" in inputs


def test_figures_are_placed_in_the_report_in_registry_order():
    """The template places every registered figure once, in the registry's order, so that the numbers the
    registry gives (Figure 1, 2, ...) increase through the report."""
    from externalize.figures import FIGURE_NAMES

    template = (ROOT / "reports" / "templates" / "report.html.j2").read_text()
    placed = re.findall(r'fig\("(\w+)"', template)
    assert placed == list(FIGURE_NAMES)


def _weasy(html: str):
    import logging

    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    return weasyprint.HTML(string=html).render()


def test_layout_problems_finds_wide_tables_and_split_rows_only():
    from externalize.report import layout_problems

    page = "<style>@page { size: A5; margin: 10mm } td { border: 1px solid }</style>"
    ok = page + "<table><thead><tr><th>h</th></tr></thead><tbody>" + "<tr><td>row</td></tr>" * 80 + "</tbody></table>"
    assert layout_problems(_weasy(ok)) == []                # runs over pages; only the header row repeats
    wide = page + "<table style='width: 300mm'><tr><td>wide</td></tr></table>"
    found = layout_problems(_weasy(wide))
    assert len(found) == 1 and "wider than the page" in found[0] and "page 1" in found[0]
    tall = page + "<p>x</p><table><tr><td>" + "<br>".join(["line"] * 80) + "</td></tr></table>"
    found = layout_problems(_weasy(tall))
    assert len(found) == 1 and "row is split" in found[0]


@pytest.mark.slow
def test_the_rendered_report_has_no_layout_problems(rendered):
    from externalize.report import layout_problems

    assert layout_problems(_weasy(rendered["text"])) == []



def test_pdf_shows_each_checksum_on_one_line(tmp_path):
    # a sha256 is copied from the PDF to check a file: with the report's CSS it breaks only where it would overflow
    # its cell, and in a checksum table like the real one (source names up to 24 characters) it does not (with
    # `word-break: break-all` every hash ran over two lines)
    import hashlib
    import logging

    pypdf = pytest.importorskip("pypdf")
    weasyprint = pytest.importorskip("weasyprint")
    from externalize.report import TEMPLATES

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    hashes = [hashlib.sha256(str(k).encode()).hexdigest() for k in range(12)]
    rows = "".join(f"<tr><td>airstrikes_information_{k:02d}</td><td>codebook</td><td class='hash'>{h}</td>"
                   f"<td>yes</td></tr>" for k, h in enumerate(hashes))
    html = (f"<html><head><style>{(TEMPLATES / 'report.css').read_text()}</style></head><body>"
            "<table class='tbl mono'><thead><tr><th>Source</th><th>File role</th><th>sha256</th>"
            f"<th>Matches registry</th></tr></thead><tbody>{rows}</tbody></table></body></html>")
    weasyprint.HTML(string=html).write_pdf(tmp_path / "sums.pdf")
    text = pypdf.PdfReader(tmp_path / "sums.pdf").pages[0].extract_text()
    assert all(h in text for h in hashes)


def test_identifiers_in_table_cells_can_wrap_at_underscores_and_attributes_are_untouched():
    from externalize.report import _identifier_breaks

    html = '<table id="T_ab_cd"><tr><td class="row0 col_1">gtd_0718_degraded</td><td>a &lt; b</td></tr></table>'
    out = _identifier_breaks(html)
    assert '<td class="row0 col_1">gtd_<wbr>0718_<wbr>degraded</td>' in out
    assert 'id="T_ab_cd"' in out and "<td>a &lt; b</td>" in out


def test_a_table_written_without_rows_is_reported_as_empty_not_absent(tmp_path):
    from externalize.artefacts import artefact
    from externalize.paths import OutputPaths
    from externalize.report import extra_tables

    paths = OutputPaths(tmp_path / "p", tmp_path / "out")
    empty = artefact("unknown_actor_names").path(paths)
    empty.parent.mkdir(parents=True)
    empty.write_text("source,scheme,name,mapped_as,rows,first_year,last_year\n")
    tables = extra_tables(paths)
    assert tables["unknown_actor_names"]["present"] is False and tables["unknown_actor_names"]["empty"] is True
    absent = [k for k, v in tables.items() if k != "unknown_actor_names"]
    assert absent and all(tables[k]["empty"] is False for k in absent)


def test_fit_warnings_are_listed_in_the_report_context():
    from externalize.report import _fit_warnings

    table = pd.DataFrame({"outcome": ["x"], "source": ["s"], "model": ["binomial_share"], "spec": ["c"],
                          "warning": ["OverdispersionWarning: chi2/df = 1.84 > 1.5"]})
    assert _fit_warnings(table) == [{"outcome": "x", "source": "s", "model": "binomial_share",
                                     "warning": "OverdispersionWarning: chi2/df = 1.84 > 1.5"}]
    assert _fit_warnings(pd.DataFrame()) == []
