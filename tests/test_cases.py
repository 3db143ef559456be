"""The case catalogue: validation of data/cases/, link checks on hand-made event tables, the per-case numbers,
and (realdata) every committed link looked up in the raw file itself.

Date tolerance in every check: the coarser of the case's and the source's precision decides;
day -> |gap| <= 1 day, month -> same calendar month, year -> same year.
"""

from __future__ import annotations

import io
import lzma
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from externalize.cases import (
    DEFAULT_CASES,
    DEFAULT_LINKS,
    CaseCatalogueError,
    cases_in_numbers,
    dates_agree,
    link_cases,
    load_cases,
    load_links,
)
from externalize.registry import load_registry
from externalize.schema import conform_events

HEADER = ("case_id,seed_case,date,date_precision,date_end,country,place,groups,family,class,description,"
          "attribution,source_url,source_url_2,notes\n")


def _write(tmp_path: Path, body: str, name: str = "cases.csv") -> Path:
    p = tmp_path / name
    p.write_text(HEADER + body, encoding="utf-8")
    return p


# ----------------------------------------------------------------------------------------- the committed files

def test_catalogue_follows_its_rules() -> None:
    cases = load_cases(DEFAULT_CASES)
    assert 25 <= len(cases) <= 40
    # the 2015 analysis's cases come first
    seed = cases["seed_case"].to_numpy()
    assert seed[: seed.sum()].all() and not seed[seed.sum():].any()
    assert cases["date"].dt.year.between(2013, 2017).all()
    assert cases["source_url"].str.match(r"https?://").all()
    # every case the issue names is catalogued as a seed case
    seed_text = " ".join(cases.loc[cases["seed_case"], ["place", "description"]].fillna("").agg(" ".join, axis=1))
    for name in ("Arsal", "Qalamoun", "Yarmouk", "Bardo", "Charlie Hebdo", "al-Baghdadi", "Okba Ibn Nafaa"):
        assert name in seed_text, name
    # 'both' on an external attack is only allowed with the disputed attribution spelled out
    both_ext = cases[(cases["family"] == "both") & (cases["class"] == "external")]
    assert both_ext["attribution"].notna().all()


def test_links_name_catalogued_cases_and_registered_sources() -> None:
    cases = load_cases(DEFAULT_CASES)
    links = load_links(DEFAULT_LINKS, cases)
    registry = load_registry()
    assert set(links["source"]) <= set(registry), set(links["source"]) - set(registry)
    assert links["match_note"].notna().all()


# ------------------------------------------------------------------------------------------------- validation

def test_load_cases_reports_every_bad_row(tmp_path: Path) -> None:
    body = (
        'A1,true,2015-01-07,day,,France,Paris,g,AQ,external,d,,https://example.org/a,,\n'
        'A2,maybe,2015-13-01,day,,France,Paris,g,ISIS,external,d,,https://example.org/a,,\n'
        'A3,false,2015-02-10,month,,Syria,x,g,IS,clash,d,,,,\n'
        'A4,false,2015-02-10,day,2015-02-01,Syria,x,g,IS,raid,d,,ftp://x,,\n'
        'A1,false,2015-02-10,day,,,x,,IS,clash,,,https://example.org/b,,\n'
    )
    with pytest.raises(CaseCatalogueError) as err:
        load_cases(_write(tmp_path, body))
    msg = str(err.value)
    for expected in ("line 3 (case_id 'A2'): seed_case", "line 3 (case_id 'A2'): date '2015-13-01'",
                     "family 'ISIS'", "line 4 (case_id 'A3'): a month-precision date must be the first day",
                     "line 4 (case_id 'A3'): source_url", "date_end 2015-02-01 is before date",
                     "class 'raid'", "line 6 (case_id 'A1'): country is empty", "groups is empty",
                     "case_id 'A1' appears more than once"):
        assert expected in msg, expected
    assert "line 2 " not in msg  # the good row is not reported


