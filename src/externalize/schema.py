"""The two normalised tables every adapter produces, with their schema enforced in code.

events: one row per raw event (or raw aggregate cell, with `n` saying how many events it stands for).
yearly: one row per dyad-year / actor-year / matrix cell.

Event columns added for the coding (rules 2.0.0), each <NA> where the source has no such field:
  target_name       GTD corp1 | target1 (the targeted entity and its name), so a GTD attack on a group of
                    the other family can be told apart (rule CLASH-GTD-1)
  competing_claims  GTD compclaim == 1 (several groups claimed the attack, as opposed to co-perpetration);
                    <NA> where the release has no compclaim (rule JOINT-UNV-1)
  summary           the source's own text on the row: GTD summary, MMP relationship description
  duplicate_of      "<source>:<event_id>" when the same event is also a row of another source (registry
                    `duplicates_of`, e.g. GED Syria-Iraq rows that GED Syria also holds); set by
                    `mark_duplicate_events` at build time. Anything that adds sources counts only rows
                    where it is <NA>.
Adapters build the columns they have and call `conform_events` / `conform_yearly`, which add the optional
columns as missing, fix dtypes and order, and validate (pandera). A value that cannot be cast or that the
schema refuses raises SourceFormatError naming the source(s) of the refused rows and the column (adapters add
the file through `sources.base.conformed`). `validate_events` / `validate_yearly` are the validation alone,
for a table already cast and ordered.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc

from externalize.errors import SourceFormatError

# column -> pandas dtype; the order here is the order on disk
EVENT_COLUMNS: dict[str, str] = {
    "source": "string",
    "event_id": "string",
    "year": "int16",
    "month": "Int8",
    "day": "Int8",
    "date_precision": "string",
    "date": "datetime64[ns]",
    "date_end": "datetime64[ns]",
    "country": "string",
    "region": "string",
    "latitude": "float64",
    "longitude": "float64",
    "side_a": "string",
    "side_b": "string",
    "relation": "string",
    "target_type": "string",
    "target_nationality": "string",
    "n": "int32",
    "fatalities": "float64",
    "attribution_uncertain": "boolean",
    "doubt_terrorism": "boolean",
    "plot_status": "string",
    "type_of_violence": "Int8",
    "target_name": "string",
    "competing_claims": "boolean",
    "summary": "string",
    "duplicate_of": "string",
}
EVENT_REQUIRED = ("source", "event_id", "year", "date_precision", "n")

YEARLY_COLUMNS: dict[str, str] = {
    "source": "string",
    "record_id": "string",
    "year": "int16",
    "side_a": "string",
    "side_b": "string",
    "relation": "string",
    "country": "string",
    "n": "int32",
    "fatalities": "float64",
    "fatalities_low": "float64",
    "fatalities_high": "float64",
}
YEARLY_REQUIRED = ("source", "record_id", "year", "n")

ACTOR_SEPARATOR = " | "  # joins several actors on one side (GTD gname | gname2 | gname3)
DATE_PRECISIONS = ("day", "month", "year")
RELATIONS = ("fighting", "attack", "plot", "strike", "exposure", "rivalry", "alliance", "affiliation",
             "split", "merger", "incidents")
PLOT_STATUS = ("launched", "foiled")


def _events_schema() -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "source": pa.Column("string", nullable=False),
            "event_id": pa.Column("string", nullable=False),
            "year": pa.Column("int16", pa.Check.in_range(1900, 2100)),
            "month": pa.Column("Int8", pa.Check.in_range(1, 12), nullable=True),
            "day": pa.Column("Int8", pa.Check.in_range(1, 31), nullable=True),
            "date_precision": pa.Column("string", pa.Check.isin(DATE_PRECISIONS)),
            "date": pa.Column("datetime64[ns]", nullable=False),
            "date_end": pa.Column("datetime64[ns]", nullable=True),
            "country": pa.Column("string", nullable=True),
            "region": pa.Column("string", nullable=True),
            "latitude": pa.Column("float64", pa.Check.in_range(-90, 90), nullable=True),
            "longitude": pa.Column("float64", pa.Check.in_range(-180, 180), nullable=True),
            "side_a": pa.Column("string", nullable=True),
            "side_b": pa.Column("string", nullable=True),
            "relation": pa.Column("string", pa.Check.isin(RELATIONS), nullable=True),
            "target_type": pa.Column("string", nullable=True),
            "target_nationality": pa.Column("string", nullable=True),
            "n": pa.Column("int32", pa.Check.ge(0)),
            "fatalities": pa.Column("float64", pa.Check.ge(0), nullable=True),
            "attribution_uncertain": pa.Column("boolean", nullable=True),
            "doubt_terrorism": pa.Column("boolean", nullable=True),
            "plot_status": pa.Column("string", pa.Check.isin(PLOT_STATUS), nullable=True),
            "type_of_violence": pa.Column("Int8", pa.Check.isin([1, 2, 3]), nullable=True),
            "target_name": pa.Column("string", nullable=True),
            "competing_claims": pa.Column("boolean", nullable=True),
            "summary": pa.Column("string", nullable=True),
            "duplicate_of": pa.Column("string", nullable=True),
        },
        checks=[
            pa.Check(lambda df: ~df.duplicated(["source", "event_id"]), error="duplicate (source, event_id)"),
            pa.Check(lambda df: (df["date_precision"] == "year") | df["month"].notna(),
                     error="month missing although date_precision is day or month"),
            pa.Check(lambda df: (df["date_precision"] != "day") | df["day"].notna(),
                     error="day missing although date_precision is day"),
            pa.Check(lambda df: df["date"].dt.year == df["year"], error="date and year disagree"),
        ],
        strict=True,
        ordered=True,
    )


def _yearly_schema() -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "source": pa.Column("string", nullable=False),
            "record_id": pa.Column("string", nullable=False),
            "year": pa.Column("int16", pa.Check.in_range(1900, 2100)),
            "side_a": pa.Column("string", nullable=True),
            "side_b": pa.Column("string", nullable=True),
            "relation": pa.Column("string", pa.Check.isin(RELATIONS), nullable=True),
            "country": pa.Column("string", nullable=True),
            "n": pa.Column("int32", pa.Check.ge(0)),
            "fatalities": pa.Column("float64", pa.Check.ge(0), nullable=True),
            "fatalities_low": pa.Column("float64", pa.Check.ge(0), nullable=True),
            "fatalities_high": pa.Column("float64", pa.Check.ge(0), nullable=True),
        },
        checks=[pa.Check(lambda df: ~df.duplicated(["source", "record_id"]),
                         error="duplicate (source, record_id)")],
        strict=True,
        ordered=True,
    )


EVENTS_SCHEMA = _events_schema()
YEARLY_SCHEMA = _yearly_schema()


def _conform(df: pd.DataFrame, columns: dict[str, str], required: tuple[str, ...], what: str) -> pd.DataFrame:
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(f"{what} table lacks required columns {missing}")
    extra = [c for c in df.columns if c not in columns]
    if extra:
        raise ValueError(f"{what} table has columns outside the schema: {extra}")
    n = len(df)
    out: dict[str, object] = {}
    for col, dtype in columns.items():
        if col not in df.columns:
            out[col] = _missing_column(dtype, n)
            continue
        values = df[col]
        try:
            if dtype == "float64" and values.dtype == object:
                values = values.astype("Float64")  # pd.NA cannot go straight to numpy float
            out[col] = values.astype(dtype).array  # positions, not labels: the table gets a fresh RangeIndex
        except (ValueError, TypeError, OverflowError) as exc:
            raise SourceFormatError(f"{_whose(df, what)}: column {col!r} cannot be stored as {dtype} "
                                    f"({type(exc).__name__}: {exc})") from exc
    return pd.DataFrame(out, index=pd.RangeIndex(n))  # built once (not column by column)


def _missing_column(dtype: str, n: int) -> object:
    """An optional column the table lacks: n missing values made directly in its dtype (NaT, NaN or <NA>),
    not cast from a column of Python objects."""
    if dtype.startswith("datetime"):
        return np.full(n, np.datetime64("NaT"), dtype=dtype)
    if dtype == "float64":
        return np.full(n, np.nan)
    if dtype == "string":
        return pd.arrays.ArrowStringArray(pyarrow.nulls(n, pyarrow.large_string()))
    if dtype == "boolean":
        return pd.arrays.BooleanArray(np.zeros(n, dtype=bool), np.ones(n, dtype=bool))
    if dtype in ("Int8", "Int16", "Int32", "Int64"):
        return pd.arrays.IntegerArray(np.zeros(n, dtype=dtype.lower()), np.ones(n, dtype=bool))
    return pd.array([pd.NA] * n, dtype=dtype)


def _sources(df: pd.DataFrame, rows: object = None) -> list[str]:
    """The distinct sources of the given row labels (all rows when None), as text, sorted."""
    if "source" not in df.columns:
        return []
    source = df["source"] if rows is None else df["source"].reindex(pd.Index(rows).unique())
    return sorted(str(s) for s in source.dropna().unique())


def _whose(df: pd.DataFrame, what: str, rows: object = None) -> str:
    names = _sources(df, rows)
    return f"{what} rows of source {', '.join(repr(s) for s in names)}" if names else f"{what} rows"


def _validate(out: pd.DataFrame, schema: pa.DataFrameSchema, what: str) -> pd.DataFrame:
    """Validate a conformed table in place; a refusal names the source(s) and the column of the failing
    rows, then gives pandera's own report (check and failure cases)."""
    try:
        return schema.validate(out, inplace=True)  # out is our own fresh frame
    except pandera.errors.SchemaError as exc:
        cases = exc.failure_cases
        rows = None
        if isinstance(cases, pd.DataFrame) and "index" in cases.columns and cases["index"].notna().any():
            rows = cases["index"].dropna().tolist()
        column = getattr(exc, "column_name", None) or getattr(getattr(exc, "schema", None), "name", None)
        where = f"column {column!r}" if column and column in out.columns else "table check"
        raise SourceFormatError(f"values outside the schema in {_whose(out, what, rows)}, {where}: {exc}") from exc


