"""Synthetic releases in the exact raw formats, at full scale, for tests and benchmarks ONLY.

Every file written here is labelled synthetic: the file name contains SYNTHETIC, free-text fields say so,
and a sidecar `<file>.expected.json` records the seed and the counts that were built in. Synthetic data never
feeds a finding. Write these files to a temporary folder, never into a data folder a study reads: their
names match the researcher-supplied patterns of the registry (GEDEvent_v*.csv, globalterrorismdb_*.csv) on
purpose, so that benchmarks exercise the real loading path; the build ignores files whose name carries
SYNTHETIC_MARK unless told otherwise (`allow_synthetic=True`, used by the benchmark).

    externalize.synthetic.ged.write_ged_release(path, n_rows=300_000, seed=0) -> Path
    externalize.synthetic.gtd.write_gtd_release(path, n_rows=200_000, seed=0, fmt="csv") -> Path
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from externalize.locate import SYNTHETIC_MARK

__all__ = ["SYNTHETIC_MARK", "write_csv"]


def write_csv(frame: pd.DataFrame, out: Path, encoding: str = "utf-8") -> None:
    """Write `frame` as a CSV with a header and no index; fields quoted only where needed, missing = empty.

    UTF-8 goes through pyarrow's CSV writer (several times faster than DataFrame.to_csv on pandas' Arrow
    string columns); any other encoding through pandas. Numbers are written in their shortest form (pyarrow
    writes the float 1.0 as "1", pandas as "1.0"): the adapters read both alike.
    """
    if encoding.lower().replace("-", "").replace("_", "") != "utf8":
        frame.to_csv(out, index=False, encoding=encoding)
        return
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pa.Table.from_pandas(frame, preserve_index=False)
    pacsv.write_csv(table, out, write_options=pacsv.WriteOptions(quoting_style="needed"))
