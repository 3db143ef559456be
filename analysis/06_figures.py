"""Step 6: draw every figure (PNG + the CSV it is drawn from) into reports/output/figures/.

The same as `externalize run --step figures`, with the same options (--data-dir, --study, --out-dir, --jobs,
--allow-checksum-mismatch, --force) and the same one-line errors; the step is skipped when its inputs did not
change since its last run (--force redoes it).
"""

from externalize.cli import run_step_script

# the guard matters: worker processes (--jobs) import this module and must not start the step again
if __name__ == "__main__":
    run_step_script("figures", __file__)
