"""Registry, data location, checksums, compression, schema, ledger and study config."""

from __future__ import annotations

import gzip
import lzma
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from externalize.config import load_study
from externalize.errors import ChecksumError, ConfigError, DataNotFoundError, SourceFormatError
from externalize.ledger import Ledger, LedgerError, SourceLedger
from externalize.locate import UnverifiedDataWarning, locate_source, read_bytes, resolve_data_dir, sha256_of
from externalize.registry import DEFAULT_REGISTRY, SourceFile, load_registry
from externalize.schema import conform_events, conform_yearly, dates_from_parts

CONTENT = b"a,b\n1,2\n3,4\n"


def _registry_with(tmp_path: Path, rel: str, sha: str, extra: str = "") -> Path:
    text = f"""
[sources.demo]
title = "t"
publisher = "p"
version = "1"
licence = "l"
citation = "c"
get = "https://example.org/demo"
adapter = "unused"
table = "events"
frequency = "month"
coverage_start = "2010-01"
coverage_end = "2012-12"
arms = ["external"]
measures = "m"
defects = []
files = [{{ role = "main", path = "{rel}", sha256 = "{sha}" }}]
{extra}
"""
    p = tmp_path / "sources.toml"
    p.write_text(text)
    return p


def test_shipped_registry_is_valid_and_every_source_names_an_adapter_module():
    reg = load_registry()
    assert len(reg) >= 20
    assert {"ucdp_nonstate", "nesser_cym", "gtd_full", "ucdp_ged_global", "centcom_strikes"} <= set(reg)
    for spec in reg.values():
        assert spec.table in {"events", "yearly", "lookup", "unused"}
        if spec.researcher_supplied:
            assert spec.match and not spec.files
    assert DEFAULT_REGISTRY.is_file()


@pytest.mark.parametrize("bad, message", [
    ('table = "events"', None),
    ('table = "bogus"', "table must be one of"),
])
def test_registry_rejects_unknown_table(tmp_path, bad, message):
    p = _registry_with(tmp_path, "x.csv", "0" * 64)
    p.write_text(p.read_text().replace('table = "events"', bad))
    if message is None:
        assert "demo" in load_registry(p)
    else:
        with pytest.raises(ConfigError, match=message):
            load_registry(p)


def test_registry_rejects_malformed_hash(tmp_path):
    p = _registry_with(tmp_path, "x.csv", "abc")
    with pytest.raises(ConfigError, match="64-hex-digit sha256"):
        load_registry(p)


def test_locate_verifies_checksum_and_refuses_mismatch(tmp_path, monkeypatch):
    monkeypatch.delenv("EXTERNALIZE_DATA", raising=False)
    data = tmp_path / "data"
    data.mkdir()
    (data / "x.csv").write_bytes(CONTENT)
    good = sha256_of(data / "x.csv")
    spec = load_registry(_registry_with(tmp_path, "x.csv", good))["demo"]
    located = locate_source(spec, data)
    assert located["main"].verified and located["main"].path == data / "x.csv"

    spec_bad = load_registry(_registry_with(tmp_path, "x.csv", "f" * 64))["demo"]
    with pytest.raises(ChecksumError, match=r"x\.csv has sha256 .* expects f{64}"):
        locate_source(spec_bad, data)
    with pytest.warns(UnverifiedDataWarning, match="explicitly allowed"):
        located = locate_source(spec_bad, data, allow_checksum_mismatch=True)
    assert not located["main"].verified


def test_missing_file_message_names_file_places_and_where_to_get_it(tmp_path, monkeypatch):
    monkeypatch.delenv("EXTERNALIZE_DATA", raising=False)
    spec = load_registry(_registry_with(tmp_path, "nope/x.csv", "0" * 64))["demo"]
    with pytest.raises(DataNotFoundError) as err:
        locate_source(spec, tmp_path)
    msg = str(err.value)
    assert "nope/x.csv" in msg and "--data-dir" in msg and "https://example.org/demo" in msg


def test_env_var_is_searched_after_the_flag(tmp_path, monkeypatch):
    flag, env = tmp_path / "flag", tmp_path / "env"
    flag.mkdir(), env.mkdir()
    monkeypatch.setenv("EXTERNALIZE_DATA", str(env))
    assert resolve_data_dir(flag) == flag
    assert resolve_data_dir(None) == env


@pytest.mark.parametrize("suffix", [".xz", ".gz", ".zip", ""])
def test_compressed_files_are_read_directly(tmp_path, suffix):
    path = tmp_path / f"x.csv{suffix}"
    if suffix == ".xz":
        path.write_bytes(lzma.compress(CONTENT))
    elif suffix == ".gz":
        path.write_bytes(gzip.compress(CONTENT))
    elif suffix == ".zip":
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("x.csv", CONTENT)
    else:
        path.write_bytes(CONTENT)
    assert read_bytes(path) == CONTENT


def test_truncated_xz_is_a_clear_format_error(tmp_path):
    path = tmp_path / "x.csv.xz"
    path.write_bytes(lzma.compress(CONTENT * 100)[:-20])
    with pytest.raises(SourceFormatError, match="truncated or corrupt"):
        read_bytes(path)


