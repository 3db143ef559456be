"""The actor taxonomy: raw actor string (per source scheme) -> family (AQ, IS, coalition, JIH, other), dated.

data/taxonomy/actors.csv is curated by hand (see data/taxonomy/README.md); this module loads and validates it
and maps actor strings to families, vectorised over the unique strings of a column.

Date convention: an entry applies on valid_from <= date < valid_to (valid_to exclusive: "until"); empty
bounds are open. Outside its range an entry gives `family_after` (or "other" when that is empty).
The Nusra lineage (branch "Jabhat al-Nusra": al-Nusra, Jabhat Fateh al-Sham, HTS) takes its valid_to from
the study config (`nusra_counts_as_aq_until`), not from the CSV: that cut-off is a study choice.

Multi-actor strings: a whole string listed in the taxonomy is looked up as it is. Otherwise it is split into
components on " | " (GTD gname | gname2 | gname3) and then on ", " (UCDP coalitions such as
"IS, Jabhat Fateh al-Sham"), each component is looked up, and the component families are combined:
AQ and IS -> "AQ+IS"; one of them -> that family; only coalition states -> "coalition"; else "other".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from externalize.config import TaxonomyChoices
from externalize.errors import TaxonomyError
from externalize.paths import PROJECT_ROOT
from externalize.registry import ACTOR_SCHEMES
from externalize.vocab import ENTRY_FAMILIES, FAMILY_ACTORS

__all__ = ["ENTRY_FAMILIES", "FAMILY_ACTORS", "Taxonomy", "TaxonomyError", "load_taxonomy", "reference_dates"]

DEFAULT_ACTORS = PROJECT_ROOT / "data" / "taxonomy" / "actors.csv"

ACTOR_COLUMNS = ("scheme", "raw_name", "family", "branch", "valid_from", "valid_to", "family_after", "note",
                 "evidence")
# optional column: "true" marks a contested membership: counted in its family only in the variant
# `contested_groups = "in"`; otherwise "JIH" (a jihadist group of unestablished family) while the row applies
OPTIONAL_COLUMNS = ("contested",)
SCHEMES = ACTOR_SCHEMES
NUSRA_BRANCH = "Jabhat al-Nusra"
COMPONENT_SEPARATORS = (" | ", ", ")

# Family markers: a raw string matching one of these must be listed in actors.csv (with whatever family the
# curator decides, "other" included). One place, used by marker_unmapped() and by the candidate script.
MARKER_PATTERNS: tuple[str, ...] = (
    r"\bal[- ]?qa['`’]?[ie]?da\b",        # al-Qaida, al-Qa'ida, al-Qaeda, Al-Qaida, alQaida
    r"\bqa['`’]?[ie]?da\b",               # Qaida / Qaeda without "al"
    r"\bqaidat\b",                        # Qaidat al-Jihad
    r"\bnusr[ae]h?\b",                    # Nusra, Nusrah, al-Nusrah Front
    r"\bislamic state\b",                 # Islamic State (of Iraq, of Iraq and the Levant, ... Province of)
    r"\bisil\b", r"\bisis\b", r"\bisi\b",
    r"\bdaesh\b", r"\bdaish\b",
    r"\bkhorasan\b", r"\bkhurasan\b",
    r"\bwilay[ae]t\b",
    r"\bjund al[- ]khilaf",               # Jund al-Khilafah (Algeria, Tunisia)
    r"\bfat[ae]h al[- ]sham\b",           # Jabhat Fateh al-Sham
    r"\btahrir al[- ]sham\b", r"^hts$",   # Hay'at Tahrir al-Sham
    r"\baq(?:i|ap|im|is|y|c)?\b",         # AQ, AQI, AQAP, AQIM, AQIS, AQY, AQC
    r"\bbayt al[- ]maqdis\b",             # Ansar Bayt al-Maqdis -> Sinai Province
    r"\bboko haram\b",                    # -> Islamic State West Africa Province
    r"^is$",                              # UCDP's name for the IS lineage
    r"\bshabaa?b\b",                      # al-Shabaab (AQ affiliate since 2012)
    # taxonomy 2.0.0: groups the rules include or must decide on (issue "Coding v2", item 2)
    r"\bkhilaf",                          # Jund al-Khilafah, Ansar al-Khilafah, Tehrik-e-Khilafat
    r"\bcaliphate\b",                     # Soldiers / Vanguards of the Caliphate
    r"\bmujah[ie]d[ie]?en shura\b", r"\bshura council of mujahideen\b",  # Derna MSC, Gaza MSC, Iraq MSC
    r"\bansar al[- ]shari['`’]?a",         # Ansar al-Sharia (Libya, Tunisia, Yemen)
    r"\bhurr?as al[- ]din\b",             # Hurras al-Din (AQ, 2018)
    r"\b(?:jund|liwa) al[- ]aqsa\b",      # Jund al-Aqsa / Liwa al-Aqsa
    r"\bm[ou]rabit", r"\bmulath?am",       # Belmokhtar's al-Mulathamun / al-Mourabitoun
    r"\bsign(?:ed)? (?:in|with) blood\b",  # "Those who Sign in Blood" (Belmokhtar)
    r"\bmuhajir(?:ee|i)n wal[- ]ansar\b",  # Jaish al-Muhajireen wal-Ansar
    r"\bislamic movement of uzbekistan\b", # IMU (IS pledge 2015)
    r"\bmaute\b", r"\babu sayyaf\b", r"\bbangsamoro islamic freedom\b",  # Philippine IS pledgers
)
MARKER_RE = re.compile("|".join(f"(?:{p})" for p in MARKER_PATTERNS), re.IGNORECASE)


# Names a newer release may use for IS branches that no curated row lists yet: they reach the IS family by
# pattern (branch "IS branch (name pattern)") and are listed in the build's table of uncurated names, so
# they are never `other` silently. Checked after the exact and loose lookups.
IS_NAME_PATTERNS: tuple[str, ...] = (
    r"^.+ (?:province|division|chapter|wilayah?) of the islamic state\b",
    r"^islamic state[- ]+.+ (?:province|division)\b",
    r"^wilay[ae]t\b",
)
IS_NAME_RE = re.compile("|".join(f"(?:{p})" for p in IS_NAME_PATTERNS), re.IGNORECASE)
PATTERN_BRANCH = "IS branch (name pattern)"


def normalise_name(s: str) -> str:
    """Loose form of a name for the fallback lookup: NFKC, case-folded, one kind of apostrophe and dash,
    single spaces. Exact strings are tried first; this only catches spelling noise between releases."""
    s = unicodedata.normalize("NFKC", s)
    s = s.replace("’", "'").replace("‘", "'").replace("`", "'").replace("–", "-").replace("—", "-")
    return " ".join(s.casefold().split())


def has_marker(name: str) -> bool:
    return bool(MARKER_RE.search(name))


@dataclass(frozen=True)
class Entry:
    scheme: str
    raw_name: str
    family: str
    branch: str
    valid_from: pd.Timestamp | None
    valid_to: pd.Timestamp | None
    family_after: str
    row: int
    contested: bool = False


@dataclass(frozen=True)
class NameGroups:
    """The rows of one actor column grouped by distinct (string, scheme): what `Taxonomy.families` reads. It
    depends on neither the dates nor the coding choices, so it is computed once per column."""

    n: int                         # rows of the column
    present: np.ndarray            # bool per row: a non-blank string
    pairs: list[tuple[str, str]]   # the distinct (string, scheme) of the present rows
    order: np.ndarray              # positions among the present rows, grouped by pair
    bounds: np.ndarray             # the rows of pair k are order[bounds[k]:bounds[k + 1]]


def name_groups(names: pd.Series, scheme: str | pd.Series | None = None) -> NameGroups:
    """Group an actor column (one side) by distinct (string, scheme); scheme: one value or one per row
    (positional), missing -> "any"."""
    names = names.astype("string").reset_index(drop=True)
    if isinstance(scheme, pd.Series):
        schemes = scheme.reset_index(drop=True)
        if isinstance(schemes.dtype, pd.CategoricalDtype):  # a few schemes over many rows: keep the codes
            if schemes.isna().any():
                schemes = schemes.cat.add_categories(["any"]).fillna("any")
        else:
            schemes = schemes.astype("string").fillna("any")
    else:
        schemes = pd.Series(scheme if scheme is not None else "any", index=names.index, dtype="string")
    present = (names.notna() & (names.str.strip() != "")).to_numpy(dtype=bool)
    if not present.any():
        return NameGroups(len(names), present, [], np.zeros(0, dtype=np.intp), np.zeros(1, dtype=np.intp))
    # unique (name, scheme) pairs via two factorizations (much faster than a MultiIndex on 500k rows)
    name_codes, name_u = pd.factorize(names[present])
    sch_codes, sch_u = pd.factorize(schemes[present])
    codes, pair_u = pd.factorize(name_codes.astype(np.int64) * len(sch_u) + sch_codes)
    name_l, sch_l = name_u.tolist(), sch_u.tolist()
    pairs = [(str(name_l[p // len(sch_l)]), str(sch_l[p % len(sch_l)])) for p in pair_u.tolist()]
    codes = codes.ravel()
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(pairs) + 1))
    return NameGroups(len(names), present, pairs, order, bounds)


@dataclass
class Taxonomy:
    """Loaded actors.csv. Use `family_of` for columns and `branch_of` for the branch of a listed string."""

    table: pd.DataFrame
    path: Path | None = None
    _by_name: dict[str, list[Entry]] = field(default_factory=dict, repr=False)
    _by_norm: dict[str, list[Entry]] = field(default_factory=dict, repr=False)
    _undated: dict[tuple[str, str | None, bool], str] = field(default_factory=dict, repr=False)
    # entries per (string, scheme): the same actor strings recur across sources, sides and coding variants
    _entries: dict[tuple[str, str | None], list[Entry]] = field(default_factory=dict, repr=False)
    _components: dict[tuple[str, str | None], tuple[list[str], bool]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        contested = self.table["contested"] if "contested" in self.table.columns else \
            pd.Series(False, index=self.table.index)
        for i, (r, c) in enumerate(zip(self.table.itertuples(index=False), contested, strict=True), start=2):
            e = Entry(r.scheme, r.raw_name, r.family, r.branch, r.valid_from, r.valid_to, r.family_after, i,
                      bool(c))
            self._by_name.setdefault(r.raw_name, []).append(e)
            self._by_norm.setdefault(normalise_name(r.raw_name), []).append(e)

    # ------------------------------------------------------------------ lookup of one string
    def entries(self, name: str, scheme: str | None = None) -> list[Entry]:
        """Entries for an exact (else loosely normalised) name; a scheme's own rows win over 'any' rows."""
        key = (name, scheme)
        if key not in self._entries:
            self._entries[key] = self._lookup(name, scheme)
        return self._entries[key]

    def _lookup(self, name: str, scheme: str | None) -> list[Entry]:
        found = self._by_name.get(name) or self._by_norm.get(normalise_name(name)) or []
        if not found and IS_NAME_RE.search(name.strip()):
            return [Entry("any", name, "IS", PATTERN_BRANCH, None, None, "", 0)]
        if scheme is None or not found:
            return found
        own = [e for e in found if e.scheme == scheme]
        if own:
            return own
        generic = [e for e in found if e.scheme == "any"]
        return generic or found

    def is_listed(self, name: str, scheme: str | None = None) -> bool:
        """Listed in actors.csv (exactly or loosely); names reached only by IS_NAME_PATTERNS are not."""
        return any(e.row > 0 for e in self.entries(name, scheme))

    def is_mapped(self, name: str, scheme: str | None = None) -> bool:
        """Listed, or an IS branch by IS_NAME_PATTERNS."""
        return bool(self.entries(name, scheme))

    def components(self, name: str, scheme: str | None = None) -> list[str]:
        """The listed whole string, or its components after splitting on ' | ' then ', '."""
        if self.is_mapped(name, scheme):
            return [name]
        parts = [p.strip() for p in name.split(COMPONENT_SEPARATORS[0]) if p.strip()]
        out: list[str] = []
        for p in parts:
            if self.is_mapped(p, scheme) or COMPONENT_SEPARATORS[1] not in p:
                out.append(p)
            else:
                out.extend(q.strip() for q in p.split(COMPONENT_SEPARATORS[1]) if q.strip())
        return out

    def branch_of(self, name: str, scheme: str | None = None) -> str | None:
        es = self.entries(name, scheme)
        return es[0].branch if es else None

    # ------------------------------------------------------------------ vectorised
    def family_of(self, names: pd.Series, dates: pd.Series, choices: TaxonomyChoices,
                  scheme: str | pd.Series | None = None) -> pd.Series:
        """Family per row: "AQ", "IS", "AQ+IS", "coalition", "JIH", "other", or <NA> where the name is missing.

        names: actor strings (one side); dates: the dates at which to apply dated affiliations (see
        `reference_dates`); scheme: the source's naming scheme (a scheme's own rows win over "any" rows),
        one value or one per row (positional). The result has the index of `names`.
        """
        fam = self.families(name_groups(names, scheme), dates, choices)
        return pd.Series(pd.array(fam, dtype="string"), index=names.index)

    def families(self, groups: NameGroups, dates: pd.Series, choices: TaxonomyChoices) -> np.ndarray:
        """`family_of` as a positional object array (None where the name is missing) for a column already
        grouped by `name_groups`: a caller classifying the same column under several coding choices groups it
        once, and reads the families as codes (no text column built)."""
        dates = pd.to_datetime(dates).reset_index(drop=True).astype("datetime64[ns]")
        if groups.n != len(dates):
            raise ValueError(f"names ({groups.n}) and dates ({len(dates)}) differ in length")
        out = np.full(groups.n, None, dtype=object)
        if not groups.pairs:
            return out
        cutoff = (pd.Timestamp(choices.nusra_counts_as_aq_until) if choices.nusra_counts_as_aq_until is not None
                  else None)
        contested_in = choices.contested_groups == "in"
        d = dates[groups.present].to_numpy()
        # rows grouped by unique (name, scheme); undated names get one family for all their rows
        order, bounds = groups.order, groups.bounds
        fam = np.empty(len(order), dtype=object)
        for k, (name, sch) in enumerate(groups.pairs):
            sch_arg = None if sch == "any" else sch
            comps, dated = self._parts(name, sch_arg)
            idx = order[bounds[k]:bounds[k + 1]]
            if dated:
                fam[idx] = self._combine([self._component_family(c, sch_arg, d[idx], cutoff, contested_in)
                                          for c in comps])
            else:  # one family for every row of this string (memoised: it does not depend on the date)
                memo_key = (name, sch_arg, contested_in)
                if memo_key not in self._undated:
                    self._undated[memo_key] = self._combine(
                        [self._component_family(c, sch_arg, d[idx[:1]], cutoff, contested_in) for c in comps])[0]
                fam[idx] = self._undated[memo_key]
        out[groups.present] = fam
        return out

    def _parts(self, name: str, scheme: str | None) -> tuple[list[str], bool]:
        """(components of a string, whether any has a dated entry), memoised: the same strings are looked up
        for every coding variant."""
        key = (name, scheme)
        if key not in self._components:
            comps = self.components(name, scheme) or [name]
            self._components[key] = (comps, any(self._is_dated(c, scheme) for c in comps))
        return self._components[key]

    def _is_dated(self, name: str, scheme: str | None) -> bool:
        return any(e.valid_from is not None or e.valid_to is not None or e.branch == NUSRA_BRANCH
                   for e in self.entries(name, scheme))

    @staticmethod
    def _combine(families: list[np.ndarray]) -> np.ndarray:
        """Combine component families row-wise: AQ and IS -> AQ+IS; a family beats coalition / JIH / other."""
        n = len(families[0]) if families else 0
        aq = np.zeros(n, dtype=bool)
        is_, coal, jih = aq.copy(), aq.copy(), aq.copy()
        for f in families:
            aq |= f == "AQ"
            is_ |= f == "IS"
            coal |= f == "coalition"
            jih |= f == "JIH"
        res = np.full(n, "other", dtype=object)
        res[coal] = "coalition"
        res[jih] = "JIH"
        res[aq] = "AQ"
        res[is_] = "IS"
        res[aq & is_] = "AQ+IS"
        return res

    def _component_family(self, name: str, scheme: str | None, d: np.ndarray, cutoff: pd.Timestamp | None,
                          contested_in: bool = False) -> np.ndarray:
        """Family of one listed (or unlisted -> "other") component at each date in d. A contested entry gives
        "JIH" (jihadist, family not established) inside its range unless contested_in; cutoff None keeps the
        Nusra lineage AQ at every date."""
        es = self.entries(name, scheme)
        if not es:
            return np.full(len(d), "other", dtype=object)
        res = np.full(len(d), None, dtype=object)
        for e in es:
            lo, hi = e.valid_from, e.valid_to
            if e.branch == NUSRA_BRANCH and e.family == "AQ":
                hi = cutoff  # the study choice replaces the CSV's valid_to for the whole Nusra lineage
            inside = np.ones(len(d), dtype=bool)
            if lo is not None:
                inside &= d >= np.datetime64(lo)
            if hi is not None:
                inside &= d < np.datetime64(hi)
            fam = "JIH" if (e.contested and not contested_in) else e.family
            res[inside & (res == None)] = fam  # noqa: E711 (elementwise on an object array)
        if (res == None).any():  # noqa: E711
            # outside every range: the family_after of the entry nearest in time
            todo = res == None  # noqa: E711
            best = np.full(todo.sum(), np.inf)
            fill = np.full(todo.sum(), "other", dtype=object)
            dd = d[todo].astype("datetime64[D]").astype("int64")
            for e in es:
                edges = [x for x in (e.valid_from, e.valid_to) if x is not None]
                if not edges:
                    continue
                dist = np.min([np.abs(dd - np.datetime64(x, "D").astype("int64")) for x in edges], axis=0)
                closer = dist < best
                best[closer] = dist[closer]
                fill[closer] = e.family_after or "other"
            res[todo] = fill
        return res

    def marker_unmapped(self, names: pd.Series | list[str], scheme: str | None = None) -> list[str]:
        """Strings (or their components) that carry a family marker but are not listed in the taxonomy."""
        uniq = pd.Series(list(names), dtype="string").dropna().str.strip().unique()
        missing: set[str] = set()
        for name in uniq:
            if not name or not has_marker(name) or self.is_listed(name, scheme):
                continue
            for comp in self.components(name, scheme):
                if has_marker(comp) and not self.is_listed(comp, scheme):
                    missing.add(comp)
        return sorted(missing)


