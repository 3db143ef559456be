"""Shared fixtures: where the real data is (if anywhere) and where the hand-made fixtures are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from externalize.parallel import pin_blas_threads

# One BLAS thread in the test process and in every process a test starts: the suite's fits are small, and on a
# shared 2-core machine OpenBLAS's own threads made some of them 20x slower (an AR(2) ARIMA test: 60 s with two
# threads under load, 3 s with one). Nothing tested depends on the thread count. (Also sets the environment
# variables that processes started by tests inherit.)
pin_blas_threads(1)

# tests needing a missing system tool (chromium, poppler, WeasyPrint's libraries) skip with the reason
pytest_plugins = ["externalize._pytest_machine"]

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


def _real_data_dir() -> Path | None:
    env = os.environ.get("EXTERNALIZE_DATA")
    for cand in ([Path(env)] if env else []) + [ROOT / "data" / "raw", ROOT.parent / "shared" / "data"]:
        if (cand / "MANIFEST.md").is_file() or (cand / "ucdp").is_dir():
            return cand
    return None


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The real data folder; tests that use it are skipped (with the reason) when it is absent."""
    found = _real_data_dir()
    if found is None:
        pytest.skip("real data folder not found (../shared/data or EXTERNALIZE_DATA)")
    return found


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES
