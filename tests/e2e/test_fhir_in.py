"""FHIR R4 in, through the real API on the real PostgreSQL: a Bundle the view produced, posted into an empty store,
makes the same plan; posting it twice records once; a refusal names the rule and the element and is held until
the sender corrects it; a person not yet registered is registered from the Patient; an organisation that does not
care for the person, and states no basis, is refused."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import pytest

from tests.conftest import dsn
from tests.e2e.test_api_end_to_end import (
    CARE_HOME,
    GP,
    PERSON,
    RECOMMEND,
    recommendation_input,
    registered_with_gp,
)
from tests.e2e.test_plan_forms import FORMS, FROM_LOCAL_FORM, forms_command, local_form_input
from tests.fhir_checks import validated
from tests.form_builders import DNACPR_INPUT, ESCALATION_INPUT, RESPECT_INPUT
from tests.support.api_server import ApiServer, errors

TAKEN_IN_FROM = "query($nhs: String!) { person(nhsNumber: $nhs) { currentPlans { takenInFrom } } }"
AS_GP_PRACTICE = {"relationship-basis": "registered-with-the-practice", "relationship-setting": "gp-practice"}
FULL_PLAN = recommendation_input(
    occurredAt="2026-10-01T09:30:00+00:00",
    whatMatters="being at home with her cat",
    involvement={
        "route": "A_PERSON_WITH_CAPACITY",
        "personInvolved": True,
        "consulted": [{"name": "Ann Hale", "role": "daughter"}, {"name": "Tom Hale", "role": "son"}],
    },
    otherRecommendations=[
        {"treatment": "hospital admission", "decision": "NOT_WANTED", "reason": "wants to stay at home"},
        {"treatment": "antibiotics by mouth", "decision": "RECOMMENDED"},
    ],
)
SECOND_PLAN = recommendation_input(
    formType="TREATMENT_ESCALATION_PLAN",
    cpr="ATTEMPT_CPR",
    reasonCategory="CPR_RECOMMENDED",
    reasoning="Community-acquired pneumonia on a background of good health; full escalation is appropriate.",
    occurredAt="2026-10-02T14:00:00+00:00",
    involvement={
        "route": "D_NOT_INVOLVED_WITH_REASON",
        "personInvolved": False,
        "reasonPersonNotInvolved": "unconscious on arrival; to be discussed when she wakes",
        "reasonNoOneConsulted": "no family reachable overnight",
    },
    reviewDue=None,
    reasonNoReviewDate="to be reviewed on the morning ward round",
)
# What differs by nature between the plan made here and the same plan taken in: its ids, who keyed it in
IDS = ("event_id", "recorded_by")


@pytest.fixture
def origin(test_database_url: str, fresh_schema: str, tmp_path: Path) -> Iterator[ApiServer]:
    (tmp_path / "origin").mkdir()
    api = ApiServer(test_database_url, fresh_schema, tmp_path / "origin").start()
    yield api
    api.stop()


@pytest.fixture
def empty_schema(test_database_url: str, unique_name: str) -> Iterator[str]:
    name = f"{unique_name}_in"
    connection = psycopg2.connect(test_database_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {name}")
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA {name} CASCADE")
    connection.close()


@pytest.fixture
def receiver(test_database_url: str, empty_schema: str, tmp_path: Path) -> Iterator[ApiServer]:
    (tmp_path / "receiver").mkdir()
    api = ApiServer(test_database_url, empty_schema, tmp_path / "receiver").start()
    yield api
    api.stop()


def post(server: ApiServer, token: str, bundle: Any, **query: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/fhir/Bundle",
        content=json.dumps(bundle),
        params=query,
        headers={"authorization": f"Bearer {token}", "content-type": "application/fhir+json"},
        timeout=60,
    )


def held(server: ApiServer, token: str) -> dict[str, Any]:
    response = httpx.get(
        f"{server.url}/fhir/Bundle/$held", headers={"authorization": f"Bearer {token}"}, timeout=30
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def bundle_of(server: ApiServer, token: str) -> dict[str, Any]:
    response = httpx.get(
        f"{server.url}/fhir/Patient/9434765919/$everything",
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    bundle: dict[str, Any] = response.json()
    return bundle


def stored_documents(database_url: str, schema: str) -> list[dict[str, Any]]:
    with psycopg2.connect(dsn(database_url, schema)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT document FROM current_plan")
        return [row[0] for row in cursor.fetchall()]


def plans_without_ids(document: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(
        ({k: v for k, v in plan.items() if k not in IDS} for plan in document["plans"].values()),
        key=lambda plan: str(plan["made_at"]),
    )


def issues(response: httpx.Response) -> list[dict[str, Any]]:
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome", outcome
    found: list[dict[str, Any]] = outcome["issue"]
    return found


def rules(response: httpx.Response) -> dict[str, list[str]]:
    return {issue["details"]["coding"][0]["code"]: issue["expression"] for issue in issues(response)}


def a_plan_made_at_origin(origin: ApiServer) -> tuple[str, dict[str, Any]]:
    gp, record_id = registered_with_gp(origin)
    for plan in (FULL_PLAN, SECOND_PLAN):
        made = origin.graphql(gp, RECOMMEND, id=record_id, input=plan)
        assert made["data"]["makeRecommendation"]["__typename"] == "RecordChanged", made
    return gp, bundle_of(origin, gp)


def test_a_bundle_the_view_produced_posted_into_an_empty_store_makes_the_same_plan_once(
    origin: ApiServer, receiver: ApiServer, test_database_url: str, fresh_schema: str, empty_schema: str
) -> None:
    _, bundle = a_plan_made_at_origin(origin)
    gp = receiver.token(**GP)

    first = post(receiver, gp, bundle, **AS_GP_PRACTICE)
    assert first.status_code == 201, first.text
    assert "taken-in" in rules(first)

    [made_here] = stored_documents(test_database_url, fresh_schema)
    [taken_in] = stored_documents(test_database_url, empty_schema)
    plans_here = plans_without_ids(made_here)
    plans_taken_in = plans_without_ids(taken_in)
    assert [plan["form_type"] for plan in plans_here] == ["respect", "tep"]
    for plan in plans_taken_in:
        assert plan.pop("taken_in_from").startswith("FHIR Bundle sent by K81003 (Bundle https://carerecord")
    # the same CPR decision, form, reasons, involvement, clinician, setting, dates and other treatments
    assert plans_taken_in == plans_here
    assert taken_in["caring"].keys() == made_here["caring"].keys() == {"K81003"}

    person = receiver.graphql(gp, PERSON, nhs="9434765919")
    assert not errors(person), person
    shown = receiver.graphql(gp, TAKEN_IN_FROM, nhs="9434765919")["data"]["person"]["currentPlans"]
    assert [plan["takenInFrom"][:26] for plan in shown] == ["FHIR Bundle sent by K81003"] * 2
    version = person["data"]["person"]["version"]
    again = post(receiver, gp, bundle, **AS_GP_PRACTICE)
    assert again.status_code == 200, again.text
    assert "already-taken-in" in rules(again)
    assert receiver.graphql(gp, PERSON, nhs="9434765919")["data"]["person"]["version"] == version
    assert len(stored_documents(test_database_url, empty_schema)[0]["plans"]) == 2


def taken_back_in(
    origin: ApiServer, receiver: ApiServer, database_url: str, schemas: tuple[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The one plan made at the origin and the same plan taken in from its Bundle at the receiver, each as the
    current plan's document holds it, apart from its ids and who keyed it in."""
    bundle = validated(bundle_of(origin, origin.token(**GP)))
    posted = post(receiver, receiver.token(**GP), bundle, **AS_GP_PRACTICE)
    assert posted.status_code == 201, posted.text
    [made_here] = stored_documents(database_url, schemas[0])
    [taken_in] = stored_documents(database_url, schemas[1])
    [plan_here] = plans_without_ids(made_here)
    [plan_taken_in] = plans_without_ids(taken_in)
    assert plan_taken_in.pop("taken_in_from").startswith("FHIR Bundle sent by K81003")
    return plan_here, plan_taken_in


