"""The model registry: one entry per `fit_its` model id, the only place model ids are spelled.

A new model is one module with a fit function `fit(y, design, **options) -> ITSResult`, one `ModelSpec`
entry below and its tests. `fit_its` dispatches through `REGISTRY`; `MODELS`, the labels used in tables and
the config's list of valid models derive from it.

    from externalize.models.registry import REGISTRY, validate_model
    REGISTRY["ols_hac"].label        # "OLS, Newey-West"
    validate_model("quasipoison")    # ModelSpecError: unknown model 'quasipoison'; did you mean 'quasipoisson'?
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Literal, get_args

from externalize.errors import ModelSpecError
from externalize.models.arima import fit_arima
from externalize.models.counts import fit_count
from externalize.models.prais import fit_prais
from externalize.models.results import ITSResult
from externalize.models.segmented import fit_gls_ar, fit_ols_hac
from externalize.models.structural import fit_ucm

ModelId = Literal["ols_hac", "gls_ar", "prais", "cochrane_orcutt", "arima", "ucm", "poisson", "quasipoisson",
                  "negbin"]
Link = Literal["identity", "log"]


@dataclass(frozen=True)
class ModelSpec:
    """One `fit_its` model.

    id: the model id users pass (`fit_its(..., model=id)`, `study.toml`); label: its name in tables;
    link: scale of the coefficients ("log" -> rate ratios); takes_offset: accepts an exposure series;
    takes_seasonality: accepts Fourier terms; options: the `fit_its` keywords specific to it (others
    are refused); fit: `fit(y, design, **options) -> ITSResult`; convention: the reference implementation
    it matches (Stata command / R function and arguments)."""

    id: str
    label: str
    link: Link
    takes_offset: bool
    takes_seasonality: bool
    options: frozenset[str]
    fit: Callable[..., ITSResult]
    convention: str


_COUNT_OPTIONS = frozenset({"offset", "robust", "hac_maxlags", "hac_small_sample"})

REGISTRY: dict[str, ModelSpec] = {s.id: s for s in (
    ModelSpec("ols_hac", "OLS, Newey-West", "identity", False, True,
              frozenset({"hac_maxlags", "hac_small_sample"}), fit_ols_hac,
              "Stata newey; R sandwich::NeweyWest(lag=L, prewhite=FALSE, adjust=TRUE)"),
    ModelSpec("gls_ar", "GLS AR(1)", "identity", False, True, frozenset({"ar_order", "gls_method"}), fit_gls_ar,
              "R nlme::gls(correlation=corARMA(p), method='ML')"),
    ModelSpec("prais", "Prais-Winsten", "identity", False, True, frozenset({"twostep"}),
              partial(fit_prais, corc=False), "Stata prais (rhotype(regress)); Prais & Winsten 1954"),
    ModelSpec("cochrane_orcutt", "Cochrane-Orcutt", "identity", False, True, frozenset({"twostep"}),
              partial(fit_prais, corc=True), "Stata prais, corc; Cochrane & Orcutt 1949"),
    ModelSpec("arima", "ARIMA", "identity", False, True,
              frozenset({"ar_order", "ma_order", "seasonal_order", "diff_order"}), fit_arima,
              "R forecast::Arima(y, order, seasonal, xreg); Box & Tiao 1975"),
    ModelSpec("ucm", "structural time series", "identity", False, True, frozenset({"ucm_level"}), fit_ucm,
              "statsmodels UnobservedComponents; R StructTS / KFAS local level with regressors"),
    ModelSpec("poisson", "Poisson", "log", True, True, _COUNT_OPTIONS, partial(fit_count, model="poisson"),
              "R glm(family=poisson)"),
    ModelSpec("quasipoisson", "quasi-Poisson", "log", True, True, _COUNT_OPTIONS,
              partial(fit_count, model="quasipoisson"), "R glm(family=quasipoisson)"),
    ModelSpec("negbin", "negative binomial", "log", True, True, _COUNT_OPTIONS,
              partial(fit_count, model="negbin"), "R MASS::glm.nb"),
)}

if set(REGISTRY) != set(get_args(ModelId)):  # pragma: no cover - guards the two lists against drifting apart
    raise RuntimeError("ModelId and REGISTRY disagree")

#: every `fit_its` model id, in registry order
MODELS: tuple[str, ...] = tuple(REGISTRY)
#: model id -> label for tables
MODEL_LABELS: dict[str, str] = {k: s.label for k, s in REGISTRY.items()}


def validate_model(name: str) -> ModelSpec:
    """The registry entry of `name`; ModelSpecError naming the nearest valid id for anything else."""
    if name in REGISTRY:
        return REGISTRY[name]
    near = difflib.get_close_matches(str(name), MODELS, n=1)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    raise ModelSpecError(f"unknown model {name!r}{hint} Models: {', '.join(MODELS)}")
