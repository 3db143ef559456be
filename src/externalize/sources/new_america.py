"""New America, "Terrorism in America after 9/11": the plots table, dated with help of the suspects table.

One event row per plot line (216 in the Kaggle mirror). relation "plot"; n = 1; country "United States";
side_a = plot_ideology ("Jihadist", "Right Wing", "Left Wing"; the taxonomy maps "Jihadist" to JIH);
fatalities = victims_killed. plot_status: "Prevented" -> "foiled", "Not Prevented" -> "launched"; a blank
status with an attack date -> "launched" (an attack date means the attack happened: 15 right- and left-wing
attacks); a blank status without one -> <NA>.

Dating (in this order; the basis of each row is given by `dating_basis`):
  1. attack_date (M/D/YYYY), given for attacks carried out      -> day precision ("attack_date")
  2. otherwise the earliest `date_charged` of the plot's suspects (linked by plot_ID, or by the plot name
     in the suspects' terror_plot / terror_plot2 when the plot has no id) -> YEAR precision only
     ("suspect charged"): a charge date is not the plot's date, but its year is the year New America
     files the case under
  3. otherwise the year that starts plot_name (New America names every case "YYYY <name>")
     -> year precision ("name year")
  4. otherwise the row is excluded under "no date" (counted).
In the Kaggle mirror: 34 plots dated by attack_date, 165 by a charge, 17 by the name year, none excluded.
For the 165 dated by a charge, the charge year equals the name year in 152 and differs by 1-4 years in 13
(charges filed after the plot year, mostly): year-precision plot counts are uncertain by about that much.
An attack_date that cannot be read is not passed over silently: the row falls to rule 2-4 and is counted
under `dating_basis` as such; a plot_ID repeated is excluded under "duplicate id". Rows without plot_ID
(11 in the mirror) get event_id "row<N>" (1-based data row), as the file gives them no id.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from externalize.registry import SourceSpec
from externalize.schema import conform_events, dates_from_parts
from externalize.sources.base import AdapterOutput, conformed, read_csv_strict, require_columns

SOURCE_IDS: tuple[str, ...] = ("new_america_plots",)
PLOT_COLUMNS = ("plot_ID", "plot_name", "plot_ideology", "plot_status", "attack_date", "victims_killed")
SUSPECT_COLUMNS = ("plot_ID", "terror_plot", "date_charged")
STATUS = {"Prevented": "foiled", "Not Prevented": "launched"}


def _mdy(raw: pd.Series) -> pd.Series:
    return pd.to_datetime(raw.astype("string").str.strip(), format="%m/%d/%Y", errors="coerce")


def _charge_years(plots: pd.DataFrame, suspects: pd.DataFrame | None) -> pd.Series:
    """Per plot: the year of its suspects' earliest date_charged (<NA> when none)."""
    if suspects is None:
        return pd.Series(pd.NA, index=plots.index, dtype="Int64")
    charged = _mdy(suspects["date_charged"])
    by_id: dict[str, pd.Timestamp] = {}
    by_name: dict[str, pd.Timestamp] = {}
    # a suspect row may link several plots ("46,47") and names its plot(s) in terror_plot / terror_plot2
    second = suspects["terror_plot2"] if "terror_plot2" in suspects.columns else pd.Series(pd.NA, index=suspects.index)
    for ids, names, when in zip(suspects["plot_ID"].astype("string"),
                                zip(suspects["terror_plot"].astype("string"), second.astype("string")),
                                charged):
        if pd.isna(when):
            continue
        for pid in ([] if pd.isna(ids) else [p.strip() for p in str(ids).split(",")]):
            by_id[pid] = min(by_id.get(pid, when), when)
        for nm in names:
            if not pd.isna(nm):
                by_name[str(nm).strip()] = min(by_name.get(str(nm).strip(), when), when)
    pid = plots["plot_ID"].astype("string").str.strip()
    name = plots["plot_name"].astype("string").str.strip()
    first = [by_id.get(p) if not pd.isna(p) else None for p in pid]
    first = [f if f is not None else (by_name.get(n) if not pd.isna(n) else None) for f, n in zip(first, name)]
    return pd.Series([pd.NA if f is None else f.year for f in first], index=plots.index, dtype="Int64")


