"""What follows from a plan's state is worked out by one function each, for the write side and the read side."""

from __future__ import annotations

from datetime import date

from carerecord_events.record import facts
from carerecord_events.vocabulary import PlanStatus, RepresentativeKind

TODAY = date(2026, 11, 1)


def test_only_a_plan_in_force_is_overdue_for_review_and_only_after_its_date() -> None:
    assert facts.review_overdue(PlanStatus.ACTIVE, date(2026, 10, 31), TODAY)
    assert not facts.review_overdue(PlanStatus.ACTIVE, TODAY, TODAY)
    assert not facts.review_overdue(PlanStatus.ACTIVE, None, TODAY)
    assert not facts.review_overdue(PlanStatus.REVOKED, date(2026, 10, 31), TODAY)


def test_a_junior_plan_awaits_endorsement_while_in_force_and_unendorsed() -> None:
    assert facts.awaiting_senior_endorsement("active", needs_endorsement=True, endorsed=False)
    assert not facts.awaiting_senior_endorsement("active", needs_endorsement=True, endorsed=True)
    assert not facts.awaiting_senior_endorsement("superseded", needs_endorsement=True, endorsed=False)
    assert facts.endorsement_outstanding(needs_endorsement=True, endorsed=False)


def test_a_document_status_and_a_state_status_ask_the_same_question() -> None:
    assert facts.in_force("active") and facts.in_force(PlanStatus.ACTIVE)
    assert not facts.in_force("closed-after-death")


def test_only_a_registered_welfare_attorney_covering_life_sustaining_treatment_decides_about_cpr() -> None:
    attorney = RepresentativeKind.LPA_HEALTH_AND_WELFARE
    assert facts.may_decide_about_cpr(attorney, True, True, True)
    assert facts.may_decide_about_cpr("lpa-health-and-welfare", True, True, True)
    assert not facts.may_decide_about_cpr(attorney, True, True, None)
    assert not facts.may_decide_about_cpr(attorney, False, True, True)
    assert not facts.may_decide_about_cpr(RepresentativeKind.FAMILY_OR_FRIEND, True, True, True)
