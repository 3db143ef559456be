"""`base.read_text_csv`: Arrow's reader on UTF-8 bytes gives exactly the table pandas gives on the decoded
text (`pd.read_csv(dtype=str, keep_default_na=False, na_values=...)`, the reference here), and every file
Arrow does not take (a code page, stray bytes, a short row) goes through pandas as before, with the same
notes and errors. Compared with pandas.testing.assert_frame_equal(check_exact=True)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from externalize.errors import SourceFormatError
from externalize.locate import read_bytes
from externalize.sources import base
from externalize.sources.base import collect_notes, decode_text, read_csv_strict, read_text_csv


def _pandas(data: bytes, sep: str = ",", usecols: list[str] | None = None,
            na_values: tuple[str, ...] = ("",), encodings: tuple[str, ...] = ("utf-8-sig",)) -> pd.DataFrame:
    text = decode_text(data, "x.csv", encodings).text
    return pd.read_csv(io.StringIO(text), sep=sep, usecols=usecols, dtype=str, keep_default_na=False,
                       na_values=list(na_values), low_memory=False)


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the calls of the Arrow route, to know which route a file took."""
    calls: list[int] = []
    real = base._arrow_text_csv

    def spy(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(base, "_arrow_text_csv", spy)
    return calls


TRICKY = ('\ufeffid,name,summary,nkill\n'
          '1,"al-Qa\'ida in Iraq","line one\nline two, with a comma",3\n'
          '2,,"",\n'
          '3,"Islamic State of Iraq and the Levant (ISIL)","quote ""inside"" it",NA\n'
          '4,Jabhat al-Nusra,  padded  ,0.5\n'
          '\n'
          '5,الدولة الإسلامية,"",12\n')


def test_arrow_route_equals_pandas_on_tricky_utf8(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _spy(monkeypatch)
    data = TRICKY.encode("utf-8")
    got = read_text_csv(data, "x.csv")
    assert calls, "a valid UTF-8 file takes the Arrow route"
    pd.testing.assert_frame_equal(got, _pandas(data), check_exact=True)
    assert got.loc[0, "summary"] == "line one\nline two, with a comma"  # a newline inside quotes
    assert got["name"].isna().tolist() == [False, True, False, False, False]
    assert got.loc[2, "nkill"] == "NA"  # only "" is missing by default


def test_usecols_keep_file_order_and_na_values(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _spy(monkeypatch)
    data = TRICKY.encode("utf-8")
    got = read_text_csv(data, "x.csv", usecols=["nkill", "id"], na_values=("", "NA"))
    assert calls
    pd.testing.assert_frame_equal(got, _pandas(data, usecols=["nkill", "id"], na_values=("", "NA")),
                                  check_exact=True)
    assert list(got.columns) == ["id", "nkill"] and got["nkill"].isna().sum() == 2


def test_semicolon_layout() -> None:
    data = "event_id;country_id;gname\n10;95;ISIL\n11;;\n".encode()
    pd.testing.assert_frame_equal(read_text_csv(data, "x.csv", sep=";"), _pandas(data, sep=";"),
                                  check_exact=True)


def test_code_page_file_goes_through_pandas_with_its_note(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _spy(monkeypatch)
    data = "id,gname\n1,Al-Qaïda au Maghreb islamique\n2,Ansar al-Charia\n".encode("cp1252")
    enc = ("utf-8-sig", "cp1252", "latin-1")
    with collect_notes() as notes:
        got = read_text_csv(data, "x.csv", encodings=enc)
    assert not calls, "a cp1252 file is not UTF-8: decoded with its code page, parsed by pandas"
    pd.testing.assert_frame_equal(got, _pandas(data, encodings=enc), check_exact=True)
    assert got.loc[0, "gname"] == "Al-Qaïda au Maghreb islamique"
    assert notes == []  # no line holds valid UTF-8: nothing to report


def test_stray_bytes_reported_as_before() -> None:
    data = "id,gname\n1,ISIL\n2,Jabhat al-Nusra \xe9t\xe9\n3,Daesh\n".encode("utf-8") + b"4,bad \xff byte\n"
    with collect_notes() as notes:
        got = read_text_csv(data, "x.csv")
    with collect_notes() as ref_notes:
        ref = _pandas(data)
    pd.testing.assert_frame_equal(got, ref, check_exact=True)
    assert notes == ref_notes and "line 5" in notes[0]


def test_short_row_padded_as_pandas_does(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _spy(monkeypatch)
    data = b"a,b,c\n1,2,3\n4,5\n6,7,8\n"
    got = read_text_csv(data, "x.csv")
    assert calls  # Arrow was tried, refused the short row, and pandas read the file
    pd.testing.assert_frame_equal(got, _pandas(data), check_exact=True)
    assert got["c"].isna().tolist() == [False, True, False]


def test_long_row_is_an_error_naming_the_file() -> None:
    with pytest.raises(SourceFormatError, match="x.csv: not a readable CSV"):
        read_text_csv(b"a,b\n1,2\n3,4,5\n", "x.csv")


def test_read_csv_strict_callable_usecols(tmp_path: Path) -> None:
    p = tmp_path / "f.csv"
    p.write_bytes(TRICKY.encode("utf-8"))
    got = read_csv_strict(p, usecols=lambda c: c in ("summary", "id"), na_values=["", "NA"])
    ref = _pandas(TRICKY.encode("utf-8"), usecols=["id", "summary"], na_values=("", "NA"))
    pd.testing.assert_frame_equal(got, ref, check_exact=True)


@pytest.mark.realdata
def test_real_csv_releases_same_table_both_routes(shared_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every CSV in the real data folder (any compression): the Arrow route equals pandas on the text."""
    from externalize.locate import inner_name

    paths = [p for p in sorted(shared_data_dir.rglob("*")) if p.is_file()
             and inner_name(p).lower().endswith(".csv") and p.stat().st_size < 200_000_000]
    assert paths, "no CSV found in the real data folder"
    arrow_read = 0
    for p in paths:
        data = read_bytes(p)
        sep = ";" if data[:2000].count(b";") > data[:2000].count(b",") else ","
        try:
            ref = _pandas(data, sep=sep, encodings=("utf-8-sig", "cp1252", "latin-1"))
        except (pd.errors.ParserError, SourceFormatError, UnicodeDecodeError):
            continue
        calls = _spy(monkeypatch)
        got = read_text_csv(data, p, sep=sep, encodings=("utf-8-sig", "cp1252", "latin-1"))
        arrow_read += bool(calls)
        pd.testing.assert_frame_equal(got, ref, check_exact=True, obj=str(p))
        monkeypatch.undo()
    assert arrow_read > 0


def test_text_to_float_rounds_as_pandas() -> None:
    """Arrow's parse of decimal text equals pandas.to_numeric (and Python's float) bit for bit."""
    import numpy as np

    from externalize.sources.base import text_to_float

    rng = np.random.default_rng(1)
    vals = rng.uniform(-180, 180, 200_000)
    digits = rng.integers(1, 17, len(vals))
    text = [f"{float(v):.{d}f}" for v, d in zip(vals, digits, strict=True)]
    text += [repr(float(v)) for v in rng.normal(0, 1e6, 50_000)]
    text += [str(int(v)) for v in rng.integers(-10, 10**15, 50_000)]
    text += ["1e5", "-0", "0.30000000000000004", "2.2250738585072014e-308", "123456789012345678"]
    s = pd.Series(text, dtype="str")
    got = text_to_float(s)
    assert got is not None
    ref = pd.to_numeric(s).astype("float64")
    pd.testing.assert_series_equal(got, ref, check_exact=True)
    assert got.tolist() == [float(t) for t in text]


def test_text_to_float_leaves_odd_text_to_pandas() -> None:
    from externalize.sources.base import numeric_column, text_to_float

    with_missing = pd.Series(["1", None, "2.5"], dtype="str")
    assert text_to_float(with_missing).tolist()[::2] == [1.0, 2.5]
    assert text_to_float(pd.Series(["1", " 2"], dtype="str")) is None  # padded: pandas decides
    assert text_to_float(pd.Series(["1", "x"], dtype="str")) is None
    with pytest.raises(SourceFormatError, match="non-numeric"):
        numeric_column(pd.Series(["1", "x"], dtype="str"), Path("f.csv"), "best")


# ---------------------------------------------------------------------------------------------- whole file
def _streamed_and_whole(path: Path, monkeypatch: pytest.MonkeyPatch, **kw) -> tuple[pd.DataFrame, pd.DataFrame]:
    from externalize.sources.base import read_text_csv_file

    monkeypatch.setattr(base, "_STREAM_BLOCK", 64)  # "large" from 64 bytes: the block-by-block route
    got = read_text_csv_file(path, **kw)
    data = read_bytes(path)
    base.check_not_truncated(data, path)
    return got, read_text_csv(data, path, **kw)


def test_plain_file_streamed_equals_whole_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "gtd.csv"
    p.write_bytes(TRICKY.lstrip("\ufeff").encode("utf-8") * 1)
    assert base._plain_file_lines(p) is None  # under one block: read whole
    monkeypatch.setattr(base, "_STREAM_BLOCK", 64)
    assert base._plain_file_lines(p) is not None
    got, ref = _streamed_and_whole(p, monkeypatch, usecols=["id", "summary"])
    pd.testing.assert_frame_equal(got, ref, check_exact=True)


def test_streamed_file_cut_off_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from externalize.sources.base import read_text_csv_file

    p = tmp_path / "cut.csv"
    p.write_bytes(b"a,b,c\n" + b"1,2,3\n" * 40 + b"4,5")
    monkeypatch.setattr(base, "_STREAM_BLOCK", 64)
    with pytest.raises(SourceFormatError, match="last line has 2 fields"):
        read_text_csv_file(p)


def test_header_check_sees_the_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from externalize.sources.base import read_text_csv_file

    p = tmp_path / "h.csv"
    p.write_bytes(b"eventid,iyear,gname\n" + b"1,2014,ISIL\n" * 30)
    monkeypatch.setattr(base, "_STREAM_BLOCK", 64)
    seen: list[list[str]] = []
    got = read_text_csv_file(p, header_check=lambda cols: seen.append(cols) or ["gname", "eventid"])
    assert seen == [["eventid", "iyear", "gname"]] and list(got.columns) == ["eventid", "gname"]


@pytest.mark.parametrize("content", [
    "\ufeffid,name\n" + "1,ISIL\n" * 30,                      # a byte-order mark: whole-file route
    "id,name\n" + "1,Al-Qaïda\n" * 30,                         # cp1252 bytes below: not UTF-8
])
def test_files_not_streamed_read_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str) -> None:
    p = tmp_path / "f.csv"
    p.write_bytes(content.encode("utf-8") if content.startswith("\ufeff") else content.encode("cp1252"))
    monkeypatch.setattr(base, "_STREAM_BLOCK", 64)
    assert base._plain_file_lines(p) is None
    enc = ("utf-8-sig", "cp1252")
    got, ref = _streamed_and_whole(p, monkeypatch, encodings=enc)
    pd.testing.assert_frame_equal(got, ref, check_exact=True)
