"""Who may read a record is decided from the record in the store, over every door, and a refusal tells a
stranger nothing about which records exist (issue 11, items 1, 3, 4, 5 and 8).

Read models lag behind the store; here they are made to lag on purpose (a row put back as if the projection had
not yet seen the change), so the tests are deterministic: access must follow the store whatever they say.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import pytest
import websockets

from carerecord.settings import load_settings
from carerecord.tokens import development_keys, issue_token
from tests.builders import VALID_NHS_NUMBER
from tests.conftest import dsn
from tests.e2e.test_api_end_to_end import (
    BREAK_GLASS,
    GP,
    HISTORY,
    PARAMEDIC,
    PERSON,
    RECORD,
    RESULT,
    START,
    registered_with_gp,
)
from tests.support.api_server import ApiServer, errors, nodes

pytestmark = pytest.mark.adversarial

OTHER_BOARD = {"sub": "icb-olu", "role": "assurance", "org": "QXA"}
OWN_BOARD = {"sub": "icb-ann", "role": "assurance", "org": "QWE"}
OTHER_GP = {"sub": "dr-wu", "role": "gp", "org": "K81010", "registration": "3456789"}
END = f"mutation($id: UUID!, $input: EndCareRelationshipInput!) {{ endCareRelationship(recordId: $id, input: $input) {{ {RESULT} }} }}"
AS_OF = "query($id: UUID!, $at: DateTime!) { recordAsOf(recordId: $id, at: $at) { version } }"
INVESTIGATION = "query($id: UUID!, $from: DateTime!, $to: DateTime!) { investigation(recordId: $id, from: $from, to: $to) { currentVersion } }"
REPRESENT = f"mutation($id: UUID!, $input: RecordRepresentativeInput!) {{ recordRepresentative(recordId: $id, input: $input) {{ {RESULT} }} }}"
WITHDRAW = f"mutation($id: UUID!, $input: WithdrawRepresentativeInput!) {{ withdrawRepresentative(recordId: $id, input: $input) {{ {RESULT} }} }}"
REPRESENTATIVES = (
    "query($id: UUID!) { record(recordId: $id) { representatives { representativeId active } } }"
)
CONCERN = f"mutation($id: UUID!, $input: RaiseConcernInput!) {{ raiseConcern(recordId: $id, input: $input) {{ {RESULT} }} }}"
CONVERSATION = f"mutation($id: UUID!, $input: RecordConversationInput!) {{ recordConversation(recordId: $id, input: $input) {{ {RESULT} }} }}"
SUBSCRIBE = (
    "subscription($after: Int!) { planChanges(afterPosition: $after) { position recordId eventType } }"
)


@pytest.fixture
def server(test_database_url: str, fresh_schema: str, tmp_path: Path) -> Iterator[ApiServer]:
    api = ApiServer(test_database_url, fresh_schema, tmp_path).start()
    api.read_models_dsn = dsn(test_database_url, fresh_schema)  # type: ignore[attr-defined]
    yield api
    api.stop()


def _lagging(server: ApiServer, sql: str, *values: Any) -> None:
    """Puts a read-model row back as a projection that has not yet caught up would still have it."""
    with psycopg2.connect(server.read_models_dsn) as connection, connection.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute(sql, values)
        assert cursor.rowcount == 1
    connection.close()


def _refusals(server: ApiServer, record_id: str) -> list[tuple[str, str, str]]:
    person = server.token(
        sub="margaret", role="person", org="K81003", record=record_id
    )  # who looked at mine?
    history = nodes(server.graphql(person, HISTORY, id=record_id)["data"]["accessHistory"])
    return [(h["organisation"], h["operation"], h["refusalReason"]) for h in history if not h["granted"]]


def _fhir(server: ApiServer, token: str, nhs_number: str = VALID_NHS_NUMBER) -> httpx.Response:
    return httpx.get(
        f"{server.url}/fhir/Patient/{nhs_number}/$everything",
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )


def test_an_assurance_team_of_another_board_reads_no_record_by_any_door_and_each_refusal_is_recorded(
    server: ApiServer,
) -> None:
    _, record_id = registered_with_gp(server)  # K81003, in board QWE
    other = server.token(**OTHER_BOARD)
    now = datetime.now(UTC)
    asks = [
        (PERSON, {"nhs": VALID_NHS_NUMBER}),
        (RECORD, {"id": record_id}),
        (AS_OF, {"id": record_id, "at": now.isoformat()}),
        (HISTORY, {"id": record_id}),
        (
            INVESTIGATION,
            {"id": record_id, "from": (now - timedelta(days=1)).isoformat(), "to": now.isoformat()},
        ),
    ]
    for query, variables in asks:
        answer = server.graphql(other, query, **variables)
        assert "QXA" in errors(answer)[0], (query, answer)
    assert _fhir(server, other).status_code == 403

    own = server.token(**OWN_BOARD)
    for query, variables in asks:
        assert not errors(server.graphql(own, query, **variables)), query
    assert _fhir(server, own).status_code == 200
    refused = [r for r in _refusals(server, record_id) if r[0] == "QXA"]
    assert len(refused) == len(asks) + 1
    assert {reason for _, _, reason in refused} == {
        "not cared for within board QXA over the period asked about"
    }


def test_a_board_investigates_a_person_who_moved_away_for_the_period_it_cared_for_them_only(
    server: ApiServer,
) -> None:
    gp, record_id = registered_with_gp(server)
    cared = datetime.now(UTC)
    ended = server.graphql(
        gp, END, id=record_id, input={"organisation": "K81003", "reason": "moved to Leeds"}
    )
    assert ended["data"]["endCareRelationship"]["__typename"] == "RecordChanged"
    own = server.token(**OWN_BOARD)

    assert "QWE" in errors(server.graphql(own, RECORD, id=record_id))[0]  # now: nobody in QWE cares for her
    assert not errors(server.graphql(own, AS_OF, id=record_id, at=cared.isoformat()))
    period = {"from": (cared - timedelta(hours=1)).isoformat(), "to": cared.isoformat()}
    assert not errors(server.graphql(own, INVESTIGATION, id=record_id, **period))
    later = {
        "from": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
        "to": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
    }
    assert "QWE" in errors(server.graphql(own, INVESTIGATION, id=record_id, **later))[0]


def test_an_ended_relationship_stops_reads_at_once_though_the_read_model_still_shows_it(
    server: ApiServer,
) -> None:
    gp, record_id = registered_with_gp(server)
    server.graphql(gp, END, id=record_id, input={"organisation": "K81003", "reason": "moved away"})
    _lagging(server, "UPDATE care_relationships SET ended_at = NULL WHERE record_id = %s", record_id)

    for query, variables in [(PERSON, {"nhs": VALID_NHS_NUMBER}), (RECORD, {"id": record_id})]:
        assert "no care relationship" in errors(server.graphql(gp, query, **variables))[0]
    assert _fhir(server, gp).status_code == 403
    changed = server.graphql(gp, CONVERSATION, id=record_id, input=_conversation())
    assert changed["data"]["recordConversation"]["__typename"] == "NotAllowedResult"
    assert sorted(r[1] for r in _refusals(server, record_id) if r[0] == "K81003") == [
        "fhir:Patient/$everything",
        "person",
        "record",
    ]


def test_a_withdrawn_representative_reads_and_changes_nothing_though_the_read_model_still_shows_them_active(
    server: ApiServer,
) -> None:
    gp, record_id = registered_with_gp(server)
    recorded = server.graphql(
        gp,
        REPRESENT,
        id=record_id,
        input={"kind": "FAMILY_OR_FRIEND", "name": "Ann Hale", "relationship": "daughter"},
    )
    assert recorded["data"]["recordRepresentative"]["__typename"] == "RecordChanged"
    (representative,) = server.graphql(gp, REPRESENTATIVES, id=record_id)["data"]["record"]["representatives"]
    ann = server.token(
        sub="ann-hale",
        role="representative",
        org="K81003",
        record=record_id,
        representative=representative["representativeId"],
    )
    assert not errors(server.graphql(ann, RECORD, id=record_id))
    worried = {"raisedBy": "FAMILY", "summary": "Mum was not asked about her plan"}
    raised = server.graphql(ann, CONCERN, id=record_id, input=worried)
    assert raised["data"]["raiseConcern"]["__typename"] == "RecordChanged", raised
    withdrawn = server.graphql(
        gp,
        WITHDRAW,
        id=record_id,
        input={"representativeId": representative["representativeId"], "reason": "she asked to stop"},
    )
    assert withdrawn["data"]["withdrawRepresentative"]["__typename"] == "RecordChanged"
    _lagging(
        server,
        "UPDATE current_plan SET document = jsonb_set(document, ARRAY['representatives', %s, 'active'], 'true') "
        "WHERE record_id = %s",
        representative["representativeId"],
        record_id,
    )
    assert (
        "not recorded as this person's representative" in errors(server.graphql(ann, RECORD, id=record_id))[0]
    )
    # a change is decided from the record as a read is: the withdrawn representative's token raises no concern
    refused = server.graphql(ann, CONCERN, id=record_id, input=worried)["data"]["raiseConcern"]
    assert refused == {
        "__typename": "NotAllowedResult",
        "message": "you are not recorded as this person's representative",
    }


def test_a_refusal_says_the_same_whether_or_not_the_record_exists(server: ApiServer) -> None:
    _, record_id = registered_with_gp(server)
    stranger = server.token(**OTHER_GP)
    unknown_record = "0b6f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4"
    existing = errors(server.graphql(stranger, RECORD, id=record_id))[0]
    missing = errors(server.graphql(stranger, RECORD, id=unknown_record))[0]
    assert existing == missing
    by_number = errors(server.graphql(stranger, PERSON, nhs=VALID_NHS_NUMBER))[0]
    assert by_number == errors(server.graphql(stranger, PERSON, nhs="401 000 0007"))[0] == existing
    assert _fhir(server, stranger).json() == _fhir(server, stranger, "401 000 0007").json()

    change_existing = server.graphql(stranger, CONVERSATION, id=record_id, input=_conversation())
    change_missing = server.graphql(stranger, CONVERSATION, id=unknown_record, input=_conversation())
    assert (
        change_existing["data"]
        == {"recordConversation": {"__typename": "NotAllowedResult", "message": existing}}
        == change_missing["data"]
    )
    start_missing = server.graphql(
        stranger,
        START,
        id=unknown_record,
        input={"organisation": "K81010", "setting": "GP_PRACTICE", "basis": "REGISTERED_WITH_PRACTICE"},
    )
    assert (
        start_missing["data"]["startCareRelationship"]["message"]
        == "there is no such record, or you may not see it"
    )

    paramedic = server.token(**PARAMEDIC)
    reason = "Collapsed at home, ambulance crew needs the plan now"
    for target in (record_id, unknown_record):
        granted = server.graphql(paramedic, BREAK_GLASS, id=target, reason=reason)["data"]["breakGlass"]
        assert granted["__typename"] == "BreakGlassGranted", target


def test_a_subscription_is_for_staff_and_never_pushes_a_record_the_organisation_no_longer_cares_for(
    server: ApiServer,
) -> None:
    gp, record_id = registered_with_gp(server)
    for claims in ({"sub": "p", "role": "person", "org": "K81003", "record": record_id}, OWN_BOARD):
        (refused,) = asyncio.run(_first_messages(server, server.token(**claims), 0, 1))
        problems = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
        assert "only staff" in problems[0]["message"], claims
    care_home = server.token(sub="ch-ade", role="care-home-staff", org="VLAXL")
    started = server.graphql(
        server.token(sub="ch-manager", role="administrator", org="VLAXL"),
        START,
        id=record_id,
        input={"organisation": "VLAXL", "setting": "CARE_HOME", "basis": "RESIDENT_OF_CARE_HOME"},
    )
    assert started["data"]["startCareRelationship"]["__typename"] == "RecordChanged"
    server.graphql(
        gp, END, id=record_id, input={"organisation": "K81003", "reason": "moved to the care home"}
    )
    _lagging(
        server,
        "UPDATE care_relationships SET ended_at = NULL WHERE record_id = %s AND organisation = 'K81003'",
        record_id,
    )
    after = _position(server)
    server.graphql(care_home, CONVERSATION, id=record_id, input=_conversation())  # must not reach K81003

    second = server.graphql(
        gp,
        "mutation($input: RegisterPersonInput!) { registerPerson(input: $input) { ... on RecordChanged { recordId } } }",
        input={
            "nhsNumber": "401 023 2137",
            "givenName": "Tom",
            "familyName": "Hale",
            "dateOfBirth": "1940-01-01",
            "postcode": "NG1 1AA",
        },
    )
    other_id = second["data"]["registerPerson"]["recordId"]
    server.graphql(
        gp,
        START,
        id=other_id,
        input={"organisation": "K81003", "setting": "GP_PRACTICE", "basis": "REGISTERED_WITH_PRACTICE"},
    )
    messages = asyncio.run(_first_messages(server, gp, after, 1))
    assert messages[0]["type"] == "next"
    pushed = messages[0]["payload"]["data"]["planChanges"]
    assert (
        pushed["recordId"] == other_id
    )  # the care home's conversation, earlier in the store, was not pushed


def test_a_stream_is_closed_with_4403_when_its_token_expires(server: ApiServer) -> None:
    _, _ = registered_with_gp(server)
    settings = load_settings(server.env)
    settings_token = issue_token(
        development_keys(server.data_dir),
        {**GP, "exp": int(time.time()) + 3},
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        minutes=1,
    )

    async def until_closed() -> tuple[int | None, str]:
        url = server.url.replace("http", "ws") + "/graphql"
        headers = {"authorization": f"Bearer {settings_token}"}
        async with websockets.connect(
            url, subprotocols=["graphql-transport-ws"], additional_headers=headers
        ) as socket:
            await socket.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            await socket.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": SUBSCRIBE, "variables": {"after": 0}},
                    }
                )
            )
            try:
                while True:
                    await asyncio.wait_for(socket.recv(), timeout=20)
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None, closed.rcvd.reason if closed.rcvd else ""

    code, reason = asyncio.run(until_closed())
    assert code == 4403
    assert "expired" in reason


def test_the_portal_refuses_a_find_before_revealing_the_record_id_and_sign_out_ends_the_session(
    server: ApiServer,
) -> None:
    _, record_id = registered_with_gp(server)
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=30) as browser:
        csrf = _signed_in(browser, server.token(**OTHER_GP))
        found = browser.post("/portal/find", data={"nhs_number": VALID_NHS_NUMBER, "csrf_token": csrf})
        assert found.status_code == 404
        assert record_id not in found.text and "location" not in found.headers
        assert (
            "K81010",
            "portal find",
            "no care relationship with K81010 (general practitioner)",
        ) in _refusals(server, record_id)

        saved = dict(browser.cookies)
        csrf = _csrf(browser.get("/portal/find").text)
        signed_out = browser.post("/portal/sign-out", data={"csrf_token": csrf})
        assert signed_out.status_code == 303
    with httpx.Client(base_url=server.url, follow_redirects=False, cookies=saved, timeout=30) as replayed:
        assert replayed.get("/portal/find").headers["location"] == "/portal/sign-in"
        again = replayed.post("/portal/find", data={"nhs_number": VALID_NHS_NUMBER, "csrf_token": csrf})
        assert again.status_code == 403  # the old CSRF token is worth nothing either


def _signed_in(browser: httpx.Client, token: str) -> str:
    csrf = _csrf(browser.get("/portal/sign-in").text)
    signed = browser.post("/portal/sign-in", data={"token": token, "csrf_token": csrf})
    assert signed.status_code == 303, signed.text
    return _csrf(browser.get("/portal/find").text)


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def _conversation() -> dict[str, Any]:
    return {
        "participants": [{"name": "Margaret Hale", "role": "the person"}],
        "personTookPart": True,
        "whatMatters": "being at home",
        "informationGiven": "what CPR involves",
    }


def _position(server: ApiServer) -> int:
    """The store's last position now (from the timeline read model, which the embedded default keeps current)."""
    with psycopg2.connect(server.read_models_dsn) as connection, connection.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute("SELECT coalesce(max(position), 0) FROM person_timeline")
        position = int(cursor.fetchone()[0])
    connection.close()
    return position