def made_at(origin: ApiServer, **fields: Any) -> None:
    gp, record_id = registered_with_gp(origin)
    made = origin.graphql(gp, RECOMMEND, id=record_id, input=recommendation_input(**fields))
    assert made["data"]["makeRecommendation"]["__typename"] == "RecordChanged", made


def test_a_respect_plan_with_every_section_comes_back_in_whole(
    origin: ApiServer, receiver: ApiServer, test_database_url: str, fresh_schema: str, empty_schema: str
) -> None:
    made_at(
        origin,
        respect=RESPECT_INPUT,
        whatMatters="being at home with her cat",
        involvement={
            "route": "A_PERSON_WITH_CAPACITY",
            "personInvolved": True,
            "consulted": [{"name": "Ann Hale", "role": "daughter"}],
            "discussedOn": "2026-10-30",
            "discussionRecordLocation": "GP record, consultation of 30 October",
        },
        otherRecommendations=[
            {
                "treatment": "admission to intensive care",
                "decision": "NOT_RECOMMENDED",
                "reason": "no benefit",
            }
        ],
    )
    here, taken_in = taken_back_in(origin, receiver, test_database_url, (fresh_schema, empty_schema))
    respect = here["respect"]
    assert respect["health_summary"] and respect["legal_welfare_proxy"] is True  # section 2
    assert len(respect["other_documents"]) == 2
    assert (respect["what_matters_scale"], respect["clinical_focus_scale"]) == (8, 9)  # sections 3 and 4
    assert respect["has_capacity_to_take_part"] is True  # section 5
    assert [s["registration"] for s in respect["signatures"]] == ["2345678", "71A2998E"]  # section 7
    assert [c["other_details"] for c in respect["emergency_contacts"]] == ["", "K81003"]  # section 8
    assert here["form_version"] == "3" and here["involvement"]["discussed_on"] == "2026-10-30"
    assert taken_in == here


