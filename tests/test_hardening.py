"""Full releases and bad input (issue 16), each on a few rows in the real release layout.

Cases: a data folder that does not exist; no data at all; nothing estimable; a GTD release in two files
(0522dist + 2021Jan-June_1222dist) and a GED split by years, both counted; two overlapping releases refused;
UCDP's own older GED names (ged191.csv); GTD's missing 1993 and the months after a release's last event are
missing, not zero; one encoding per file with stray or mixed bytes reported by line; a header-only file noted;
a supplied full release used by the outcomes that accept it, which changes the estimates.
"""

from __future__ import annotations

import dataclasses
import hashlib
import lzma
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

import externalize.locate as locate
from externalize.build import build_study, check_outcome_sources, choose_source, read_sources, resolve_study
from externalize.config import load_study
from externalize.errors import ConfigError, DataNotFoundError, SourceFormatError
from externalize.locate import candidate_data_dirs, locate_source, resolve_data_dir
from externalize.registry import SourceFile, load_registry
from externalize.sources.base import collect_notes, decode_text
from externalize.sources.gtd import CODEBOOK_COLUMNS
from externalize.sources.ucdp_ged import GED_COLUMNS

REGISTRY = load_registry()
QUIET = Console(quiet=True)


@pytest.fixture(autouse=True)
def _no_default_places(tmp_path, monkeypatch):
    """Every test sees only the folders it makes: no EXTERNALIZE_DATA, default places that do not exist."""
    monkeypatch.delenv("EXTERNALIZE_DATA", raising=False)
    monkeypatch.setattr(locate, "default_data_dirs",
                        lambda: [("project data/raw", tmp_path / "no_raw"), ("../shared/data", tmp_path / "no_shared")])


# ------------------------------------------------------------------------------------------ fake releases
def gtd_rows(rows: list[dict]) -> pd.DataFrame:
    """Rows in the full GTD layout (135 codebook columns, file order); unspecified cells blank."""
    base = {"extended": 0, "doubtterr": 0, "guncertain1": 0, "latitude": 48.85, "longitude": 2.35,
            "country_txt": "France", "region_txt": "Western Europe", "targtype1_txt": "Private Citizens & Property",
            "natlty1_txt": "France", "nkill": 1, "success": 1, "suicide": 0, "multiple": 0, "claimed": 0,
            "provstate": "Ile-de-France", "city": "Paris", "nwound": 0}
    full = []
    for k, r in enumerate(rows):
        row = dict.fromkeys(CODEBOOK_COLUMNS, "") | base | r
        row.setdefault("eventid", f"{r['iyear']}{int(r['imonth']):02d}{int(r['iday']):02d}{k + 1:04d}")
        full.append(row)
    return pd.DataFrame(full, columns=list(CODEBOOK_COLUMNS))


def gtd_month_rows(start: str, end: str, per_month, gname: str = "Islamic State of Iraq and the Levant (ISIL)",
                   first_case: int = 1) -> list[dict]:
    """`per_month(period) -> int` attacks in each month of [start, end], on the 15th, GTD ids unique."""
    out, case = [], first_case
    for p in pd.period_range(start, end, freq="M"):
        for _ in range(int(per_month(p))):
            out.append({"iyear": p.year, "imonth": p.month, "iday": 15, "gname": gname,
                        "eventid": f"{p.year}{p.month:02d}15{case:04d}"})
            case += 1
    return out


def write_csv(frame: pd.DataFrame, path: Path, encoding: str = "utf-8", sep: str = ",") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(frame.to_csv(index=False, sep=sep).encode(encoding))
    return path


def ged_rows(ids: list[int], years: list[int]) -> pd.DataFrame:
    rows = []
    for i, y in zip(ids, years):
        row = dict.fromkeys(GED_COLUMNS, "")
        row.update({"id": i, "year": y, "type_of_violence": 2, "dyad_name": "IS - Jabhat Fateh al-Sham",
                    "side_a": "IS", "side_b": "Jabhat Fateh al-Sham", "country": "Syria", "region": "Middle East",
                    "where_prec": 1, "latitude": 36.2, "longitude": 37.1, "date_prec": 1,
                    "date_start": f"{y}-03-10", "date_end": f"{y}-03-10", "best": 3, "low": 2, "high": 4,
                    "deaths_a": 1, "deaths_b": 2, "deaths_civilians": 0, "deaths_unknown": 0})
        rows.append(row)
    return pd.DataFrame(rows, columns=list(GED_COLUMNS))


