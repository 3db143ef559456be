"""The evidence the report states, computed and saved before the report renders: published counts next to
this data, the source-to-source comparisons, the case registry (which case is in the data, as what), the
coding variants (each contested coding choice's effect on every outcome) and the identification table (what
each arm can and cannot identify). The report only renders these saved tables."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from externalize.artefacts import artefact, read_table, write_frame
from externalize.config import StudyConfig
from externalize.identification import ArmIdentification
from externalize.paths import OutputPaths


def _identification_frame(ident: Mapping[str, ArmIdentification]) -> pd.DataFrame:
    rows = []
    for arm, a in ident.items():
        for kind, texts in (("can", a.can), ("cannot", a.cannot), ("findings", [a.findings] if a.findings else [])):
            rows += [{"arm": arm, "kind": kind, "sentence": t} for t in texts]
        for s in a.spanning:
            rows.append({"arm": arm, "kind": "source", "sentence": "", **{f"src_{k}": str(v) for k, v in s.items()}})
    return pd.DataFrame(rows)


def write_evidence(output_dir: str | Path, study: StudyConfig, processed_dir: str | Path, jobs: int = 1
                   ) -> dict[str, Path]:
    """Compute the tables the report states its evidence from, from the build and the saved model tables.

    Writes into output_dir/tables: published_counts.csv (reconcile.published_counts), source_comparisons.csv
    (reconcile.reconcile, summarised per comparison), case_registry.csv (cases.case_registry), case_sources.csv
    (cases.registered_pairs: which source registers which case as its own class), identification.csv
    (identification.identify), variants.csv (variants.variant_table, over `jobs` processes). A table whose
    inputs are absent is removed rather than left from an earlier run. Returns the paths written."""
    from externalize.cases import case_registry, load_cases, load_links, registered_pairs
    from externalize.identification import identify
    from externalize.reconcile import disagreements, published_counts, reconcile
    from externalize.registry import load_registry

    out, processed = Path(output_dir), Path(processed_dir)
    paths = OutputPaths(processed, out)
    written: dict[str, Path] = {}

    def save(name: str, frame: pd.DataFrame | None) -> None:
        path = artefact(name).path(paths)
        if frame is None:
            path.unlink(missing_ok=True)
            return
        written[name] = write_frame(frame, path)

    ev_path, m_path = processed / "events.parquet", processed / "series_monthly.parquet"
    events = pd.read_parquet(ev_path) if ev_path.is_file() else None
    monthly = pd.read_parquet(m_path) if m_path.is_file() else pd.DataFrame(
        columns=["source", "event_class", "family", "period", "count", "in_coverage"])
    registry = None
    if events is not None:
        save("published_counts", published_counts(events))
        from externalize.reconcile import COMPARED_SOURCES

        compared = events[events["source"].isin(COMPARED_SOURCES).to_numpy()]
        comp = reconcile({s: g for s, g in compared.groupby("source", observed=True)})
        if len(comp):
            d = disagreements(comp)
            summ = comp.groupby("comparison", sort=False).agg(
                keys=("key", "size"), total_a=("count_a", "sum"), total_b=("count_b", "sum"),
                source_a=("source_a", "first"), source_b=("source_b", "first")).reset_index()
            summ["keys_that_differ"] = summ["comparison"].map(d.groupby("comparison").size()).fillna(0).astype(int)
            save("source_comparisons", summ)
        else:
            save("source_comparisons", None)
        cases = load_cases()
        links = load_links(cases=cases)
        registry = case_registry(cases, events, links)
        save("case_registry", registry)
        y_path = processed / "yearly.parquet"
        if y_path.is_file():
            from externalize.variants import variant_table

            save("variants", variant_table(events, pd.read_parquet(y_path), study, load_registry(), jobs=jobs))
        pairs = sorted(registered_pairs(cases, events, links))
        save("case_sources", pd.DataFrame(pairs, columns=["case_id", "source"]))
    else:
        for name in ("published_counts", "source_comparisons", "case_registry", "case_sources", "variants"):
            save(name, None)
    coverage = read_table("coverage", paths)
    if coverage is not None and len(coverage):
        statements = read_table("findings", paths)
        by_arm = {} if statements is None else dict(zip(statements["arm"].astype(str),
                                                         statements["statement"].astype(str)))
        measures = {k: spec.measures for k, spec in load_registry().items()}
        ident = identify(coverage, monthly, study.main.date, measures=measures, statements=by_arm,
                         margin=study.placebo.min_pre)
        save("identification", _identification_frame(ident))
    else:
        save("identification", None)
    return written


