"""The classification rules: one ordered list of rule objects that puts every row into one event class.

`RULE_LIST` is the single statement of the rules (id, class, description, condition); `data/taxonomy/rules.md`
documents the same list (a test checks that both name the same ids in the same order). The first rule that
applies wins, so every row gets exactly one class and one rule id, and rows are never dropped.

Each rule's condition reads `RowFacts`: boolean arrays computed once for the whole table (families per unique
actor string from the taxonomy, target-set membership per unique country string), so classifying half a
million rows takes seconds. The classes are `externalize.vocab.EVENT_CLASSES`.

Conventions (rules.md gives the sources):
  * the AQ-IS split (study choice `aq_is_split`, default 2014-02-03, AQ's general command disowning ISIS):
    before it, AQ-ISI/ISIS ties are relations inside one network (rule NET-1), never clash or joint;
  * the external target set is fixed for the whole window: Western states at every date and the non-Western
    states that took military part in the coalition, at every date (not from their joining date), so the
    target set does not move with the treatment; a non-Western member counts through its state (government,
    forces, police, diplomats) or its nationals abroad, not through every attack on its soil;
  * fighting between a coalition or Western state's forces and a family actor is the coalition's action
    (`coalition_contact`), never `external`; an external attack has the jihadist as perpetrator (`side_a`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TypeVar, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from externalize.config import TaxonomyChoices
from externalize.paths import PROJECT_ROOT
from externalize.registry import SourceSpec, load_registry
from externalize.taxonomy import Taxonomy, TaxonomyError, first_of_month, load_taxonomy, name_groups, reference_dates
from externalize.vocab import EVENT_CLASSES, FAMILY_ACTORS, NAMED_FAMILIES, EventClass

RULES_VERSION = "2.1.0"
DEFAULT_COALITION = PROJECT_ROOT / "data" / "taxonomy" / "coalition_members.csv"
CLASSES = EVENT_CLASSES

MMP_RIVALRY = frozenset({"rivalry"})
MMP_COOPERATION = frozenset({"alliance", "affiliation", "merger"})
MMP_SPLIT = frozenset({"split"})
MMP_RELATIONS = MMP_RIVALRY | MMP_COOPERATION | MMP_SPLIT
TOURIST_TARGET = "Tourists"  # GTD targtype text
MILITIA_TARGET = "Terrorists/Non-State Militia"  # GTD targtype text (code 17)
# GTD target types that are the state itself: its government, forces, police and diplomats
STATE_TARGETS = ("Government (General)", "Government (Diplomatic)", "Military", "Police")
_SEPARATORS = r" \| |, |; "

# An MMP relationship description that records words rather than deeds. Checked on rows between the two
# families; a description that also reports fighting or a joint operation is not a statement (_DEED_RE).
STATEMENT_RE = re.compile(
    r"\b(?:statements?|stated|announc\w*|declar\w*|videos?|audio|messages?|speech|sermon|fatwas?|rulings?|"
    r"condemn\w*|denounc\w*|critici[sz]\w*|rebuk\w*|prais\w*|endors\w*|publicly|communiqu\w*|interview\w*|"
    r"magazine|dabiq|inspire|rumiyah|recording|letter|disavow\w*|renounc\w*|rejected|called (?:on|for)|"
    r"urged|accus\w*|warned|expelled from|excommunicat\w*|takfir)\b", re.IGNORECASE)
# a reported deed qualified as unconfirmed or rumoured does not make a statement row a clash
_HEDGED_DEED_RE = re.compile(r"\b(?:unconfirmed|rumou?r\w*|unverified|alleged(?:ly)?)\b[^.]*\b(?:fight\w*|clash\w*|"
                             r"attack\w*|battle\w*)", re.IGNORECASE)
_DEED_RE = re.compile(r"\b(?:clash\w*|fought|fighting|attack\w*|killed|assassinat\w*|battle\w*|captur\w*|"
                      r"seiz\w*|joint(?:ly)?|together|coordinat\w*|combined forces|offensive)\b", re.IGNORECASE)

# Names of AQ- and IS-family groups as GTD writes them in corp1 / target1 (CLASH-GTD-1). The AQI lineage
# ("al-Qaida in Iraq") is IS family like its gname; al-Shabaab counts from its AQ affiliation (2012-02-09).
TARGET_GROUP_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"\bqa['`’]?[ie]?da in iraq\b|\btawhid and jihad\b", "IS"),
    (r"\bislamic state\b|\bisil\b|\bisis\b|\bdaesh\b|\bdaish\b", "IS"),
    (r"\bnusr[ae]h?\b|\bfat[ae]h al[- ]sham\b", "AQ-NUSRA"),
    (r"\bal[- ]?qa['`’]?[ie]?da\b|\baqap\b|\baqim\b|\baqis\b", "AQ"),
    (r"\bal[- ]shabaa?b\b", "AQ-SHABAAB"),
)
_T = TypeVar("_T")
_TARGET_RES = tuple((re.compile(p, re.IGNORECASE), f) for p, f in TARGET_GROUP_PATTERNS)
SHABAAB_AQ_FROM = pd.Timestamp("2012-02-09")

ClassCounts = dict[str, dict[tuple[str, str], int]]  # source -> (event_class, rule_id) -> rows


# ---------------------------------------------------------------------------------------------- coalition
@dataclass
class Coalition:
    """The coalition and Western states (data/taxonomy/coalition_members.csv).

    `in_target_set` is the fixed external target set of rules 2.0.0 (membership at any date); `member_on`
    keeps the dated membership for description (the joining dates are documented, not used by the rules).
    """

    table: pd.DataFrame  # country, joined (Timestamp or NaT), western (bool)
    alias: dict[str, str] = field(default_factory=dict)  # casefolded alias -> canonical country

    def canonical(self, name: str) -> str | None:
        return self.alias.get(name.strip().casefold())

    def _parts(self, value: object) -> list[str | None]:
        return [self.canonical(p) for p in re.split(_SEPARATORS, str(value)) if p.strip()]

    def _per_unique(self, countries: pd.Series, fn: Callable[[list[str | None]], bool]) -> np.ndarray:
        s = countries.astype("string").reset_index(drop=True)
        codes, uniques = pd.factorize(s)
        out = np.zeros(len(s), dtype=bool)
        if not len(uniques):
            return out
        per = np.array([fn(self._parts(u)) for u in uniques], dtype=bool)
        valid = codes >= 0
        out[valid] = per[codes[valid]]
        return out

    @cached_property
    def _info(self) -> pd.DataFrame:
        """The table indexed by country, built once (the table is not changed after loading)."""
        return self.table.set_index("country")

    def non_western_member_set(self, value: str) -> frozenset[str]:
        """The non-Western coalition members (canonical names) named in one country string."""
        info = self._info
        return frozenset(c for c in self._parts(value) if c is not None and not bool(info.at[c, "western"])
                         and pd.notna(info.at[c, "joined"]))

    def western(self, countries: pd.Series, how: str = "any") -> np.ndarray:
        """Every (how="all") or some (how="any") country named is Western."""
        info = self._info
        agg = all if how == "all" else any
        return self._per_unique(countries, lambda cs: bool(cs) and agg(
            c is not None and bool(info.at[c, "western"]) for c in cs))

    def in_target_set(self, countries: pd.Series, how: str = "any") -> np.ndarray:
        """Some / every country named is Western or a coalition member at any date (the fixed target set)."""
        info = self._info
        agg = all if how == "all" else any
        return self._per_unique(countries, lambda cs: bool(cs) and agg(
            c is not None and (bool(info.at[c, "western"]) or pd.notna(info.at[c, "joined"])) for c in cs))

    def non_western_members(self, countries: pd.Series) -> list[set[str]]:
        """Per row: the non-Western coalition members named (canonical names)."""
        s = countries.astype("string").reset_index(drop=True)
        codes, uniques = pd.factorize(s)
        sets = [set(self.non_western_member_set(u)) for u in uniques]
        return [sets[k] if k >= 0 else set() for k in codes]

    def member_on(self, countries: pd.Series, dates: pd.Series, how: str = "any") -> np.ndarray:
        """Western (any date) or a coalition member on or after its joined date: some / every country named.
        Descriptive only (rules 1.0.0 used it; 2.0.0 uses the fixed `in_target_set`)."""
        info = self._info
        s = countries.astype("string").reset_index(drop=True)
        d = pd.to_datetime(dates).reset_index(drop=True)
        out = np.zeros(len(s), dtype=bool)
        for i, (c, day) in enumerate(zip(s, d, strict=True)):
            if pd.isna(c):
                continue
            cs = self._parts(c)
            ok = [x is not None and (bool(info.at[x, "western"]) or
                                     (pd.notna(info.at[x, "joined"]) and day >= info.at[x, "joined"])) for x in cs]
            out[i] = bool(cs) and (all(ok) if how == "all" else any(ok))
        return out


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


# ---------------------------------------------------------------------------------------------- facts
@dataclass(frozen=True)
class SourceCoding:
    """What the rules need to know about a source (from the registry's coding properties)."""

    actor_scheme: str = "any"
    plot_source: bool = False
    jihadist_only: bool = False
    is_gtd: bool = False


def source_coding(registry: Mapping[str, SourceSpec]) -> dict[str, SourceCoding]:
    """Per registry key: its coding properties (sources not in the registry get the defaults)."""
    return {k: SourceCoding(s.actor_scheme, s.plot_source, s.jihadist_only, s.adapter == "gtd")
            for k, s in registry.items()}


def scheme_for_source(source: str, registry: Mapping[str, SourceSpec] | None = None) -> str:
    """The naming scheme of a registry source key (which actors.csv rows apply first); "any" if unknown."""
    registry = registry if registry is not None else _default_registry()
    spec = registry.get(source)
    return spec.actor_scheme if spec is not None else "any"


_REGISTRY_CACHE: dict[str, dict[str, SourceSpec]] = {}


def _default_registry() -> dict[str, SourceSpec]:
    if "default" not in _REGISTRY_CACHE:
        _REGISTRY_CACHE["default"] = load_registry()
    return _REGISTRY_CACHE["default"]


@dataclass
class RowFacts:
    """Boolean arrays (one value per row, positional) that the rules' conditions combine."""

    n: int
    choices: TaxonomyChoices
    fam_a: Labels
    fam_b: Labels
    zero: np.ndarray            # n == 0: a zero-count cell, not an event
    a_fam: np.ndarray           # side_a is a family actor (AQ, IS, AQ+IS, JIH): the perpetrator
    any_fam: np.ndarray
    jih_only: np.ndarray        # the only family actors are unnamed jihadists
    named: np.ndarray           # a named AQ / IS family actor on either side
    mmp: np.ndarray             # an MMP relationship row
    relation: Labels
    dyadic: np.ndarray          # a fighting row with an opponent in side_b (UCDP, Gade), not MMP
    across: np.ndarray          # AQ on one side and IS on the other, after the split
    both_one_side: np.ndarray   # AQ and IS on one side, after the split
    pre_split_tie: np.ndarray   # AQ and IS on opposite sides or one side, before the split
    straddles_split: np.ndarray  # the row's date span (year / month precision, yearly row) contains the split
    statement: np.ndarray       # MMP description records words, not deeds
    gtd_clash: np.ndarray       # GTD: a family attacks a named group of the other family
    verified: np.ndarray        # co-perpetration verified (UCDP side; GTD compclaim 0 and no guncertain)
    unverified: np.ndarray      # a release that cannot tell co-perpetration from competing claims
    competing: np.ndarray       # GTD compclaim 1: competing claims
    plot: np.ndarray
    plot_excluded: np.ndarray   # plot status left out by the study choice
    uncertain: np.ndarray
    doubt: np.ndarray
    contact: np.ndarray         # dyadic: family actor against coalition / Western state forces
    nat_west: np.ndarray        # a target nationality is Western
    state_target: np.ndarray    # the state (government, forces, police, diplomats) of a non-Western member
    nationals_abroad: np.ndarray  # nationals of a non-Western member outside their own country
    tourists: np.ndarray
    west_location: np.ndarray   # every location country is Western (location-only rule)
    unseen: np.ndarray          # an attack row with no location and no target fields
    external_target: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.external_target = (self.nat_west | self.state_target | self.nationals_abroad | self.tourists |
                                (self.west_location & self.choices.location_only_rules))


@dataclass(frozen=True)
class Rule:
    """One classification rule: its id, the class it assigns, what it says, and its condition."""

    id: str
    event_class: EventClass
    description: str
    applies: Callable[[RowFacts], np.ndarray]


@dataclass(frozen=True)
class Labels:
    """A label column (families, MMP relations) as codes into its few distinct labels, missing as "": a test
    on the labels is decided once per distinct label, not once per row."""

    codes: np.ndarray    # int, one per row, positional
    uniques: np.ndarray  # object array of str; "" stands for a missing value

    @classmethod
    def of(cls, values: pd.Series | np.ndarray) -> Labels:
        """From a text column or an object array (NA / None -> "")."""
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        table = np.array([*map(str, uniques), ""], dtype=object)  # code -1 (missing) -> the last entry, ""
        return cls(np.where(codes < 0, len(uniques), codes), table)

    def isin(self, allowed: Iterable[str]) -> np.ndarray:
        """Boolean per row: the row's label is one of `allowed`."""
        allowed_set = set(allowed)
        per = np.fromiter((u in allowed_set for u in self.uniques), dtype=bool, count=len(self.uniques))
        return per[self.codes]

    def where(self, test: Callable[[str], bool]) -> np.ndarray:
        """Boolean per row: `test` holds for the row's label (False where missing); a substring search on a
        column with few distinct values (GTD target types) is decided once per value."""
        per = np.fromiter((bool(u) and test(u) for u in self.uniques), dtype=bool, count=len(self.uniques))
        return per[self.codes]

    def as_text(self) -> pd.Series:
        """The labels as a pandas text column, <NA> where missing."""
        return _text_column([u or None for u in self.uniques], self.codes)


def _text_column(labels: list[str | None], codes: np.ndarray) -> pd.Series:
    """pandas text column whose row i is labels[codes[i]] (None -> <NA>): one Arrow `take`, not one Python
    string per row."""
    taken = pc.take(pa.array(labels, type=pa.large_string()), pa.array(codes))
    return pd.Series(pd.array(taken, dtype="string"))


def _ext(f: RowFacts) -> np.ndarray:
    """A family perpetrator (side_a) on a row with a target (not MMP, not a plot source)."""
    return f.a_fam & ~f.mmp & ~f.plot


# The rules, in order of precedence (first that applies wins). rules.md documents this list.
RULE_LIST: tuple[Rule, ...] = (
    Rule("NONE-ZERO", "none", "a cell with a count of zero (country-year plot tables): not an event",
         lambda f: f.zero),
    Rule("NONE-1", "none", "no AQ-, IS- or unnamed-jihadist actor on either side",
         lambda f: ~f.any_fam),
    Rule("EXCL-UNNAMED", "none", "only unnamed jihadists, and the study choice include_unnamed_jihadists = false",
         lambda f: f.jih_only & (not f.choices.include_unnamed_jihadists)),
    Rule("EXCL-UNCERTAIN", "none", "GTD guncertain1-3 set and include_uncertain_attributions = false",
         lambda f: f.uncertain & (not f.choices.include_uncertain_attributions)),
    Rule("EXCL-DOUBT", "none", "GTD doubtterr == 1 and include_doubtful_terrorism = false",
         lambda f: f.doubt & (not f.choices.include_doubtful_terrorism)),
    Rule("EXCL-PLOT-STATUS", "none", "a plot whose status (launched / foiled) the study choice plot_status leaves out",
         lambda f: f.plot_excluded),
    Rule("STMT-1", "statement", "MMP rivalry / alliance / affiliation / merger between an AQ- and an IS-family "
         "group, after the split, whose description records a statement, ruling or video rather than fighting "
         "or cooperation",
         lambda f: f.mmp & f.across & f.statement & ~f.relation.isin(MMP_SPLIT)),
    Rule("CLASH-UNV-1", "clash_unverified", "fighting row between the two families known only to a year or "
         "month that contains the split date, under the study choice split_period_clashes = 'unverified' "
         "(the variant split_period_unverified)",
         lambda f: f.dyadic & f.across & f.straddles_split & (f.choices.split_period_clashes == "unverified")),
    Rule("CLASH-1", "clash", "fighting row (UCDP, Gade): AQ family on one side, IS family on the other, "
         "after the split", lambda f: f.dyadic & f.across),
    Rule("CLASH-GTD-1", "clash", "GTD attack by one family whose target (Terrorists/Non-State Militia) names "
         "a group of the other family in corp1 / target1, after the split", lambda f: f.gtd_clash),
    Rule("CLASH-2", "clash", "MMP rivalry between an AQ- and an IS-family group, after the split",
         lambda f: f.mmp & f.across & f.relation.isin(MMP_RIVALRY)),
    Rule("JOINT-EXT-1", "joint", "as JOINT-1, and the row's target is external",
         lambda f: f.both_one_side & f.verified & ~f.straddles_split & ~f.mmp & ~f.plot & f.external_target),
    Rule("JOINT-1", "joint", "AQ and IS on one side after the split, co-perpetration verified: a UCDP side "
         "naming both, or GTD perpetrators naming both with compclaim 0 and no guncertain",
         lambda f: f.both_one_side & f.verified & ~f.straddles_split & ~f.mmp & ~f.plot),
    Rule("JOINT-UNV-1", "joint_unverified", "AQ and IS named on one side after the split, in a release that "
         "cannot tell co-perpetration from competing claims (no compclaim) or with guncertain set",
         lambda f: f.both_one_side & f.unverified & ~f.mmp & ~f.plot),
    Rule("JOINT-2", "joint", "MMP alliance, affiliation or merger between an AQ- and an IS-family group, "
         "after the split", lambda f: f.mmp & f.across & ~f.straddles_split &
         f.relation.isin(MMP_COOPERATION)),
    Rule("JOINT-UNV-2", "joint_unverified", "AQ and IS on one side (or MMP cooperation between them) on a row "
         "known only to a year or month that contains the split date: it cannot be placed after the split",
         lambda f: f.straddles_split & ((f.both_one_side & ~f.mmp & ~f.plot) |
                                        (f.mmp & f.across & f.relation.isin(MMP_COOPERATION)))),
    Rule("COAL-CONTACT-1", "coalition_contact", "fighting row: a family actor against the forces of a "
         "Western or coalition state (the coalition's action, not the jihadists' external attack)",
         lambda f: f.contact),
    Rule("NONE-EXPOSURE", "none", "an individual (PIRUS) exposed without a violent plot against a target in "
         "the West: travellers, material support, membership, plots abroad; not an attack or a plot",
         lambda f: f.plot & f.relation.isin(["exposure"])),
    Rule("EXT-PLOT-1", "external", "a plot / individual source (registry plot_source) and a family actor",
         lambda f: f.plot & f.any_fam),
    Rule("EXT-NAT-1", "external", "family perpetrator, and a target nationality is Western (any place)",
         lambda f: _ext(f) & f.nat_west),
    Rule("EXT-STATE-1", "external", "family perpetrator, and the target is the state of a non-Western "
         "coalition member: its nationality with target type government, diplomatic, military or police",
         lambda f: _ext(f) & f.state_target),
    Rule("EXT-NAT-2", "external", "family perpetrator, and the target's nationality is a non-Western "
         "coalition member other than the country where the attack took place (its nationals abroad)",
         lambda f: _ext(f) & f.nationals_abroad),
    Rule("EXT-TOUR-1", "external", "family perpetrator, and a target type is Tourists",
         lambda f: _ext(f) & f.tourists),
    Rule("EXT-WEST-1", "external", "family perpetrator, and every location country is Western (a location-"
         "only rule; off in the variant location_only_rules = false)",
         lambda f: _ext(f) & f.west_location & f.choices.location_only_rules),
    Rule("OTHER-2", "other", "MMP split between an AQ- and an IS-family group",
         lambda f: f.mmp & (f.across | f.pre_split_tie) & f.relation.isin(MMP_SPLIT)),
    Rule("NET-1", "other", "AQ and IS family actors on a row dated before the split: relations inside one "
         "network (AQ and its then branch ISI/ISIS, or ISI's Syrian front)", lambda f: f.pre_split_tie),
    Rule("MULTI-CLAIM-1", "other", "GTD perpetrators naming both families with competing claims (compclaim "
         "1) and no external target: one of them did it", lambda f: f.competing & f.both_one_side),
    Rule("OTHER-UNSEEN", "other", "a named AQ- or IS-family attacker on a row with no location and no target "
         "fields (GTD world_inc): its target cannot be seen, so it is not known to be local or external",
         lambda f: f.named & f.unseen),
    Rule("OTHER-1", "other", "a named AQ- or IS-family actor, none of the above: the families' local "
         "activity", lambda f: f.named),
    Rule("NONE-JIH", "none", "an unnamed jihadist that is not external: not attributable to either family",
         lambda f: np.ones(f.n, dtype=bool)),
)
RULES: dict[str, str] = {r.id: r.event_class for r in RULE_LIST}
assert set(RULES.values()) <= set(EVENT_CLASSES), "a rule assigns a class outside vocab.EVENT_CLASSES"
assert len(RULES) == len(RULE_LIST), "rule ids repeat"


# ---------------------------------------------------------------------------------------------- facts
def _has(fam: Labels, family: str) -> np.ndarray:
    """Side includes the family (AQ+IS includes both)."""
    return fam.isin([family, "AQ+IS"])


def _coalition_side(side: pd.Series, fam: Labels, taxonomy: Taxonomy, coalition: Coalition,
                    schemes: pd.Series) -> np.ndarray:
    """Side is the forces of a state in the fixed target set (Western, or a coalition member at any date)."""
    is_coal = fam.isin(["coalition"])
    out = np.zeros(len(side), dtype=bool)
    if not is_coal.any():
        return out
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
    out[is_coal] = coalition.in_target_set(countries)
    return out


def _target_families(target_name: pd.Series, target_type: Labels, dates: pd.Series,
                     choices: TaxonomyChoices) -> tuple[np.ndarray, np.ndarray]:
    """(names an AQ-family group, names an IS-family group) in GTD corp1 / target1 where the target type is
    Terrorists/Non-State Militia. Per unique text, then dated for the Nusra cut-off and al-Shabaab."""
    n = len(target_name)
    aq, is_ = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    militia = target_type.where(lambda t: MILITIA_TARGET in t)
    if not militia.any():
        return aq, is_
    rows = np.flatnonzero(militia)  # only militia targets are read (no copy of the whole column)
    sub_codes, uniq = pd.factorize(target_name.astype("string").reset_index(drop=True).iloc[rows])
    kinds = [{f for rx, f in _TARGET_RES if rx.search(str(u))} for u in uniq]
    # "al-Qaida in Iraq" also matches the AQ pattern: the AQI lineage is IS family
    kinds = [k - {"AQ"} if ("IS" in k and re.search(r"in iraq", str(u), re.IGNORECASE)) else k for k, u in zip(kinds, uniq, strict=True)]
    d = pd.to_datetime(dates).reset_index(drop=True).to_numpy()
    cut = (np.datetime64(pd.Timestamp(choices.nusra_counts_as_aq_until)) if choices.nusra_counts_as_aq_until
           else None)
    def per_row(family: str) -> np.ndarray:  # the text of the row names a group of this family
        flag = np.fromiter((family in k for k in kinds), dtype=bool, count=len(kinds))
        if not len(kinds):
            return np.zeros(len(rows), dtype=bool)
        return np.where(sub_codes >= 0, flag[sub_codes], False)  # code -1: no text on the row

    dr = d[rows]
    is_[rows] = per_row("IS")
    aq[rows] = (per_row("AQ") | (per_row("AQ-NUSRA") & (True if cut is None else dr < cut))
                | (per_row("AQ-SHABAAB") & (dr >= np.datetime64(SHABAAB_AQ_FROM))))
    return aq, is_


def _nationals_abroad(coalition: Coalition, nationality: pd.Series, country: pd.Series
                      ) -> tuple[np.ndarray, np.ndarray]:
    """(names a non-Western member, names one that is not the country of the attack), per row; computed
    once per unique (nationality, country) pair."""
    n = len(nationality)
    nat_codes, nat_u = pd.factorize(nationality.astype("string").reset_index(drop=True))
    members = [coalition.non_western_member_set(str(u)) for u in nat_u]  # once per unique nationality
    has_u = np.fromiter((bool(m) for m in members), dtype=bool, count=len(members))
    has = np.zeros(n, dtype=bool)
    valid = nat_codes >= 0
    has[valid] = has_u[nat_codes[valid]]
    abroad = np.zeros(n, dtype=bool)
    rows = np.flatnonzero(has)  # only rows naming a non-Western member need the attack's country
    if not len(rows):
        return has, abroad
    ctry_codes, ctry_u = pd.factorize(country.astype("string").reset_index(drop=True).iloc[rows])
    here_u = [frozenset(coalition.canonical(p) for p in re.split(_SEPARATORS, str(c))) for c in ctry_u]
    width = len(ctry_u) + 1  # country code -1 (missing) -> 0
    pair_u, pair_codes = np.unique(nat_codes[rows].astype(np.int64) * width + (ctry_codes + 1),
                                   return_inverse=True)
    abroad_pair = np.fromiter(
        (bool(members[k // width] - (here_u[k % width - 1] if k % width else frozenset())) for k in pair_u),
        dtype=bool, count=len(pair_u))
    abroad[rows] = abroad_pair[pair_codes.ravel()]
    return has, abroad


def _month_end(days: pd.Series) -> pd.Series:
    """The last day of each date's month (`pd.offsets.MonthEnd(0)` for dates at midnight; NaT stays NaT)."""
    d = days.to_numpy(dtype="datetime64[ns]")
    end = ((d.astype("datetime64[M]") + 1).astype("datetime64[D]") - 1).astype("datetime64[ns]")
    return pd.Series(end, index=days.index)


def _date_span(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """First and last day a row can stand for: the day; the month; the year (year precision, yearly rows)."""
    if "date" in df.columns:
        first = pd.to_datetime(df["date"]).astype("datetime64[ns]")
        prec = df["date_precision"].astype("string") if "date_precision" in df.columns else \
            pd.Series("day", index=df.index, dtype="string")
        year_start = first_of_month(df["year"], 1)
        first = first.where(prec != "year", year_start)
        last = first.where(prec != "month", _month_end(first))
        last = last.where(prec != "year", first_of_month(df["year"], 12) + pd.Timedelta(days=30))
    else:
        first = first_of_month(df["year"], 1)
        last = first_of_month(df["year"], 12) + pd.Timedelta(days=30)
    return (first.astype("datetime64[ns]").to_numpy(), last.astype("datetime64[ns]").to_numpy())


def row_facts(df: pd.DataFrame, taxonomy: Taxonomy, coalition: Coalition, choices: TaxonomyChoices,
              coding: Mapping[str, SourceCoding], memo: dict[str, object] | None = None) -> RowFacts:
    """Every fact the rules read, computed once for the table (positional arrays).

    memo: a dict kept by a caller that classifies the SAME table with the same taxonomy, coalition and
    registry under several coding choices (`variants.variant_table`): the facts that do not depend on the
    choices (text patterns of the summary, target nationality and location, dates) are computed on the first
    call and reused. A memo filled from another table (other length or columns) raises ValueError."""
    df = df.reset_index(drop=True)
    n = len(df)
    memo = {} if memo is None else memo
    shape = (n, tuple(df.columns))
    if memo.setdefault("_table", shape) != shape:
        raise ValueError("row_facts memo was filled from another table")

    def once(key: str, fn: Callable[[], _T]) -> _T:
        if key not in memo:
            memo[key] = fn()
        return cast(_T, memo[key])

    def col(c: str) -> pd.Series:
        return df[c] if c in df.columns else pd.Series(pd.NA, index=df.index, dtype="string")

    def flag(c: str) -> np.ndarray:
        return col(c).astype("boolean").fillna(False).to_numpy(dtype=bool)

    src_codes, src_u = once("sources", lambda: pd.factorize(df["source"].astype("string")))
    codings = [coding.get(str(x), SourceCoding()) for x in src_u]

    def per_source(attr: str) -> np.ndarray:  # the registry's coding of each row's source
        def spread() -> np.ndarray:
            vals = np.asarray([getattr(c, attr) for c in codings])  # bool or str: typed, not object
            return vals[src_codes] if len(src_u) else np.zeros(0, dtype=object)
        return once(f"source:{attr}", spread)

    schemes = once("schemes", lambda: pd.Series(pd.Categorical(per_source("actor_scheme")), index=df.index))
    plot = per_source("plot_source").astype(bool)
    is_gtd = per_source("is_gtd").astype(bool)
    ref = once("ref", lambda: reference_dates(df))
    # the actor strings grouped once per table; their families depend on the coding choices
    fam_a_arr = taxonomy.families(once("groups_a", lambda: name_groups(col("side_a"), schemes)), ref, choices)
    jih_src = per_source("jihadist_only").astype(bool) & col("side_a").isna().to_numpy()
    fam_a_arr[jih_src] = "JIH"
    fam_a = Labels.of(fam_a_arr)
    fam_b = Labels.of(taxonomy.families(once("groups_b", lambda: name_groups(col("side_b"), schemes)), ref,
                                        choices))

    a_fam, b_fam = fam_a.isin(FAMILY_ACTORS), fam_b.isin(FAMILY_ACTORS)
    named = fam_a.isin(NAMED_FAMILIES) | fam_b.isin(NAMED_FAMILIES)
    relation = once("relation", lambda: Labels.of(col("relation").astype("string").reset_index(drop=True)))
    mmp = relation.isin(MMP_RELATIONS)
    dyadic = col("side_b").notna().to_numpy() & ~mmp & ~plot
    split = np.datetime64(pd.Timestamp(choices.aq_is_split))
    pre = ref.to_numpy() < split
    first_day, last_day = once("span", lambda: _date_span(df))
    straddles = (first_day < split) & (last_day >= split)
    a_aq, a_is, b_aq, b_is = _has(fam_a, "AQ"), _has(fam_a, "IS"), _has(fam_b, "AQ"), _has(fam_b, "IS")
    across_any = (a_aq & b_is) | (a_is & b_aq)
    both_any = fam_a.isin(["AQ+IS"]) | fam_b.isin(["AQ+IS"])

    def statement_text() -> np.ndarray:
        # read on MMP rows only: `statement` is a fact of MMP relationship descriptions
        rows = np.flatnonzero(mmp)
        out = np.zeros(n, dtype=bool)
        if len(rows):
            summary = col("summary").astype("string").iloc[rows]
            words = summary.str.contains(STATEMENT_RE).fillna(False).to_numpy(dtype=bool)
            hedged = summary.str.contains(_HEDGED_DEED_RE).fillna(False).to_numpy(dtype=bool)
            deeds = summary.str.contains(_DEED_RE).fillna(False).to_numpy(dtype=bool) & ~hedged
            out[rows] = words & ~deeds
        return out

    statement = once("statement", statement_text)
    ttype = col("target_type").astype("string")
    ttype_labels = once("ttype", lambda: Labels.of(ttype))
    t_aq, t_is = _target_families(col("target_name"), ttype_labels, ref, choices)
    gtd_clash = is_gtd & ~pre & ((a_aq & ~a_is & t_is) | (a_is & ~a_aq & t_aq))

    uncertain, doubt = flag("attribution_uncertain"), flag("doubt_terrorism")
    cc = col("competing_claims").astype("boolean")
    competing = is_gtd & cc.fillna(False).to_numpy(dtype=bool)
    cc_known = cc.notna().to_numpy()
    verified = ~is_gtd | (cc_known & ~competing & ~uncertain)
    unverified = is_gtd & (~cc_known | uncertain) & ~competing

    status = col("plot_status").astype("string")
    if choices.plot_status == "all":
        plot_excluded = np.zeros(n, dtype=bool)
    else:
        plot_excluded = plot & (status != choices.plot_status).fillna(True).to_numpy(dtype=bool)

    contact = dyadic & ((a_fam & _coalition_side(col("side_b"), fam_b, taxonomy, coalition, schemes)) |
                        (b_fam & _coalition_side(col("side_a"), fam_a, taxonomy, coalition, schemes)))
    nationality, country = col("target_nationality"), col("country")

    state_type = once("state_type", lambda: ttype_labels.where(lambda t: any(s in t for s in STATE_TARGETS)))
    has_nw, nationals_abroad = once("nationals", lambda: _nationals_abroad(coalition, nationality, country))
    zero = (pd.to_numeric(col("n"), errors="coerce").fillna(1).to_numpy() == 0)
    return RowFacts(
        n=n, choices=choices, fam_a=fam_a, fam_b=fam_b, zero=zero, a_fam=a_fam, any_fam=a_fam | b_fam,
        jih_only=(a_fam | b_fam) & ~named, named=named, mmp=mmp, relation=relation, dyadic=dyadic,
        across=across_any & ~pre, both_one_side=both_any & ~pre, pre_split_tie=(across_any | both_any) & pre,
        straddles_split=straddles,
        statement=statement, gtd_clash=gtd_clash, verified=verified, unverified=unverified,
        competing=competing, plot=plot, plot_excluded=plot_excluded, uncertain=uncertain, doubt=doubt,
        contact=contact, nat_west=once("nat_west", lambda: coalition.western(nationality)),
        state_target=has_nw & state_type, nationals_abroad=nationals_abroad,
        tourists=once("tourists", lambda: ttype_labels.where(lambda t: TOURIST_TARGET in t)),
        west_location=once("west_location", lambda: coalition.western(country, how="all")),
        unseen=(~mmp & ~dyadic & ~plot & country.isna().to_numpy() & ttype.isna().to_numpy()
                & nationality.isna().to_numpy()),
    )


# ---------------------------------------------------------------------------------------------- classify
def _classify(df: pd.DataFrame, taxonomy: Taxonomy, coalition: Coalition, choices: TaxonomyChoices,
              registry: Mapping[str, SourceSpec] | None = None, memo: dict[str, object] | None = None
              ) -> pd.DataFrame:
    index = df.index
    coding = source_coding(registry if registry is not None else _default_registry())
    facts = row_facts(df, taxonomy, coalition, choices, coding, memo)
    # position in RULE_LIST of the first rule that applies (the last rule, NONE-JIH, applies to every row)
    rule = np.full(facts.n, -1, dtype=np.int16)
    for i, r in enumerate(RULE_LIST):
        todo = (rule < 0) & r.applies(facts)
        rule[todo] = i
    out = df.reset_index(drop=True)  # copy-on-write (pandas >= 3): the columns are not copied
    out["family_a"] = facts.fam_a.as_text()
    out["family_b"] = facts.fam_b.as_text()
    out["event_class"] = _text_column([r.event_class for r in RULE_LIST], rule)
    out["rule_id"] = _text_column([r.id for r in RULE_LIST], rule)
    out["rules_version"] = _text_column([RULES_VERSION], np.zeros(facts.n, dtype=np.int8))
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


def classify_events(events: pd.DataFrame, taxonomy: Taxonomy, coalition: Coalition, choices: TaxonomyChoices,
                    registry: Mapping[str, SourceSpec] | None = None, memo: dict[str, object] | None = None
                    ) -> tuple[pd.DataFrame, ClassCounts]:
    """Events with family_a, family_b, event_class, rule_id, rules_version added; plus the rule counts.
    memo: see `row_facts` (one dict per table, for repeated classifications of that table)."""
    out = _classify(events, taxonomy, coalition, choices, registry, memo)
    return out, rule_counts(out)


def classify_yearly(yearly: pd.DataFrame, taxonomy: Taxonomy, coalition: Coalition, choices: TaxonomyChoices,
                    registry: Mapping[str, SourceSpec] | None = None, memo: dict[str, object] | None = None
                    ) -> tuple[pd.DataFrame, ClassCounts]:
    """Yearly rows (dated to 1 July of the year for affiliations) classified like events (memo: `row_facts`)."""
    out = _classify(yearly, taxonomy, coalition, choices, registry, memo)
    return out, rule_counts(out)


def classify_tables(events: pd.DataFrame, yearly: pd.DataFrame, choices: TaxonomyChoices,
                    taxonomy: Taxonomy | None = None, coalition: Coalition | None = None,
                    registry: Mapping[str, SourceSpec] | None = None, memo: dict[str, dict] | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame, ClassCounts]:
    """Both tables classified with the default taxonomy and coalition list; counts merged per source.

    memo: a dict the caller keeps while it classifies the same two tables under several coding choices
    (with the same taxonomy, coalition and registry): what does not depend on the choices is computed once
    (`row_facts`). Results are the same with or without it."""
    taxonomy = taxonomy or load_taxonomy()
    coalition = coalition or load_coalition()
    memo = {} if memo is None else memo
    ev, c1 = classify_events(events, taxonomy, coalition, choices, registry, memo.setdefault("events", {}))
    yr, c2 = classify_yearly(yearly, taxonomy, coalition, choices, registry, memo.setdefault("yearly", {}))
    merged: ClassCounts = {}
    for counts in (c1, c2):
        for src, d in counts.items():
            tgt = merged.setdefault(src, {})
            for k, v in d.items():
                tgt[k] = tgt.get(k, 0) + v
    return ev, yr, merged


# ---------------------------------------------------------------------------------------------- unknown names
UNKNOWN_NAME_COLUMNS = ["source", "scheme", "name", "mapped_as", "rows", "first_year", "last_year"]


def unknown_actor_names(events: pd.DataFrame, yearly: pd.DataFrame, taxonomy: Taxonomy,
                        registry: Mapping[str, SourceSpec] | None = None) -> pd.DataFrame:
    """Every actor string (or component) that looks jihadist (taxonomy.MARKER_PATTERNS, IS_NAME_PATTERNS) but
    is not curated in actors.csv, per source: `mapped_as` is "IS (name pattern)" when IS_NAME_PATTERNS took it
    to the IS family, else "other (unlisted)". Columns UNKNOWN_NAME_COLUMNS; empty when every name is curated.
    The build warns when this table is not empty and writes it for the report."""
    from externalize.taxonomy import IS_NAME_RE, has_marker

    coding = source_coding(registry if registry is not None else _default_registry())
    rows = []
    for table in (events, yearly):
        if table is None or table.empty:
            continue
        for side in ("side_a", "side_b"):
            if side not in table.columns:
                continue
            sub = table[["source", "year", side]].dropna(subset=[side])
            g = sub.groupby(["source", side], observed=True)["year"].agg(["size", "min", "max"]).reset_index()
            for r in g.itertuples(index=False):
                src, name = str(r[0]), str(r[1])
                sch = coding.get(src, SourceCoding()).actor_scheme
                sch_arg = None if sch == "any" else sch
                for comp in taxonomy.components(name, sch_arg):
                    if taxonomy.is_listed(comp, sch_arg):
                        continue
                    if IS_NAME_RE.search(comp.strip()):
                        mapped = "IS (name pattern)"
                    elif has_marker(comp):
                        mapped = "other (unlisted)"
                    else:
                        continue
                    rows.append({"source": src, "scheme": sch, "name": comp, "mapped_as": mapped,
                                 "rows": int(r[2]), "first_year": int(r[3]), "last_year": int(r[4])})
    if not rows:
        return pd.DataFrame(columns=UNKNOWN_NAME_COLUMNS)
    out = pd.DataFrame(rows).groupby(["source", "scheme", "name", "mapped_as"], as_index=False).agg(
        rows=("rows", "sum"), first_year=("first_year", "min"), last_year=("last_year", "max"))
    return out.sort_values(["source", "rows"], ascending=[True, False]).reset_index(drop=True)[UNKNOWN_NAME_COLUMNS]