def test_load_cases_types(tmp_path: Path) -> None:
    body = 'A1,true,2015-01-01,month,2015-01-31,France,Paris,g,AQ,external,d,,https://example.org/a,,\n'
    c = load_cases(_write(tmp_path, body))
    assert c["seed_case"].dtype == bool and c["date"].dtype == "datetime64[ns]"
    assert c.loc[0, "date_end"] == pd.Timestamp("2015-01-31") and pd.isna(c.loc[0, "attribution"])


def test_load_links_rejects_unknown_case_and_duplicates(tmp_path: Path) -> None:
    cases = load_cases(_write(tmp_path, 'A1,true,2015-01-07,day,,France,P,g,AQ,external,d,,https://e.org,,\n'))
    p = tmp_path / "links.csv"
    p.write_text("case_id,source,event_id,match_note\nA1,s,1,n\nA1,s,1,n\nB9,s,2,n\n", encoding="utf-8")
    with pytest.raises(CaseCatalogueError) as err:
        load_links(p, cases)
    assert "line 3 (case_id 'A1'): the same" in str(err.value)
    assert "line 4 (case_id 'B9'): case_id 'B9' is not in the case catalogue" in str(err.value)


# ------------------------------------------------------------------------------------------------ link checks

@pytest.mark.parametrize(("case", "cp", "event", "ep", "agree"), [
    ("2015-01-07", "day", "2015-01-08", "day", True),     # 1 day: inside the tolerance
    ("2015-01-07", "day", "2015-01-09", "day", False),    # 2 days: outside
    ("2015-01-31", "day", "2015-02-01", "day", True),     # across a month boundary, still 1 day
    ("2015-01-31", "day", "2015-02-01", "month", False),  # a month-precision event must be in the same month
    ("2015-01-01", "month", "2015-01-31", "day", True),
    ("2014-08-02", "day", "2014-01-01", "year", True),    # a year-only source confirms the year only
    ("2014-12-31", "day", "2015-01-01", "year", False),
])
def test_dates_agree_at_the_coarser_precision(case: str, cp: str, event: str, ep: str, agree: bool) -> None:
    assert dates_agree(pd.Timestamp(case), cp, pd.Timestamp(event), ep) is agree


def _events() -> pd.DataFrame:
    rows = [  # source, event_id, date, precision, country
        ("ged", "10", "2015-03-18", "day", "Tunisia"),
        ("ged", "11", "2015-03-21", "day", "Tunisia"),
        ("ged", "12", "2015-03-18", "day", "Algeria"),
        ("rds", "20", "2014-01-01", "year", "Lebanon"),
        ("rds", "21", "2013-01-01", "year", "Lebanon"),
        ("cym", "UK-2017-05", "2017-05-01", "month", "UK"),
        ("mmp", "1803", "2014-02-03", "day", None),
    ]
    d = pd.DataFrame(rows, columns=["source", "event_id", "date", "date_precision", "country"])
    d["date"] = pd.to_datetime(d["date"])
    d["year"] = d["date"].dt.year
    d["month"] = d["date"].dt.month.where(d["date_precision"] != "year")
    d["day"] = d["date"].dt.day.where(d["date_precision"] == "day")
    d["n"] = 1
    return conform_events(d)


def _cases(tmp_path: Path) -> pd.DataFrame:
    body = (
        'K1,true,2015-03-18,day,,Tunisia,Tunis,g,both,external,d,,https://e.org,,\n'
        'K2,true,2014-08-02,day,,Lebanon,Arsal,g,both,joint,d,,https://e.org,,\n'
        'K3,false,2017-05-22,day,,United Kingdom,Manchester,g,IS,external,d,,https://e.org,,\n'
        'K4,false,2014-02-03,day,,,,g,AQ,statement,d,,https://e.org,,\n'
        'K5,false,2016-01-15,day,,Burkina Faso,O,g,AQ,external,d,,https://e.org,,\n'
    )
    return load_cases(_write(tmp_path, body))


