"""Gade, Hafez & Gabbay (2019) infighting matrix: rows read are the upper-triangle cells; cells > 0 become
yearly rows with n = the incident count; zero and missing cells are counted; malformed matrices raise."""

from __future__ import annotations

from pathlib import Path

import pytest

from externalize.errors import SourceFormatError
from externalize.locate import locate_source
from externalize.registry import load_registry
from externalize.sources import adapter_for
from externalize.sources.base import AdapterOutput

SPEC = load_registry()["gade_infighting_2014"]


def run(path: Path) -> AdapterOutput:
    out = adapter_for(SPEC.adapter).read(SPEC, {"main": path})
    out.check_balance(SPEC.key)
    return out


@pytest.mark.parametrize("name", ["infighting_sample.csv", "infighting_sample.csv.xz"])
def test_fixture_cells(fixtures_dir: Path, name: str) -> None:
    out = run(fixtures_dir / "gade" / name)
    y = out.yearly.set_index("record_id")
    assert out.rows_read == 6  # 4 groups -> 4 * 3 / 2 cells above the diagonal
    assert out.excluded == {"zero cell": 1, "missing cell": 1}
    assert y["n"].to_dict() == {"ASIM-ISIL-2014": 41, "ASIM-ANF-2014": 1, "ISIL-ANF-2014": 69,
                                "ISIL-YPG-2014": 22}
    r = y.loc["ISIL-ANF-2014"]
    assert (r["side_a"], r["side_b"], r["year"], r["relation"], r["country"]) == (
        "ISIL", "ANF", 2014, "incidents", "Syria")


@pytest.mark.parametrize(("name", "message"), [
    ("infighting_asymmetric.csv", "not symmetric"),
    ("infighting_not_square.csv", "square"),
    ("infighting_cut.csv", "truncated"),
])
def test_malformed_matrices_are_refused(fixtures_dir: Path, name: str, message: str) -> None:
    with pytest.raises(SourceFormatError, match=message):
        run(fixtures_dir / "gade" / name)


@pytest.mark.realdata
def test_real_matrix(shared_data_dir: Path) -> None:
    files = {r: lf.path for r, lf in locate_source(SPEC, shared_data_dir).items()}
    out = adapter_for(SPEC.adapter).read(SPEC, files)
    out.check_balance(SPEC.key)
    assert out.rows_read == 30 * 29 // 2
    assert len(out.yearly) == 30 and out.excluded == {"zero cell": 405}
    y = out.yearly.set_index("record_id")
    assert y.loc["ISIL-ANF-2014", "n"] == 69  # ISIL against al-Nusra, 2014
    assert y["n"].sum() == 260
