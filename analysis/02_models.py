"""Step 2: fit every outcome x model of the study (analysis/study.toml); write the estimate tables to
reports/output/tables/.

The same as `externalize run --step fit`, with the same options (--data-dir, --study, --out-dir,
--allow-checksum-mismatch, --force) and the same one-line errors; the step is skipped when its inputs did not
change since its last run (--force redoes it).
"""

import sys

from externalize.cli import app

app(["run", "--step", "fit", *sys.argv[1:]], prog_name="python analysis/02_models.py")
