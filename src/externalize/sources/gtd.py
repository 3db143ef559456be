"""Global Terrorism Database (GTD): the full release and every partial copy held here, one adapter.

Keys and layouts (the differences live in the small per-key column maps of LAYOUTS, not in separate code)
  gtd_full            full release, CSV or XLSX, the 135-column codebook layout (data/gtd_codebook_columns.txt,
                      0718dist order). The format is told by the file name inside any compression
                      (`externalize.locate.inner_name`). Only the columns used are parsed (usecols).
                      CSV: one encoding per file, chosen once and checked line by line
                      (`sources.base.decode_text`): UTF-8 (with or without BOM), else cp1252, else Latin-1
                      (START's older CSVs); a stray byte in a UTF-8 file is reported by line, not a reason
                      to read the whole file as Latin-1. 200,000 rows read in about 2 s.
                      A release in several files (0522dist + 2021Jan-June_1222dist) is read part by part
                      and combined by the build (`sources.base.combine_parts`).
                      XLSX: pandas' calamine engine when python-calamine is installed, else openpyxl,
                      which needs minutes for a full workbook (`xlsx_engine`).
                      Impossible coordinates (|latitude| > 90, |longitude| > 180) are read as unknown.
  gtd_world_inc       world_inc.csv: eventid, iyear, latitude, longitude, gname (first perpetrator only).
  gtd0814             GTD0814.rds (R tibble, 31 columns; targtype1-3 are codes only, no _txt, no region,
                      no coordinates, no guncertain). Codes become text by the codebook (TARGTYPE_TXT).
                      One row has iday -99 (not a GTD code): excluded as "unknown date code".
                      Parsed with pyreadr when installed (extra `rds`), else with `rdata`, which takes tens of
                      seconds (the build caches the result; `make bench` times both).
  gtd_france          France_inc.csv: 82 codebook columns (no doubtterr).
  gtd_us              GTD.csv (US 2013-2016): 38 codebook columns, Latin-1, no eventid and no country column:
                      country is "United States", region "North America" (the file holds US incidents only),
                      and event_id is the data row number (1-based), the file having no id.
  gtd_0718_degraded   terrorism_act.csv (';'-separated): a running number replaces eventid; country_id,
                      region_id and target_id are looked up in the country / region / target files by id.
                      gname is blank in about 60% of rows (blanked by a third party): blanks stay <NA>.
                      Any count by group from this source is a LOWER BOUND: the key is in
                      LOWER_BOUND_SOURCES and the registry's defects, so series and reports can label it.

Dating
  iyear / imonth / iday, where 0 means unknown: the event is kept with date_precision "day", "month" or
  "year" (never dropped for an unknown part). An impossible calendar day (31 April) lowers the precision to
  the month. A month outside 0-12 or a day outside 0-31 is not a GTD code: the row is excluded under
  "unknown date code" and counted. No usable iyear: excluded under "no year".
  world_inc has no imonth/iday: the month is read from eventid digits 5-6 (GTD eventids are YYYYMMDD + a
  4-digit case number, with 00 for an unknown month), giving month precision; "00" gives year precision.
  In 7 rows of world_inc the eventid year differs from iyear (e.g. eventid 201502170099 with iyear 2014).
  GTD keeps an eventid when the incident date is later corrected, so iyear is the coded year and is kept;
  the eventid's month is then not trusted either, and those rows get year precision.
  `eventid_year_mismatch(raw)` counts them (the real-data test checks the 7). The eventid's day digits are
  not used: the registry dates this source to the month.

Fields
  event_id = eventid (as an integer string); side_a = gname | gname2 | gname3 ("Unknown" kept as GTD
  writes it: classification decides); target_type = targtype1_txt | 2 | 3; target_nationality =
  natlty1_txt | 2 | 3; attribution_uncertain = any guncertain1-3 == 1 (<NA> when the layout has no
  guncertain); doubt_terrorism = doubtterr == 1 (<NA> when absent; GTD -9 = not coded -> <NA>);
  fatalities = nkill; relation "attack"; n = 1. A repeated event_id is excluded under "duplicate id".
  target_name = corp1 | target1; competing_claims = compclaim == 1 (<NA> when absent or -9); summary as
  written (all <NA> where the layout lacks the column: which layout has which is in the registry's
  target_fields). provstate, city, corp2-3, target2-3, nwound, success, suicide, multiple and related have no
  column in the event schema; they are checked for in the full layout (REQUIRED_FULL) but not carried.
"""

