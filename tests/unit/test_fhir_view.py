"""The FHIR view of a current plan, for every kind of plan: valid R4 and the codes provider systems rely on.

Documents here have the shape projector.py writes (tests/e2e/test_fhir_api.py maps documents the real
projector wrote, through the real API).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from carerecord_projections.current_plan.queries import PlanRow
from carerecord_projections.fhir import plan_bundle
from tests.builders import PERSONAL_REASONING, VALID_NHS_NUMBER
from tests.fhir_checks import by_reference, one, resources, validated

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
MADE_AT = "2026-10-01T09:30:00.123456+00:00"
DNACPR_TEXT = (
    "Do not attempt CPR (cardiopulmonary resuscitation). This recommendation is about cardiopulmonary "
    "resuscitation (CPR) only. It does not limit any other treatment or care."
)
CPR_TEXT = "Attempt CPR (cardiopulmonary resuscitation) if the heart and breathing stop."
GP = {"name": "Dr Grey", "role": "general practitioner", "registration": "2345678"}
REGISTRAR = {"name": "Dr Patel", "role": "doctor", "registration": "7654321"}
NURSE = {"name": "Nurse Jones", "role": "nurse", "registration": "71A2998E"}
CONSULTANT = {"name": "Dr Okafor", "role": "consultant", "registration": "1234567"}


def plan(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "form_type": "respect",
        "form_name": "ReSPECT plan (Recommended Summary Plan for Emergency Care and Treatment)",
        "cpr_code": "450476008",
        "cpr": DNACPR_TEXT,
        "reason_category": "cpr-would-not-succeed",
        "reasoning": PERSONAL_REASONING,
        "what_matters": "being at home with her cat",
        "priority_scale": None,
        "other_recommendations": [
            {"treatment": "hospital admission", "decision": "not-wanted", "reason": "wants to stay at home"},
            {"treatment": "antibiotics by mouth", "decision": "recommended", "reason": ""},
        ],
        "involvement": {
            "route": "A",
            "person_involved": True,
            "consulted": [{"name": "Ann Hale", "role": "daughter"}],
            "reason_person_not_involved": "",
            "reason_no_one_consulted": "",
        },
        "responsible_clinician": GP,
        "recorded_by": {"user": "dr-grey", "role": "gp"},
        "organisation": "K81003",
        "setting": "gp-practice",
        "made_at": MADE_AT,
        "review_due": "2027-03-01",
        "reason_no_review_date": "",
        "needs_senior_endorsement": False,
        "endorsed_by": None,
        "status": "active",
        "communicated_to": [],
        "reasoning_mentions_group_characteristics": [],
        "event_id": str(uuid4()),
    }
    values.update(overrides)
    return values


def adrt(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "treatments_refused": "mechanical ventilation and intubation",
        "refuses_cpr": True,
        "made_on": "2025-01-10",
        "document_location": "GP notes",
        "formally_valid_for_cpr": True,
        "reasons_not_valid_for_cpr": [],
        "withdrawn": False,
    }
    values.update(overrides)
    return values


def row(
    plans: dict[str, dict[str, Any]] | None = None,
    advance_decisions: dict[str, dict[str, Any]] | None = None,
    died: dict[str, Any] | None = None,
) -> PlanRow:
    document: dict[str, Any] = {
        "preferred_name": "Peggy",
        "communication_needs": [],
        "caring": {
            "K81003": {"setting": "gp-practice", "setting_name": "GP practice", "since": MADE_AT},
            "VLAXL": {"setting": "care-home", "setting_name": "care home", "since": MADE_AT},
        },
        "capacity": {},
        "representatives": {},
        "advance_decisions": advance_decisions or {},
        "plans": plans or {},
    }
    if died:
        document["died"] = died
    return PlanRow(
        record_id=uuid4(),
        nhs_number=VALID_NHS_NUMBER,
        given_name="Margaret",
        family_name="Hale",
        date_of_birth=date(1938, 4, 2),
        postcode="NG1 1AA",
        died=died is not None,
        version=7,
        position=42,
        document=document,
    )


def bundle_of(**kwargs: Any) -> dict[str, Any]:
    return validated(plan_bundle(row(**kwargs), generated_at=NOW))


def test_an_active_dnacpr_is_an_active_flag_and_an_active_care_plan() -> None:
    plan_id = str(uuid4())
    bundle = bundle_of(plans={plan_id: plan()})
    assert bundle["type"] == "searchset"
    flag = one(bundle, "Flag")
    assert flag["status"] == "active"
    assert flag["code"]["coding"] == [
        {
            "system": "http://snomed.info/sct",
            "code": "450476008",
            "display": "Not for attempted cardiopulmonary resuscitation",
        }
    ]
    assert flag["code"]["text"] == DNACPR_TEXT
    assert flag["period"] == {"start": MADE_AT, "end": "2027-03-01"}
    assert flag["category"][0]["coding"][0]["code"] == "advance-directive"
    author = by_reference(bundle, flag["author"])
    assert author["identifier"] == [{"system": "https://fhir.hl7.org.uk/Id/gmc-number", "value": "2345678"}]
    care_plan = one(bundle, "CarePlan")
    assert (care_plan["id"], care_plan["status"], care_plan["intent"]) == (plan_id, "active", "plan")
    assert by_reference(bundle, care_plan["author"]) is author
    cpr, admission, antibiotics = (activity["detail"] for activity in care_plan["activity"])
    assert cpr["code"]["coding"][0]["code"] == "89666000"
    assert cpr["doNotPerform"] is True and cpr["status"] == "not-started"
    assert cpr["reasonCode"][1]["text"] == PERSONAL_REASONING
    assert admission["doNotPerform"] is True
    assert admission["description"] == "hospital admission: not wanted by the person."
    assert antibiotics["doNotPerform"] is False
    notes = [note["text"] for note in care_plan["note"]]
    assert "What matters to the person: being at home with her cat" in notes
    assert "Consulted: Ann Hale (daughter)." in notes
    assert by_reference(bundle, flag["subject"])["resourceType"] == "Patient"


def test_the_patient_carries_the_nhs_number_without_spaces_and_the_caring_organisations_by_ods_code() -> None:
    bundle = bundle_of(plans={str(uuid4()): plan()})
    patient = one(bundle, "Patient")
    assert patient["identifier"] == [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9434765919"}]
    assert patient["birthDate"] == "1938-04-02"
    assert patient["meta"]["versionId"] == "7"
    assert {"use": "usual", "given": ["Peggy"]} in patient["name"]
    assert "deceasedDateTime" not in patient and "deceasedBoolean" not in patient
    (practice,) = patient["generalPractitioner"]
    assert by_reference(bundle, practice)["identifier"] == [
        {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "K81003"}
    ]
    assert {o["id"] for o in resources(bundle, "Organization")} == {"K81003", "VLAXL"}
    assert bundle["entry"][0]["search"]["mode"] == "match"
    assert {e["search"]["mode"] for e in bundle["entry"][1:]} == {"include"}


def test_cpr_recommended_is_coded_for_attempted_cpr() -> None:
    bundle = bundle_of(
        plans={
            str(uuid4()): plan(
                cpr_code="450475007",
                cpr=CPR_TEXT,
                reason_category="cpr-recommended",
                other_recommendations=[],
            )
        }
    )
    flag = one(bundle, "Flag")
    assert flag["status"] == "active"
    assert flag["code"]["coding"][0]["code"] == "450475007"
    assert flag["code"]["coding"][0]["display"] == "For attempted cardiopulmonary resuscitation"
    (activity,) = one(bundle, "CarePlan")["activity"]
    assert activity["detail"]["doNotPerform"] is False
    assert activity["detail"]["reasonCode"][0]["text"] == "CPR is recommended"


@pytest.mark.parametrize(
    ("status", "flag_status", "care_plan_status", "activity_status"),
    [
        ("revoked", "inactive", "revoked", "cancelled"),
        ("superseded", "inactive", "revoked", "cancelled"),
        ("entered-in-error", "entered-in-error", "entered-in-error", "entered-in-error"),
    ],
)
def test_an_ended_plan_is_no_longer_in_force_and_ends_when_it_ended(
    status: str, flag_status: str, care_plan_status: str, activity_status: str
) -> None:
    ended_at = "2026-10-20T10:00:00+00:00"
    bundle = bundle_of(plans={str(uuid4()): plan(status=status, ended_at=ended_at)})
    flag = one(bundle, "Flag")
    assert flag["status"] == flag_status
    assert flag["period"] == {"start": MADE_AT, "end": ended_at}
    care_plan = one(bundle, "CarePlan")
    assert care_plan["status"] == care_plan_status
    assert care_plan["period"]["end"] == ended_at
    assert {a["detail"]["status"] for a in care_plan["activity"]} == {activity_status}


def test_a_revoked_plan_beside_its_replacement_shows_which_one_is_in_force() -> None:
    old, new = str(uuid4()), str(uuid4())
    bundle = bundle_of(
        plans={
            old: plan(status="revoked", ended_at="2026-10-20T10:00:00+00:00"),
            new: plan(cpr_code="450475007", cpr=CPR_TEXT, reason_category="cpr-recommended"),
        }
    )
    statuses = {p["id"]: p["status"] for p in resources(bundle, "CarePlan")}
    assert statuses == {old: "revoked", new: "active"}
    active_flags = [f for f in resources(bundle, "Flag") if f["status"] == "active"]
    assert [f["code"]["coding"][0]["code"] for f in active_flags] == ["450475007"]
    assert len(resources(bundle, "Practitioner")) == 1, "one clinician, one Practitioner"


def test_a_plan_awaiting_endorsement_is_in_force_and_says_so_and_the_endorser_contributes_once_given() -> (
    None
):
    waiting = plan(responsible_clinician=REGISTRAR, needs_senior_endorsement=True, setting="hospital")
    waiting["organisation"] = "RXF"
    bundle = bundle_of(plans={str(uuid4()): waiting})
    care_plan = one(bundle, "CarePlan")
    assert care_plan["status"] == "active"
    assert "Awaiting endorsement by a senior clinician." in [note["text"] for note in care_plan["note"]]
    contributors = [by_reference(bundle, c) for c in care_plan["contributor"]]
    assert [c["resourceType"] for c in contributors] == ["Practitioner", "Organization"]
    assert contributors[1]["id"] == "RXF"

    endorsed = dict(waiting, endorsed_by={**CONSULTANT, "at": "2026-10-02T08:00:00+00:00"})
    bundle = bundle_of(plans={str(uuid4()): endorsed})
    care_plan = one(bundle, "CarePlan")
    assert "Awaiting endorsement by a senior clinician." not in [note["text"] for note in care_plan["note"]]
    names = [by_reference(bundle, c).get("id") for c in care_plan["contributor"]]
    assert names == ["gmc-7654321", "gmc-1234567", "RXF"]


def test_a_nurse_author_is_identified_on_the_nmc_register() -> None:
    bundle = bundle_of(plans={str(uuid4()): plan(responsible_clinician=NURSE)})
    author = by_reference(bundle, one(bundle, "Flag")["author"])
    assert author["identifier"] == [{"system": "https://fhir.hl7.org.uk/Id/nmc-number", "value": "71A2998E"}]


def test_an_adrt_is_an_active_consent_denying_the_refused_treatments_and_cpr() -> None:
    decision_id = str(uuid4())
    bundle = bundle_of(plans={str(uuid4()): plan()}, advance_decisions={decision_id: adrt()})
    consent = one(bundle, "Consent")
    assert consent["id"] == decision_id
    assert consent["status"] == "active"
    assert consent["scope"]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/consentscope",
        "code": "adr",
        "display": "Advanced Care Directive",
    }
    assert consent["category"][0]["coding"][0]["code"] == "acd"
    assert consent["dateTime"] == "2025-01-10"
    refused, cpr = consent["provision"]["code"]
    assert refused == {"text": "mechanical ventilation and intubation"}
    assert cpr["coding"][0]["code"] == "89666000"
    assert consent["sourceAttachment"]["title"] == "Held at: GP notes"
    assert by_reference(bundle, consent["patient"])["resourceType"] == "Patient"


def test_an_adrt_not_valid_for_cpr_does_not_deny_cpr_and_says_why() -> None:
    bundle = bundle_of(advance_decisions={str(uuid4()): adrt(formally_valid_for_cpr=False)})
    (refused,) = one(bundle, "Consent")["provision"]["code"]
    assert "coding" not in refused
    assert "not valid for refusing CPR" in refused["text"]


def test_an_adrt_not_valid_for_cpr_names_each_requirement_it_misses() -> None:
    missing = ["made before the age of 18", "not witnessed"]
    decision = adrt(formally_valid_for_cpr=False, reasons_not_valid_for_cpr=missing)
    (refused,) = one(bundle_of(advance_decisions={str(uuid4()): decision}), "Consent")["provision"]["code"]
    assert refused["text"].endswith("not valid for refusing CPR: made before the age of 18; not witnessed")


def test_a_withdrawn_adrt_is_an_inactive_consent() -> None:
    bundle = bundle_of(advance_decisions={str(uuid4()): adrt(refuses_cpr=False, withdrawn=True)})
    consent = one(bundle, "Consent")
    assert consent["status"] == "inactive"
    assert consent["provision"]["code"] == [{"text": "mechanical ventilation and intubation"}]


def test_after_death_the_patient_is_deceased_and_the_plan_completed() -> None:
    died = {"date": "2026-10-31", "place": "hospice", "was_preferred_place": True}
    bundle = bundle_of(plans={str(uuid4()): plan(status="closed-after-death")}, died=died)
    assert one(bundle, "Patient")["deceasedDateTime"] == "2026-10-31"
    flag = one(bundle, "Flag")
    assert flag["status"] == "inactive"
    assert flag["period"] == {"start": MADE_AT, "end": "2026-10-31"}
    assert one(bundle, "CarePlan")["status"] == "completed"


def test_a_plan_status_the_view_does_not_know_is_never_shown_as_in_force() -> None:
    bundle = bundle_of(plans={str(uuid4()): plan(status="suspended-by-a-future-rule")})
    assert one(bundle, "Flag")["status"] == "inactive"
    assert one(bundle, "CarePlan")["status"] == "unknown"


def test_a_person_with_no_plan_is_a_patient_alone_and_the_same_row_maps_the_same_way() -> None:
    person = row()
    first = validated(plan_bundle(person, generated_at=NOW))
    assert [e["resource"]["resourceType"] for e in first["entry"]] == [
        "Patient",
        "Organization",
        "Organization",
    ]
    assert plan_bundle(person, generated_at=NOW) == first
    assert first["entry"][0]["fullUrl"] == f"urn:uuid:{UUID(str(person.record_id))}"
