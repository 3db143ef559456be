"""Step 4: draw every figure (PNG at 300 dpi + SVG, each with the CSV it is drawn from) into
reports/output/figures/."""

from _args import parse

from externalize.figures import make_figures
from externalize.report import DEFAULT_OUTPUT

args, study = parse(__doc__)
for name, paths in make_figures(DEFAULT_OUTPUT, study).items():
    print(f"{name}: {paths['png']}")