def test_dates_from_parts_keeps_unknown_parts_as_lower_precision():
    date, prec = dates_from_parts(pd.Series([2014, 2014, 2014, 2015, 2015]),
                                  pd.Series([8, 0, 4, 2, 13]), pd.Series([8, 0, 31, 0, 1]))
    assert prec.tolist() == ["day", "year", "month", "month", "year"]
    assert date.dt.strftime("%Y-%m-%d").tolist() == [
        "2014-08-08", "2014-01-01", "2014-04-01", "2015-02-01", "2015-01-01"]


def _event_rows(**over) -> pd.DataFrame:
    base = {"source": ["s", "s"], "event_id": ["1", "2"], "year": [2014, 2014], "month": [8, 9],
            "day": [8, pd.NA], "date_precision": ["day", "month"],
            "date": pd.to_datetime(["2014-08-08", "2014-09-01"]), "n": [1, 1]}
    base.update(over)
    return pd.DataFrame(base)


def test_event_schema_accepts_valid_and_adds_optional_columns():
    ev = conform_events(_event_rows())
    assert list(ev.columns)[:3] == ["source", "event_id", "year"]
    assert ev["side_a"].isna().all() and str(ev["month"].dtype) == "Int8"


@pytest.mark.parametrize("override, message", [
    ({"event_id": ["1", "1"]}, "duplicate"),
    ({"date_precision": ["day", "week"]}, "isin"),
    ({"day": [pd.NA, pd.NA]}, "day missing"),
    ({"year": [2013, 2014]}, "date and year disagree"),
])
def test_event_schema_rejects_bad_rows(override, message):
    with pytest.raises(Exception, match=message):
        conform_events(_event_rows(**override))


def test_event_schema_rejects_unknown_columns():
    with pytest.raises(ValueError, match="outside the schema"):
        conform_events(_event_rows(colour=["r", "g"]))


def test_yearly_schema():
    yr = conform_yearly(pd.DataFrame({"source": ["u"], "record_id": ["1-2014"], "year": [2014], "n": [1]}))
    assert yr["fatalities"].isna().all()


def test_ledger_refuses_rows_that_do_not_add_up():
    led = Ledger()
    led.add(SourceLedger("a", {}, True, rows_read=10, rows_events=7, excluded={"no year": 3}))
    with pytest.raises(LedgerError, match="rows read 10"):
        led.add(SourceLedger("b", {}, True, rows_read=10, rows_events=7, excluded={"no year": 2}))
    with pytest.raises(LedgerError, match="classified 6"):
        led.record_classes("a", {("none", "NONE-1"): 6})
    led.record_classes("a", {("none", "NONE-1"): 5, ("clash", "CLASH-1"): 2})
    s = led.summary().iloc[0]
    assert (s.rows_read, s.rows_kept, s.rows_excluded, s.rows_family_actor, s.class_clash) == (10, 7, 3, 2, 2)
    assert led.detail()["rows"].sum() == 10


def test_shipped_study_config_loads():
    study = load_study()
    months = study.intervention_months()
    assert months["iraq_strikes"] == pd.Period("2014-08", "M")
    assert months["syria_strikes"] == pd.Period("2014-09", "M")
    assert study.main.name == "iraq_strikes"


@pytest.mark.parametrize("edit, message", [
    (('date = "2014-08-08"', 'date = "2030-01-01"'), "outside the window"),
    (('main_intervention = "iraq_strikes"', 'main_intervention = "moon"'), "not one of"),
    (('hac_maxlags = "nw1994"', 'hac_maxlags = "many"'), "hac_maxlags"),
    (('"2013-04-09"', '"2014-08-20"'), "month of a real intervention"),
    (('window_end = "2017-12"', 'window_end = "2010-01"'), "must be after"),
])
def test_study_config_errors_name_the_key(tmp_path, edit, message):
    src = load_study().path.read_text()
    assert edit[0] in src
    p = tmp_path / "study.toml"
    p.write_text(src.replace(edit[0], edit[1], 1))
    with pytest.raises(ConfigError, match=message):
        load_study(p)


def test_source_file_lookup_by_role():
    spec = load_registry()["mapping_militants"]
    assert isinstance(spec.file("key"), SourceFile)
    with pytest.raises(KeyError):
        spec.file("nope")


@pytest.mark.realdata
def test_every_registered_shared_file_matches_its_checksum(shared_data_dir):
    for spec in load_registry().values():
        located = locate_source(spec, shared_data_dir)
        if spec.researcher_supplied:
            assert located is None
            continue
        assert all(lf.verified for lf in located.values()), spec.key


@pytest.mark.realdata
def test_every_shared_data_file_is_registered(shared_data_dir):
    registered = {f.path for s in load_registry().values() for f in s.files}
    present = {str(p.relative_to(shared_data_dir)) for p in shared_data_dir.rglob("*.xz")}
    assert present - registered == set(), "files in the data folder that the registry does not account for"


def test_synthetic_releases_are_never_picked_up_unless_allowed(tmp_path, monkeypatch):
    monkeypatch.delenv("EXTERNALIZE_DATA", raising=False)
    (tmp_path / "GEDEvent_vSYNTHETIC.csv").write_text("id\n1\n")
    spec = load_registry()["ucdp_ged_global"]
    assert locate_source(spec, tmp_path) is None
    got = locate_source(spec, tmp_path, allow_synthetic=True)
    assert got["main"].path.name == "GEDEvent_vSYNTHETIC.csv" and not got["main"].verified
