"""read_sources: ledger entries, checksum refusal, absent sources skipped with the reason, parquet cache."""

from __future__ import annotations

import hashlib
import types
from pathlib import Path

import pandas as pd
import pytest

import externalize.build as build
from externalize.errors import ChecksumError
from externalize.registry import load_registry
from externalize.schema import conform_events
from externalize.sources.base import AdapterOutput

RAW = b"id,year\n1,2014\n2,2015\n3,\n"


def _registry(tmp_path: Path, sha: str) -> dict:
    text = f"""
[sources.demo]
title = "t"
publisher = "p"
version = "1"
licence = "l"
citation = "c"
get = "https://example.org"
adapter = "fake"
table = "events"
frequency = "year"
coverage_start = "2010-01"
coverage_end = "2016-12"
arms = ["external"]
measures = "m"
defects = []
files = [{{ role = "main", path = "demo.csv", sha256 = "{sha}" }}]

[sources.absent]
title = "t"
publisher = "p"
version = "1"
licence = "l"
citation = "c"
get = "https://example.org/absent"
adapter = "fake"
table = "events"
frequency = "year"
coverage_start = "2010-01"
coverage_end = "2016-12"
arms = ["external"]
measures = "m"
defects = []
files = [{{ role = "main", path = "absent.csv", sha256 = "{'0' * 64}" }}]
"""
    p = tmp_path / "sources.toml"
    p.write_text(text)
    return load_registry(p)


@pytest.fixture()
def fake_adapter(monkeypatch):
    calls = {"n": 0}

    def read(spec, files):
        calls["n"] += 1
        df = pd.read_csv(files["main"])
        dated = df[df["year"].notna()]
        ev = conform_events(pd.DataFrame({
            "source": spec.key, "event_id": dated["id"].astype(str), "year": dated["year"].astype(int),
            "date_precision": "year", "date": pd.to_datetime(dated["year"].astype(int).astype(str) + "-01-01"),
            "n": 1}))
        return AdapterOutput(rows_read=len(df), events=ev, excluded={"no year": int(df["year"].isna().sum())})

    module = types.SimpleNamespace(read=read, __name__="fake")
    monkeypatch.setattr(build, "adapter_for", lambda name: module)
    monkeypatch.setattr(build, "_adapter_fingerprint", lambda name: "v1")
    return calls


def test_read_sources_ledger_skip_and_cache(tmp_path, fake_adapter, monkeypatch):
    monkeypatch.delenv("EXTERNALIZE_DATA", raising=False)
    data = tmp_path / "data"
    data.mkdir()
    (data / "demo.csv").write_bytes(RAW)
    reg = _registry(tmp_path, hashlib.sha256(RAW).hexdigest())
    cache = tmp_path / "cache"
    ev, yr, ledger, info = build.read_sources(reg, data, cache_dir=cache)
    assert len(ev) == 2 and len(yr) == 0
    entry = ledger.entries["demo"]
    assert (entry.rows_read, entry.rows_events, entry.excluded) == (3, 2, {"no year": 1})
    assert "absent" in ledger.skipped and "absent.csv" in ledger.skipped["absent"]
    assert info["demo"]["main"]["verified"] is True
    assert fake_adapter["n"] == 1

    ev2, _, ledger2, _ = build.read_sources(reg, data, cache_dir=cache)   # warm: from parquet
    assert fake_adapter["n"] == 1
    pd.testing.assert_frame_equal(ev, ev2)
    assert ledger2.entries["demo"].excluded == {"no year": 1}


def test_checksum_mismatch_is_refused(tmp_path, fake_adapter, monkeypatch):
    monkeypatch.delenv("EXTERNALIZE_DATA", raising=False)
    data = tmp_path / "data"
    data.mkdir()
    (data / "demo.csv").write_bytes(RAW)
    reg = _registry(tmp_path, "a" * 64)
    with pytest.raises(ChecksumError, match="demo.csv"):
        build.read_sources(reg, data)
    assert fake_adapter["n"] == 0

