"""The package's shared names, defined once: event classes, arms, families, frequencies, pipeline steps, model
term names, and the few numeric conventions several modules apply.

Every other module imports these; none spells them again. Each vocabulary is a `Literal` type (for the type
checker) and a tuple of its values (for run-time checks), kept in step by `typing.get_args`; `check_choice`
is the one validation helper (pattern of pyfixest's internal `_check_literal`): it names the nearest valid
value, so a typo reads as a typo.

This module imports nothing heavy (no pandas), so the config and CLI can use it cheaply.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Literal, TypeVar, get_args

from externalize.errors import ConfigError, ExternalizeError

#: classes an event (a row of the event or yearly table) can be given by the classification rules
#: (rules 2.0.0, data/taxonomy/rules.md):
#:   clash              AQ-family actor fighting an IS-family actor after the AQ-IS split
#:   joint              AQ and IS on one side after the split, co-perpetration verified by the source
#:   joint_unverified   a row naming both families that cannot be verified as co-perpetration after the
#:                      split (no GTD compclaim / guncertain set; a year- or month-only row containing the
#:                      split date); kept out of the primary joint series
#:   external           a family or unnamed-jihadist perpetrator attacking or plotting against an external
#:                      target (Western or coalition states, their forces, officials, embassies, nationals,
#:                      tourists)
#:   coalition_contact  fighting between a Western / coalition state's forces and a family actor (the
#:                      coalition's action, never external)
#:   statement          an MMP relationship row that records a statement, ruling or video, not an event
#:   other              the families' other activity (local attacks, ties inside one network, splits)
#:   none               no family actor, or a row a study choice leaves out (the rule id says which)
EventClass = Literal["clash", "clash_unverified", "joint", "joint_unverified", "external", "coalition_contact", "statement",
                     "other", "none"]
EVENT_CLASSES: tuple[EventClass, ...] = get_args(EventClass)

#: the three arms of the hypothesis: what each outcome series measures
Arm = Literal["clash", "joint", "external"]
ARMS: tuple[Arm, ...] = get_args(Arm)

#: what a registered source can measure (data/sources.toml `arms`): the three arms, the volume of the families'
#: other activity, the dose of the intervention (strikes) and context series
RegistryArm = Literal["clash", "joint", "external", "volume", "dose", "context"]
REGISTRY_ARMS: tuple[RegistryArm, ...] = get_args(RegistryArm)

#: what an outcome may count: one class, or every row ("all", e.g. a share's denominator)
OutcomeClass = Literal["clash", "clash_unverified", "joint", "joint_unverified", "external", "coalition_contact", "statement",
                       "other", "none", "all"]
OUTCOME_CLASSES: tuple[OutcomeClass, ...] = get_args(OutcomeClass)

#: actor families of the taxonomy, and "all" (both families and unnamed jihadists) for outcomes
Family = Literal["AQ", "IS", "all"]
FAMILIES: tuple[Family, ...] = get_args(Family)

#: the family of one side of a classified row (`family_a`, `family_b`); "JIH" = jihadist of unestablished
#: family (no group named, or a contested membership); "AQ+IS" = both families on one side
SideFamily = Literal["AQ", "IS", "AQ+IS", "JIH", "coalition", "other"]
SIDE_FAMILIES: tuple[SideFamily, ...] = get_args(SideFamily)
#: families an actors.csv entry may give (AQ+IS only arises from combining components)
ENTRY_FAMILIES: tuple[str, ...] = ("AQ", "IS", "coalition", "JIH", "other")
#: side families that make a row a "family row"
FAMILY_ACTORS: tuple[str, ...] = ("AQ", "IS", "AQ+IS", "JIH")
NAMED_FAMILIES: tuple[str, ...] = ("AQ", "IS", "AQ+IS")

Frequency = Literal["month", "year"]
FREQUENCIES: tuple[Frequency, ...] = get_args(Frequency)

#: the pipeline's steps, in the order data flows
Step = Literal["build", "fit", "robustness", "designs", "findings", "figures", "report"]
STEPS: tuple[Step, ...] = get_args(Step)

#: kinds of intervention term in a segmented design (Wagner et al. 2002: level change, slope change)
TermKind = Literal["level", "slope"]
TERM_KINDS: tuple[TermKind, ...] = get_args(TermKind)

#: a rate ratio (or its interval bound) beyond this factor, or below its inverse, is a boundary fit (a zero
#: cell or near-separation): tables and figures show it as "not estimable" instead of a number
DEGENERATE_RATIO = 1e3

T = TypeVar("T", bound=str)


def nearest(value: str, choices: Iterable[str]) -> str | None:
    """The valid choice closest to `value` (difflib ratio >= 0.6), or None."""
    close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1, cutoff=0.6)
    return close[0] if close else None


def check_choice(value: object, choices: Iterable[T], what: str,
                 error: type[ExternalizeError] = ConfigError) -> T:
    """Return `value` when it is one of `choices`; otherwise raise `error` naming `what`, the valid choices
    and the nearest one ("did you mean ...?")."""
    options = tuple(choices)
    if value in options:
        return value
    hint = nearest(str(value), options)
    suffix = f"; did you mean {hint!r}?" if hint else ""
    raise error(f"{what}: {value!r} is not one of {list(options)}{suffix}")


def term(intervention: str, kind: TermKind, series: str | None = None) -> str:
    """Name of an intervention's design column: `term("iraq_strikes", "level")` -> "level_iraq_strikes"; with
    `series`, the comparative difference term: `term("iraq", "slope", "joint")` -> "slope_iraq:joint".

    The one place term names are built; models, results, tables and figures look terms up through it. Raises
    ModelSpecError for an unknown kind."""
    from externalize.errors import ModelSpecError

    check_choice(kind, TERM_KINDS, "term kind", error=ModelSpecError)
    name = f"{kind}_{intervention}"
    return name if series is None else f"{name}:{series}"


def parse_term(name: str) -> tuple[TermKind, str] | None:
    """Inverse of `term`: "slope_iraq_strikes" -> ("slope", "iraq_strikes"); None for other columns
    (const, trend, seasonal terms, interactions)."""
    for kind in TERM_KINDS:
        prefix = f"{kind}_"
        if name.startswith(prefix) and ":" not in name:
            return kind, name[len(prefix):]
    return None


_TRUE = frozenset({"true", "1", "1.0", "yes", "t", "y"})
_FALSE = frozenset({"false", "0", "0.0", "no", "f", "n", "", "nan", "<na>"})


def as_bool(value: object) -> bool:
    """A boolean cell read back from CSV ("True", "False", 1, 0, "", NaN) as a bool; anything else is an
    error (a column that is not boolean). NaN and "" read as False."""
    if isinstance(value, bool):
        return value
    if value is None or (isinstance(value, float) and value != value):
        return False
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ExternalizeError(f"not a boolean cell: {value!r}")
