"""Step 3: placebo dates, break-date sweeps, block bootstrap, specification curve and the simulation study;
tables to reports/output/tables/."""

from _args import parse

from externalize.build import load_built
from externalize.estimates import robustness_study

args, study = parse(__doc__)
robustness_study(load_built(), study)
