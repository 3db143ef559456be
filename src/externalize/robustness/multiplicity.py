"""Multiplicity control across the registered primary estimands.

`holm`: Holm (1979) step-down adjusted p-values, the convention of R `p.adjust(method = "holm")`:
sort the m p-values ascending, p_(i) -> min(1, max_{j <= i} (m - j + 1) p_(j)). Controls the family-wise
error rate under any dependence between the tests. Missing p-values (descriptive arms) are left missing and
do not count in m.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from externalize.errors import ExternalizeError


class MultiplicityError(ExternalizeError, ValueError):
    """p-values outside [0, 1]."""


def holm(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values in the input order; NaN stays NaN and is not counted in m."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ((p[ok] < 0) | (p[ok] > 1)).any():
        raise MultiplicityError(f"p-values must lie in [0, 1], got {p[ok].tolist()}")
    m = int(ok.sum())
    if m == 0:
        return out
    vals = p[ok]
    order = np.argsort(vals, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * vals[order]))
    res = np.empty(m)
    res[order] = adj
    out[ok] = res
    return out
