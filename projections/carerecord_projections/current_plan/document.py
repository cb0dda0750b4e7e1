"""The current plan document of one person, selected from the record's state: what the API reads. Its shape is
the API's contract, so it changes only with the API."""

from __future__ import annotations

from typing import Any

from carerecord_events.base import Clinician
from carerecord_events.codec import encode
from carerecord_events.plain import FORM_NAMES, PLAN_CONFLICT_NAMES, SETTING_NAMES, describe_cpr
from carerecord_events.plans import Involvement, PlanReviewed
from carerecord_events.record.state import CarePeriod, PersonRecord, PlanState
from carerecord_events.roles import ROLES

Document = dict[str, Any]


def document_of(record: PersonRecord) -> Document:
    document: Document = {
        "preferred_name": record.preferred_name,
        "communication_needs": list(record.communication_needs),
        "equality": _equality(record),
        "caring": _caring(record),
        "capacity": _capacity(record),
        "representatives": _representatives(record),
        "advance_decisions": _advance_decisions(record),
        "plans": {str(plan_id): plan_document(plan) for plan_id, plan in record.plans.items()},
        "plan_conflicts": conflicts_of(record),
    }
    if record.capacity_assessments or any(plan.made.capacity_assessment_id for plan in record.plans.values()):
        # the section appeared when first written, or first asked about a linked assessment
        document["capacity_assessments"] = {str(key): has for key, has in record.capacity_assessments.items()}
    if record.conversations:
        document["conversations"] = _conversations(record)
    if record.death is not None:
        document["died"] = {
            "date": record.death.on.isoformat(),
            "place": record.death.place,
            "was_preferred_place": record.death.was_preferred_place,
        }
    return document


def conflicts_of(record: PersonRecord) -> list[Document]:
    """Why the plans in force cannot all be followed as they stand, coded and in words: what the API, the FHIR
    view, the portal and the feeds all show."""
    return [
        {"code": conflict.value, "description": PLAN_CONFLICT_NAMES[conflict]}
        for conflict in record.plan_conflicts
    ]


def _equality(record: PersonRecord) -> Document:
    equality = record.equality
    return {
        "ethnicity": equality.ethnicity,
        "sex": equality.sex,
        "disability": equality.disability,
        "learning_disability": equality.learning_disability,
        "autism": equality.autism,
        "dementia": equality.dementia,
    }


def _caring(record: PersonRecord) -> Document:
    """Each organisation caring now, as its latest relationship stated it."""
    latest: dict[str, CarePeriod] = {}
    for period in record.care_periods:
        latest[period.organisation] = period
    return {org: _care_period(period) for org, period in latest.items() if period.ended_at is None}


def _care_period(period: CarePeriod) -> Document:
    caring: Document = {
        "setting": period.setting.value,
        "setting_name": SETTING_NAMES[period.setting],
        "since": period.started_at.isoformat(),
        "basis": period.basis.value,
    }
    if period.confirmed:
        caring["confirmed"] = True
    return caring


def _capacity(record: PersonRecord) -> Document:
    # Keyed by the decision's code: "cpr" is the CPR recommendation (a version 1 event is upcast to its code).
    return {
        decision.value: {
            "decision_text": assessed.decision_text,
            "has_capacity": assessed.has_capacity,
            "how_lacking": assessed.how_capacity_is_lacking,
            "assessed_at": assessed.occurred_at.isoformat(),
            "assessor": assessed.assessor_name,
        }
        for decision, assessed in record.capacity.items()
    }


def _representatives(record: PersonRecord) -> Document:
    return {
        str(key): {
            "kind": rep.recorded.kind.value,
            "name": rep.recorded.name,
            "relationship": rep.recorded.relationship,
            "lpa_registered": rep.recorded.lpa_registered,
            "lpa_covers_life_sustaining_treatment": rep.recorded.lpa_covers_life_sustaining_treatment,
            "active": rep.active,
        }
        for key, rep in record.representatives.items()
    }


def _advance_decisions(record: PersonRecord) -> Document:
    return {
        str(key): {
            "treatments_refused": adrt.recorded.treatments_refused,
            "refuses_cpr": adrt.recorded.refuses_cpr,
            "made_on": adrt.recorded.made_on.isoformat(),
            "document_location": adrt.recorded.document_location,
            "formally_valid_for_cpr": adrt.formally_valid_for_cpr,
            "reasons_not_valid_for_cpr": list(adrt.reasons_not_valid_for_cpr),
            "withdrawn": adrt.withdrawn,
        }
        for key, adrt in record.advance_decisions.items()
    }


