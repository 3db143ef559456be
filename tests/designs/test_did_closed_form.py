"""The closed-form Callaway-Sant'Anna fit (no covariates, balanced panels) returns what `differences` returns.

References: (1) a hand-computed two-cohort panel (ATT(g,t), one standard error, the simple and event
aggregations, worked out below from the definitions); (2) `differences` itself (`_fit_cs_library`, the
library path `fit_cs` takes otherwise) on seeded random balanced panels with staggered cohorts, never-treated
units, a cohort treated in the first period and one after the last period, on the published `did` example
(mpdta), and on the study's own 20 specifications without covariates (real data, slow).
Tolerance: 1e-10 relative on estimates, standard errors and bounds, with an absolute floor of 1e-12 times the
largest absolute outcome for values that are zero up to rounding (the two paths sum in different orders).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from externalize.designs import did
from externalize.designs.did import fit_cs

REF = Path(__file__).parent / "references"
REL_TOL = 1e-10
NUMERIC = ["estimate", "std_error", "ci_low", "ci_high"]


def _library(panel: pd.DataFrame, outcome: str, control_group: str,
             covariates: tuple[str, ...] = ()) -> tuple[pd.DataFrame, ...]:
    df = panel[["unit", "time", "cohort", outcome, *covariates]].copy()
    df["time"] = df["time"].astype("int64")
    df["cohort"] = df["cohort"].astype("float64")
    with warnings.catch_warnings():
        # the library warns (UserWarning) when it drops units treated in the first period or ignores a cohort
        # after the last period; those cases are deliberate here
        warnings.simplefilter("ignore", UserWarning)
        return did._fit_cs_library(df, outcome, control_group, covariates, "reg", 0.05)


def _spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[tuple]:
    """Record the positional arguments of every call of did.<name> (which still runs)."""
    calls: list[tuple] = []
    real = getattr(did, name)

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(did, name, spy)
    return calls


def _closed(panel: pd.DataFrame, outcome: str, control_group: str, monkeypatch: pytest.MonkeyPatch,
            covariates: tuple[str, ...] = ()) -> did.CSFit:
    """fit_cs with the library path disabled: the numbers must come from the closed form."""
    def _no_library(*args, **kwargs):
        raise AssertionError("fit_cs fell back to differences")

    monkeypatch.setattr(did, "_fit_cs_library", _no_library)
    early = panel.drop_duplicates("unit")["cohort"].le(panel["time"].min()).any()
    if early:
        with pytest.warns(UserWarning, match="first treated in the first period"):
            fit = fit_cs(panel, outcome, control_group=control_group, covariates=covariates)
    else:
        fit = fit_cs(panel, outcome, control_group=control_group, covariates=covariates)
    monkeypatch.undo()
    return fit


def _assert_same(fit: did.CSFit, ref: tuple[pd.DataFrame, ...], scale: float) -> None:
    for got, want in zip((fit.group_time, fit.event, fit.overall), ref, strict=True):
        assert list(got.columns) == did.TIDY_COLUMNS
        assert list(got.dtypes) == list(want.dtypes)
        pd.testing.assert_frame_equal(got.drop(columns=NUMERIC), want.drop(columns=NUMERIC), check_exact=True)
        a, b = got[NUMERIC].to_numpy(float), want[NUMERIC].to_numpy(float)
        assert np.isfinite(a[:, 0]).all()                     # every estimate; errors may be NaN (below)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_allclose(a, b, rtol=REL_TOL, atol=1e-12 * scale)


# ---------------------------------------------------------------- hand-computed two-cohort case

# periods 1..4; A, B first treated in 3; C in 4; D, E, F never treated
HAND = {"A": (3, [0, 1, 4, 6]), "B": (3, [0, 3, 8, 9]), "C": (4, [1, 1, 3, 7]),
        "D": (None, [0, 1, 2, 3]), "E": (None, [2, 2, 2, 2]), "F": (None, [1, 3, 5, 7])}


@pytest.fixture(scope="module")
def hand_panel() -> pd.DataFrame:
    rows = [{"unit": u, "time": t + 1, "cohort": np.nan if g is None else float(g), "y": float(v)}
            for u, (g, ys) in HAND.items() for t, v in enumerate(ys)]
    return pd.DataFrame(rows)


def test_hand_computed_never_treated(hand_panel: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    fit = _closed(hand_panel, "y", "never_treated", monkeypatch)
    gt = fit.group_time.set_index(["group", "time"])["estimate"]
    # never-treated changes: 1->2: D 1, E 0, F 2 (mean 1); 2->3: 1, 0, 2 (1); 2->4: 2, 0, 4 (2); 3->4: 1, 0, 2 (1)
    expected = {(3, 2): 2 - 1,        # pre-period placebo, base 1: A 1, B 3 -> 2
                (3, 3): 4 - 1,        # base 2: A 3, B 5 -> 4
                (3, 4): 5.5 - 2,      # base 2: A 5, B 6 -> 5.5
                (4, 2): 0 - 1,        # base 1: C 0
                (4, 3): 2 - 1,        # base 2: C 2
                (4, 4): 4 - 1}        # base 3: C 4
    assert gt.to_dict() == pytest.approx(expected, abs=1e-14)
    # SE of ATT(3,3): sqrt(sum_T (dy - 4)^2 / 2^2 + sum_C (dy - 1)^2 / 3^2) = sqrt(2/4 + 2/9)
    se = fit.group_time.set_index(["group", "time"]).loc[(3, 3), "std_error"]
    assert se == pytest.approx(math.sqrt(2 / 4 + 2 / 9), rel=1e-14)
    # simple aggregation: post cells weighted by cohort size (2, 2, 1): (2*3 + 2*3.5 + 1*3) / 5
    assert fit.overall["estimate"].iloc[0] == pytest.approx((2 * 3 + 2 * 3.5 + 3) / 5, abs=1e-14)
    ev = fit.event.set_index("event_time")["estimate"]
    assert ev.to_dict() == pytest.approx({-2: -1, -1: (2 * 1 + 1 * 1) / 3, 0: (2 * 3 + 1 * 3) / 3, 1: 3.5},
                                         abs=1e-14)
    _assert_same(fit, _library(hand_panel, "y", "never_treated"), 9.0)


def test_hand_computed_not_yet_treated(hand_panel: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    fit = _closed(hand_panel, "y", "not_yet_treated", monkeypatch)
    gt = fit.group_time.set_index(["group", "time"])["estimate"]
    # controls also include the other cohort while it is untreated at max(t, base)
    expected = {(3, 2): 2 - (1 + 0 + 2 + 0) / 4,        # C (cohort 4 > 2) joins: change 0
                (3, 3): 4 - (1 + 0 + 2 + 2) / 4,        # C (4 > 3) joins: change 2
                (3, 4): 5.5 - 2,                         # nobody untreated at 4 but the never treated
                (4, 2): 0 - (1 + 0 + 2 + 1 + 3) / 5,     # A, B (3 > 2) join: changes 1, 3
                (4, 3): 2 - 1,
                (4, 4): 4 - 1}
    assert gt.to_dict() == pytest.approx(expected, abs=1e-14)
    _assert_same(fit, _library(hand_panel, "y", "not_yet_treated"), 9.0)


def test_a_cell_without_variation_has_no_standard_error(hand_panel: pd.DataFrame,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Outcomes flat before period 4: the pre-period cells have changes of 0 for everyone, hence an
    influence function of exactly 0; the library reports such a standard error (and a bound of exactly 0)
    as missing, and so must the closed form."""
    flat = hand_panel.assign(y=np.where(hand_panel["time"] < 4, 5.0, hand_panel["y"]))
    fit = _closed(flat, "y", "never_treated", monkeypatch)
    gt = fit.group_time.set_index(["group", "time"])
    assert gt.loc[(3, 2), "estimate"] == 0 and np.isnan(gt.loc[(3, 2), "std_error"])
    assert np.isnan(gt.loc[(3, 2), "ci_low"]) and np.isnan(gt.loc[(3, 3), "std_error"])
    assert np.isfinite(gt.loc[(3, 4), "std_error"])
    _assert_same(fit, _library(flat, "y", "never_treated"), 9.0)


