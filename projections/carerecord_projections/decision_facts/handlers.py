"""How events change the decision facts oversight counts: decisions, reviews and concerns."""

from __future__ import annotations

from functools import singledispatch
from uuid import UUID

from carerecord_events import assurance, conversations, corrections, people, plans
from carerecord_events.base import CareRecordEvent
from carerecord_events.vocabulary import ReviewOutcome
from carerecord_projections.batch import Batch


@singledispatch
def project(event: CareRecordEvent, batch: Batch) -> None:
    return  # not a decision, a review or a concern


@project.register
def _(event: people.PersonDied, batch: Batch) -> None:
    batch.execute(
        "UPDATE decision_facts SET status = 'closed-after-death', ended_at = %s WHERE record_id = %s AND status = 'active'",
        (event.occurred_at, event.record_id),
    )


@project.register
def _(event: plans.RecommendationMade, batch: Batch) -> None:
    lacked_capacity = batch.state(event.record_id).lacks_capacity_for_cpr(event.capacity_assessment_id)
    involvement = event.involvement
    batch.insert(
        """INSERT INTO decision_facts (plan_id, record_id, organisation, setting, form_type, cpr, reason_category,
               reasoning, reasoning_flags, made_at, recorded_at, author_user, author_role,
               responsible_clinician_registration, person_involved, reason_not_involved_given, consulted,
               lacked_capacity, reason_no_one_consulted_given, needs_endorsement, review_due, status)
           VALUES %s""",
        (
            event.plan_id,
            event.record_id,
            event.organisation,
            event.setting.value,
            event.form_type.value,
            event.cpr.value,
            event.reason_category.value,
            event.reasoning,
            list(event.reasoning_mentions_group_characteristics),
            event.occurred_at,
            event.recorded_at,
            event.recorded_by.user_id,
            event.recorded_by.role.value,
            event.responsible_clinician.registration,
            involvement.person_involved,
            bool(involvement.reason_person_not_involved.strip()),
            len(involvement.consulted),
            lacked_capacity,
            bool(involvement.reason_no_one_consulted.strip()),
            event.needs_senior_endorsement,
            event.review_due,
            "active",
        ),
    )


@project.register
def _(event: conversations.ConversationRecorded, batch: Batch) -> None:
    batch.insert(
        """INSERT INTO conversation_facts (conversation_id, record_id, organisation, occurred_at,
               needs_accessible_information, formats_offered) VALUES %s""",
        (
            event.conversation_id,
            event.record_id,
            event.recorded_by.organisation,
            event.occurred_at,
            batch.state(event.record_id).needs_accessible_information,
            [kind.value for kind in event.formats_offered],
        ),
    )


def _end_plan(
    batch: Batch, event: CareRecordEvent, plan_id: UUID, status: str, initiated: str | None = None
) -> None:
    batch.execute(
        "UPDATE decision_facts SET status = %s, ended_at = %s, revocation_initiated = %s WHERE plan_id = %s",
        (status, event.occurred_at, initiated, plan_id),
    )


@project.register
def _(event: plans.SeniorEndorsementGiven, batch: Batch) -> None:
    batch.execute(
        "UPDATE decision_facts SET endorsed_at = %s WHERE plan_id = %s", (event.occurred_at, event.plan_id)
    )


@project.register
def _(event: plans.PlanReviewed, batch: Batch) -> None:
    plan = batch.state(event.record_id).plans.get(event.plan_id)
    batch.insert(
        """INSERT INTO review_facts (review_event_id, plan_id, record_id, reviewed_at, was_due, outcome,
               person_involved, reviewer_organisation) VALUES %s""",
        (
            event.event_id,
            event.plan_id,
            event.record_id,
            event.occurred_at,
            plan.review_due if plan is not None else None,
            event.outcome.value,
            event.person_involved,
            event.recorded_by.organisation,
        ),
    )
    batch.execute(
        """UPDATE decision_facts SET reviews = reviews + 1, last_reviewed_at = %s,
               review_due = CASE WHEN %s THEN review_due ELSE %s END
           WHERE plan_id = %s""",
        (event.occurred_at, event.outcome is ReviewOutcome.REVOKED, event.next_review_due, event.plan_id),
    )


@project.register
def _(event: plans.PlanRevoked, batch: Batch) -> None:
    _end_plan(batch, event, event.plan_id, "revoked", event.initiated.value)


@project.register
def _(event: plans.PlanSuperseded, batch: Batch) -> None:
    _end_plan(batch, event, event.plan_id, "superseded")


@project.register
def _(event: plans.DecisionCommunicated, batch: Batch) -> None:
    batch.execute("UPDATE decision_facts SET communicated = true WHERE plan_id = %s", (event.plan_id,))


@project.register
def _(event: corrections.EntryMarkedEnteredInError, batch: Batch) -> None:
    record = batch.state(event.record_id)
    for talk in record.conversations:
        if talk.event_id == event.entry_event_id:  # a conversation entered in error is not counted
            batch.execute(
                "DELETE FROM conversation_facts WHERE conversation_id = %s", (talk.conversation_id,)
            )
            return
    for plan in record.plans.values():
        if plan.made_by_event == event.entry_event_id:
            _end_plan(batch, event, plan.plan_id, "entered-in-error")
            return


@project.register
def _(event: corrections.ConcernRaised, batch: Batch) -> None:
    batch.insert(
        "INSERT INTO concern_facts (concern_id, record_id, plan_id, raised_by, raised_at, summary) VALUES %s",
        (
            event.concern_id,
            event.record_id,
            event.plan_id,
            event.raised_by.value,
            event.occurred_at,
            event.summary,
        ),
    )


@project.register
def _(event: corrections.ConcernResolved, batch: Batch) -> None:
    batch.execute(
        "UPDATE concern_facts SET resolved_at = %s, resolution = %s WHERE concern_id = %s",
        (event.occurred_at, event.resolution, event.concern_id),
    )


@project.register
def _(event: assurance.BoardFindingRecorded, batch: Batch) -> None:
    who = event.recorded_by.name or event.recorded_by.user_id
    batch.insert(
        """INSERT INTO board_findings (finding_event_id, plan_id, record_id, finding, notes, recorded_at, recorded_by)
           VALUES %s""",
        (
            event.event_id,
            event.plan_id,
            event.record_id,
            event.finding.value,
            event.notes,
            event.occurred_at,
            who,
        ),
    )
