"""The report: the verdict rule on hand-made estimates, and a render from a minimal hand-made set of tables
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
from externalize.report import Verdict, decide, render_report, summarise_verdicts, verdicts
from externalize.tables import fmt_ci, fmt_int, fmt_num

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("question", "data", "descriptive", "estimates", "robustness", "evidence", "limitations",
            "reproducibility", "appendix")
CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(p).is_file()), None)


# ---------------------------------------------------------------- the decision rule
@pytest.mark.parametrize("lo, hi, direction, null, expected", [
    (1.1, 2.0, +1, 1.0, "supports"),
    (0.5, 0.9, +1, 1.0, "contradicts"),
    (0.9, 1.3, +1, 1.0, "inconclusive"),
    (0.5, 0.9, -1, 1.0, "supports"),
    (1.1, 2.0, -1, 1.0, "contradicts"),
    (0.2, 1.5, +1, 0.0, "supports"),        # additive scale: no change is 0
    (-0.2, 1.5, +1, 0.0, "inconclusive"),
    (1.0, 2.0, +1, 1.0, "inconclusive"),    # an interval touching the null does not exclude it
    (np.nan, 2.0, +1, 1.0, "not estimable"),
])
def test_decide(lo, hi, direction, null, expected):
    assert decide(lo, hi, direction, null) == expected


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


def test_verdicts_follow_the_rule():
    vs = {v.test: v for v in verdicts(_tables(), intervention="iraq_strikes", main_model="quasipoisson",
                                      comparisons=COMPARISONS)}
    # the control series carries no claim; the joint-vs-clash comparison has no estimate here
    assert set(vs) == {"gtd_external_attacks", "plots_western_europe", "ged_clash_events", "ged_joint_events",
                       "monthly_external_vs_local", "monthly_external_vs_local_share", "yearly_clash_vs_external"}
    assert vs["gtd_external_attacks"].verdict == "supports" and vs["gtd_external_attacks"].lower_bound
    assert vs["gtd_external_attacks"].placebo_p == pytest.approx(0.0204)
    assert vs["plots_western_europe"].verdict == "inconclusive"
    assert vs["ged_clash_events"].direction == -1 and vs["ged_clash_events"].verdict == "contradicts"
    assert vs["ged_joint_events"].verdict == "inconclusive"
    # clash relative to external: claimed decrease; the estimate rose -> contradicts
    v = vs["yearly_clash_vs_external"]
    assert v.direction == -1 and v.term == "post:ged_clash_events" and v.verdict == "contradicts"
    assert v.estimate == pytest.approx(3.9223)
    assert vs["monthly_external_vs_local"].direction == +1 and vs["monthly_external_vs_local"].verdict == "supports"
    assert vs["monthly_external_vs_local_share"].verdict == "supports"


def test_zero_count_after_is_judged_by_the_exact_interval_and_shows_the_means():
    t = _tables()
    yc = t["yearly_contrast"]
    # the GLM's Wald interval is degenerate here; the exact interval [0, 0.006] is not
    yc.loc[yc.outcome == "ged_joint_events", ["mean_post", "rate_ratio", "rr_ci_low", "rr_ci_high",
                                              "exact_ratio", "exact_ci_low", "exact_ci_high"]] = \
        [0.0, 1.1e-43, 1.3e-65, 9.7e-22, 0.0, 0.0, 0.006]
    v = next(v for v in verdicts(t, intervention="iraq_strikes", main_model="quasipoisson")
             if v.test == "ged_joint_events")
    assert v.verdict == "contradicts"   # joint operations were claimed to rise
    assert "Mean per year 10.0 in 2008-2013 and 0.0 in 2015-2019" in v.sentence()


def test_missing_interval_is_not_estimable():
    t = _tables()
    yc = t["yearly_contrast"]
    yc.loc[yc.outcome == "ged_joint_events", ["exact_ratio", "exact_ci_low", "exact_ci_high"]] = \
        [float("nan")] * 3
    v = next(v for v in verdicts(t, intervention="iraq_strikes", main_model="quasipoisson")
             if v.test == "ged_joint_events")
    assert v.verdict == "not estimable"


def test_verdicts_additive_model_uses_zero_as_no_change():
    t = _tables()
    vs = verdicts(t, intervention="iraq_strikes", main_model="ols_hac")
    v = next(v for v in vs if v.test == "gtd_external_attacks")
    assert v.scale == "events per month" and v.null == 0.0 and v.verdict == "supports"   # CI [0.1, 0.9]


def _v(arm, direction, verdict):
    return Verdict(arm=arm, test="t", label="l", model="m", term="x", scale="ratio", direction=direction,
                   estimate=1.0, ci_low=0.5, ci_high=2.0, p_value=0.5, verdict=verdict)


def test_overall_wording_is_conditional():
    ok = summarise_verdicts([_v("comparison", -1, "supports"), _v("external", 1, "supports")])
    assert ok["overall"].startswith("The direct test") and "supports the hypothesis, and no test" in ok["overall"]
    mixed = summarise_verdicts([_v("comparison", -1, "supports"), _v("clash", -1, "contradicts")])
    assert "mixed" in mixed["overall"]
    no = summarise_verdicts([_v("comparison", -1, "contradicts"), _v("external", 1, "supports")])
    assert "mixed" in no["overall"] and "do not support the hypothesis as a whole" in no["overall"]
    assert "direct test (clashes against external attacks) contradicts" in no["overall"]
    ne = summarise_verdicts([_v("comparison", -1, "not estimable"), _v("external", 1, "supports")])
    assert "could not be estimated" in ne["overall"] and "not supported" in ne["overall"]
    inc = summarise_verdicts([_v("comparison", -1, "inconclusive"), _v("external", 1, "supports"),
                              _v("joint", 1, "contradicts")])
    assert "external arm(s) support" in inc["overall"] and "joint arm(s) contradict" in inc["overall"]
    assert "inconclusive" in inc["overall"]
    assert ne["by_arm"] == [{"arm": "external", "supports": 1, "contradicts": 0, "inconclusive": 0,
                             "not estimable": 0},
                            {"arm": "comparison", "supports": 0, "contradicts": 0, "inconclusive": 0,
                             "not estimable": 1}]
    none = summarise_verdicts([_v("external", 1, "inconclusive")])
    assert none["overall"].startswith("No test supports")
    assert none["counts"] == {"supports": 0, "contradicts": 0, "inconclusive": 1, "not estimable": 0}


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
    pd.DataFrame({"scenario": ["a_null", "b_null", "c_level"], "term": "level", "kind": ["size", "size", "power"],
                  "estimator": "quasipoisson", "n_rep": 200, "n_ok": 200, "rejection_rate": [0.04, 0.07, 0.81],
                  "rejection_mc_se": 0.015, "coverage": [0.955, 0.93, 0.94], "bias": 0.0, "rmse": 0.1}
                 ).to_csv(out / "tables" / "simulation_study.csv", index=False)
    for name in ("coverage", "forest", "monthly_counts"):
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
    return {"html": html, "pdf": pdf, "text": html.read_text(), "tables": t, "ledger": ledger, "sha": sha}


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
    est = t["estimates"].set_index(["outcome", "term", "model"])
    r = est.loc[("gtd_external_attacks", "level_iraq_strikes", "quasipoisson")]
    # the verdict sentence and the main estimates table show the same strings
    sentence = f"rate ratio {fmt_num(r.ratio)} (95% CI {fmt_ci(r.ratio_ci_low, r.ratio_ci_high)}"
    assert sentence in evidence and sentence == "rate ratio 1.491 (95% CI [1.102, 2.019]"
    estimates = _plain(text.split('id="estimates"')[1].split('id="robustness"')[0])
    assert f"{fmt_num(r.ratio)} {fmt_ci(r.ratio_ci_low, r.ratio_ci_high)}" in estimates
    c = est.loc[("yearly_clash_vs_external", "post:ged_clash_events", "quasipoisson_yearly")]
    assert f"rate ratio {fmt_num(c.ratio)} (95% CI {fmt_ci(c.ratio_ci_low, c.ratio_ci_high)}" in evidence
    assert "Placebo-in-time p = 0.020" in evidence
    # counts of decisions equal the verdict function's
    vs = verdicts(t, intervention="iraq_strikes", main_model="quasipoisson", comparisons=load_study().comparisons)
    s = summarise_verdicts(vs)
    assert (f"Of {s['n']} tests, {s['counts']['supports']} support the hypothesis, "
            f"{s['counts']['contradicts']} contradict it, {s['counts']['inconclusive']} are inconclusive "
            f"and {s['counts']['not estimable']} are not estimable") in evidence
    assert s["overall"] in evidence
    # ledger totals and checksums are the files' values
    data = _plain(text.split('id="data"')[1].split('id="descriptive"')[0])
    lg = rendered["ledger"]
    assert f"{fmt_int(lg.rows_read.sum())} raw rows" in data and "240,695 raw rows" in data
    assert rendered["sha"] in text
    robust = _plain(text.split('id="robustness"')[1].split('id="evidence"')[0])
    # min / max over the two null scenarios only (the power scenario's 0.81 is not a size)
    assert "rejects a true null in 0.04 to 0.07 of replications" in robust
    assert "cover the truth in 0.93 to 0.95 of them" in robust
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
    for name in ("coverage", "monthly_counts", "geography", "counterfactual", "forest", "share", "placebo",
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


@pytest.mark.realdata
def test_seed_cases_in_numbers_from_the_real_build(tmp_path, shared_data_dir):
    """Charlie Hebdo's month in the Crenshaw plot data: a count of at least one launched plot, and the
    12-month means on both sides (the series covers 2014-2015 fully)."""
    from externalize.build import build_study
    from externalize.registry import load_registry
    from externalize.report import seed_case_rows
    reg = load_registry()
    keep = {k: reg[k] for k in ("crenshaw_cym", "nesser_cym")} | {k: v for k, v in reg.items() if not v.is_read}
    build_study(load_study(), shared_data_dir, tmp_path, registry=keep, use_cache=False)
    rows = {r["case"]: r for r in seed_case_rows(tmp_path)}
    assert "C05" in rows and rows["C05"]["class"] == "external"
    assert "crenshaw_cym: 6 in the month (12-month mean before 1.50, after 4.25)" in rows["C05"]["numbers"]
    assert rows["C02"]["numbers"].startswith("no monthly source")   # a statement has no count
