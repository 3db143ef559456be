"""Specification curve (Simonsohn, Simmons & Nelson 2020): the main effect under every defensible choice of
source, taxonomy, window, seasonality and model, one row per specification.

A `Spec` carries its own series (built upstream from whichever source / taxonomy / window the labels name),
the interventions, the `fit_its` model name and options. `specification_curve` fits each one, keeps refused
fits as rows with the refusal message, and ranks the estimates. Drawing is left to the figures module.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from externalize.models import fit_its
from externalize.robustness.placebo import resolve_term

#: fixed columns of the frame returned by `specification_curve` (dimension columns come first)
CURVE_COLUMNS = ("model", "term", "estimate", "std_error", "ci_low", "ci_high", "p_value", "ratio",
                 "ratio_ci_low", "ratio_ci_high", "n", "error", "warning", "rank")


@dataclass(frozen=True)
class Spec:
    """One specification.

    labels: dimension -> value, e.g. {"source": "GTD", "taxonomy": "nusra_with_aq", "window": "2012-2016",
        "seasonality": "on", "model": "negbin"}; every key becomes a column of the curve.
    series: the monthly outcome for this specification (PeriodIndex freq "M").
    interventions: name -> first treated month, as `fit_its`.
    model: a `fit_its` model name; options: further `fit_its` keywords (seasonality, washout, offset, ...).
    term: "level" / "slope" of the first intervention, or a full term name.
    """

    labels: Mapping[str, str]
    series: pd.Series
    interventions: Mapping[str, pd.Period | str]
    model: str = "ols_hac"
    options: Mapping[str, Any] = field(default_factory=dict)
    term: str = "level"


def spec_grid(dimensions: Mapping[str, Sequence[Any]],
              build: Callable[[dict[str, Any]], Spec | None]) -> list[Spec]:
    """Every combination of the dimension values (in the order given), turned into a `Spec` by `build`.

    `build(choice)` receives {dimension: value} and returns the Spec (series built for that source /
    taxonomy / window, model and options set), or None for a combination that does not exist (e.g. a GTD
    doubt-flag choice for a source without that flag). Combinations that exist but cannot be fitted should
    be returned as Specs: `specification_curve` keeps their refusals as rows.
    """
    names = list(dimensions)
    out = []
    for values in itertools.product(*(dimensions[n] for n in names)):
        spec = build(dict(zip(names, values, strict=True)))
        if spec is not None:
            out.append(spec)
    return out


def _fit_one(spec: Spec, alpha: float) -> dict[str, Any]:
    first = next(iter(spec.interventions)) if spec.interventions else ""
    term = resolve_term(spec.term, first)
    rec: dict[str, Any] = {"model": spec.model, "term": term, "estimate": np.nan, "std_error": np.nan,
                           "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan, "ratio": np.nan,
                           "ratio_ci_low": np.nan, "ratio_ci_high": np.nan, "n": np.nan, "error": "",
                           "warning": ""}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = fit_its(spec.series, spec.interventions, spec.model, alpha=alpha, **dict(spec.options))
        except (ValueError, np.linalg.LinAlgError) as exc:  # refusals (short pre-period, singular design, ...)
            rec["error"] = str(exc)
            res = None
    rec["warning"] = "; ".join(sorted({f"{w.category.__name__}: {w.message}" for w in caught}))
    if res is None:
        return rec
    tidy = res.tidy(alpha).set_index("term")
    if term not in tidy.index:
        rec["error"] = f"term {term!r} not in the fit ({', '.join(tidy.index)})"
        return rec
    row = tidy.loc[term]
    rec.update(estimate=float(row["estimate"]), std_error=float(row["std_error"]), ci_low=float(row["ci_low"]),
               ci_high=float(row["ci_high"]), p_value=float(row["p_value"]), n=int(res.stats.get("n", 0)))
    if "ratio" in tidy.columns:
        rec.update(ratio=float(row["ratio"]), ratio_ci_low=float(row["ratio_ci_low"]),
                   ratio_ci_high=float(row["ratio_ci_high"]))
    return rec


def specification_curve(specs: Iterable[Spec], *, alpha: float = 0.05) -> pd.DataFrame:
    """Fit every specification; one row per spec, ordered by estimate.

    Columns: one per label dimension (union over specs; missing labels are ""), then model, term, estimate,
    std_error, ci_low, ci_high (Wald, level 1 - alpha, on the coefficient scale: log rate ratio for count
    models), p_value, ratio / ratio_ci_low / ratio_ci_high (exp of estimate and CI for log-link models, NaN
    otherwise), n (months in the fit), error (refusal message; "" when the fit ran), warning (warnings raised
    by the fit, e.g. overdispersion), rank (1 = smallest estimate; refused fits have rank NaN and come last).
    Estimates from identity-link and log-link models are on different scales: compare within a model, or
    use `ratio` for count models.
    """
    specs = list(specs)
    if not specs:
        raise ValueError("no specifications given")
    dims = list(dict.fromkeys(k for s in specs for k in s.labels))
    if "model" in dims and all(str(s.labels.get("model", s.model)) == s.model for s in specs):
        dims.remove("model")  # a "model" label that repeats the model name is the model column itself
    clash = set(dims) & set(CURVE_COLUMNS)
    if clash:
        raise ValueError(f"label names clash with result columns: {sorted(clash)}; rename them "
                         "(e.g. 'model_family' instead of 'model')")
    rows = [{**{d: str(s.labels.get(d, "")) for d in dims}, **_fit_one(s, alpha)} for s in specs]
    out = pd.DataFrame(rows)
    ok = out["error"] == ""
    out["rank"] = np.nan
    out.loc[ok, "rank"] = out.loc[ok, "estimate"].rank(method="first").to_numpy()
    out = out.sort_values(["rank"], na_position="last", kind="stable").reset_index(drop=True)
    return out[[*dims, *CURVE_COLUMNS]]


def summarise_curve(curve: pd.DataFrame, by: str | None = "model", *, alpha: float = 0.05) -> pd.DataFrame:
    """The table that goes with the curve: per group of `by` (default "model", since identity- and log-link
    estimates are on different scales; None for one overall row) the columns n_specs, n_refused, n_positive,
    share_positive, n_significant (p < alpha), share_significant_positive, share_significant_negative,
    median_estimate, min_estimate, max_estimate (shares over the specifications that ran)."""
    groups = [("all", curve)] if by is None else list(curve.groupby(by, sort=True))
    rows = []
    for key, g in groups:
        ok = g[g["error"] == ""]
        m = len(ok)
        est, sig = ok["estimate"], ok["p_value"] < alpha
        rows.append({"group": key, "n_specs": len(g), "n_refused": len(g) - m,
                     "n_positive": int((est > 0).sum()),
                     "share_positive": float((est > 0).mean()) if m else np.nan,
                     "n_significant": int(sig.sum()),
                     "share_significant_positive": float((sig & (est > 0)).mean()) if m else np.nan,
                     "share_significant_negative": float((sig & (est < 0)).mean()) if m else np.nan,
                     "median_estimate": float(est.median()) if m else np.nan,
                     "min_estimate": float(est.min()) if m else np.nan,
                     "max_estimate": float(est.max()) if m else np.nan})
    out = pd.DataFrame(rows)
    return out.rename(columns={"group": by if by is not None else "group"})