def _parse_date(value: str, row: int, column: str) -> pd.Timestamp | None:
    if not value:
        return None
    try:
        return pd.Timestamp(date.fromisoformat(value))
    except ValueError as exc:
        raise TaxonomyError(f"actors.csv row {row}: {column} {value!r} is not an ISO date (YYYY-MM-DD)") from exc


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read and validate actors.csv: known columns, schemes and families, parseable dates, valid_from before
    valid_to, unique (scheme, raw_name, valid_from), and no two ranges of one name overlapping."""
    path = Path(path) if path else DEFAULT_ACTORS
    if not path.is_file():
        raise TaxonomyError(f"actor taxonomy not found: {path}")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in ACTOR_COLUMNS if c not in raw.columns]
    if missing:
        raise TaxonomyError(f"{path}: missing columns {missing}")
    has_contested = "contested" in raw.columns
    raw = raw.loc[:, list(ACTOR_COLUMNS) + (["contested"] if has_contested else [])]
    if has_contested:
        flag = raw["contested"].str.strip().str.lower()
        bad = ~flag.isin(["", "true", "false"])
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise TaxonomyError(f"{path} row {i}: contested must be true, false or empty, got {raw['contested'][i - 2]!r}")
        raw["contested"] = flag == "true"
    for c in ("scheme", "raw_name", "family", "branch", "family_after", "valid_from", "valid_to"):
        raw[c] = raw[c].str.strip()
    vf, vt = [], []
    for i, r in enumerate(raw.itertuples(index=False), start=2):
        if not r.raw_name:
            raise TaxonomyError(f"{path} row {i}: raw_name is empty")
        if r.scheme not in SCHEMES:
            raise TaxonomyError(f"{path} row {i} ({r.raw_name!r}): scheme {r.scheme!r} not one of {SCHEMES}")
        if r.family not in ENTRY_FAMILIES:
            raise TaxonomyError(f"{path} row {i} ({r.raw_name!r}): family {r.family!r} not one of {ENTRY_FAMILIES}")
        if r.family_after and r.family_after not in ENTRY_FAMILIES:
            raise TaxonomyError(f"{path} row {i} ({r.raw_name!r}): family_after {r.family_after!r} "
                                f"not one of {ENTRY_FAMILIES}")
        lo, hi = _parse_date(r.valid_from, i, "valid_from"), _parse_date(r.valid_to, i, "valid_to")
        if lo is not None and hi is not None and not lo < hi:
            raise TaxonomyError(f"{path} row {i} ({r.raw_name!r}): valid_from {lo.date()} is not before "
                                f"valid_to {hi.date()}")
        if r.family_after and lo is None and hi is None:
            raise TaxonomyError(f"{path} row {i} ({r.raw_name!r}): family_after given but no date range")
        vf.append(lo)
        vt.append(hi)
    raw["valid_from"] = pd.Series(vf, dtype=object)
    raw["valid_to"] = pd.Series(vt, dtype=object)
    dup = raw.assign(_vf=raw["valid_from"].astype(str)).duplicated(["scheme", "raw_name", "_vf"], keep=False)
    if dup.any():
        rows = [int(i) + 2 for i in np.flatnonzero(dup.to_numpy())]
        raise TaxonomyError(f"{path}: (scheme, raw_name, valid_from) repeated in rows {rows}: "
                            f"{raw.loc[dup, 'raw_name'].unique().tolist()}")
    for (sch, name), grp in raw.groupby(["scheme", "raw_name"], sort=False):
        if len(grp) < 2:
            continue
        spans = sorted(((x if x is not None else pd.Timestamp.min), (y if y is not None else pd.Timestamp.max),
                        int(ix) + 2) for x, y, ix in zip(grp["valid_from"], grp["valid_to"], grp.index, strict=True))
        for (a0, a1, ra), (b0, _b1, rb) in zip(spans, spans[1:], strict=False):
            if b0 < a1:
                raise TaxonomyError(f"{path}: rows {ra} and {rb} ({sch}, {name!r}) have overlapping date ranges")
    return Taxonomy(table=raw.reset_index(drop=True), path=path)


def first_of_month(years: pd.Series, month: int) -> pd.Series:
    """1 `month` of each year, as datetime64[ns] with the index of `years` (integer years, no missing).
    Built with numpy calendar units: `pd.to_datetime` of a year/month/day frame is ten times slower."""
    y = np.asarray(years, dtype="int64") - 1970
    d = (y.astype("datetime64[Y]").astype("datetime64[M]") + (month - 1)).astype("datetime64[ns]")
    return pd.Series(d, index=years.index)


def reference_dates(df: pd.DataFrame) -> pd.Series:
    """The date at which a row's dated affiliations are judged.

    events (with `date`, `date_precision`): the exact day; the 15th for month precision; 1 July for year
    precision, so a row known only to the year is judged at mid-year rather than on 1 January.
    yearly rows (only `year`): 1 July of the year.
    """
    if "date" in df.columns:
        d = pd.to_datetime(df["date"]).astype("datetime64[ns]")
        prec = df["date_precision"].astype("string") if "date_precision" in df.columns else None
        if prec is not None:
            month = (prec == "month").fillna(False).to_numpy()
            year = (prec == "year").fillna(False).to_numpy()
            d = d.where(~month, d + pd.Timedelta(days=14))
            d = d.where(~year, first_of_month(df["year"], 7))
        return d.reset_index(drop=True)
    return first_of_month(df["year"], 7).reset_index(drop=True)
