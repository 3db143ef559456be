"""Step 5: render the report (self-contained HTML and PDF) from the saved tables and figures.

The same as `externalize run --step report`, with the same options (--data-dir, --study, --out-dir,
--allow-checksum-mismatch, --force) and the same one-line errors; the step is skipped when its inputs did not
change since its last run (--force redoes it).
"""

import sys

from externalize.cli import app

app(["run", "--step", "report", *sys.argv[1:]], prog_name="python analysis/05_report.py")
