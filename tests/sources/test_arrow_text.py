"""The adapters' text helpers computed on Arrow strings give exactly what the pandas expressions they replace
give (the reference here, written out in full below): `base.clean_text`, `base.join_actors` and the GTD's
whole-number ids. Compared with pandas.testing.assert_series_equal (values, dtype, index and name)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from externalize.sources.base import clean_text, join_actors
from externalize.sources.gtd import LAYOUTS, _ids

# blanks, padding of every kind, non-ASCII, a separator inside a value, missing values
VALUES = np.array(["Islamic State", " al-Qaida ", "", "   ", None, "Jabhat al-Nusra\t", "\nUnknown", "é ü",
                   "a | b", "\u00a0x\u00a0"], dtype=object)


def _clean_reference(s: pd.Series) -> pd.Series:
    return s.astype("string").str.strip().replace("", pd.NA)


def _join_reference(*cols: pd.Series, sep: str = " | ") -> pd.Series:
    """The former pandas implementation of join_actors."""
    out = None
    for col in cols:
        c = col.astype("string").str.strip().replace("", pd.NA).reset_index(drop=True)
        if out is None:
            out = c
            continue
        both = out.notna() & c.notna()
        out = out.where(~both, out + sep + c).fillna(c)
    return out.astype("string")


@pytest.mark.parametrize("dtype", [object, "string", "str"])
def test_clean_text_matches_pandas_strip_and_blank_to_missing(dtype) -> None:
    rng = np.random.default_rng(7)
    s = pd.Series(rng.choice(VALUES, 2_000), index=np.arange(2_000) * 3, name="gname").astype(dtype)
    pd.testing.assert_series_equal(clean_text(s), _clean_reference(s), check_exact=True)


@pytest.mark.parametrize("series", [
    pd.Series([1.5, np.nan, 2.0]),                  # numbers become their text, as astype("string") gives
    pd.Series([None, None], dtype=object),          # nothing but missing values
    pd.Series([], dtype=object),                    # empty
    pd.Series(["x"], dtype="string", index=[5]),    # index kept
])
def test_clean_text_edge_cases(series: pd.Series) -> None:
    pd.testing.assert_series_equal(clean_text(series), _clean_reference(series), check_exact=True)


def test_clean_text_hand_case() -> None:
    out = clean_text(pd.Series([" ISIL ", "", "  ", None, "al-Shabaab"], dtype=object))
    assert out.tolist() == ["ISIL", pd.NA, pd.NA, pd.NA, "al-Shabaab"]
    assert str(out.dtype) == "string"


@pytest.mark.parametrize("k", [1, 2, 3])
def test_join_actors_matches_the_pandas_join(k: int) -> None:
    rng = np.random.default_rng(k)
    cols = [pd.Series(rng.choice(VALUES, 3_000), index=np.arange(3_000) + 10) for _ in range(k)]
    pd.testing.assert_series_equal(join_actors(*cols, sep=" | "), _join_reference(*cols), check_names=False,
                                   check_exact=True)


def test_join_actors_hand_case() -> None:
    a = pd.Series(["ISIL", None, " ", "AQAP", None])
    b = pd.Series([None, "Nusra", "Unknown", " AQIM", None])
    c = pd.Series(["x", None, None, "", None])
    assert join_actors(a, b, c).tolist() == ["ISIL | x", "Nusra", "Unknown", "AQAP | AQIM", pd.NA]
    assert join_actors(a, b, c).index.equals(pd.RangeIndex(5))


def test_join_actors_needs_a_column() -> None:
    with pytest.raises(ValueError, match="at least one column"):
        join_actors()


def _ids_reference(column: pd.Series) -> pd.Series:
    """The text route every GTD id took before: text, stripped, blank -> missing, a trailing ".0" removed."""
    return _clean_reference(column.astype("string")).str.replace(r"\.0$", "", regex=True)


@pytest.mark.parametrize("column", [
    pd.Series([197000000001.0, np.nan, 201512310001.0, -3.0, 0.0], name="eventid"),  # R doubles (GTD0814)
    pd.Series([1, None, 3], dtype="Int32", name="eventid"),                          # R integers with NA
    pd.Series([1, 2], dtype="int32", name="eventid"),
    pd.Series([1.5, 2.0], name="eventid"),                   # not whole: the text route decides
    pd.Series([2.0 ** 60, 1.0], name="eventid"),             # beyond exact float integers: the text route
    pd.Series([" 12.0", "", None, "201401010001"], name="eventid"),  # text (CSV)
])
def test_gtd_ids_match_the_text_route(column: pd.Series) -> None:
    raw = pd.DataFrame({"eventid": column})
    pd.testing.assert_series_equal(_ids(raw, LAYOUTS["gtd_full"]), _ids_reference(column), check_exact=True)
