"""Fixtures for the robustness tests: strucchange reference tables and small seeded series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REFS = Path(__file__).resolve().parent / "references"


@pytest.fixture(scope="session")
def break_series() -> dict[str, pd.Series]:
    """The series strucchange analysed (make_references.R), on a monthly index from 2008-01."""
    d = pd.read_csv(REFS / "break_series.csv")
    out = {}
    for name, g in d.groupby("series", sort=False):
        out[str(name)] = pd.Series(g["y"].to_numpy(), index=pd.period_range("2008-01", periods=len(g), freq="M"))
    return out


@pytest.fixture(scope="session")
def counts_series() -> pd.Series:
    """120 months of Poisson counts (mean 4.5, rate x 1.8 from 2014-09), seeded."""
    rng = np.random.default_rng(7)
    idx = pd.period_range("2008-01", periods=120, freq="M")
    mu = 4.5 * np.exp(np.log(1.8) * (np.arange(120) >= 80))
    return pd.Series(rng.poisson(mu).astype(float), index=idx)


@pytest.fixture(scope="session")
def nesser_monthly(shared_data_dir: Path) -> pd.Series:
    """Jihadi plots in Western Europe (Nesser, all = launched + foiled), summed over countries per month."""
    path = shared_data_dir / "hegghammer_plots" / "nesser_cym.csv.xz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    d = pd.read_csv(path)
    per = pd.PeriodIndex([pd.Period(s.replace("m", "-"), freq="M") for s in d["year_month"]])
    s = d["all"].groupby(per).sum().sort_index()
    return s.astype(float)
