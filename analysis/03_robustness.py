"""Step 3: placebo dates, break-date sweeps, block bootstrap, specification curve; tables to
reports/output/tables/.

The same as `externalize run --step robustness`, with the same options (--data-dir, --study, --out-dir, --jobs,
--allow-checksum-mismatch, --force) and the same one-line errors; the step is skipped when its inputs did not
change since its last run (--force redoes it).
"""

from externalize.cli import run_step_script

# the guard matters: worker processes (--jobs) import this module and must not start the step again
if __name__ == "__main__":
    run_step_script("robustness", __file__)