def only(*keys: str) -> dict:
    return {k: REGISTRY[k] for k in keys}


def study_with(*outcomes):
    study = load_study()
    by_name = {o.name: o for o in study.outcomes}
    return dataclasses.replace(study, outcomes=tuple(by_name[n] for n in outcomes), comparisons=())


# ------------------------------------------------------------------------------------------ data location
def test_a_given_data_folder_that_does_not_exist_is_refused_by_name(tmp_path, monkeypatch):
    missing = tmp_path / "typo_data"
    with pytest.raises(DataNotFoundError, match=r"--data-dir \(.*typo_data\) does not exist"):
        candidate_data_dirs(missing)
    with pytest.raises(DataNotFoundError, match="typo_data"):
        resolve_data_dir(missing)
    with pytest.raises(DataNotFoundError, match="typo_data"):   # the build refuses before reading anything
        read_sources(only("gtd_full"), missing, console=QUIET)
    monkeypatch.setenv("EXTERNALIZE_DATA", str(tmp_path / "env_typo"))
    with pytest.raises(DataNotFoundError, match=r"EXTERNALIZE_DATA \(.*env_typo\) does not exist"):
        candidate_data_dirs(None)
    afile = tmp_path / "a_file"
    afile.write_text("x")
    with pytest.raises(DataNotFoundError, match="is a file, not a folder"):
        candidate_data_dirs(afile)


def test_a_given_folder_is_the_only_place_searched(tmp_path, monkeypatch):
    """A file present only in a default place is NOT taken when a folder was given (no silent mix)."""
    given, default = tmp_path / "given", tmp_path / "default"
    given.mkdir()
    write_csv(gtd_rows(gtd_month_rows("2015-01", "2015-01", lambda p: 2)), default / "globalterrorismdb_0718dist.csv")
    monkeypatch.setattr(locate, "default_data_dirs", lambda: [("project data/raw", default)])
    spec = REGISTRY["gtd_full"]
    assert locate_source(spec, given) is None
    got = locate_source(spec, None)     # nothing given: the default place is searched
    assert got is not None and got["main"].path.parent == default


def test_no_data_at_all_is_one_message_naming_places_and_missing_files(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(DataNotFoundError) as err:
        build_study(load_study(), None, out, console=QUIET, use_cache=False)
    msg = str(err.value)
    assert msg.startswith("no usable data")
    assert "no_raw (no such folder)" in msg and "no_shared (no such folder)" in msg
    assert "ucdp/Nonstate_v23_1.csv.xz" in msg and "globalterrorismdb_*.csv" in msg
    assert not (out / "events.parquet").exists()      # failed before writing a build


def test_nothing_estimable_is_an_error_listing_outcomes_and_their_sources(tmp_path):
    data = tmp_path / "data"
    write_csv(gtd_rows(gtd_month_rows("2014-01", "2014-03", lambda p: 1)), data / "globalterrorismdb_0718dist.csv")
    with pytest.raises(DataNotFoundError, match=r"nothing can be estimated: .*plots_west accepts crenshaw_cym"):
        build_study(study_with("plots_west"), data, tmp_path / "out", registry=only("gtd_full", "crenshaw_cym"),
                    console=QUIET, use_cache=False)


# ------------------------------------------------------------------------------------------ multi-file releases
def test_gtd_release_in_two_files_is_read_as_one_and_both_are_in_the_ledger(tmp_path):
    data = tmp_path / "data"
    main = write_csv(gtd_rows(gtd_month_rows("2020-01", "2020-12", lambda p: 2)),
                     data / "globalterrorismdb_0522dist.csv")
    supplement = write_csv(gtd_rows(gtd_month_rows("2021-01", "2021-06", lambda p: 3, first_case=500)),
                           data / "globalterrorismdb_2021Jan-June_1222dist.csv")
    study = dataclasses.replace(load_study(), window_start=pd.Period("2020-01", "M"),
                                window_end=pd.Period("2021-12", "M"), outcomes=(), comparisons=())
    built = build_study(study, data, tmp_path / "out", registry=only("gtd_full"), console=QUIET, use_cache=False)
    entry = built.ledger.entries["gtd_full"]
    assert entry.rows_read == 24 + 18 and entry.rows_events == 42
    sha = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (main, supplement)}
    assert entry.file_sha256 == {"main": sha[main], "part2": sha[supplement]}
    files = built.manifest["sources"]["gtd_full"]
    assert [Path(files[r]["path"]).name for r in ("main", "part2")] == [main.name, supplement.name]
    m = built.monthly.set_index(["source", "event_class", "family", "period"])["count"]
    assert m[("gtd_full", "all", "all", pd.Period("2021-03", "M"))] == 3.0     # the 2021 months are counted
    assert m[("gtd_full", "all", "all", pd.Period("2020-03", "M"))] == 2.0
    # coverage ends with the release's last event (2021-06): later months missing, not zero
    assert np.isnan(m[("gtd_full", "all", "all", pd.Period("2021-07", "M"))])
    assert built.manifest["coverage_observed"]["gtd_full"] == ["1970-01", "2021-06"]


