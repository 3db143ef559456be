"""The benchmark (benchmarks/bench.py) runs end to end on tiny releases and measures what it says it does.
Its timings are not tested (they depend on the machine); its mechanics are."""

from __future__ import annotations

import csv
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench.py"


def _bench():
    spec = importlib.util.spec_from_file_location("externalize_bench", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_peak_memory_is_the_childs_own() -> None:
    """A child that holds 300 MB reports at least that, whatever this process's own high-water mark."""
    bench = _bench()
    _, big, _ = bench.run_child(["-c", "b = bytearray(300 * 2**20); b[::4096] = b'x' * len(b[::4096])"])
    _, small, _ = bench.run_child(["-c", "pass"])
    assert big >= 300 > small


def test_ratio_and_targets() -> None:
    bench = _bench()
    row = bench.Row("synthetic", "1x cold", 4.0, floor_s=2.0, peak_rss_mb=10.0)
    assert row.ratio == 2.0 and "met" in row.target and "MISSED" not in row.target
    assert "MISSED" in bench.Row("synthetic", "1x cold", 6.0).target
    assert bench.Row("x", "y", None, floor_s=1.0).ratio is None


@pytest.mark.slow
def test_benchmark_runs_on_tiny_synthetic_releases(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--skip", "adapters,build,pipeline,refits", "--scales", "1",
                           "--rows-1x", "2000,3000", "--label", "test", "--results-dir", str(tmp_path)],
                          capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    (out,) = tmp_path.glob("*-test.csv")
    with out.open() as fh:
        rows = {r["item"]: r for r in csv.DictReader(fh)}
    assert set(rows) == {"1x write releases", "1x cold", "1x warm"}
    for phase in ("1x cold", "1x warm"):
        assert int(rows[phase]["rows"]) == 5000
        assert float(rows[phase]["package_s"]) > 0 and float(rows[phase]["peak_rss_mb"]) > 50
