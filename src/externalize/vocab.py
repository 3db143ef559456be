"""The study's controlled vocabulary, stated once: event classes, actor families, arms.

Only names live here (no logic). Every module that filters, groups or validates by class, family or arm
imports these tuples instead of writing its own list.

Event classes (one per classified row; the rules that assign them are `externalize.classify.RULES`):

    clash              AQ-family actor fighting an IS-family actor after the AQ-IS split
    joint              AQ and IS on one side after the split, co-perpetration verified by the source
    joint_unverified   a source row naming both families whose release cannot tell co-perpetration from
                       competing claims (no GTD compclaim / guncertain); kept out of the primary joint series
    external           a family (or unnamed jihadist) actor attacking or plotting against an external target
                       (Western or coalition states, their forces, officials, embassies, nationals, tourists)
    coalition_contact  fighting between the forces of a coalition / Western state and a family actor
                       (UCDP state-based rows): the coalition's own action, never `external`
    statement          an MMP relationship row that records a statement, ruling or video, not an event
    other              the families' other activity (local attacks, relations inside one network, splits)
    none               no family actor, or a row a study choice leaves out (the rule id says which)
"""

from __future__ import annotations

from typing import Literal, get_args

EventClass = Literal["clash", "joint", "joint_unverified", "external", "coalition_contact", "statement",
                     "other", "none"]
EVENT_CLASSES: tuple[str, ...] = get_args(EventClass)
# classes that count events of one of the study's three arms (the outcome classes)
ARM_CLASSES: tuple[str, ...] = ("clash", "joint", "external")

# family of one side of a row (`family_a`, `family_b`)
Family = Literal["AQ", "IS", "AQ+IS", "JIH", "coalition", "other"]
FAMILIES: tuple[str, ...] = get_args(Family)
# families an actors.csv entry may give (AQ+IS only arises from combining components)
ENTRY_FAMILIES: tuple[str, ...] = ("AQ", "IS", "coalition", "JIH", "other")
# values of family_a / family_b that make a row a "family row"
FAMILY_ACTORS: tuple[str, ...] = ("AQ", "IS", "AQ+IS", "JIH")
NAMED_FAMILIES: tuple[str, ...] = ("AQ", "IS", "AQ+IS")

# the study's arms (registry `arms`)
Arm = Literal["clash", "joint", "external", "volume", "dose", "context"]
ARMS: tuple[str, ...] = get_args(Arm)
