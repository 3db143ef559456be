"""Step 4: draw every figure (PNG + the CSV it is drawn from) into reports/output/figures/.

The same as `externalize run --step figures`, with the same options (--data-dir, --study, --out-dir,
--allow-checksum-mismatch, --force) and the same one-line errors; the step is skipped when its inputs did not
change since its last run (--force redoes it).
"""

import sys

from externalize.cli import app

app(["run", "--step", "figures", *sys.argv[1:]], prog_name="python analysis/04_figures.py")
