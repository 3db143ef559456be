"""Schema refusals name the source and the column of the refused rows (and the file, where the adapter knows
it)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from externalize.errors import SourceFormatError
from externalize.registry import load_registry
from externalize.schema import conform_events
from externalize.sources import adapter_for

REGISTRY = load_registry()


def _rows(source: str, **over) -> pd.DataFrame:
    base = {"source": [source, source], "event_id": ["1", "2"], "year": [2014, 2014], "month": [8, 9],
            "day": [8, pd.NA], "date_precision": ["day", "month"],
            "date": pd.to_datetime(["2014-08-08", "2014-09-01"]), "n": [1, 1]}
    base.update(over)
    return pd.DataFrame(base)


def _read(key: str, path: Path) -> pd.DataFrame:
    spec = REGISTRY[key]
    out = adapter_for(spec.adapter).read(spec, {"main": path})
    out.check_balance(key)
    return out.events


def _ged_with_bad_latitude(fixtures_dir: Path, tmp_path: Path) -> Path:
    df = pd.read_csv(fixtures_dir / "ucdp" / "GEDEvent_v23_1_sample.csv", dtype=str, keep_default_na=False)
    df.loc[0, "latitude"] = "200.5"
    p = tmp_path / "GEDEvent_v23_1.csv"
    df.to_csv(p, index=False)
    return p


@pytest.mark.parametrize("override, column, message", [
    ({"latitude": [10.0, 200.0]}, "latitude", "in_range"),
    ({"date_precision": ["day", "week"]}, "date_precision", "isin"),
    ({"fatalities": [1.0, -3.0]}, "fatalities", "greater_than_or_equal_to"),
])
def test_a_refused_value_names_source_and_column(override, column, message) -> None:
    with pytest.raises(SourceFormatError, match=rf"source 'gtd0814', column '{column}'.*{message}"):
        conform_events(_rows("gtd0814", **override))


def test_a_value_that_cannot_be_cast_names_source_and_column() -> None:
    with pytest.raises(SourceFormatError, match=r"source 'pirus': column 'month' cannot be stored as Int8"):
        conform_events(_rows("pirus", month=[8, "August"]))


def test_table_checks_name_the_source_of_the_failing_rows() -> None:
    table = pd.concat([_rows("centcom_strikes"), _rows("csis_us", event_id=["7", "7"])], ignore_index=True)
    with pytest.raises(SourceFormatError, match=r"source 'csis_us', table check.*duplicate") as info:
        conform_events(table)
    assert "centcom_strikes" not in str(info.value).split(":")[0]


def test_a_bad_value_in_one_adapters_output_is_refused_naming_file_source_and_column(fixtures_dir: Path,
                                                                                     tmp_path: Path) -> None:
    """A real adapter on a fixture fed a latitude of 200.5 is refused, and the message names the file, the
    source and the column; the same fixture without the bad value passes."""
    bad_file = _ged_with_bad_latitude(fixtures_dir, tmp_path)
    with pytest.raises(SourceFormatError, match=r"GEDEvent_v23_1\.csv: values outside the schema in events "
                                                r"rows of source 'ucdp_ged_global', column 'latitude'"):
        _read("ucdp_ged_global", bad_file)
    assert len(_read("ucdp_ged_global", fixtures_dir / "ucdp" / "GEDEvent_v23_1_sample.csv"))


def test_empty_tables_have_the_schema_and_pass_it() -> None:
    from externalize.schema import EVENTS_SCHEMA, YEARLY_SCHEMA, empty_events, empty_yearly

    events, yearly = empty_events(), empty_yearly()
    assert len(events) == 0 and len(yearly) == 0
    EVENTS_SCHEMA.validate(events)
    YEARLY_SCHEMA.validate(yearly)
    assert list(events.columns) == list(conform_events(events).columns)
