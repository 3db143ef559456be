"""Explicit, numbered rules that put every event / yearly row into one class: clash, joint, external, other, none.

The rules, their order of precedence and their limits are documented in data/taxonomy/rules.md; the ids here
must match it (a test checks). In short, the first rule that applies wins:

  NONE-1        no AQ/IS/jihadist actor on either side
  EXCL-UNCERTAIN / EXCL-DOUBT   a family row the study config leaves out (GTD guncertain / doubtterr)
  CLASH-1       dyadic row: AQ family on one side, IS family on the other
  CLASH-2       MMP rivalry between an AQ- and an IS-family group
  JOINT-EXT-1   both families on one side (as JOINT-1) and the row also meets an external condition
  JOINT-1       both families on one side (UCDP coalition string, GTD gname | gname2 | gname3); not in plot
                sources, where several groups describe one person's or cell's ties
  JOINT-2       MMP alliance / affiliation / merger between an AQ- and an IS-family group
  EXT-PLOT-1    plot / individual sources (jihadist plots in the West; group named or not)
  EXT-FORCES-1  dyadic row: family actor against a coalition state's forces (member on the date)
  EXT-WEST-1    family actor, event in a Western country (any date)
  EXT-COAL-1    family actor, event in a non-Western coalition member on or after its joined date
  EXT-NAT-1     family actor, target nationality Western or of a coalition member on the date
  EXT-TOUR-1    family actor, target type "Tourists"
  OTHER-2       MMP split between an AQ- and an IS-family group
  OTHER-1       AQ- or IS-family actor, none of the above (the families' local activity)
  NONE-JIH      jihadist actor with no family named, not external (not part of either family's activity)

Everything is vectorised: families are computed once per unique actor string (taxonomy), coalition membership
once per unique country string, and the rules are boolean masks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from externalize.config import TaxonomyChoices
from externalize.registry import PROJECT_ROOT
from externalize.taxonomy import FAMILY_ACTORS, Taxonomy, TaxonomyError, load_taxonomy, reference_dates

RULES_VERSION = "1.0.0"
DEFAULT_COALITION = PROJECT_ROOT / "data" / "taxonomy" / "coalition_members.csv"

# rule id -> class, in order of precedence (the order of the checks in _classify)
RULES: dict[str, str] = {
    "NONE-1": "none",
    "EXCL-UNCERTAIN": "none",
    "EXCL-DOUBT": "none",
    "CLASH-1": "clash",
    "CLASH-2": "clash",
    "JOINT-EXT-1": "joint",
    "JOINT-1": "joint",
    "JOINT-2": "joint",
    "EXT-PLOT-1": "external",
    "EXT-FORCES-1": "external",
    "EXT-WEST-1": "external",
    "EXT-COAL-1": "external",
    "EXT-NAT-1": "external",
    "EXT-TOUR-1": "external",
    "OTHER-2": "other",
    "OTHER-1": "other",
    "NONE-JIH": "none",
}
CLASSES = ("clash", "joint", "external", "other", "none")

# Sources whose rows are plots or individuals in the West (external by construction when jihadist).
PLOT_SOURCES = frozenset({"nesser_cym", "crenshaw_cym", "nesser_country_year", "crenshaw_country_year",
                          "csis_us", "new_america_plots", "pirus"})
# Sources that hold jihadist plots only and name no group: a row with no side_a is "JIH".
JIHADIST_ONLY_SOURCES = frozenset({"nesser_cym", "crenshaw_cym", "nesser_country_year", "crenshaw_country_year"})
MMP_RIVALRY = frozenset({"rivalry"})
MMP_COOPERATION = frozenset({"alliance", "affiliation", "merger"})
MMP_SPLIT = frozenset({"split"})
MMP_RELATIONS = MMP_RIVALRY | MMP_COOPERATION | MMP_SPLIT
TOURIST_TARGET = "Tourists"  # GTD targtype1_txt value
_SEPARATORS = r" \| |, |; "

ClassCounts = dict[str, dict[tuple[str, str], int]]  # source -> (event_class, rule_id) -> rows


# source-key prefix -> naming scheme of data/taxonomy/actors.csv
_SCHEME_PREFIXES = (("ucdp", "ucdp"), ("gtd", "gtd"), ("mapping_militants", "mmp"), ("gade", "gade"),
                    ("pirus", "pirus"), ("csis", "csis"), ("new_america", "new_america"))


def scheme_for_source(source: str) -> str:
    """The naming scheme of a registry source key (which actors.csv rows apply first)."""
    return next((scheme for prefix, scheme in _SCHEME_PREFIXES if source.startswith(prefix)), "any")


# ---------------------------------------------------------------------------------------------- coalition
@dataclass
class Coalition:
    """Dated coalition / Western country list (data/taxonomy/coalition_members.csv)."""

    table: pd.DataFrame  # country, joined (Timestamp or NaT), western (bool)
    alias: dict[str, str] = field(default_factory=dict)  # casefolded alias -> canonical country

    def canonical(self, name: str) -> str | None:
        return self.alias.get(name.strip().casefold())

    def _member_mask(self, countries: pd.Series, dates: pd.Series, western_only: bool = False,
                     how: str = "any") -> np.ndarray:
        """True where the countries named in the string (split on ' | ', ', ', '; ') are Western (any date)
        or, unless western_only, coalition members on the row's date: any of them (how="any") or every one
        (how="all"). Computed once per unique string, then per row for the date."""
        s = countries.astype("string").reset_index(drop=True)
        d = pd.to_datetime(dates).reset_index(drop=True).to_numpy()
        out = np.zeros(len(s), dtype=bool)
        codes, uniques = pd.factorize(s)
        if not len(uniques):
            return out
        info = self.table.set_index("country")
        # per unique string: is it Western, and from when is it a member (earliest for "any", latest for "all")
        west_u = np.zeros(len(uniques), dtype=bool)
        joined_u = np.full(len(uniques), np.datetime64("NaT"), dtype="datetime64[ns]")
        never = np.datetime64("NaT", "ns")
        for k, u in enumerate(uniques):
            parts = [p for p in re.split(_SEPARATORS, str(u)) if p.strip()]
            canon = [self.canonical(p) for p in parts]
            wests = [c is not None and bool(info.at[c, "western"]) for c in canon]
            joins = [np.datetime64(info.at[c, "joined"], "ns") if c is not None and pd.notna(info.at[c, "joined"])
                     else never for c in canon]
            # a Western country counts as a member from the beginning of time
            starts = [np.datetime64("1678-01-01", "ns") if w else j for w, j in zip(wests, joins, strict=True)]
            if how == "all":
                west_u[k] = bool(parts) and all(wests)
                joined_u[k] = never if (not parts or any(np.isnat(x) for x in starts)) else max(starts)
            else:
                west_u[k] = any(wests)
                valid_starts = [x for x in starts if not np.isnat(x)]
                joined_u[k] = min(valid_starts) if valid_starts else never
        valid = codes >= 0
        cv = codes[valid]
        west = west_u[cv]
        if western_only:
            out[valid] = west
            return out
        joined = joined_u[cv]
        member = ~np.isnat(joined) & (d[valid] >= joined)
        out[valid] = west | member
        return out

    def western(self, countries: pd.Series, how: str = "any") -> np.ndarray:
        """Every (how="all") or some (how="any") country named is Western."""
        return self._member_mask(countries, pd.Series(pd.NaT, index=countries.index), western_only=True, how=how)

    def member_on(self, countries: pd.Series, dates: pd.Series, how: str = "any") -> np.ndarray:
        """Western (any date) or a coalition member on or after its joined date: some / every country named."""
        return self._member_mask(countries, dates, how=how)


def load_coalition(path: str | Path | None = None) -> Coalition:
    """Read and validate coalition_members.csv (unique countries and aliases, ISO dates, western true/false)."""
    path = Path(path) if path else DEFAULT_COALITION
    if not path.is_file():
        raise TaxonomyError(f"coalition list not found: {path}")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    need = ["country", "aliases", "joined", "strikes_iraq_from", "strikes_syria_from", "western", "source"]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise TaxonomyError(f"{path}: missing columns {missing}")
    alias: dict[str, str] = {}
    joined = []
    for i, r in enumerate(raw.itertuples(index=False), start=2):
        country = r.country.strip()
        if not country:
            raise TaxonomyError(f"{path} row {i}: empty country")
        if r.western.strip().lower() not in ("true", "false"):
            raise TaxonomyError(f"{path} row {i} ({country}): western must be true or false, got {r.western!r}")
        for col in ("joined", "strikes_iraq_from", "strikes_syria_from"):
            v = getattr(r, col).strip()
            if v:
                try:
                    pd.Timestamp(v).date().isoformat()
                    if len(v) != 10:
                        raise ValueError
                except ValueError as exc:
                    raise TaxonomyError(f"{path} row {i} ({country}): {col} {v!r} is not an ISO date") from exc
        joined.append(pd.Timestamp(r.joined) if r.joined.strip() else pd.NaT)
        for a in {country, *[x.strip() for x in r.aliases.split(";") if x.strip()]}:
            key = a.casefold()
            if key in alias and alias[key] != country:
                raise TaxonomyError(f"{path} row {i}: alias {a!r} already names {alias[key]}")
            alias[key] = country
    if raw["country"].str.strip().duplicated().any():
        raise TaxonomyError(f"{path}: repeated country {raw['country'][raw['country'].duplicated()].tolist()}")
    table = pd.DataFrame({"country": raw["country"].str.strip(),
                          "joined": pd.Series(joined, dtype="datetime64[ns]"),
                          "western": raw["western"].str.strip().str.lower() == "true"})
    return Coalition(table=table, alias=alias)


# ---------------------------------------------------------------------------------------------- classify
def _has(fam: pd.Series, family: str) -> np.ndarray:
    """Side includes the family (AQ+IS includes both)."""
    f = fam.fillna("").to_numpy(dtype=object)
    return (f == family) | (f == "AQ+IS")


def _coalition_side(side: pd.Series, fam: pd.Series, dates: pd.Series, taxonomy: Taxonomy,
                    coalition: Coalition, schemes: pd.Series) -> np.ndarray:
    """Side is the forces of a state that is Western or a coalition member on the date."""
    is_coal = (fam == "coalition").fillna(False).to_numpy()
    out = np.zeros(len(side), dtype=bool)
    if not is_coal.any():
        return out
    # the taxonomy's branch of a coalition government string is the canonical country (once per unique string)
    key = side[is_coal].astype("string").reset_index(drop=True) + "\x00" + \
        schemes[is_coal].astype("string").reset_index(drop=True)
    codes, uniq = pd.factorize(key)
    names_u = []
    for u in uniq:
        s, sc = str(u).split("\x00")
        sch = None if sc == "any" else sc
        names_u.append(" | ".join(b for c in taxonomy.components(s, sch)
                                  if (b := taxonomy.branch_of(c, sch)) and coalition.canonical(b)))
    countries = pd.Series(np.asarray(names_u, dtype=object)[codes], dtype="string")
    out[is_coal] = coalition.member_on(countries, dates[is_coal].reset_index(drop=True))
    return out


def _classify(df: pd.DataFrame, taxonomy: Taxonomy, coalition: Coalition, choices: TaxonomyChoices
              ) -> pd.DataFrame:
    index = df.index
    df = df.reset_index(drop=True)
    n = len(df)
    col = lambda c: df[c] if c in df.columns else pd.Series(pd.NA, index=df.index, dtype="string")  # noqa: E731
    source = df["source"].astype("string")
    src_codes, src_u = pd.factorize(source)
    schemes = pd.Series(np.asarray([scheme_for_source(str(x)) for x in src_u], dtype=object)[src_codes]
                        if len(src_u) else [], index=df.index, dtype="string")
    ref = reference_dates(df)
    fam_a = taxonomy.family_of(col("side_a"), ref, choices, schemes)
    fam_b = taxonomy.family_of(col("side_b"), ref, choices, schemes)
    jih_only = source.isin(JIHADIST_ONLY_SOURCES).to_numpy() & col("side_a").isna().to_numpy()
    fam_a = fam_a.mask(jih_only, "JIH")

    a_aq, a_is, b_aq, b_is = _has(fam_a, "AQ"), _has(fam_a, "IS"), _has(fam_b, "AQ"), _has(fam_b, "IS")
    fa = fam_a.fillna("").to_numpy(dtype=object)
    fb = fam_b.fillna("").to_numpy(dtype=object)
    fam_set = np.array(FAMILY_ACTORS, dtype=object)
    a_fam, b_fam = np.isin(fa, fam_set), np.isin(fb, fam_set)
    a_named = np.isin(fa, ["AQ", "IS", "AQ+IS"])
    b_named = np.isin(fb, ["AQ", "IS", "AQ+IS"])
    any_fam = a_fam | b_fam
    relation = col("relation").astype("string").fillna("").to_numpy(dtype=object)
    is_mmp_rel = np.isin(relation, list(MMP_RELATIONS))

    across = (a_aq & b_is) | (a_is & b_aq)
    one_side_both = (fa == "AQ+IS") | (fb == "AQ+IS")

    # external conditions (each a mask; a family actor is required separately)
    date = ref
    country = col("country")
    nationality = col("target_nationality")
    plot = source.isin(PLOT_SOURCES).to_numpy()
    forces = (a_fam & _coalition_side(col("side_b"), fam_b, date, taxonomy, coalition, schemes)) | \
             (b_fam & _coalition_side(col("side_a"), fam_a, date, taxonomy, coalition, schemes))
    forces &= ~is_mmp_rel
    # location: every country of the row must qualify (a UCDP dyad- or actor-year listing "Iraq, Syria,
    # France" aggregates local and external activity and is not external by location)
    west = coalition.western(country, how="all")
    coal_country = coalition.member_on(country, date, how="all") & ~west
    nat = coalition.member_on(nationality, date)
    tour = col("target_type").astype("string").str.contains(TOURIST_TARGET, regex=False).fillna(False).to_numpy()
    external_any = forces | west | coal_country | nat | tour

    uncertain = col("attribution_uncertain").astype("boolean").fillna(False).to_numpy(dtype=bool)
    doubt = col("doubt_terrorism").astype("boolean").fillna(False).to_numpy(dtype=bool)

    # (mask, rule) in order of precedence; the first that applies wins
    checks: list[tuple[np.ndarray, str]] = [
        (~any_fam, "NONE-1"),
        (uncertain & (not choices.include_uncertain_attributions), "EXCL-UNCERTAIN"),
        (doubt & (not choices.include_doubtful_terrorism), "EXCL-DOUBT"),
        (across & ~is_mmp_rel, "CLASH-1"),
        (across & np.isin(relation, list(MMP_RIVALRY)), "CLASH-2"),
        # in plot / individual sources several groups describe one cell's or person's ties, not a joint operation
        (one_side_both & ~is_mmp_rel & ~plot & external_any, "JOINT-EXT-1"),
        (one_side_both & ~is_mmp_rel & ~plot, "JOINT-1"),
        (across & np.isin(relation, list(MMP_COOPERATION)), "JOINT-2"),
        (plot & (a_fam | b_fam), "EXT-PLOT-1"),
        (forces, "EXT-FORCES-1"),
        (west & ~is_mmp_rel, "EXT-WEST-1"),
        (coal_country & ~is_mmp_rel, "EXT-COAL-1"),
        (nat & ~is_mmp_rel, "EXT-NAT-1"),
        (tour & ~is_mmp_rel, "EXT-TOUR-1"),
        (across & np.isin(relation, list(MMP_SPLIT)), "OTHER-2"),
        (a_named | b_named, "OTHER-1"),
        (np.ones(n, dtype=bool), "NONE-JIH"),
    ]
    assert [r for _, r in checks] == list(RULES), "rule order in code and RULES differ"
    rule = np.full(n, None, dtype=object)
    for mask, rid in checks:
        todo = (rule == None) & mask  # noqa: E711 (elementwise)
        rule[todo] = rid
    rule_s = pd.Series(rule, dtype="string")
    out = df.copy()
    out["family_a"] = fam_a.to_numpy()
    out["family_b"] = fam_b.to_numpy()
    out["family_a"] = out["family_a"].astype("string")
    out["family_b"] = out["family_b"].astype("string")
    out["event_class"] = rule_s.map(RULES).astype("string")
    out["rule_id"] = rule_s
    out["rules_version"] = pd.Series(RULES_VERSION, index=out.index, dtype="string")
    return out.set_axis(index)


def rule_counts(classified: pd.DataFrame) -> ClassCounts:
    """Rows per source and (event_class, rule_id): what the ledger records for the classified rows."""
    out: ClassCounts = {}
    if classified.empty:
        return out
    g = classified.groupby(["source", "event_class", "rule_id"], observed=True).size()
    for (src, cls, rid), v in g.items():
        out.setdefault(str(src), {})[(str(cls), str(rid))] = int(v)
    return out


def classify_events(events: pd.DataFrame, taxonomy: Taxonomy, coalition: Coalition, choices: TaxonomyChoices
                    ) -> tuple[pd.DataFrame, ClassCounts]:
    """Events with family_a, family_b, event_class, rule_id, rules_version added; plus the rule counts."""
    out = _classify(events, taxonomy, coalition, choices)
    return out, rule_counts(out)


def classify_yearly(yearly: pd.DataFrame, taxonomy: Taxonomy, coalition: Coalition, choices: TaxonomyChoices
                    ) -> tuple[pd.DataFrame, ClassCounts]:
    """Yearly rows (dated to 1 July of the year for affiliations) classified like events."""
    out = _classify(yearly, taxonomy, coalition, choices)
    return out, rule_counts(out)


def classify_tables(events: pd.DataFrame, yearly: pd.DataFrame, choices: TaxonomyChoices,
                    taxonomy: Taxonomy | None = None, coalition: Coalition | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame, ClassCounts]:
    """Both tables classified with the default taxonomy and coalition list; counts merged per source."""
    taxonomy = taxonomy or load_taxonomy()
    coalition = coalition or load_coalition()
    ev, c1 = classify_events(events, taxonomy, coalition, choices)
    yr, c2 = classify_yearly(yearly, taxonomy, coalition, choices)
    merged: ClassCounts = {}
    for counts in (c1, c2):
        for src, d in counts.items():
            tgt = merged.setdefault(src, {})
            for k, v in d.items():
                tgt[k] = tgt.get(k, 0) + v
    return ev, yr, merged
