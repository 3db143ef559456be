"""A SYNTHETIC UCDP GED release in the full GED CSV layout (codebook v23.1, 49 columns), at full scale.

For tests and benchmarks only; never for findings. The file is named GEDEvent_vSYNTHETIC.csv; every row's
`source_article`, `source_office` and `conflict_name` say SYNTHETIC, and `GEDEvent_vSYNTHETIC.expected.json`
beside it records the seed and the counts built in (rows per dyad, per type of violence, per date_prec code,
per year, and how many events span more than one month), so tests can check loading end to end.

The dyads are a fixed menu that includes AQ- and IS-family actors in the way UCDP writes them (IS against
Jabhat Fateh al-Sham, the coalition string "IS, Jabhat Fateh al-Sham", AQAP, al-Qaida) plus dyads with no
family actor, each in one country (coordinates are random and do not lie in it). Dates: day uniform in
1989-2022; date_prec mostly 1 (90%; GED Syria has 93%), else 2-5; date_end is date_start plus a span that
matches the code (0 days for code 1, 1-5 for 2, 6 for 3, 8-30 for 4, 31-300 for 5, cut at 31 December).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from externalize.sources.ucdp_ged import GED_COLUMNS
from externalize.synthetic import SYNTHETIC_MARK, write_csv

FILE_NAME = "GEDEvent_vSYNTHETIC.csv"

# (side_a, side_b, type_of_violence, country, region, weight); the family dyads carry about 15% of the rows
DYADS: tuple[tuple[str, str, int, str, str, float], ...] = (
    ("IS", "Jabhat Fateh al-Sham", 2, "Syria", "Middle East", 0.02),
    ("IS, Jabhat Fateh al-Sham", "PYD", 2, "Syria", "Middle East", 0.01),
    ("Government of Syria", "IS", 1, "Syria", "Middle East", 0.04),
    ("Government of Iraq", "IS", 1, "Iraq", "Middle East", 0.03),
    ("IS", "Civilians", 3, "Iraq", "Middle East", 0.02),
    ("Government of Yemen (North Yemen)", "AQAP", 1, "Yemen (North Yemen)", "Middle East", 0.01),
    ("AQAP", "Civilians", 3, "Yemen (North Yemen)", "Middle East", 0.01),
    ("Government of United States of America", "al-Qaida", 1, "Afghanistan", "Asia", 0.01),
    ("Government of India", "CPI-Maoist", 1, "India", "Asia", 0.12),
    ("Government of Colombia", "FARC", 1, "Colombia", "Americas", 0.12),
    ("Sinaloa Cartel", "Jalisco Cartel New Generation", 2, "Mexico", "Americas", 0.10),
    ("Fulani", "Yoruba", 2, "Nigeria", "Africa", 0.10),
    ("Government of Myanmar (Burma)", "KIO", 1, "Myanmar (Burma)", "Asia", 0.15),
    ("Government of Myanmar (Burma)", "Civilians", 3, "Myanmar (Burma)", "Asia", 0.10),
    ("Government of DR Congo (Zaire)", "M23", 1, "DR Congo (Zaire)", "Africa", 0.15),
)
FAMILY_NAMES = ("IS", "Jabhat Fateh al-Sham", "AQAP", "al-Qaida")
DATE_PREC_WEIGHTS = {1: 0.90, 2: 0.05, 3: 0.01, 4: 0.025, 5: 0.015}


def _has_family_actor(side: str) -> bool:
    return any(part.strip() in FAMILY_NAMES for part in side.split(","))


def _ged_date_text(d: pd.Series) -> pd.Series:
    # the GED CSV writes dates with a time part
    return d.dt.strftime("%Y-%m-%d") + " 00:00:00.000"


def synthetic_ged_frame(n_rows: int = 300_000, seed: int = 0) -> pd.DataFrame:
    """The synthetic release as a DataFrame in GED CSV layout (all 49 columns, file order)."""
    rng = np.random.default_rng(seed)
    weights = np.array([w for *_, w in DYADS])
    dyad = rng.choice(len(DYADS), size=n_rows, p=weights / weights.sum())
    side_a = np.array([d[0] for d in DYADS], dtype=object)[dyad]
    side_b = np.array([d[1] for d in DYADS], dtype=object)[dyad]
    tov = np.array([d[2] for d in DYADS])[dyad]

    first, last = pd.Timestamp("1989-01-01"), pd.Timestamp("2022-12-31")
    start = first + pd.to_timedelta(rng.integers(0, (last - first).days + 1, n_rows), unit="D")
    codes = np.array(list(DATE_PREC_WEIGHTS))
    prec = rng.choice(codes, size=n_rows, p=np.array(list(DATE_PREC_WEIGHTS.values())))
    span = np.select(
        [prec == 1, prec == 2, prec == 3, prec == 4],
        [0, rng.integers(1, 6, n_rows), 6, rng.integers(8, 31, n_rows)],
        default=rng.integers(31, 301, n_rows))
    end = start + pd.to_timedelta(span, unit="D")
    year_end = pd.to_datetime(pd.Series(start.year.astype(str)) + "-12-31").to_numpy()
    end = pd.DatetimeIndex(np.minimum(end.to_numpy(), year_end))

    deaths = rng.poisson([1.5, 1.5, 0.7, 0.3], size=(n_rows, 4))
    deaths[tov == 3, 0:2] = 0
    deaths[(tov == 3) & (deaths[:, 2] == 0), 2] = 1  # one-sided events kill at least one civilian
    deaths[(tov != 3) & (deaths.sum(axis=1) == 0), 0] = 1  # every GED event has a death
    best = deaths.sum(axis=1)
    low = np.maximum(best - rng.integers(0, 2, n_rows), 1)
    high = best + rng.integers(0, 4, n_rows)
    lat = rng.uniform(-40, 60, n_rows).round(6)
    lon = rng.uniform(-100, 140, n_rows).round(6)
    ids = np.arange(1, n_rows + 1)
    dyad_name = pd.Series(side_a).str.cat(pd.Series(side_b), sep=" - ")
    text = np.full(n_rows, f"{SYNTHETIC_MARK} record, not UCDP data", dtype=object)
    country = np.array([d[3] for d in DYADS], dtype=object)[dyad]
    region = np.array([d[4] for d in DYADS], dtype=object)[dyad]
    country_codes = {c: 900 + i for i, c in enumerate(sorted({d[3] for d in DYADS}))}  # made-up codes
    start_s, end_s = pd.Series(start), pd.Series(end)
    cols = {
        "id": ids, "relid": "SYN-" + pd.Series(ids).astype(str), "year": start.year,
        "active_year": 1, "code_status": "Clear", "type_of_violence": tov,
        "conflict_dset_id": 90000 + dyad, "conflict_new_id": 90000 + dyad,
        "conflict_name": f"{SYNTHETIC_MARK}: " + dyad_name, "dyad_dset_id": 80000 + dyad,
        "dyad_new_id": 80000 + dyad, "dyad_name": dyad_name, "side_a_dset_id": 7000 + dyad,
        "side_a_new_id": 7000 + dyad, "side_a": side_a, "side_b_dset_id": 6000 + dyad,
        "side_b_new_id": 6000 + dyad, "side_b": side_b, "number_of_sources": 1,
        "source_article": text, "source_office": SYNTHETIC_MARK, "source_date": _ged_date_text(start_s),
        "source_headline": text, "source_original": SYNTHETIC_MARK,
        "where_prec": rng.integers(1, 8, n_rows), "where_coordinates": f"{SYNTHETIC_MARK} place",
        "where_description": f"{SYNTHETIC_MARK} place", "adm_1": "", "adm_2": "",
        "latitude": lat, "longitude": lon,
        "geom_wkt": "POINT (" + pd.Series(lon).astype(str) + " " + pd.Series(lat).astype(str) + ")",
        "priogrid_gid": rng.integers(1, 259200, n_rows), "country": country,
        "country_id": pd.Series(country).map(country_codes), "region": region,
        "event_clarity": 1, "date_prec": prec, "date_start": _ged_date_text(start_s),
        "date_end": _ged_date_text(end_s), "deaths_a": deaths[:, 0], "deaths_b": deaths[:, 1],
        "deaths_civilians": deaths[:, 2], "deaths_unknown": deaths[:, 3], "best": best, "high": high,
        "low": low, "gwnoa": "", "gwnob": "",
    }
    frame = pd.DataFrame({c: cols[c] for c in GED_COLUMNS})
    return frame


def expected_counts(frame: pd.DataFrame, seed: int) -> dict:
    """What the release contains, computed from the generated table (the sidecar JSON).

    `rows_with_family_actor` counts rows naming one of FAMILY_NAMES on either side, whatever the year; the
    study's taxonomy may date some of them out of a family (it stops counting Jabhat Fateh al-Sham as AQ
    after a cut-off), so end-to-end checks through classification should use `rows_by_dyad_year`.
    """
    start = pd.to_datetime(frame["date_start"].str.slice(0, 10))
    end = pd.to_datetime(frame["date_end"].str.slice(0, 10))
    spans = (end.dt.year * 12 + end.dt.month) > (start.dt.year * 12 + start.dt.month)
    def family_side(side: pd.Series) -> pd.Series:  # a few distinct strings: test each once
        return side.map({v: _has_family_actor(v) for v in side.unique()})

    family = family_side(frame["side_a"]) | family_side(frame["side_b"])
    dyads = frame.groupby(["side_a", "side_b"]).size()
    return {
        "synthetic": True,
        "note": f"{SYNTHETIC_MARK} GED-format release for tests and benchmarks; not UCDP data",
        "seed": seed,
        "n_rows": len(frame),
        "rows_with_family_actor": int(family.sum()),
        "rows_by_dyad": {f"{a} || {b}": int(n) for (a, b), n in dyads.items()},
        # per year too, so that a dated taxonomy (e.g. Nusra counted AQ until a cut-off) can be checked
        "rows_by_dyad_year": {
            f"{a} || {b}": {str(y): int(n) for y, n in grp.groupby(start.dt.year[grp.index]).size().items()}
            for (a, b), grp in frame.groupby(["side_a", "side_b"])},
        "rows_by_type_of_violence": {str(k): int(v) for k, v in frame["type_of_violence"].value_counts().items()},
        "rows_by_date_prec": {str(k): int(v) for k, v in frame["date_prec"].value_counts().items()},
        "rows_by_year": {str(k): int(v) for k, v in start.dt.year.value_counts().sort_index().items()},
        "rows_spanning_months": int(spans.sum()),
        # those the adapter keeps at day or month precision (date_prec 1-4) and counts in date_start's month
        "rows_spanning_months_prec_1_4": int((spans & (frame["date_prec"] <= 4)).sum()),
        "best_total": int(frame["best"].sum()),
    }


def write_ged_release(path: Path, n_rows: int = 300_000, seed: int = 0) -> Path:
    """Write GEDEvent_vSYNTHETIC.csv (+ .expected.json) into the folder `path`; return the CSV's path."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    frame = synthetic_ged_frame(n_rows, seed)
    out = folder / FILE_NAME
    write_csv(frame, out)
    (folder / f"{FILE_NAME}.expected.json").write_text(json.dumps(expected_counts(frame, seed), indent=2))
    return out
