"""Jihadist plots in the West (Nesser; Crenshaw et al.) as processed by Hegghammer & Ketchley.

Keys and layouts
  nesser_cym             country (name), year_month ("2015m11"), launched, foiled, all
  crenshaw_cym           country (numeric code), year, month ("1".."12" or "."), launched, foiled, all
  nesser_country_year    country, year, launched, foiled, all, covariates (not read)
  crenshaw_country_year  same layout with Crenshaw's 21 countries

Country-month files -> events. The raw rows are country-month *aggregates*, each holding two cells:
launched (attacks carried out) and foiled. Each cell with a count above zero becomes one event row with
n = the count and plot_status "launched" / "foiled" (event_id "<country>:<year>-<month>:<status>"). A cell
of zero stands for no event and is counted under excluded "zero cell". So for these sources rows_read is
the number of CELLS, two per raw line (stated in the ledger as "cells"), and
rows_read == events + zero cells + cells excluded for another reason.
`all` is launched + foiled in the source: it is checked on every line; a line where it does not hold is
not guessed at: both its cells are excluded under "all != launched + foiled" (none in the files held here).
Month "." (Crenshaw, 10 lines) means the month is unknown: the cells are kept at year precision.

Crenshaw codes: countries are numeric codes in crenshaw_cym. They are mapped to names with
data/crenshaw_country_codes.csv (code, country, how_matched), which was derived by matching each code's
yearly launched/foiled totals with the named country-year file (`derive_crenshaw_codes`; a real-data test
re-derives it and fails if it disagrees). Seven codes have zero counts in every month and cannot be
resolved; they have no name, and as all their cells are zero cells no event depends on them. A code not
in the mapping, or an unresolved code with a non-zero count, raises SourceFormatError.

Country-year files -> yearly rows, one per raw line: n = all (launched + foiled, checked as above; zero
rows kept: a country-year with no plot is an observed zero), relation "plot", record_id
"<country>:<year>". The yearly schema has no plot status, so the launched / foiled split is only in the
country-month events.

Neither source names a group: side_a is "jihadist (unnamed)", the taxonomy's generic label for sources that
record jihadist plots only (family JIH). relation "plot"; country in the source's spelling ("UK", "US").
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from externalize.errors import SourceFormatError
from externalize.paths import PROJECT_ROOT
from externalize.registry import SourceSpec
from externalize.schema import conform_events, conform_yearly, dates_from_parts
from externalize.sources.base import AdapterOutput, conformed, read_csv_strict, require_columns

SOURCE_IDS: tuple[str, ...] = ("nesser_cym", "crenshaw_cym", "nesser_country_year", "crenshaw_country_year")

JIHADIST_UNNAMED = "jihadist (unnamed)"
CRENSHAW_CODES_FILE = PROJECT_ROOT / "data" / "crenshaw_country_codes.csv"
COUNTS = ("launched", "foiled", "all")
STATUSES = ("launched", "foiled")
LAYOUTS: dict[str, tuple[str, ...]] = {
    "nesser_cym": ("country", "year_month", *COUNTS),
    "crenshaw_cym": ("country", "year", "month", *COUNTS),
    "nesser_country_year": ("country", "year", *COUNTS),
    "crenshaw_country_year": ("country", "year", *COUNTS),
}
_YEAR_MONTH = r"^(?P<year>\d{4})m(?P<month>\d{1,2}|\.)$"


def load_crenshaw_codes(path: Path = CRENSHAW_CODES_FILE) -> pd.Series:
    """Crenshaw numeric code -> country name (<NA> for the unresolved all-zero codes)."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    require_columns(table, ("code", "country", "how_matched"), path)
    codes = pd.to_numeric(table["code"], errors="raise").astype("int64")
    if codes.duplicated().any():
        raise SourceFormatError(f"{path}: code repeated")
    return pd.Series(table["country"].to_numpy(), index=codes.to_numpy(), name="country", dtype="string")


