"""Figures on hand-made frames: each data function computes what it should, each plot has its key layers, and
save_figure writes the PNG (drawn once, the pixels of plotnine's own save) and the frame as CSV. The coverage figure must show the external arm monthly across
2014 and the clash / joint arms yearly before 2016."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotnine as p9
import pytest

from externalize import figures as F
from externalize.config import load_study


@pytest.fixture(scope="module")
def study():
    return load_study()


def _geoms(plot: p9.ggplot) -> list[str]:
    return [type(layer.geom).__name__ for layer in plot.layers]


def _monthly(months: pd.PeriodIndex) -> pd.DataFrame:
    rows = []
    for source, cls, counts, cover in (
        ("gtd_0718_degraded", "external", np.arange(len(months)) % 5, np.ones(len(months), bool)),
        ("gtd_0718_degraded", "joint", np.zeros(len(months)), np.ones(len(months), bool)),   # never non-zero
        ("ucdp_ged_syria", "clash", np.full(len(months), 3.0), np.asarray(months >= pd.Period("2016-01", "M"))),
    ):
        c = counts.astype(float).copy()
        c[~cover] = np.nan
        rows.append(pd.DataFrame({"source": source, "event_class": cls, "family": "all", "period": months.astype(str),
                                  "count": c, "fatalities": np.nan, "in_coverage": cover}))
    # a family-specific row that must not enter the family "all" figure
    rows.append(rows[0].assign(family="IS"))
    return pd.concat(rows, ignore_index=True)


def test_monthly_counts_data_keeps_covered_nonzero_series(study, tmp_path):
    months = pd.period_range("2014-01", "2016-12", freq="M")
    f = F.monthly_counts_data(_monthly(months))
    # the all-zero joint series is dropped; GED only inside its coverage (from 2016-01)
    assert set(zip(f.source, f.event_class)) == {("gtd_0718_degraded", "external"), ("ucdp_ged_syria", "clash")}
    ged = f[f.source == "ucdp_ged_syria"]
    assert ged["period"].min() == "2016-01" and len(ged) == 12
    assert len(f[f.source == "gtd_0718_degraded"]) == len(months)   # family "IS" rows not added
    ext = F.arm_counts_data(_monthly(months), "external", "2014-01", "2016-12")
    registry = pd.DataFrame({"case_id": ["C01", "C02"], "date": ["2014-08-02", "2015-01-07"],
                             "class": ["joint", "external"]})
    c = F.arm_cases_data(registry, {("C02", "gtd_0718_degraded")}, ext, "external")
    assert list(c["case_id"]) == ["C02"] and c["linked"].all()       # a case only on its own arm's figure
    plot = F.plot_arm(ext, F.intervention_frame(study), c, "external")
    assert {"geom_line", "geom_vline", "geom_label"} <= set(_geoms(plot))
    paths = F.save_figure(plot, ext, "monthly_external", tmp_path)
    for kind in ("png", "csv"):
        assert paths[kind].is_file() and paths[kind].stat().st_size > 1000
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    back = pd.read_csv(paths["csv"])
    assert len(back) == len(ext) and back["count"].sum() == pytest.approx(ext["count"].sum())


def test_png_is_print_resolution(tmp_path, study):
    f = pd.DataFrame({"x": [1, 2], "y": [1, 2]})
    paths = F.save_figure(p9.ggplot(f, p9.aes("x", "y")) + p9.geom_point() + F.theme_externalize(), f, "dots",
                          tmp_path, width=4, height=3)
    from PIL import Image

    with Image.open(paths["png"]) as im:
        assert im.size == (4 * F.DPI, 3 * F.DPI)


def _cf_frame() -> pd.DataFrame:
    periods = pd.period_range("2013-01", "2015-12", freq="M").astype(str)
    post = [p >= "2014-08" for p in periods]
    base = pd.DataFrame({"period": periods, "observed": 5.0, "fitted": 5.0, "fitted_low": 4.0, "fitted_high": 6.0,
                         "counterfactual": 4.0, "cf_low": 3.0, "cf_high": 5.0, "effect": 1.0, "post": post,
                         "outcome": "a", "source": "s", "spec": "main"})
    return pd.concat([base.assign(model="quasipoisson"), base.assign(model="ols_hac")], ignore_index=True)


def test_counterfactual_figure(study, tmp_path):
    f = F.counterfactual_data(_cf_frame(), "quasipoisson", labels={"a": "Outcome A"})
    assert (f["model"] == "quasipoisson").all() and len(f) == 36
    assert set(f["panel"]) == {"Outcome A"}
    assert f["post"].sum() == 17   # 2014-08 .. 2015-12
    assert not f["band_clipped"].any() and (f["cf_high_drawn"] == f["cf_high"]).all()
    wide = F.counterfactual_data(_cf_frame().assign(cf_high=100.0), "quasipoisson")
    # drawn band cut at 1.5 x max(observed, fitted) = 7.5; the CSV keeps the real bound
    assert (wide["cf_high_drawn"] == 7.5).all() and (wide["cf_high"] == 100.0).all()
    assert "Bands are cut at 1.5" in F.plot_counterfactual(wide, F.intervention_frame(study)).labels.caption.replace("\n", " ")
    plot = F.plot_counterfactual(f, F.intervention_frame(study))
    g = _geoms(plot)
    assert "geom_ribbon" in g and g.count("geom_line") == 2 and "geom_point" in g
    # the band is drawn over post-intervention months only
    ribbon = next(layer for layer in plot.layers if type(layer.geom).__name__ == "geom_ribbon")
    assert len(ribbon.geom.data) == 17
    assert F.save_figure(plot, f, "cf", tmp_path)["csv"].is_file()


def _estimates() -> pd.DataFrame:
    rows = [
        ("level_iraq_strikes", 0.4, 1.49, 1.1, 2.0, "ext", "quasipoisson", "main"),
        ("slope_iraq_strikes", 0.0, 1.0, 0.99, 1.01, "ext", "quasipoisson", "main"),
        ("level_iraq_strikes", 1.2, np.nan, np.nan, np.nan, "ext", "ols_hac", "main"),   # additive: left out
        ("time", 0.01, 1.01, 1.0, 1.02, "ext", "quasipoisson", "main"),                   # not an effect
        ("post", 0.7, 2.0, 1.2, 3.4, "cmp", "quasipoisson_yearly", "comparison"),        # reference's change
        ("post:clash", -0.5, 0.6, 0.3, 1.2, "cmp", "quasipoisson_yearly", "comparison"),
        ("post", -0.2, 0.8, 0.4, 1.6, "clash", "quasipoisson_yearly", "main"),
        ("post", -99.0, 1e-43, 1e-65, 1e-21, "joint", "quasipoisson_yearly", "main"),       # boundary fit
    ]
    return pd.DataFrame(rows, columns=["term", "estimate", "ratio", "ratio_ci_low", "ratio_ci_high", "outcome", "model",
                                       "spec"]).assign(source="s", p_value=0.5, ci_low=-1.0, ci_high=1.0)


def test_forest_keeps_ratio_scale_effects_only(tmp_path):
    f = F.forest_data(_estimates())
    assert sorted(f["term"]) == ["level_iraq_strikes", "post", "post", "post:clash", "slope_iraq_strikes"]
    assert set(f["model"]) == {"quasipoisson", "quasipoisson_yearly"}
    assert f.loc[f.degenerate, "outcome"].tolist() == ["joint"]
    assert f.loc[f.term == "post:clash", "kind"].item() == "comparative level change"
    assert f.loc[f.term == "level_iraq_strikes", "excludes_1"].item()
    assert not f.loc[f.term == "post:clash", "excludes_1"].item()
    plot = F.plot_forest(f)
    assert {"geom_point", "geom_errorbarh", "geom_vline"} <= set(_geoms(plot))
    assert len(plot.data) == 4 and "joint (quasipoisson_yearly)" in plot.labels.caption   # named, not drawn
    assert F.save_figure(plot, f, "forest", tmp_path)["png"].is_file()


def test_share_placebo_breaks(study, tmp_path):
    periods = pd.period_range("2013-01", "2015-12", freq="M").astype(str)
    share = pd.DataFrame({"comparison": "c", "period": periods, "numerator": 2, "denominator": 10, "share": 0.2,
                          "fitted": 0.2, "fitted_low": 0.1, "fitted_high": 0.3, "counterfactual": 0.2})
    f = F.share_data(share)
    assert len(f) == 36
    assert {"geom_ribbon", "geom_point", "geom_line"} <= set(_geoms(F.plot_share(f, F.intervention_frame(study))))

    rng = np.random.default_rng(0)
    pl = pd.DataFrame({"candidate": [f"2012-{m:02d}" for m in range(1, 13)], "statistic": rng.normal(size=12),
                       "estimate": 0.1, "is_real": [False] * 11 + [True], "used": True, "error": np.nan,
                       "outcome": "a", "model": "ols_hac"})
    pl.loc[0, "statistic"] = np.nan                                 # a degenerate fit: dropped, not plotted
    pl.loc[1, "used"] = False                                       # excluded from the p-value: dropped
    summary = pd.DataFrame({"outcome": ["a"], "model": ["ols_hac"], "p_value": [0.25]})
    f = F.placebo_data(pl, summary)
    assert len(f) == 10 and f["is_real"].sum() == 1
    assert (f["panel"] == "a / ols_hac\nplacebo p = 0.250").all()
    plot = F.plot_placebo(f)
    assert {"geom_histogram", "geom_vline"} <= set(_geoms(plot))
    F.save_figure(plot, f, "placebo", tmp_path)

    sweep = pd.DataFrame({"period": periods, "f_stat": np.linspace(0, 5, 36), "crit_5pct": 9.0, "outcome": "a",
                          "source": "s"})
    f = F.break_sweep_data(sweep)
    plot = F.plot_break_sweep(f, F.intervention_frame(study))
    assert {"geom_line", "geom_hline", "geom_vline"} <= set(_geoms(plot))
    F.save_figure(plot, f, "breaks", tmp_path)


def _coverage() -> pd.DataFrame:
    return pd.DataFrame([
        # source, arm, frequency, start, end, in_study
        ("gtd_0718_degraded", "external", "day", "1970-01", "2017-12", True),
        ("nesser_cym", "external", "month", "1994-01", "2021-12", True),
        ("ucdp_ged_syria_iraq", "clash", "year", "2003-01", "2019-12", True),
        ("ucdp_ged_syria_iraq", "joint", "year", "2003-01", "2019-12", True),
        ("ucdp_ged_syria", "clash", "day", "2016-01", "2019-11", True),
        ("ucdp_ged_syria", "joint", "day", "2016-01", "2019-11", True),
        ("centcom_strikes", "dose", "day", "2014-12", "2016-10", True),
        ("gtd_full", "external", "day", "1970-01", "2020-12", False),
        ("ucdp_battledeaths", "context", "year", "1989-01", "2022-12", True),
    ], columns=["source", "arm", "frequency", "start", "end", "in_study"]).assign(rows=1, table="events", note="")


def test_coverage_marks_the_right_frequencies(study, tmp_path):
    f = F.coverage_data(_coverage(), 2008, 2019)
    assert "context" not in set(f["arm"]) and "strikes" in set(f["arm"])   # the dose arm is labelled strikes

    def cells(source: str, arm: str) -> pd.DataFrame:
        return f[(f.source == source) & (f.arm == arm)]

    # external arm: one monthly cell for each month of 2014
    ext14 = cells("gtd_0718_degraded", "external")
    ext14 = ext14[ext14["period"].str.startswith("2014")]
    assert len(ext14) == 12 and set(ext14["unit"]) == {"month"} and set(ext14["frequency"]) == {"monthly or finer"}
    # clash and joint before 2016: only yearly cells (one per year), no monthly cell
    for arm in ("clash", "joint"):
        before = f[(f.arm == arm) & (f.xmin < pd.Timestamp("2016-01-01"))]
        assert set(before["unit"]) == {"year"} and set(before["frequency"]) == {"yearly only"}
        assert len(before) == 2016 - 2008
        ged = cells("ucdp_ged_syria", arm)
        assert ged["period"].min() == "2016-01" and set(ged["unit"]) == {"month"}
    # a yearly cell spans the whole year; clipping to the window keeps 2008..2019
    y = cells("ucdp_ged_syria_iraq", "clash")
    assert (y["xmax"] - y["xmin"]).dt.days.between(365, 366).all() and len(y) == 12
    assert set(cells("gtd_full", "external")["frequency"]) == {"registered, not present"}
    plot = F.plot_coverage(f, F.intervention_frame(study))
    assert _geoms(plot).count("geom_rect") == 2 and "geom_vline" in _geoms(plot)
    paths = F.save_figure(plot, f, "coverage", tmp_path)
    assert set(pd.read_csv(paths["csv"])["frequency"]) == {"monthly or finer", "yearly only", "registered, not present"}


def test_geography_top_countries(tmp_path):
    ev = pd.DataFrame({"event_class": ["external"] * 8 + ["clash"] * 3 + ["other"],
                       "country": ["France", "France", "US", "Belgium", "Belgium", "Belgium", "United States", "US",
                                   "Syria", "Syria", "Iraq", "Yemen"],
                       "year": [2014, 2015, 2015, 2016, 2016, 2016, 1990, 2015, 2014, 2014, 2015, 2015], "n": 1})
    f = F.geography_data(ev, top=2, years=(2008, 2019))
    # "US" and "United States" are one country; the 1990 row is outside the years: 2 events, not 3
    assert "other" not in set(f["event_class"])
    # US (2 events) ties France and comes after it by name
    assert set(f.loc[f.event_class == "external", "country"]) == {"Belgium", "France"}
    assert set(F.geography_data(ev, top=3, years=(2008, 2019))["country"]) >= {"United States"}
    assert F.geography_data(ev, top=3, years=(2008, 2019)).query("country == 'United States'")["n"].sum() == 2
    assert f.loc[(f.country == "Belgium"), "n"].item() == 3
    assert f.loc[(f.country == "Syria"), "n"].item() == 2
    plot = F.plot_geography(f)
    assert "geom_tile" in _geoms(plot)
    F.save_figure(plot, f, "geo", tmp_path)


def test_spec_curve_figure_uses_z_and_leaves_refused_fits_out(tmp_path):
    from externalize.figures import plot_spec_curve, save_figure, spec_curve_data
    curve = pd.DataFrame({
        "outcome": ["a", "a", "a", "b"], "source": "s", "window": "w", "seasonality": "off",
        "model": ["ols_hac", "quasipoisson", "negbin", "ols_hac"],
        "estimate": [2.0, 0.5, np.nan, -1.0], "std_error": [1.0, 0.1, np.nan, 2.0],
        "ci_low": [0.04, 0.3, np.nan, -4.9], "ci_high": [3.96, 0.7, np.nan, 2.9],
        "p_value": [0.05, 0.001, np.nan, 0.6], "error": [np.nan, np.nan, "ValueError: all zero", np.nan]})
    f = spec_curve_data(curve)
    assert len(f) == 3                                   # the refused fit is not drawn
    assert f.set_index("model").loc["quasipoisson", "z"].max() == pytest.approx(5.0)
    assert f[f.outcome == "a"]["rank_in_outcome"].tolist() == [1, 2]
    assert set(f["interval"]) == {"95% CI above 0", "95% CI includes 0"}
    save_figure(plot_spec_curve(f), f, "spec_curve", tmp_path)
    assert (tmp_path / "spec_curve.png").is_file() and (tmp_path / "spec_curve.csv").is_file()


def test_registry_numbers_every_figure_once_and_redraws_byte_identically(tmp_path, study):
    assert [f.number for f in F.FIGURES] == list(range(1, len(F.FIGURES) + 1))
    assert len(set(F.FIGURE_NAMES)) == len(F.FIGURES) and F.figure("forest").name == "forest"
    f = pd.DataFrame({"x": [1, 2], "y": [1, 2]})

    def plot() -> p9.ggplot:
        return p9.ggplot(f, p9.aes("x", "y")) + p9.geom_point() + F.theme_externalize()

    first = F.save_figure(plot(), f, "dots", tmp_path / "a", width=3, height=2)["png"].read_bytes()
    second = F.save_figure(plot(), f, "dots", tmp_path / "b", width=3, height=2)["png"].read_bytes()
    assert first == second


def test_png_has_the_pixels_of_plotnines_own_save_without_alpha(tmp_path, study):
    """The one-pass drawing gives the pixels plotnine's ggplot.save gives at the same size and dpi (reference:
    savefig through plotnine, with its layout pass and second drawing pass), as RGB without an alpha channel."""
    from PIL import Image

    f = pd.DataFrame({"x": pd.date_range("2013-01-01", periods=24, freq="MS"), "y": np.arange(24.0) % 7,
                      "panel": ["a"] * 12 + ["b"] * 12})

    def plot() -> p9.ggplot:
        return (p9.ggplot(f, p9.aes("x", "y")) + p9.geom_line() + p9.geom_point(colour="#b2182b")
                + p9.facet_wrap("~panel", ncol=1) + p9.labs(title="t", caption="c") + F.theme_externalize())

    ours = F.save_figure(plot(), f, "ours", tmp_path, width=4, height=3)["png"]
    ref = tmp_path / "reference.png"
    plot().save(ref, format="png", width=4, height=3, dpi=F.DPI, verbose=False)
    with Image.open(ours) as a, Image.open(ref) as b:
        assert a.mode == "RGB" and b.mode == "RGBA"
        assert np.asarray(b)[..., 3].min() == 255            # the reference is opaque: nothing is lost
        assert np.array_equal(np.asarray(a), np.asarray(b)[..., :3])


def test_a_drawn_plot_is_not_saved_again(tmp_path, study):
    from externalize.errors import PipelineError

    f = pd.DataFrame({"x": [1, 2], "y": [1, 2]})
    plot = p9.ggplot(f, p9.aes("x", "y")) + p9.geom_point()
    F.save_figure(plot, f, "dots", tmp_path)
    with pytest.raises(PipelineError, match="drawn before"):
        F.save_figure(plot, f, "dots", tmp_path)


@pytest.mark.slow
def test_make_figures_draws_what_exists_and_the_same_files_for_any_jobs(tmp_path, study):
    """Only the figures whose tables exist are drawn; drawing them in two worker processes gives the files drawn
    in this process, byte for byte."""
    periods = pd.period_range("2013-01", "2015-12", freq="M").astype(str)
    share = pd.DataFrame({"comparison": "c", "period": periods, "numerator": 2, "denominator": 10, "share": 0.2,
                          "fitted": 0.2, "fitted_low": 0.1, "fitted_high": 0.3, "counterfactual": 0.2})
    sweep = pd.DataFrame({"period": periods, "f_stat": np.linspace(0, 5, 36), "crit_5pct": 9.0, "outcome": "a",
                          "source": "s"})
    files = {}
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}"
        (out / "tables").mkdir(parents=True)
        share.to_csv(out / "tables" / "share.csv", index=False)
        sweep.to_csv(out / "tables" / "break_sweep.csv", index=False)
        written = F.make_figures(out, study, tmp_path / "no_build", jobs=jobs)
        assert list(written) == ["share", "break_sweep"]                    # registry order
        files[jobs] = {p.name: p.read_bytes() for p in sorted((out / "figures").iterdir())}
    assert set(files[1]) == {"share.png", "share.csv", "break_sweep.png", "break_sweep.csv"}
    assert files[1] == files[2]


def test_arm_figure_height_fills_but_fits_the_page():
    from externalize.figures.arms import PAGE_HEIGHT, PANEL_HEIGHT, arm_height

    def counts(n: int) -> pd.DataFrame:
        return pd.DataFrame({"source": [f"s{k}" for k in range(n)]})

    assert arm_height(counts(3)) == pytest.approx(1.4 + 3 * PANEL_HEIGHT)          # one column
    nine = arm_height(counts(9))                                                     # two columns, five rows
    assert 1.4 + 5 * PANEL_HEIGHT < nine <= PAGE_HEIGHT
    assert arm_height(counts(30)) == PAGE_HEIGHT
    assert PAGE_HEIGHT <= 225 / 25.4                   # the print CSS caps figures at 225 mm