def conform_events(df: pd.DataFrame, validate: bool = True) -> pd.DataFrame:
    """Add absent optional columns as missing, cast, order and validate an events table.

    validate=False only casts and orders: for a concatenation of tables that were each validated already
    (the build's per-source tables, every one checked by its adapter before it was cached).
    Raises SourceFormatError naming the source(s) and the column when a value cannot be cast or the schema
    refuses it (ValueError for missing or unknown columns)."""
    out = _conform(df, EVENT_COLUMNS, EVENT_REQUIRED, "events")
    return validate_events(out) if validate else out


def conform_yearly(df: pd.DataFrame, validate: bool = True) -> pd.DataFrame:
    """Add absent optional columns as missing, cast, order and validate a yearly table (validate=False: as
    `conform_events`)."""
    out = _conform(df, YEARLY_COLUMNS, YEARLY_REQUIRED, "yearly")
    return validate_yearly(out) if validate else out


def validate_events(events: pd.DataFrame) -> pd.DataFrame:
    """Validate a conformed events table (columns, dtypes and order as `conform_events` gives) in place against
    EVENTS_SCHEMA and return it. SourceFormatError names the source(s) and column of the refused rows."""
    return _validate(events, EVENTS_SCHEMA, "events")


def validate_yearly(yearly: pd.DataFrame) -> pd.DataFrame:
    """As `validate_events`, for a conformed yearly table (YEARLY_SCHEMA)."""
    return _validate(yearly, YEARLY_SCHEMA, "yearly")


