"""The staggered-participation fits run through `run_tasks`: the same numbers, byte for byte, in one process
and in two, and the same as fitting each specification directly (the published `did` example panel)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from externalize.designs.did import DesignError, fit_cs, randomization_pvalue
from externalize.designs.participation import _fit_spec, _Spec
from externalize.parallel import run_tasks

REF = Path(__file__).parent / "references"


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    df = pd.read_csv(REF / "mpdta.csv")
    df["cohort"] = df["first.treat"].where(df["first.treat"] > 0, np.nan)
    df = df.rename(columns={"countyreal": "unit", "year": "time"})
    return df[df["unit"] <= df["unit"].drop_duplicates().sort_values().iloc[199]]   # 200 counties: fast


def _bytes(results: list) -> bytes:
    out = []
    for fit, p in results:
        frame = pd.concat([fit.group_time, fit.event, fit.overall], ignore_index=True)
        out.append(frame.to_csv(index=False).encode() + np.float64(p).tobytes())
    return b"".join(out)


@pytest.mark.slow
def test_specifications_are_byte_identical_for_one_and_two_jobs(panel: pd.DataFrame) -> None:
    specs = [_Spec(panel, "lemp", "never_treated", (), 49, 20140808),
             _Spec(panel, "lemp", "not_yet_treated", (), 49, 20140808),
             _Spec(panel, "lemp", "never_treated", ("lpop",), 49, 20140808)]
    one = run_tasks(_fit_spec, specs, jobs=1)
    two = run_tasks(_fit_spec, specs, jobs=2, chunksize=1)
    assert _bytes(one) == _bytes(two)
    # the same as fitting directly; the RI p-value only where the design asks for it (never treated, no covariate)
    direct = fit_cs(panel, "lemp", control_group="not_yet_treated")
    pd.testing.assert_frame_equal(one[1][0].group_time, direct.group_time, check_exact=True)
    first = fit_cs(panel, "lemp")
    p, _ = randomization_pvalue(panel, "lemp", float(first.overall["estimate"].iloc[0]), draws=49, seed=20140808)
    assert one[0][1] == p and 0 < p <= 1
    assert np.isnan(one[1][1]) and np.isnan(one[2][1])


def test_a_refused_specification_comes_back_as_its_error(panel: pd.DataFrame) -> None:
    never = panel.assign(cohort=np.nan)          # no treated unit: the estimator must refuse
    out = run_tasks(_fit_spec, [_Spec(never, "lemp", "never_treated", (), 0, 1)], jobs=1)
    assert isinstance(out[0], DesignError) and "no treated unit" in str(out[0])