def test_link_cases_statuses(tmp_path: Path) -> None:
    cases = _cases(tmp_path)
    links = pd.DataFrame([
        ("K1", "ged", "10"), ("K1", "ged", "11"), ("K1", "ged", "12"), ("K1", "ged", "99"),
        ("K2", "rds", "20"), ("K2", "rds", "21"), ("K3", "cym", "UK-2017-05"), ("K4", "mmp", "1803"),
        ("K4", "nowhere", "1803"),
    ], columns=["case_id", "source", "event_id"]).astype("string")
    out = link_cases(cases, _events(), links)
    got = {(r.case_id, r.source, r.event_id): r for r in out.itertuples(index=False) if pd.notna(r.source)}
    assert got[("K1", "ged", "10")].status == "linked" and got[("K1", "ged", "10")].date_gap_days == 0
    assert got[("K1", "ged", "11")].status == "date mismatch" and got[("K1", "ged", "11")].date_gap_days == 3
    assert got[("K1", "ged", "12")].status == "country mismatch"
    assert not bool(got[("K1", "ged", "12")].country_match)
    assert got[("K1", "ged", "99")].status == "id missing" and not got[("K1", "ged", "99")].found
    assert np.isnan(got[("K1", "ged", "99")].date_gap_days)
    # year-only source: same year links, another year does not; the gap is measured from Jan 1 of the year
    assert got[("K2", "rds", "20")].status == "linked" and got[("K2", "rds", "20")].date_gap_days == -213
    assert got[("K2", "rds", "21")].status == "date mismatch"
    # spelling alias UK = United Kingdom, month-precision cell
    assert got[("K3", "cym", "UK-2017-05")].status == "linked"
    assert bool(got[("K3", "cym", "UK-2017-05")].country_match)
    # a source without a country: no country verdict, not a mismatch
    assert got[("K4", "mmp", "1803")].status == "linked" and pd.isna(got[("K4", "mmp", "1803")].country_match)
    assert got[("K4", "nowhere", "1803")].status == "id missing"
    none = out[out["case_id"] == "K5"]
    assert len(none) == 1 and none["status"].iloc[0] == "not in any source" and pd.isna(none["source"].iloc[0])
    assert list(out["case_id"].unique()) == ["K1", "K2", "K3", "K4", "K5"]


# --------------------------------------------------------------------------------------------- case numbers

def _monthly() -> pd.DataFrame:
    periods = pd.period_range("2014-01", "2016-12", freq="M")
    counts = np.arange(len(periods), dtype=float)  # 2014-01 -> 0, 2015-06 -> 17, 2016-12 -> 35
    cover = periods >= pd.Period("2014-03", "M")  # the source starts in 2014-03
    ext = pd.DataFrame({"source": "s", "event_class": "external", "family": "all", "period": periods,
                        "count": np.where(cover, counts, np.nan), "fatalities": np.nan, "in_coverage": cover})
    is_fam = ext.assign(family="IS", count=np.where(cover, 1.0, np.nan))
    return pd.concat([ext, is_fam], ignore_index=True)


def test_cases_in_numbers_hand_computed(tmp_path: Path) -> None:
    body = (
        'N1,true,2015-06-10,day,,France,P,g,IS,external,d,,https://e.org,,\n'
        'N2,true,2015-01-07,day,,France,P,g,AQ,external,d,,https://e.org,,\n'
        'N3,false,2014-11-13,day,,,,g,IS,statement,d,,https://e.org,,\n'
        'N4,false,2015-06-10,day,,Syria,P,g,both,clash,d,,https://e.org,,\n'
    )
    out = cases_in_numbers(load_cases(_write(tmp_path, body)), _monthly()).set_index("case_id")
    n1 = out.loc["N1"]
    assert n1["count"] == 17  # 2015-06 is month index 17
    assert n1["pre_mean"] == pytest.approx(np.mean(np.arange(5, 17)))    # 2014-06 .. 2015-05
    assert n1["post_mean"] == pytest.approx(np.mean(np.arange(18, 30)))  # 2015-07 .. 2016-06
    assert (n1["pre_months_covered"], n1["post_months_covered"]) == (12, 12)
    # 2015-01: the 12 months before reach back to 2014-01, two of them before the source starts
    n2 = out.loc["N2"]
    assert n2["count"] == 12 and np.isnan(n2["pre_mean"]) and n2["pre_months_covered"] == 10
    assert n2["post_mean"] == pytest.approx(np.mean(np.arange(13, 25)))
    # a statement has no count class; a class without a series gives NaN, not zero
    for cid in ("N3", "N4"):
        assert pd.isna(out.loc[cid, "source"]) and np.isnan(out.loc[cid, "count"])
    fam = cases_in_numbers(load_cases(_write(tmp_path, body)), _monthly(), family="IS").set_index("case_id")
    assert fam.loc["N1", "count"] == 1 and fam.loc["N1", "pre_mean"] == 1