async def _first_messages(server: ApiServer, token: str, after: int, count: int) -> list[dict[str, Any]]:
    url = server.url.replace("http", "ws") + "/graphql"
    headers = {"authorization": f"Bearer {token}"}
    async with websockets.connect(
        url, subprotocols=["graphql-transport-ws"], additional_headers=headers
    ) as socket:
        await socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIBE, "variables": {"after": after}},
                }
            )
        )
        messages = []
        while len(messages) < count:
            messages.append(json.loads(await asyncio.wait_for(socket.recv(), timeout=30)))
        return messages


FOR_REVIEW = """query($from: DateTime!, $to: DateTime!) { relationshipsForReview(periodStart: $from, periodEnd: $to) {
  edges { node { relationshipId recordId organisation basis startedBy alerts } } } }"""
REVIEW = f"mutation($id: UUID!, $input: ReviewCareRelationshipInput!) {{ reviewCareRelationship(recordId: $id, input: $input) {{ {RESULT} }} }}"
PRIVACY = {"sub": "icb-priya", "role": "privacy-officer", "org": "QWE"}


def test_a_relationship_started_without_evidence_is_listed_for_the_boards_privacy_officer_until_reviewed(
    server: ApiServer,
) -> None:
    gp, record_id = registered_with_gp(server)  # registered by K81003 itself: evidence, not listed
    doctor = server.token(sub="dr-bell", role="doctor", org="RXF", registration="4567890")
    started = server.graphql(
        doctor,
        START,
        id=record_id,
        input={"organisation": "RXF", "setting": "HOSPITAL", "basis": "UNDER_THE_CARE_OF_SERVICE"},
    )
    assert started["data"]["startCareRelationship"]["__typename"] == "RecordChanged"
    period = {
        "from": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "to": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
    }
    privacy = server.token(**PRIVACY)
    (listed,) = nodes(server.graphql(privacy, FOR_REVIEW, **period)["data"]["relationshipsForReview"])
    assert (listed["recordId"], listed["organisation"], listed["startedBy"]) == (record_id, "RXF", "dr-bell")
    assert listed["alerts"] == ["no earlier contact with the person"]
    other_board = server.token(sub="icb-olu", role="privacy-officer", org="QXA")
    assert nodes(server.graphql(other_board, FOR_REVIEW, **period)["data"]["relationshipsForReview"]) == []
    assert "only privacy officers" in errors(server.graphql(gp, FOR_REVIEW, **period))[0]

    finding = {
        "relationshipId": listed["relationshipId"],
        "appropriate": True,
        "notes": "admitted through the emergency department",
    }
    refused = server.graphql(other_board, REVIEW, id=record_id, input=finding)["data"][
        "reviewCareRelationship"
    ]
    assert refused["__typename"] == "NotAllowedResult"
    reviewed = server.graphql(privacy, REVIEW, id=record_id, input=finding)["data"]["reviewCareRelationship"]
    assert reviewed["__typename"] == "RecordChanged"
    assert nodes(server.graphql(privacy, FOR_REVIEW, **period)["data"]["relationshipsForReview"]) == []
    again = server.graphql(privacy, REVIEW, id=record_id, input=finding)["data"]["reviewCareRelationship"]
    assert again["__typename"] == "Refused"


