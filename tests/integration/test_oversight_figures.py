"""Every oversight figure against a hand-computed expectation on a small region, on the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any
from uuid import UUID

import pytest

from carerecord.bootstrap import Services, build_services
from carerecord.settings import load_settings
from carerecord_events.base import Participant
from carerecord_events.plans import Involvement
from carerecord_events.vocabulary import (
    ConcernRaisedBy,
    CprRecommendation,
    FormType,
    InvolvementRoute,
    ReasonCategory,
    RelationshipBasis,
    ReviewOutcome,
    RevocationInitiator,
    Setting,
)
from carerecord_projections.oversight.rules.scope import Period, Scope
from carerecord_projections.oversight.views import OversightViews
from carerecord_projections.reference import (
    ReferenceDataError,
    parse_organisations,
    parse_population,
    replace_organisations,
    replace_population,
)
from carerecord_services import commands as c
from tests.builders import (
    CARE_HOME_MANAGER,
    GP,
    PARAMEDIC,
    PERSONAL_REASONING,
    REGISTRAR,
    attorney,
    lacks_capacity,
    recommendation,
    register,
    valid_nhs_numbers,
)

REFERENCE = resources.files("carerecord") / "reference"


@dataclass
class Region:
    services: Services
    views: OversightViews
    people: dict[str, UUID]
    plans: dict[str, UUID]
    period: Period
    now: datetime


def _plan(services: Services, record_id: UUID) -> UUID:
    from carerecord_projections.database import transaction

    with transaction(services.read_models_dsn) as cursor:
        cursor.execute(
            "SELECT plan_id FROM decision_facts WHERE record_id = %s ORDER BY made_at DESC LIMIT 1",
            (record_id,),
        )
        plan_id: UUID = cursor.fetchone()[0]
    return plan_id


@pytest.fixture
def region(test_database_url: str, fresh_schema: str, tmp_path: Any) -> Iterator[Region]:
    settings = load_settings(
        {
            "DATABASE_URL": test_database_url,
            "CARERECORD_SCHEMA": fresh_schema,
            "CARERECORD_DATA_DIR": str(tmp_path),
        }
    )
    services = build_services(settings)
    dsn = services.read_models_dsn
    replace_organisations(dsn, parse_organisations((REFERENCE / "organisations.csv").read_text()))
    replace_population(dsn, parse_population((REFERENCE / "population.csv").read_text()))
    care = services.care_records
    numbers = valid_nhs_numbers(5, start=431_000_000)
    people = {
        name: care.register_person(register(nhs_number=n)).record_id
        for name, n in zip("ABCDE", numbers, strict=True)
    }
    gp_practice = c.StartCareRelationship(
        actor=GP,
        organisation="K81003",
        setting=Setting.GP_PRACTICE,
        basis=RelationshipBasis.REGISTERED_WITH_PRACTICE,
    )
    care.execute(people["A"], gp_practice)
    care.execute(people["B"], gp_practice)
    # A: a consultant's decision with the person, read by the GP practice, then a move to a care home and a review
    made = care.execute(people["A"], recommendation())
    services.audit.record_access(
        GP, people["A"], operation="person", purpose="direct care", granted=True, version_shown=made.version
    )
    care.execute(
        people["A"],
        c.StartCareRelationship(
            actor=CARE_HOME_MANAGER,
            organisation="VLAXL",
            setting=Setting.CARE_HOME,
            basis=RelationshipBasis.RESIDENT_OF_CARE_HOME,
        ),
    )
    plans = {"A": _plan(services, people["A"])}
    care.execute(
        people["A"],
        c.ReviewPlan(
            actor=GP,
            plan_id=plans["A"],
            outcome=ReviewOutcome.CONFIRMED,
            reviewer_name="Dr Grey",
            person_involved=True,
            next_review_due=date(2027, 6, 1),
        ),
    )
    # B: a registrar's decision, not yet endorsed; the person not involved, with the reason; the GP never looks
    care.execute(
        people["B"],
        recommendation(
            actor=REGISTRAR,
            involvement=Involvement(
                route=InvolvementRoute.D_NOT_INVOLVED_WITH_REASON,
                person_involved=False,
                consulted=(Participant(name="Ann Hale", role="daughter"),),
                reason_person_not_involved="unconscious on admission; will be discussed when she wakes",
            ),
        ),
    )
    # C: lacks capacity; her attorney was consulted
    care.execute(people["C"], lacks_capacity())
    recorded = care.execute(people["C"], attorney())
    from carerecord_events.conversations import RepresentativeRecorded

    attorney_id = next(e for e in recorded.events if isinstance(e, RepresentativeRecorded)).representative_id
    care.execute(
        people["C"],
        recommendation(
            involvement=Involvement(
                route=InvolvementRoute.B_PERSON_LACKS_CAPACITY,
                person_involved=False,
                consulted=(Participant(name="Ann Hale", role="attorney", representative_id=attorney_id),),
                reason_person_not_involved="lacks capacity for this decision",
            )
        ),
    )
    # D: the GP recommends CPR, then revokes it; the family raise a concern, which is resolved
    care.execute(
        people["D"],
        recommendation(
            actor=GP,
            form_type=FormType.TREATMENT_ESCALATION_PLAN,
            cpr=CprRecommendation.ATTEMPT_CPR,
            reason_category=ReasonCategory.CPR_RECOMMENDED,
            reasoning="Wishes to have CPR attempted; heart and lungs are strong after her recovery from pneumonia.",
            setting=Setting.GP_PRACTICE,
        ),
    )
    plans["D"] = _plan(services, people["D"])
    care.execute(
        people["D"],
        c.RevokePlan(
            actor=GP,
            plan_id=plans["D"],
            reason="replaced after discussion",
            initiated=RevocationInitiator.CLINICAL,
        ),
    )
    raised = care.execute(
        people["D"], c.RaiseConcern(actor=GP, raised_by=ConcernRaisedBy.FAMILY, summary="we were not told")
    )
    from carerecord_events.corrections import ConcernRaised

    concern = next(e for e in raised.events if isinstance(e, ConcernRaised))
    care.execute(
        people["D"], c.ResolveConcern(actor=GP, concern_id=concern.concern_id, resolution="met the family")
    )
    # E: individual reasoning that also mentions frailty: accepted, and flagged for oversight
    care.execute(people["E"], recommendation(reasoning=PERSONAL_REASONING + " She is also frail."))
    plans.update({name: _plan(services, people[name]) for name in "BCE"})
    # A paramedic opens C's record in an emergency, without a care relationship
    services.audit.start_break_glass(
        PARAMEDIC, people["C"], "cardiac arrest at home, no care relationship", timedelta(hours=4)
    )
    now = datetime.now(UTC)
    period = Period(now - timedelta(days=1), now + timedelta(minutes=1))
    try:
        yield Region(services, OversightViews(dsn), people, plans, period, now)
    finally:
        services.close()


def _figures(
    region: Region, scope: Scope | None = None, now: datetime | None = None
) -> dict[str, tuple[int, int | None]]:
    dashboard = region.views.dashboard(scope or Scope(), region.period, now or region.now)
    return {figure.key: (figure.count, figure.out_of) for figure in dashboard.figures}


def test_every_figure_matches_the_hand_count(region: Region) -> None:
    assert _figures(region) == {
        "decisions-made": (5, None),
        "decisions-dnacpr": (4, 5),
        "person-involved": (3, 5),  # A, D, E
        "not-involved-reason-given": (2, 5),  # B, C
        "not-involved-no-reason": (0, 5),
        "lacking-capacity-consulted": (1, 1),  # C
        "lacking-capacity-nobody-consulted": (0, 1),
        "awaiting-endorsement": (1, 1),  # B, made by a registrar
        "communicated": (0, 5),
        "reasoning-group-characteristic": (1, 5),  # E
        "reviews-due": (0, None),
        "reviews-done": (1, None),  # A
        "reviews-on-time": (1, 1),
        "reviews-overdue": (0, 4),  # A, B, C, E have due dates; none overdue today
        "moved-reviewed": (1, 1),  # A moved to a care home and was reviewed after
        "revocations": (1, None),  # D
        "concerns-raised": (1, None),
        "concerns-resolved": (1, 1),
        "break-glass-awaiting-review": (1, 1),
        "relationships-started": (3, None),
        # the GP practice registered A and B (evidence); the care home's start for A had none on the record
        "relationships-awaiting-review": (1, 1),
        "notices-received": (1, 2),  # A's decision read by the GP practice; B's not seen yet
        "conflicting-plans": (0, 4),  # A, B, C, E each have one plan in force, and no advance decision
        "accessible-information-offered": (0, 0),  # no conversations
    }


def test_overdue_is_computed_against_the_query_clock(region: Region) -> None:
    later = datetime(2027, 6, 2, 12, tzinfo=UTC)
    assert _figures(region, now=later)["reviews-overdue"] == (4, 4)
    assert _figures(region, now=datetime(2027, 2, 2, 12, tzinfo=UTC))["reviews-overdue"] == (3, 4)  # not A
    overdue = region.views.drill_down("reviews-overdue", Scope(), region.period, later)
    assert {row.plan_id for row in overdue} == {region.plans[name] for name in "ABCE"}


def test_scopes_narrow_by_region_organisation_and_setting(region: Region) -> None:
    assert _figures(region, Scope(region="QWE")) == _figures(region)
    assert _figures(region, Scope(region="South East"))["decisions-made"] == (5, None)
    assert _figures(region, Scope(region="QXA"))["decisions-made"] == (0, None)
    assert _figures(region, Scope(organisation="RXF"))["decisions-made"] == (4, None)
    assert _figures(region, Scope(organisation="K81003"))["revocations"] == (1, None)
    care_homes = _figures(region, Scope(setting="care-home"))
    assert care_homes["decisions-made"] == (0, None)
    assert care_homes["relationships-started"] == (1, None)
    assert care_homes["relationships-awaiting-review"] == (1, 1)
    assert _figures(region, Scope(setting="gp-practice"))["relationships-awaiting-review"] == (0, 0)
    (awaiting,) = region.views.drill_down("relationships-awaiting-review", Scope(), region.period, region.now)
    assert (awaiting.record_id, awaiting.organisation) == (region.people["A"], "VLAXL")


def test_each_figure_drills_down_to_exactly_the_decisions_it_counted(region: Region) -> None:
    views, period, now = region.views, region.period, region.now
    dashboard = views.dashboard(Scope(), period, now)
    for key in ("decisions-made", "person-involved", "not-involved-reason-given", "awaiting-endorsement"):
        rows = views.drill_down(key, Scope(), period, now)
        assert len(rows) == dashboard.figure(key).count
    assert {row.plan_id for row in views.drill_down("awaiting-endorsement", Scope(), period, now)} == {
        region.plans["B"]
    }
    assert {
        row.plan_id for row in views.drill_down("reasoning-group-characteristic", Scope(), period, now)
    } == {region.plans["E"]}
    assert [row.plan_id for row in views.drill_down("revocations", Scope(), period, now)] == [
        region.plans["D"]
    ]
    assert [row.plan_id for row in views.drill_down("moved-reviewed", Scope(), period, now)] == [
        region.plans["A"]
    ]
    (unseen,) = views.drill_down("not-yet-seen", Scope(), period, now)
    assert (unseen.record_id, unseen.organisation) == (region.people["B"], "K81003")
    with pytest.raises(KeyError, match="no drill-down"):
        views.drill_down("everything", Scope(), period, now)


def test_charts_and_timings(region: Region) -> None:
    dashboard = region.views.dashboard(Scope(), region.period, region.now)
    charts = {chart.key: dict(chart.rows) for chart in dashboard.charts}
    assert charts["decisions-by-form-type"] == {"respect": 4, "tep": 1}
    assert charts["decisions-by-setting"] == {"hospital": 4, "gp-practice": 1}
    assert charts["revocations-by-initiator"] == {"clinical": 1}
    assert charts["concerns-by-raiser"] == {"family": 1}
    assert charts["relationships-by-starter"] == {"gp": 2, "administrator": 1}
    timings = {timing.key: timing for timing in dashboard.timings}
    assert timings["time-to-endorsement"].count == 0
    assert timings["time-to-resolve-concern"].count == 1
    assert timings["time-to-first-receipt"].count == 1
    assert timings["not-yet-seen"].count == 1
    assert dashboard.unregistered_organisations == ()


def test_reference_files_are_checked_line_by_line_and_nothing_is_half_loaded(region: Region) -> None:
    bad = (
        "ods_code,name,setting,icb_code,icb_name,region\nRXF,Riverside,hospital,QWE,South Downs,South East\n"
    )
    bad += "not a code!,Somewhere,spaceship,QWE,South Downs,South East\nRXF,Again,hospital,QWE,x,y\n"
    with pytest.raises(ReferenceDataError) as refused:
        parse_organisations(bad)
    assert refused.value.problems == [
        "line 3: 'not a code!' is not an ODS code (3 to 9 letters A-Z or digits 0-9)",
        "line 3: setting 'spaceship' is not one of care-home, gp-practice, hospital, hospice, ambulance, community, "
        "nhs-111, out-of-hours, emergency-department",
        "line 4: RXF appears twice",
    ]
    with pytest.raises(ReferenceDataError, match="people 'many' is not a whole number"):
        parse_population("icb_code,age_band,sex,ethnicity,people\nQWE,85+,female,White,many\n")
    with pytest.raises(ReferenceDataError, match="the header lacks people"):
        parse_population("icb_code,age_band,sex,ethnicity\n")
    assert _figures(region, Scope(region="QWE"))["decisions-made"] == (5, None)  # the register is untouched


def test_the_register_may_give_each_organisation_its_cqc_location(region: Region) -> None:
    header = "ods_code,name,setting,icb_code,icb_name,region,cqc_location\n"
    (home, practice) = parse_organisations(
        header + "VLAXP,Seaview House,care-home,QWE,South Downs,South East,1-900000104\n"
        "K81045,Old Forge Health Centre,gp-practice,QWE,South Downs,South East,\n"
    )
    assert (home.cqc_location, practice.cqc_location) == ("1-900000104", None)
    for written in ("1900000104", "1-12345", "1-9000001049999", "１-900000104"):
        with pytest.raises(ReferenceDataError) as refused:
            parse_organisations(
                header + f"VLAXP,Seaview House,care-home,QWE,South Downs,South East,{written}\n"
            )
        assert refused.value.problems == [
            f"line 2: cqc_location {written!r} is not a CQC location ID (1- and 9 to 11 digits, such as"
            " 1-101234567)"
        ]


def test_a_reviewed_break_glass_access_no_longer_awaits_review(region: Region) -> None:
    from tests.builders import ASSURANCE

    (waiting,) = region.views.drill_down("break-glass-awaiting-review", Scope(), region.period, region.now)
    assert (waiting.record_id, waiting.organisation) == (region.people["C"], "RX9")
    assert "by p-khan (paramedic): cardiac arrest at home" in waiting.label
    from carerecord_projections.database import transaction

    with transaction(region.services.read_models_dsn) as cursor:
        cursor.execute("SELECT access_id FROM access_log WHERE kind = 'break-glass'")
        (access_id,) = cursor.fetchone()
    region.services.audit.review_break_glass(
        ASSURANCE,
        region.people["C"],
        access_id,
        appropriate=True,
        notes="arrest at home; plan needed at once",
    )
    assert _figures(region)["break-glass-awaiting-review"] == (0, 1)
    assert region.views.drill_down("break-glass-awaiting-review", Scope(), region.period, region.now) == []
