"""Robustness checks and inference for the ITS estimates: placebo intervention dates, unknown-break tests,
block bootstrap and date permutation, the specification curve and a simulation study of the estimators.
Every function returns tidy frames (and a small result dataclass); drawing is left to the figures module.
The vectorised refits behind the placebo and bootstrap paths live in `fastfit`.

Inference for the registered primaries (issue "Inference v2"): `countinf` (floored quasi-Poisson, NB2 + HAC,
NB-AR(1) parametric bootstrap), `multiplicity` (Holm), `exact2x2` (the direct test), `rivals` (break-date
profile and confidence set, placebo ranks, two-date models) and `simgrid` (the cached simulation grid)."""

from externalize.robustness.breaks import BreaksResult, SupFResult, multiple_breaks, sup_f_test
from externalize.robustness.fastfit import BatchFit, batch_ols, batch_poisson, segmented_designs
from externalize.robustness.placebo import (
    PlaceboResult,
    empirical_p_value,
    placebo_grid,
    placebo_in_time,
    refit_schedules,
)
from externalize.robustness.resampling import BootstrapResult, block_bootstrap, permutation_test
from externalize.robustness.simulation import (
    DEFAULT_ESTIMATORS,
    Scenario,
    SimulationResult,
    default_scenarios,
    run_simulation,
)
from externalize.robustness.speccurve import Spec, spec_grid, specification_curve, summarise_curve
from externalize.robustness.countinf import METHODS as INFERENCE_METHODS, TermInference, infer
from externalize.robustness.exact2x2 import exact_ratio_of_rate_ratios, stacked_ratio_of_rate_ratios
from externalize.robustness.multiplicity import holm
from externalize.robustness.rivals import break_date_profile, placebo_ranks, two_date_models

__all__ = [
    "DEFAULT_ESTIMATORS", "BatchFit", "BootstrapResult", "BreaksResult", "PlaceboResult", "Scenario",
    "SimulationResult", "Spec", "SupFResult", "batch_ols", "batch_poisson", "block_bootstrap",
    "default_scenarios", "empirical_p_value", "multiple_breaks", "permutation_test", "placebo_grid", "placebo_in_time",
    "refit_schedules", "run_simulation", "segmented_designs", "spec_grid", "specification_curve", "summarise_curve", "sup_f_test",
    "INFERENCE_METHODS", "TermInference", "infer", "exact_ratio_of_rate_ratios", "stacked_ratio_of_rate_ratios", "holm",
    "break_date_profile", "placebo_ranks", "two_date_models",
]
