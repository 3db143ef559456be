"""Step 3: placebo dates, break-date sweeps, block bootstrap, specification curve; then the findings: the
registered primary estimands with Holm, rival dates, the direct test and the cached simulation study
(analysis/cache/simulation_study.csv, made by analysis/simulation_grid.py); tables to reports/output/tables/.

The same as `externalize run --step robustness`, with the same options (--data-dir, --study, --out-dir,
--allow-checksum-mismatch, --force) and the same one-line errors; the step is skipped when its inputs did not
change since its last run (--force redoes it).
"""

import sys

from externalize.cli import app

app(["run", "--step", "robustness", *sys.argv[1:]], prog_name="python analysis/03_robustness.py")