def test_load_built_without_tables_reads_the_series_only(tmp_path):
    """`load_built(tables=False)` (what the figures and report steps use to resolve the study) has the series
    and the registry of the full read, and empty event tables with the schema's columns."""
    from externalize.build import load_built

    data = tmp_path / "data"
    write_csv(gtd_rows(gtd_month_rows("2020-01", "2020-06", lambda p: 2)), data / "globalterrorismdb_0522dist.csv")
    study = dataclasses.replace(load_study(), window_start=pd.Period("2020-01", "M"),
                                window_end=pd.Period("2020-12", "M"), outcomes=(), comparisons=())
    build_study(study, data, tmp_path / "out", registry=only("gtd_full"), console=QUIET, use_cache=False)
    full, light = load_built(tmp_path / "out"), load_built(tmp_path / "out", tables=False)
    pd.testing.assert_frame_equal(full.monthly, light.monthly)
    pd.testing.assert_frame_equal(full.yearly_series, light.yearly_series)
    assert light.registry == full.registry and len(full.events) == 12
    assert light.events.empty and list(light.events.columns) == list(full.events.columns)
    assert light.yearly.empty and list(light.yearly.columns) == list(full.yearly.columns)


def test_two_releases_side_by_side_are_refused_naming_both(tmp_path):
    data = tmp_path / "data"
    rows = gtd_rows(gtd_month_rows("2016-01", "2016-06", lambda p: 1))
    write_csv(rows, data / "globalterrorismdb_0718dist.csv")
    write_csv(rows, data / "globalterrorismdb_0522dist.csv")
    with pytest.raises(SourceFormatError, match=r"globalterrorismdb_0718dist.csv and globalterrorismdb_0522dist"
                                                r".csv both hold event ids \(6 shared"):
        read_sources(only("gtd_full"), data, console=QUIET)


def test_ged_split_by_years_counts_both_files(tmp_path):
    data = tmp_path / "data"
    write_csv(ged_rows([1, 2, 3], [2012, 2013, 2013]), data / "GEDEvent_v23_1_1989-2013.csv")
    write_csv(ged_rows([4, 5], [2015, 2016]), data / "GEDEvent_v23_1_2014-2022.csv")
    ev, _, ledger, info = read_sources(only("ucdp_ged_global"), data, console=QUIET)
    assert ledger.entries["ucdp_ged_global"].rows_events == 5
    assert sorted(ev["year"].tolist()) == [2012, 2013, 2013, 2015, 2016]
    assert set(info["ucdp_ged_global"]) == {"main", "part2"}


