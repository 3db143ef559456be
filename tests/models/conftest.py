"""Fixtures for the model tests: the Sicily textbook data, the R reference tables."""

from __future__ import annotations

import pandas as pd
import pytest
from models_helpers import DATA, REFS


@pytest.fixture(scope="session")
def sicily() -> pd.DataFrame:
    d = pd.read_csv(DATA / "sicily.csv")
    d.index = pd.period_range("2002-01", periods=len(d), freq="M")
    d["rate"] = d["aces"] / d["stdpop"] * 1e5
    return d


@pytest.fixture(scope="session")
def sim_counts() -> pd.DataFrame:
    d = pd.read_csv(REFS / "sim_counts.csv")
    d.index = pd.PeriodIndex(d.pop("period").astype(str), freq="M")
    return d


@pytest.fixture(scope="session")
def ref_coefs() -> pd.DataFrame:
    return pd.read_csv(REFS / "ref_coefs.csv")


@pytest.fixture(scope="session")
def ref_stats() -> pd.DataFrame:
    return pd.read_csv(REFS / "ref_stats.csv")
