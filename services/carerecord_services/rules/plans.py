"""The rules of plans: a recommendation, its senior endorsement, review, revocation and communication."""

from __future__ import annotations

import re
from dataclasses import replace

from carerecord_events import plans as facts
from carerecord_events.base import CareRecordEvent, Clinician
from carerecord_events.record.state import PersonRecord
from carerecord_events.roles import ROLES
from carerecord_events.vocabulary import (
    CprRecommendation,
    InvolvementRoute,
    ReasonCategory,
    ReviewOutcome,
    RevocationInitiator,
)
from carerecord_services import commands as c
from carerecord_services.errors import (
    ConflictsWithAdvanceDecision,
    ConsultationMissing,
    EndorsementRefused,
    InvalidInput,
    InvolvementMissing,
    RecommendationRefused,
)
from carerecord_services.policy import Action, RecordPolicy
from carerecord_services.rules.common import (
    Stamp,
    active_plan,
    check_registration,
    content,
    decide_command,
    permit,
    require_alive,
    require_text,
    rule,
)
from carerecord_services.rules.forms import checked_form


@rule
def _(command: c.MakeRecommendation, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    policy = stamp.context.policy
    permit(command.actor, Action.MAKE_RECOMMENDATION, policy)
    require_alive(record)
    clinician = _responsible_clinician(command.responsible_clinician)
    form = checked_form(command, record, stamp.context.now)
    flags = _check_reasoning(command, policy)
    _check_involvement(command, record)
    _check_against_advance_decisions(command, record)
    _check_review(command, stamp)
    superseded = active_plan(record, command.supersedes_plan_id) if command.supersedes_plan_id else None
    plan_id = stamp.context.new_id()
    made = stamp(
        facts.RecommendationMade,
        plan_id=plan_id,
        **content(command, facts.RecommendationContent, reasoning=command.reasoning.strip(), **form),
        responsible_clinician=clinician,
        organisation=command.actor.organisation,
        needs_senior_endorsement=not policy.is_senior(command.actor.role),
        reasoning_mentions_group_characteristics=flags,
    )
    if superseded is None:
        return [made]
    return [made, stamp(facts.PlanSuperseded, plan_id=superseded.plan_id, superseded_by_plan_id=plan_id)]


@rule
def _(command: c.TakeInPlan, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    """The same rules as a recommendation made here; the source is recorded beside it, in the same commit."""
    require_text(command.taken_in_from, "taken_in_from", "where the plan was taken in from")
    require_text(command.source_identifier, "source_identifier", "the identifier the sending system gave it")
    events = decide_command.dispatch(c.MakeRecommendation)(command, record, stamp)
    made = events[0]
    assert isinstance(made, facts.RecommendationMade)
    taken = stamp(
        facts.PlanTakenIn,
        plan_id=made.plan_id,
        taken_in_from=command.taken_in_from,
        source_identifier=command.source_identifier,
    )
    return [made, taken, *events[1:]]


def _responsible_clinician(clinician: Clinician | None) -> Clinician:
    if clinician is None or not clinician.name.strip():
        raise RecommendationRefused(
            "a recommendation needs a named responsible clinician", field="responsible_clinician"
        )
    if ROLES[clinician.role].register is None or not ROLES[clinician.role].clinical:
        raise RecommendationRefused(
            "the responsible clinician must be a registered clinician", field="responsible_clinician.role"
        )
    registration = check_registration(
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
_LONG_WORDS = re.compile(r"[a-z]{4,}")
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
    if _HARM.search(text) and len(set(_LONG_WORDS.findall(text))) < 8:
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


def _check_review(command: c.MakeRecommendation, stamp: Stamp) -> None:
    if command.review_due is None and not command.reason_no_review_date.strip():
        raise InvalidInput("give a review date, or the reason there is none", field="review_due")
    if command.review_due is not None and command.review_due <= stamp.occurred_at.date():
        raise InvalidInput("the review date must be after the decision", field="review_due")


@rule
def _(command: c.EndorsePlan, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    policy = stamp.context.policy
    permit(command.actor, Action.ENDORSE, policy)
    plan = active_plan(record, command.plan_id)
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
    require_text(command.endorser_name, "endorser_name", "the endorser's name")
    assert stamp.actor.registration is not None  # checked by check_actor for every senior role
    endorser = Clinician(
        name=command.endorser_name,
        role=command.actor.role,
        registration=stamp.actor.registration,
        user_id=command.actor.user_id,
    )
    return [stamp(facts.SeniorEndorsementGiven, plan_id=command.plan_id, endorsed_by=endorser)]


@rule
def _(command: c.ReviewPlan, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    permit(command.actor, Action.REVIEW, stamp.context.policy)
    require_alive(record)
    active_plan(record, command.plan_id)
    require_text(command.reviewer_name, "reviewer_name", "the reviewer's name")
    if command.outcome is ReviewOutcome.CONFIRMED and command.next_review_due is None and not command.notes:
        raise InvalidInput(
            "give the next review date, or say in the notes why there is none", field="next_review_due"
        )
    if command.outcome is not ReviewOutcome.CONFIRMED:
        require_text(command.notes, "notes", "what changed and why")
    assert stamp.actor.registration is not None  # every role that may review has a register
    reviewer = Clinician(
        name=command.reviewer_name,
        role=command.actor.role,
        registration=stamp.actor.registration,
        user_id=command.actor.user_id,
    )
    reviewed = stamp(
        facts.PlanReviewed,
        plan_id=command.plan_id,
        **content(command, facts.ReviewFindings),
        reviewed_by=reviewer,
    )
    if command.outcome is not ReviewOutcome.REVOKED:
        return [reviewed]
    return [
        reviewed,
        stamp(
            facts.PlanRevoked,
            plan_id=command.plan_id,
            reason=command.notes,
            initiated=RevocationInitiator.CLINICAL,
        ),
    ]


@rule
def _(command: c.RevokePlan, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    permit(command.actor, Action.REVOKE, stamp.context.policy)
    active_plan(record, command.plan_id)
    require_text(command.reason, "reason", "the reason for revoking")
    return [
        stamp(facts.PlanRevoked, plan_id=command.plan_id, reason=command.reason, initiated=command.initiated)
    ]


@rule
def _(command: c.CommunicateDecision, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    permit(command.actor, Action.COMMUNICATE, stamp.context.policy)
    active_plan(record, command.plan_id)
    if not command.told:
        raise InvalidInput("say who was told", field="told")
    return [stamp(facts.DecisionCommunicated, plan_id=command.plan_id, told=command.told, how=command.how)]