@pytest.mark.parametrize("name", ["ged191.csv", "ged201.csv.gz", "ged211-csv.zip", "GEDEvent_v22_1.csv.xz"])
def test_ucdp_own_names_for_older_ged_releases_are_recognised(tmp_path, name):
    import gzip
    import zipfile
    raw = ged_rows([1, 2], [2014, 2015]).to_csv(index=False).encode()
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(raw))
    elif name.endswith(".zip"):
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr(name.replace("-csv.zip", ".csv"), raw)
    elif name.endswith(".xz"):
        path.write_bytes(lzma.compress(raw))
    else:
        path.write_bytes(raw)
    ev, _, ledger, _ = read_sources(only("ucdp_ged_global"), tmp_path, console=QUIET)
    assert ledger.entries["ucdp_ged_global"].rows_events == 2


def test_an_unrecognised_ged_name_is_reported_with_the_accepted_names(tmp_path):
    write_csv(ged_rows([1], [2014]), tmp_path / "GED_2023_full.csv")
    _, _, ledger, _ = read_sources(only("ucdp_ged_global"), tmp_path, console=QUIET)
    why = ledger.skipped["ucdp_ged_global"]
    assert "accepted file names: GEDEvent_v*.csv" in why and "ged[0-9][0-9][0-9].csv" in why
    assert "GED_2023_full.csv" in why   # the look-alike file is named


# ------------------------------------------------------------------------------------------ coverage holes
def test_gtd_1993_is_missing_not_zero(tmp_path):
    data = tmp_path / "data"
    rows = gtd_month_rows("1992-01", "1992-12", lambda p: 1) + gtd_month_rows("1994-01", "1994-12", lambda p: 2,
                                                                              first_case=100)
    write_csv(gtd_rows(rows), data / "globalterrorismdb_0718dist.csv")
    study = dataclasses.replace(load_study(), window_start=pd.Period("1992-01", "M"),
                                window_end=pd.Period("1994-12", "M"), yearly_start=1991, yearly_end=1995,
                                outcomes=(), comparisons=())
    built = build_study(study, data, tmp_path / "out", registry=only("gtd_full"), console=QUIET, use_cache=False)
    y = built.yearly_series.query("source == 'gtd_full' and event_class == 'all' and family == 'all'")
    y = y.set_index("year")
    assert y.loc[1992, "count"] == 12 and y.loc[1994, "count"] == 24
    assert np.isnan(y.loc[1993, "count"]) and y.loc[1993, "months_covered"] == 0 and not y.loc[1993, "in_coverage"]
    assert y.loc[1991, "count"] == 0      # inside the span, no event: a real zero
    assert np.isnan(y.loc[1995, "count"])  # after the release's last event (1994-12): missing
    m = built.monthly.query("source == 'gtd_full' and event_class == 'all' and family == 'all'").set_index("period")
    assert m["count"].isna().sum() == 12 and m.loc[pd.Period("1993-06", "M"), "in_coverage"] == False  # noqa: E712
    assert m.loc[pd.Period("1994-06", "M"), "count"] == 2


def test_registered_gtd_copies_spanning_1993_carry_the_hole():
    for key in ("gtd0814", "gtd_0718_degraded", "gtd_full"):
        spec = REGISTRY[key]
        assert spec.months_covered(1993) == 0 and spec.months_covered(1992) == 12, key
    assert REGISTRY["gtd_world_inc"].coverage_holes == ()   # 2000-2014: no hole inside its span


def test_a_coverage_hole_outside_the_span_is_a_config_error(tmp_path):
    toml = (Path(__file__).resolve().parents[1] / "data" / "sources.toml").read_text()
    start = toml.index("[sources.gtd_world_inc]")
    end = toml.index("\n[sources.", start + 1)
    entry = toml[start:end].replace('files = [', 'coverage_holes = [{ start = "1993-01", end = "1993-12", '
                                                 'why = "x" }]\nfiles = [', 1)
    p = tmp_path / "sources.toml"
    p.write_text(entry)
    with pytest.raises(ConfigError, match="must be an interval inside the span"):
        load_registry(p)


# ------------------------------------------------------------------------------------------ text decoding
NAMES = ["Tanẓīm Qāʿidat al-Jihād", "Jabhat an-Nuṣrah", "Islamic State of Iraq and the Levant (ISIL)"]


