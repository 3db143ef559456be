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


def _child_holding(mb: int) -> list[str]:
    """A child that holds `mb` MB and prints its own peak the way bench.py's children do."""
    code = (f"import importlib.util as u, json, sys; s = u.spec_from_file_location('b', {str(SCRIPT)!r}); "
            "m = u.module_from_spec(s); sys.modules['b'] = m; s.loader.exec_module(m); "
            f"x = bytearray({mb} * 2**20); x[::4096] = b'x' * len(x[::4096]); "
            "print(json.dumps({'peak_rss_mb': m.own_peak_rss_mb()}))")
    return ["-c", code]


def test_peak_memory_is_the_childs_own() -> None:
    """A child that holds 300 MB reports at least that; a small child reports little even when this process
    holds 400 MB when it starts the child (Linux's ru_maxrss from wait4 would report this process's peak)."""
    bench = _bench()
    _, big, _ = bench.run_child(_child_holding(300))
    ballast = bytearray(400 * 2**20)
    ballast[::4096] = b"x" * len(ballast[::4096])
    _, small, _ = bench.run_child(_child_holding(0))
    del ballast
    assert big >= 300 > 200 > small


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


def test_study_refits_are_the_same_fits_as_the_statsmodels_loop() -> None:
    """The refit rows time the path the study uses (countinf: bootstrap refits, NB2 + HAC) and the loop they
    are compared with does the same fits: coefficients agree to 1e-10 (bootstrap) and 1e-4 (NB2, both IRLS)."""
    bench = _bench()
    boot, nb = bench.bench_study_refits(60, 20)
    assert "countinf" in boot.note and boot.package_s > 0 and boot.floor_s > 0
    assert boot.extra["max_diff"] < 1e-10 and boot.extra["fits_timed_loop"] == 20
    assert nb.extra["max_diff"] < 1e-4 and nb.extra["max_rel_se_diff"] < 1e-4


def test_the_no_op_row_runs_the_command_line(tmp_path: Path) -> None:
    """The no-op row times `externalize run` itself (the console script's module as __main__, in a fresh
    process) and takes the peak memory from that process; a failing command fails the row."""
    bench = _bench()
    _, peak, _ = bench.run_child(bench.cli_child(["--help"]))
    assert 0 < peak < 400
    with pytest.raises(RuntimeError, match="does not exist"):
        bench.run_child(bench.cli_child(["run", "--data-dir", str(tmp_path / "missing"), "--out-dir", str(tmp_path)]))
    stamps = tmp_path / "reports" / "output" / ".stamps"
    stamps.mkdir(parents=True)
    (stamps / "fit.json").write_text('{"step": "fit", "digest": "d", "finished": "t"}')
    (stamps / "hashes.json").write_text("{}")
    assert bench._stamps(tmp_path / "reports" / "output") == {"fit": "d t"}
