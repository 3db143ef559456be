"""A SYNTHETIC Global Terrorism Database release in the full 135-column codebook layout, CSV or XLSX.

For tests and benchmarks only; never for findings. The file is named globalterrorismdb_SYNTHETIC.csv (or
.xlsx), the columns are those of data/gtd_codebook_columns.txt in that order, every row's `summary`,
`scite1` and `dbsource` say SYNTHETIC, and `<file>.expected.json` beside it records the seed and the counts
built in: rows per perpetrator name and year, rows naming an AQ- or IS-family group (in gname, gname2 or
gname3), joint rows (two or more perpetrators), rows per date precision (imonth / iday = 0 means unknown),
guncertain and doubtterr flags, the nkill total.

The perpetrators are a fixed menu written as GTD writes them: AQ and IS family groups (ISIL, al-Nusrah
Front, AQAP, AQIM, al-Shabaab, al-Qaida) and non-family groups, "Unknown" included. About 3% of rows have a
second perpetrator and 1% a third. Years 1970-2017; imonth 0 in 0.5% of rows and iday 0 in 1.5% (one GTD
code for an unknown part); a few impossible calendar days (31 April) are written on purpose, as GTD has
them. Targets, nationalities, countries and regions are drawn from codebook-consistent pairs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from externalize.sources.gtd import CODEBOOK_COLUMNS, TARGTYPE_TXT
from externalize.synthetic import SYNTHETIC_MARK, write_csv

FILE_STEM = "globalterrorismdb_SYNTHETIC"

# (gname, family or "", weight)
GROUPS: tuple[tuple[str, str, float], ...] = (
    ("Islamic State of Iraq and the Levant (ISIL)", "IS", 0.04),
    ("Al-Nusrah Front", "AQ", 0.01),
    ("Al-Qaida in the Arabian Peninsula (AQAP)", "AQ", 0.01),
    ("Al-Qaida in the Islamic Maghreb (AQIM)", "AQ", 0.005),
    ("Al-Shabaab", "AQ", 0.02),
    ("Al-Qaida", "AQ", 0.005),
    ("Unknown", "", 0.45),
    ("Taliban", "", 0.08),
    ("Revolutionary Armed Forces of Colombia (FARC)", "", 0.06),
    ("New People's Army (NPA)", "", 0.05),
    ("Communist Party of India - Maoist (CPI-Maoist)", "", 0.05),
    ("Irish Republican Army (IRA)", "", 0.05),
    ("Basque Fatherland and Freedom (ETA)", "", 0.05),
    ("Shining Path (SL)", "", 0.06),
    ("Front de Libération Nationale de la Corse (FLNC)", "", 0.05),
)
FAMILY_NAMES: dict[str, str] = {g: f for g, f, _ in GROUPS if f}
# (country, region, natlty == country)
PLACES: tuple[tuple[str, str], ...] = (
    ("Iraq", "Middle East & North Africa"), ("Syria", "Middle East & North Africa"),
    ("Yemen", "Middle East & North Africa"), ("Somalia", "Sub-Saharan Africa"),
    ("Afghanistan", "South Asia"), ("India", "South Asia"), ("Colombia", "South America"),
    ("Peru", "South America"), ("Philippines", "Southeast Asia"), ("France", "Western Europe"),
    ("United Kingdom", "Western Europe"), ("Spain", "Western Europe"), ("United States", "North America"),
)
NATIONALITIES = tuple(c for c, _ in PLACES) + ("Multinational", "International")


def synthetic_gtd_frame(n_rows: int = 200_000, seed: int = 0) -> pd.DataFrame:
    """The synthetic release as a DataFrame in the 135-column codebook layout (file order)."""
    rng = np.random.default_rng(seed)
    names = np.array([g for g, _, _ in GROUPS], dtype=object)
    w = np.array([x for *_, x in GROUPS])
    g1 = names[rng.choice(len(GROUPS), n_rows, p=w / w.sum())]
    has2 = rng.random(n_rows) < 0.03
    has3 = has2 & (rng.random(n_rows) < 1 / 3)
    g2 = np.where(has2, names[rng.integers(0, len(GROUPS), n_rows)], "")
    g3 = np.where(has3, names[rng.integers(0, len(GROUPS), n_rows)], "")

    year = rng.integers(1970, 2018, n_rows)
    month = rng.integers(1, 13, n_rows)
    day = rng.integers(1, 29, n_rows)
    odd = rng.random(n_rows) < 0.001          # impossible calendar days, as GTD has a few
    month = np.where(odd, 4, month)
    day = np.where(odd, 31, day)
    day = np.where(rng.random(n_rows) < 0.015, 0, day)
    month_unknown = rng.random(n_rows) < 0.005
    month = np.where(month_unknown, 0, month)
    day = np.where(month_unknown, 0, day)
    date_key = pd.Series(year * 10000 + month * 100 + day)
    seq = date_key.groupby(date_key).cumcount().to_numpy() + 1
    eventid = date_key.to_numpy().astype(np.int64) * 10000 + seq

    place = rng.integers(0, len(PLACES), n_rows)
    country = np.array([p[0] for p in PLACES], dtype=object)[place]
    region = np.array([p[1] for p in PLACES], dtype=object)[place]
    codes = np.array(sorted(TARGTYPE_TXT))
    tt = codes[rng.integers(0, len(codes), (n_rows, 3))]
    n_targets = np.where(rng.random(n_rows) < 0.05, 2, 1)
    nat = np.array(NATIONALITIES, dtype=object)[rng.integers(0, len(NATIONALITIES), (n_rows, 3))]
    nat[:, 0] = np.where(rng.random(n_rows) < 0.8, country, nat[:, 0])
    nkill = rng.poisson(1.2, n_rows).astype(float)
    nkill[rng.random(n_rows) < 0.05] = np.nan
    guncertain1 = (rng.random(n_rows) < 0.08).astype(int)
    doubtterr = rng.choice([0, 1, -9], n_rows, p=[0.8, 0.15, 0.05])
    lat = rng.uniform(-40, 60, n_rows).round(6)
    lon = rng.uniform(-100, 140, n_rows).round(6)

    def second(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.where(mask, values, "")

    two = n_targets == 2
    cols: dict[str, object] = {c: "" for c in CODEBOOK_COLUMNS}
    cols.update({
        "eventid": eventid, "iyear": year, "imonth": month, "iday": day, "extended": 0,
        "country": place + 900, "country_txt": country, "region": 0, "region_txt": region,
        "provstate": f"{SYNTHETIC_MARK} province", "city": f"{SYNTHETIC_MARK} city",
        "latitude": lat, "longitude": lon, "specificity": 1, "vicinity": 0,
        "summary": f"{SYNTHETIC_MARK} record, not GTD data", "crit1": 1, "crit2": 1, "crit3": 1,
        "doubtterr": doubtterr, "multiple": (rng.random(n_rows) < 0.1).astype(int),
        "success": (rng.random(n_rows) < 0.9).astype(int), "suicide": (rng.random(n_rows) < 0.03).astype(int),
        "attacktype1": 3, "attacktype1_txt": "Bombing/Explosion",
        "targtype1": tt[:, 0], "targtype1_txt": pd.Series(tt[:, 0]).map(TARGTYPE_TXT).to_numpy(),
        "targtype2": second(tt[:, 1].astype(str), two),
        "targtype2_txt": second(pd.Series(tt[:, 1]).map(TARGTYPE_TXT).to_numpy(), two),
        "corp1": f"{SYNTHETIC_MARK} entity", "target1": f"{SYNTHETIC_MARK} target",
        "corp2": second(np.full(n_rows, f"{SYNTHETIC_MARK} entity", dtype=object), two),
        "target2": second(np.full(n_rows, f"{SYNTHETIC_MARK} target", dtype=object), two),
        "natlty1_txt": nat[:, 0], "natlty2_txt": second(nat[:, 1], two),
        "gname": g1, "gname2": g2, "gname3": g3,
        "guncertain1": guncertain1, "guncertain2": second(np.zeros(n_rows, dtype=int).astype(str), has2),
        "guncertain3": second(np.zeros(n_rows, dtype=int).astype(str), has3),
        "individual": 0, "claimed": rng.integers(0, 2, n_rows),
        "weaptype1": 6, "weaptype1_txt": "Explosives",
        "nkill": nkill, "nwound": rng.poisson(2.0, n_rows),
        "scite1": f"{SYNTHETIC_MARK} source", "dbsource": SYNTHETIC_MARK,
        "INT_LOG": -9, "INT_IDEO": -9, "INT_MISC": 0, "INT_ANY": -9,
    })
    # joint rows are "related" to themselves in GTD's comma list style; one id is enough here
    cols["related"] = np.where(has2, pd.Series(eventid).astype(str).to_numpy(), "")
    return pd.DataFrame({c: (cols[c] if not np.isscalar(cols[c]) else np.full(n_rows, cols[c], dtype=object))
                         for c in CODEBOOK_COLUMNS})


def _precision(frame: pd.DataFrame) -> pd.Series:
    m, d = frame["imonth"].astype(int), frame["iday"].astype(int)
    valid_day = pd.to_datetime(pd.DataFrame({"year": frame["iyear"].astype(int), "month": m.clip(1), "day": d.clip(1)}),
                               errors="coerce").notna()
    return pd.Series(np.where(m == 0, "year", np.where((d == 0) | ~valid_day, "month", "day")), index=frame.index)


def expected_counts(frame: pd.DataFrame, seed: int) -> dict:
    """What the release contains, computed from the generated table (the sidecar JSON)."""
    perps = frame[["gname", "gname2", "gname3"]].astype(str)
    in_family = {fam: perps.isin([g for g, f in FAMILY_NAMES.items() if f == fam]).any(axis=1) for fam in ("AQ", "IS")}
    family = in_family["AQ"] | in_family["IS"]
    joint = (perps["gname2"] != "")
    year = frame["iyear"].astype(int)
    return {
        "synthetic": True,
        "note": f"{SYNTHETIC_MARK} GTD-format release for tests and benchmarks; not START GTD data",
        "seed": seed,
        "n_rows": len(frame),
        "n_columns": frame.shape[1],
        "rows_with_family_actor": int(family.sum()),
        "rows_with_aq_actor": int(in_family["AQ"].sum()),
        "rows_with_is_actor": int(in_family["IS"].sum()),
        "rows_with_aq_and_is": int((in_family["AQ"] & in_family["IS"]).sum()),
        "rows_joint": int(joint.sum()),
        "rows_by_gname": {str(k): int(v) for k, v in frame["gname"].value_counts().sort_index().items()},
        "rows_by_gname_year": {str(g): {str(y): int(n) for y, n in grp.groupby(year[grp.index]).size().items()}
                               for g, grp in frame.groupby("gname")},
        "rows_by_year": {str(k): int(v) for k, v in year.value_counts().sort_index().items()},
        "rows_by_precision": {str(k): int(v) for k, v in _precision(frame).value_counts().sort_index().items()},
        "rows_guncertain": int((frame["guncertain1"].astype(int) == 1).sum()),
        "rows_doubtterr_1": int((frame["doubtterr"].astype(int) == 1).sum()),
        "nkill_total": float(pd.to_numeric(frame["nkill"]).sum()),
    }


def write_gtd_release(path: Path, n_rows: int = 200_000, seed: int = 0, fmt: str = "csv",
                      encoding: str = "utf-8") -> Path:
    """Write globalterrorismdb_SYNTHETIC.<fmt> (+ .expected.json) into the folder `path`; return the file.

    fmt "csv" or "xlsx" (one sheet, as START ships it). `encoding` applies to CSV only (START's older CSVs
    are Latin-1; the adapter reads both). Writing a full-size XLSX takes minutes (openpyxl).
    """
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"fmt must be 'csv' or 'xlsx', got {fmt!r}")
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    frame = synthetic_gtd_frame(n_rows, seed)
    out = folder / f"{FILE_STEM}.{fmt}"
    if fmt == "csv":
        write_csv(frame, out, encoding=encoding)
    else:
        frame.to_excel(out, index=False, engine="openpyxl")
    (folder / f"{out.name}.expected.json").write_text(json.dumps(expected_counts(frame, seed), indent=2))
    return out
