"""Plans taken in from the systems that hold them today (a FHIR Bundle posted by a provider, a region's migration):
the same use cases, the same authorisation and the same rules as a clinician's own requests.

One submission is one person and their plans, as another system sent them under one identifier. It becomes:
the person's registration when the record does not know their NHS number yet; the sending organisation's care
relationship when it does not care for the person yet and stated the basis of one (without a basis it is refused:
an organisation reaches only the people it cares for); then one `TakeInPlan` per plan, each with an idempotency key
made from the submission's identifier and the plan's key in it, scoped to the sending organisation, so that the
same submission sent again (a retry, a resumed migration) records nothing twice, and the same identifier sent with
a different plan is refused. A plan refused by the rules is returned with its reason; the others are still taken
in (the caller holds the refused ones for the sender to correct).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from carerecord_events.base import Clinician
from carerecord_events.people import PersonDetails
from carerecord_events.plans import RecommendationContent
from carerecord_events.roles import ROLES
from carerecord_events.vocabulary import RelationshipBasis, Setting
from carerecord_services import commands as c
from carerecord_services.changes import ChangeRefused, RecordChanges
from carerecord_services.errors import AlreadyRegistered, DomainError, NotPermitted
from carerecord_services.policy import COMMAND_ACTIONS
from carerecord_services.read_access import Reader
from carerecord_services.service import CareRecordService, Idempotency, Outcome

NO_RELATIONSHIP = "no-care-relationship"


@dataclass(frozen=True)
class StatedRelationship:
    """The basis on which the sending organisation starts caring for the person, when it does not yet."""

    setting: Setting
    basis: RelationshipBasis
    basis_detail: str = ""


@dataclass(frozen=True)
class PlanToTakeIn:
    """One plan as the sending system holds it: `key` names it within the submission (a Bundle entry's fullUrl)."""

    key: str
    content: RecommendationContent
    responsible_clinician: Clinician
    made_at: datetime | None
    fingerprint: str
    """A digest of the plan as sent: the same key sent again with other content is refused, not replayed."""


@dataclass(frozen=True)
class Submission:
    identifier: str
    taken_in_from: str
    person: PersonDetails
    plans: tuple[PlanToTakeIn, ...]
    relationship: StatedRelationship | None = None


@dataclass(frozen=True)
class PlanRefused:
    key: str
    refusal: DomainError


@dataclass
class IntakeResult:
    record_id: UUID | None = None
    registered: bool = False
    relationship_started: bool = False
    taken_in: list[tuple[str, Outcome]] = field(default_factory=list)
    refused: list[PlanRefused] = field(default_factory=list)

    @property
    def recorded_nothing_new(self) -> bool:
        return (
            not self.registered
            and not self.relationship_started
            and all(o.replayed for _, o in self.taken_in)
        )


class Intake:
    def __init__(self, care_records: CareRecordService, changes: RecordChanges) -> None:
        self._care_records = care_records
        self._changes = changes

    def check_sender(self, reader: Reader) -> None:
        """The role first, as for every change: one that may not make plans is refused (NotPermitted) before
        anything sent is looked at."""
        action = COMMAND_ACTIONS[c.TakeInPlan]
        if not self._care_records.policy.may(reader.actor.role, action):
            raise NotPermitted(f"a {ROLES[reader.actor.role].label} may not {action.value}")

    def take_in(self, reader: Reader, submission: Submission) -> IntakeResult:
        """Registers, relates, then takes in each plan; a ChangeRefused or NotPermitted is raised as it comes."""
        self.check_sender(reader)
        result = IntakeResult()
        result.record_id = self._record_for(reader, submission, result)
        self._relate(reader, submission, result.record_id, result)
        for plan in submission.plans:
            try:
                outcome = self._changes.change(
                    reader,
                    result.record_id,
                    _command(reader, submission, plan),
                    idempotency=_idempotency(reader, submission.identifier, plan),
                )
            except NotPermitted:
                raise  # the caller may not make plans at all: nothing to hold for correction
            except DomainError as refused:
                result.refused.append(PlanRefused(plan.key, refused))
            else:
                result.taken_in.append((plan.key, outcome))
        return result

    def _record_for(self, reader: Reader, submission: Submission, result: IntakeResult) -> UUID:
        found = self._care_records.find_record(submission.person.nhs_number)
        if found is not None:
            return found
        if submission.relationship is None:  # refused before anything is recorded: nobody cares for them here
            raise _not_caring(reader.actor.organisation)
        person = submission.person
        command = c.RegisterPerson(**{name: getattr(person, name) for name in _PERSON}, actor=reader.actor)
        try:
            registered = self._care_records.register_person(command)
        except AlreadyRegistered:  # registered by a request that ran beside this one
            again = self._care_records.find_record(submission.person.nhs_number)
            assert again is not None
            return again
        result.registered = True
        return registered.record_id

    def _relate(self, reader: Reader, submission: Submission, record_id: UUID, result: IntakeResult) -> None:
        record = self._care_records.record(record_id)
        organisation = reader.actor.organisation
        if organisation in record.caring_organisations:
            return
        stated = submission.relationship
        if stated is None:
            raise _not_caring(organisation)
        self._changes.change(
            reader,
            record_id,
            c.StartCareRelationship(
                actor=reader.actor,
                organisation=organisation,
                setting=stated.setting,
                basis=stated.basis,
                basis_detail=stated.basis_detail,
            ),
        )
        result.relationship_started = True


def _not_caring(organisation: str) -> ChangeRefused:
    return ChangeRefused(
        f"{organisation} does not care for this person: state the basis of a care relationship to send their plans"
    )


_PERSON = tuple(PersonDetails.__dataclass_fields__)
_PLAN = tuple(RecommendationContent.__dataclass_fields__)


def _command(reader: Reader, submission: Submission, plan: PlanToTakeIn) -> c.TakeInPlan:
    return c.TakeInPlan(
        **{name: getattr(plan.content, name) for name in _PLAN},
        responsible_clinician=plan.responsible_clinician,
        actor=reader.actor,
        occurred_at=plan.made_at,
        taken_in_from=submission.taken_in_from,
        source_identifier=submission.identifier,
    )


def _idempotency(reader: Reader, identifier: str, plan: PlanToTakeIn) -> Idempotency:
    """Scoped to the sending organisation, not the user: two of its users (or a retry after a crash) sending the
    same submission take it in once."""
    key = hashlib.sha256(f"{identifier}\x00{plan.key}".encode()).hexdigest()
    return Idempotency(f"intake:{reader.actor.organisation}", f"intake:{key}", plan.fingerprint)
