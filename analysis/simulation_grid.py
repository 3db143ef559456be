"""The simulation study of the primary intervals (externalize.robustness.simgrid): size and coverage of
quasi-Poisson, floored quasi-Poisson, NB2 with HAC and the NB-AR(1) parametric bootstrap on the grid mean
2 / 10 / 30 x AR 0 / 0.3 / 0.6. Writes the cached, versioned summary the study step reads:

    python analysis/simulation_grid.py --n-rep 1000 --processes 2 [--out analysis/cache/simulation_study.csv]

The result does not depend on --processes (per-task seeds).
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from externalize.robustness.simgrid import run_grid

DEFAULT_OUT = Path(__file__).resolve().parent / "cache" / "simulation_study.csv"


def main(n_rep: int = typer.Option(1000, help="replications per scenario"),
         n_boot: int = typer.Option(199, help="bootstrap draws per replication"),
         processes: int = typer.Option(1, help="worker processes"),
         seed: int = typer.Option(20140808, help="seed of numpy's SeedSequence"),
         out: Path = typer.Option(DEFAULT_OUT, help="CSV file for the summary")) -> None:
    t0 = time.time()
    summary = run_grid(n_rep, n_boot=n_boot, seed=seed, processes=processes)
    out.parent.mkdir(parents=True, exist_ok=True)
    summary.to_csv(out, index=False, float_format="%.6g")
    print(f"{len(summary)} rows, {n_rep} replications per scenario, {time.time() - t0:.0f} s -> {out}")


if __name__ == "__main__":
    typer.run(main)
