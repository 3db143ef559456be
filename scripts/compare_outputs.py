"""Compare the outputs of two runs: every table of data/processed, reports/output/tables and the figures' CSVs,
equal to a relative tolerance of 1e-9. Use it to check that a change of code leaves the results unchanged.

    python scripts/compare_outputs.py RUN_A_ROOT RUN_B_ROOT     # roots as given to --out-dir
"""
import sys
from pathlib import Path
import numpy as np
import pandas as pd

a_root, b_root = Path(sys.argv[1]), Path(sys.argv[2])
pairs = [("data/processed", "data/processed"), ("reports/output/tables", "reports/output/tables"),
         ("reports/output/figures", "reports/output/figures")]
n_same = n_diff = 0
for ra, rb in pairs:
    for fa in sorted((a_root / ra).glob("*")):
        if fa.suffix not in (".csv", ".parquet"):
            continue
        fb = b_root / rb / fa.name
        if not fb.exists():
            print("MISSING in b:", fb); n_diff += 1; continue
        if fa.stat().st_size <= 1 or fb.stat().st_size <= 1:
            same = fa.read_bytes() == fb.read_bytes()
            print(("empty, same: " if same else "EMPTY DIFF: ") + fa.name); n_same += same; n_diff += not same; continue
        da = pd.read_parquet(fa) if fa.suffix == ".parquet" else pd.read_csv(fa)
        db = pd.read_parquet(fb) if fb.suffix == ".parquet" else pd.read_csv(fb)
        try:
            pd.testing.assert_frame_equal(da, db, check_exact=False, rtol=1e-9, atol=1e-12, check_dtype=False)
            n_same += 1
        except AssertionError as e:
            if fa.name in ("simulation_study.csv",):
                print("DIFF (expected? random)", fa.name, str(e)[:300])
            else:
                print("DIFF", fa, str(e)[:500])
            n_diff += 1
    for fb in sorted((b_root / rb).glob("*")):
        if fb.suffix in (".csv", ".parquet") and not (a_root / ra / fb.name).exists():
            print("NEW in b:", fb)
print(f"{n_same} identical, {n_diff} different")
