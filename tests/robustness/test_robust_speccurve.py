"""Specification curve: one row per spec, refused fits kept, ranks, numbers equal to direct fits."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from externalize.models import fit_its
from externalize.robustness import Spec, specification_curve
from externalize.robustness.speccurve import CURVE_COLUMNS


@pytest.fixture(scope="module")
def nb_series() -> pd.Series:
    """120 months of overdispersed counts (NB2, mean 6, alpha 0.4; rate x 1.5 from 2014-09), seeded."""
    rng = np.random.default_rng(21)
    mu = 6.0 * np.exp(np.log(1.5) * (np.arange(120) >= 80)) * rng.gamma(2.5, 0.4, 120)
    return pd.Series(rng.poisson(mu).astype(float), index=pd.period_range("2008-01", periods=120, freq="M"))


@pytest.fixture(scope="module")
def specs(nb_series: pd.Series) -> list[Spec]:
    counts_series = nb_series
    iv = {"strikes": "2014-09"}
    out = []
    for window, y in (("2008-2017", counts_series), ("2012-2017", counts_series.loc["2012-01":])):
        for seas in (0, 1):
            for model in ("ols_hac", "quasipoisson", "negbin"):
                out.append(Spec(labels={"source": "sim", "window": window, "seasonality": "on" if seas else "off",
                                        "model": model},
                                series=y, interventions=iv, model=model, options={"seasonality": seas}))
    # a specification the model suite refuses: 3 months before the intervention
    out.append(Spec(labels={"source": "short", "window": "2014-06-2017"}, series=counts_series.loc["2014-06":],
                    interventions=iv, model="poisson"))
    return out


def test_one_row_per_spec_with_refusals_kept(specs: list[Spec]) -> None:
    curve = specification_curve(specs)
    assert len(curve) == len(specs)
    assert list(curve.columns) == ["source", "window", "seasonality", *CURVE_COLUMNS]
    refused = curve[curve["error"] != ""]
    assert len(refused) == 1 and refused["source"].item() == "short"
    assert "pre-intervention period" in refused["error"].item()
    assert np.isnan(refused["rank"].item()) and curve.index[-1] == refused.index[0]  # refused rows last
    assert refused["seasonality"].item() == ""  # label not given for that spec


def test_ordered_by_estimate_with_rank(specs: list[Spec]) -> None:
    curve = specification_curve(specs)
    ok = curve[curve["error"] == ""]
    assert ok["estimate"].is_monotonic_increasing
    assert ok["rank"].tolist() == list(range(1, len(ok) + 1))


def test_numbers_equal_direct_fits(specs: list[Spec], nb_series: pd.Series) -> None:
    curve = specification_curve(specs, alpha=0.1)
    row = curve[(curve["window"] == "2012-2017") & (curve["seasonality"] == "on") &
                (curve["model"] == "negbin")].iloc[0]
    res = fit_its(nb_series.loc["2012-01":], {"strikes": "2014-09"}, "negbin", seasonality=1)
    tidy = res.tidy(0.1).set_index("term").loc["level_strikes"]
    for col in ("estimate", "std_error", "ci_low", "ci_high", "p_value", "ratio"):
        assert row[col] == pytest.approx(tidy[col], rel=1e-12)
    assert row["n"] == 72 and row["term"] == "level_strikes"
    ols = curve[curve["model"] == "ols_hac"]
    assert ols["ratio"].isna().all()


def test_warnings_are_recorded_not_raised() -> None:
    # overdispersed counts fitted by Poisson: the OverdispersionWarning goes into the row
    rng = np.random.default_rng(0)
    idx = pd.period_range("2010-01", periods=72, freq="M")
    y = pd.Series(rng.negative_binomial(1, 0.1, 72).astype(float), index=idx)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may escape
        curve = specification_curve([Spec({"source": "nb"}, y, {"x": "2013-01"}, "poisson")])
    assert "OverdispersionWarning" in curve["warning"].item()


def test_label_clash_and_empty_refused(counts_series: pd.Series) -> None:
    with pytest.raises(ValueError, match="no specifications"):
        specification_curve([])
    with pytest.raises(ValueError, match="clash"):
        specification_curve([Spec({"estimate": "x"}, counts_series, {"x": "2014-09"})])


def test_curve_summary_counts_by_model(specs: list[Spec]) -> None:
    from externalize.robustness import summarise_curve

    curve = specification_curve(specs)
    tab = summarise_curve(curve).set_index("model")
    assert tab["n_specs"].sum() == len(specs)
    assert tab.loc["poisson", "n_refused"] == 1 and np.isnan(tab.loc["poisson", "share_positive"])
    qp = curve[curve["model"] == "quasipoisson"]
    assert tab.loc["quasipoisson", "n_positive"] == (qp["estimate"] > 0).sum()
    assert tab.loc["quasipoisson", "median_estimate"] == pytest.approx(qp["estimate"].median())
    overall = summarise_curve(curve, by=None)
    assert len(overall) == 1 and overall["n_specs"].item() == len(specs)


def test_spec_grid_crosses_dimensions_and_skips_nonexistent(nb_series: pd.Series) -> None:
    from externalize.robustness import spec_grid

    windows = {"2008-2017": nb_series, "2012-2017": nb_series.loc["2012-01":]}

    def build(choice: dict) -> Spec | None:
        if choice["window"] == "2012-2017" and choice["model"] == "ols_hac":
            return None  # pretend this combination does not exist
        return Spec({k: str(v) for k, v in choice.items()}, windows[choice["window"]], {"s": "2014-09"},
                    choice["model"], {"seasonality": choice["seasonality"]})

    specs = spec_grid({"window": list(windows), "seasonality": [0, 1], "model": ["ols_hac", "quasipoisson"]},
                      build)
    assert len(specs) == 2 * 2 * 2 - 2
    assert [s.labels["window"] for s in specs[:4]] == ["2008-2017"] * 4
    curve = specification_curve(specs)
    assert len(curve) == 6 and set(curve["seasonality"]) == {"0", "1"}
