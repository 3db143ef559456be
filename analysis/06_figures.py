"""Step 6: draw every figure (PNG + the CSV it is drawn from) into reports/output/figures/.

The same as `externalize run --step figures`, with the same options (--data-dir, --study, --out-dir, --jobs,
--allow-checksum-mismatch, --force) and the same one-line errors; the step is skipped when its inputs did not
change since its last run (--force redoes it).
"""

import sys

from externalize.cli import app

# the guard matters: worker processes (--jobs) import this module and must not start the step again
if __name__ == "__main__":
    app(["run", "--step", "figures", *sys.argv[1:]], prog_name="python analysis/06_figures.py")
