"""Event-time construction and the staggered DiD on a hand-made panel with known effects.

Panel: 6 countries x 10 months (2014-01 .. 2014-10); A and B first strike in 2014-04, C in 2014-07, D, E, F
never. Outcome y = unit effect + month effect + tau(e), tau(e) = 1 + 0.5 e for e >= 0 (e = months since the
first strike), 0 before: parallel trends hold exactly, so every ATT(g,t) equals tau(t - g) and every
pre-period estimate is 0 (tolerance 1e-10).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from externalize.designs.did import DesignError, fit_cs, randomization_pvalue, simple_att_never_treated
from externalize.designs.participation import add_event_time, plots_panel, strike_starts

MONTHS = pd.period_range("2014-01", "2014-10", freq="M")
FIRST = {"A": "2014-04", "B": "2014-04", "C": "2014-07", "D": None, "E": None, "F": None}


def tau(e: int) -> float:
    return 1.0 + 0.5 * e if e >= 0 else 0.0


@pytest.fixture()
def starts() -> pd.DataFrame:
    return pd.DataFrame({"country": list(FIRST), "first_strike": [pd.Period(v, "M") if v else pd.NaT
                                                                  for v in FIRST.values()],
                         "struck": ["yes" if v else "no" for v in FIRST.values()], "theatre": "", "source": ""})


@pytest.fixture()
def panel(starts) -> pd.DataFrame:
    rows = []
    for i, (u, first) in enumerate(FIRST.items()):
        for j, p in enumerate(MONTHS):
            e = (p - pd.Period(first, "M")).n if first else -99
            rows.append({"unit": u, "period": p, "y": 10.0 * i + 3.0 * np.sin(j) + tau(e)})
    return add_event_time(pd.DataFrame(rows), starts)


def test_event_time_columns(panel) -> None:
    a = panel[panel["unit"] == "A"].set_index("period")
    assert a.loc[pd.Period("2014-04", "M"), "event_time"] == 0
    assert a.loc[pd.Period("2014-01", "M"), "event_time"] == -3
    assert a.loc[pd.Period("2014-10", "M"), "event_time"] == 6
    assert a["treated"].sum() == 7 and a["cohort_period"].iloc[0] == pd.Period("2014-04", "M")
    assert (panel["time"] - panel["cohort"]).dropna().astype(int).tolist() == \
        panel["event_time"].dropna().astype(int).tolist()
    d = panel[panel["unit"] == "D"]
    assert d["cohort"].isna().all() and d["event_time"].isna().all() and not d["treated"].any()


def test_yearly_event_time(starts) -> None:
    p = pd.DataFrame({"unit": ["A", "A", "D", "D"], "period": [pd.Period(str(y), "Y") for y in (2013, 2014, 2013, 2014)],
                      "y": [1.0, 2.0, 1.0, 1.0]})
    out = add_event_time(p, starts)
    assert out.loc[out["unit"] == "A", "event_time"].tolist() == [-1, 0]


def test_fit_recovers_known_effects(panel) -> None:
    fit = fit_cs(panel, "y")
    gt = fit.group_time.dropna(subset=["estimate"])
    post = gt[gt["event_time"] >= 0]
    np.testing.assert_allclose(post["estimate"], [tau(int(e)) for e in post["event_time"]], atol=1e-10)
    np.testing.assert_allclose(gt.loc[gt["event_time"] < 0, "estimate"], 0.0, atol=1e-10)
    ev = fit.event.set_index("event_time")["estimate"]
    for e in range(0, 7):
        assert ev[e] == pytest.approx(tau(e), abs=1e-10)
    assert ev[-2] == pytest.approx(0.0, abs=1e-10)
    # simple aggregation: cells weighted by cohort size: A, B (2 units) x e = 0..6, C (1 unit) x e = 0..3
    cells = [(2, e) for e in range(7)] + [(1, e) for e in range(4)]
    expected = sum(w * tau(e) for w, e in cells) / sum(w for w, _ in cells)
    assert fit.overall["estimate"].iloc[0] == pytest.approx(expected, abs=1e-10)
    assert (fit.n_units, fit.n_treated, fit.n_never) == (6, 3, 3)


def test_not_yet_treated_controls_recover_the_same_effects(panel) -> None:
    fit = fit_cs(panel, "y", control_group="not_yet_treated")
    post = fit.group_time.dropna(subset=["estimate"])
    post = post[post["event_time"] >= 0]
    np.testing.assert_allclose(post["estimate"], [tau(int(e)) for e in post["event_time"]], atol=1e-10)


def test_closed_form_and_randomization_inference(panel) -> None:
    fit = fit_cs(panel, "y")
    wide = panel.pivot(index="unit", columns="time", values="y")
    pos = np.array([3, 3, 6, -1, -1, -1])
    assert simple_att_never_treated(wide.to_numpy(), pos) == pytest.approx(fit.overall["estimate"].iloc[0], abs=1e-12)
    p, draws = randomization_pvalue(panel, "y", fit.overall["estimate"].iloc[0], draws=199, seed=1)
    assert len(draws) == 199 and p <= 0.1      # the true assignment is the most extreme of 60 possible
    p0, _ = randomization_pvalue(panel.assign(y=panel["y"] - [tau(int(e)) if pd.notna(e) else 0.0
                                                             for e in panel["event_time"]]),
                                 "y", 0.0, draws=199, seed=1)
    assert p0 == 1.0                            # no effect: every permutation is at least as large as 0


def test_units_without_coding_are_refused(panel, starts) -> None:
    with pytest.raises(DesignError, match="no strike-start coding"):
        add_event_time(panel[["unit", "period", "y"]], starts[starts["country"] != "C"])
    unknown = starts.assign(struck=np.where(starts["country"] == "D", "unknown", starts["struck"]))
    with pytest.raises(DesignError, match="unknown"):
        add_event_time(panel[["unit", "period", "y"]], unknown)


def test_plots_panel_zero_fills_and_counts_undated_rows() -> None:
    ev = pd.DataFrame({"source": "s", "country": ["UK", "France", "UK"], "plot_status": ["launched", "foiled", "foiled"],
                       "n": [1, 2, 5], "date_precision": ["month", "month", "year"],
                       "date": pd.to_datetime(["2014-02-01", "2014-03-01", "2014-01-01"])})
    canon = {"UK": "United Kingdom"}.get
    panel, undated = plots_panel(ev, "s", ["United Kingdom", "France", "Iceland"], pd.Period("2014-01", "M"),
                                 pd.Period("2014-03", "M"), canon)
    assert undated == 5 and len(panel) == 9
    uk = panel[panel["unit"] == "United Kingdom"].set_index("period")
    assert uk.loc[pd.Period("2014-02", "M"), ["launched", "foiled", "all"]].tolist() == [1, 0, 1]
    assert panel.loc[panel["unit"] == "Iceland", "all"].sum() == 0
    with pytest.raises(DesignError, match="outside the panel"):
        plots_panel(ev, "s", ["France"], pd.Period("2014-01", "M"), pd.Period("2014-03", "M"), canon)


def _coalition(tmp_path: Path, rows: str) -> Path:
    f = tmp_path / "c.csv"
    f.write_text("country,first_strike,first_strike_theatre,struck_by_2017,first_strike_source\n" + rows)
    return f


def test_strike_starts_validation(tmp_path: Path) -> None:
    s = strike_starts(_coalition(tmp_path, "France,2014-09-19,Iraq,yes,x\nBelgium,2014-10,Iraq,yes,x\nSpain,,,no,x\n"))
    assert s["first_strike"].tolist()[:2] == [pd.Period("2014-09", "M"), pd.Period("2014-10", "M")]
    assert pd.isna(s["first_strike"].iloc[2])
    for rows, match in [("France,,Iraq,yes,x\n", "needs first_strike"), ("Spain,2015-01,,no,x\n", "given but"),
                        ("Spain,,,maybe,x\n", "yes / no / unknown"), ("France,19-09-2014,Iraq,yes,x\n", "YYYY-MM")]:
        with pytest.raises(DesignError, match=match):
            strike_starts(_coalition(tmp_path, rows))


def test_real_coalition_file_codes_every_western_plot_country() -> None:
    s = strike_starts().set_index("country")
    assert s.loc["France", "first_strike"] == pd.Period("2014-09", "M")
    assert s.loc["United Kingdom", "first_strike"] == pd.Period("2014-09", "M")
    assert s.loc["United States", "first_strike"] == pd.Period("2014-08", "M")
    assert s.loc["Germany", "struck"] == "no" and pd.isna(s.loc["Germany", "first_strike"])
    # consistent with the coalition file's own Iraq start dates where both are given to the day
    raw = pd.read_csv(Path(__file__).resolve().parents[2] / "data" / "taxonomy" / "coalition_members.csv",
                      dtype=str, keep_default_na=False)
    both = raw[(raw["strikes_iraq_from"] != "") & (raw["first_strike_theatre"] == "Iraq")]
    assert len(both) >= 4 and (both["strikes_iraq_from"] == both["first_strike"]).all()
