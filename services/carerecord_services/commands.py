"""Commands: what someone asks the record to do, in the imperative. Each is decided by the rules in
`decisions.py` (the rules, by family, in `rules/`) and, if accepted, becomes one or more events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from carerecord_events.assurance import BoardFindingContent
from carerecord_events.base import Actor, Clinician, Participant
from carerecord_events.conversations import (
    AdvanceDecisionTerms,
    CapacityFinding,
    ConversationContent,
    RepresentativeDetails,
)
from carerecord_events.people import PersonDetails
from carerecord_events.plans import RecommendationContent, ReviewFindings
from carerecord_events.vocabulary import (
    ConcernRaisedBy,
    RelationshipBasis,
    RevocationInitiator,
    Setting,
)


@dataclass(frozen=True, kw_only=True)
class Command:
    actor: Actor
    occurred_at: datetime | None = None
    """When it happened, if earlier than now (a late entry); none: now"""


@dataclass(frozen=True, kw_only=True)
class RegisterPerson(PersonDetails, Command):
    """Registers the person with these details."""


@dataclass(frozen=True, kw_only=True)
class RecordDeath(Command):
    """Records the person's death, where they died, and whether it was where they wished; plans in force
    close."""

    date_of_death: date
    """The date the person died"""
    place_of_death: str
    """Where the person died, in words (home, a care home, a hospital, a hospice...)"""
    was_preferred_place: bool | None = None
    """Whether they died where they wished to; none: not known"""


@dataclass(frozen=True, kw_only=True)
class StartCareRelationship(Command):
    """Starts caring for the person, stating the basis of the relationship (with text when it is "other", and
    the referring organisation when a referral was received). Without evidence the record already holds, the
    relationship is listed for a privacy officer's review; on an "other" basis it also ends after a set time
    unless the organisation's administrator confirms it."""

    organisation: str
    """The organisation that starts caring for the person, by its ODS code"""
    setting: Setting
    """The kind of service it cares for the person in"""
    basis: RelationshipBasis
    """Why the organisation has a legitimate relationship with the person"""
    basis_detail: str = ""
    """The basis in words, when it is "other" """
    referred_by: str | None = None
    """The referring organisation's ODS code, when a referral was received"""


@dataclass(frozen=True, kw_only=True)
class ConfirmCareRelationship(Command):
    """The organisation's administrator confirms a relationship started on an "other" basis, so it does not end."""

    organisation: str
    """The administrator's organisation, by its ODS code"""
    relationship_id: UUID
    """The care relationship confirmed"""


@dataclass(frozen=True, kw_only=True)
class ReviewCareRelationship(Command):
    """A privacy officer's finding on a relationship started without evidence: appropriate or not, and why."""

    relationship_id: UUID
    """The care relationship reviewed"""
    appropriate: bool
    """Whether starting the relationship was appropriate"""
    notes: str
    """The finding's reasons, in the privacy officer's words"""


@dataclass(frozen=True, kw_only=True)
class EndCareRelationship(Command):
    """Ends the organisation's care relationship with the person, with the reason; it may read no more."""

    organisation: str
    """The organisation whose relationship ends, by its ODS code"""
    reason: str
    """Why the relationship ends"""


@dataclass(frozen=True, kw_only=True)
class RecordConversation(ConversationContent, Command):
    """Records a conversation about care and treatment."""


@dataclass(frozen=True, kw_only=True)
class AssessCapacity(CapacityFinding, Command):
    """Records a capacity assessment for one coded decision."""


@dataclass(frozen=True, kw_only=True)
class RecordRepresentative(RepresentativeDetails, Command):
    """Records someone who speaks for the person."""


@dataclass(frozen=True, kw_only=True)
class WithdrawRepresentative(Command):
    """Records that a representative no longer acts for the person, and why."""

    representative_id: UUID
    """The representative who no longer acts for the person"""
    reason: str
    """Why they no longer act"""


@dataclass(frozen=True, kw_only=True)
class RecordAdvanceDecision(AdvanceDecisionTerms, Command):
    """Records an advance decision to refuse treatment."""


@dataclass(frozen=True, kw_only=True)
class WithdrawAdvanceDecision(Command):
    """Records that the person withdrew an advance decision to refuse treatment, and why."""

    advance_decision_id: UUID
    """The advance decision withdrawn"""
    reason: str
    """Why, in the words of the person withdrawing it"""


@dataclass(frozen=True, kw_only=True)
class MakeRecommendation(RecommendationContent, Command):
    """Makes a recommendation about CPR and emergency care, with its reasoning and who was involved; a
    junior's awaits senior endorsement."""

    responsible_clinician: Clinician | None
    """The clinician responsible for the recommendation"""


@dataclass(frozen=True, kw_only=True)
class TakeInPlan(MakeRecommendation):
    """Takes in a recommendation another system holds (a FHIR Bundle, a migration): decided by exactly the rules
    of `MakeRecommendation`, and recorded with where it was taken in from."""

    taken_in_from: str
    source_identifier: str


@dataclass(frozen=True, kw_only=True)
class EndorsePlan(Command):
    """The senior responsible clinician endorses a recommendation made by someone else."""

    plan_id: UUID
    """The plan endorsed"""
    endorser_name: str
    """The endorsing clinician's name"""


@dataclass(frozen=True, kw_only=True)
class ReviewPlan(ReviewFindings, Command):
    """Reviews a recommendation: kept, changed or revoked, who took part, and when it is next due."""

    plan_id: UUID
    """The plan reviewed"""
    reviewer_name: str
    """The reviewing clinician's name"""


@dataclass(frozen=True, kw_only=True)
class RevokePlan(Command):
    """Revokes a recommendation, with the reason and who asked for it; it no longer applies."""

    plan_id: UUID
    """The plan revoked"""
    reason: str
    """Why it no longer applies"""
    initiated: RevocationInitiator
    """Who asked for it to be revoked"""


@dataclass(frozen=True, kw_only=True)
class CommunicateDecision(Command):
    """Records who was told of a decision, and how."""

    plan_id: UUID
    """The plan whose decision was told"""
    told: tuple[Participant, ...]
    """Who was told"""
    how: str = ""
    """How they were told (in person, by telephone, in writing...)"""


@dataclass(frozen=True, kw_only=True)
class MarkEnteredInError(Command):
    """Marks an entry as entered in error (it stays in the history, marked); a plan so marked no longer
    applies."""

    entry_event_id: UUID
    """The entry (its event id, from the timeline) entered in error"""
    reason: str
    """Why it was in error"""


@dataclass(frozen=True, kw_only=True)
class RecordCorrection(Command):
    """Records a correction to an earlier entry, which stays in the history as it was."""

    corrects_event_id: UUID
    """The entry corrected (its event id, from the timeline)"""
    correction: str
    """The correction, in words"""


@dataclass(frozen=True, kw_only=True)
class RaiseConcern(Command):
    """Raises a concern about the record or a plan, for someone to look into."""

    raised_by: ConcernRaisedBy
    """Who raised the concern"""
    summary: str
    """The concern, in words"""
    plan_id: UUID | None = None
    """The plan the concern is about, if one"""


@dataclass(frozen=True, kw_only=True)
class RecordBoardFinding(BoardFindingContent, Command):
    """Records what the integrated care board found when it looked into a decision (for example one named in a
    blanket-decision alert), on the person's record."""


@dataclass(frozen=True, kw_only=True)
class ResolveConcern(Command):
    """Resolves a concern, saying how."""

    concern_id: UUID
    """The concern resolved"""
    resolution: str
    """How it was resolved"""
