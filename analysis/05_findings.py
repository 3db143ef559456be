"""Step 5: everything the report states: the registered primary estimands with Holm, rival dates, the
direct test, the cached simulation study (analysis/cache/simulation_study.csv, made by
analysis/simulation_grid.py), published counts, source comparisons, cases and coding variants.

The same as `externalize run --step findings`, with the same options (--data-dir, --study, --out-dir, --jobs,
--allow-checksum-mismatch, --force) and the same one-line errors; the step is skipped when its inputs did not
change since its last run (--force redoes it).
"""

import sys

from externalize.cli import app

# the guard matters: worker processes (--jobs) import this module and must not start the step again
if __name__ == "__main__":
    app(["run", "--step", "findings", *sys.argv[1:]], prog_name="python analysis/05_findings.py")