def test_a_treatment_escalation_plan_comes_back_in_with_its_level_goals_and_limits(
    origin: ApiServer, receiver: ApiServer, test_database_url: str, fresh_schema: str, empty_schema: str
) -> None:
    made_at(
        origin,
        formType="TREATMENT_ESCALATION_PLAN",
        escalation=ESCALATION_INPUT,
        otherRecommendations=[{"treatment": "antibiotics by mouth", "decision": "RECOMMENDED"}],
    )
    here, taken_in = taken_back_in(origin, receiver, test_database_url, (fresh_schema, empty_schema))
    assert here["escalation"]["level"] == "ward-based-with-limits"
    assert [limit["treatment"] for limit in here["escalation"]["limits"]] == [
        "intensive-care",
        "non-invasive-ventilation",
        "dialysis",
    ]
    assert [item["treatment"] for item in taken_in["other_recommendations"]] == ["antibiotics by mouth"], (
        "a limit is not taken in as another recommendation"
    )
    assert taken_in == here


def test_a_dnacpr_form_comes_back_in_with_its_communication_and_team(
    origin: ApiServer, receiver: ApiServer, test_database_url: str, fresh_schema: str, empty_schema: str
) -> None:
    made_at(
        origin,
        formType="DNACPR",
        reasonCategory="PERSONS_INFORMED_REFUSAL",
        involvement={
            "route": "A_PERSON_WITH_CAPACITY",
            "personInvolved": True,
            "consulted": [{"name": "Ann Hale", "role": "daughter"}],
        },
        dnacpr=DNACPR_INPUT,
    )
    here, taken_in = taken_back_in(origin, receiver, test_database_url, (fresh_schema, empty_schema))
    assert here["dnacpr"] == {
        "communication_with_person": DNACPR_INPUT["communicationWithPerson"],
        "communication_with_relatives": DNACPR_INPUT["communicationWithRelatives"],
        "team_members": [{"name": "Nurse Jones", "role": "district nurse", "representative_id": None}],
    }
    assert taken_in == here


def test_a_mapped_local_form_comes_back_in_with_its_kept_fields(
    origin: ApiServer, receiver: ApiServer, test_database_url: str, fresh_schema: str, empty_schema: str
) -> None:
    loaded = forms_command(origin, "load", str(FORMS / "nuh-tep.toml"))
    assert loaded.returncode == 0, loaded.stderr
    gp, record_id = registered_with_gp(origin)
    made = origin.graphql(gp, FROM_LOCAL_FORM, id=record_id, input=local_form_input())
    assert made["data"]["makeRecommendationFromLocalForm"]["__typename"] == "RecordChanged", made
    here, taken_in = taken_back_in(origin, receiver, test_database_url, (fresh_schema, empty_schema))
    assert here["form_version"] == "NUH TEP 4 (2024)"
    assert here["local_form"]["form"] == "nuh-tep" and len(here["local_form"]["kept"]) == 3
    assert taken_in == here, (
        "the receiver needs no mapping: the plan arrives canonical, its kept fields whole"
    )