def test_cases_in_numbers_keeps_only_sources_that_measure_the_class(tmp_path: Path) -> None:
    body = 'N1,true,2015-06-10,day,,France,P,g,IS,external,d,,https://e.org,,\n'
    two = pd.concat([_monthly(), _monthly().assign(source="ged")], ignore_index=True)
    cases = load_cases(_write(tmp_path, body))
    kept = cases_in_numbers(cases, two, arms={"s": ["external"], "ged": ["clash", "joint"]})
    assert list(kept["source"]) == ["s"]
    assert list(cases_in_numbers(cases, two, arms={})["source"]) == ["ged", "s"]  # unknown sources are kept


def test_cases_in_numbers_window_leaves_coverage(tmp_path: Path) -> None:
    body = 'N1,true,2016-08-01,month,,France,P,g,IS,external,d,,https://e.org,,\n'
    out = cases_in_numbers(load_cases(_write(tmp_path, body)), _monthly())
    assert out.loc[0, "post_months_covered"] == 4 and np.isnan(out.loc[0, "post_mean"])  # series ends 2016-12
    assert out.loc[0, "pre_mean"] == pytest.approx(np.mean(np.arange(19, 31)))


# ---------------------------------------------------------------- real data: every link, in the raw file itself

# Crenshaw country codes as listed in the data MANIFEST (inferred there from the country-year totals)
CRENSHAW_CODES = {14: "Australia", 15: "Austria", 21: "Belgium", 38: "Canada", 55: "Denmark", 69: "France",
                  75: "Germany", 98: "Italy", 142: "Netherlands", 144: "New Zealand", 151: "Norway",
                  185: "Spain", 198: "Sweden", 216: "UK", 217: "US"}
SHORT_NAMES = {"UK": "United Kingdom", "US": "United States"}


@cache
def _raw(data_dir: Path, source: str) -> pd.DataFrame:
    """The raw file of a linked source, read with pandas (and rdata for the .rds), no package code."""
    if source == "ucdp_ged_syria_iraq":
        import rdata
        with lzma.open(data_dir / "ucdp" / "syria-iraq.rds.xz") as f:
            d = pd.DataFrame(rdata.read_rds(io.BytesIO(f.read())))
        return d.assign(key=d["id"].astype("int64").astype(str))
    if source == "ucdp_ged_syria":
        d = pd.read_csv(data_dir / "ucdp" / "ged_syria_from_rds.csv.xz", low_memory=False)
        return d.assign(key=d["id"].astype("int64").astype(str))
    if source == "mapping_militants":
        d = pd.read_csv(data_dir / "mapping_militants" / "Militant-Group-Relationships-clean.csv.xz")
        return d.assign(key=d["unique_id"].astype(str))
    if source == "nesser_cym":
        d = pd.read_csv(data_dir / "hegghammer_plots" / "nesser_cym.csv.xz")
        # a launched cell's id: "<country>:<year>-<month>:launched" (the package's id for country-month cells)
        ym = d["year_month"].str.extract(r"(\d{4})m(\d{1,2})").astype(int)
        return d.assign(key=d["country"] + ":" + ym[0].astype(str) + "-" + ym[1].astype(str) + ":launched")
    if source == "crenshaw_cym":
        d = pd.read_csv(data_dir / "hegghammer_plots" / "crenshaw_cym.csv.xz", dtype={"month": str})
        name = d["country"].map(CRENSHAW_CODES).fillna("code " + d["country"].astype(str))
        return d.assign(key=name + ":" + d["year"].astype(str) + "-" + d["month"] + ":launched")
    if source == "gtd_world_inc":
        d = pd.read_csv(data_dir / "gtd" / "world_inc.csv.xz", encoding="utf-8-sig")
        return d.assign(key=d["eventid"].astype("int64").astype(str))
    if source == "gtd0814":
        import rdata
        with lzma.open(data_dir / "gtd" / "GTD0814.rds.xz") as f, warnings.catch_warnings():
            # rdata has no constructor for tibble classes and falls back to data.frame: harmless here
            warnings.filterwarnings("ignore", message="Missing constructor for R class", category=UserWarning)
            d = pd.DataFrame(rdata.read_rds(io.BytesIO(f.read())))
        return d.assign(key=d["eventid"].astype("int64").astype(str))
    if source == "new_america_plots":
        d = pd.read_csv(data_dir / "new_america" / "plots.csv.xz")
        d = d[d["plot_ID"].notna()]
        return d.assign(key=d["plot_ID"].astype("int64").astype(str))
    raise AssertionError(f"no raw reader for linked source {source!r}: add one to this test")


