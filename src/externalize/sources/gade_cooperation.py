"""Gade, Gabbay, Hafez & Kelly (2019, JCR) joint operations between Syrian armed groups: a symmetric 31 x 31
matrix of joint-operation counts (`jo_All_Nov2017.csv`, the dependent variable `DV_Colab_31` of the
authors' replication script), with the same group codes as the infighting matrix (ISIL, ANF = al-Nusra, ...).

Unlike the infighting matrix, the diagonal is not all zero: two groups (ASIM = Ahrar al-Sham and ASL) have a
count of 1 with themselves (joint claims by two parts of one group, presumably). The diagonal is kept in the
matrix returned, is never used in a pair count, and its cells are counted in the ledger under "diagonal cell".

The file holds one cross-section and does not state its period (the paper's own description applies), so
it is registered as a lookup table, not as dated yearly rows: no count series is built from it.
`read()` checks the matrix (square, same row and column labels, symmetric, whole numbers >= 0) and
accounts for its upper-triangle cells in the row ledger under
"cross-section matrix (designs table)"; `joint_operations(path)` returns the matrix for the designs'
joint-operations-beside-infighting table.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from externalize.errors import SourceFormatError
from externalize.registry import SourceSpec
from externalize.sources.base import AdapterOutput, read_csv_strict

SOURCE_IDS: tuple[str, ...] = ("syria_cooperation_gade2019jcr",)
LOOKUP_REASON = "cross-section matrix (designs table)"


def joint_operations(path: Path) -> pd.DataFrame:
    """The checked group x group matrix of joint-operation counts (float, diagonal included).

    Raises SourceFormatError when the labels of rows and columns differ or repeat, a cell is not a whole
    number >= 0, or the matrix is not symmetric.
    """
    raw = read_csv_strict(Path(path), na_values=["", "NA"])
    labels = [str(x).strip() for x in raw.iloc[:, 0]]
    cols = [str(c).strip() for c in raw.columns[1:]]
    if labels != cols or len(set(labels)) != len(labels):
        raise SourceFormatError(f"{path}: row labels differ from column labels or repeat; not a group matrix")
    values = raw.iloc[:, 1:].apply(pd.to_numeric, errors="coerce")
    if values.isna().to_numpy().any():
        raise SourceFormatError(f"{path}: empty or non-numeric cells; a count matrix has a number in every cell")
    arr = values.to_numpy(dtype="float64")
    if (arr < 0).any() or (arr % 1 != 0).any():
        raise SourceFormatError(f"{path}: joint-operation counts must be whole numbers >= 0")
    if not np.array_equal(arr, arr.T):
        i, j = np.argwhere(arr != arr.T)[0]
        raise SourceFormatError(f"{path}: matrix not symmetric at ({labels[i]}, {cols[j]})")
    return pd.DataFrame(arr, index=labels, columns=cols)


def read(spec: SourceSpec, files: Mapping[str, Path]) -> AdapterOutput:
    k = len(joint_operations(Path(files["main"])))
    upper = k * (k - 1) // 2
    return AdapterOutput(rows_read=upper + k, excluded={LOOKUP_REASON: upper, "diagonal cell": k})
