"""Step 1: read, verify and classify every present release; write events, series, ledger and coverage
to data/processed/."""

from _args import parse

from externalize.build import build_study

args, study = parse(__doc__)
build_study(study, data_dir=args.data_dir)
