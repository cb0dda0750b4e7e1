"""Conversations, capacity, representatives and advance decisions: what decisions are made from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from carerecord_events.base import CareRecordEvent, Participant, event_type
from carerecord_events.vocabulary import CapacityDecision, InformationFormat, RepresentativeKind


@dataclass(frozen=True, kw_only=True)
class ConversationContent:
    """Who took part in a conversation about care and treatment, and what was said and given."""

    participants: tuple[Participant, ...]
    """Who took part in the conversation"""
    person_took_part: bool
    """Whether the person themselves took part"""
    communication_support: tuple[str, ...] = ()
    """How the person was helped to communicate (aids, a speech and language therapist)"""
    what_matters: str = ""
    """What matters to the person, in their words"""
    information_given: str = ""
    """What information was given, in words"""
    information_format: str = ""
    """The information given, in words ("easy read leaflet about CPR"); `formats_offered` codes it."""
    views_expressed: str = ""
    """The views the person and those close to them expressed"""
    formats_offered: tuple[InformationFormat, ...] = ()
    """The accessible formats information was offered in: none is standard print only, or not recorded."""
    interpreter_language: str = ""
    """The language interpreted, when an interpreter was offered (and only then)."""
    reasonable_adjustments: tuple[str, ...] = ()
    """What was changed about how the conversation was held so that the person could take part (a longer
    appointment, a quiet room, at home, someone they trust present); `communication_support` is how they were
    helped to communicate in it (aids, a speech and language therapist)."""


@dataclass(frozen=True, kw_only=True)
class CapacityFinding:
    """What a capacity assessment found, for one coded decision (`decision_text` names an OTHER decision in
    words)."""

    decision: CapacityDecision
    """The decision whose capacity was assessed"""
    decision_text: str = ""
    """The decision in the assessor's words (needed when it is "other")"""
    has_capacity: bool
    """Whether the person has capacity to make this decision"""
    how_capacity_is_lacking: str = ""
    """How capacity is lacking (understanding, retaining, weighing or communicating), when it is"""
    assessor_name: str = ""
    """The assessor's name"""


@dataclass(frozen=True, kw_only=True)
class RepresentativeDetails:
    """Who speaks for the person, and for a lasting power of attorney whether it is registered and covers
    life-sustaining treatment."""

    kind: RepresentativeKind
    """On what footing they speak for the person"""
    name: str
    """The representative's name"""
    relationship: str = ""
    """Their relationship to the person"""
    contact: str = ""
    """How to reach them"""
    lpa_registered: bool | None = None
    """For a lasting power of attorney: whether it is registered with the Office of the Public Guardian; none:
    not stated"""
    lpa_covers_life_sustaining_treatment: bool | None = None
    """For a lasting power of attorney: whether it gives authority over life-sustaining treatment; none: not
    stated"""


@dataclass(frozen=True, kw_only=True)
class AdvanceDecisionTerms:
    """What an advance decision to refuse treatment refuses, when it was made, and its formalities."""

    treatments_refused: str
    """The treatments refused, in the decision's words"""
    refuses_cpr: bool
    """Whether CPR is among the treatments refused"""
    made_on: date
    """The date the decision was made"""
    written: bool
    """Whether it is in writing"""
    signed: bool
    """Whether it is signed by the person (or by someone in their presence, at their direction)"""
    witnessed: bool
    """Whether the signature is witnessed"""
    states_applies_even_if_life_at_risk: bool
    """Whether it states that it applies even if life is at risk (needed for it to refuse life-sustaining
    treatment)"""
    document_location: str = ""
    """Where the document is kept"""
    made_with_capacity: bool | None = None
    """Whether the person had capacity to make it: None is not recorded, and capacity is then presumed, as the
    Mental Capacity Act 2005 presumes it; False makes it not valid."""


@event_type(
    "ConversationRecorded",
    version=2,
    label="Conversation about care and treatment recorded",
    easy_read="Someone talked with you, or people close to you, about your care, and wrote down what was said.",
)
@dataclass(frozen=True, kw_only=True)
class ConversationRecorded(ConversationContent, CareRecordEvent):
    """Version 2 codes the accessible formats offered (an interpreter with its language) and the reasonable
    adjustments made; version 1 held the format in words only, and upcasts to none coded."""

    conversation_id: UUID


@event_type(
    "CapacityAssessed",
    version=2,
    label="Mental capacity assessed for a specific decision",
    easy_read="Someone checked whether you could make this decision yourself.",
)
@dataclass(frozen=True, kw_only=True)
class CapacityAssessed(CapacityFinding, CareRecordEvent):
    """Version 2 codes the decision assessed (version 1 held only free text, which the rules could not read:
    "cardiopulmonary resuscitation" was not "cpr"). `decision_text` names an OTHER decision in words, and keeps
    the words a version 1 event was written with."""

    assessment_id: UUID


@event_type(
    "RepresentativeRecorded",
    version=1,
    label="Representative recorded",
    easy_read="Someone who can speak for you was written down.",
)
@dataclass(frozen=True, kw_only=True)
class RepresentativeRecorded(RepresentativeDetails, CareRecordEvent):
    representative_id: UUID


@event_type(
    "RepresentativeWithdrawn",
    version=1,
    label="Representative no longer acts",
    easy_read="Someone who spoke for you no longer does.",
)
@dataclass(frozen=True, kw_only=True)
class RepresentativeWithdrawn(CareRecordEvent):
    representative_id: UUID
    reason: str


@event_type(
    "AdvanceDecisionRecorded",
    version=2,
    label="Advance decision to refuse treatment (ADRT) recorded",
    easy_read="A paper where you said no to a treatment in the future was written down.",
)
@dataclass(frozen=True, kw_only=True)
class AdvanceDecisionRecorded(AdvanceDecisionTerms, CareRecordEvent):
    advance_decision_id: UUID


@event_type(
    "AdvanceDecisionWithdrawn",
    version=1,
    label="Advance decision to refuse treatment (ADRT) withdrawn",
    easy_read="You took back a paper where you had said no to a treatment.",
)
@dataclass(frozen=True, kw_only=True)
class AdvanceDecisionWithdrawn(CareRecordEvent):
    advance_decision_id: UUID
    reason: str
