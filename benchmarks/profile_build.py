"""Where a real-data build spends its time: cProfile of `build_study`, summed per module.

    python benchmarks/profile_build.py [--label NAME] [--warm] [--stats existing.prof]

Runs the build (cold: a fresh output folder, so every adapter parses its raw files; --warm: build twice and
profile the second, cache-filled run) under cProfile, then prints and writes
benchmarks/results/<date>-profile-<label>.csv with three views:

  module     own time (tottime) summed per source file, grouped as externalize.<module> for the package and
             <top-level package> for libraries (pandas, rdata, pyarrow...): where the CPU actually goes;
  step       cumulative time of the build's own steps (each adapter's read, classification, the series,
             writing outputs): which owner can act;
  function   the 25 package functions with the most cumulative time.

cProfile adds overhead to every Python call (pure-Python code such as rdata's parser looks slower than it
is); the shares, not the absolute seconds, are the signal. `--stats` summarises a .prof written earlier.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import datetime as dt
import pstats
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

#: the build's own steps, as (label, file suffix, function name)
STEPS = (
    ("read_sources (all adapters + cache)", "externalize/build.py", "read_sources"),
    ("classify_tables", "externalize/classify.py", "classify_tables"),
    ("monthly_counts", "externalize/series.py", "monthly_counts"),
    ("yearly_counts", "externalize/series.py", "yearly_counts"),
    ("coverage_table", "externalize/build.py", "coverage_table"),
    ("write_outputs", "externalize/build.py", "write_outputs"),
)


def module_of(filename: str) -> str:
    """externalize.<module path> for package files, the top-level package name for libraries."""
    path = filename.replace("\\", "/")
    if "/externalize/" in path and path.endswith(".py"):
        rel = path.split("/externalize/", 1)[1][:-3].replace("/", ".")
        return f"externalize.{rel}"
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if path.startswith("~") or path.startswith("<"):
        return "builtins / C calls"
    return "python stdlib"


def summarise(stats: pstats.Stats) -> tuple[list[tuple[str, float]], list[tuple[str, float]],
                                             list[tuple[str, float, float]], float]:
    raw = stats.stats  # type: ignore[attr-defined]  # {(file, line, func): (cc, nc, tt, ct, callers)}
    per_module: dict[str, float] = defaultdict(float)
    total = 0.0
    for (file, _line, _func), (_cc, _nc, tt, _ct, _callers) in raw.items():
        per_module[module_of(file)] += tt
        total += tt
    modules = sorted(per_module.items(), key=lambda kv: -kv[1])
    steps = []
    for label, suffix, func in STEPS:
        ct = sum(v[3] for (f, _l, fn), v in raw.items() if fn == func and f.replace("\\", "/").endswith(suffix))
        steps.append((label, ct))
    for (file, _line, func), v in raw.items():  # each adapter's read, one row per adapter module
        path = file.replace("\\", "/")
        if "/externalize/sources/" in path and func == "read" and not path.endswith("base.py"):
            steps.append((f"  adapter {Path(path).stem}.read", v[3]))
    funcs = sorted(((f"{module_of(f)}.{fn}", v[2], v[3]) for (f, _l, fn), v in raw.items()
                    if module_of(f).startswith("externalize.")), key=lambda t: -t[2])[:25]
    return modules, steps, funcs, total


def profile_build(warm: bool) -> pstats.Stats:
    from rich.console import Console

    from externalize.build import build_study
    from externalize.config import load_study

    study = load_study()
    console = Console(stderr=True, quiet=True)
    with tempfile.TemporaryDirectory(prefix="externalize-profile-") as tmp:
        if warm:
            build_study(study, None, tmp, console=console)
        prof = cProfile.Profile()
        prof.enable()
        build_study(study, None, tmp, console=console)
        prof.disable()
    return pstats.Stats(prof)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--label", default="cold")
    ap.add_argument("--warm", action="store_true")
    ap.add_argument("--stats", type=Path, help="summarise this .prof instead of profiling a build")
    args = ap.parse_args()
    stats = pstats.Stats(str(args.stats)) if args.stats else profile_build(args.warm)
    modules, steps, funcs, total = summarise(stats)
    print(f"profiled own time: {total:.1f} s (cProfile overhead included)\n")
    print(f"{'module (own time)':<44}{'seconds':>10}{'share':>8}")
    for name, sec in modules[:25]:
        print(f"{name:<44}{sec:>10.2f}{sec / total:>8.1%}")
    print(f"\n{'build step (cumulative)':<44}{'seconds':>10}{'share':>8}")
    for name, sec in steps:
        print(f"{name:<44}{sec:>10.2f}{sec / total:>8.1%}")
    print(f"\n{'package function':<60}{'own s':>9}{'cum s':>9}")
    for name, tt, ct in funcs:
        print(f"{name[:60]:<60}{tt:>9.2f}{ct:>9.2f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{dt.date.today().isoformat()}-profile-{args.label}.csv"
    with open(out, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["view", "name", "own_s", "cumulative_s", "share_of_profiled"])
        for name, sec in modules:
            if sec >= 0.01:
                w.writerow(["module", name, f"{sec:.3f}", "", f"{sec / total:.4f}"])
        for name, sec in steps:
            w.writerow(["step", name.strip(), "", f"{sec:.3f}", f"{sec / total:.4f}"])
        for name, tt, ct in funcs:
            w.writerow(["function", name, f"{tt:.3f}", f"{ct:.3f}", f"{ct / total:.4f}"])
    print(f"\nwritten {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
