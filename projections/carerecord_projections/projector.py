"""Applies events to the read models, inside the caller's transaction (psycopg2 cursor).

Each event is applied at most once: a record's events carry consecutive versions, and an event whose version
is not newer than the last one applied for its record is a duplicate (a redelivery, a relay resend) and changes
nothing. A version further ahead than the next one means an event is missing: that stops the projection loudly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import singledispatch
from typing import Any
from uuid import UUID

from carerecord_events.base import CareRecordEvent
from carerecord_events.codec import from_payload
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
    CareRelationshipEnded,
    CareRelationshipStarted,
    NhsNumberIndexed,
    PersonDied,
    PersonRegistered,
    RequestRecorded,
)
from carerecord_events.plain import FORM_NAMES, SETTING_NAMES, describe_cpr, summarise
from carerecord_events.plans import (
    DecisionCommunicated,
    PlanReviewed,
    PlanRevoked,
    PlanSuperseded,
    RecommendationMade,
    SeniorEndorsementGiven,
)
from carerecord_events.roles import ROLES
from carerecord_events.vocabulary import ReviewOutcome


class ProjectionGap(Exception):
    """An event arrived whose predecessor on the same record was never applied."""


@dataclass(frozen=True)
class Positioned:
    """An event with its place in the store's notification log."""

    position: int
    event: CareRecordEvent


def decode(position: int, type_name: str, schema_version: int, payload: dict[str, Any]) -> Positioned:
    """Raises UnknownEventType for a type this carerecord does not know: a worker stops rather than skip it."""
    return Positioned(position, from_payload(type_name, schema_version, payload))


def apply(cursor: Any, version: int, item: Positioned) -> bool:
    """Applies one event unless it was applied before. Returns whether it changed the read models."""
    event = item.event
    if isinstance(event, NhsNumberIndexed | RequestRecorded):
        return False  # index and idempotency streams are not a person's record; nothing reads them from here
    cursor.execute(
        "SELECT version FROM projected_records WHERE record_id = %s FOR UPDATE", (event.record_id,)
    )
    row = cursor.fetchone()
    applied = row[0] if row else 0
    if version <= applied:
        return False
    if version != applied + 1:
        raise ProjectionGap(f"record {event.record_id}: version {version} arrived after version {applied}")
    _timeline(cursor, version, item)
    _project(event, cursor, item.position)
    if isinstance(event, PersonRegistered):
        cursor.execute(
            "INSERT INTO projected_records (record_id, version) VALUES (%s, %s)", (event.record_id, version)
        )
    else:
        cursor.execute(
            "UPDATE projected_records SET version = %s WHERE record_id = %s", (version, event.record_id)
        )
        cursor.execute(
            "UPDATE current_plan SET version = %s, position = %s WHERE record_id = %s",
            (version, item.position, event.record_id),
        )
    return True


