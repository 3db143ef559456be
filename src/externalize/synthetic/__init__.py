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

from externalize.locate import SYNTHETIC_MARK

__all__ = ["SYNTHETIC_MARK"]
