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
    occurred_at: datetime | None = None  # when it happened, if earlier than now (a late entry)


@dataclass(frozen=True, kw_only=True)
class RegisterPerson(PersonDetails, Command):
    """Registers the person with these details."""


@dataclass(frozen=True, kw_only=True)
class RecordDeath(Command):
    """Records the person's death, where they died, and whether it was where they wished; plans in force
    close."""

    date_of_death: date
    place_of_death: str
    was_preferred_place: bool | None = None


@dataclass(frozen=True, kw_only=True)
class StartCareRelationship(Command):
    """Starts caring for the person, stating the basis of the relationship (with text when it is "other", and
    the referring organisation when a referral was received). Without evidence the record already holds, the
    relationship is listed for a privacy officer's review; on an "other" basis it also ends after a set time
    unless the organisation's administrator confirms it."""

    organisation: str
    setting: Setting
    basis: RelationshipBasis
    basis_detail: str = ""
    referred_by: str | None = None


@dataclass(frozen=True, kw_only=True)
class ConfirmCareRelationship(Command):
    """The organisation's administrator confirms a relationship started on an "other" basis, so it does not end."""

    organisation: str
    relationship_id: UUID


@dataclass(frozen=True, kw_only=True)
class ReviewCareRelationship(Command):
    """A privacy officer's finding on a relationship started without evidence: appropriate or not, and why."""

    relationship_id: UUID
    appropriate: bool
    notes: str


@dataclass(frozen=True, kw_only=True)
class EndCareRelationship(Command):
    """Ends the organisation's care relationship with the person, with the reason; it may read no more."""

    organisation: str
    reason: str


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
    reason: str


@dataclass(frozen=True, kw_only=True)
class RecordAdvanceDecision(AdvanceDecisionTerms, Command):
    """Records an advance decision to refuse treatment."""


@dataclass(frozen=True, kw_only=True)
class WithdrawAdvanceDecision(Command):
    """Records that the person withdrew an advance decision to refuse treatment, and why."""

    advance_decision_id: UUID
    reason: str


@dataclass(frozen=True, kw_only=True)
class MakeRecommendation(RecommendationContent, Command):
    """Makes a recommendation about CPR and emergency care, with its reasoning and who was involved; a
    junior's awaits senior endorsement."""

    responsible_clinician: Clinician | None


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
    endorser_name: str


@dataclass(frozen=True, kw_only=True)
class ReviewPlan(ReviewFindings, Command):
    """Reviews a recommendation: kept, changed or revoked, who took part, and when it is next due."""

    plan_id: UUID
    reviewer_name: str


@dataclass(frozen=True, kw_only=True)
class RevokePlan(Command):
    """Revokes a recommendation, with the reason and who asked for it; it no longer applies."""

    plan_id: UUID
    reason: str
    initiated: RevocationInitiator


@dataclass(frozen=True, kw_only=True)
class CommunicateDecision(Command):
    """Records who was told of a decision, and how."""

    plan_id: UUID
    told: tuple[Participant, ...]
    how: str = ""


@dataclass(frozen=True, kw_only=True)
class MarkEnteredInError(Command):
    """Marks an entry as entered in error (it stays in the history, marked); a plan so marked no longer
    applies."""

    entry_event_id: UUID
    reason: str


@dataclass(frozen=True, kw_only=True)
class RecordCorrection(Command):
    """Records a correction to an earlier entry, which stays in the history as it was."""

    corrects_event_id: UUID
    correction: str


@dataclass(frozen=True, kw_only=True)
class RaiseConcern(Command):
    """Raises a concern about the record or a plan, for someone to look into."""

    raised_by: ConcernRaisedBy
    summary: str
    plan_id: UUID | None = None


@dataclass(frozen=True, kw_only=True)
class RecordBoardFinding(BoardFindingContent, Command):
    """Records what the integrated care board found when it looked into a decision (for example one named in a
    blanket-decision alert), on the person's record."""


@dataclass(frozen=True, kw_only=True)
class ResolveConcern(Command):
    """Resolves a concern, saying how."""

    concern_id: UUID
    resolution: str
