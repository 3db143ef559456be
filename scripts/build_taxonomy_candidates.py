"""List every raw actor string in the real name lists, with its scheme, where it occurs, and whether it carries
a family marker (externalize.taxonomy.MARKER_PATTERNS) and is already listed in data/taxonomy/actors.csv.

The taxonomy itself is curated by hand; this script makes the curation reproducible: it shows which strings
must be decided (marker present, not listed) and which listed strings no longer occur.

    python scripts/build_taxonomy_candidates.py [--data-dir ../shared/data] [--all] [--out candidates.csv]

Without --all only strings with a marker are printed. Names are read straight from the raw files (not through
the source adapters) so that the list does not depend on adapter choices.
"""

from __future__ import annotations

import argparse
import io
import lzma
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from externalize.taxonomy import has_marker, load_taxonomy

ROOT = Path(__file__).resolve().parents[1]


def _csv(path: Path, **kw) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, **kw)


def _values(df: pd.DataFrame, cols: list[str]) -> Iterator[str]:
    for c in cols:
        if c in df.columns:
            yield from (v.strip() for v in df[c] if isinstance(v, str) and v.strip())


def _read_rds(path: Path):
    import rdata  # only needed here

    with warnings.catch_warnings():
        # rdata falls back from the tibble classes to data.frame and says so; the data are unaffected
        warnings.filterwarnings("ignore", message=r"Missing constructor for R class", category=UserWarning)
        return rdata.read_rds(io.BytesIO(lzma.decompress(path.read_bytes())))


def name_lists(data: Path, heavy: bool = True) -> Iterator[tuple[str, str, str]]:
    """(scheme, raw string, file) for every actor string in the real files.

    heavy=False skips the three slow files (GTD0814.rds, syria-iraq.rds, the PIRUS workbook; about 20 s)."""
    u = data / "ucdp"
    actors = _csv(u / "ucdp-actor-221.csv.xz")
    for col in ("NameData", "NameOrig", "NameOrigFull"):
        for v in _values(actors, [col]):
            yield "ucdp", v, f"ucdp-actor-221:{col}"
    for v in _values(actors, ["NewName"]):  # a list of later names, comma-separated
        for part in v.split(","):
            if part.strip():
                yield "ucdp", part.strip(), "ucdp-actor-221:NewName"
    ns = _csv(u / "Nonstate_v23_1.csv.xz")
    for v in _values(ns, ["side_a_name", "side_b_name"]):
        yield "ucdp", v, "Nonstate_v23_1"
    os_ = _csv(u / "OneSided_v23_1.csv.xz")
    for v in _values(os_, ["actor_name"]):
        yield "ucdp", v, "OneSided_v23_1"
    bd = _csv(u / "BattleDeaths_v23_1.csv.xz")
    for v in _values(bd, ["side_a", "side_b", "side_a_2nd", "side_b_2nd"]):
        yield "ucdp", v, "BattleDeaths_v23_1"
    ged = _csv(u / "ged_syria_from_rds.csv.xz")
    for v in _values(ged, ["side_a", "side_b"]):
        yield "ucdp", v, "ged_syria_from_rds"
    if heavy:
        rds = _read_rds(u / "syria-iraq.rds.xz")
        for v in _values(pd.DataFrame({c: rds[c].astype(str) for c in ("side_a", "side_b")}), ["side_a", "side_b"]):
            yield "ucdp", v, "syria-iraq.rds"

    g = data / "gtd"
    for line in lzma.decompress((g / "gtd_gname_values_list.txt.xz").read_bytes()).decode("utf-8-sig").splitlines():
        if line.strip():
            yield "gtd", line.strip(), "gtd_gname_values_list"
    for v in _values(_csv(g / "France_inc.csv.xz", encoding="utf-8-sig"), ["gname", "gname2", "gname3"]):
        yield "gtd", v, "France_inc"
    for v in _values(_csv(g / "world_inc.csv.xz", encoding="utf-8-sig"), ["gname"]):
        yield "gtd", v, "world_inc"
    for v in _values(_csv(data / "gtd_us_2013_2016" / "GTD.csv.xz", encoding="latin-1"), ["gname"]):
        yield "gtd", v, "gtd_us_2013_2016"
    deg = _csv(data / "gtd_0718_degraded_teaching_copy" / "terrorism_act.csv.xz", sep=";", encoding="utf-8-sig")
    for v in _values(deg, ["gname"]):
        yield "gtd", v, "gtd_0718_degraded"
    if heavy:
        gtd0814 = _read_rds(g / "GTD0814.rds.xz")
        for c in ("gname", "gname2", "gname3"):
            for v in pd.Series(gtd0814[c]).dropna().astype(str):
                if v.strip():
                    yield "gtd", v.strip(), "GTD0814"

    m = data / "mapping_militants"
    for v in _values(_csv(m / "Militant-Group-Relationships-clean.csv.xz"), ["group1_name", "group2_name"]):
        yield "mmp", v, "Militant-Group-Relationships-clean"
    for v in _values(_csv(m / "Militant-Group-Key.csv.xz"), ["name"]):
        yield "mmp", v, "Militant-Group-Key"

    gade = data / "syria_infighting_gade2019"
    for f in ("Infighting30_2014_6Sep2017.csv.xz", "fullfighting_Matrix_all44_8June2018.csv.xz"):
        for c in _csv(gade / f).columns[1:]:
            yield "gade", c.strip(), f.removesuffix(".csv.xz")

    if not heavy:
        return
    import openpyxl  # only needed here

    wb = openpyxl.load_workbook(io.BytesIO(lzma.decompress((data / "pirus" / "PIRUS_Public_May2020.xlsx.xz")
                                                           .read_bytes())), read_only=True)
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [str(h) for h in next(rows)]
    idx = [header.index(c) for c in ("Terrorist_Group_Name1", "Terrorist_Group_Name2", "Terrorist_Group_Name3")]
    for r in rows:
        for i in idx:
            v = r[i]
            if isinstance(v, str) and v.strip() and v.strip() not in ("-99", "-88"):
                yield "pirus", v.strip(), "PIRUS_Public_May2020"


def candidates(data: Path, all_names: bool = False, heavy: bool = True) -> pd.DataFrame:
    tax = load_taxonomy()
    rows = pd.DataFrame(list(name_lists(data, heavy)), columns=["scheme", "raw_name", "file"])
    out = (rows.groupby(["scheme", "raw_name"], sort=True)
           .agg(occurrences=("file", "size"), files=("file", lambda s: ";".join(sorted(set(s)))))
           .reset_index())
    out["marker"] = out["raw_name"].map(has_marker)
    out["listed"] = [tax.is_listed(n, s) for n, s in zip(out["raw_name"], out["scheme"], strict=True)]
    out["unmapped_components"] = [";".join(tax.marker_unmapped([n], s)) if m else ""
                                  for n, s, m in zip(out["raw_name"], out["scheme"], out["marker"], strict=True)]
    return out if all_names else out[out["marker"]].reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--all", action="store_true", help="list every string, not only those with a marker")
    ap.add_argument("--out", type=Path, help="write CSV here instead of stdout")
    args = ap.parse_args(argv)
    out = candidates(args.data_dir, args.all)
    if args.out:
        out.to_csv(args.out, index=False)
    else:
        out.to_csv(sys.stdout, index=False)
    todo = out[out["marker"] & (out["unmapped_components"] != "")]
    print(f"{len(out)} strings listed; {len(todo)} with a family marker still to decide", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