from __future__ import annotations

import io
import lzma
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow

from externalize.errors import SourceFormatError
from externalize.locate import inner_name, read_bytes
from externalize.paths import PROJECT_ROOT
from externalize.registry import SourceSpec
from externalize.schema import ACTOR_SEPARATOR, conform_events, dates_from_parts
from externalize.sources.base import (AdapterOutput, clean_text, conformed, decode_text, join_actors, parse_r_data,
                                      read_text_csv_file, text_to_float, xlsx_engine, xlsx_errors)

SOURCE_IDS: tuple[str, ...] = ("gtd_full", "gtd_world_inc", "gtd0814", "gtd_france", "gtd_us",
                               "gtd_0718_degraded")
# Sources whose perpetrator field is incomplete by construction: group counts are lower bounds.
LOWER_BOUND_SOURCES: frozenset[str] = frozenset({"gtd_0718_degraded"})

CODEBOOK_FILE = PROJECT_ROOT / "data" / "gtd_codebook_columns.txt"


def codebook_columns(path: Path = CODEBOOK_FILE) -> tuple[str, ...]:
    """The 135 column names of the full GTD release (0718dist order), one per line in the data file."""
    cols = tuple(line.strip() for line in Path(path).read_text().splitlines() if line.strip())
    if len(cols) != 135 or len(set(cols)) != 135:
        raise SourceFormatError(f"{path}: expected 135 distinct GTD column names, found {len(set(cols))}")
    return cols


CODEBOOK_COLUMNS: tuple[str, ...] = codebook_columns()

# GTD codebook targtype codes (used where a file has codes only: GTD0814, and the degraded copy's lookup,
# which lacks 20 = Unknown).
TARGTYPE_TXT: dict[int, str] = {
    1: "Business", 2: "Government (General)", 3: "Police", 4: "Military", 5: "Abortion Related",
    6: "Airports & Aircraft", 7: "Government (Diplomatic)", 8: "Educational Institution",
    9: "Food or Water Supply", 10: "Journalists & Media", 11: "Maritime", 12: "NGO", 13: "Other",
    14: "Private Citizens & Property", 15: "Religious Figures/Institutions", 16: "Telecommunication",
    17: "Terrorists/Non-State Militia", 18: "Tourists", 19: "Transportation", 20: "Unknown", 21: "Utilities",
    22: "Violent Political Party",
}

# Canonical fields the normaliser understands (all codebook names).
_TRIPLES = {"gname": ("gname", "gname2", "gname3"),
            "guncertain": ("guncertain1", "guncertain2", "guncertain3"),
            "targtype_txt": ("targtype1_txt", "targtype2_txt", "targtype3_txt"),
            "natlty_txt": ("natlty1_txt", "natlty2_txt", "natlty3_txt")}
_FULL_USED = ("eventid", "iyear", "imonth", "iday", "country_txt", "region_txt", "latitude", "longitude",
              *_TRIPLES["gname"], *_TRIPLES["guncertain"], *_TRIPLES["targtype_txt"], *_TRIPLES["natlty_txt"],
              "nkill", "doubtterr")
# The field list: a full release must have all of these (the extra ones are checked, not carried).
# Coding fields carried when a layout has them (rules 2.0.0): who was targeted by name, competing claims,
# and the source's own text for audits.
CODING_FIELDS: tuple[str, ...] = ("corp1", "target1", "compclaim", "summary")
REQUIRED_FULL: tuple[str, ...] = (*_FULL_USED, "provstate", "city", "corp1", "corp2", "corp3", "target1",
                                  "target2", "target3", "nwound", "success", "suicide", "multiple", "related",
                                  "claimed")


