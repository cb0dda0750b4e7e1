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
    person_took_part: bool
    communication_support: tuple[str, ...] = ()
    what_matters: str = ""
    information_given: str = ""
    information_format: str = ""
    """The information given, in words ("easy read leaflet about CPR"); `formats_offered` codes it."""
    views_expressed: str = ""
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
    decision_text: str = ""
    has_capacity: bool
    how_capacity_is_lacking: str = ""
    assessor_name: str = ""


@dataclass(frozen=True, kw_only=True)
class RepresentativeDetails:
    """Who speaks for the person, and for a lasting power of attorney whether it is registered and covers
    life-sustaining treatment."""

    kind: RepresentativeKind
    name: str
    relationship: str = ""
    contact: str = ""
    lpa_registered: bool | None = None
    lpa_covers_life_sustaining_treatment: bool | None = None


@dataclass(frozen=True, kw_only=True)
class AdvanceDecisionTerms:
    """What an advance decision to refuse treatment refuses, when it was made, and its formalities."""

    treatments_refused: str
    refuses_cpr: bool
    made_on: date
    written: bool
    signed: bool
    witnessed: bool
    states_applies_even_if_life_at_risk: bool
    document_location: str = ""
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
