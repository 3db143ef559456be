"""Helpers shared by the model tests (R term names, monthly series)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REFS = HERE / "references"
DATA = HERE / "data"


def monthly(values, start: str = "2012-01") -> pd.Series:
    v = np.asarray(values, dtype=float)
    return pd.Series(v, index=pd.period_range(start, periods=len(v), freq="M"))


def r_case(ref: pd.DataFrame, case: str, iv: str = "ban") -> pd.DataFrame:
    """Rows of one R case, with R's term names translated to this package's."""
    out = ref[ref["case"] == case].copy()
    assert len(out), f"no R reference rows for {case}"

    def tr(term: str) -> str:
        base = {"(Intercept)": "const", "t0": "time", "level": f"level_{iv}", "slope": f"slope_{iv}"}
        if term in base:
            return base[term]
        if term.startswith("series") and ":" not in term:
            return "series:" + term[len("series"):]
        if ":" in term:
            a, b = term.split(":")
            return f"{base.get(a, a)}:{b[len('series'):]}" if a != "t0" else f"time:{b[len('series'):]}"
        return term

    out["term"] = out["term"].map(tr)
    return out.set_index("term")


def r_stat(ref: pd.DataFrame, case: str, stat: str) -> float:
    row = ref[(ref["case"] == case) & (ref["stat"] == stat)]
    assert len(row) == 1, f"no R stat {case}/{stat}"
    return float(row["value"].iloc[0])
