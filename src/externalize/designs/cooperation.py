"""Joint operations beside infighting (Gade et al.): a small cross-section table for the IS-Nusra pair.

Two matrices of the same research group over Syrian armed groups: infighting incidents in 2014 (Gade, Hafez &
Gabbay 2019, JPR; read into the yearly table by `sources.gade_infighting`) and joint operations (Gade,
Gabbay, Hafez & Kelly 2019, JCR; `sources.gade_cooperation`, period not stated in the file). Neither is dated
within its period, so they say how much IS (ISIL) and al-Nusra (ANF) fought and cooperated, not when.
"""

from __future__ import annotations

import pandas as pd

from externalize.designs.did import DesignError

CAVEAT = ("Cross-sections, not series: the infighting counts are for 2014; the joint-operation counts come from "
          "attack claims with joint / cooperation wording over a period the file does not state (see Gade, "
          "Gabbay, Hafez & Kelly 2019). Claims and incident reports are not comparable units, so the two counts "
          "are set side by side, not divided. They cannot show a change at the 2014 intervention.")


def pair_table(joint: pd.DataFrame, infighting: pd.DataFrame, a: str = "ISIL", b: str = "ANF") -> pd.DataFrame:
    """Rows: the a-b pair, a with every other group, b with every other group, and the largest partners.

    joint, infighting: group x group count matrices (labels as in the files). Columns: pair, measure
    ("joint operations" / "infighting incidents, 2014"), count, groups (number of groups in the matrix).
    Raises DesignError when a group is absent from a matrix.
    """
    rows = []
    for m, measure in ((joint, "joint operations (period not stated)"), (infighting, "infighting incidents, 2014")):
        for g in (a, b):
            if g not in m.index:
                raise DesignError(f"group {g!r} not in the {measure} matrix")
        off = m.copy()
        for g in off.index:
            off.loc[g, g] = 0.0
        k = len(m)
        rows.append({"pair": f"{a}-{b}", "measure": measure, "count": float(m.loc[a, b]), "groups": k})
        for g in (a, b):
            rows.append({"pair": f"{g}-all others", "measure": measure, "count": float(off.loc[g].sum()), "groups": k})
            top = off.loc[g].sort_values(ascending=False).head(3)
            rows.append({"pair": f"{g}: top partners", "measure": measure,
                         "count": float("nan"), "groups": k,
                         "detail": ", ".join(f"{p} {int(v)}" for p, v in top.items() if v > 0)})
    out = pd.DataFrame(rows)
    out["detail"] = out.get("detail", pd.Series(dtype="string")).fillna("")
    return out[["pair", "measure", "count", "groups", "detail"]]


def infighting_matrix(yearly: pd.DataFrame, source: str = "gade_infighting_2014") -> pd.DataFrame:
    """The 2014 infighting matrix rebuilt from its yearly rows (symmetric, zeros where no row)."""
    y = yearly[yearly["source"] == source]
    if y.empty:
        raise DesignError(f"no {source} rows in the yearly table")
    groups = sorted(set(y["side_a"].astype(str)) | set(y["side_b"].astype(str)))
    m = pd.DataFrame(0.0, index=groups, columns=groups)
    for a, b, n in zip(y["side_a"].astype(str), y["side_b"].astype(str), y["n"].astype(float), strict=True):
        m.loc[a, b] = m.loc[b, a] = n
    return m