def test_a_form_part_that_cannot_be_read_is_refused_naming_the_element(
    origin: ApiServer, receiver: ApiServer
) -> None:
    made_at(origin, respect=RESPECT_INPUT)
    bundle = bundle_of(origin, origin.token(**GP))
    index, care_plan = next(
        (i, e["resource"])
        for i, e in enumerate(bundle["entry"])
        if e["resource"]["resourceType"] == "CarePlan"
    )
    [details] = care_plan["extension"]
    [respect] = [part for part in details["extension"] if part["url"] == "respect"]
    for part in respect["extension"]:
        if part["url"] == "whatMattersScale":
            part["valueInteger"] = 11
    refused = post(receiver, receiver.token(**GP), bundle, **AS_GP_PRACTICE)
    assert refused.status_code == 422, refused.text
    assert rules(refused)["invalid-input"] == [
        f"Bundle.entry[{index}].resource.extension('https://carerecord.nhs.uk/fhir/StructureDefinition/"
        "plan-details').extension('respect')"
    ]


def test_a_refused_plan_names_the_rule_and_the_element_is_held_and_is_taken_in_once_corrected(
    origin: ApiServer, receiver: ApiServer
) -> None:
    _, bundle = a_plan_made_at_origin(origin)
    wrong = copy.deepcopy(bundle)
    care_plan_index, care_plan = next(
        (i, e["resource"])
        for i, e in enumerate(wrong["entry"])
        if e["resource"]["resourceType"] == "CarePlan"
        and e["resource"]["activity"][0]["detail"]["doNotPerform"]
    )
    care_plan["activity"][0]["detail"]["reasonCode"][1]["text"] = "Frail elderly care home resident."
    gp = receiver.token(**GP)

    refused = post(receiver, gp, wrong, **AS_GP_PRACTICE)
    assert refused.status_code == 422, refused.text
    assert "taken-in" in rules(refused), "the other plan, which the rules accept, is taken in"
    assert rules(refused)["reasoning-rests-on-group-characteristic"] == [
        f"Bundle.entry[{care_plan_index}].resource.activity[0].detail.reasonCode[1].text"
    ]
    waiting = held(receiver, gp)
    assert waiting["total"] == 1
    assert waiting["entry"][0]["resource"]["identifier"] == bundle["identifier"]
    assert waiting["entry"][1]["resource"]["issue"][0]["details"]["coding"][0]["code"] == (
        "reasoning-rests-on-group-characteristic"
    )
    assert (
        held(receiver, receiver.token(sub="dr-other", role="gp", org="B82005", registration="3456789"))[
            "total"
        ]
        == 0
    ), "an organisation sees only what it sent"

    corrected = post(receiver, gp, bundle, **AS_GP_PRACTICE)
    assert corrected.status_code == 201, corrected.text
    assert sorted(rules(corrected)) == ["already-taken-in", "taken-in"]
    assert held(receiver, gp)["total"] == 0


def test_an_organisation_that_does_not_care_for_the_person_and_states_no_basis_is_refused(
    origin: ApiServer, receiver: ApiServer, test_database_url: str, empty_schema: str
) -> None:
    _, bundle = a_plan_made_at_origin(origin)
    gp = receiver.token(**GP)

    refused = post(receiver, gp, bundle)
    assert refused.status_code == 403, refused.text
    assert "no-care-relationship" in rules(refused)
    assert stored_documents(test_database_url, empty_schema) == [], "nothing recorded, not even the person"
    assert held(receiver, gp)["total"] == 1, "held: stating the basis corrects it"

    stranger = origin.token(sub="dr-other", role="gp", org="B82005", registration="3456789")
    assert rules(post(origin, stranger, bundle))["plan-from-another-organisation"], (
        "it sends its own plans only"
    )
    its_own = copy.deepcopy(bundle)
    for entry in its_own["entry"]:
        if entry["resource"]["resourceType"] == "Organization":
            entry["resource"]["identifier"][0]["value"] = "B82005"
    refused_at_origin = post(origin, stranger, its_own)
    assert refused_at_origin.status_code == 403, refused_at_origin.text
    assert "no-care-relationship" in rules(refused_at_origin)