def test_utf8_file_with_one_stray_byte_is_read_as_utf8_and_the_line_reported():
    lines = ["id,gname"] + [f"{i},{NAMES[i % 3]}" for i in range(1, 9)]
    data = "\n".join(lines).encode("utf-8") + b"\n"
    data = data.replace("4,Jabhat".encode(), b"4,\x92Jabhat")    # one cp1252 apostrophe byte on line 5
    with collect_notes() as notes:
        got = decode_text(data, "x.csv", ("utf-8-sig", "cp1252", "latin-1"))
    assert got.encoding == "utf-8" and got.odd_lines == (5,)
    assert len(notes) == 1 and "x.csv" in notes[0] and "line 5" in notes[0]
    text_lines = got.text.splitlines()
    assert text_lines[6] == f"6,{NAMES[0]}" and text_lines[2] == f"2,{NAMES[2]}"   # names intact elsewhere
    assert text_lines[4] == "4,\ufffdJabhat an-Nuṣrah"


def test_cp1252_file_is_read_as_cp1252_and_mixed_utf8_lines_are_reported():
    body = "id,gname\n1,Al-Qa\u2019ida\n2,Ansar al-Shari\u2019a\n3,Groupe Islamique Arm\u00e9\n"
    data = body.encode("cp1252")
    with collect_notes() as notes:
        got = decode_text(data, "gtd.csv", ("utf-8-sig", "cp1252", "latin-1"))
    assert got.encoding == "cp1252" and notes == [] and "Al-Qa\u2019ida" in got.text
    mixed = data + "4,Jabhat an-Nuṣrah\n".encode("utf-8")
    with collect_notes() as notes:
        got = decode_text(mixed, "gtd.csv", ("utf-8-sig", "cp1252", "latin-1"))
    assert got.encoding == "cp1252" and got.odd_lines == (5,) and "line 5" in notes[0] and "mixed" in notes[0]


def test_utf8_only_layout_with_bad_bytes_is_read_and_reported_not_refused():
    with collect_notes() as notes:
        got = decode_text(b"id,side_a\n1,IS\n2,\xffbad\n", "ged.csv")
    assert got.encoding == "utf-8" and got.odd_lines == (3,) and "ged.csv" in notes[0]


def test_stray_byte_in_a_full_gtd_reaches_the_ledger_and_keeps_every_family(tmp_path):
    """The issue's case: a UTF-8 full GTD with one stray byte used to be read whole as Latin-1, losing the
    family of AQ rows whose names have non-ASCII letters. Now every AQ row keeps its family."""
    data = tmp_path / "data"
    aq = "Tanẓīm Qāʿidat al-Jihād fī Bilād al-Rāfidayn"   # a GTD alias of al-Qaida in Iraq, as written
    rows = gtd_month_rows("2013-01", "2013-08", lambda p: 1, gname="Al-Qaida in Iraq") \
        + gtd_month_rows("2013-01", "2013-04", lambda p: 1, gname="Islamic State of Iraq and the Levant (ISIL)",
                         first_case=50)
    frame = gtd_rows(rows)
    frame.loc[frame.index[:8], "city"] = aq  # non-ASCII UTF-8 text in many lines
    raw = frame.to_csv(index=False).encode("utf-8")
    raw = raw.replace(b"Ile-de-France", b"\xeele-de-France", 1)     # one Latin-1 byte: line 2
    path = data / "globalterrorismdb_0522dist.csv"
    path.parent.mkdir()
    path.write_bytes(raw)
    ev, _, ledger, _ = read_sources(only("gtd_full"), data, console=QUIET)
    notes = ledger.notes["gtd_full"]
    assert len(notes) == 1 and str(path) in notes[0] and "line 2" in notes[0]
    assert (ev["side_a"] == "Al-Qaida in Iraq").sum() == 8
    assert ledger.notes_frame().shape == (1, 2)


