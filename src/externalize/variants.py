"""Named variants of the contested coding choices, and their effect on every outcome series.

Each variant is a `[[variants]]` table of the study config (`analysis/study.toml`): a name, a description and
overrides of `[taxonomy]` keys (validated like `[taxonomy]` itself, by `config.taxonomy_choices`). The
primary coding is the variant "primary" (no overrides). `variant_table` reclassifies the built events and
yearly rows under every variant and counts each outcome series before and after the main intervention, on
the outcome's `source` (pass a study resolved by `build.resolve_study`, so that it is the source used).

Counting (the same selection as the outcome series: source, class, family):
  monthly outcomes  rows dated to the day or month inside [window_start, window_end]; "before" is every
                    month before the main intervention's month, "after" that month and later;
  yearly outcomes   rows of [first_year or yearly_start, yearly_end]; "before" is every year before the main
                    intervention's year, "after" that year and later (the intervention year is "after").
Counts are sums of `n` (events a row stands for). Rates are per month / per year of the stretch. The variant
table has one row per (variant, outcome): columns VARIANT_COLUMNS.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from externalize.classify import Coalition, classify_tables, load_coalition
from externalize.config import Outcome, StudyConfig, TaxonomyChoices, check_keys, taxonomy_choices
from externalize.errors import ConfigError
from externalize.registry import SourceSpec
from externalize.taxonomy import Taxonomy, load_taxonomy

PRIMARY = "primary"
VARIANT_COLUMNS = ["variant", "description", "outcome", "frequency", "source", "event_class", "family",
                   "before", "after", "periods_before", "periods_after", "rate_before", "rate_after",
                   "rate_ratio", "after_minus_primary"]
_CLASSIFIED = ("family_a", "family_b", "event_class", "rule_id", "rules_version")


@dataclass(frozen=True)
class Variant:
    """One coding variant: its name, what it changes, and the resulting taxonomy choices."""

    name: str
    description: str
    overrides: tuple[tuple[str, object], ...]
    choices: TaxonomyChoices


def load_variants(study: StudyConfig) -> list[Variant]:
    """The primary coding plus every `[[variants]]` of the study config, validated.

    Raises ConfigError for a repeated or reserved name, an unknown key (config.KEYS) or an invalid value.
    """
    with open(study.path, "rb") as fh:
        raw = tomllib.load(fh)
    base = dict(raw.get("taxonomy", {}))
    out = [Variant(PRIMARY, "the study's primary coding ([taxonomy])", (), study.taxonomy)]
    for i, v in enumerate(raw.get("variants", []), start=1):
        where = f"{study.path}: variants[{i}]"
        check_keys(v, "variants", where)
        name = str(v.get("name", "")).strip()
        if not name or name == PRIMARY or name in {x.name for x in out}:
            raise ConfigError(f"{where}: a variant needs a unique name other than {PRIMARY!r}, got {name!r}")
        over = dict(v.get("taxonomy", {}))
        if not over:
            raise ConfigError(f"{where} ({name}): no [taxonomy] overrides")
        check_keys(over, "taxonomy", f"{where} ({name}).taxonomy")
        try:
            choices = taxonomy_choices({**base, **over})
        except ConfigError as exc:
            raise ConfigError(f"{where} ({name}): {exc}") from exc
        out.append(Variant(name, str(v.get("description", "")), tuple(sorted(over.items())), choices))
    return out


def _family_mask(df: pd.DataFrame, family: str) -> pd.Series:
    if family == "all":
        return pd.Series(True, index=df.index)
    fa, fb = df["family_a"].astype("string"), df["family_b"].astype("string")
    return ((fa == family) | (fb == family)).fillna(False)


_COUNTED = ["source", "event_class", "family_a", "family_b", "n", "date_precision", "date", "year"]


def outcome_counts(events: pd.DataFrame, yearly: pd.DataFrame, outcome: Outcome, study: StudyConfig
                   ) -> dict[str, float]:
    """Before / after counts of one outcome on classified tables (see the module docstring)."""
    main = next(i for i in study.interventions if i.name == study.main_intervention)
    # only the columns counted here are filtered (a row mask on every column of the event table costs more
    # than the classification)
    tables = [t[[c for c in _COUNTED if c in t.columns]] for t in (events, yearly) if t is not None and len(t)]
    parts = [t[(t["source"] == outcome.source).to_numpy()] for t in tables]
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if len(rows):
        if outcome.event_class != "all":
            rows = rows[(rows["event_class"] == outcome.event_class).fillna(False).to_numpy()]
        rows = rows[_family_mask(rows, outcome.family).to_numpy()]
    n = rows["n"].astype("float64") if len(rows) else pd.Series(dtype="float64")
    if outcome.frequency == "month":
        start, end, cut = study.window_start, study.window_end, main.month
        n_before, n_after = (cut - start).n, (end - cut).n + 1
        if len(rows):
            dated = rows["date_precision"].isin(["day", "month"]).fillna(False).to_numpy() \
                if "date_precision" in rows.columns else np.zeros(len(rows), dtype=bool)
            period = pd.to_datetime(rows["date"]).dt.to_period("M")
            inside = dated & (period >= start).to_numpy() & (period <= end).to_numpy()
            before = float(n[inside & (period < cut).to_numpy()].sum())
            after = float(n[inside & (period >= cut).to_numpy()].sum())
        else:
            before = after = 0.0
    else:
        first = outcome.first_year or study.yearly_start
        cut_year = main.date.year
        n_before, n_after = cut_year - first, study.yearly_end - cut_year + 1
        if len(rows):
            year = rows["year"].astype(int).to_numpy()
            inside = (year >= first) & (year <= study.yearly_end)
            before = float(n[inside & (year < cut_year)].sum())
            after = float(n[inside & (year >= cut_year)].sum())
        else:
            before = after = 0.0
    rb = before / n_before if n_before > 0 else np.nan
    ra = after / n_after if n_after > 0 else np.nan
    return {"before": before, "after": after, "periods_before": n_before, "periods_after": n_after,
            "rate_before": rb, "rate_after": ra, "rate_ratio": ra / rb if rb and rb > 0 else np.nan}


def _variant_rows(task: tuple) -> list[dict]:
    """Rows of `variant_table` for a chunk of variants (one process's share; the memo is shared within it)."""
    ev, yr, chunk, study, taxonomy, coalition, registry = task
    rows = []
    memo: dict[str, dict] = {}  # facts that do not depend on the coding choices, computed for the first variant
    for v in chunk:
        e, y, _ = classify_tables(ev, yr, v.choices, taxonomy, coalition, registry, memo=memo)
        for o in study.outcomes:
            rows.append({"variant": v.name, "description": v.description, "outcome": o.name,
                         "frequency": o.frequency, "source": o.source, "event_class": o.event_class,
                         "family": o.family, **outcome_counts(e, y, o, study)})
    return rows


def variant_table(events: pd.DataFrame, yearly: pd.DataFrame, study: StudyConfig,
                  registry: Mapping[str, SourceSpec] | None = None, taxonomy: Taxonomy | None = None,
                  coalition: Coalition | None = None, variants: list[Variant] | None = None,
                  jobs: int = 1) -> pd.DataFrame:
    """Every variant x every outcome of the study: counts before / after the main intervention, the rate
    ratio, and the change of the "after" count against the primary coding. Events / yearly may be the built
    (already classified) tables: their class columns are recomputed for each variant. jobs: processes sharing
    the variants (`externalize.parallel.run_tasks`; -1 = every core); the table is the same for any value."""
    from externalize.parallel import resolve_jobs, run_tasks

    taxonomy = taxonomy or load_taxonomy()
    coalition = coalition or load_coalition()
    variants = variants if variants is not None else load_variants(study)
    ev = events.drop(columns=[c for c in _CLASSIFIED if c in events.columns])
    yr = yearly.drop(columns=[c for c in _CLASSIFIED if c in yearly.columns])
    # one task per process, not per variant: the events are sent to each process once
    n_chunks = resolve_jobs(jobs, max(len(variants), 1))
    chunks = [variants[i::n_chunks] for i in range(n_chunks)]
    parts = run_tasks(_variant_rows, [(ev, yr, c, study, taxonomy, coalition, registry) for c in chunks],
                      jobs=n_chunks)
    by_variant: dict[str, list[dict]] = {}
    for part in parts:
        for r in part:
            by_variant.setdefault(r["variant"], []).append(r)
    out = pd.DataFrame([r for v in variants for r in by_variant.get(v.name, [])])
    if out.empty:
        return pd.DataFrame(columns=VARIANT_COLUMNS)
    primary = out[out["variant"] == PRIMARY].set_index("outcome")["after"]
    out["after_minus_primary"] = out["after"] - out["outcome"].map(primary)
    return out[VARIANT_COLUMNS]