def _conversations(record: PersonRecord) -> list[Document]:
    return [
        {
            "at": talk.occurred_at.isoformat(),
            "participants": [{"name": p.name, "role": p.role} for p in talk.participants],
            "person_took_part": talk.person_took_part,
            "communication_support": list(talk.communication_support),
            "what_matters": talk.what_matters,
            "information_given": talk.information_given,
            "information_format": talk.information_format,
            "views_expressed": talk.views_expressed,
            "formats_offered": [kind.value for kind in talk.formats_offered],
            "interpreter_language": talk.interpreter_language,
            "reasonable_adjustments": list(talk.reasonable_adjustments),
        }
        for talk in record.conversations
    ]


def plan_document(plan: PlanState) -> Document:
    made = plan.made
    document = {
        "form_type": made.form_type.value,
        "form_name": FORM_NAMES[made.form_type],
        "form_version": made.form_version,
        "cpr_code": made.cpr.value,
        "cpr": describe_cpr(made.cpr),
        "reason_category": made.reason_category.value,
        "reasoning": made.reasoning,
        "what_matters": made.what_matters,
        "other_recommendations": [
            {"treatment": item.treatment, "decision": item.decision.value, "reason": item.reason}
            for item in made.other_recommendations
        ],
        "involvement": _involvement(made.involvement),
        "responsible_clinician": _clinician(made.responsible_clinician),
        "recorded_by": {"user": made.recorded_by.user_id, "role": made.recorded_by.role.value},
        "organisation": made.organisation,
        "setting": made.setting.value,
        "made_at": made.occurred_at.isoformat(),
        "review_due": plan.review_due.isoformat() if plan.review_due else None,
        "reason_no_review_date": made.reason_no_review_date,
        "needs_senior_endorsement": made.needs_senior_endorsement,
        "endorsed_by": _endorsement(plan),
        "status": plan.status.value,
        "communicated_to": [
            {"name": person.name, "role": person.role, "at": told.occurred_at.isoformat()}
            for told in plan.communications
            for person in told.told
        ],
        "reasoning_mentions_group_characteristics": list(made.reasoning_mentions_group_characteristics),
        "lacked_capacity_nobody_consulted": plan.nobody_consulted_though_lacking_capacity,
        "event_id": str(made.event_id),
        # what only the plan's kind of form holds, as the fact holds it (codes, ISO dates)
        "respect": encode(made.respect),
        "escalation": encode(made.escalation),
        "dnacpr": encode(made.dnacpr),
        "local_form": encode(made.local_form),
        "reviews": [_review(review) for review in plan.reviews],
    }
    if plan.taken_in_from:
        document["taken_in_from"] = plan.taken_in_from
    if plan.ended_at is not None:
        document["ended_at"] = plan.ended_at.isoformat()
    if plan.last_review is not None:
        review = plan.last_review
        document["last_review"] = {
            "at": review.occurred_at.isoformat(),
            "by": review.reviewed_by.name,
            "outcome": review.outcome.value,
        }
    return document


def _involvement(involvement: Involvement) -> Document:
    return {
        "route": involvement.route.value,
        "person_involved": involvement.person_involved,
        "consulted": [{"name": p.name, "role": p.role} for p in involvement.consulted],
        "reason_person_not_involved": involvement.reason_person_not_involved,
        "reason_no_one_consulted": involvement.reason_no_one_consulted,
        "discussion_record_location": involvement.discussion_record_location,
        "discussed_on": involvement.discussed_on.isoformat() if involvement.discussed_on else None,
    }


def _review(review: PlanReviewed) -> Document:
    return {
        "at": review.occurred_at.isoformat(),
        "by": _clinician(review.reviewed_by),
        "outcome": review.outcome.value,
        "notes": review.notes,
        "person_involved": review.person_involved,
        "next_review_due": review.next_review_due.isoformat() if review.next_review_due else None,
    }


def _clinician(clinician: Clinician) -> Document:
    return {
        "name": clinician.name,
        "role": ROLES[clinician.role].label,
        "registration": clinician.registration,
    }


def _endorsement(plan: PlanState) -> Document | None:
    if plan.endorsement is None:
        return None
    return {**_clinician(plan.endorsement.endorsed_by), "at": plan.endorsement.occurred_at.isoformat()}
