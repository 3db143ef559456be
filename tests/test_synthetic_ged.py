"""The SYNTHETIC GED release: codebook layout, labelled synthetic in every row, reproducible from its seed,
internally consistent, and read end to end by the GED adapter with the counts its sidecar records.

The sidecar counts are checked against an independent plain-pandas reading of the CSV, and the adapter's
output against the sidecar, so a bug in either the writer or the adapter shows up."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from externalize.registry import load_registry
from externalize.sources import adapter_for, ucdp_ged
from externalize.synthetic import SYNTHETIC_MARK
from externalize.synthetic.ged import FAMILY_NAMES, FILE_NAME, write_ged_release

SPEC = load_registry()["ucdp_ged_global"]


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, pd.DataFrame]:
    path = write_ged_release(tmp_path_factory.mktemp("ged"), n_rows=5_000, seed=3)
    expected = json.loads(path.with_name(FILE_NAME + ".expected.json").read_text())
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    return path, expected, raw


def test_layout_and_labels(release: tuple[Path, dict, pd.DataFrame]) -> None:
    path, expected, raw = release
    assert path.name == FILE_NAME == "GEDEvent_vSYNTHETIC.csv"
    assert list(raw.columns) == list(ucdp_ged.GED_COLUMNS)
    assert len(raw) == expected["n_rows"] == 5_000
    assert expected["synthetic"] is True and SYNTHETIC_MARK in expected["note"]
    for col in ("source_article", "source_office", "conflict_name"):
        assert raw[col].str.contains(SYNTHETIC_MARK).all(), col
    assert raw["id"].is_unique


def test_reproducible_from_seed(tmp_path: Path) -> None:
    a = write_ged_release(tmp_path / "a", n_rows=500, seed=7).read_bytes()
    b = write_ged_release(tmp_path / "b", n_rows=500, seed=7).read_bytes()
    c = write_ged_release(tmp_path / "c", n_rows=500, seed=8).read_bytes()
    assert a == b and a != c


def test_internal_consistency(release: tuple[Path, dict, pd.DataFrame]) -> None:
    _, _, raw = release
    num = raw[["deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown", "best", "low", "high",
               "date_prec", "type_of_violence"]].astype(int)
    start = pd.to_datetime(raw["date_start"].str[:10])
    end = pd.to_datetime(raw["date_end"].str[:10])
    assert (num[["deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown"]].sum(axis=1) == num["best"]).all()
    assert ((num["low"] <= num["best"]) & (num["best"] <= num["high"]) & (num["best"] >= 1)).all()
    assert (end >= start).all() and (end.dt.year == start.dt.year).all()
    span = (end - start).dt.days
    assert (span[num["date_prec"] == 1] == 0).all()
    cut = (end.dt.month == 12) & (end.dt.day == 31)  # spans are cut at 31 December
    assert (span.between(1, 5) | cut)[num["date_prec"] == 2].all()
    assert (span.between(8, 30) | cut)[num["date_prec"] == 4].all()
    assert (span.between(31, 300) | cut)[num["date_prec"] == 5].all()
    assert (raw["year"].astype(int) == start.dt.year).all()
    assert raw["dyad_name"].eq(raw["side_a"] + " - " + raw["side_b"]).all()
    assert (raw.groupby(["side_a", "side_b"])["country"].nunique() == 1).all()
    assert (raw.groupby("country")["country_id"].nunique() == 1).all()
    one_sided = num["type_of_violence"] == 3
    assert (raw.loc[one_sided, "side_b"] == "Civilians").all()


def test_sidecar_matches_an_independent_count(release: tuple[Path, dict, pd.DataFrame]) -> None:
    _, expected, raw = release
    dyads = raw.groupby(["side_a", "side_b"]).size()
    assert {f"{a} || {b}": int(n) for (a, b), n in dyads.items()} == expected["rows_by_dyad"]
    assert raw["type_of_violence"].value_counts().to_dict() == {
        k: v for k, v in expected["rows_by_type_of_violence"].items()}
    assert raw["date_prec"].value_counts().to_dict() == expected["rows_by_date_prec"]
    fam = raw["side_a"].str.split(", ").map(lambda p: any(x in FAMILY_NAMES for x in p)) | \
        raw["side_b"].str.split(", ").map(lambda p: any(x in FAMILY_NAMES for x in p))
    assert int(fam.sum()) == expected["rows_with_family_actor"]
    by_year = raw.assign(y=raw["date_start"].str[:4]).groupby(["side_a", "side_b", "y"]).size()
    assert {f"{a} || {b}" for a, b in dyads.index} == set(expected["rows_by_dyad_year"])
    for (a, b, y), n in by_year.items():
        assert expected["rows_by_dyad_year"][f"{a} || {b}"][y] == n
    # the family dyads are a real share of the release (about 15% by construction)
    assert 0.10 < expected["rows_with_family_actor"] / expected["n_rows"] < 0.20


def test_adapter_reads_release_end_to_end(release: tuple[Path, dict, pd.DataFrame]) -> None:
    path, expected, _ = release
    out = adapter_for(SPEC.adapter).read(SPEC, {"main": path})
    out.check_balance(SPEC.key)
    e = out.events
    assert out.rows_read == len(e) == expected["n_rows"] and out.excluded == {}
    p = {int(k): v for k, v in expected["rows_by_date_prec"].items()}
    assert e["date_precision"].value_counts().to_dict() == {
        "day": p[1] + p[2], "month": p.get(3, 0) + p[4], "year": p[5]}
    assert ucdp_ged.spanning_months(e) == expected["rows_spanning_months_prec_1_4"]
    assert e.groupby("year").size().rename(index=str).to_dict() == expected["rows_by_year"]
    assert e["fatalities"].sum() == expected["best_total"]
    clash = e[(e["side_a"] == "IS") & (e["side_b"] == "Jabhat Fateh al-Sham")]
    assert len(clash) == expected["rows_by_dyad"]["IS || Jabhat Fateh al-Sham"]


@pytest.mark.slow
def test_full_scale_release(tmp_path: Path) -> None:
    path = write_ged_release(tmp_path, seed=0)
    expected = json.loads(path.with_name(FILE_NAME + ".expected.json").read_text())
    out = adapter_for(SPEC.adapter).read(SPEC, {"main": path})
    out.check_balance(SPEC.key)
    assert out.rows_read == len(out.events) == expected["n_rows"] == 300_000
    assert ucdp_ged.spanning_months(out.events) == expected["rows_spanning_months_prec_1_4"]
