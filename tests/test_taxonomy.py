"""The actor taxonomy: validation of actors.csv, dated families, multi-actor strings, the marker check."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from externalize.config import TaxonomyChoices
from externalize.taxonomy import ACTOR_COLUMNS, TaxonomyError, has_marker, load_taxonomy, reference_dates

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = TaxonomyChoices(nusra_counts_as_aq_until=date(2017, 1, 28), include_uncertain_attributions=True,
                          include_doubtful_terrorism=True)


def _choices(until: str) -> TaxonomyChoices:
    return TaxonomyChoices(date.fromisoformat(until), True, True)


def _write(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    path = tmp_path / "actors.csv"
    pd.DataFrame([{c: r.get(c, "") for c in ACTOR_COLUMNS} for r in rows]).to_csv(path, index=False)
    return path


def _fam(tax, names, dates, choices=DEFAULT, scheme=None) -> list:
    out = tax.family_of(pd.Series(names, dtype="string"), pd.Series(pd.to_datetime(dates)), choices, scheme)
    return [None if pd.isna(x) else x for x in out]


@pytest.fixture(scope="module")
def tax():
    return load_taxonomy()


# ------------------------------------------------------------------------------------------ validation
def test_shipped_taxonomy_loads_and_has_the_core_actors(tax):
    t = tax.table
    assert len(t) > 100
    core = {("ucdp", "IS"): "IS", ("ucdp", "Jabhat Fateh al-Sham"): "AQ", ("ucdp", "HTS"): "AQ",
            ("gtd", "Islamic State of Iraq and the Levant (ISIL)"): "IS", ("gtd", "Al-Nusrah Front"): "AQ",
            ("gade", "ISIL"): "IS", ("gade", "ANF"): "AQ", ("mmp", "The Islamic State"): "IS",
            ("pirus", "al-Qaeda core"): "AQ", ("ucdp", "Government of United States of America"): "coalition"}
    for (scheme, name), family in core.items():
        row = t[(t["scheme"] == scheme) & (t["raw_name"] == name)]
        assert list(row["family"]) == [family], (scheme, name)
    # every row says where its decision comes from
    assert (t["evidence"].str.strip() != "").all()


@pytest.mark.parametrize(("rows", "message"), [
    ([{"scheme": "gtd", "raw_name": "X", "family": "AQ"}, {"scheme": "gtd", "raw_name": "X", "family": "IS"}],
     "rows [2, 3]"),
    ([{"scheme": "gtd", "raw_name": "X", "family": "Qaeda"}], "row 2 ('X'): family 'Qaeda'"),
    ([{"scheme": "gtd", "raw_name": "X", "family": "AQ", "valid_from": "2014-13-01"}], "row 2: valid_from"),
    ([{"scheme": "web", "raw_name": "X", "family": "AQ"}], "scheme 'web'"),
    ([{"scheme": "gtd", "raw_name": "X", "family": "AQ", "valid_from": "2015-01-01", "valid_to": "2014-01-01"}],
     "is not before valid_to"),
    ([{"scheme": "gtd", "raw_name": "X", "family": "AQ", "valid_from": "2010-01-01", "valid_to": "2015-01-01"},
      {"scheme": "gtd", "raw_name": "X", "family": "IS", "valid_from": "2014-01-01"}], "overlapping"),
    ([{"scheme": "gtd", "raw_name": "X", "family": "AQ", "family_after": "IS"}], "no date range"),
    ([{"scheme": "gtd", "raw_name": "", "family": "AQ"}], "raw_name is empty"),
])
def test_malformed_rows_are_refused_with_the_row_named(tmp_path, rows, message):
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy(_write(tmp_path, rows))
    assert message in str(err.value)


def test_missing_columns_and_missing_file(tmp_path):
    p = tmp_path / "actors.csv"
    p.write_text("scheme,raw_name,family\nucdp,IS,IS\n")
    with pytest.raises(TaxonomyError, match="missing columns"):
        load_taxonomy(p)
    with pytest.raises(TaxonomyError, match="not found"):
        load_taxonomy(tmp_path / "nope.csv")


# ------------------------------------------------------------------------------------------ families
def test_plain_and_loose_lookup(tax):
    assert _fam(tax, ["IS", "AQAP", "Taliban", None, ""], ["2015-01-01"] * 5, scheme="ucdp") == \
        ["IS", "AQ", "other", None, None]
    # spelling noise (case, curly apostrophe, double spaces) falls back to the normalised form
    assert _fam(tax, ["al-nusrah  front", "Hay’at Tahrir al-Sham"], ["2014-01-01"] * 2, scheme="gtd") == \
        ["AQ", "AQ"]


def test_multi_actor_strings_are_split_and_combined(tax):
    names = ["Al-Nusrah Front | Islamic State of Iraq and the Levant (ISIL)",   # GTD gname | gname2
             "Taliban | Al-Qaida",
             "IS, Jabhat Fateh al-Sham",                                         # UCDP coalition string
             "Ahrar al-Sham, al-Tawhid Brigade, IS, Jabhat Fateh al-Sham",
             "Ahrar al-Sham, Jabhat Fateh al-Sham",
             "Free Syrian Army, Ahrar al-Sham"]
    assert _fam(tax, names, ["2013-07-01"] * len(names)) == ["AQ+IS", "AQ", "AQ+IS", "AQ+IS", "AQ", "other"]


def test_a_listed_whole_string_is_not_split(tmp_path):
    t = load_taxonomy(_write(tmp_path, [
        {"scheme": "any", "raw_name": "Soldiers, IS", "family": "other", "evidence": "test"},
        {"scheme": "any", "raw_name": "IS", "family": "IS", "evidence": "test"}]))
    assert _fam(t, ["Soldiers, IS", "Others, IS"], ["2015-01-01"] * 2) == ["other", "IS"]


def test_scheme_rows_win_over_any_rows(tmp_path):
    t = load_taxonomy(_write(tmp_path, [
        {"scheme": "any", "raw_name": "ABC", "family": "other", "evidence": "t"},
        {"scheme": "gtd", "raw_name": "ABC", "family": "IS", "evidence": "t"}]))
    out = t.family_of(pd.Series(["ABC"] * 3), pd.Series(pd.to_datetime(["2015-01-01"] * 3)), DEFAULT,
                      pd.Series(["gtd", "ucdp", "any"]))
    assert list(out) == ["IS", "other", "other"]


def test_dated_pledges_switch_on_the_day(tax):
    # Boko Haram pledged to IS on 2015-03-07 (GTD keeps the name); valid_from is inclusive
    assert _fam(tax, ["Boko Haram"] * 2, ["2015-03-06", "2015-03-07"], scheme="gtd") == ["other", "IS"]
    # UCDP's Boko Haram name is IS only until IS named a new wali (2016-08-03, exclusive)
    jas = "Jama'atu Ahlis Sunna Lidda'awati wal-Jihad"
    assert _fam(tax, [jas] * 3, ["2014-12-31", "2016-08-02", "2016-08-03"], scheme="ucdp") == \
        ["other", "IS", "other"]
    # Ansar Bayt al-Maqdis -> Sinai Province, 2014-11-10
    assert _fam(tax, ["Ansar Bayt al-Maqdis"] * 2, ["2014-11-09", "2014-11-10"], scheme="ucdp") == ["other", "IS"]
    # al-Shabaab is an AQ affiliate from the announced merger (2012-02-09)
    assert _fam(tax, ["Al-Shabaab"] * 2, ["2011-12-31", "2012-02-09"], scheme="ucdp") == ["other", "AQ"]


def test_nusra_cutoff_comes_from_the_study_choice(tax):
    names = ["Jabhat Fateh al-Sham", "Jabhat Fateh al-Sham", "HTS", "HTS"]
    dates = ["2016-07-27", "2016-08-15", "2017-01-27", "2017-06-01"]
    assert _fam(tax, names, dates, DEFAULT, "ucdp") == ["AQ", "AQ", "AQ", "other"]
    assert _fam(tax, names, dates, _choices("2016-07-28"), "ucdp") == ["AQ", "other", "other", "other"]
    assert _fam(tax, names, dates, _choices("2019-12-31"), "ucdp") == ["AQ", "AQ", "AQ", "AQ"]
    # the cut-off applies to the whole lineage in every scheme
    assert _fam(tax, ["Al-Nusrah Front", "ANF"], ["2017-03-01"] * 2, DEFAULT) == ["other", "other"]


def test_outside_all_ranges_the_nearest_entry_gives_family_after(tmp_path):
    t = load_taxonomy(_write(tmp_path, [
        {"scheme": "any", "raw_name": "G", "family": "AQ", "valid_from": "2010-01-01", "valid_to": "2012-01-01",
         "family_after": "other", "evidence": "t"},
        {"scheme": "any", "raw_name": "G", "family": "AQ", "valid_from": "2015-01-01", "valid_to": "2016-01-01",
         "family_after": "IS", "evidence": "t"}]))
    assert _fam(t, ["G"] * 5, ["2009-01-01", "2011-01-01", "2012-06-01", "2015-06-01", "2020-01-01"]) == \
        ["other", "AQ", "other", "AQ", "IS"]


def test_reference_dates():
    ev = pd.DataFrame({"date": pd.to_datetime(["2014-08-08", "2014-08-01", "2014-01-01"]),
                       "date_precision": ["day", "month", "year"], "year": [2014, 2014, 2014]})
    assert list(reference_dates(ev)) == list(pd.to_datetime(["2014-08-08", "2014-08-15", "2014-07-01"]))
    assert list(reference_dates(pd.DataFrame({"year": [2013]}))) == [pd.Timestamp("2013-07-01")]


# ------------------------------------------------------------------------------------------ markers
@pytest.mark.parametrize("name", [
    "Al-Qa`ida in Iraq", "al-Qa'ida", "Al Qaeda", "Al-Nusrah Front", "Jabhat al-Nusra", "ISIL", "ISIS",
    "Islamic State of Iraq", "Khorasan Chapter of the Islamic State", "Wilayat Sinai", "Jund al-Khilafah",
    "Jabhat Fateh al-Sham", "Hay'at Tahrir al-Sham", "HTS", "AQAP", "AQIM", "IS", "Daesh", "Boko Haram"])
def test_markers_hit(name):
    assert has_marker(name)


@pytest.mark.parametrize("name", ["Al-Aqsa Martyrs Brigade", "Taliban", "Islamic Front", "Hamas", "ISO",
                                  "Aquarius Front", "Shabiha", "Qaqachaca", "Islamic Army in Iraq"])
def test_markers_miss(name):
    assert not has_marker(name)


def test_marker_unmapped_reports_unlisted_components(tax):
    names = ["Wilayat Nowhere", "IS, Some Brigade", "Islamic State of Atlantis | Al-Qaida", "Taliban", None,
             "Operations Room Combating Daesh, Shuhada al-Wadi militia"]
    assert tax.marker_unmapped(names) == ["Islamic State of Atlantis", "Wilayat Nowhere"]


def _candidates_module():
    spec = importlib.util.spec_from_file_location("build_taxonomy_candidates",
                                                  ROOT / "scripts" / "build_taxonomy_candidates.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _unmapped_on_real_lists(tax, data: Path, heavy: bool) -> list[tuple[str, str]]:
    mod = _candidates_module()
    names = pd.DataFrame(list(mod.name_lists(data, heavy=heavy)), columns=["scheme", "raw_name", "file"])
    assert len(names) > 5000  # the lists were actually read
    missing = []
    for scheme, grp in names.groupby("scheme"):
        missing += [(scheme, m) for m in tax.marker_unmapped(grp["raw_name"].unique(), scheme)]
    return missing


@pytest.mark.realdata
def test_no_marker_string_is_unmapped_in_the_fast_name_lists(tax, shared_data_dir):
    """UCDP actor list and UCDP CSV releases, GED Syria, GTD gname list / France / US / world / degraded copy,
    MMP and Gade: every string with a family marker is listed in actors.csv."""
    assert _unmapped_on_real_lists(tax, shared_data_dir, heavy=False) == []


@pytest.mark.realdata
@pytest.mark.slow
def test_no_marker_string_is_unmapped_in_any_name_list(tax, shared_data_dir):
    """Adds GTD0814 (gname, gname2, gname3), the GED syria-iraq .rds sides and PIRUS group names (~25 s)."""
    assert _unmapped_on_real_lists(tax, shared_data_dir, heavy=True) == []


def test_family_of_keeps_the_index_of_names(tax):
    names = pd.Series(["IS", "Taliban"], index=[10, 3], dtype="string")
    out = tax.family_of(names, pd.Series(pd.to_datetime(["2015-01-01"] * 2), index=[7, 8]), DEFAULT, "ucdp")
    assert list(out.index) == [10, 3] and list(out) == ["IS", "other"]


# ------------------------------------------------------------------------------------------ taxonomy 2.0.0
def test_every_dated_or_decided_row_cites_a_source(tax):
    t = tax.table
    assert (t["evidence"].str.strip() != "").all(), t.loc[t["evidence"].str.strip() == "", "raw_name"].tolist()
    decided = t["valid_from"].notna() | t["valid_to"].notna() | t["contested"]
    no_note = decided & (t["note"].str.strip() == "")
    assert not no_note.any(), t.loc[no_note, "raw_name"].tolist()  # every dated or contested row says why


@pytest.mark.parametrize(("scheme", "name"), [("gtd", "Boko Haram"), ("mmp", "Boko Haram"),
                                               ("ucdp", "Jama'atu Ahlis Sunna Lidda'awati wal-Jihad")])
def test_boko_haram_is_dated_the_same_way_in_every_source(tax, scheme, name):
    got = _fam(tax, [name] * 4, ["2015-03-06", "2015-03-07", "2016-08-02", "2016-08-03"], scheme=scheme)
    assert got[:3] == ["other", "IS", "IS"]
    # after the faction split: Shekau's JAS is not IS (UCDP), and a name holding both factions is contested
    assert got[3] == ("other" if scheme == "ucdp" else "JIH")


def test_names_told_apart_by_date(tax):
    # GTD "Jund al-Khilafa": the Kazakh AQ-linked group (Toulouse 2012, contested) vs the Algerian IS group
    assert _fam(tax, ["Jund al-Khilafa"] * 2, ["2012-03-22", "2014-09-21"], scheme="gtd") == ["JIH", "IS"]
    # MMP's Sinai Province profile is Ansar Bayt al-Maqdis before its pledge
    assert _fam(tax, ["The Islamic State - Sinai Province"] * 2, ["2014-01-01", "2014-11-10"], scheme="mmp") == \
        ["other", "IS"]


@pytest.mark.parametrize(("scheme", "name", "before", "after", "families"), [
    ("ucdp", "Tanzim Hurras ad-Din", "2018-02-26", "2018-02-27", ["other", "AQ"]),
    ("gtd", "Jaish al-Muhajireen wal-Ansar (Muhajireen Army)", "2015-09-22", "2015-09-23", ["other", "AQ"]),
    ("ucdp", "Liwa al-Aqsa", "2016-10-08", "2016-10-09", ["JIH", "AQ"]),      # contested before joining JFS
    ("ucdp", "Liwa al-Aqsa", "2017-02-06", "2017-02-07", ["other", "JIH"]),   # IS-aligned: contested
    ("gtd", "Al-Mourabitoun", "2015-12-03", "2015-12-04", ["JIH", "AQ"]),
    ("gtd", "Shura Council of Mujahideen in Derna", "2014-12-11", "2014-12-12", ["other", "JIH"]),
])
def test_missing_groups_are_dated(tax, scheme, name, before, after, families):
    assert _fam(tax, [name, name], [before, after], scheme=scheme) == families


@pytest.mark.parametrize(("scheme", "name", "pledge"), [
    ("gtd", "Tehrik-e-Khilafat", "2014-07-09"), ("gtd", "Islamic Movement of Uzbekistan (IMU)", "2015-08-06"),
    ("gtd", "Abu Sayyaf Group (ASG)", "2014-07-23"), ("ucdp", "Maute group", "2015-04-01")])
def test_is_pledgers_are_contested_variants(tax, scheme, name, pledge):
    day_before = (pd.Timestamp(pledge) - pd.Timedelta(days=1)).date().isoformat()
    assert _fam(tax, [name, name], [day_before, pledge], scheme=scheme) == ["other", "JIH"]
    inside = TaxonomyChoices(date(2017, 1, 28), True, True, contested_groups="in")
    assert _fam(tax, [name, name], [day_before, pledge], inside, scheme=scheme) == ["other", "IS"]


def test_new_release_is_branch_names_reach_the_is_family(tax):
    names = ["Central Africa Province of the Islamic State", "East Asia Division of the Islamic State",
             "Hind Province of the Islamic State", "Islamic State - Pakistan Province", "Wilayat Hind"]
    assert _fam(tax, names, ["2020-01-01"] * len(names), scheme="gtd") == ["IS"] * len(names)
    assert not any(tax.is_listed(n, "gtd") for n in names) and all(tax.is_mapped(n, "gtd") for n in names)
    # a name that merely mentions the Islamic State is not a branch by pattern
    assert _fam(tax, ["Movement of the Islamic State (MEI)"], ["2015-01-01"], scheme="gtd") == ["other"]


def test_contested_column_is_validated(tmp_path):
    row = {"scheme": "gtd", "raw_name": "X", "family": "AQ", "branch": "", "valid_from": "", "valid_to": "",
           "family_after": "", "note": "", "evidence": "", "contested": "maybe"}
    path = tmp_path / "actors.csv"
    pd.DataFrame([row]).to_csv(path, index=False)
    with pytest.raises(TaxonomyError, match="contested must be"):
        load_taxonomy(path)


def test_first_of_month_is_the_calendar_date():
    from externalize.taxonomy import first_of_month

    years = pd.Series([1970, 2014, 2016, 1969], index=[5, 6, 7, 8])
    got = first_of_month(years, 7)
    assert list(got.index) == [5, 6, 7, 8] and str(got.dtype) == "datetime64[ns]"
    assert [str(d.date()) for d in got] == ["1970-07-01", "2014-07-01", "2016-07-01", "1969-07-01"]
    assert str(first_of_month(years, 1).iloc[2].date()) == "2016-01-01"