def _raw_date_country(source: str, row: pd.Series) -> tuple[pd.Timestamp, str, str | None]:
    """(date, precision, country) of one raw row, straight from the raw columns."""
    if source == "ucdp_ged_syria_iraq":
        return pd.Timestamp(int(row["year"]), 1, 1), "year", str(row["country"])
    if source == "ucdp_ged_syria":
        return pd.Timestamp(row["date_start"]), "day", str(row["country"])
    if source == "mapping_militants":
        raw = str(row["date"])
        if "/" in raw:  # M/D/YY
            return pd.to_datetime(raw, format="%m/%d/%y"), "day", None
        y, m, _ = (int(x) for x in raw.split("-"))
        return (pd.Timestamp(y, m, 1), "month", None) if m else (pd.Timestamp(y, 1, 1), "year", None)
    if source == "nesser_cym":
        y, m = (int(x) for x in str(row["year_month"]).split("m"))
        return pd.Timestamp(y, m, 1), "month", SHORT_NAMES.get(row["country"], row["country"])
    if source == "crenshaw_cym":
        name = CRENSHAW_CODES[int(row["country"])]
        return pd.Timestamp(int(row["year"]), int(row["month"]), 1), "month", SHORT_NAMES.get(name, name)
    if source == "gtd_world_inc":  # month in digits 5-6 of the eventid; no country column
        eid = str(row["key"])
        return pd.Timestamp(int(eid[:4]), int(eid[4:6]), 1), "month", None
    if source == "gtd0814":
        y, m, d = int(row["iyear"]), int(row["imonth"]), int(row["iday"])
        return pd.Timestamp(y, m, d), "day", str(row["country_txt"])
    if source == "new_america_plots":  # all plots are in the United States
        return pd.to_datetime(row["attack_date"], format="%m/%d/%Y"), "day", "United States"
    raise AssertionError(source)


def _independent_agree(case_date: pd.Timestamp, cp: str, raw_date: pd.Timestamp, rp: str) -> bool:
    # written out again here rather than imported, so the check does not rest on the code it checks
    order = ["day", "month", "year"]
    level = order[max(order.index(cp), order.index(rp))]
    if level == "day":
        return abs((raw_date - case_date).days) <= 1
    if level == "month":
        return raw_date.strftime("%Y-%m") == case_date.strftime("%Y-%m")
    return raw_date.year == case_date.year


SLOW_SOURCES = {"gtd0814"}  # a 125,000-row R tibble: about 20 s to read
LINK_PARAMS = [pytest.param(r, id=f"{r['case_id']}-{r['source']}",
                            marks=[pytest.mark.slow] if r["source"] in SLOW_SOURCES else [])
               for r in pd.read_csv(DEFAULT_LINKS, dtype=str).to_dict("records")]


