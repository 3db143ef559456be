"""Build benchmark on SYNTHETIC full-size releases (not a test; run by hand or in CI as a report).

    python benchmarks/bench_build.py [--gtd-rows 200000] [--ged-rows 300000] [--seed 0] [--json out.json]

Writes a synthetic GTD release (externalize.synthetic.gtd.write_gtd_release, when that module and the gtd
adapter are importable) and a synthetic GED release (externalize.synthetic.ged.write_ged_release) into a
temporary folder, then reads them through the package's real loading path, `externalize.build.read_sources`
(locate the researcher-supplied files, hash them, run the adapters, validate, write / read the parquet cache):

    cold   empty cache: adapters parse the raw files and the cache is written      target <= 30 s
    warm   cache filled by the cold run: parquet is read back                      target <= 3 s
    memory peak resident set size of either run                                    target <= 2 GB

Each phase runs in its own Python process so that its peak memory (ru_maxrss) is its own and the warm run
starts without anything left in memory by the cold one. The release files are synthetic: the numbers say how
fast the code is, nothing about the world.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"cold_seconds": 30.0, "warm_seconds": 3.0, "peak_rss_mb": 2048.0}
SOURCES = ("gtd_full", "ucdp_ged_global")


def _peak_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB (macOS in bytes)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024


def _gtd_available() -> bool:
    try:
        import externalize.sources.gtd  # noqa: F401
        import externalize.synthetic.gtd  # noqa: F401
    except ImportError:
        return False
    return True


def write_releases(folder: Path, gtd_rows: int, ged_rows: int, seed: int) -> dict[str, object]:
    from externalize.synthetic.ged import write_ged_release

    info: dict[str, object] = {}
    t = time.perf_counter()
    ged = write_ged_release(folder, n_rows=ged_rows, seed=seed)
    info["ged_file"], info["ged_rows"], info["ged_write_seconds"] = str(ged), ged_rows, time.perf_counter() - t
    if _gtd_available():
        from externalize.synthetic.gtd import write_gtd_release

        t = time.perf_counter()
        gtd = write_gtd_release(folder, n_rows=gtd_rows, seed=seed)
        info["gtd_file"], info["gtd_rows"], info["gtd_write_seconds"] = str(gtd), gtd_rows, time.perf_counter() - t
    else:
        info["gtd_file"] = None
        info["gtd_note"] = "externalize.synthetic.gtd or externalize.sources.gtd not importable: GTD not measured"
    return info


def run_phase(data_dir: Path, cache_dir: Path) -> dict[str, object]:
    """One build read of the synthetic sources (in this process); seconds, rows and peak memory."""
    from rich.console import Console

    from externalize.build import read_sources
    from externalize.registry import load_registry

    registry = load_registry()
    keys = [k for k in SOURCES if k != "gtd_full" or _gtd_available()]
    subset = {k: registry[k] for k in keys}
    console = Console(stderr=True, quiet=True)
    t = time.perf_counter()
    events, yearly, ledger, _ = read_sources(subset, data_dir=data_dir, cache_dir=cache_dir, console=console,
                                          allow_synthetic=True)
    seconds = time.perf_counter() - t
    missing = [k for k in keys if k not in ledger.entries]
    return {"seconds": seconds, "events": len(events), "yearly": len(yearly),
            "rows_read": {k: e.rows_read for k, e in ledger.entries.items()},
            "not_read": {k: ledger.skipped.get(k, "") for k in missing},
            "peak_rss_mb": _peak_rss_mb()}


def _child(phase: str, data_dir: Path, cache_dir: Path) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--phase", phase, "--data-dir", str(data_dir), "--cache-dir", str(cache_dir)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{phase} run failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gtd-rows", type=int, default=200_000)
    ap.add_argument("--ged-rows", type=int, default=300_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument("--phase", choices=["cold", "warm"], help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--cache-dir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.phase:  # child process: one phase, JSON on stdout
        print(json.dumps(run_phase(args.data_dir, args.cache_dir)))
        return 0

    with tempfile.TemporaryDirectory(prefix="externalize-bench-") as tmp:
        data_dir, cache_dir = Path(tmp) / "data", Path(tmp) / "cache"
        data_dir.mkdir()
        print(f"writing SYNTHETIC releases (GTD {args.gtd_rows:,} rows, GED {args.ged_rows:,} rows) to {data_dir}")
        info = write_releases(data_dir, args.gtd_rows, args.ged_rows, args.seed)
        cold = _child("cold", data_dir, cache_dir)
        warm = _child("warm", data_dir, cache_dir)
    peak = max(float(cold["peak_rss_mb"]), float(warm["peak_rss_mb"]))
    checks = {
        "cold_seconds": (float(cold["seconds"]), TARGETS["cold_seconds"]),
        "warm_seconds": (float(warm["seconds"]), TARGETS["warm_seconds"]),
        "peak_rss_mb": (peak, TARGETS["peak_rss_mb"]),
    }
    print(f"sources read: {cold['rows_read']}" + (f"; not read: {cold['not_read']}" if cold["not_read"] else ""))
    if info.get("gtd_note"):
        print(f"NOTE: {info['gtd_note']}")
    print(f"{'measure':<14}{'value':>10}{'target':>10}  result")
    for name, (value, target) in checks.items():
        print(f"{name:<14}{value:>10.2f}{target:>10.2f}  {'ok' if value <= target else 'OVER TARGET'}")
    result = {"synthetic": True, "releases": info, "cold": cold, "warm": warm,
              "targets": TARGETS, "within_targets": all(v <= t for v, t in checks.values())}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0 if result["within_targets"] else 1


if __name__ == "__main__":
    sys.exit(main())