def test_header_only_file_adds_a_ledger_note(tmp_path):
    data = tmp_path / "data"
    write_csv(gtd_rows([]), data / "globalterrorismdb_0522dist.csv")
    write_csv(gtd_rows(gtd_month_rows("2021-01", "2021-02", lambda p: 1)),
              data / "globalterrorismdb_2021Jan-June_1222dist.csv")
    _, _, ledger, _ = read_sources(only("gtd_full"), data, console=QUIET)
    assert ledger.entries["gtd_full"].rows_read == 2
    assert any("globalterrorismdb_0522dist.csv: header only, no data rows" in n for n in ledger.notes["gtd_full"])


# ------------------------------------------------------------------------------------------ outcomes: best source
def test_outcome_sources_are_an_ordered_list_checked_against_the_registry(tmp_path):
    study = load_study()
    o = study.outcome("gtd_external_attacks")
    assert o.sources == ("gtd_full", "gtd_0718_degraded") and o.source == "gtd_0718_degraded" and o.arm == "external"
    assert choose_source(o, {"gtd_0718_degraded"}, REGISTRY) == "gtd_0718_degraded"
    assert choose_source(o, {"gtd_0718_degraded", "gtd_full"}, REGISTRY) == "gtd_full"
    assert choose_source(o, set(), REGISTRY) is None
    assert choose_source(o, {"gtd_full"}, only("gtd_0718_degraded")) is None   # not in this registry
    wrong = dataclasses.replace(o, sources=("ucdp_nonstate", "gtd_0718_degraded"))
    assert choose_source(wrong, {"ucdp_nonstate"}, REGISTRY) is None      # measures another arm: never chosen
    with pytest.raises(ConfigError, match="arm 'external'.*ucdp_nonstate"):
        check_outcome_sources(dataclasses.replace(load_study(), outcomes=(wrong,)))
    typo = dataclasses.replace(o, sources=("gtd_fulll", "gtd_0718_degraded"))
    with pytest.raises(ConfigError, match="'gtd_fulll', which data/sources.toml does not know"):
        build_study(dataclasses.replace(load_study(), outcomes=(typo,), comparisons=()), None, tmp_path,
                    console=QUIET)   # refused before any file is read (no data folder needed)
    check_outcome_sources(load_study())   # the shipped study is consistent with the registry


def _degraded_copy(folder: Path, per_month) -> dict:
    """The degraded GTD teaching copy's layout (';'-separated, ids looked up in side files), few rows; returns
    the registry with its files pinned to these bytes."""
    folder.mkdir(parents=True)
    rows = []
    for k, p in enumerate(pd.period_range("2011-01", "2017-12", freq="M")):
        for j in range(int(per_month(p))):
            rows.append({"event_id": len(rows), "iyear": p.year, "imonth": p.month, "iday": 10, "extended": 0,
                         "resolution": "", "country_id": 69, "region_id": 8, "provstate": "", "city": "Paris",
                         "success": 1, "suicide": 0, "attack_id": 3, "target_id": 14,
                         "gname": "Islamic State of Iraq and the Levant (ISIL)", "weapon_id": 6, "nkill": 1,
                         "nwound": 0})
    files = {"main": write_csv(pd.DataFrame(rows), folder / "terrorism_act.csv", sep=";"),
             "country": write_csv(pd.DataFrame({"id": [69], "country": ["France"]}), folder / "country.csv", sep=";"),
             "region": write_csv(pd.DataFrame({"id": [8], "region": ["Western Europe"]}), folder / "region.csv", sep=";"),
             "attack": write_csv(pd.DataFrame({"id": [3], "attack": ["Bombing/Explosion"]}), folder / "attack.csv",
                                 sep=";"),
             "target": write_csv(pd.DataFrame({"id": [14], "target": ["Private Citizens & Property"]}),
                                 folder / "target.csv", sep=";"),
             "weapon": write_csv(pd.DataFrame({"id": [6], "weapon": ["Explosives"]}), folder / "weapon.csv", sep=";")}
    spec = dataclasses.replace(REGISTRY["gtd_0718_degraded"], files=tuple(
        SourceFile(role, f"{folder.name}/{p.name}", hashlib.sha256(p.read_bytes()).hexdigest())
        for role, p in files.items()))
    return {"gtd_0718_degraded": spec, "gtd_full": REGISTRY["gtd_full"]}


