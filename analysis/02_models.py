"""Step 2: fit every outcome x model of the study (analysis/study.toml [models], [[outcomes]], [comparisons]);
write the estimate tables to reports/output/tables/."""

from _args import parse

from externalize.build import load_built
from externalize.estimates import fit_study

args, study = parse(__doc__)
fit_study(load_built(), study)