def _timeline(cursor: Any, version: int, item: Positioned) -> None:
    event = item.event
    corrects = getattr(event, "corrects_event_id", None) or getattr(event, "entry_event_id", None)
    cursor.execute(
        """INSERT INTO person_timeline (record_id, version, position, event_id, event_type, label, summary,
               occurred_at, recorded_at, recorded_by_user, recorded_by_role, recorded_by_organisation,
               corrects_event_id)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (
            event.record_id,
            version,
            item.position,
            event.event_id,
            event.TYPE,
            event.LABEL,
            summarise(event),
            event.occurred_at,
            event.recorded_at,
            event.recorded_by.user_id,
            event.recorded_by.role.value,
            event.recorded_by.organisation,
            corrects,
        ),
    )


class _Document:
    """The current plan document of one person, read for update and written back."""

    def __init__(self, cursor: Any, record_id: UUID) -> None:
        self.cursor = cursor
        self.record_id = record_id
        cursor.execute("SELECT document FROM current_plan WHERE record_id = %s FOR UPDATE", (record_id,))
        row = cursor.fetchone()
        self.data: dict[str, Any] = row[0] if row else {}

    def save(self) -> None:
        self.cursor.execute(
            "UPDATE current_plan SET document = %s WHERE record_id = %s",
            (json.dumps(self.data), self.record_id),
        )

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.setdefault(name, {})
        assert isinstance(value, dict)
        return value


def _iso(value: datetime) -> str:
    return value.isoformat()


@singledispatch
def _project(event: CareRecordEvent, cursor: Any, position: int) -> None:
    raise TypeError(f"the projector has no rule for {event.TYPE}")


@_project.register
def _(event: PersonRegistered, cursor: Any, position: int) -> None:
    document = {
        "preferred_name": event.preferred_name,
        "communication_needs": list(event.communication_needs),
        "equality": {
            "ethnicity": event.equality.ethnicity,
            "sex": event.equality.sex,
            "disability": event.equality.disability,
            "learning_disability": event.equality.learning_disability,
            "autism": event.equality.autism,
            "dementia": event.equality.dementia,
        },
        "caring": {},
        "capacity": {},
        "representatives": {},
        "advance_decisions": {},
        "plans": {},
    }
    cursor.execute(
        """INSERT INTO current_plan (record_id, nhs_number, given_name, family_name, date_of_birth, postcode,
               version, position, document)
           VALUES (%s, %s, %s, %s, %s, %s, 1, %s, %s)""",
        (
            event.record_id,
            event.nhs_number,
            event.given_name,
            event.family_name,
            event.date_of_birth,
            event.postcode,
            position,
            json.dumps(document),
        ),
    )


@_project.register
def _(event: PersonDied, cursor: Any, position: int) -> None:
    document = _Document(cursor, event.record_id)
    document.data["died"] = {
        "date": event.date_of_death.isoformat(),
        "place": event.place_of_death,
        "was_preferred_place": event.was_preferred_place,
    }
    for plan in document.section("plans").values():
        if plan["status"] == "active":
            plan["status"] = "closed-after-death"
    document.save()
    cursor.execute("UPDATE current_plan SET died = true WHERE record_id = %s", (event.record_id,))
    cursor.execute(
        "UPDATE decision_facts SET status = 'closed-after-death', ended_at = %s WHERE record_id = %s AND status = 'active'",
        (event.occurred_at, event.record_id),
    )


@_project.register
def _(event: CareRelationshipStarted, cursor: Any, position: int) -> None:
    document = _Document(cursor, event.record_id)
    document.section("caring")[event.organisation] = {
        "setting": event.setting.value,
        "setting_name": SETTING_NAMES[event.setting],
        "since": _iso(event.occurred_at),
    }
    document.save()
    cursor.execute(
        """INSERT INTO care_relationships (record_id, organisation, setting, started_at, started_by_role)
           VALUES (%s, %s, %s, %s, %s)""",
        (
            event.record_id,
            event.organisation,
            event.setting.value,
            event.occurred_at,
            event.recorded_by.role.value,
        ),
    )


@_project.register
def _(event: CareRelationshipEnded, cursor: Any, position: int) -> None:
    document = _Document(cursor, event.record_id)
    document.section("caring").pop(event.organisation, None)
    document.save()
    cursor.execute(
        "UPDATE care_relationships SET ended_at = %s WHERE record_id = %s AND organisation = %s AND ended_at IS NULL",
        (event.occurred_at, event.record_id, event.organisation),
    )


@_project.register
def _(event: ConversationRecorded, cursor: Any, position: int) -> None:
    document = _Document(cursor, event.record_id)
    conversations = document.data.setdefault("conversations", [])
    conversations.append(
        {
            "at": _iso(event.occurred_at),
            "participants": [{"name": p.name, "role": p.role} for p in event.participants],
            "person_took_part": event.person_took_part,
            "communication_support": list(event.communication_support),
            "what_matters": event.what_matters,
            "information_given": event.information_given,
            "information_format": event.information_format,
            "views_expressed": event.views_expressed,
        }
    )
    document.save()


@_project.register
def _(event: CapacityAssessed, cursor: Any, position: int) -> None:
    document = _Document(cursor, event.record_id)
    document.section("capacity")[event.decision.casefold()] = {
        "has_capacity": event.has_capacity,
        "how_lacking": event.how_capacity_is_lacking,
        "assessed_at": _iso(event.occurred_at),
        "assessor": event.assessor_name,
    }
    document.save()


@_project.register
def _(event: RepresentativeRecorded, cursor: Any, position: int) -> None:
    document = _Document(cursor, event.record_id)
    document.section("representatives")[str(event.representative_id)] = {
        "kind": event.kind.value,
        "name": event.name,
        "relationship": event.relationship,
        "lpa_registered": event.lpa_registered,
        "lpa_covers_life_sustaining_treatment": event.lpa_covers_life_sustaining_treatment,
        "active": True,
    }
    document.save()


@_project.register
def _(event: RepresentativeWithdrawn, cursor: Any, position: int) -> None:
    document = _Document(cursor, event.record_id)
    representative = document.section("representatives").get(str(event.representative_id))
    if representative is not None:
        representative["active"] = False
    document.save()


@_project.register
def _(event: AdvanceDecisionRecorded, cursor: Any, position: int) -> None:
    document = _Document(cursor, event.record_id)
    document.section("advance_decisions")[str(event.advance_decision_id)] = {
        "treatments_refused": event.treatments_refused,
        "refuses_cpr": event.refuses_cpr,
        "made_on": event.made_on.isoformat(),
        "document_location": event.document_location,
        "formally_valid_for_cpr": event.written
        and event.signed
        and event.witnessed
        and event.states_applies_even_if_life_at_risk,
        "withdrawn": False,
    }
    document.save()


@_project.register
def _(event: AdvanceDecisionWithdrawn, cursor: Any, position: int) -> None:
    document = _Document(cursor, event.record_id)
    adrt = document.section("advance_decisions").get(str(event.advance_decision_id))
    if adrt is not None:
        adrt["withdrawn"] = True
    document.save()


@_project.register
def _(event: RecommendationMade, cursor: Any, position: int) -> None:
    document = _Document(cursor, event.record_id)
    capacity = document.section("capacity").get("cpr")
    lacked_capacity = capacity is not None and not capacity["has_capacity"]
    involvement = event.involvement
    document.section("plans")[str(event.plan_id)] = {
        "form_type": event.form_type.value,
        "form_name": FORM_NAMES[event.form_type],
        "cpr_code": event.cpr.value,
        "cpr": describe_cpr(event.cpr),
        "reason_category": event.reason_category.value,
        "reasoning": event.reasoning,
        "what_matters": event.what_matters,
        "priority_scale": event.priority_scale,
        "other_recommendations": [
            {"treatment": item.treatment, "decision": item.decision.value, "reason": item.reason}
            for item in event.other_recommendations
        ],
        "involvement": {
            "route": involvement.route.value,
            "person_involved": involvement.person_involved,
            "consulted": [{"name": p.name, "role": p.role} for p in involvement.consulted],
            "reason_person_not_involved": involvement.reason_person_not_involved,
            "reason_no_one_consulted": involvement.reason_no_one_consulted,
        },
        "responsible_clinician": {
            "name": event.responsible_clinician.name,
            "role": ROLES[event.responsible_clinician.role].label,
            "registration": event.responsible_clinician.registration,
        },
        "recorded_by": {"user": event.recorded_by.user_id, "role": event.recorded_by.role.value},
        "organisation": event.organisation,
        "setting": event.setting.value,
        "made_at": _iso(event.occurred_at),
        "review_due": event.review_due.isoformat() if event.review_due else None,
        "reason_no_review_date": event.reason_no_review_date,
        "needs_senior_endorsement": event.needs_senior_endorsement,
        "endorsed_by": None,
        "status": "active",
        "communicated_to": [],
        "reasoning_mentions_group_characteristics": list(event.reasoning_mentions_group_characteristics),
        "event_id": str(event.event_id),
    }
    document.save()
    cursor.execute(
        """INSERT INTO decision_facts (plan_id, record_id, organisation, setting, form_type, cpr, reason_category,
               reasoning, reasoning_flags, made_at, recorded_at, author_user, author_role,
               responsible_clinician_registration, person_involved, reason_not_involved_given, consulted,
               lacked_capacity, reason_no_one_consulted_given, needs_endorsement, review_due, status)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'active')""",
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
        ),
    )


def _plan(document: _Document, plan_id: UUID) -> dict[str, Any] | None:
    plan = document.section("plans").get(str(plan_id))
    assert plan is None or isinstance(plan, dict)
    return plan


def _end_plan(
    cursor: Any, event: CareRecordEvent, plan_id: UUID, status: str, initiated: str | None = None
) -> None:
    document = _Document(cursor, event.record_id)
    plan = _plan(document, plan_id)
    if plan is not None:
        plan["status"] = status
        plan["ended_at"] = _iso(event.occurred_at)
    document.save()
    cursor.execute(
        "UPDATE decision_facts SET status = %s, ended_at = %s, revocation_initiated = %s WHERE plan_id = %s",
        (status, event.occurred_at, initiated, plan_id),
    )


@_project.register
def _(event: SeniorEndorsementGiven, cursor: Any, position: int) -> None:
    document = _Document(cursor, event.record_id)
    plan = _plan(document, event.plan_id)
    if plan is not None:
        plan["endorsed_by"] = {
            "name": event.endorsed_by.name,
            "role": ROLES[event.endorsed_by.role].label,
            "registration": event.endorsed_by.registration,
            "at": _iso(event.occurred_at),
        }
    document.save()
    cursor.execute(
        "UPDATE decision_facts SET endorsed_at = %s WHERE plan_id = %s", (event.occurred_at, event.plan_id)
    )


@_project.register
def _(event: PlanReviewed, cursor: Any, position: int) -> None:
    document = _Document(cursor, event.record_id)
    plan = _plan(document, event.plan_id)
    if plan is not None and event.outcome is not ReviewOutcome.REVOKED:
        plan["review_due"] = event.next_review_due.isoformat() if event.next_review_due else None
        plan["last_review"] = {
            "at": _iso(event.occurred_at),
            "by": event.reviewed_by.name,
            "outcome": event.outcome.value,
        }
    document.save()
    cursor.execute(
        """UPDATE decision_facts SET reviews = reviews + 1, last_reviewed_at = %s,
               review_due = CASE WHEN %s THEN review_due ELSE %s END
           WHERE plan_id = %s""",
        (event.occurred_at, event.outcome is ReviewOutcome.REVOKED, event.next_review_due, event.plan_id),
    )


@_project.register
def _(event: PlanRevoked, cursor: Any, position: int) -> None:
    _end_plan(cursor, event, event.plan_id, "revoked", event.initiated.value)


@_project.register
def _(event: PlanSuperseded, cursor: Any, position: int) -> None:
    _end_plan(cursor, event, event.plan_id, "superseded")


@_project.register
def _(event: DecisionCommunicated, cursor: Any, position: int) -> None:
    document = _Document(cursor, event.record_id)
    plan = _plan(document, event.plan_id)
    if plan is not None:
        plan["communicated_to"] += [
            {"name": p.name, "role": p.role, "at": _iso(event.occurred_at)} for p in event.told
        ]
    document.save()
    cursor.execute("UPDATE decision_facts SET communicated = true WHERE plan_id = %s", (event.plan_id,))


@_project.register
def _(event: EntryMarkedEnteredInError, cursor: Any, position: int) -> None:
    cursor.execute(
        "UPDATE person_timeline SET entered_in_error = true WHERE event_id = %s RETURNING event_type",
        (event.entry_event_id,),
    )
    plans = _Document(cursor, event.record_id).section("plans")
    for plan_id, plan in plans.items():
        if plan.get("event_id") == str(event.entry_event_id):
            _end_plan(cursor, event, UUID(plan_id), "entered-in-error")
            return


@_project.register
def _(event: CorrectionRecorded, cursor: Any, position: int) -> None:
    return  # the timeline row links the correction to what it corrects


@_project.register
def _(event: ConcernRaised, cursor: Any, position: int) -> None:
    cursor.execute(
        "INSERT INTO concern_facts (concern_id, record_id, plan_id, raised_by, raised_at) VALUES (%s, %s, %s, %s, %s)",
        (event.concern_id, event.record_id, event.plan_id, event.raised_by.value, event.occurred_at),
    )


@_project.register
def _(event: ConcernResolved, cursor: Any, position: int) -> None:
    cursor.execute(
        "UPDATE concern_facts SET resolved_at = %s WHERE concern_id = %s",
        (event.occurred_at, event.concern_id),
    )
