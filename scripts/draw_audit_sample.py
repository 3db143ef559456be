"""Draw the referee audit sample of the coding (issue "Coding v2"): a seeded sample of 30 rows per event class
from a finished build, with every field a reader needs to judge the row against its source.

    python scripts/draw_audit_sample.py [--build data/processed] [--seed 20261129] [--per-class 30]

Writes data/audit/coding_v2_sample.csv. Verdicts are kept apart, in data/audit/coding_v2_verdicts.csv
(source, row_id, verdict, reason), written by the auditor after reading each row against the source's own
fields and text (GTD summary, corp1/target1, nationality; UCDP side_a/side_b, dyad; MMP description); this
script joins them and prints the count of rows per class that are what the class says. A class with fewer
rows than --per-class is audited whole. Rows are drawn from events and yearly rows together.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from externalize.vocab import EVENT_CLASSES

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "audit"
FIELDS = ["event_class", "rule_id", "source", "row_id", "date", "date_precision", "year", "side_a", "side_b",
          "family_a", "family_b", "relation", "country", "target_type", "target_nationality", "target_name",
          "plot_status", "n", "summary"]


def draw(build: Path, seed: int, per_class: int) -> pd.DataFrame:
    ev = pd.read_parquet(build / "events.parquet").rename(columns={"event_id": "row_id"})
    yr = pd.read_parquet(build / "yearly.parquet").rename(columns={"record_id": "row_id"})
    ev["date"] = ev["date"].dt.date.astype("string").where(ev["date_precision"] != "year", pd.NA)
    allrows = pd.concat([ev, yr], ignore_index=True)
    for c in FIELDS:
        if c not in allrows.columns:
            allrows[c] = pd.NA
    rng = np.random.default_rng(seed)
    parts = []
    for cls in EVENT_CLASSES:
        pool = allrows[allrows["event_class"] == cls]
        if pool.empty:
            continue
        take = rng.choice(len(pool), size=min(per_class, len(pool)), replace=False)
        parts.append(pool.iloc[np.sort(take)][FIELDS].assign(pool_rows=len(pool)))
    out = pd.concat(parts, ignore_index=True)
    out["summary"] = out["summary"].astype("string").str.slice(0, 400)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", type=Path, default=ROOT / "data" / "processed")
    ap.add_argument("--seed", type=int, default=20261129)
    ap.add_argument("--per-class", type=int, default=30)
    args = ap.parse_args()
    sample = draw(args.build, args.seed, args.per_class)
    verdicts_path = OUT / "coding_v2_verdicts.csv"
    if verdicts_path.is_file():
        v = pd.read_csv(verdicts_path, dtype={"row_id": str})
        sample = sample.merge(v, on=["source", "row_id"], how="left")
    OUT.mkdir(parents=True, exist_ok=True)
    sample.to_csv(OUT / "coding_v2_sample.csv", index=False)
    if "verdict" in sample.columns:
        tally = sample.groupby("event_class", sort=False).agg(
            rows=("row_id", "size"), correct=("verdict", lambda s: int((s == "correct").sum())),
            judged=("verdict", lambda s: int(s.notna().sum())))
        print(tally.to_string())
    print(f"{len(sample)} rows -> {OUT / 'coding_v2_sample.csv'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