def test_a_relationship_on_an_other_basis_stops_granting_reads_once_lapsed_until_confirmed(
    server: ApiServer,
) -> None:
    _, record_id = registered_with_gp(server)
    manager = server.token(sub="ch-manager", role="administrator", org="VLAXL")
    staff = server.token(sub="ch-ade", role="care-home-staff", org="VLAXL")
    eight_days_ago = (datetime.now(UTC) - timedelta(days=8)).isoformat()
    started = server.graphql(
        manager,
        START,
        id=record_id,
        input={
            "organisation": "VLAXL",
            "setting": "CARE_HOME",
            "basis": "OTHER",
            "basisDetail": "respite stay arranged by her daughter",
            "occurredAt": eight_days_ago,
        },
    )
    assert started["data"]["startCareRelationship"]["__typename"] == "RecordChanged"
    assert "no care relationship" in errors(server.graphql(staff, RECORD, id=record_id))[0]
    (relationship,) = nodes(
        server.graphql(
            server.token(**PRIVACY),
            FOR_REVIEW,
            **{
                "from": (datetime.now(UTC) - timedelta(days=9)).isoformat(),
                "to": datetime.now(UTC).isoformat(),
            },
        )["data"]["relationshipsForReview"]
    )
    confirm = f"mutation($id: UUID!, $input: ConfirmCareRelationshipInput!) {{ confirmCareRelationship(recordId: $id, input: $input) {{ {RESULT} }} }}"
    confirmed = server.graphql(
        manager,
        confirm,
        id=record_id,
        input={"organisation": "VLAXL", "relationshipId": relationship["relationshipId"]},
    )["data"]["confirmCareRelationship"]
    assert confirmed["__typename"] == "RecordChanged"
    assert not errors(server.graphql(staff, RECORD, id=record_id))