def test_a_role_that_may_not_make_plans_is_refused_and_nothing_is_held(
    origin: ApiServer, receiver: ApiServer
) -> None:
    _, bundle = a_plan_made_at_origin(origin)
    care_home = receiver.token(**CARE_HOME)
    refused = post(receiver, care_home, bundle, **AS_GP_PRACTICE)
    assert refused.status_code == 403, refused.text
    assert "not-permitted" in rules(refused)
    assert (
        httpx.get(
            f"{receiver.url}/fhir/Bundle/$held", headers={"authorization": f"Bearer {care_home}"}, timeout=30
        ).status_code
        == 403
    )


def test_a_bundle_without_an_identifier_or_with_a_malformed_nhs_number_names_the_element(
    origin: ApiServer, receiver: ApiServer
) -> None:
    _, bundle = a_plan_made_at_origin(origin)
    gp = receiver.token(**GP)
    anonymous = {k: v for k, v in bundle.items() if k != "identifier"}
    refused = post(receiver, gp, anonymous, **AS_GP_PRACTICE)
    assert refused.status_code == 422 and rules(refused)["bundle-identifier-required"] == [
        "Bundle.identifier"
    ]

    fullwidth = copy.deepcopy(bundle)
    fullwidth["entry"][0]["resource"]["identifier"][0]["value"] = "９434765919"
    refused = post(receiver, gp, fullwidth, **AS_GP_PRACTICE)
    assert refused.status_code == 422, refused.text
    assert rules(refused)["invalid-identifier"] == ["Bundle.entry[0].resource.identifier"]


def test_the_route_in_keeps_the_limits_of_every_door(origin: ApiServer, receiver: ApiServer) -> None:
    """Request size, bounded events, and the rate: the same limits as /graphql."""
    _, bundle = a_plan_made_at_origin(origin)
    gp = receiver.token(**GP)

    padded = copy.deepcopy(bundle)
    padded["entry"][0]["resource"]["name"][0]["family"] = "x" * 300_000
    too_large = post(receiver, gp, padded, **AS_GP_PRACTICE)
    assert too_large.status_code == 413
    assert too_large.json()["issue"][0]["code"] == "too-costly"

    crowded = copy.deepcopy(bundle)
    index, care_plan = next(
        (i, e["resource"])
        for i, e in enumerate(crowded["entry"])
        if e["resource"]["resourceType"] == "CarePlan"
    )
    [details] = care_plan["extension"]
    details["extension"] += [
        {
            "url": "consulted",
            "extension": [{"url": "name", "valueString": f"P{i}"}, {"url": "role", "valueString": "friend"}],
        }
        for i in range(1_000)
    ]
    refused = post(receiver, gp, crowded, **AS_GP_PRACTICE)
    assert refused.status_code == 422, refused.text
    assert rules(refused)["too-many-entries"] == [
        f"Bundle.entry[{index}].resource.extension('https://carerecord.nhs.uk/fhir/StructureDefinition/plan-details')"
        ".extension('consulted')"
    ]

    many = copy.deepcopy(bundle)
    many["entry"] = [many["entry"][0]] * 201
    assert rules(post(receiver, gp, many, **AS_GP_PRACTICE))["too-many-entries"] == ["Bundle.entry"]


@pytest.fixture
def strict(test_database_url: str, empty_schema: str, tmp_path: Path) -> Iterator[ApiServer]:
    api = ApiServer(test_database_url, empty_schema, tmp_path, CARERECORD_REQUESTS_PER_MINUTE="3").start()
    yield api
    api.stop()


def test_a_burst_of_bundles_over_the_rate_limit_is_refused(strict: ApiServer) -> None:
    gp = strict.token(**GP)
    statuses = [post(strict, gp, {"resourceType": "Bundle"}).status_code for _ in range(6)]
    assert 429 in statuses and statuses[0] == 422
    throttled = post(strict, gp, {"resourceType": "Bundle"})
    assert throttled.status_code == 429 and throttled.json()["issue"][0]["code"] == "throttled"