def _main_level_change(built, study, tmp_path: Path, tag: str) -> float:
    from externalize.estimates import fit_study
    tables = fit_study(built, study, tmp_path / f"tables_{tag}", console=QUIET)
    est = tables["estimates"]
    row = est[(est["outcome"] == "gtd_external_attacks") & (est["model"] == "quasipoisson")
              & (est["spec"] == "main") & est["term"].astype(str).str.startswith("level")]
    assert len(row) == 1, est[["outcome", "model", "spec", "term"]].drop_duplicates().to_string()
    return float(row["estimate"].iloc[0])


@pytest.mark.slow
def test_a_supplied_full_release_is_used_and_changes_the_estimates(tmp_path):
    """Without a full GTD the outcome uses the degraded copy (a flat 2 attacks a month); with a small full
    release in the folder (2 a month before 2014-08, 6 after) the build picks gtd_full, records it, and the
    estimated level change moves from about 1 to about 3 (rate ratio)."""
    data = tmp_path / "data"
    reg = _degraded_copy(data / "gtd_0718_degraded_teaching_copy", lambda p: 2)
    study = study_with("gtd_external_attacks")

    built0 = build_study(study, data, tmp_path / "out0", registry=reg, console=QUIET, use_cache=False)
    assert built0.manifest["outcome_sources"] == {"gtd_external_attacks": "gtd_0718_degraded"}
    resolved0 = resolve_study(study, built0)
    assert resolved0.outcome("gtd_external_attacks").lower_bound is True
    before = _main_level_change(built0, resolved0, tmp_path, "without")

    after_iv = pd.Period("2014-08", "M")
    write_csv(gtd_rows(gtd_month_rows("2011-01", "2017-12", lambda p: 6 if p >= after_iv else 2)),
              data / "globalterrorismdb_0718dist.csv")
    built1 = build_study(study, data, tmp_path / "out1", registry=reg, console=QUIET, use_cache=False)
    assert built1.manifest["outcome_sources"] == {"gtd_external_attacks": "gtd_full"}
    table = pd.read_csv(tmp_path / "out1" / "outcome_sources.csv")
    assert table.loc[0, "used"] == "gtd_full" and table.loc[0, "acceptable"] == "gtd_full > gtd_0718_degraded"
    resolved1 = resolve_study(study, built1)
    o = resolved1.outcome("gtd_external_attacks")
    assert o.source == "gtd_full" and o.lower_bound is False
    after = _main_level_change(built1, resolved1, tmp_path, "with")
    assert abs(before) < 0.05                      # flat series: log rate ratio ~ 0
    assert after == pytest.approx(np.log(3), abs=0.05)   # 2 -> 6 a month: log(3)


# ------------------------------------------------------------------------------------------ the real releases
@pytest.mark.realdata
@pytest.mark.slow
def test_real_gtd_copies_have_no_1993_and_their_1993_is_missing(shared_data_dir):
    """The degraded 0718 copy has 0 rows in 1993 and rows in 1992 and 1994 (the GTD's lost year): its yearly
    series is missing in 1993, not zero."""
    from externalize.series import yearly_counts
    ev, yr, ledger, _ = read_sources(only("gtd_0718_degraded"), shared_data_dir, console=QUIET)
    per_year = ev["year"].value_counts()
    assert per_year.get(1993, 0) == 0 and per_year[1992] > 1000 and per_year[1994] > 1000
    ev = ev.assign(event_class="other", family_a=pd.NA, family_b=pd.NA)  # class irrelevant: totals read
    y = yearly_counts(ev, yr, only("gtd_0718_degraded"), 1992, 1994)
    y = y.query("event_class == 'all' and family == 'all'").set_index("year")
    assert y.loc[1992, "count"] == per_year[1992] and y.loc[1994, "count"] == per_year[1994]
    assert np.isnan(y.loc[1993, "count"]) and y.loc[1993, "months_covered"] == 0
    assert "gtd_0718_degraded" not in ledger.notes      # the shipped copy decodes cleanly


