"""A local form's mapping is checked when loaded; a filled-in form becomes the recommendation the rules judge,
with the fields the canonical plan has no place for kept verbatim; a form that does not fit is refused, naming
the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carerecord_events.plans import RecommendationMade
from carerecord_events.vocabulary import CprRecommendation, EscalationLevel, FormType, LimitedTreatment
from carerecord_services.local_forms import DocumentRefused, MappingRefused, load_mapping
from tests.builders import CONSULTANT, RESPONSIBLE, Scenario

FORMS = Path(__file__).resolve().parents[2] / "deploy" / "carerecord" / "reference" / "forms"
MAPPING = (FORMS / "nuh-tep.toml").read_text()
EXAMPLE: dict[str, str] = json.loads((FORMS / "nuh-tep.example.json").read_text())


def test_the_example_form_becomes_a_treatment_escalation_plan_the_rules_accept_nothing_lost() -> None:
    mapping = load_mapping(MAPPING)
    command = mapping.recommendation(EXAMPLE, actor=CONSULTANT, responsible_clinician=RESPONSIBLE)
    (made,) = Scenario().registered().when(command)
    assert isinstance(made, RecommendationMade)
    assert (made.form_type, made.form_version, made.cpr) == (
        FormType.TREATMENT_ESCALATION_PLAN,
        "NUH TEP 4 (2024)",
        CprRecommendation.DO_NOT_ATTEMPT_CPR,
    )
    assert made.escalation is not None and made.escalation.level is EscalationLevel.WARD_BASED
    assert [limit.treatment for limit in made.escalation.limits] == [
        LimitedTreatment.INTENSIVE_CARE,
        LimitedTreatment.NON_INVASIVE_VENTILATION,  # renal replacement was not ticked
    ]
    assert made.involvement.person_involved and made.review_due is not None
    assert made.local_form is not None and made.local_form.form == "nuh-tep"
    assert [(kept.label, kept.value) for kept in made.local_form.kept] == [
        ("Ward", "Ward 12, City Hospital"),
        ("Bleep of the doctor completing the form", "4471"),
        ("Oxygen target", "88-92%"),
    ]


def test_an_answer_the_mapping_does_not_know_is_refused_naming_the_field() -> None:
    mapping = load_mapping(MAPPING)
    with pytest.raises(DocumentRefused) as refused:
        mapping.recommendation(
            EXAMPLE | {"Resuscitation status": "For CPR?"},
            actor=CONSULTANT,
            responsible_clinician=RESPONSIBLE,
        )
    assert refused.value.field == "document.Resuscitation status"
    assert "'For CPR'" in refused.value.message


def test_a_required_field_left_empty_or_a_date_that_is_not_one_is_refused_naming_the_field() -> None:
    mapping = load_mapping(MAPPING)
    empty = {label: value for label, value in EXAMPLE.items() if label != "Clinical rationale"}
    with pytest.raises(DocumentRefused) as refused:
        mapping.recommendation(empty, actor=CONSULTANT, responsible_clinician=RESPONSIBLE)
    assert refused.value.field == "document.Clinical rationale"
    with pytest.raises(DocumentRefused) as wrong_date:
        mapping.recommendation(
            EXAMPLE | {"Review by": "1/3/27"}, actor=CONSULTANT, responsible_clinician=RESPONSIBLE
        )
    assert wrong_date.value.field == "document.Review by"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (('to = "cpr"', 'to = "cpr_status"'), "fields.Resuscitation status"),
        (
            ('"Not for CPR" = "DO_NOT_ATTEMPT_CPR"', '"Not for CPR" = "DNR"'),
            "fields.Resuscitation status.values.Not for CPR",
        ),
        (('limit = "dialysis"', 'limit = "haemofiltration"'), "fields.Not for renal replacement.limit"),
        (('form_type = "tep"', 'form_type = "dnacpr"'), "fields.Escalation category"),
        (('setting = "hospital"', 'setting = "ward"'), "set.setting"),
        (('to = "reasoning"', 'to = "involvement"'), "fields.Clinical rationale"),
    ],
)
def test_a_mapping_that_does_not_fit_the_canonical_plan_is_refused_when_loaded_naming_where(
    change: tuple[str, str], field: str
) -> None:
    assert change[0] in MAPPING
    with pytest.raises(MappingRefused) as refused:
        load_mapping(MAPPING.replace(change[0], change[1], 1))
    assert refused.value.field == field


def test_a_mapping_that_gives_no_cpr_decision_is_refused_when_loaded() -> None:
    without = MAPPING.replace('to = "cpr"', 'to = "what_matters"').replace(
        '"For CPR" = "ATTEMPT_CPR", "Not for CPR" = "DO_NOT_ATTEMPT_CPR"',
        '"For CPR" = "a", "Not for CPR" = "b"',
    )
    with pytest.raises(MappingRefused) as refused:
        load_mapping(without)
    assert "cpr" in refused.value.message