def _counts(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    out = {}
    for c in COUNTS:
        v = pd.to_numeric(raw[c], errors="coerce")
        bad = v.isna() | (v < 0) | (v != v.round())
        if bad.any():
            raise SourceFormatError(f"{path}: column {c!r} must hold counts (whole numbers >= 0), found "
                                    f"{raw.loc[bad, c].astype(str).unique()[:5].tolist()}")
        out[c] = v.astype("int64")
    return pd.DataFrame(out, index=raw.index)


def _year_month(raw: pd.DataFrame, key: str, path: Path) -> tuple[pd.Series, pd.Series]:
    """year and month (<NA> when unknown '.'); anything else is a format error naming the values."""
    if key == "nesser_cym":
        parts = raw["year_month"].astype("string").str.strip().str.extract(_YEAR_MONTH)
        bad = parts["year"].isna()
        if bad.any():
            raise SourceFormatError(f"{path}: year_month not like '2015m11': "
                                    f"{raw.loc[bad, 'year_month'].astype(str).unique()[:5].tolist()}")
        year, month = parts["year"], parts["month"]
    else:
        year, month = raw["year"].astype("string").str.strip(), raw["month"].astype("string").str.strip()
    y = pd.to_numeric(year, errors="coerce")
    m = pd.to_numeric(month.where(month != "."), errors="coerce")
    bad = y.isna() | (month.isna()) | (month.ne(".") & ~m.between(1, 12))
    if bad.any():
        raise SourceFormatError(f"{path}: unknown year/month codes in rows {list(raw.index[bad][:5])} "
                                f"(month must be 1-12 or '.')")
    return y.astype("int64"), m.astype("Int64")


def _country_names(raw: pd.DataFrame, key: str, path: Path, codes: pd.Series | None,
                   counts: pd.DataFrame) -> pd.Series:
    if key != "crenshaw_cym":
        return raw["country"].astype("string").str.strip()
    assert codes is not None
    num = pd.to_numeric(raw["country"], errors="coerce")
    unknown = num.isna() | ~num.isin(codes.index)
    if unknown.any():
        raise SourceFormatError(f"{path}: country codes not in {CRENSHAW_CODES_FILE.name}: "
                                f"{raw.loc[unknown, 'country'].unique()[:5].tolist()}")
    names = num.astype("int64").map(codes).astype("string")
    unresolved = names.isna() & (counts["all"] > 0)
    if unresolved.any():
        raise SourceFormatError(f"{path}: unresolved country codes with plots: "
                                f"{num[unresolved].astype(int).unique().tolist()}")
    # an unresolved code carries only zero cells: keep its code so ids stay unique
    return names.fillna("code " + num.astype("int64").astype(str))


def normalise_country_month(raw: pd.DataFrame, source: str, path: Path,
                            codes: pd.Series | None = None) -> AdapterOutput:
    raw = require_columns(raw, LAYOUTS[source], path).reset_index(drop=True)
    counts = _counts(raw, path)
    year, month = _year_month(raw, source, path)
    country = _country_names(raw, source, path, codes, counts)
    inconsistent = counts["all"] != counts["launched"] + counts["foiled"]
    excluded: dict[str, int] = {}
    if inconsistent.any():
        excluded["all != launched + foiled"] = 2 * int(inconsistent.sum())
    cells = []
    for status in STATUSES:
        cells.append(pd.DataFrame({"country": country, "year": year, "month": month, "n": counts[status],
                                   "plot_status": status, "ok": ~inconsistent}))
    long = pd.concat(cells, ignore_index=True)
    usable = long["ok"]
    zero = usable & (long["n"] == 0)
    if zero.any():
        excluded["zero cell"] = int(zero.sum())
    ev = long[usable & (long["n"] > 0)].reset_index(drop=True)
    date, precision = dates_from_parts(ev["year"], ev["month"], pd.Series(pd.NA, index=ev.index))
    month_txt = ev["month"].astype("string").fillna("NA")
    events = pd.DataFrame({
        "source": source,
        "event_id": ev["country"] + ":" + ev["year"].astype(str) + "-" + month_txt + ":" + ev["plot_status"],
        "year": ev["year"], "month": ev["month"], "date_precision": precision, "date": date,
        "country": ev["country"], "side_a": JIHADIST_UNNAMED, "relation": "plot", "n": ev["n"],
        "plot_status": ev["plot_status"],
    })
    return AdapterOutput(rows_read=2 * len(raw), events=conformed(conform_events, events, path), excluded=excluded)


def normalise_country_year(raw: pd.DataFrame, source: str, path: Path) -> AdapterOutput:
    raw = require_columns(raw, LAYOUTS[source], path).reset_index(drop=True)
    counts = _counts(raw, path)
    year = pd.to_numeric(raw["year"], errors="coerce")
    if year.isna().any():
        raise SourceFormatError(f"{path}: year not a number in rows {list(raw.index[year.isna()][:5])}")
    country = raw["country"].astype("string").str.strip()
    inconsistent = counts["all"] != counts["launched"] + counts["foiled"]
    excluded = {"all != launched + foiled": int(inconsistent.sum())} if inconsistent.any() else {}
    keep = ~inconsistent
    yearly = pd.DataFrame({
        "source": source, "record_id": country + ":" + year.astype("int64").astype(str),
        "year": year.astype("int64"), "side_a": JIHADIST_UNNAMED, "relation": "plot", "country": country,
        "n": counts["all"],
    })[keep.to_numpy()]
    return AdapterOutput(rows_read=len(raw), yearly=conformed(conform_yearly, yearly, path), excluded=excluded)


def derive_crenshaw_codes(cym: pd.DataFrame, country_year: pd.DataFrame) -> pd.DataFrame:
    """Match each Crenshaw code to the named country whose yearly launched/foiled totals equal the code's.

    Returns code, country (<NA> when no unique match), how_matched. A code whose totals are zero in every
    year matches every all-zero country and stays unresolved.
    """
    cym = cym.copy()
    for c in ("launched", "foiled"):
        cym[c] = pd.to_numeric(cym[c]).astype("int64")
        country_year = country_year.assign(**{c: pd.to_numeric(country_year[c]).astype("int64")})
    cym["year"] = pd.to_numeric(cym["year"]).astype("int64")
    years = sorted(set(cym["year"]) | set(pd.to_numeric(country_year["year"]).astype("int64")))

    def profile(df: pd.DataFrame, key: str) -> dict:
        g = df.groupby([key, "year"])[["launched", "foiled"]].sum()
        out = {}
        for k, sub in g.groupby(level=0):
            s = sub.droplevel(0).reindex(years, fill_value=0)
            out[k] = tuple(s["launched"]) + tuple(s["foiled"])
        return out

    named = profile(country_year.assign(year=pd.to_numeric(country_year["year"]).astype("int64")), "country")
    coded = profile(cym, "country")
    rows = []
    for code, prof in sorted(coded.items(), key=lambda kv: int(kv[0])):
        hits = [name for name, p in named.items() if p == prof]
        if not any(prof):
            rows.append((int(code), pd.NA, f"unresolved: all counts zero ({len(hits)} all-zero countries fit)"))
        elif len(hits) == 1:
            rows.append((int(code), hits[0], "unique match of yearly launched and foiled totals with crenshaw.csv"))
        else:
            rows.append((int(code), pd.NA, f"unresolved: {len(hits)} countries fit"))
    return pd.DataFrame(rows, columns=["code", "country", "how_matched"]).astype(
        {"code": "int64", "country": "string", "how_matched": "string"})


def read(spec: SourceSpec, files: Mapping[str, Path]) -> AdapterOutput:
    if spec.key not in LAYOUTS:
        raise ValueError(f"hegghammer_plots has no layout for {spec.key!r}; known: {sorted(LAYOUTS)}")
    path = Path(files["main"])
    raw = read_csv_strict(path)
    if spec.key.endswith("_country_year"):
        return normalise_country_year(raw, spec.key, path)
    codes = load_crenshaw_codes() if spec.key == "crenshaw_cym" else None
    return normalise_country_month(raw, spec.key, path, codes)