def test_constant_changes_follow_the_library_rounding(monkeypatch: pytest.MonkeyPatch) -> None:
    """One treated unit with non-integer changes and flat controls: every cell's influence function is 0 in
    exact arithmetic; the library prints NaN for some standard errors and rounding residues (~1e-17) for
    others. The closed form must print NaN exactly where the library does, and the same tiny values."""
    rows = [("T", 2001 + k, 2004.0, v) for k, v in enumerate([0.0, 0.1, 0.3, 0.7, 0.2, 0.9])]
    rows += [(f"c{u}", 2001 + k, np.nan, 1.0) for u in range(6) for k in range(6)]
    panel = pd.DataFrame(rows, columns=["unit", "time", "cohort", "y"])
    for cg in did.CONTROL_GROUPS:
        fit = _closed(panel, "y", cg, monkeypatch)
        ref = _library(panel, "y", cg)
        assert ref[0]["std_error"].isna().any() and ref[0]["std_error"].notna().any()   # both occur
        _assert_same(fit, ref, 1.0)


# ---------------------------------------------------------------- seeded random panels

def _random_panel(seed: int) -> pd.DataFrame:
    """Balanced panel: 40-70 units over 6-10 periods (spaced by 1 or 2), cohorts drawn among: treated in the
    first period, three staggered cohorts, after the last period, never treated; counts or continuous
    outcomes with unit effects, trends and a cohort-specific effect."""
    rng = np.random.default_rng(seed)
    n, t = int(rng.integers(40, 71)), int(rng.integers(6, 11))
    step = int(rng.integers(1, 3))
    times = 2000 + step * np.arange(t)
    choices = [times[0], times[2], times[t // 2], times[-1], times[-1] + step, np.nan]
    cohort = rng.choice(np.array(choices, dtype=float), size=n, p=[0.1, 0.15, 0.15, 0.1, 0.05, 0.45])
    cohort[:3] = np.nan                                 # at least three never-treated units
    cohort[3] = times[0]                                # a cohort treated in the first period
    cohort[4:6] = times[2]
    unit_fx = rng.normal(0, 2, n)
    rows = []
    for i in range(n):
        for k, tm in enumerate(times):
            effect = 1.5 if np.isfinite(cohort[i]) and tm >= cohort[i] else 0.0
            mean = unit_fx[i] + 0.3 * k + effect
            y = float(rng.poisson(np.exp(mean / 4))) if seed % 2 else mean + rng.normal()
            rows.append((f"u{i:03d}", int(tm), cohort[i], y))
    return pd.DataFrame(rows, columns=["unit", "time", "cohort", "y"])


@pytest.mark.parametrize("control_group", did.CONTROL_GROUPS)
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_random_panels_match_the_library(seed: int, control_group: str, monkeypatch: pytest.MonkeyPatch) -> None:
    panel = _random_panel(seed)
    fit = _closed(panel, "y", control_group, monkeypatch)
    _assert_same(fit, _library(panel, "y", control_group), float(panel["y"].abs().max()))
    # the first-period cohort is left out; its units still count in n_treated (the panel's own count)
    assert fit.group_time["group"].min() > panel["time"].min()
    assert fit.n_treated == int(panel.drop_duplicates("unit")["cohort"].notna().sum())


# ---------------------------------------------------------------- the published example

@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    df = pd.read_csv(REF / "mpdta.csv")
    df["cohort"] = df["first.treat"].where(df["first.treat"] > 0, np.nan)
    return df.rename(columns={"countyreal": "unit", "year": "time"})


@pytest.mark.parametrize("control_group", did.CONTROL_GROUPS)
def test_mpdta_matches_the_library(mpdta: pd.DataFrame, control_group: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fit = _closed(mpdta, "lemp", control_group, monkeypatch)
    _assert_same(fit, _library(mpdta, "lemp", control_group), float(mpdta["lemp"].abs().max()))


# ---------------------------------------------------------------- with covariates (outcome regression)

def _with_covariates(panel: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Adds a time-invariant covariate `size` (a unit trait, correlated with treatment) and a time-varying
    one `load` (trending, unit-specific, with noise) that both shift the outcome's trend."""
    rng = np.random.default_rng(seed + 100)
    units = np.sort(panel["unit"].unique())
    size = dict(zip(units, rng.normal(5, 2, len(units)), strict=True))
    out = panel.assign(size=panel["unit"].map(size))
    k = out.groupby("unit").cumcount().to_numpy()
    out["load"] = 100 + 10 * rng.normal(size=len(out)) + 3 * k * (out["size"] > 5)
    out["y"] = out["y"] + 0.2 * k * out["size"] / 5 + 0.01 * out["load"]
    return out


@pytest.mark.parametrize("covariates", [("size",), ("load",), ("size", "load")])
@pytest.mark.parametrize("control_group", did.CONTROL_GROUPS)
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_panels_with_covariates_match_the_library(seed: int, control_group: str, covariates: tuple[str, ...],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    panel = _with_covariates(_random_panel(seed), seed)
    fit = _closed(panel, "y", control_group, monkeypatch, covariates)
    _assert_same(fit, _library(panel, "y", control_group, covariates), float(panel["y"].abs().max()))


def test_covariate_cell_by_hand() -> None:
    """One post-treatment cell from the definition, with numpy's least squares as the reference: OLS of the
    change y_t - y_base (base: the last period before the cohort's) on [1, x_base] among the never-treated,
    ATT = mean over the treated of (change - fitted change)."""
    panel = _with_covariates(_random_panel(2), 2)
    times = np.sort(panel["time"].unique())
    g = float(times[2])
    base, t = times[1], times[4]
    wide_y = panel.pivot(index="unit", columns="time", values="y")
    wide_x = panel.pivot(index="unit", columns="time", values="load")
    coh = panel.groupby("unit")["cohort"].first().reindex(wide_y.index)
    dy = (wide_y[t] - wide_y[base]).to_numpy()
    design = np.column_stack([np.ones(len(dy)), wide_x[base].to_numpy()])
    never = (coh.isna() | (coh > times[-1])).to_numpy()      # a cohort after the last period is never treated
    treated = (coh == g).to_numpy()
    beta = np.linalg.lstsq(design[never], dy[never], rcond=None)[0]
    expected = float(np.mean(dy[treated] - design[treated] @ beta))
    fit = fit_cs(panel[panel["cohort"].isna() | (panel["cohort"] > times[0])], "y", covariates=("load",))
    got = fit.group_time.set_index(["group", "time"]).loc[(int(g), int(t)), "estimate"]
    assert got == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("control_group", did.CONTROL_GROUPS)
def test_mpdta_with_its_covariate_matches_the_library(mpdta: pd.DataFrame, control_group: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The `did` example's specification with log county population (time-invariant)."""
    fit = _closed(mpdta, "lemp", control_group, monkeypatch, ("lpop",))
    _assert_same(fit, _library(mpdta, "lemp", control_group, ("lpop",)), float(mpdta["lemp"].abs().max()))


def test_zero_influence_with_covariates_follows_the_library(monkeypatch: pytest.MonkeyPatch) -> None:
    """Flat controls (changes all 0, so the control regression is exactly 0) and one treated unit: every
    influence function is 0 in exact arithmetic, and the library prints NaN or rounding residues by its own
    floating-point path; the closed form must agree, NaN for NaN."""
    rows = [("T", 2001 + k, 2004.0, v, 3.0 + k) for k, v in enumerate([0.0, 0.1, 0.3, 0.7, 0.2, 0.9])]
    rows += [(f"c{u}", 2001 + k, np.nan, 1.0, float(u + k * (u % 3))) for u in range(6) for k in range(6)]
    panel = pd.DataFrame(rows, columns=["unit", "time", "cohort", "y", "x"])
    for cg in did.CONTROL_GROUPS:
        fit = _closed(panel, "y", cg, monkeypatch, ("x",))
        ref = _library(panel, "y", cg, ("x",))
        assert ref[0]["std_error"].isna().any()
        _assert_same(fit, ref, 1.0)


def test_singular_control_design_is_left_to_the_library(monkeypatch: pytest.MonkeyPatch) -> None:
    """A covariate that is 0 for every control in some base periods makes the control design singular there:
    the library's inverse then fails and it reports the cell as missing, which the closed form does not
    reproduce; the fit goes to the library, and its numbers are the library's."""
    panel = _with_covariates(_random_panel(3), 3)
    never = panel["cohort"].isna() | (panel["cohort"] > panel["time"].max())
    panel["troops"] = np.where(never & (panel["time"] <= panel["time"].min() + 2), 0.0, panel["load"])
    calls = _spy(monkeypatch, "_fit_cs_library")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fit = fit_cs(panel, "y", covariates=("troops",))
    assert [c[3] for c in calls] == [("troops",)]
    monkeypatch.undo()
    ref = _library(panel, "y", "never_treated", ("troops",))
    assert ref[0]["estimate"].isna().any()                # the cells the library could not estimate
    for got, want in zip((fit.group_time, fit.event, fit.overall), ref, strict=True):
        pd.testing.assert_frame_equal(got, want)


def test_a_covariate_far_from_zero_follows_the_library(monkeypatch: pytest.MonkeyPatch) -> None:
    """A covariate of about 1e4 with a spread of about 1: the raw design the library inverts has a condition
    near 1e8 and its numbers carry rounding of that order, so the closed form hands such cells to the
    library's estimator and reproduces it; with a spread of about 10 around 100 (`load`, above) it does not
    need to."""
    panel = _with_covariates(_random_panel(5), 5)
    panel["far"] = 1e4 + (panel["load"] - 100) / 10
    cells = _spy(monkeypatch, "_library_cell")
    fit = _closed(panel, "y", "never_treated", monkeypatch, ("far",))
    assert len(cells) == len(fit.group_time)
    _assert_same(fit, _library(panel, "y", "never_treated", ("far",)), float(panel["y"].abs().max()))


def test_collinear_covariates_follow_the_library(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two covariates, one (nearly) a multiple of the other: every cell's design is singular up to rounding.
    Exactly collinear: the library's inverse fails in every cell and the library itself then stops (it has
    no influence function to stack); the closed form hands the fit to it, so fit_cs fails the same way.
    Collinear up to 1e-4 (on a covariate of about 100): the scaled cross-product's condition is beyond
    1e8, so the closed form hands those cells to the library's estimator, and the numbers are the library's."""
    panel = _with_covariates(_random_panel(4), 4)
    calls = _spy(monkeypatch, "_fit_cs_library")
    with warnings.catch_warnings(), pytest.raises(ValueError, match="at least one array"):
        warnings.simplefilter("ignore", UserWarning)
        fit_cs(panel.assign(load2=2.0 * panel["load"]), "y", covariates=("load", "load2"))
    assert [c[3] for c in calls] == [("load", "load2")]
    monkeypatch.undo()
    cells = _spy(monkeypatch, "_library_cell")
    jitter = np.random.default_rng(7).normal(size=len(panel))
    near = panel.assign(load2=2.0 * panel["load"] + 1e-4 * jitter)
    fit = _closed(near, "y", "never_treated", monkeypatch, ("load", "load2"))
    assert cells                                                 # the library's estimator did those cells
    _assert_same(fit, _library(near, "y", "never_treated", ("load", "load2")), float(panel["y"].abs().max()))


# ---------------------------------------------------------------- when the library path is kept

def test_unusable_covariates_and_unbalanced_panels_use_the_library(mpdta: pd.DataFrame,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _spy(monkeypatch, "_fit_cs_library")
    small = mpdta[mpdta["unit"] <= mpdta["unit"].drop_duplicates().sort_values().iloc[149]]
    fit_cs(small, "lemp", covariates=("lpop",))           # balanced, numeric covariate: closed form
    assert calls == []
    # a covariate with a missing value (the library's formula drops the row) or a text covariate (the
    # formula encodes it as dummies): the library decides
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fit_cs(small.assign(lpop=small["lpop"].mask(small.index == small.index[7])), "lemp", covariates=("lpop",))
        fit_cs(small.assign(big=np.where(small["lpop"] > small["lpop"].median(), "yes", "no")), "lemp",
               covariates=("big",))
    assert [c[3] for c in calls] == [("lpop",), ("big",)]
    calls.clear()
    unbalanced = small.drop(index=small.index[5])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)     # the library's note on unbalanced panels
        fit_cs(unbalanced, "lemp")
    assert [c[3] for c in calls] == [()]
    fit_cs(small, "lemp")                                 # balanced, no covariate: closed form
    assert len(calls) == 1
    # no never-treated unit: the library compares with the last cohort on a truncated panel; left to it
    treated_only = small[small["cohort"].notna()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)     # the library's note on using the last cohort
        fit_cs(treated_only, "lemp", control_group="not_yet_treated")
    assert [c[3] for c in calls] == [(), ()]


# ---------------------------------------------------------------- the study's own panels

@pytest.fixture(scope="module")
def study_panels(tmp_path_factory: pytest.TempPathFactory,
                 shared_data_dir: Path) -> list[tuple[str, pd.DataFrame, str, str]]:
    """The 20 specifications without covariates of the participation design, built as
    `participation_design` builds them, from a real build of the sources it reads."""
    from externalize.build import build_study
    from externalize.classify import load_coalition
    from externalize.config import load_study
    from externalize.designs.participation import DATASETS, PLOT_STATUSES, dataset_panel, placebo_panel, strike_starts
    from externalize.registry import load_registry

    reg = load_registry()
    sources = ("nesser_cym", "crenshaw_cym", "nesser_country_year", "crenshaw_country_year")
    keep = {k: reg[k] for k in sources} | {k: v for k, v in reg.items() if not v.is_read}
    study = load_study()
    built = build_study(study, shared_data_dir, tmp_path_factory.mktemp("processed"), registry=keep,
                        use_cache=False)
    settings = study.designs
    starts, canonical = strike_starts(), load_coalition().canonical
    specs = []
    for dataset in DATASETS:
        panel, _ = dataset_panel(built, dataset, settings.month("did_start"), settings.month("did_end"), starts,
                                 canonical)
        for outcome in ("all", *PLOT_STATUSES):
            for cg in did.CONTROL_GROUPS:
                specs.append((dataset, panel, outcome, cg))
            specs.append((dataset, panel, f"{outcome}_per_10m", "never_treated"))
    pp = placebo_panel(built, starts, canonical, settings.placebo_first_year, settings.placebo_last_year)
    specs += [("placebo", pp, "rwattacks", cg) for cg in did.CONTROL_GROUPS]
    return specs


@pytest.mark.slow
@pytest.mark.realdata
def test_study_covariate_specifications_match_the_library(study_panels, monkeypatch: pytest.MonkeyPatch) -> None:
    """The design's 6 specifications with troops in the Muslim world (base-period value) as covariate: each
    plot data set's monthly panel, each plot outcome in counts, never-treated controls."""
    from externalize.designs.participation import PLOT_STATUSES

    specs = [(panel, outcome) for dataset, panel, outcome, cg in study_panels
             if dataset != "placebo" and outcome in ("all", *PLOT_STATUSES) and cg == "never_treated"]
    assert len(specs) == 6
    for panel, outcome in specs:
        fit = _closed(panel, outcome, "never_treated", monkeypatch, ("troops_in_mw",))
        _assert_same(fit, _library(panel, outcome, "never_treated", ("troops_in_mw",)),
                     float(panel[outcome].abs().max()))


@pytest.mark.slow
@pytest.mark.realdata
def test_study_specifications_match_the_library(study_panels, monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(study_panels) == 20
    for _, panel, outcome, cg in study_panels:
        fit = _closed(panel, outcome, cg, monkeypatch)
        _assert_same(fit, _library(panel, outcome, cg), float(panel[outcome].abs().max()))