def test_a_full_release_ending_before_the_intervention_is_passed_over(tmp_path):
    """A supplied full GTD that ends in 2013 cannot estimate a 2014 change: the outcome keeps its next source."""
    data = tmp_path / "data"
    reg = _degraded_copy(data / "gtd_0718_degraded_teaching_copy", lambda p: 1)
    write_csv(gtd_rows(gtd_month_rows("2011-01", "2013-12", lambda p: 2)), data / "globalterrorismdb_0814dist.csv")
    study = study_with("gtd_external_attacks")
    built = build_study(study, data, tmp_path / "out", registry=reg, console=QUIET, use_cache=False)
    assert built.registry["gtd_full"].coverage_end == pd.Period("2013-12", "M")
    assert built.manifest["outcome_sources"] == {"gtd_external_attacks": "gtd_0718_degraded"}
    note = pd.read_csv(tmp_path / "out" / "outcome_sources.csv")["note"].item()
    assert note == "not present or not covering 2014-08: gtd_full"


@pytest.mark.slow
def test_gtd_release_as_start_ships_it_in_two_workbooks(tmp_path):
    """START ships 0522dist and the 2021Jan-June supplement as .xlsx: both workbooks are read as one release;
    the same release also present as CSV is refused (the same events twice), naming the files."""
    data = tmp_path / "data"
    data.mkdir()
    main = gtd_rows(gtd_month_rows("2020-11", "2020-12", lambda p: 2))
    supplement = gtd_rows(gtd_month_rows("2021-01", "2021-03", lambda p: 1, first_case=700))
    main.to_excel(data / "globalterrorismdb_0522dist.xlsx", index=False)
    supplement.to_excel(data / "globalterrorismdb_2021Jan-June_1222dist.xlsx", index=False)
    ev, _, ledger, info = read_sources(only("gtd_full"), data, console=QUIET)
    assert ledger.entries["gtd_full"].rows_events == 4 + 3
    assert sorted(Path(v["path"]).name for v in info["gtd_full"].values()) == [
        "globalterrorismdb_0522dist.xlsx", "globalterrorismdb_2021Jan-June_1222dist.xlsx"]
    write_csv(main, data / "globalterrorismdb_0522dist.csv")
    with pytest.raises(SourceFormatError, match=r"globalterrorismdb_0522dist.xlsx and globalterrorismdb_0522dist"
                                                r".csv both hold event ids"):
        read_sources(only("gtd_full"), data, console=QUIET)


def test_raw_files_lists_every_part_of_a_supplied_release(tmp_path):
    from externalize.locate import raw_files
    data = tmp_path / "data"
    a = write_csv(gtd_rows(gtd_month_rows("2020-01", "2020-01", lambda p: 1)), data / "globalterrorismdb_0522dist.csv")
    assert raw_files(only("gtd_full", "crenshaw_cym"), data) == [a]
    b = write_csv(gtd_rows(gtd_month_rows("2021-01", "2021-01", lambda p: 1)),
                  data / "globalterrorismdb_2021Jan-June_1222dist.csv")
    assert raw_files(only("gtd_full", "crenshaw_cym"), data) == [a, b]


def test_a_failed_write_of_the_event_table_fails_the_build(tmp_path, monkeypatch):
    """The event and yearly tables are written in the background while the series are counted: an error
    there must stop the build, not be lost with its thread."""
    import externalize.build as build_module

    data = tmp_path / "data"
    write_csv(gtd_rows(gtd_month_rows("2020-01", "2020-03", lambda p: 1)), data / "globalterrorismdb_0522dist.csv")
    study = dataclasses.replace(load_study(), window_start=pd.Period("2020-01", "M"),
                                window_end=pd.Period("2020-12", "M"), outcomes=(), comparisons=())

    def disk_full(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(build_module, "write_row_tables", disk_full)
    with pytest.raises(OSError, match="No space left"):
        build_study(study, data, tmp_path / "out", registry=only("gtd_full"), console=QUIET, use_cache=False)
    assert not (tmp_path / "out" / "build_manifest.json").exists()
