"""Every kind of form through the API (`carerecord serve` on the real PostgreSQL): a ReSPECT plan with every
section, a treatment escalation plan and a standalone DNACPR form, each made with `makeRecommendation`, read
back from the current plan over GraphQL, as FHIR (valid R4) and on the portal's person page."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from carerecord.bootstrap import build_services
from carerecord.settings import load_settings
from carerecord_projections.current_plan.view import plan_view
from carerecord_projections.database import transaction
from carerecord_services.integrity import verify_chains
from tests.builders import PERSONAL_REASONING, VALID_NHS_NUMBER, register
from tests.e2e.stored_directly import append_stored
from tests.e2e.test_api_end_to_end import RECOMMEND, RESULT, recommendation_input, registered_with_gp
from tests.fhir_checks import by_reference, one, resources, validated
from tests.form_builders import DNACPR_INPUT, ESCALATION_INPUT, RESPECT_INPUT
from tests.support.api_server import ApiServer, errors

REVIEW = f"mutation($id: UUID!, $input: ReviewPlanInput!) {{ reviewPlan(recordId: $id, input: $input) {{ {RESULT} }} }}"
PLANS = """query($nhs: String!) { person(nhsNumber: $nhs) { version fhir { json } currentPlans {
  planId formType formVersion cpr reasonCategory
  involvement { route discussedOn discussionRecordLocation }
  respect { healthSummary legalWelfareProxy whatMattersScale whatMattersScaleWords mostValue mostFear
    clinicalFocusScale clinicalFocusWords cprForAChild hasCapacityToTakePart howCapacityIsLacking
    otherDocuments { kind kindName: kindLabel whereHeld description }
    signatures { designation name role registration signedAt seniorResponsible }
    emergencyContacts { name role telephone otherDetails primary } }
  escalation { level levelName: levelLabel goalsOfTreatment limits { treatment treatmentName: treatmentLabel detail } }
  dnacpr { communicationWithPerson communicationWithRelatives teamMembers { name role } }
  reviews { at by { name role registration } outcome notes personInvolved nextReviewDue }
} } }"""


@pytest.fixture
def server(test_database_url: str, fresh_schema: str, tmp_path: Path) -> Iterator[ApiServer]:
    api = ApiServer(test_database_url, fresh_schema, tmp_path).start()
    yield api
    api.stop()


def made(server: ApiServer, token: str, record_id: str, **fields: Any) -> dict[str, Any]:
    result = server.graphql(token, RECOMMEND, id=record_id, input=recommendation_input(**fields))
    assert not errors(result), errors(result)
    answer: dict[str, Any] = result["data"]["makeRecommendation"]
    return answer


def the_plan(server: ApiServer, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The one plan in force, as the current plan's GraphQL view, and the person's FHIR Bundle (validated)."""
    result = server.graphql(token, PLANS, nhs=VALID_NHS_NUMBER)
    assert not errors(result), errors(result)
    person = result["data"]["person"]
    (plan,) = person["currentPlans"]
    return plan, validated(json.loads(person["fhir"]["json"]))


def care_plan_notes(bundle: dict[str, Any]) -> list[str]:
    return [note["text"] for note in one(bundle, "CarePlan").get("note", [])]


def portal_page(server: ApiServer, token: str, record_id: str) -> str:
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=30) as browser:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/portal/sign-in").text)
        assert csrf
        signed = browser.post("/portal/sign-in", data={"token": token, "csrf_token": csrf.group(1)})
        assert signed.status_code == 303, signed.text
        page = browser.get(f"/portal/people/{record_id}")
        assert page.status_code == 200, page.text
        return page.text


