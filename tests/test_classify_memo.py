"""Classifying one table under several coding choices with a shared memo (what `variants.variant_table`
does) gives exactly the tables that separate classifications give; a memo is refused on another table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from externalize.classify import classify_tables, load_coalition
from externalize.config import load_study
from externalize.registry import load_registry
from externalize.schema import empty_yearly
from externalize.sources import gtd
from externalize.synthetic.gtd import write_gtd_release
from externalize.taxonomy import load_taxonomy
from externalize.variants import load_variants


@pytest.fixture(scope="module")
def synthetic_events(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("gtd")
    write_gtd_release(folder, n_rows=4000, seed=3)
    path = next(Path(folder).glob("globalterrorismdb_*.csv"))
    raw = gtd.read_gtd_csv(path, gtd.LAYOUTS["gtd_full"])
    return gtd.normalise_gtd(raw, "gtd_full", path, gtd.LAYOUTS["gtd_full"]).events


def test_shared_memo_gives_the_same_classes_for_every_variant(synthetic_events: pd.DataFrame) -> None:
    study = load_study()
    taxonomy, coalition, registry = load_taxonomy(), load_coalition(), load_registry()
    yearly = empty_yearly()
    memo: dict[str, dict] = {}
    variants = load_variants(study)
    assert len(variants) > 3
    for v in variants:
        shared = classify_tables(synthetic_events, yearly, v.choices, taxonomy, coalition, registry, memo=memo)
        alone = classify_tables(synthetic_events, yearly, v.choices, taxonomy, coalition, registry)
        pd.testing.assert_frame_equal(shared[0], alone[0], check_exact=True)
        assert shared[2] == alone[2]
    assert {"statement", "nationals", "span", "groups_a", "groups_b"} <= set(memo["events"])  # computed once, reused


def test_memo_of_another_table_is_refused(synthetic_events: pd.DataFrame) -> None:
    study = load_study()
    memo: dict[str, dict] = {}
    classify_tables(synthetic_events, empty_yearly(), study.taxonomy, memo=memo)
    with pytest.raises(ValueError, match="another table"):
        classify_tables(synthetic_events.iloc[:10], empty_yearly(), study.taxonomy, memo=memo)
