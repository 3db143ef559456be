"""Profiles of Individual Radicalization in the United States (PIRUS), public release May 2020.

A different quantity from attacks: one row per INDIVIDUAL, dated by `Date_Exposure`, the day the person's
activity or plot first came to public attention (arrest, indictment or attack), not the day of an attack
and not the day of radicalisation. relation "exposure"; n = 1; country "United States".

The release is an XLSX (one sheet, 145 columns) stored inside .xz: it is decompressed in memory and read
from a BytesIO (python-calamine when installed, else openpyxl), keeping only the columns below. event_id = Subject_ID.
side_a = Terrorist_Group_Name1 | 2 | 3 (PIRUS missing codes -99 "unknown" and -88 "not applicable" are
missing, not names). When no group is named and Radicalization_Islamist == 1, side_a is "Islamist" (the
taxonomy's pirus label, family JIH); otherwise <NA>.
Plots (rules 2.0.0, issue "Coding v2" item 7): when the release has Extent_Plot, Plot_Target1 and
Loc_Plot_State1, an individual with a violent plot (Extent_Plot 1-5) centred in the United States (a US state
or DC in Loc_Plot_State1) gets relation "plot", plot_status "launched" (Extent_Plot 4 attempted and failed,
5 carried out) or "foiled" (1-3: threats, acquisition of materials), and target_type from Plot_Target1 (GTD
target-type codes). Everyone else (no plot: travellers, material support, membership; or a plot abroad)
keeps relation "exposure" and is not counted as external (rule NONE-EXPOSURE); country is the plot's
foreign country when Loc_Plot_State1 names one.
Every row is accounted for: a Date_Exposure that is blank, a missing code, or not a date is excluded under
"no date"; a repeated Subject_ID under "duplicate id".
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from externalize.errors import SourceFormatError
from externalize.locate import read_bytes
from externalize.registry import SourceSpec
from externalize.schema import ACTOR_SEPARATOR, conform_events
from externalize.sources.base import (AdapterOutput, conformed, join_actors, require_columns, xlsx_engine,
                                      xlsx_errors)

SOURCE_IDS: tuple[str, ...] = ("pirus",)
COLUMNS = ("Subject_ID", "Date_Exposure", "Terrorist_Group_Name1", "Terrorist_Group_Name2",
           "Terrorist_Group_Name3", "Radicalization_Islamist")
MISSING_CODES = {"-99", "-88", "-99.0", "-88.0"}
ISLAMIST_UNNAMED = "Islamist"
PLOT_COLUMNS = ("Extent_Plot", "Plot_Target1", "Loc_Plot_State1")
US_STATES = frozenset({
    "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware", "Florida",
    "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas", "Kentucky", "Louisiana", "Maine",
    "Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi", "Missouri", "Montana", "Nebraska",
    "Nevada", "New Hampshire", "New Jersey", "New Mexico", "New York", "North Carolina", "North Dakota", "Ohio",
    "Oklahoma", "Oregon", "Pennsylvania", "Rhode Island", "South Carolina", "South Dakota", "Tennessee", "Texas",
    "Utah", "Vermont", "Virginia", "Washington", "West Virginia", "Wisconsin", "Wyoming", "District of Columbia",
    "Puerto Rico"})


def read_pirus_xlsx(path: Path, engine: str | None = None) -> pd.DataFrame:
    """The used columns of the workbook's first sheet, cells as Python objects; engine "calamine" (default
    when python-calamine is installed) or "openpyxl". Both give the same events (tests/sources/test_readers.py)."""
    data = read_bytes(path)
    engine = engine or xlsx_engine()
    header: list[object] = []
    wanted = frozenset(COLUMNS) | frozenset(PLOT_COLUMNS)   # plot fields where the release has them

    def used(column: object) -> bool:  # pandas asks once per header cell: the header is seen in one pass
        header.append(column)
        return column in wanted

    try:
        raw = pd.read_excel(io.BytesIO(data), usecols=used, dtype=object, engine=engine)
    except xlsx_errors() as exc:
        raise SourceFormatError(f"{path}: not a readable XLSX workbook ({type(exc).__name__}: {exc})") from exc
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise SourceFormatError(f"{path}: missing columns {missing}; found {header[:40]}")
    return raw


def _exposure_dates(raw: pd.Series) -> pd.Series:
    """Date_Exposure cells: Excel dates (datetime) or text dates; codes and junk -> NaT."""
    def one(v: object) -> pd.Timestamp:
        if isinstance(v, (dt.datetime, dt.date)):
            return pd.Timestamp(v)
        if v is None or (isinstance(v, float) and pd.isna(v)) or str(v).strip() in MISSING_CODES:
            return pd.NaT
        return pd.to_datetime(str(v).strip(), errors="coerce")
    return pd.Series([one(v) for v in raw], index=raw.index, dtype="datetime64[ns]")


def _group(raw: pd.Series) -> pd.Series:
    s = raw.astype("string").str.strip()
    return s.mask(s.isin(MISSING_CODES) | (s == ""))


def _plots(raw: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """relation, plot_status, target_type, country per individual (see the module docstring)."""
    from externalize.sources.gtd import TARGTYPE_TXT

    n = len(raw)
    na = pd.Series(pd.NA, index=raw.index, dtype="string")
    if not all(c in raw.columns for c in PLOT_COLUMNS):
        return (pd.Series("exposure", index=raw.index, dtype="string"), na, na,
                pd.Series("United States", index=raw.index, dtype="string"))
    extent = pd.to_numeric(raw["Extent_Plot"], errors="coerce")
    place = raw["Loc_Plot_State1"].astype("string").str.strip()
    place = place.mask(place.isin(MISSING_CODES) | (place == ""))
    at_home = place.isin(US_STATES).fillna(False)
    abroad = place.notna() & ~at_home
    home_plot = extent.between(1, 5).fillna(False) & at_home
    relation = pd.Series(["plot" if x else "exposure" for x in home_plot], index=raw.index, dtype="string")
    status = na.mask(home_plot & (extent >= 4), "launched").mask(home_plot & (extent <= 3), "foiled")
    code = pd.to_numeric(raw["Plot_Target1"], errors="coerce")
    target = code.map(TARGTYPE_TXT).astype("string").where(home_plot, pd.NA)
    country = pd.Series(["United States"] * n, index=raw.index, dtype="string").mask(abroad, place)
    return relation, status, target, country


def normalise_pirus(raw: pd.DataFrame, source: str, path: Path) -> AdapterOutput:
    raw = require_columns(raw, COLUMNS, path).reset_index(drop=True)
    date = _exposure_dates(raw["Date_Exposure"]).dt.normalize()
    event_id = raw["Subject_ID"].astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
    excluded: dict[str, int] = {}
    drop = date.isna() | event_id.isna()
    if drop.any():
        excluded["no date"] = int(drop.sum())
    dup = ~drop & event_id.where(~drop).duplicated(keep="first")
    if dup.any():
        excluded["duplicate id"] = int(dup.sum())
    drop |= dup
    groups = join_actors(*(_group(raw[f"Terrorist_Group_Name{i}"]) for i in (1, 2, 3)), sep=ACTOR_SEPARATOR)
    islamist = pd.to_numeric(raw["Radicalization_Islamist"], errors="coerce") == 1
    side_a = groups.where(groups.notna() | ~islamist, ISLAMIST_UNNAMED)
    d = date.fillna(pd.Timestamp("1970-01-01"))
    relation, status, target, country = _plots(raw)
    events = pd.DataFrame({
        "source": source, "event_id": event_id, "year": d.dt.year, "month": d.dt.month, "day": d.dt.day,
        "date_precision": "day", "date": d, "country": country, "side_a": side_a,
        "relation": relation, "target_type": target, "plot_status": status, "n": 1,
    })[(~drop).to_numpy()]
    return AdapterOutput(rows_read=len(raw), events=conformed(conform_events, events, path), excluded=excluded)


def read(spec: SourceSpec, files: Mapping[str, Path]) -> AdapterOutput:
    path = Path(files["main"])
    return normalise_pirus(read_pirus_xlsx(path), spec.key, path)
