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
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, get_args

from externalize.errors import ModelSpecError

if TYPE_CHECKING:
    from externalize.models.results import ITSResult

ModelId = Literal["ols_hac", "gls_ar", "prais", "cochrane_orcutt", "arima", "ucm", "poisson", "quasipoisson",
                  "negbin"]
Link = Literal["identity", "log"]


@dataclass(frozen=True)
class ModelSpec:
    """One `fit_its` model.

    id: the model id users pass (`fit_its(..., model=id)`, `study.toml`); label: its name in tables;
    link: scale of the coefficients ("log" -> rate ratios); takes_offset: accepts an exposure series;
    takes_seasonality: accepts Fourier terms; options: the `fit_its` keywords specific to it (others
    are refused); fit_fn: the fit function, or "module:function" in `externalize.models` (imported on first
    use, so the config can check model ids without loading statsmodels), called with the fixed keyword
    arguments `fit_kwargs` as `spec.fit(y, design, **options) -> ITSResult`; convention: the reference implementation it matches (Stata command / R function and
    arguments)."""

    id: str
    label: str
    link: Link
    takes_offset: bool
    takes_seasonality: bool
    options: frozenset[str]
    fit_fn: Callable[..., ITSResult] | str
    convention: str
    fit_kwargs: tuple[tuple[str, Any], ...] = ()

    @property
    def fit(self) -> Callable[..., ITSResult]:
        """`fit(y, design, **options) -> ITSResult`, imported on first use."""
        fn = self.fit_fn
        if isinstance(fn, str):
            module, name = fn.split(":")
            fn = getattr(importlib.import_module(f"externalize.models.{module}"), name)
        return partial(fn, **dict(self.fit_kwargs)) if self.fit_kwargs else fn


_COUNT_OPTIONS = frozenset({"offset", "robust", "hac_maxlags", "hac_small_sample"})

REGISTRY: dict[str, ModelSpec] = {s.id: s for s in (
    ModelSpec("ols_hac", "OLS, Newey-West", "identity", False, True,
              frozenset({"hac_maxlags", "hac_small_sample"}), "segmented:fit_ols_hac",
              "Stata newey; R sandwich::NeweyWest(lag=L, prewhite=FALSE, adjust=TRUE)"),
    ModelSpec("gls_ar", "GLS AR(1)", "identity", False, True, frozenset({"ar_order", "gls_method"}), "segmented:fit_gls_ar",
              "R nlme::gls(correlation=corARMA(p), method='ML')"),
    ModelSpec("prais", "Prais-Winsten", "identity", False, True, frozenset({"twostep"}),
              "prais:fit_prais", "Stata prais (rhotype(regress)); Prais & Winsten 1954", (("corc", False),)),
    ModelSpec("cochrane_orcutt", "Cochrane-Orcutt", "identity", False, True, frozenset({"twostep"}),
              "prais:fit_prais", "Stata prais, corc; Cochrane & Orcutt 1949", (("corc", True),)),
    ModelSpec("arima", "ARIMA", "identity", False, True,
              frozenset({"ar_order", "ma_order", "seasonal_order", "diff_order"}), "arima:fit_arima",
              "R forecast::Arima(y, order, seasonal, xreg); Box & Tiao 1975"),
    ModelSpec("ucm", "structural time series", "identity", False, True, frozenset({"ucm_level"}), "structural:fit_ucm",
              "statsmodels UnobservedComponents; R StructTS / KFAS local level with regressors"),
    ModelSpec("poisson", "Poisson", "log", True, True, _COUNT_OPTIONS, "counts:fit_count",
              "R glm(family=poisson)", (("model", "poisson"),)),
    ModelSpec("quasipoisson", "quasi-Poisson", "log", True, True, _COUNT_OPTIONS,
              "counts:fit_count", "R glm(family=quasipoisson)", (("model", "quasipoisson"),)),
    ModelSpec("negbin", "negative binomial", "log", True, True, _COUNT_OPTIONS,
              "counts:fit_count", "R MASS::glm.nb", (("model", "negbin"),)),
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