def test_a_respect_plan_with_every_section_is_kept_and_shown_everywhere(server: ApiServer) -> None:
    gp, record_id = registered_with_gp(server)
    involvement = {
        "route": "A_PERSON_WITH_CAPACITY",
        "personInvolved": True,
        "consulted": [{"name": "Ann Hale", "role": "daughter"}],
        "discussedOn": "2026-10-30",
        "discussionRecordLocation": "GP record, consultation of 30 October",
    }
    other = [
        {"treatment": "admission to intensive care", "decision": "NOT_RECOMMENDED", "reason": "no benefit"}
    ]
    answer = made(
        server, gp, record_id, respect=RESPECT_INPUT, involvement=involvement, otherRecommendations=other
    )
    assert answer["__typename"] == "RecordChanged", answer
    plan, _ = the_plan(server, gp)
    reviewed = server.graphql(
        gp,
        REVIEW,
        id=record_id,
        input={
            "planId": plan["planId"],
            "reviewerName": "Dr Grey",
            "outcome": "CONFIRMED",
            "personInvolved": True,
            "nextReviewDue": "2027-09-01",
        },
    )
    assert reviewed["data"]["reviewPlan"]["__typename"] == "RecordChanged", reviewed

    plan, bundle = the_plan(server, gp)
    assert plan["formVersion"] == "3"  # recorded from now: the only version the record takes
    assert plan["involvement"] == {
        "route": "A_PERSON_WITH_CAPACITY",
        "discussedOn": "2026-10-30",
        "discussionRecordLocation": "GP record, consultation of 30 October",
    }
    respect = plan["respect"]
    assert respect["healthSummary"].startswith("Metastatic pancreatic cancer")  # section 2
    assert [d["kindName"] for d in respect["otherDocuments"]] == [
        "lasting power of attorney",
        "advance care plan",
    ]
    assert respect["legalWelfareProxy"] is True
    assert (respect["whatMattersScale"], respect["mostValue"], respect["mostFear"]) == (  # section 3
        8,
        "being at home with her cat",
        "dying in hospital attached to machines",
    )
    assert "living as long as possible matters most" in respect["whatMattersScaleWords"]
    assert respect["clinicalFocusScale"] == 9 and "prioritise comfort" in respect["clinicalFocusWords"]  # 4
    assert respect["hasCapacityToTakePart"] is True  # section 5
    assert [
        (s["name"], s["role"], s["registration"], s["seniorResponsible"]) for s in respect["signatures"]
    ] == [
        ("Dr Grey", "general practitioner", "2345678", True),
        ("Nurse Jones", "nurse", "71A2998E", False),  # section 7, the registration canonical
    ]
    assert [(c["name"], c["telephone"], c["primary"]) for c in respect["emergencyContacts"]] == [
        ("Ann Hale", "0115 496 0000", True),  # section 8
        ("Dr Grey", "0115 496 0999", False),
    ]
    (review,) = plan["reviews"]  # section 9
    assert (review["by"]["name"], review["outcome"], review["nextReviewDue"]) == (
        "Dr Grey",
        "CONFIRMED",
        "2027-09-01",
    )

    notes = care_plan_notes(bundle)
    for words in (
        "ReSPECT section 2, shared understanding",
        "ReSPECT section 2: the person has a legal welfare proxy.",
        "ReSPECT section 3, what the person most fears or wishes to avoid: dying in hospital",
        "ReSPECT section 4, the clinician's place on the scale: 9",
        "ReSPECT section 7, signed by Nurse Jones",
        "Form version: 3.",
        "the discussions are recorded at: GP record",
        "Reviewed at",
    ):
        assert any(words in note for note in notes), (words, notes)
    care_plan = one(bundle, "CarePlan")
    contacts = [by_reference(bundle, info) for info in care_plan["supportingInfo"]]
    assert [(c["name"][0]["text"], c["telecom"][0].get("rank")) for c in contacts] == [
        ("Ann Hale", 1),
        ("Dr Grey", None),
    ]
    nurse = [p for p in resources(bundle, "Practitioner") if p.get("id") == "nmc-71A2998E"]
    assert nurse, "every signing clinician is a Practitioner on their register"

    page = portal_page(server, gp, record_id)
    for words in (
        "2. Shared understanding of their health and current condition",
        "dying in hospital attached to machines",
        "7. Clinicians&#39; signatures",
        "Nurse Jones, District nurse",
        "Ann Hale (daughter, attorney): 0115 496 0000. Primary contact",
        "Version of the form",
        "GP record, consultation of 30 October",
    ):
        assert words in page, words


def test_a_treatment_escalation_plan_is_kept_with_its_level_goals_and_limits(server: ApiServer) -> None:
    gp, record_id = registered_with_gp(server)
    answer = made(server, gp, record_id, formType="TREATMENT_ESCALATION_PLAN", escalation=ESCALATION_INPUT)
    assert answer["__typename"] == "RecordChanged", answer
    plan, bundle = the_plan(server, gp)
    assert (
        plan["formType"] == "TREATMENT_ESCALATION_PLAN" and plan["respect"] is None and plan["dnacpr"] is None
    )
    escalation = plan["escalation"]
    assert (escalation["level"], escalation["levelName"]) == (
        "WARD_BASED",
        "ward-based care, with the limits named",
    )
    assert [limit["treatment"] for limit in escalation["limits"]] == [
        "INTENSIVE_CARE",
        "NON_INVASIVE_VENTILATION",
        "DIALYSIS",
    ]
    assert "450476008" in str(one(bundle, "Flag")["code"])  # the CPR decision: the same field as every form
    activities = [activity["detail"] for activity in one(bundle, "CarePlan")["activity"]]
    limits = [detail for detail in activities if detail["description"].startswith("Limit of treatment")]
    assert len(limits) == 3 and all(detail["doNotPerform"] for detail in limits)
    assert "Treatment escalation: ward-based care, with the limits named." in care_plan_notes(bundle)

    page = portal_page(server, gp, record_id)
    assert "Treatment escalation" in page and "Non-invasive ventilation (NIV): she found the mask" in page

    refused = made(
        server,
        gp,
        record_id,
        formType="TREATMENT_ESCALATION_PLAN",
        escalation={**ESCALATION_INPUT, "limits": []},
        supersedesPlanId=plan["planId"],
    )
    assert (refused["__typename"], refused["field"]) == ("Refused", "escalation.limits")


