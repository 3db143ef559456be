"""Designs no interrupted-time-series tool offers, on the data in hand (issue 13):

* `participation`  staggered participation in the strike campaign across Western countries: Callaway &
                   Sant'Anna difference-in-differences on plots per country-month (`did`: the estimator,
                   validated on its published example);
* `strikes`        one monthly strike series spliced from two transcriptions, with provenance per month;
* `dose`           distributed-lag count models of each monthly outcome on strikes;
* `nonstate`       monthly non-state fatalities (UCDP GED 24.1 country-month), the clash arm's timing proxy;
* `cooperation`    IS-Nusra joint operations beside infighting (Gade et al.), a cross-section.

`run_designs(built, study, tables_dir)` runs them all and writes their tables; each returns tidy frames that
`externalize.figures.designs` draws.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from externalize.designs.run import run_designs


def __getattr__(name: str) -> Any:
    # imported on first use (PEP 562): the report reads `designs.notes` without loading the models
    if name == "run_designs":
        from externalize.designs.run import run_designs

        return run_designs
    raise AttributeError(f"module 'externalize.designs' has no attribute {name!r}")


__all__ = ["run_designs"]