@pytest.mark.realdata
@pytest.mark.parametrize("link", LINK_PARAMS)
def test_each_link_exists_in_the_raw_file_and_agrees(link: dict[str, str], shared_data_dir: Path) -> None:
    cases = load_cases(DEFAULT_CASES).set_index("case_id")
    case = cases.loc[link["case_id"]]
    raw = _raw(shared_data_dir, link["source"])
    hit = raw[raw["key"] == link["event_id"]]
    assert len(hit) == 1, f"{link['source']} id {link['event_id']} found {len(hit)} times"
    row = hit.iloc[0]
    if link["source"] in ("nesser_cym", "crenshaw_cym"):
        assert row["launched"] >= 1, "a linked country-month cell must hold at least one launched attack"
    raw_date, raw_prec, raw_country = _raw_date_country(link["source"], row)
    assert _independent_agree(case["date"], case["date_precision"], raw_date, raw_prec), (
        f"case {case['date'].date()} ({case['date_precision']}) vs raw {raw_date.date()} ({raw_prec})")
    if raw_country is not None:
        assert raw_country == case["country"]


@pytest.mark.realdata
def test_what_the_sources_miss(shared_data_dir: Path) -> None:
    """The documented gaps are facts about the data; this fails if a new release closes one."""
    france = pd.read_csv(shared_data_dir / "gtd" / "France_inc.csv.xz", low_memory=False)
    last = pd.Timestamp(int(france["iyear"].max()), 12, 31)
    assert last < pd.Timestamp("2015-01-07")  # GTD France ends before Charlie Hebdo
    plots = pd.read_csv(shared_data_dir / "new_america" / "plots.csv.xz")
    garland = plots[plots["plot_name"].str.contains("Garland", case=False)]
    assert len(garland) == 1 and garland["attack_date"].isna().all()  # C18 is there but undated
    ged = _raw(shared_data_dir, "ucdp_ged_syria_iraq")
    arsal = ged[(ged["country"] == "Lebanon") & (ged["year"] == 2014) & ged["dyad_name"].str.contains(r"\bIS\b")]
    assert len(arsal) > 0 and not arsal["dyad_name"].str.contains("Fateh").any()  # Nusra not coded at Arsal
    # no IS vs Jabhat Fateh al-Sham fighting in Qalamoun in 2015 (C07, C10, C21), 60 km around 34.1N 36.6E
    q = ged[(ged["year"] == 2015) & ged["dyad_name"].str.contains(r"\bIS\b")
            & ged["dyad_name"].str.contains("Fateh")]
    km = np.hypot((q["latitude"] - 34.1) * 111, (q["longitude"] - 36.6) * 92)
    assert (km > 60).all()


@pytest.mark.realdata
@pytest.mark.slow
def test_link_cases_on_adapter_output(shared_data_dir: Path) -> None:
    """link_cases on the package's own adapters: every link to a source they read is 'linked'."""
    from externalize.locate import locate_source
    from externalize.sources import adapter_for

    registry = load_registry()
    cases = load_cases(DEFAULT_CASES)
    links = load_links(DEFAULT_LINKS, cases)
    frames = []
    for key in sorted(set(links["source"])):
        spec = registry[key]
        try:
            adapter = adapter_for(spec.adapter)
        except ValueError:
            continue  # no adapter module for this source yet; the raw-file test above still checks its links
        files = {r: lf.path for r, lf in locate_source(spec, shared_data_dir).items()}
        frames.append(adapter.read(spec, files).events)
    if not frames:
        pytest.skip("no adapter for any linked source")
    events = pd.concat(frames, ignore_index=True)
    checked = links[links["source"].isin(events["source"].unique())]
    out = link_cases(cases, events, checked)
    bad = out[out["source"].notna() & (out["status"] != "linked")]
    assert bad.empty, bad.to_string()
    assert len(out[out["source"].notna()]) == len(checked) > 0


# ------------------------------------------------------------------------ what the data register of each case

def _classified() -> pd.DataFrame:
    ev = _events()
    cls = {("ged", "10"): "external", ("ged", "11"): "external", ("ged", "12"): "external", ("rds", "20"): "other",
           ("rds", "21"): "joint", ("cym", "UK-2017-05"): "external", ("mmp", "1803"): "none"}
    ev["event_class"] = [cls[(s, e)] for s, e in zip(ev["source"], ev["event_id"])]
    ev["side_a"], ev["side_b"] = "A", "B"
    ev["relation"] = np.where(ev["source"] == "mmp", "split", "attack")
    return ev


