"""Step 1: read, verify and classify every present release; write events, series, ledger and coverage to
data/processed/.

The same as `externalize run --step build`, with the same options (--data-dir, --study, --out-dir,
--allow-checksum-mismatch, --force) and the same one-line errors; the step is skipped when its inputs did not
change since its last run (--force redoes it).
"""

import sys

from externalize.cli import app

app(["run", "--step", "build", *sys.argv[1:]], prog_name="python analysis/01_build.py")
