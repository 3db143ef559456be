"""Gade, Hafez & Gabbay (2019) Syrian militant infighting: a symmetric group x group matrix of incident
counts for 2014 (30 groups in Infighting30_2014_6Sep2017.csv).

Rows read are MATRIX CELLS, not file lines: the cells above the diagonal, one per unordered pair of groups,
k(k-1)/2 = 435 for 30 groups. A cell with a count > 0 becomes one yearly row: record_id "<A>-<B>-<year>",
side_a / side_b = the group codes as the file writes them (ISIL, ANF = al-Nusra, ...; the taxonomy maps
them), relation "incidents", n = the count, country "Syria", fatalities NaN (not coded). A cell of 0 is
counted under "zero cell", an empty / NA cell above the diagonal under "missing cell".

The file must be square with the same labels in rows and columns, the diagonal empty or 0, and the lower
triangle equal to the upper one; otherwise it is not the published matrix and a SourceFormatError is raised.
The year is the registry's coverage year (2014), since the file holds one cross-section.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from externalize.errors import SourceFormatError
from externalize.registry import SourceSpec
from externalize.schema import conform_yearly
from externalize.sources.base import AdapterOutput, read_csv_strict

SOURCE_IDS: tuple[str, ...] = ("gade_infighting_2014",)


def read_matrix(path: Path) -> pd.DataFrame:
    """The matrix as float (NaN for NA/empty), labels checked."""
    raw = read_csv_strict(Path(path), na_values=["", "NA"])
    if raw.shape[1] < 2:
        raise SourceFormatError(f"{path}: expected a labelled square matrix, found {raw.shape[1]} columns")
    labels = raw.iloc[:, 0].astype("string").str.strip()
    cols = [str(c).strip() for c in raw.columns[1:]]
    if len(labels) != len(cols) or list(labels) != cols:
        raise SourceFormatError(f"{path}: row labels {list(labels)[:5]}... (n={len(labels)}) differ from column "
                                f"labels {cols[:5]}... (n={len(cols)}); not a square group matrix")
    if labels.duplicated().any():
        raise SourceFormatError(f"{path}: repeated group labels {labels[labels.duplicated()].tolist()}")
    body = raw.iloc[:, 1:]
    values = body.apply(pd.to_numeric, errors="coerce")
    bad = body.notna() & values.isna()
    if bad.to_numpy().any():
        r, c = np.argwhere(bad.to_numpy())[0]
        raise SourceFormatError(f"{path}: cell ({labels.iloc[r]}, {cols[c]}) is not a number: {body.iat[r, c]!r}")
    m = pd.DataFrame(values.to_numpy(dtype="float64"), index=list(labels), columns=cols)
    arr = m.to_numpy()
    if (arr[~np.isnan(arr)] < 0).any() or not np.allclose(arr[~np.isnan(arr)] % 1, 0):
        raise SourceFormatError(f"{path}: incident counts must be whole numbers >= 0")
    diag = np.diag(arr)
    if (np.nan_to_num(diag) != 0).any():
        raise SourceFormatError(f"{path}: diagonal must be empty or 0 (a group does not fight itself)")
    upper, lower = np.triu(np.nan_to_num(arr, nan=-1), 1), np.triu(np.nan_to_num(arr.T, nan=-1), 1)
    if not np.array_equal(upper, lower):
        i, j = np.argwhere(upper != lower)[0]
        raise SourceFormatError(f"{path}: matrix not symmetric: ({labels.iloc[i]}, {cols[j]}) = {arr[i, j]} but "
                                f"({cols[j]}, {labels.iloc[i]}) = {arr[j, i]}")
    return m


def normalise_matrix(m: pd.DataFrame, source: str, year: int, country: str = "Syria") -> AdapterOutput:
    k = len(m)
    i, j = np.triu_indices(k, 1)
    counts = m.to_numpy()[i, j]
    a, b = np.asarray(m.index)[i], np.asarray(m.columns)[j]
    missing, zero = np.isnan(counts), counts == 0
    pos = ~missing & ~zero
    table = pd.DataFrame({
        "source": source,
        "record_id": [f"{x}-{y}-{year}" for x, y in zip(a[pos], b[pos], strict=True)],
        "year": year, "side_a": a[pos], "side_b": b[pos], "relation": "incidents", "country": country,
        "n": counts[pos].astype("int64"),
    })
    excluded = {"zero cell": int(zero.sum()), "missing cell": int(missing.sum())}
    return AdapterOutput(rows_read=len(counts), yearly=conform_yearly(table),
                         excluded={r: v for r, v in excluded.items() if v})


def read(spec: SourceSpec, files: Mapping[str, Path]) -> AdapterOutput:
    if spec.coverage_start.year != spec.coverage_end.year:
        raise SourceFormatError(f"{spec.key}: a one-year matrix needs coverage within one year")
    return normalise_matrix(read_matrix(Path(files["main"])), spec.key, spec.coverage_start.year)