def _registry_links() -> pd.DataFrame:
    return pd.DataFrame([("K1", "ged", "10"), ("K1", "ged", "11"), ("K2", "rds", "20"), ("K2", "rds", "21"),
                         ("K3", "cym", "UK-2017-05"), ("K4", "mmp", "1803")],
                        columns=["case_id", "source", "event_id"]).astype("string")


def test_case_registry_statuses(tmp_path: Path) -> None:
    from externalize.cases import NOT_REGISTERED, case_registry, registered_pairs, unregistered_local_cases

    cases = _cases(tmp_path)
    reg = case_registry(cases, _classified(), _registry_links()).set_index("case_id")
    # only the link that passes the date check counts: ged 11 is 3 days off, so it is not read
    assert reg.loc["K1", "status"] == "registered as external" and reg.loc["K1", "n_links"] == 1
    assert reg.loc["K1", "rows_read"] == "ged 10 (2015-03-18, day precision): A vs B; coded external"
    # Arsal-like: the linked row exists and agrees, but the data code it as another class; the 2013 row
    # coded joint does not count (another year)
    assert reg.loc["K2", "status"] == "linked, not as joint: the linked rows are coded other"
    assert reg.loc["K3", "status"] == "registered as external"
    assert reg.loc["K4", "status"] == "statement: recorded as split in mmp"
    assert reg.loc["K5", "status"] == NOT_REGISTERED and reg.loc["K5", "n_links"] == 0
    assert registered_pairs(cases, _classified(), _registry_links()) == {("K1", "ged"), ("K3", "cym")}
    un = unregistered_local_cases(case_registry(cases, _classified(), _registry_links()))
    assert list(un["case_id"]) == ["K2"]


def test_plot_cells_are_said_to_name_no_group(tmp_path: Path) -> None:
    from externalize.cases import case_registry

    ev = _classified()
    ev.loc[ev["source"] == "cym", "event_id"] = "UK:2017-5:launched"
    links = _registry_links()
    links.loc[links["source"] == "cym", "event_id"] = "UK:2017-5:launched"
    reg = case_registry(_cases(tmp_path), ev, links).set_index("case_id")
    assert reg.loc["K3", "status"] == ("registered as external (only in country-month plot counts, which name "
                                       "no group)")


@pytest.mark.realdata
@pytest.mark.slow
def test_case_registry_on_the_real_build(tmp_path: Path, shared_data_dir: Path) -> None:
    """Built from the linked sources: the seed's local cooperation episodes (Arsal, Atarib, Yarmouk, the
    Qalamoun truce) are not joint events in any source; Charlie Hebdo is only in country-month plot cells."""
    from externalize.build import build_study
    from externalize.cases import case_registry, unregistered_local_cases
    from externalize.config import load_study

    reg = load_registry()
    links = load_links(DEFAULT_LINKS, load_cases(DEFAULT_CASES))
    keep = {k: reg[k] for k in set(links["source"])} | {k: v for k, v in reg.items() if not v.is_read}
    built = build_study(load_study(), shared_data_dir, tmp_path, registry=keep, use_cache=False)
    r = case_registry(load_cases(DEFAULT_CASES), built.events, links).set_index("case_id")
    assert r.loc["C01", "status"].startswith("linked, not as joint")          # GED: Government of Lebanon - IS
    assert "Government of Lebanon vs IS" in r.loc["C01", "rows_read"]
    assert r.loc["C09", "status"].startswith("linked, not as joint")
    assert r.loc["C03", "status"] == r.loc["C10", "status"] == "not registered by these sources"
    assert r.loc["C05", "status"].endswith("(only in country-month plot counts, which name no group)")
    assert r.loc["C02", "status"] == "statement (no count series)"
    un = unregistered_local_cases(r.reset_index())
    assert set(un["case_id"]) == {"C01", "C03", "C09", "C10"}
