"""Given a record, when a recommendation is made on a kind of form, then the form's own part is kept as given
(registration numbers canonical, the form's version recorded) or refused naming the field."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from carerecord_events.plans import (
    ClinicianSignature,
    EmergencyContact,
    RecommendationMade,
    TreatmentLimit,
)
from carerecord_events.roles import Role
from carerecord_events.vocabulary import (
    CprRecommendation,
    EscalationLevel,
    FormType,
    InvolvementRoute,
    LimitedTreatment,
    ReasonCategory,
)
from carerecord_services import commands as c
from carerecord_services.errors import (
    ConsultationMissing,
    InvalidIdentifier,
    InvalidInput,
    RecommendationRefused,
    TimeInFuture,
)
from tests.builders import NOW, Scenario, involved, lacks_capacity, recommendation
from tests.form_builders import dnacpr_form, escalation_plan, respect_sections


def made(events: list[object]) -> RecommendationMade:
    first = events[0]
    assert isinstance(first, RecommendationMade)
    return first


def test_a_respect_plan_keeps_every_section_and_records_version_3() -> None:
    plan = made(Scenario().registered().when(recommendation(respect=respect_sections())))
    assert plan.form_version == "3"
    assert plan.respect is not None
    assert plan.respect.what_matters_scale == 8 and plan.respect.clinical_focus_scale == 9
    assert plan.respect.most_fear == "dying in hospital attached to machines"
    assert plan.respect.signatures[1].registration == "71A2998E"  # canonical, as every registration
    assert [contact.primary for contact in plan.respect.emergency_contacts] == [True, False]


def test_a_respect_plan_on_another_version_of_the_form_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        Scenario().registered().when(recommendation(form_version="2"))
    assert refused.value.field == "form_version"


@pytest.mark.parametrize("scale", ["what_matters_scale", "clinical_focus_scale"])
def test_a_place_off_either_respect_scale_is_refused(scale: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Scenario().registered().when(recommendation(respect=respect_sections(**{scale: 11})))
    assert refused.value.field == f"respect.{scale}"


def test_signatures_name_exactly_one_senior_responsible_clinician() -> None:
    sections = respect_sections()
    both = tuple(replace(each, senior_responsible=True) for each in sections.signatures)
    with pytest.raises(InvalidInput) as refused:
        Scenario().registered().when(recommendation(respect=replace(sections, signatures=both)))
    assert refused.value.rule == "one-senior-responsible-clinician"


def test_a_signature_needs_a_well_formed_registration_and_no_future_date() -> None:
    signature = ClinicianSignature(
        designation="Consultant", name="Dr Lind", role=Role.CONSULTANT, registration="12AB",
        signed_at=NOW, senior_responsible=True,
    )  # fmt: skip
    with pytest.raises(InvalidIdentifier) as refused:
        Scenario().registered().when(recommendation(respect=respect_sections(signatures=(signature,))))
    assert refused.value.field == "respect.signatures.0.registration"
    later = replace(signature, registration="3456789", signed_at=NOW + timedelta(days=1))
    with pytest.raises(TimeInFuture):
        Scenario().registered().when(recommendation(respect=respect_sections(signatures=(later,))))


def test_an_emergency_contact_needs_a_telephone_number_and_one_primary_contact_at_most() -> None:
    wrong = EmergencyContact(name="Ann Hale", role="daughter", telephone="ring the ward")
    with pytest.raises(InvalidInput) as refused:
        Scenario().registered().when(recommendation(respect=respect_sections(emergency_contacts=(wrong,))))
    assert refused.value.field == "respect.emergency_contacts.0.telephone"
    primary = EmergencyContact(name="Ann Hale", role="daughter", telephone="0115 496 0000", primary=True)
    with pytest.raises(InvalidInput):
        Scenario().registered().when(
            recommendation(respect=respect_sections(emergency_contacts=(primary, primary)))
        )


def test_section_5_lacking_capacity_cannot_go_with_route_a() -> None:
    sections = respect_sections(has_capacity_to_take_part=False, how_capacity_is_lacking="delirium")
    with pytest.raises(InvalidInput) as refused:
        Scenario().registered().when(recommendation(respect=sections))
    assert refused.value.field == "involvement.route"


def test_the_existing_rules_still_apply_to_a_full_respect_plan() -> None:
    with pytest.raises(ConsultationMissing):
        Scenario().registered().given(lacks_capacity()).when(
            recommendation(
                respect=respect_sections(),
                involvement=involved(
                    route=InvolvementRoute.B_PERSON_LACKS_CAPACITY,
                    person_involved=False,
                    reason_person_not_involved="lacks capacity after a stroke and cannot take part",
                    consulted=(),
                ),
            )
        )


def test_a_part_of_another_form_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInput) as refused:
        Scenario().registered().when(recommendation(escalation=escalation_plan()))
    assert (refused.value.field, refused.value.rule) == ("escalation", "part-of-another-form")


def test_a_treatment_escalation_plan_keeps_its_level_goals_and_named_limits() -> None:
    plan = made(
        Scenario()
        .registered()
        .when(recommendation(form_type=FormType.TREATMENT_ESCALATION_PLAN, escalation=escalation_plan()))
    )
    assert plan.escalation is not None and plan.escalation.level is EscalationLevel.WARD_BASED
    assert [limit.treatment for limit in plan.escalation.limits] == [
        LimitedTreatment.INTENSIVE_CARE,
        LimitedTreatment.DIALYSIS,
    ]
    assert plan.form_version == ""  # a local form: no national version


def test_ward_based_care_names_its_limits_and_full_escalation_does_not_limit_intensive_care() -> None:
    tep = FormType.TREATMENT_ESCALATION_PLAN
    with pytest.raises(InvalidInput) as refused:
        Scenario().registered().when(recommendation(form_type=tep, escalation=escalation_plan(limits=())))
    assert refused.value.field == "escalation.limits"
    with pytest.raises(InvalidInput):
        Scenario().registered().when(
            recommendation(form_type=tep, escalation=escalation_plan(level=EscalationLevel.FULL))
        )
    other = (TreatmentLimit(treatment=LimitedTreatment.OTHER),)
    with pytest.raises(InvalidInput) as unnamed:
        Scenario().registered().when(recommendation(form_type=tep, escalation=escalation_plan(limits=other)))
    assert unnamed.value.field == "escalation.limits.0.detail"


def test_a_dnacpr_form_keeps_its_communication_and_team() -> None:
    plan = made(Scenario().registered().when(recommendation(form_type=FormType.DNACPR, dnacpr=dnacpr_form())))
    assert plan.dnacpr is not None and plan.dnacpr.team_members[0].name == "Sister Brown"


def test_a_dnacpr_form_recommending_cpr_is_refused() -> None:
    with pytest.raises(RecommendationRefused) as refused:
        Scenario().registered().when(
            recommendation(
                form_type=FormType.DNACPR,
                cpr=CprRecommendation.ATTEMPT_CPR,
                reason_category=ReasonCategory.CPR_RECOMMENDED,
                reasoning="Recovering well from pneumonia; wants CPR attempted if the heart stops.",
            )
        )
    assert (refused.value.field, refused.value.rule) == ("cpr", "dnacpr-form-recommends-cpr")
    assert "cannot recommend CPR" in refused.value.message


def test_a_dnacpr_form_summarises_the_communication_with_those_it_says_took_part() -> None:
    with pytest.raises(InvalidInput) as refused:
        Scenario().registered().when(
            recommendation(form_type=FormType.DNACPR, dnacpr=dnacpr_form(communication_with_relatives=""))
        )
    assert refused.value.field == "dnacpr.communication_with_relatives"


def test_a_new_decision_chooses_refusal_or_advance_decision_not_the_combined_reason() -> None:
    with pytest.raises(InvalidInput) as refused:
        Scenario().registered().when(recommendation(reason_category=ReasonCategory.PERSON_DECLINES))
    assert (refused.value.field, refused.value.rule) == ("reason_category", "refusal-or-advance-decision")
    informed = made(
        Scenario().registered().when(recommendation(reason_category=ReasonCategory.PERSONS_INFORMED_REFUSAL))
    )
    assert informed.reason_category is ReasonCategory.PERSONS_INFORMED_REFUSAL


def test_a_valid_advance_decision_as_the_reason_needs_one_on_the_record() -> None:
    with pytest.raises(RecommendationRefused) as refused:
        Scenario().registered().when(recommendation(reason_category=ReasonCategory.VALID_ADVANCE_DECISION))
    assert refused.value.rule == "no-valid-advance-decision"
    adrt = c.RecordAdvanceDecision(
        actor=recommendation().actor, treatments_refused="CPR", refuses_cpr=True, made_on=date(2025, 1, 10),
        written=True, signed=True, witnessed=True, states_applies_even_if_life_at_risk=True,
    )  # fmt: skip
    plan = made(
        Scenario()
        .registered()
        .given(adrt)
        .when(recommendation(reason_category=ReasonCategory.VALID_ADVANCE_DECISION))
    )
    assert plan.reason_category is ReasonCategory.VALID_ADVANCE_DECISION


def test_a_legal_welfare_proxy_is_named_in_section_8() -> None:
    with pytest.raises(InvalidInput) as refused:
        Scenario().registered().when(recommendation(respect=respect_sections(emergency_contacts=())))
    assert refused.value.field == "respect.emergency_contacts"


def test_a_discussion_cannot_be_dated_in_the_future() -> None:
    tomorrow = NOW.date() + timedelta(days=1)
    with pytest.raises(TimeInFuture) as refused:
        Scenario().registered().when(recommendation(involvement=involved(discussed_on=tomorrow)))
    assert refused.value.field == "involvement.discussed_on"
