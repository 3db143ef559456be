"""Step 5: everything the report states: the registered primary estimands with Holm, rival dates, the
direct test, the cached simulation study (analysis/cache/simulation_study.csv, made by
analysis/simulation_grid.py), published counts, source comparisons, cases and coding variants.

The same as `externalize run --step findings`, with the same options (--data-dir, --study, --out-dir, --jobs,
--allow-checksum-mismatch, --force) and the same one-line errors; the step is skipped when its inputs did not
change since its last run (--force redoes it).
"""

from externalize.cli import run_step_script

# the guard matters: worker processes (--jobs) import this module and must not start the step again
if __name__ == "__main__":
    run_step_script("findings", __file__)
