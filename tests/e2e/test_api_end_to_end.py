"""End to end over HTTP and WebSocket against a running `carerecord serve` on the real PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from tests.builders import PERSONAL_REASONING, VALID_NHS_NUMBER
from tests.conftest import wait_until
from tests.support.api_server import ApiServer, errors, nodes

RESULT = """__typename
  ... on RecordChanged { recordId version replayed eventIds }
  ... on Refused { rule field message }
  ... on VersionConflict { message }
  ... on NotAllowedResult { message }"""

REGISTER = f"mutation($input: RegisterPersonInput!, $key: String) {{ registerPerson(input: $input, idempotencyKey: $key) {{ {RESULT} }} }}"
START = f"mutation($id: UUID!, $input: StartCareRelationshipInput!) {{ startCareRelationship(recordId: $id, input: $input) {{ {RESULT} }} }}"
RECOMMEND = f"mutation($id: UUID!, $v: Int, $key: String, $input: MakeRecommendationInput!) {{ makeRecommendation(recordId: $id, expectedVersion: $v, idempotencyKey: $key, input: $input) {{ {RESULT} }} }}"
REVOKE = f"mutation($id: UUID!, $input: RevokePlanInput!) {{ revokePlan(recordId: $id, input: $input) {{ {RESULT} }} }}"
PERSON = "query($nhs: String!) { person(nhsNumber: $nhs) { recordId version currentPlans { planId cpr cprLabel status } } }"
RECORD = "query($id: UUID!) { record(recordId: $id) { version } }"
HISTORY = "query($id: UUID!) { accessHistory(recordId: $id) { edges { node { userId role organisation operation granted versionShown refusalReason viaBreakGlass } } } }"
BREAK_GLASS = "mutation($id: UUID!, $reason: String!) { breakGlass(recordId: $id, reason: $reason) { __typename ... on BreakGlassGranted { expiresAt } ... on NotAllowedResult { message } ... on Refused { message } } }"

GP = {"sub": "dr-grey", "role": "gp", "org": "K81003", "registration": "2345678", "name": "Dr Grey"}
CARE_HOME = {"sub": "ch-ade", "role": "care-home-staff", "org": "VLAXL"}
PARAMEDIC = {"sub": "p-khan", "role": "paramedic", "org": "RX9", "registration": "PA123456"}
ASSURANCE = {"sub": "icb-ann", "role": "assurance", "org": "QWE"}


def person_input() -> dict[str, Any]:
    return {
        "nhsNumber": "943 476 5919",
        "givenName": "Margaret",
        "familyName": "Hale",
        "dateOfBirth": "1938-04-02",
        "postcode": "NG1 1AA",
    }


def recommendation_input(**extra: Any) -> dict[str, Any]:
    return {
        "formType": "RESPECT",
        "cpr": "DO_NOT_ATTEMPT_CPR",
        "reasonCategory": "WOULD_NOT_SUCCEED",
        "reasoning": PERSONAL_REASONING,
        "involvement": {"route": "A_PERSON_WITH_CAPACITY", "personInvolved": True},
        "responsibleClinician": {"name": "Dr Grey", "role": "GP", "registration": "2345678"},
        "setting": "GP_PRACTICE",
        "reviewDue": "2027-03-01",
        **extra,
    }


@pytest.fixture
def server(test_database_url: str, fresh_schema: str, tmp_path: Path) -> Iterator[ApiServer]:
    api = ApiServer(test_database_url, fresh_schema, tmp_path, CARERECORD_BREAK_GLASS_SECONDS="3").start()
    yield api
    api.stop()


def registered_with_gp(server: ApiServer) -> tuple[str, str]:
    gp = server.token(**GP)
    record_id = server.graphql(gp, REGISTER, input=person_input())["data"]["registerPerson"]["recordId"]
    started = server.graphql(
        gp,
        START,
        id=record_id,
        input={"organisation": "K81003", "setting": "GP_PRACTICE", "basis": "REGISTERED_WITH_PRACTICE"},
    )
    assert started["data"]["startCareRelationship"]["version"] == 2
    return gp, record_id


def test_a_gp_registers_cares_for_and_recommends_and_care_home_staff_may_not_recommend(
    server: ApiServer,
) -> None:
    gp, record_id = registered_with_gp(server)
    made = server.graphql(gp, RECOMMEND, id=record_id, v=2, input=recommendation_input())
    assert made["data"]["makeRecommendation"]["__typename"] == "RecordChanged"
    plan = server.graphql(gp, PERSON, nhs=VALID_NHS_NUMBER)["data"]["person"]
    assert plan["version"] == 3
    assert plan["currentPlans"][0]["cpr"] == "DO_NOT_ATTEMPT_CPR"
    assert "does not limit any other treatment" in plan["currentPlans"][0]["cprLabel"]

    carer = server.token(**CARE_HOME)
    server.graphql(
        carer,
        START,
        id=record_id,
        input={"organisation": "VLAXL", "setting": "CARE_HOME", "basis": "RESIDENT_OF_CARE_HOME"},
    )
    refused = server.graphql(carer, RECOMMEND, id=record_id, input=recommendation_input())
    assert refused["data"]["makeRecommendation"]["__typename"] == "NotAllowedResult"


def test_a_refused_rule_comes_back_as_data_naming_the_rule_and_field(server: ApiServer) -> None:
    gp, record_id = registered_with_gp(server)
    result = server.graphql(
        gp,
        RECOMMEND,
        id=record_id,
        input=recommendation_input(reasoning="Frail elderly care home resident with dementia."),
    )
    refusal = result["data"]["makeRecommendation"]
    assert refusal == {
        "__typename": "Refused",
        "rule": "reasoning-rests-on-group-characteristic",
        "field": "reasoning",
        "message": refusal["message"],
    }


def test_an_organisation_without_a_relationship_is_refused_and_the_refusal_is_recorded(
    server: ApiServer,
) -> None:
    _, record_id = registered_with_gp(server)
    paramedic = server.token(**PARAMEDIC)
    refused = server.graphql(paramedic, PERSON, nhs=VALID_NHS_NUMBER)
    assert "no care relationship" in errors(refused)[0]
    history = nodes(server.graphql(server.token(**ASSURANCE), HISTORY, id=record_id)["data"]["accessHistory"])
    assert any(entry["userId"] == "p-khan" and not entry["granted"] for entry in history)


def test_break_glass_works_is_recorded_and_expires(server: ApiServer) -> None:
    _, record_id = registered_with_gp(server)
    paramedic = server.token(**PARAMEDIC)
    short = server.graphql(paramedic, BREAK_GLASS, id=record_id, reason="urgent")
    assert short["data"]["breakGlass"]["__typename"] == "Refused"
    granted = server.graphql(
        paramedic,
        BREAK_GLASS,
        id=record_id,
        reason="Cardiac arrest at home, no care relationship, crew needs the CPR decision",
    )
    assert granted["data"]["breakGlass"]["__typename"] == "BreakGlassGranted"
    assert server.graphql(paramedic, RECORD, id=record_id)["data"]["record"]["version"] == 2
    # the serve process's own clock runs the grant out (CARERECORD_BREAK_GLASS_SECONDS=3); polled gently, so
    # that the polls stay far below the rate limit
    wait_until(
        lambda: bool(errors(server.graphql(paramedic, RECORD, id=record_id))),
        timeout=30,
        interval=0.5,
        failure="break glass never expired",
    )
    history = nodes(server.graphql(server.token(**ASSURANCE), HISTORY, id=record_id)["data"]["accessHistory"])
    assert any(entry["operation"] == "breakGlass" for entry in history)
    assert any(entry["viaBreakGlass"] and entry["granted"] for entry in history)


def test_a_stale_version_gets_a_conflict(server: ApiServer) -> None:
    gp, record_id = registered_with_gp(server)
    stale = server.graphql(gp, RECOMMEND, id=record_id, v=1, input=recommendation_input())
    assert stale["data"]["makeRecommendation"]["__typename"] == "VersionConflict"


def test_a_retried_mutation_records_once_even_across_an_api_restart(server: ApiServer) -> None:
    gp, record_id = registered_with_gp(server)
    first = server.graphql(gp, RECOMMEND, id=record_id, key="retry-key-0001", input=recommendation_input())
    server.stop()
    server.start()
    gp = server.token(**GP)
    again = server.graphql(gp, RECOMMEND, id=record_id, key="retry-key-0001", input=recommendation_input())
    assert again["data"]["makeRecommendation"]["replayed"] is True
    assert again["data"]["makeRecommendation"]["eventIds"] == first["data"]["makeRecommendation"]["eventIds"]
    assert server.graphql(gp, RECORD, id=record_id)["data"]["record"]["version"] == 3
    different = server.graphql(
        gp, RECOMMEND, id=record_id, key="retry-key-0001", input=recommendation_input(reviewDue="2027-04-01")
    )
    assert different["data"]["makeRecommendation"]["rule"] == "idempotency-key-reused"


def test_a_read_shows_in_the_access_history_with_the_version_shown_and_changes_no_version(
    server: ApiServer,
) -> None:
    gp, record_id = registered_with_gp(server)
    for _ in range(3):
        assert server.graphql(gp, RECORD, id=record_id)["data"]["record"]["version"] == 2
    history = nodes(server.graphql(server.token(**ASSURANCE), HISTORY, id=record_id)["data"]["accessHistory"])
    gp_reads = [entry for entry in history if entry["userId"] == "dr-grey" and entry["operation"] == "record"]
    assert len(gp_reads) == 3
    assert {entry["versionShown"] for entry in gp_reads} == {2}


def test_the_person_sees_their_own_record_and_who_looked_but_not_anyone_elses(server: ApiServer) -> None:
    gp, record_id = registered_with_gp(server)
    me = server.token(sub="person-1", role="person", org="K81003", record=record_id)
    assert server.graphql(me, RECORD, id=record_id)["data"]["record"]["version"] == 2
    assert nodes(server.graphql(me, HISTORY, id=record_id)["data"]["accessHistory"])
    other = server.graphql(
        gp, REGISTER, input=person_input() | {"nhsNumber": "4010000007", "familyName": "Other"}
    )
    other_id = other["data"]["registerPerson"]["recordId"]
    assert "your own record" in errors(server.graphql(me, RECORD, id=other_id))[0]


def test_the_as_of_query_answers_differently_by_the_two_clocks_for_a_back_dated_event(
    server: ApiServer,
) -> None:
    gp, record_id = registered_with_gp(server)
    server.graphql(gp, RECOMMEND, id=record_id, input=recommendation_input())
    plan_id = server.graphql(gp, PERSON, nhs=VALID_NHS_NUMBER)["data"]["person"]["currentPlans"][0]["planId"]
    before_revocation = datetime.now(UTC)
    back_dated = (before_revocation - timedelta(milliseconds=300)).isoformat()
    revoked = server.graphql(
        gp,
        REVOKE,
        id=record_id,
        input={
            "planId": plan_id,
            "reason": "She asked for CPR.",
            "initiated": "PERSON_REQUEST",
            "occurredAt": back_dated,
        },
    )
    assert revoked["data"]["revokePlan"]["__typename"] == "RecordChanged"
    query = (
        "query($id: UUID!, $at: DateTime!, $clock: AsOfClock!) { recordAsOf(recordId: $id, at: $at, clock: $clock)"
        " { version plans { status } } }"
    )
    by_record = server.graphql(gp, query, id=record_id, at=before_revocation.isoformat(), clock="RECORDED")
    by_occurrence = server.graphql(
        gp, query, id=record_id, at=before_revocation.isoformat(), clock="OCCURRED"
    )
    assert by_record["data"]["recordAsOf"]["plans"] == [{"status": "ACTIVE"}]
    assert by_occurrence["data"]["recordAsOf"]["plans"] == [{"status": "REVOKED"}]


CHANGES = "subscription($after: Int!) { planChanges(afterPosition: $after) { position eventType recordId } }"


def _subscribe(server: ApiServer, token: str, query: str, after: int, count: int) -> list[dict[str, Any]]:
    """The first `count` changes the subscription sends after position `after`."""

    async def receive() -> list[dict[str, Any]]:
        url = server.url.replace("http", "ws") + "/graphql"
        async with websockets.connect(
            url,
            subprotocols=["graphql-transport-ws"],
            additional_headers={"authorization": f"Bearer {token}"},
        ) as socket:
            await socket.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            subscribe = {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": query, "variables": {"after": after}},
            }
            await socket.send(json.dumps(subscribe))
            received = []
            while len(received) < count:
                message = json.loads(await asyncio.wait_for(socket.recv(), timeout=30))
                assert message["type"] == "next", message
                received.append(message["payload"]["data"]["planChanges"])
            return received

    return asyncio.run(receive())


def test_a_subscriber_that_reconnects_still_receives_a_revocation_made_in_between(server: ApiServer) -> None:
    gp, record_id = registered_with_gp(server)
    server.graphql(gp, RECOMMEND, id=record_id, input=recommendation_input())
    plan_id = server.graphql(gp, PERSON, nhs=VALID_NHS_NUMBER)["data"]["person"]["currentPlans"][0]["planId"]
    first = _subscribe(server, gp, CHANGES, 0, 3)
    assert [change["eventType"] for change in first] == [
        "PersonRegistered",
        "CareRelationshipStarted",
        "RecommendationMade",
    ]
    server.graphql(
        gp,
        REVOKE,
        id=record_id,
        input={"planId": plan_id, "reason": "Recovered; CPR could succeed.", "initiated": "CLINICAL"},
    )
    resumed = _subscribe(server, gp, CHANGES, first[-1]["position"], 1)
    assert resumed[0]["eventType"] == "PlanRevoked"
    assert resumed[0]["recordId"] == record_id


def test_a_service_that_starts_caring_is_sent_the_plans_in_force_with_the_relationship(
    server: ApiServer,
) -> None:
    """A care home that takes the person in after the GP's decision hears the decision, not only its own arrival."""
    gp, record_id = registered_with_gp(server)
    server.graphql(gp, RECOMMEND, id=record_id, input=recommendation_input())
    plan_id = server.graphql(gp, PERSON, nhs=VALID_NHS_NUMBER)["data"]["person"]["currentPlans"][0]["planId"]
    manager = server.token(sub="ch-manager", role="administrator", org=CARE_HOME["org"])
    started = server.graphql(
        manager,
        START,
        id=record_id,
        input={"organisation": CARE_HOME["org"], "setting": "CARE_HOME", "basis": "RESIDENT_OF_CARE_HOME"},
    )
    assert started["data"]["startCareRelationship"]["version"] == 4
    query = (
        "subscription($after: Int!) { planChanges(afterPosition: $after) { eventType version "
        "plansInForce { planId status cprCode } planConflicts { code } } }"
    )
    changes = _subscribe(server, server.token(**CARE_HOME), query, 0, 4)
    assert [(c["eventType"], c["version"]) for c in changes] == [
        ("PersonRegistered", 1),
        ("CareRelationshipStarted", 2),
        ("RecommendationMade", 3),
        ("CareRelationshipStarted", 4),
    ]
    assert changes[0]["plansInForce"] is None and changes[1]["plansInForce"] == []
    assert changes[3]["plansInForce"] == [{"planId": plan_id, "status": "ACTIVE", "cprCode": "450476008"}]
    assert changes[0]["planConflicts"] is None and changes[3]["planConflicts"] == []