def dating_basis(plots: pd.DataFrame, suspects: pd.DataFrame | None) -> pd.DataFrame:
    """Per plot row: year, month, day and the rule that dated it ("attack_date", "suspect charged",
    "name year", or <NA> for none)."""
    attack = _mdy(plots["attack_date"])
    charge_year = _charge_years(plots, suspects)
    name_year = pd.to_numeric(plots["plot_name"].astype("string").str.extract(r"^\s*((?:19|20)\d\d)\b")[0],
                              errors="coerce").astype("Int64")
    basis = pd.Series(pd.NA, index=plots.index, dtype="string")
    basis = basis.mask(name_year.notna(), "name year").mask(charge_year.notna(), "suspect charged")
    basis = basis.mask(attack.notna(), "attack_date")
    year = attack.dt.year.astype("Int64").fillna(charge_year).fillna(name_year)
    return pd.DataFrame({"year": year, "month": attack.dt.month.astype("Int64"),
                         "day": attack.dt.day.astype("Int64"), "basis": basis})


def normalise_plots(plots: pd.DataFrame, suspects: pd.DataFrame | None, source: str, path: Path,
                    suspects_path: Path | None = None) -> AdapterOutput:
    plots = require_columns(plots, PLOT_COLUMNS, path).reset_index(drop=True)
    if suspects is not None:
        suspects = require_columns(suspects, SUSPECT_COLUMNS, suspects_path or path).reset_index(drop=True)
    dates = dating_basis(plots, suspects)
    pid = plots["plot_ID"].astype("string").str.strip().replace("", pd.NA)
    event_id = pid.fillna("row" + pd.Series(np.arange(1, len(plots) + 1)).astype(str))
    excluded: dict[str, int] = {}
    drop = dates["basis"].isna()
    if drop.any():
        excluded["no date"] = int(drop.sum())
    dup = ~drop & event_id.where(~drop).duplicated(keep="first")
    if dup.any():
        excluded["duplicate id"] = int(dup.sum())
    drop |= dup
    date, precision = dates_from_parts(dates["year"].fillna(1970), dates["month"], dates["day"])
    raw_status = plots["plot_status"].astype("string").str.strip()
    status = raw_status.map(STATUS).astype("string")
    status = status.mask(raw_status.isna() & (dates["basis"] == "attack_date"), "launched")
    unknown_status = raw_status.notna() & status.isna()
    if (unknown_status & ~drop).any():
        excluded["unknown plot_status"] = int((unknown_status & ~drop).sum())
        drop |= unknown_status
    killed = pd.to_numeric(plots["victims_killed"], errors="coerce")
    events = pd.DataFrame({
        "source": source, "event_id": event_id, "year": date.dt.year,
        "month": dates["month"].where(precision != "year"), "day": dates["day"].where(precision == "day"),
        "date_precision": precision, "date": date, "country": "United States",
        "side_a": plots["plot_ideology"].astype("string").str.strip().replace("", pd.NA),
        "relation": "plot", "n": 1, "fatalities": killed, "plot_status": status,
    })[(~drop).to_numpy()]
    return AdapterOutput(rows_read=len(plots), events=conformed(conform_events, events, path), excluded=excluded)


def read(spec: SourceSpec, files: Mapping[str, Path]) -> AdapterOutput:
    path = Path(files["main"])
    sus_path = Path(files["suspects"]) if "suspects" in files else None
    suspects = read_csv_strict(sus_path) if sus_path else None
    return normalise_plots(read_csv_strict(path), suspects, spec.key, path, sus_path)
