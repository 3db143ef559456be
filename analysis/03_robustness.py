"""Step 3: placebo dates, break-date sweeps, block bootstrap, specification curve; then the findings: the
registered primary estimands with Holm, rival dates, the direct test and the cached simulation study
(analysis/cache/simulation_study.csv, made by analysis/simulation_grid.py); tables to reports/output/tables/."""

from _args import parse

from externalize.build import load_built
from externalize.estimates import robustness_study

args, study = parse(__doc__)
robustness_study(load_built(), study)
