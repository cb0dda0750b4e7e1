"""The rules: decide(record, command) -> new events, or a named refusal.

Every rule is checked against the record's own state (never a read model). Nothing here does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import singledispatch
from typing import Any, TypeVar
from uuid import UUID, uuid4

from carerecord_events.base import Actor, CareRecordEvent, Clinician
from carerecord_events.conversations import (
    AdvanceDecisionRecorded,
    AdvanceDecisionWithdrawn,
    CapacityAssessed,
    ConversationRecorded,
    RepresentativeRecorded,
    RepresentativeWithdrawn,
)
from carerecord_events.corrections import (
    ConcernRaised,
    ConcernResolved,
    CorrectionRecorded,
    EntryMarkedEnteredInError,
)
from carerecord_events.people import (
    CareRelationshipConfirmed,
    CareRelationshipEnded,
    CareRelationshipReviewed,
    CareRelationshipStarted,
    PersonDied,
    PersonRegistered,
)
from carerecord_events.plans import (
    DecisionCommunicated,
    PlanReviewed,
    PlanRevoked,
    PlanSuperseded,
    RecommendationMade,
    SeniorEndorsementGiven,
)
from carerecord_events.record.state import PersonRecord, PlanState
from carerecord_events.roles import ROLES, Role
from carerecord_events.vocabulary import (
    CapacityDecision,
    CprRecommendation,
    InvolvementRoute,
    ReasonCategory,
    RelationshipBasis,
    RepresentativeKind,
    ReviewOutcome,
    RevocationInitiator,
)
from carerecord_services import commands as c
from carerecord_services.errors import (
    AlreadyRegistered,
    ConflictsWithAdvanceDecision,
    ConsultationMissing,
    EndorsementRefused,
    EntryNotFound,
    InvalidIdentifier,
    InvalidInput,
    InvolvementMissing,
    NotPermitted,
    PlanNotActive,
    RecommendationRefused,
    RecordClosed,
    RecordNotFound,
    TimeInFuture,
)
from carerecord_services.identifiers import (
    canonical_nhs_number,
    canonical_postcode,
    canonical_registration,
    ods_code_is_valid,
)
from carerecord_services.names import check_names
from carerecord_services.policy import Action, RecordPolicy
from carerecord_services.text import check_storable_fields
from carerecord_services.timing import check_date_of_birth, check_occurred_at

E = TypeVar("E", bound=CareRecordEvent)


@dataclass(frozen=True)
class Context:
    now: datetime
    policy: RecordPolicy = field(default_factory=RecordPolicy)
    new_id: Callable[[], UUID] = uuid4


@dataclass(frozen=True)
class _Stamp:
    """Fills in what every event carries."""

    record_id: UUID
    actor: Actor
    occurred_at: datetime
    context: Context

    def __call__(self, event_class: type[E], **fields: Any) -> E:
        return event_class(
            event_id=self.context.new_id(),
            record_id=self.record_id,
            occurred_at=self.occurred_at,
            recorded_at=self.context.now,
            recorded_by=self.actor,
            **fields,
        )


def decide(record: PersonRecord, command: c.Command, context: Context) -> list[CareRecordEvent]:
    """The events that `command` adds to `record`; raises a DomainError naming the rule if refused."""
    actor = check_actor(command.actor)
    check_storable_fields(command)
    check_names(command)
    if isinstance(command, c.RegisterPerson):
        check_date_of_birth(command.date_of_birth, context.now)
        born: date | None = command.date_of_birth
    else:
        _require_registered(record)
        born = record.date_of_birth
    occurred_at = command.occurred_at or context.now
    check_occurred_at(occurred_at, context.now, born)
    stamp = _Stamp(record.record_id, actor, occurred_at, context)
    return _decide(command, record, stamp)


def check_actor(actor: Actor) -> Actor:
    """The actor's organisation is an ODS code in its canonical form; a registration number is present and well
    formed iff the role belongs to a professional register. The actor as recorded: its registration canonical."""
    if not ods_code_is_valid(actor.organisation):
        raise InvalidIdentifier(
            f"{actor.organisation!r} is not an ODS organisation code (3 to 9 capitals A-Z and digits 0-9)",
            field="organisation",
        )
    registration = _check_registration(actor.role, actor.registration, "registration")
    return actor if registration == actor.registration else replace(actor, registration=registration)


def _check_registration(role: Role, registration: str | None, field_name: str) -> str | None:
    """The registration in its canonical form (None for a role without a register)."""
    register = ROLES[role].register
    if register is None:
        return registration
    if not registration:
        raise InvalidIdentifier(
            f"a {ROLES[role].label} must give their {register.value.upper()} registration number",
            field=field_name,
        )
    return canonical_registration(register, registration, field=field_name)


def _permit(actor: Actor, action: Action, policy: RecordPolicy) -> None:
    if not policy.may(actor.role, action):
        raise NotPermitted(f"a {ROLES[actor.role].label} may not {action.value}", field="role")


def _require_registered(record: PersonRecord) -> None:
    if not record.registered:
        raise RecordNotFound("there is no care record with this id", field="record_id")


def _require_alive(record: PersonRecord) -> None:
    if record.died:
        raise RecordClosed("the person has died; their plans are closed", field="record_id")


def _require_text(value: str, field_name: str, what: str) -> None:
    if not value.strip():
        raise InvalidInput(f"{what} is required", field=field_name)


def _active_plan(record: PersonRecord, plan_id: UUID) -> PlanState:
    plan = record.plans.get(plan_id)
    if plan is None:
        raise PlanNotActive("there is no such plan on this record", field="plan_id", rule="plan-not-found")
    if not plan.in_force:
        raise PlanNotActive(
            f"this plan is {plan.status.value.replace('-', ' ')}, not active", field="plan_id"
        )
    return plan


@singledispatch
def _decide(command: c.Command, record: PersonRecord, stamp: _Stamp) -> list[CareRecordEvent]:
    raise TypeError(f"no rules for {type(command).__name__}")  # a programming error, not a refusal


@_decide.register
def _(command: c.RegisterPerson, record: PersonRecord, stamp: _Stamp) -> list[CareRecordEvent]:
    _permit(command.actor, Action.REGISTER_PERSON, stamp.context.policy)
    if record.registered:
        raise AlreadyRegistered("this record is already registered", field="record_id")
    nhs_number = canonical_nhs_number(command.nhs_number)
    postcode = canonical_postcode(command.postcode) if command.postcode else None
    _require_text(command.given_name, "given_name", "a given name")
    _require_text(command.family_name, "family_name", "a family name")
    return [
        stamp(
            PersonRegistered,
            nhs_number=nhs_number,
            given_name=command.given_name.strip(),
            family_name=command.family_name.strip(),
            date_of_birth=command.date_of_birth,
            preferred_name=command.preferred_name,
            address=command.address,
            postcode=postcode,
            communication_needs=command.communication_needs,
            equality=command.equality,
        )
    ]


@_decide.register
def _(command: c.RecordDeath, record: PersonRecord, stamp: _Stamp) -> list[CareRecordEvent]:
    _permit(command.actor, Action.RECORD_DEATH, stamp.context.policy)
    _require_alive(record)
    if command.date_of_death > stamp.context.now.date():
        raise TimeInFuture("a date of death cannot be in the future", field="date_of_death")
    if record.date_of_birth and command.date_of_death < record.date_of_birth:
        raise InvalidInput("the date of death is before the date of birth", field="date_of_death")
    _require_text(command.place_of_death, "place_of_death", "the place of death")
    return [
        stamp(
            PersonDied,
            date_of_death=command.date_of_death,
            place_of_death=command.place_of_death,
            was_preferred_place=command.was_preferred_place,
        )
    ]


@_decide.register
def _(command: c.StartCareRelationship, record: PersonRecord, stamp: _Stamp) -> list[CareRecordEvent]:
    _permit(command.actor, Action.START_CARE_RELATIONSHIP, stamp.context.policy)
    _require_alive(record)
    if command.actor.organisation != command.organisation:
        raise NotPermitted(
            "only staff of an organisation may start that organisation's care relationship",
            field="organisation",
        )
    if command.organisation in record.caring_organisations:
        raise InvalidInput("this organisation already cares for the person", field="organisation")
    _check_basis(command)
    referred = command.basis is RelationshipBasis.REFERRAL_RECEIVED
    evidenced = record.has_known(command.organisation) or (
        referred and command.referred_by in record.caring_organisations
    )
    return [
        stamp(
            CareRelationshipStarted,
            organisation=command.organisation,
            setting=command.setting,
            relationship_id=stamp.context.new_id(),
            basis=command.basis,
            basis_detail=command.basis_detail.strip(),
            referred_by=command.referred_by if referred else None,
            evidenced=evidenced,
        )
    ]


_NOT_YOURS = RecordNotFound("there is no such record, or you may not see it", field="record_id")


def _check_basis(command: c.StartCareRelationship) -> None:
    if command.basis is RelationshipBasis.NOT_RECORDED:
        raise InvalidInput("say on what basis the organisation cares for the person", field="basis")
    if (
        command.basis is RelationshipBasis.OTHER
        and len(re.findall(r"[A-Za-z]{3,}", command.basis_detail)) < 3
    ):
        raise InvalidInput(
            "say in a few words why the organisation cares for the person", field="basis_detail"
        )
    referred_by = command.referred_by or ""
    if command.basis is RelationshipBasis.REFERRAL_RECEIVED and not ods_code_is_valid(referred_by):
        raise InvalidInput("name the referring organisation by its ODS code", field="referred_by")


@_decide.register
def _(command: c.ConfirmCareRelationship, record: PersonRecord, stamp: _Stamp) -> list[CareRecordEvent]:
    _permit(command.actor, Action.CONFIRM_CARE_RELATIONSHIP, stamp.context.policy)
    relationship = record.relationship(command.relationship_id)
    if relationship is None or relationship.organisation != command.organisation:
        raise InvalidInput("there is no such care relationship on this record", field="relationship_id")
    if command.actor.organisation != command.organisation:
        raise NotPermitted(
            "only the organisation's own administrator may confirm its care relationship",
            field="organisation",
        )
    if relationship.ended_at is not None or relationship.confirmed:
        raise InvalidInput("this relationship has ended or is confirmed already", field="relationship_id")
    return [
        stamp(
            CareRelationshipConfirmed,
            organisation=command.organisation,
            relationship_id=command.relationship_id,
        )
    ]


@_decide.register
def _(command: c.ReviewCareRelationship, record: PersonRecord, stamp: _Stamp) -> list[CareRecordEvent]:
    _permit(command.actor, Action.REVIEW_CARE_RELATIONSHIP, stamp.context.policy)
    relationship = record.relationship(command.relationship_id)
    if relationship is None:
        raise InvalidInput("there is no such care relationship on this record", field="relationship_id")
    if relationship.reviewed:
        raise InvalidInput("this relationship has been reviewed already", field="relationship_id")
    if len(re.findall(r"[A-Za-z]{3,}", command.notes)) < 3:
        raise InvalidInput("say what the review found", field="notes")
    return [
        stamp(
            CareRelationshipReviewed,
            organisation=relationship.organisation,
            relationship_id=command.relationship_id,
            appropriate=command.appropriate,
            notes=command.notes,
        )
    ]


@_decide.register
def _(command: c.EndCareRelationship, record: PersonRecord, stamp: _Stamp) -> list[CareRecordEvent]:
    _permit(command.actor, Action.END_CARE_RELATIONSHIP, stamp.context.policy)
    if command.actor.organisation != command.organisation:
        raise NotPermitted(
            "only staff of an organisation may end that organisation's care relationship",
            field="organisation",
        )
    if command.organisation not in record.caring_organisations:
        raise _NOT_YOURS  # worded as for a record that does not exist: a stranger learns nothing
    _require_text(command.reason, "reason", "a reason")
    return [stamp(CareRelationshipEnded, organisation=command.organisation, reason=command.reason)]


@_decide.register
def _(command: c.RecordConversation, record: PersonRecord, stamp: _Stamp) -> list[CareRecordEvent]:
    _permit(command.actor, Action.RECORD_CONVERSATION, stamp.context.policy)
    _require_alive(record)
    if not command.participants:
        raise InvalidInput("say who took part in the conversation", field="participants")
    return [
        stamp(
            ConversationRecorded,
            conversation_id=stamp.context.new_id(),
            participants=command.participants,
            person_took_part=command.person_took_part,
            communication_support=command.communication_support,
            what_matters=command.what_matters,
            information_given=command.information_given,
            information_format=command.information_format,
            views_expressed=command.views_expressed,
        )
    ]


@_decide.register
def _(command: c.AssessCapacity, record: PersonRecord, stamp: _Stamp) -> list[CareRecordEvent]:
    _permit(command.actor, Action.ASSESS_CAPACITY, stamp.context.policy)
    _require_alive(record)
    if command.decision is CapacityDecision.OTHER:
        _require_text(command.decision_text, "decision_text", "the decision the assessment is about")
    if not command.has_capacity:
        _require_text(
            command.how_capacity_is_lacking, "how_capacity_is_lacking", "how the person lacks capacity"
        )
    return [
        stamp(
            CapacityAssessed,
            assessment_id=stamp.context.new_id(),
            decision=command.decision,
            decision_text=command.decision_text.strip(),
            has_capacity=command.has_capacity,
            how_capacity_is_lacking=command.how_capacity_is_lacking,
            assessor_name=command.assessor_name or (command.actor.name or ""),
        )
    ]


@_decide.register
def _(command: c.RecordRepresentative, record: PersonRecord, stamp: _Stamp) -> list[CareRecordEvent]:
    _permit(command.actor, Action.RECORD_REPRESENTATIVE, stamp.context.policy)
    _require_alive(record)
    _require_text(command.name, "name", "the representative's name")
    if command.kind is RepresentativeKind.LPA_HEALTH_AND_WELFARE and (
        command.lpa_registered is None or command.lpa_covers_life_sustaining_treatment is None
    ):
        raise InvalidInput(
            "for a lasting power of attorney, say whether it is registered and whether it covers "
            "life-sustaining treatment",
            field="lpa_registered",
        )
    return [
        stamp(
            RepresentativeRecorded,
            representative_id=stamp.context.new_id(),
            kind=command.kind,
            name=command.name.strip(),
            relationship=command.relationship,
            contact=command.contact,
            lpa_registered=command.lpa_registered,
            lpa_covers_life_sustaining_treatment=command.lpa_covers_life_sustaining_treatment,
        )
    ]


@_decide.register
def _(command: c.WithdrawRepresentative, record: PersonRecord, stamp: _Stamp) -> list[CareRecordEvent]:
    _permit(command.actor, Action.RECORD_REPRESENTATIVE, stamp.context.policy)
    representative = record.representatives.get(command.representative_id)
    if representative is None or not representative.active:
        raise EntryNotFound("there is no such active representative", field="representative_id")
    _require_text(command.reason, "reason", "a reason")
    return [
        stamp(RepresentativeWithdrawn, representative_id=command.representative_id, reason=command.reason)
    ]


@_decide.register
def _(command: c.RecordAdvanceDecision, record: PersonRecord, stamp: _Stamp) -> list[CareRecordEvent]:
    _permit(command.actor, Action.RECORD_ADVANCE_DECISION, stamp.context.policy)
    _require_alive(record)
    _require_text(command.treatments_refused, "treatments_refused", "the treatments refused")
    if command.made_on > stamp.context.now.date():
        raise TimeInFuture("an advance decision cannot be made in the future", field="made_on")
    # Recorded even when not formally valid for CPR (not written, signed, witnessed and explicit that it applies
    # even if life is at risk): the record then says it is not valid, rather than losing it.
    return [
        stamp(
            AdvanceDecisionRecorded,
            advance_decision_id=stamp.context.new_id(),
            treatments_refused=command.treatments_refused,
            refuses_cpr=command.refuses_cpr,
            made_on=command.made_on,
            written=command.written,
            signed=command.signed,
            witnessed=command.witnessed,
            states_applies_even_if_life_at_risk=command.states_applies_even_if_life_at_risk,
            document_location=command.document_location,
        )
    ]


@_decide.register
def _(command: c.WithdrawAdvanceDecision, record: PersonRecord, stamp: _Stamp) -> list[CareRecordEvent]:
    _permit(command.actor, Action.RECORD_ADVANCE_DECISION, stamp.context.policy)
    adrt = record.advance_decisions.get(command.advance_decision_id)
    if adrt is None or adrt.withdrawn:
        raise EntryNotFound("there is no such advance decision in force", field="advance_decision_id")
    _require_text(command.reason, "reason", "a reason")
    return [
        stamp(
            AdvanceDecisionWithdrawn, advance_decision_id=command.advance_decision_id, reason=command.reason
        )
    ]


@_decide.register
def _(command: c.MakeRecommendation, record: PersonRecord, stamp: _Stamp) -> list[CareRecordEvent]:
    policy = stamp.context.policy
    _permit(command.actor, Action.MAKE_RECOMMENDATION, policy)
    _require_alive(record)
    clinician = _responsible_clinician(command.responsible_clinician)
    flags = _check_reasoning(command, policy)
    _check_involvement(command, record)
    _check_against_advance_decisions(command, record)
    _check_review(command, stamp)
    if command.priority_scale is not None and not 0 <= command.priority_scale <= 10:
        raise InvalidInput("the ReSPECT priority scale runs from 0 to 10", field="priority_scale")
    superseded = _active_plan(record, command.supersedes_plan_id) if command.supersedes_plan_id else None
    plan_id = stamp.context.new_id()
    made = stamp(
        RecommendationMade,
        plan_id=plan_id,
        form_type=command.form_type,
        cpr=command.cpr,
        reason_category=command.reason_category,
        reasoning=command.reasoning.strip(),
        involvement=command.involvement,
        responsible_clinician=clinician,
        organisation=command.actor.organisation,
        setting=command.setting,
        other_recommendations=command.other_recommendations,
        what_matters=command.what_matters,
        priority_scale=command.priority_scale,
        review_due=command.review_due,
        reason_no_review_date=command.reason_no_review_date,
        capacity_assessment_id=command.capacity_assessment_id,
        supersedes_plan_id=command.supersedes_plan_id,
        needs_senior_endorsement=not policy.is_senior(command.actor.role),
        reasoning_mentions_group_characteristics=flags,
    )
    if superseded is None:
        return [made]
    return [made, stamp(PlanSuperseded, plan_id=superseded.plan_id, superseded_by_plan_id=plan_id)]


def _responsible_clinician(clinician: Clinician | None) -> Clinician:
    if clinician is None or not clinician.name.strip():
        raise RecommendationRefused(
            "a recommendation needs a named responsible clinician", field="responsible_clinician"
        )
    if ROLES[clinician.role].register is None or not ROLES[clinician.role].clinical:
        raise RecommendationRefused(
            "the responsible clinician must be a registered clinician", field="responsible_clinician.role"
        )
    registration = _check_registration(
        clinician.role, clinician.registration, "responsible_clinician.registration"
    )
    assert registration is not None  # every clinical role has a register
    return replace(clinician, registration=registration)


def _check_reasoning(command: c.MakeRecommendation, policy: RecordPolicy) -> tuple[str, ...]:
    if not command.reasoning.strip():
        raise RecommendationRefused("a recommendation needs the clinician's reasoning", field="reasoning")
    attempt = command.cpr is CprRecommendation.ATTEMPT_CPR
    if attempt != (command.reason_category is ReasonCategory.CPR_RECOMMENDED):
        raise RecommendationRefused(
            "the reason category does not match the CPR recommendation", field="reason_category"
        )
    assessment = policy.reasoning.assess(command.reasoning)
    if not attempt and not assessment.sufficient:
        mentioned = ", ".join(assessment.group_terms_mentioned) or "no particulars"
        raise RecommendationRefused(
            "the reasoning must be about this person's own clinical situation, not a group they belong to "
            f"(it rests on: {mentioned}). Individual decisions only: a blanket decision is unlawful.",
            field="reasoning",
            rule="reasoning-rests-on-group-characteristic",
        )
    return assessment.group_terms_mentioned


_HARM = re.compile(r"\b(harm|harmful|harmed)\b")
_DISTRESS = re.compile(r"\b(distress|distressed|distressing|upset|upsetting|anxious|anxiety|worry|worried)\b")


def _check_involvement(command: c.MakeRecommendation, record: PersonRecord) -> None:
    involvement = command.involvement
    if involvement.route is InvolvementRoute.A_PERSON_WITH_CAPACITY and not involvement.person_involved:
        raise InvolvementMissing("route A means the person was fully involved", field="involvement.route")
    if involvement.route is InvolvementRoute.D_NOT_INVOLVED_WITH_REASON and involvement.person_involved:
        raise InvalidInput("route D is for when the person could not be involved", field="involvement.route")
    if not involvement.person_involved:
        _check_reason_not_involved(involvement.reason_person_not_involved)
    if (
        record.lacks_capacity_for_cpr(command.capacity_assessment_id)
        or involvement.route is InvolvementRoute.B_PERSON_LACKS_CAPACITY
    ):
        _check_consultation(command, record)


def _check_reason_not_involved(reason: str) -> None:
    text = reason.casefold()
    if not text.strip():
        raise InvolvementMissing(
            "the person was not involved and no reason is recorded. They must be involved unless that would "
            "cause them physical or psychological harm, or it is not practicable: say why.",
            field="involvement.reason_person_not_involved",
        )
    if _DISTRESS.search(text) and not _HARM.search(text):
        raise InvolvementMissing(
            "distress alone is not a reason to leave someone out of a decision about their resuscitation",
            field="involvement.reason_person_not_involved",
            rule="distress-is-not-a-reason",
        )
    if _HARM.search(text) and len(set(re.findall(r"[a-z]{4,}", text))) < 8:
        raise InvolvementMissing(
            "explain what physical or psychological harm involving the person would cause, and why",
            field="involvement.reason_person_not_involved",
            rule="harm-needs-explanation",
        )


def _check_consultation(command: c.MakeRecommendation, record: PersonRecord) -> None:
    involvement = command.involvement
    attorneys = [rep for rep in record.representatives.values() if rep.may_decide_about_cpr]
    consulted_ids = {person.representative_id for person in involvement.consulted if person.representative_id}
    unknown = consulted_ids - {rep.representative_id for rep in record.representatives.values() if rep.active}
    if unknown:
        raise InvalidInput("a consulted representative is not on this record", field="involvement.consulted")
    has_reason = bool(involvement.reason_no_one_consulted.strip())
    if attorneys and not consulted_ids & {rep.representative_id for rep in attorneys} and not has_reason:
        names = ", ".join(rep.name for rep in attorneys)
        raise ConsultationMissing(
            f"the person lacks capacity and has a welfare attorney with authority over life-sustaining "
            f"treatment ({names}), who must be consulted",
            field="involvement.consulted",
            rule="attorney-must-be-consulted",
        )
    if not involvement.consulted and not has_reason:
        raise ConsultationMissing(
            "the person lacks capacity for this decision: consult their representative, family or friends, or "
            "instruct an IMCA (independent mental capacity advocate), or record why that was not possible",
            field="involvement.consulted",
        )


def _check_against_advance_decisions(command: c.MakeRecommendation, record: PersonRecord) -> None:
    refusal = record.valid_cpr_refusal()
    if refusal is not None and command.cpr is CprRecommendation.ATTEMPT_CPR:
        raise ConflictsWithAdvanceDecision(
            f"a valid advance decision to refuse treatment made on {refusal.made_on.isoformat()} refuses CPR "
            f"(ADRT {refusal.advance_decision_id})",
            field="cpr",
        )


def _check_review(command: c.MakeRecommendation, stamp: _Stamp) -> None:
    if command.review_due is None and not command.reason_no_review_date.strip():
        raise InvalidInput("give a review date, or the reason there is none", field="review_due")
    if command.review_due is not None and command.review_due <= stamp.occurred_at.date():
        raise InvalidInput("the review date must be after the decision", field="review_due")


@_decide.register
def _(command: c.EndorsePlan, record: PersonRecord, stamp: _Stamp) -> list[CareRecordEvent]:
    policy = stamp.context.policy
    _permit(command.actor, Action.ENDORSE, policy)
    plan = _active_plan(record, command.plan_id)
    if not policy.is_senior(command.actor.role):
        raise EndorsementRefused(
            f"a {ROLES[command.actor.role].label} is not a senior responsible clinician", field="role"
        )
    if command.actor.user_id == plan.author_user_id:
        raise EndorsementRefused("a recommendation cannot be endorsed by its own author", field="user_id")
    if plan.endorsed:
        raise EndorsementRefused(
            "this recommendation is already endorsed", field="plan_id", rule="already-endorsed"
        )
    _require_text(command.endorser_name, "endorser_name", "the endorser's name")
    assert stamp.actor.registration is not None  # checked by check_actor for every senior role
    endorser = Clinician(
        name=command.endorser_name,
        role=command.actor.role,
        registration=stamp.actor.registration,
        user_id=command.actor.user_id,
    )
    return [stamp(SeniorEndorsementGiven, plan_id=command.plan_id, endorsed_by=endorser)]


@_decide.register
def _(command: c.ReviewPlan, record: PersonRecord, stamp: _Stamp) -> list[CareRecordEvent]:
    _permit(command.actor, Action.REVIEW, stamp.context.policy)
    _require_alive(record)
    _active_plan(record, command.plan_id)
    _require_text(command.reviewer_name, "reviewer_name", "the reviewer's name")
    if command.outcome is ReviewOutcome.CONFIRMED and command.next_review_due is None and not command.notes:
        raise InvalidInput(
            "give the next review date, or say in the notes why there is none", field="next_review_due"
        )
    if command.outcome is not ReviewOutcome.CONFIRMED:
        _require_text(command.notes, "notes", "what changed and why")
    assert stamp.actor.registration is not None  # every role that may review has a register
    reviewer = Clinician(
        name=command.reviewer_name,
        role=command.actor.role,
        registration=stamp.actor.registration,
        user_id=command.actor.user_id,
    )
    reviewed = stamp(
        PlanReviewed,
        plan_id=command.plan_id,
        outcome=command.outcome,
        reviewed_by=reviewer,
        involved=command.involved,
        person_involved=command.person_involved,
        notes=command.notes,
        next_review_due=command.next_review_due,
    )
    if command.outcome is not ReviewOutcome.REVOKED:
        return [reviewed]
    return [
        reviewed,
        stamp(
            PlanRevoked, plan_id=command.plan_id, reason=command.notes, initiated=RevocationInitiator.CLINICAL
        ),
    ]


@_decide.register
def _(command: c.RevokePlan, record: PersonRecord, stamp: _Stamp) -> list[CareRecordEvent]:
    _permit(command.actor, Action.REVOKE, stamp.context.policy)
    _active_plan(record, command.plan_id)
    _require_text(command.reason, "reason", "the reason for revoking")
    return [stamp(PlanRevoked, plan_id=command.plan_id, reason=command.reason, initiated=command.initiated)]


@_decide.register
def _(command: c.CommunicateDecision, record: PersonRecord, stamp: _Stamp) -> list[CareRecordEvent]:
    _permit(command.actor, Action.COMMUNICATE, stamp.context.policy)
    _active_plan(record, command.plan_id)
    if not command.told:
        raise InvalidInput("say who was told", field="told")
    return [stamp(DecisionCommunicated, plan_id=command.plan_id, told=command.told, how=command.how)]


@_decide.register
def _(command: c.MarkEnteredInError, record: PersonRecord, stamp: _Stamp) -> list[CareRecordEvent]:
    _permit(command.actor, Action.MARK_ENTERED_IN_ERROR, stamp.context.policy)
    entry_type = record.entries.get(command.entry_event_id)
    if entry_type is None:
        raise EntryNotFound("there is no such entry on this record", field="entry_event_id")
    if entry_type in ("PersonRegistered", "EntryMarkedEnteredInError"):
        raise InvalidInput(
            f"a {entry_type} entry cannot be marked as entered in error", field="entry_event_id"
        )
    if command.entry_event_id in record.entered_in_error:
        raise InvalidInput("this entry is already marked as entered in error", field="entry_event_id")
    _require_text(command.reason, "reason", "the reason the entry was in error")
    return [stamp(EntryMarkedEnteredInError, entry_event_id=command.entry_event_id, reason=command.reason)]


@_decide.register
def _(command: c.RecordCorrection, record: PersonRecord, stamp: _Stamp) -> list[CareRecordEvent]:
    _permit(command.actor, Action.RECORD_CORRECTION, stamp.context.policy)
    if command.corrects_event_id not in record.entries:
        raise EntryNotFound("the correction points at no entry on this record", field="corrects_event_id")
    _require_text(command.correction, "correction", "the correction")
    return [
        stamp(CorrectionRecorded, corrects_event_id=command.corrects_event_id, correction=command.correction)
    ]


@_decide.register
def _(command: c.RaiseConcern, record: PersonRecord, stamp: _Stamp) -> list[CareRecordEvent]:
    _permit(command.actor, Action.RAISE_CONCERN, stamp.context.policy)
    if command.plan_id is not None and command.plan_id not in record.plans:
        raise EntryNotFound("there is no such plan on this record", field="plan_id")
    _require_text(command.summary, "summary", "what the concern is")
    return [
        stamp(
            ConcernRaised,
            concern_id=stamp.context.new_id(),
            raised_by=command.raised_by,
            summary=command.summary,
            plan_id=command.plan_id,
        )
    ]


@_decide.register
def _(command: c.ResolveConcern, record: PersonRecord, stamp: _Stamp) -> list[CareRecordEvent]:
    _permit(command.actor, Action.RESOLVE_CONCERN, stamp.context.policy)
    if command.concern_id not in record.open_concerns:
        raise EntryNotFound("there is no such open concern", field="concern_id")
    _require_text(command.resolution, "resolution", "how the concern was resolved")
    return [stamp(ConcernResolved, concern_id=command.concern_id, resolution=command.resolution)]