def test_hostile_requests_are_refused_before_work_is_done(server: ApiServer) -> None:
    gp = server.token(**GP)
    nested = "query { __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }"
    assert "depth" in " ".join(errors(server.graphql(gp, nested)))
    aliases = "{ " + " ".join(f"a{i}: glossary {{ term }}" for i in range(20)) + " }"
    assert "aliases" in errors(server.graphql(gp, aliases))[0]
    oversized = httpx.post(
        f"{server.url}/graphql",
        content=b"{" + b" " * 400_000 + b"}",
        headers={"content-type": "application/json", "authorization": f"Bearer {gp}"},
    )
    assert oversized.status_code == 413


def test_through_kafka_a_change_made_over_the_api_reaches_the_plan_read_over_the_api(
    test_database_url: str, fresh_schema: str, tmp_path: Path, infra: dict[str, str], topic: str
) -> None:
    from tests.e2e.test_events_through_kafka import _projector_process, _relay_process

    kafka = {
        "KAFKA_BOOTSTRAP_SERVERS": infra["KAFKA_BOOTSTRAP_SERVERS"],
        "KAFKA_USERNAME": "admin",
        "KAFKA_PASSWORD": infra["KAFKA_ADMIN_PASSWORD"],
        "KAFKA_TOPIC": topic,
    }
    server = ApiServer(test_database_url, fresh_schema, tmp_path, **kafka).start()
    workers = [
        _relay_process(infra, topic, test_database_url, fresh_schema),
        _projector_process(infra, topic, test_database_url, fresh_schema),
    ]
    try:
        gp = server.token(**GP)
        record_id = server.graphql(gp, REGISTER, input=person_input())["data"]["registerPerson"]["recordId"]
        server.graphql(
            gp,
            START,
            id=record_id,
            input={"organisation": "K81003", "setting": "GP_PRACTICE", "basis": "REGISTERED_WITH_PRACTICE"},
        )
        made = server.graphql(gp, RECOMMEND, id=record_id, v=2, input=recommendation_input())
        assert made["data"]["makeRecommendation"]["version"] == 3
        answers: list[dict[str, Any]] = []

        def projected() -> bool:  # through the relay, Kafka and the projector: the plan at version 3
            answers.append(server.graphql(gp, PERSON, nhs=VALID_NHS_NUMBER))
            return not errors(answers[-1]) and answers[-1]["data"]["person"]["version"] == 3

        wait_until(projected, timeout=60, interval=0.1, failure="the change never reached the read model")
        answer = answers[-1]
        assert answer["data"]["person"]["currentPlans"][0]["status"] == "ACTIVE"
        health = httpx.get(f"{server.url}/health").json()
        assert health["mode"] == "kafka" and health["kafka"]["status"] == "up"
        assert health["lag"]["relay_lag"] == 0
    finally:
        for process in workers:
            process.terminate()
            process.wait()
        server.stop()
