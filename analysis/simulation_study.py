"""Simulation study of the ITS estimators: size, power and interval coverage on Poisson / negative binomial
series with a latent AR(1), at the levels of the real monthly counts (see externalize.robustness.simulation).

    python analysis/simulation_study.py [OUT.csv] [--n-rep 200] [--seed 20140808]

Writes the summary table (one row per scenario x estimator) to OUT.csv
(default reports/output/tables/simulation_study.csv).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from externalize.robustness import default_scenarios, run_simulation

DEFAULT_OUT = Path("reports/output/tables/simulation_study.csv")


def main(out: Path = typer.Argument(DEFAULT_OUT, help="CSV file for the summary table"),
         n_rep: int = typer.Option(200, help="replications per scenario"),
         seed: int = typer.Option(20140808, help="seed of numpy's SeedSequence")) -> None:
    console = Console()
    scenarios = default_scenarios()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as bar:
        task = bar.add_task("simulating", total=len(scenarios) * n_rep)
        result = run_simulation(scenarios, n_rep=n_rep, seed=seed,
                                progress=lambda name, done, total: bar.update(task, advance=1,
                                                                              description=name))
    out.parent.mkdir(parents=True, exist_ok=True)
    result.summary.to_csv(out, index=False)
    console.print(f"{len(result.summary)} rows ({len(scenarios)} scenarios, {n_rep} replications, seed {seed}) "
                  f"-> {out}")


if __name__ == "__main__":
    typer.run(main)