def test_a_dnacpr_form_is_kept_and_one_recommending_cpr_is_refused(server: ApiServer) -> None:
    gp, record_id = registered_with_gp(server)
    recommends_cpr = made(
        server,
        gp,
        record_id,
        formType="DNACPR",
        cpr="ATTEMPT_CPR",
        reasonCategory="CPR_RECOMMENDED",
        reasoning="Recovering well from pneumonia; wants CPR attempted if the heart stops.",
    )
    assert (recommends_cpr["__typename"], recommends_cpr["rule"], recommends_cpr["field"]) == (
        "Refused",
        "dnacpr-form-recommends-cpr",
        "cpr",
    )
    assert "cannot recommend CPR" in recommends_cpr["message"]
    combined = made(server, gp, record_id, formType="DNACPR", reasonCategory="PERSON_DECLINES")
    assert (combined["__typename"], combined["rule"]) == ("Refused", "refusal-or-advance-decision")

    answer = made(
        server,
        gp,
        record_id,
        formType="DNACPR",
        reasonCategory="PERSONS_INFORMED_REFUSAL",
        reasoning=PERSONAL_REASONING,
        involvement={
            "route": "A_PERSON_WITH_CAPACITY",
            "personInvolved": True,
            "consulted": [{"name": "Ann Hale", "role": "daughter"}],
        },
        dnacpr=DNACPR_INPUT,
    )
    assert answer["__typename"] == "RecordChanged" and answer["version"] == 3, (
        answer
    )  # nothing refused was kept
    plan, bundle = the_plan(server, gp)
    assert (plan["formType"], plan["reasonCategory"]) == ("DNACPR", "PERSONS_INFORMED_REFUSAL")
    assert plan["dnacpr"] == {
        "communicationWithPerson": DNACPR_INPUT["communicationWithPerson"],
        "communicationWithRelatives": DNACPR_INPUT["communicationWithRelatives"],
        "teamMembers": [{"name": "Nurse Jones", "role": "district nurse"}],
    }
    notes = care_plan_notes(bundle)
    assert "DNACPR form, healthcare team members involved: Nurse Jones (district nurse)." in notes
    reason = one(bundle, "CarePlan")["activity"][0]["detail"]["reasonCode"][0]["text"]
    assert reason == "The person, informed, has refused CPR"

    page = portal_page(server, gp, record_id)
    assert "Communication with relatives, representatives or an IMCA" in page
    assert "not needed: completed by a senior clinician" in page  # a GP completed it
    assert "decided not to have it" in page  # the reason in plain words


FIXTURES = Path(__file__).resolve().parents[2] / "events" / "carerecord_events" / "fixtures"


def test_a_plan_stored_as_version_1_reads_its_priority_scale_as_the_persons_section_3_place(
    test_database_url: str, fresh_schema: str, tmp_path: Path
) -> None:
    environment = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": test_database_url,
        "CARERECORD_SCHEMA": fresh_schema,
        "CARERECORD_DATA_DIR": str(tmp_path),
    }
    services = build_services(load_settings(environment))
    try:
        record_id = services.care_records.register_person(register()).record_id
        payload: dict[str, Any] = json.loads((FIXTURES / "RecommendationMade.v1.json").read_text())["payload"]
        now = datetime.now(UTC).isoformat()
        payload.update(
            record_id=str(record_id),
            event_id=str(uuid4()),
            plan_id=str(uuid4()),
            occurred_at=now,
            recorded_at=now,
            priority_scale=7,
        )
        append_stored(services.store, record_id, "RecommendationMade/v1", payload)
        assert services.feeder is not None
        services.feeder.catch_up()
        with transaction(services.read_models_dsn) as cursor:
            cursor.execute("SELECT document FROM current_plan WHERE record_id = %s", (record_id,))
            document = cursor.fetchone()[0]
        ((plan_id, stored),) = document["plans"].items()
        assert stored["form_version"] == ""  # not recorded then, and not guessed now
        shown = plan_view(record_id, plan_id, stored, date.today())
        assert shown.respect is not None and shown.respect.what_matters_scale == 7
        assert shown.respect.clinical_focus_scale is None
        assert "quality of life and comfort matters most" in shown.respect.what_matters_scale_words
        assert verify_chains(services.store).intact  # the chain covers the payload as stored, not as upcast
    finally:
        services.close()


