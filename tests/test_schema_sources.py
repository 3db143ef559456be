"""Schema refusals name the source and the column of the refused rows, whether each adapter's table is
validated on its own (the default) or the adapters only cast and order (`schema.deferred_validation`) and the
combined table is validated once (`schema.validate_events`): no check is lost by validating once."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from externalize.errors import SourceFormatError
from externalize.registry import load_registry
from externalize.schema import conform_events, conform_yearly, deferred_validation, validate_events, validate_yearly
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


def test_deferred_tables_are_cast_not_validated_until_combined() -> None:
    with deferred_validation():
        good = conform_events(_rows("centcom_strikes"))
        bad = conform_events(_rows("nesser_cym", latitude=[10.0, 200.0]))   # not refused here
        yearly = conform_yearly(pd.DataFrame({"source": ["u"], "record_id": ["1"], "year": [2014], "n": [-1]}))
    assert str(bad["latitude"].dtype) == "float64" and str(bad["month"].dtype) == "Int8"
    combined = conform_events(pd.concat([good, bad], ignore_index=True), validate=False)
    with pytest.raises(SourceFormatError, match=r"source 'nesser_cym', column 'latitude'") as info:
        validate_events(combined)
    assert "centcom_strikes" not in str(info.value)
    with pytest.raises(SourceFormatError, match=r"yearly rows of source 'u', column 'n'"):
        validate_yearly(yearly)
    # outside the block every table is validated again
    with pytest.raises(SourceFormatError, match="nesser_cym"):
        conform_events(_rows("nesser_cym", latitude=[10.0, 200.0]))


def test_a_bad_value_in_one_adapters_output_is_refused_in_the_combined_table(fixtures_dir: Path,
                                                                             tmp_path: Path) -> None:
    """Two real adapters on fixtures, one fed a latitude of 200.5: with validation deferred, the combined
    table is refused and the message names that source and column, not the other source."""
    bad_file = _ged_with_bad_latitude(fixtures_dir, tmp_path)
    with pytest.raises(SourceFormatError, match=r"GEDEvent_v23_1\.csv: values outside the schema in events "
                                                r"rows of source 'ucdp_ged_global', column 'latitude'"):
        _read("ucdp_ged_global", bad_file)                      # validated on its own: refused, file named
    with deferred_validation():
        centcom = _read("centcom_strikes", fixtures_dir / "centcom" / "strikes_sample.csv.xz")
        ged = _read("ucdp_ged_global", bad_file)                # only cast: not refused yet
    combined = conform_events(pd.concat([centcom, ged], ignore_index=True), validate=False)
    with pytest.raises(SourceFormatError, match=r"source 'ucdp_ged_global', column 'latitude'.*200\.5") as info:
        validate_events(combined)
    assert "centcom_strikes" not in str(info.value)
    # the same two tables without the bad value pass, so the refusal above is the latitude's
    with deferred_validation():
        fine = _read("ucdp_ged_global", fixtures_dir / "ucdp" / "GEDEvent_v23_1_sample.csv")
    assert len(validate_events(conform_events(pd.concat([centcom, fine], ignore_index=True), validate=False)))
