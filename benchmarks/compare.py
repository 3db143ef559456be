"""Before / after: two result CSVs of benchmarks/bench.py side by side.

    python benchmarks/compare.py benchmarks/results/<date>-before.csv benchmarks/results/<date>-after.csv [--md]

Rows are matched by (section, item); the real build's floor is filled in, when a file lacks it, as the sum
of the adapter floors of that same file (what bench.py itself does since it reports that floor). A file
that does not end in .csv is read as the printed output of bench.py (its fixed-width tables), for a run
that was stopped before it wrote its CSV. Several files may be given for either side, joined with "+".
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path


SECTIONS = ("adapters", "build", "pipeline", "refits", "synthetic")


def _from_log(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    """Rows of bench.py's printed tables: section(10) item(52) package(10) floor(9) ratio(8) MB(8) text."""
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for line in path.read_text().splitlines():
        if not line[:10].strip() in SECTIONS or len(line) < 100:
            continue
        def cell(a: int, b: int) -> str:
            v = line[a:b].strip()
            return "" if v == "-" else v

        rows[(line[:10].strip(), line[11:63].strip())] = {
            "package_s": cell(63, 74), "floor_s": cell(74, 84), "ratio": cell(84, 93), "peak_rss_mb": cell(93, 102)}
    return rows


def load(spec: str) -> dict[tuple[str, str], dict[str, str]]:
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for part in spec.split("+"):
        path = Path(part)
        if path.suffix == ".csv":
            with path.open(newline="") as fh:
                rows.update({(r["section"], r["item"]): r for r in csv.DictReader(fh)})
        else:
            rows.update(_from_log(path))
    floors = [float(r["floor_s"]) for (sec, item), r in rows.items()
              if sec == "adapters" and r["floor_s"] and " read with " not in item]
    for (sec, item), r in rows.items():
        if sec == "build" and item.startswith("real build") and not r["floor_s"] and floors and r["package_s"]:
            r["floor_s"] = f"{sum(floors):.4f}"
            r["ratio"] = f"{float(r['package_s']) / sum(floors):.4f}"
    return rows


def fmt(v: str, digits: int = 2) -> str:
    return f"{float(v):.{digits}f}" if v not in ("", None) else "-"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("before", help="a results CSV or a bench.py log (several joined with +)")
    ap.add_argument("after")
    ap.add_argument("--md", action="store_true", help="print a Markdown table")
    args = ap.parse_args()
    a, b = load(args.before), load(args.after)
    keys = list(a) + [k for k in b if k not in a]
    head = ["section", "item", "before s", "before ratio", "before MB", "after s", "after ratio", "after MB"]
    lines = []
    for k in keys:
        ra, rb = a.get(k, {}), b.get(k, {})
        lines.append([k[0], k[1], fmt(ra.get("package_s", "")), fmt(ra.get("ratio", "")),
                      fmt(ra.get("peak_rss_mb", ""), 0), fmt(rb.get("package_s", "")), fmt(rb.get("ratio", "")),
                      fmt(rb.get("peak_rss_mb", ""), 0)])
    if args.md:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        print(f"{head[0]:<10} {head[1]:<52}" + "".join(f"{h:>13}" for h in head[2:]))
        for line in lines:
            print(f"{line[0]:<10} {line[1][:52]:<52}" + "".join(f"{x:>13}" for x in line[2:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
