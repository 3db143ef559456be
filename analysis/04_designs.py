"""Step 4: the designs beside the interrupted time series: staggered participation in the strike campaign
(difference-in-differences), strike dose-response, non-state fighting, joint operations; tables to
reports/output/tables/.

The same as `externalize run --step designs`, with the same options (--data-dir, --study, --out-dir, --jobs,
--allow-checksum-mismatch, --force) and the same one-line errors; the step is skipped when its inputs did not
change since its last run (--force redoes it).
"""

from externalize.cli import run_step_script

# the guard matters: worker processes (--jobs) import this module and must not start the step again
if __name__ == "__main__":
    run_step_script("designs", __file__)