FORMS = Path(__file__).resolve().parents[2] / "deploy" / "carerecord" / "reference" / "forms"
FROM_LOCAL_FORM = f"mutation($id: UUID!, $input: LocalFormDocumentInput!) {{ makeRecommendationFromLocalForm(recordId: $id, input: $input) {{ {RESULT} }} }}"
LOCAL_FORM = "query($nhs: String!) { person(nhsNumber: $nhs) { version currentPlans { formType formVersion escalation { level limits { treatment } } localForm { form title kept { label value } } } } }"


def forms_command(server: ApiServer, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "carerecord.cli", "forms", *arguments],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def local_form_input(**changed: str) -> dict[str, Any]:
    answers: dict[str, str] = json.loads((FORMS / "nuh-tep.example.json").read_text()) | changed
    return {
        "form": "nuh-tep",
        "fields": [{"label": label, "value": value} for label, value in answers.items()],
        "responsibleClinician": {"name": "Dr Grey", "role": "GP", "registration": "2345678"},
    }


def test_a_mapped_local_form_becomes_the_plan_nothing_lost_and_one_that_does_not_fit_is_refused(
    server: ApiServer, tmp_path: Path
) -> None:
    gp, record_id = registered_with_gp(server)
    before = server.graphql(gp, FROM_LOCAL_FORM, id=record_id, input=local_form_input())
    assert before["data"]["makeRecommendationFromLocalForm"]["rule"] == "local-form-not-loaded"

    broken = tmp_path / "broken.toml"
    broken.write_text((FORMS / "nuh-tep.toml").read_text().replace('to = "cpr"', 'to = "cpr_status"'))
    refused = forms_command(server, "load", str(broken))
    assert refused.returncode == 1 and "fields.Resuscitation status" in refused.stderr
    loaded = forms_command(server, "load", str(FORMS / "nuh-tep.toml"))
    assert loaded.returncode == 0, loaded.stderr
    assert "NUH treatment escalation plan (nuh-tep): mapping loaded" in loaded.stdout

    misfit = server.graphql(
        gp, FROM_LOCAL_FORM, id=record_id, input=local_form_input(**{"Resuscitation status": "DNAR"})
    )
    answer = misfit["data"]["makeRecommendationFromLocalForm"]
    assert (answer["__typename"], answer["field"]) == ("Refused", "document.Resuscitation status")

    made = server.graphql(gp, FROM_LOCAL_FORM, id=record_id, input=local_form_input())
    assert made["data"]["makeRecommendationFromLocalForm"]["__typename"] == "RecordChanged", made
    (plan,) = server.graphql(gp, LOCAL_FORM, nhs=VALID_NHS_NUMBER)["data"]["person"]["currentPlans"]
    assert (plan["formType"], plan["formVersion"]) == ("TREATMENT_ESCALATION_PLAN", "NUH TEP 4 (2024)")
    assert plan["escalation"]["limits"] == [
        {"treatment": "INTENSIVE_CARE"},
        {"treatment": "NON_INVASIVE_VENTILATION"},
    ]
    assert plan["localForm"]["kept"] == [
        {"label": "Ward", "value": "Ward 12, City Hospital"},
        {"label": "Bleep of the doctor completing the form", "value": "4471"},
        {"label": "Oxygen target", "value": "88-92%"},
    ]
    _, bundle = the_plan(server, gp)
    assert "NUH treatment escalation plan, Oxygen target: 88-92%" in care_plan_notes(bundle)
    page = portal_page(server, gp, record_id)
    assert "Also on the NUH treatment escalation plan" in page and "88-92%" in page

    carer = server.token(sub="ch-ade", role="care-home-staff", org="VLAXL")
    not_theirs = server.graphql(carer, FROM_LOCAL_FORM, id=record_id, input=local_form_input())
    assert not_theirs["data"]["makeRecommendationFromLocalForm"]["__typename"] == "NotAllowedResult"