@dataclass(frozen=True)
class Layout:
    """How one GTD copy differs from the codebook: what it must have, may have, and how it is read."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    sep: str = ","
    encodings: tuple[str, ...] = ("utf-8-sig",)
    dating: str = "parts"           # "parts" (iyear/imonth/iday) | "eventid" (month from eventid)
    id_column: str | None = "eventid"   # None: the 1-based data row number is the id
    constants: dict[str, str] = field(default_factory=dict)   # fields the file implies (country of a subset)
    lookups: dict[str, tuple[str, str]] = field(default_factory=dict)  # id column -> (file role, field)


LAYOUTS: dict[str, Layout] = {
    "gtd_full": Layout(required=REQUIRED_FULL, encodings=("utf-8-sig", "cp1252", "latin-1")),
    "gtd_world_inc": Layout(required=("eventid", "iyear", "latitude", "longitude", "gname"), dating="eventid"),
    "gtd0814": Layout(required=("eventid", "iyear", "imonth", "iday", "country_txt", "doubtterr", "targtype1",
                                "targtype2", "targtype3", "natlty1_txt", "natlty2_txt", "natlty3_txt", "gname",
                                "gname2", "gname3", "nkill")),
    "gtd_france": Layout(required=("eventid", "iyear", "imonth", "iday", "country_txt", "region_txt",
                                   "latitude", "longitude", *_TRIPLES["gname"], *_TRIPLES["guncertain"],
                                   *_TRIPLES["targtype_txt"], *_TRIPLES["natlty_txt"], "nkill")),
    "gtd_us": Layout(required=("iyear", "imonth", "iday", "latitude", "longitude", "doubtterr", "targtype1_txt",
                               "gname", "nkill"),
                     encodings=("utf-8-sig", "cp1252", "latin-1"), id_column=None,
                     constants={"country_txt": "United States", "region_txt": "North America"}),
    "gtd_0718_degraded": Layout(required=("event_id", "iyear", "imonth", "iday", "country_id", "region_id",
                                          "target_id", "gname", "nkill"),
                                sep=";", id_column="event_id",
                                lookups={"country_id": ("country", "country_txt"),
                                         "region_id": ("region", "region_txt"),
                                         "target_id": ("target", "targtype1_txt")}),
}


# ---------------------------------------------------------------------------------------------- reading
def _csv_header(text: str, layout: Layout) -> list[str]:
    first = text[: text.find("\n") if "\n" in text else len(text)]
    return [c.strip().strip('"').lstrip("\ufeff") for c in first.rstrip("\r").split(layout.sep)]


def _missing(header: list[str] | pd.Index, layout: Layout, path: Path) -> None:
    missing = [c for c in layout.required if c not in set(header)]
    if missing:
        raise SourceFormatError(f"{path}: missing columns {missing}; found {list(header)[:40]}")


def _wanted(header: list[str] | pd.Index, layout: Layout) -> list[str]:
    keep = set(layout.required) | set(layout.optional) | set(_FULL_USED) | set(CODING_FIELDS) | \
        {"targtype1", "targtype2", "targtype3"}
    return [c for c in header if c in keep]


def read_gtd_csv(path: Path, layout: Layout) -> pd.DataFrame:
    """A GTD CSV in any of the layouts: decoded once with one encoding (`base.decode_text`: UTF-8, else the
    layout's code page; stray or mixed bytes reported by line), header checked, only the used columns parsed,
    as text."""
    def used(header: list[str]) -> list[str]:
        _missing(header, layout, path)
        return _wanted(header, layout)

    return read_text_csv_file(path, sep=layout.sep, encodings=layout.encodings, header_check=used)


def read_gtd_xlsx(path: Path, layout: Layout, engine: str | None = None) -> pd.DataFrame:
    """The XLSX START ships (one sheet, codebook header in row 1): used columns only, as text, one pass."""
    data = read_bytes(path)
    keep = set(_wanted(list(CODEBOOK_COLUMNS) + list(layout.required), layout))
    try:
        raw = pd.read_excel(io.BytesIO(data), usecols=lambda c: str(c).strip() in keep, dtype=str,
                            engine=engine or xlsx_engine(), keep_default_na=False, na_values=[""])
    except xlsx_errors() as exc:
        raise SourceFormatError(f"{path}: not a readable XLSX workbook ({type(exc).__name__}: {exc})") from exc
    raw.columns = [str(c).strip() for c in raw.columns]
    _missing(raw.columns, layout, path)
    # whole numbers stored as Excel floats come back as "2014.0" from some readers: same text as the CSV
    for col in ("eventid", "iyear", "imonth", "iday"):
        if col in raw.columns:
            raw[col] = raw[col].str.replace(r"\.0$", "", regex=True)
    return raw


def read_gtd_rds(path: Path, engine: str | None = None) -> pd.DataFrame:
    """GTD0814.rds: an R tibble, parsed from the decompressed bytes (pyreadr when installed, else rdata)."""
    data = read_bytes(path)
    try:
        obj = parse_r_data(data, ".rds", engine)
    except (ValueError, EOFError, lzma.LZMAError, NotImplementedError, IndexError, KeyError) as exc:
        raise SourceFormatError(f"{path}: not a readable R data file ({type(exc).__name__}: {exc})") from exc
    if not isinstance(obj, pd.DataFrame):
        raise SourceFormatError(f"{path}: expected an R data.frame, found {type(obj).__name__}")
    return obj.reset_index(drop=True)


def _lookup(path: Path, field_name: str) -> pd.Series:
    """A degraded-copy lookup file `id;name` -> Series name by integer id."""
    raw = pd.read_csv(io.StringIO(decode_text(read_bytes(path), path).text), sep=";", dtype=str,
                      keep_default_na=False, na_values=[""])
    if list(raw.columns)[:1] != ["id"] or raw.shape[1] != 2:
        raise SourceFormatError(f"{path}: a lookup must have columns id;<name>, found {list(raw.columns)}")
    ids = pd.to_numeric(raw["id"], errors="coerce")
    if ids.isna().any() or ids.duplicated().any():
        raise SourceFormatError(f"{path}: lookup ids must be unique integers")
    return pd.Series(raw.iloc[:, 1].str.strip().to_numpy(), index=ids.astype("int64").to_numpy(), name=field_name)


# ------------------------------------------------------------------------------------------ normalising
def _text(s: pd.Series) -> pd.Series:
    return clean_text(s)


def _num(raw: pd.Series, path: Path, column: str) -> pd.Series:
    """Numbers as float64; blank text is missing, other text that is not a number is refused."""
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("float64")  # already numbers (an R file): nothing to parse or refuse
    fast = text_to_float(raw)
    if fast is not None:
        return fast
    out = pd.to_numeric(raw, errors="coerce")
    bad = raw.notna() & out.isna()
    if bad.any():  # only the values that did not parse are looked at again: blank text is missing
        bad[bad] = raw[bad].astype("string").str.strip() != ""
    if bad.any():
        raise SourceFormatError(f"{path}: column {column!r} has non-numeric values, "
                                f"e.g. {raw[bad].astype(str).unique()[:5].tolist()}")
    return out.astype("float64")


def eventid_year_mismatch(raw: pd.DataFrame) -> pd.Series:
    """Rows whose eventid year (digits 1-4) differs from iyear (world_inc: 7 rows)."""
    eid = raw["eventid"].astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
    return (eid.str.slice(0, 4) != raw["iyear"].astype("string").str.strip()).fillna(False).astype(bool)


def _dates_eventid(raw: pd.DataFrame, path: Path) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """year, month (from eventid digits 5-6), day (<NA>), bad-code mask for world_inc."""
    year = _num(raw["iyear"], path, "iyear")
    eid = raw["eventid"].astype("string").str.strip()
    mm = pd.to_numeric(eid.str.slice(4, 6), errors="coerce")
    bad = ~mm.between(0, 12).fillna(False) & eid.notna()
    month = mm.where(~eventid_year_mismatch(raw) & (mm >= 1) & (mm <= 12))
    day = pd.Series(np.nan, index=raw.index)
    return year, month, day, bad


def _dates_parts(raw: pd.DataFrame, path: Path) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    year = _num(raw["iyear"], path, "iyear")
    month = _num(raw["imonth"], path, "imonth")
    day = _num(raw["iday"], path, "iday")
    bad = ~month.fillna(0).between(0, 12) | ~day.fillna(0).between(0, 31)
    return year, month.where(month >= 1), day.where(day >= 1), bad


def _ids(raw: pd.DataFrame, layout: Layout) -> pd.Series:
    if layout.id_column is None:
        return pd.Series(np.arange(1, len(raw) + 1), index=raw.index).astype("string")
    column = raw[layout.id_column]
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        whole = _whole_number_text(column)
        if whole is not None:
            return whole
    eid = _text(column.astype("string"))
    return eid.str.replace(r"\.0$", "", regex=True)  # ids stored as floats in the R file


def _whole_number_text(column: pd.Series) -> pd.Series | None:
    """Numbers that are all whole (ids stored as R doubles) as their integer text, "197001000001", missing
    kept: what the text route gives ("197001000001.0" without ".0"), without formatting each float in
    Python. None when a value is not a whole number below 2**53 (the text route then decides)."""
    values = column.astype("float64").to_numpy()
    known = values[~np.isnan(values)]
    if not (np.all(known == np.floor(known)) and np.all(np.abs(known) < 2.0 ** 53)):
        return None
    ints = pyarrow.array(values, from_pandas=True).cast(pyarrow.int64())
    return clean_text(pd.Series(pd.arrays.ArrowStringArray(ints.cast(pyarrow.large_string())), index=column.index,
                                name=column.name))


def _targets(raw: pd.DataFrame, path: Path) -> pd.Series:
    """targtype1-3 as text: *_txt when present, else the codebook text of the numeric codes."""
    parts = []
    for i in (1, 2, 3):
        txt, code = f"targtype{i}_txt", f"targtype{i}"
        if txt in raw.columns:
            parts.append(_text(raw[txt]))
        elif code in raw.columns:
            num = _num(raw[code], path, code)
            unknown = num.notna() & ~num.isin(list(TARGTYPE_TXT))
            if unknown.any():
                raise SourceFormatError(f"{path}: {code} has codes outside the GTD codebook: "
                                        f"{sorted(num[unknown].unique())[:5]}")
            parts.append(num.map(TARGTYPE_TXT).astype("string"))
    if not parts:
        return pd.Series(pd.NA, index=raw.index, dtype="string")
    return join_actors(*parts, sep=ACTOR_SEPARATOR)


def normalise_gtd(raw: pd.DataFrame, source: str, path: Path, layout: Layout) -> AdapterOutput:
    """GTD rows (codebook column names) -> event rows. Counts every row left out, by reason."""
    raw = raw.reset_index(drop=True)
    for col, value in layout.constants.items():
        raw[col] = value
    rows_read = len(raw)
    excluded: dict[str, int] = {}
    drop = pd.Series(False, index=raw.index)

    def exclude(mask: pd.Series, reason: str) -> None:
        nonlocal drop
        new = mask.fillna(False).astype(bool) & ~drop
        if new.any():
            excluded[reason] = excluded.get(reason, 0) + int(new.sum())
        drop = drop | new

    event_id = _ids(raw, layout)
    exclude(event_id.isna(), "no id")
    year, month, day, bad_code = (_dates_eventid if layout.dating == "eventid" else _dates_parts)(raw, path)
    exclude(year.isna() | (year < 1900) | (year > 2100), "no year")
    exclude(bad_code, "unknown date code")
    date, precision = dates_from_parts(year.fillna(1970), month, day)
    exclude(date.isna(), "no year")
    dup = ~drop & event_id.where(~drop).duplicated(keep="first")
    exclude(dup, "duplicate id")

    def opt(col: str) -> pd.Series:
        return _text(raw[col]) if col in raw.columns else pd.Series(pd.NA, index=raw.index, dtype="string")

    def opt_num(col: str) -> pd.Series:
        return _num(raw[col], path, col) if col in raw.columns else pd.Series(np.nan, index=raw.index)

    present = [c for c in _TRIPLES["guncertain"] if c in raw.columns]
    if present:
        flags = pd.concat([_num(raw[c], path, c) for c in present], axis=1)
        uncertain = pd.array((flags == 1).any(axis=1), dtype="boolean")
        uncertain = pd.Series(uncertain, index=raw.index).where(flags.notna().any(axis=1), pd.NA)
    else:
        uncertain = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    if "doubtterr" in raw.columns:
        dt = _num(raw["doubtterr"], path, "doubtterr")
        doubt = pd.Series(pd.array(dt == 1, dtype="boolean"), index=raw.index).where(dt.isin([0, 1]), pd.NA)
    else:
        doubt = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    if "compclaim" in raw.columns:  # 1 = competing claims, 0 = no; -9 (unknown) and blank -> <NA>
        cc = _num(raw["compclaim"], path, "compclaim")
        competing = pd.Series(pd.array(cc == 1, dtype="boolean"), index=raw.index).where(cc.isin([0, 1]), pd.NA)
    else:
        competing = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    # corp1 (entity) and target1 (specific target) joined, so a named group in either is seen
    target_name = join_actors(opt("corp1"), opt("target1"), sep=ACTOR_SEPARATOR)
    lat, lon = opt_num("latitude"), opt_num("longitude")
    # GTD has a few impossible coordinates (e.g. longitude -86185896 in 0718dist): unknown, not a place
    lat = lat.where(lat.between(-90, 90))
    lon = lon.where(lon.between(-180, 180))
    nkill = opt_num("nkill")
    keep = (~drop).to_numpy()
    p = precision
    events = pd.DataFrame({
        "source": source,
        "event_id": event_id,
        "year": date.dt.year,
        "month": month.where(p != "year"),
        "day": day.where(p == "day"),
        "date_precision": p,
        "date": date,
        "country": opt("country_txt"),
        "region": opt("region_txt"),
        "latitude": lat,
        "longitude": lon,
        "side_a": join_actors(*(opt(c) for c in _TRIPLES["gname"]), sep=ACTOR_SEPARATOR),
        "relation": "attack",
        "target_type": _targets(raw, path),
        "target_nationality": join_actors(*(opt(c) for c in _TRIPLES["natlty_txt"]), sep=ACTOR_SEPARATOR),
        "n": 1,
        "fatalities": nkill.where(nkill >= 0),
        "attribution_uncertain": uncertain,
        "doubt_terrorism": doubt,
        "target_name": target_name,
        "competing_claims": competing,
        "summary": opt("summary"),
    })
    if not keep.all():  # a boolean selection copies every column: only when rows are left out
        events = events[keep]
    return AdapterOutput(rows_read=rows_read, events=conformed(conform_events, events, path), excluded=excluded)


def _apply_lookups(raw: pd.DataFrame, layout: Layout, files: Mapping[str, Path], path: Path) -> pd.DataFrame:
    raw = raw.copy()
    for id_col, (role, field_name) in layout.lookups.items():
        if role not in files:
            raise SourceFormatError(f"{path}: the {role} lookup file is needed to read {id_col}")
        table = _lookup(Path(files[role]), field_name)
        if id_col == "target_id":  # the teaching copy's target list lacks the codebook's 20 = Unknown
            table = pd.concat([table, pd.Series(TARGTYPE_TXT)[~pd.Index(TARGTYPE_TXT).isin(table.index)]])
        codes = _num(raw[id_col], path, id_col)
        unknown = codes.notna() & ~codes.isin(table.index)
        if unknown.any():
            raise SourceFormatError(f"{path}: {id_col} codes not in the {role} lookup: "
                                    f"{sorted(codes[unknown].unique())[:5]}")
        raw[field_name] = codes.map(table).astype("string")
    return raw


def read(spec: SourceSpec, files: Mapping[str, Path]) -> AdapterOutput:
    if spec.key not in LAYOUTS:
        raise ValueError(f"the gtd adapter has no layout for source {spec.key!r}; known: {sorted(LAYOUTS)}")
    layout = LAYOUTS[spec.key]
    path = Path(files["main"])
    name = inner_name(path).lower()
    if name.endswith(".rds"):
        raw = read_gtd_rds(path)
        _missing(raw.columns, layout, path)
    elif name.endswith((".xlsx", ".xlsm")):
        raw = read_gtd_xlsx(path, layout)
    else:
        raw = read_gtd_csv(path, layout)
    if layout.lookups:
        raw = _apply_lookups(raw, layout, files, path)
    return normalise_gtd(raw, spec.key, path, layout)
