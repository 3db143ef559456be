"""The designs on the real releases (slow, realdata) and the design figures on hand-made tables (fast)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from externalize.config import load_study
from externalize.figures import intervention_frame, save_figure
from externalize.figures.designs import (
    dose_response_data,
    event_study_data,
    nonstate_data,
    plot_dose_response,
    plot_event_study,
    plot_nonstate,
    plot_strikes,
    strikes_data,
)

DESIGN_SOURCES = ("nesser_cym", "crenshaw_cym", "nesser_country_year", "crenshaw_country_year",
                  "airstrikes_information_dk", "centcom_strikes", "ucdp_ged_country_month", "ucdp_nonstate",
                  "gade_infighting_2014")


def _draw(plot, path: Path) -> None:
    """Render at low resolution (fast); the figure must draw without warnings (they are errors here)."""
    plot.save(path, width=6, height=4, dpi=40, verbose=False)
    assert path.stat().st_size > 2_000


def _did_table() -> pd.DataFrame:
    rows = []
    for ds in ("nesser", "crenshaw"):
        for o in ("all", "launched", "foiled"):
            for e in range(-3, 4):
                rows.append({"estimator": "Callaway-Sant'Anna", "dataset": ds, "outcome": o, "control_group": "never_treated",
                             "covariates": "none", "aggregation": "event", "event_time": e, "estimate": 0.1 * e,
                             "ci_low": 0.1 * e - 0.2 if e != 2 else np.nan, "ci_high": 0.1 * e + 0.2 if e != 2 else np.nan,
                             "ri_pvalue": np.nan, "n_treated": 5})
            rows.append({"estimator": "Callaway-Sant'Anna", "dataset": ds, "outcome": o, "control_group": "never_treated",
                         "covariates": "none", "aggregation": "overall", "event_time": np.nan, "estimate": 0.05,
                         "ci_low": -0.1, "ci_high": 0.2, "ri_pvalue": 0.5, "n_treated": 5})
    return pd.DataFrame(rows)


def test_event_study_frame_and_plot(tmp_path: Path) -> None:
    f = event_study_data(_did_table(), window=(-2, 3))
    assert len(f) == 2 * 3 * 6 and f["event_time"].between(-2, 3).all()
    assert set(f["phase"]) == {"before first strike", "after first strike"}
    assert (f["ri_pvalue"] == 0.5).all() and (f["overall_att"] == 0.05).all()
    _draw(plot_event_study(f), tmp_path / "es.png")


def test_dose_nonstate_strike_frames_and_plots(tmp_path: Path) -> None:
    dose = pd.DataFrame({"outcome": "y", "label": "y", "model": "quasipoisson_floor1", "sample": "with pre-campaign zeros",
                         "strike_series": "spliced", "term": [f"dose_lag{i}" for i in range(3)] + ["cumulative"],
                         "lag": [0, 1, 2, -1], "rate_ratio": [1.1, 0.9, 1.0, 1.0], "rr_low": [0.9, 0.8, 0.9, 0.8],
                         "rr_high": [1.3, 1.1, 1.2, 1.3], "n_months": 40})
    d = dose_response_data(dose)
    assert list(d["lag_label"].cat.categories) == ["0", "1", "2", "sum"]
    _draw(plot_dose_response(d), tmp_path / "dose.png")
    ns = pd.DataFrame({"period": [str(p) for p in pd.period_range("2013-01", "2015-12", freq="M")] * 2,
                       "country": ["Syria"] * 36 + ["Iraq"] * 36, "non_state": np.arange(72.0)})
    n = nonstate_data(ns, "2014-01", "2014-12")
    assert len(n) == 24 and list(n["country"].cat.categories) == ["Syria", "Iraq"]
    _draw(plot_nonstate(n, intervention_frame(load_study())), tmp_path / "ns.png")
    sp = pd.DataFrame({"period": ["2014-07", "2014-08", "2015-01", "2015-06"], "strikes": [0.0, 114, 671, 532],
                       "source": ["construction", "airstrikes_information_dk", "airstrikes_information_dk", "centcom_strikes"],
                       "info_dk": [np.nan, 114, 671, np.nan], "centcom": [np.nan, np.nan, 487, 532]})
    s = strikes_data(sp)
    assert len(s) == 5 and (s["series"] == "CENTCOM scrape (overlap, not used)").sum() == 1
    _draw(plot_strikes(s), tmp_path / "strikes.png")


@pytest.mark.slow
@pytest.mark.realdata
def test_run_designs_on_the_real_releases(tmp_path: Path, shared_data_dir: Path) -> None:
    from externalize.build import build_study
    from externalize.designs import run_designs
    from externalize.registry import load_registry

    reg = load_registry()
    keep = {k: reg[k] for k in DESIGN_SOURCES} | {k: v for k, v in reg.items() if not v.is_read}
    study_file = tmp_path / "study.toml"
    text = load_study().path.read_text()
    text = text.replace("ri_draws = 999", "ri_draws = 99") if "[designs]" in text else text + "\n[designs]\nri_draws = 99\n"
    study_file.write_text(text)
    study = load_study(study_file)
    built = build_study(study, shared_data_dir, tmp_path / "processed", registry=keep, use_cache=False)
    written = run_designs(built, study, tmp_path / "tables", data_dir=shared_data_dir)
    assert set(written) >= {"strikes_monthly", "did_participation", "dose_response", "nonstate_monthly",
                            "nonstate_share_ucdp", "joint_operations", "did_facts"}

    strikes = pd.read_csv(written["strikes_monthly"]).set_index("period")
    assert strikes.loc["2014-07", "strikes"] == 0 and bool(strikes.loc["2014-07", "zero_by_construction"])
    assert strikes.loc["2014-08", "strikes"] == 114 and strikes.loc["2015-01", "strikes"] == 671
    assert strikes.loc["2015-06", "source"] == "centcom_strikes"

    share = pd.read_csv(written["nonstate_share_ucdp"]).set_index("year")
    assert share.loc[2014, "is_vs_nusra_lineage"] == 3115 and share.loc[2014, "total"] == 10356
    assert 0.95 < share.loc[2013, "share_with_is"] < 0.99 and share.loc[2014, "share_with_is"] > 0.98

    joint = pd.read_csv(written["joint_operations"]).set_index(["pair", "measure"])
    assert joint.loc[("ISIL-ANF", "joint operations (period not stated)"), "count"] == 12
    assert joint.loc[("ISIL-ANF", "infighting incidents, 2014"), "count"] == 69

    did = pd.read_csv(written["did_participation"])
    facts = json.loads(written["did_facts"].read_text())
    assert facts["participation"]["nesser"]["treated"] == ["Belgium", "Denmark", "France", "Netherlands",
                                                           "United Kingdom"]
    assert len(facts["participation"]["crenshaw"]["treated"]) == 8
    main = did[(did["aggregation"] == "overall") & (did["outcome"] == "all") & (did["control_group"] == "never_treated")
               & (did["covariates"] == "none") & did["estimator"].str.startswith("Callaway")]
    assert len(main) == 2 and main["ri_pvalue"].between(0.01, 1).all()
    assert (main["counterfactual_mean"] > 0).all()
    placebo = did[(did["outcome"] == "rwattacks (placebo)") & (did["aggregation"] == "overall")
                  & (did["control_group"] == "never_treated")]
    assert placebo["ri_pvalue"].notna().all()
    assert (did["outcome"] == "rwattacks (placebo)").any()
    assert did["estimator"].str.startswith("pooled ITS").sum() == 2

    dose = pd.read_csv(written["dose_response"])
    assert {"plots_western_europe", "plots_west", "syria_nonstate_fatalities"} <= set(dose["outcome"])
    ns = pd.read_csv(written["nonstate_monthly"]).set_index(["country", "period"])
    assert ns.loc[("Syria", "2014-01"), "non_state"] == 1987 and ns.loc[("Syria", "2014-10"), "non_state"] == 1337

    from externalize.designs.notes import SCOPE, did_versus_its, headline_numbers
    assert set(SCOPE) == {"participation", "dose_response", "nonstate", "joint_operations"}
    sentences = did_versus_its(tmp_path / "tables")
    assert len(sentences) == 2 and all("randomization p =" in x for x in sentences)
    h = headline_numbers(tmp_path / "tables")
    assert {"did_overall", "pooled_its_rate_ratio", "dose_cumulative", "ucdp_share", "is_nusra",
            "strikes_overlap"} <= set(h)
    assert h["strikes_overlap"]["centcom"] < h["strikes_overlap"]["info_dk"]      # the scrape misses releases
    assert {"its", "break_profile", "placebo"} <= {k.removeprefix("nonstate_") for k in written}

    f = event_study_data(did)
    save_figure(plot_event_study(f), f, "design_event_study", tmp_path / "fig", 9, 6)
    assert (tmp_path / "fig" / "design_event_study.png").is_file()