def empty_events() -> pd.DataFrame:
    """An events table with no rows (the schema's columns and dtypes; no rows, so nothing to validate)."""
    return conform_events(pd.DataFrame({c: [] for c in EVENT_REQUIRED}), validate=False)


def empty_yearly() -> pd.DataFrame:
    """A yearly table with no rows (as `empty_events`)."""
    return conform_yearly(pd.DataFrame({c: [] for c in YEARLY_REQUIRED}), validate=False)


def dates_from_parts(year: pd.Series, month: pd.Series, day: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(date, precision) from year/month/day where a missing or 0 part means unknown.

    The date is the first day known: the exact day, the 1st of the month, or January 1st.
    An impossible day (e.g. 31 April) is treated as unknown day, not dropped.
    """
    y = pd.to_numeric(year, errors="coerce").astype("Int64")
    m = pd.to_numeric(month, errors="coerce").astype("Int64")
    d = pd.to_numeric(day, errors="coerce").astype("Int64")
    m = m.where((m >= 1) & (m <= 12))
    d = d.where((d >= 1) & (d <= 31) & m.notna())
    full = pd.to_datetime(
        pd.DataFrame({"year": y, "month": m.fillna(1), "day": d.fillna(1)}).astype("float64"),
        errors="coerce",
    )
    bad_day = d.notna() & full.isna()
    d = d.where(~bad_day)
    full = pd.to_datetime(
        pd.DataFrame({"year": y, "month": m.fillna(1), "day": d.fillna(1)}).astype("float64"),
        errors="coerce",
    )
    precision = pd.Series("year", index=year.index, dtype="string")
    precision = precision.mask(m.notna(), "month").mask(d.notna(), "day")
    return full.astype("datetime64[ns]"), precision


def mark_duplicate_events(events: pd.DataFrame, duplicates_of: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mark rows that repeat another source's event (same event_id) with `duplicate_of`.

    duplicates_of: source key -> the source whose rows it repeats (the registry's `duplicates_of`; the
    other source's row is kept as the primary, e.g. GED Syria, dated to the day, over GED Syria-Iraq, dated to
    the year). Returns the events with `duplicate_of` set and a table (source, duplicates_of, rows) of how
    many rows each source repeats, for the ledger. Rows are never dropped here.
    """
    out = events.copy(deep=False)  # the other columns are shared, not copied; duplicate_of is a new column
    out["duplicate_of"] = (events["duplicate_of"].astype("string").copy() if "duplicate_of" in events.columns
                           else pd.Series(pd.NA, index=out.index, dtype="string"))
    counts = []
    if duplicates_of:
        source = out["source"].to_numpy(dtype=object)
        event_id = pyarrow.array(out["event_id"].astype("string").to_numpy(dtype=object),
                                 type=pyarrow.string(), from_pandas=True)
    for src, primary in duplicates_of.items():
        mine = source == src
        # membership through Arrow's hash set (a Python set of the ids is slower by two orders)
        ids = event_id.filter(pyarrow.array(source == primary))
        hit = mine & np.asarray(pc.is_in(event_id, value_set=ids).fill_null(False))
        if hit.any():
            out.loc[hit, "duplicate_of"] = (primary + ":" + out.loc[hit, "event_id"].astype(str)).astype("string")
        counts.append({"source": src, "duplicates_of": primary, "rows": int(hit.sum())})
    out["duplicate_of"] = out["duplicate_of"].astype("string")
    return out, pd.DataFrame(counts, columns=["source", "duplicates_of", "rows"])
