"""The access matrix (issue 11): every read and every mutation, for every role, in every situation that decides
access, through the whole web app (GraphQL over HTTP, the FHIR route, the portal) on the real PostgreSQL.

What is expected comes from the one permission table (`PERMISSIONS`) and the situation, never from the code
under test; every refusal must also be recorded. Mutations are sent with a stale `expectedVersion`, so one that
passes the access checks is answered VersionConflict (or refused by a rule) and nothing is written.
"""

from __future__ import annotations

import base64
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from starlette.testclient import TestClient

from carerecord.bootstrap import Services, build_app, build_services
from carerecord.settings import Settings, load_settings
from carerecord.tokens import development_keys, issue_token
from carerecord_events.base import Actor
from carerecord_events.roles import Role
from carerecord_events.vocabulary import RelationshipBasis, RepresentativeKind, Setting
from carerecord_graphql.mutations import USE_CASES
from carerecord_graphql.schema import build_schema
from carerecord_services import commands as c
from carerecord_services.policy import BOARD_ROLES, COMMAND_ACTIONS, PERMISSIONS, STAFF_ROLES, Action, Read
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLScalarType
from tests.builders import GP, valid_nhs_numbers
from tests.fhir_bundles import bundle_for
from tests.support.api_server import import_register, nodes

pytestmark = pytest.mark.adversarial

STAFF_ORG = "K81003"  # a GP practice of board QWE
OTHER_ORG = "RXF"  # a hospital of board QWE
ROLE_TOKENS: dict[Role, dict[str, str]] = {
    Role.CONSULTANT: {"org": STAFF_ORG, "registration": "1234567"},
    Role.GP: {"org": STAFF_ORG, "registration": "2345678"},
    Role.DOCTOR: {"org": STAFF_ORG, "registration": "3456789"},
    Role.NURSE: {"org": STAFF_ORG, "registration": "71A2998E"},
    Role.PARAMEDIC: {"org": STAFF_ORG, "registration": "PA123456"},
    Role.CARE_HOME_STAFF: {"org": STAFF_ORG},
    Role.ADMINISTRATOR: {"org": STAFF_ORG},
    Role.ASSURANCE: {"org": "QWE"},
    Role.PRIVACY_OFFICER: {"org": "QWE"},
    Role.PERSON: {"org": STAFF_ORG},
    Role.REPRESENTATIVE: {"org": STAFF_ORG},
}
SITUATIONS = (
    "caring",
    "not caring",
    "relationship ended",
    "representative withdrawn",
    "break glass live",
    "break glass expired",
    "out of board",
)


@dataclass
class Cell:
    role: Role
    situation: str
    record_id: UUID
    nhs_number: str
    token: str


@dataclass
class Region:
    settings: Settings
    services: Services
    client: TestClient
    records: dict[str, tuple[UUID, str, UUID | None]]  # situation -> record, NHS number, representative

    def cell(self, role: Role, situation: str, user: str = "matrix") -> Cell:
        record_id, nhs_number, representative = self.records[situation]
        claims: dict[str, Any] = {"sub": f"{user}-{role.value}", "role": role.value, **ROLE_TOKENS[role]}
        if situation == "out of board" and role in (Role.ASSURANCE, Role.PRIVACY_OFFICER):
            claims["org"] = "QXA"
        if role is Role.PERSON:  # their own record, except where the situation is another person's
            claims["record"] = str(record_id if situation != "not caring" else self.records["caring"][0])
        if role is Role.REPRESENTATIVE:  # represents this person: active only in "caring"
            claims["record"] = str(record_id)
            claims["representative"] = str(representative or uuid4())
        token = issue_token(
            development_keys(self.settings.data_dir),
            claims,
            issuer=self.settings.jwt_issuer,
            audience=self.settings.jwt_audience,
            minutes=30,
        )
        return Cell(role, situation, record_id, nhs_number, token)


# Every record is cared for by the hospital RXF (board QWE); the staff tokens' practice K81003 cares for these:
PRACTICE_CARES = ("caring", "representative withdrawn", "out of board")


def may_read(role: Role, situation: str, claims_record: str | None, record_id: UUID) -> bool:
    """Reading a record, from the table and the situation (the README's words)."""
    if role not in PERMISSIONS[Read.READ_RECORD]:
        return False
    if role in STAFF_ROLES:
        return situation in (*PRACTICE_CARES, "break glass live")
    if role is Role.PERSON:
        return claims_record == str(record_id)
    if role is Role.REPRESENTATIVE:
        return situation == "caring"
    return situation != "out of board"  # a board's roles: cared for within the board


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory, test_database_url: str) -> Iterator[Region]:
    import psycopg2

    schema = f"matrix{uuid4().hex[:10]}"
    connection = psycopg2.connect(test_database_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {schema}")
    data = tmp_path_factory.mktemp("matrix")
    settings = load_settings(
        {
            "DATABASE_URL": test_database_url,
            "CARERECORD_SCHEMA": schema,
            "CARERECORD_DATA_DIR": str(data),
            "CARERECORD_REQUESTS_PER_MINUTE": "1000000",
        }
    )
    services = build_services(settings)
    import_register(services.read_models_dsn)
    records = _situations(services)
    with TestClient(build_app(settings, services)) as client:
        yield Region(settings, services, client, records)
    services.close()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA {schema} CASCADE")
    connection.close()


def _situations(services: Services) -> dict[str, tuple[UUID, str, UUID | None]]:
    care = services.care_records
    numbers = iter(valid_nhs_numbers(len(SITUATIONS), start=401_100_000))
    hospital = Actor(user_id="dr-bell", role=Role.DOCTOR, organisation=OTHER_ORG, registration="4567890")
    made: dict[str, tuple[UUID, str, UUID | None]] = {}
    for situation in SITUATIONS:
        number = next(numbers)
        registered = care.register_person(
            c.RegisterPerson(
                actor=hospital,
                nhs_number=number,
                given_name="Ada",
                family_name="Matrix",
                date_of_birth=datetime(1940, 1, 1).date(),
                postcode="NG1 1AA",
            )
        )
        record_id = registered.record_id
        care.execute(
            record_id,
            c.StartCareRelationship(
                actor=hospital,
                organisation=OTHER_ORG,
                setting=Setting.HOSPITAL,
                basis=RelationshipBasis.ADMITTED,
            ),
        )
        if situation in ("caring", "relationship ended", "representative withdrawn", "out of board"):
            gp = Actor(user_id="dr-grey", role=Role.GP, organisation=STAFF_ORG, registration="2345678")
            care.execute(
                record_id,
                c.StartCareRelationship(
                    actor=gp,
                    organisation=STAFF_ORG,
                    setting=Setting.GP_PRACTICE,
                    basis=RelationshipBasis.REGISTERED_WITH_PRACTICE,
                ),
            )
        if situation == "relationship ended":
            care.execute(
                record_id, c.EndCareRelationship(actor=GP, organisation=STAFF_ORG, reason="moved away")
            )
        representative = None
        if situation in ("caring", "representative withdrawn"):
            care.execute(
                record_id,
                c.RecordRepresentative(
                    actor=hospital, kind=RepresentativeKind.FAMILY_OR_FRIEND, name="Ann Matrix"
                ),
            )
            representative = next(iter(care.record(record_id).representatives))
        if situation == "representative withdrawn":
            care.execute(
                record_id,
                c.WithdrawRepresentative(
                    actor=hospital, representative_id=representative, reason="she asked"
                ),
            )
        if situation.startswith("break glass"):
            lasts = timedelta(hours=1) if situation == "break glass live" else timedelta(seconds=-1)
            for role in STAFF_ROLES:
                user = Actor(user_id=f"matrix-{role.value}", role=role, organisation=STAFF_ORG)
                services.audit.start_break_glass(
                    user, record_id, "matrix: an emergency, said in words", lasts
                )
        made[situation] = (record_id, number, representative)
    return made


READS = {
    "person": (
        "query($nhs: String!) { person(nhsNumber: $nhs) { version } }",
        lambda cell: {"nhs": cell.nhs_number},
    ),
    "record": (
        "query($id: UUID!) { record(recordId: $id) { version } }",
        lambda cell: {"id": str(cell.record_id)},
    ),
    "recordAsOf": (
        "query($id: UUID!, $at: DateTime!) { recordAsOf(recordId: $id, at: $at) { version } }",
        lambda cell: {"id": str(cell.record_id), "at": datetime.now(UTC).isoformat()},
    ),
    "Person.timeline": (
        "query($id: UUID!) { record(recordId: $id) { timeline(first: 2) { edges { node { version } } } } }",
        lambda cell: {"id": str(cell.record_id)},
    ),
    "node (a Person)": (
        "query($id: ID!) { node(id: $id) { id } }",
        lambda cell: {"id": _global_id(f"Person:{cell.record_id}")},
    ),
    "node (a PlanView the record does not hold: none, once the read is allowed)": (
        "query($id: ID!) { node(id: $id) { id } }",
        lambda cell: {"id": _global_id(f"PlanView:{cell.record_id}/{uuid4()}")},
    ),
}


def _global_id(type_and_key: str) -> str:
    """A global id as Relay makes them: the base64 of the type's name and the key."""
    return base64.b64encode(type_and_key.encode()).decode()


def _gql(region: Region, token: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = region.client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code in (200, 400), response.text
    result: dict[str, Any] = response.json()
    return result


def _claims_record(cell: Cell) -> str | None:
    import jwt

    record: str | None = jwt.decode(cell.token, options={"verify_signature": False}).get("record")
    return record


def test_every_read_of_a_record_for_every_role_and_situation_follows_the_table(
    region: Region, capsys: pytest.CaptureFixture[str]
) -> None:
    outcomes: list[tuple[str, str, str, bool, bool]] = []
    for role in ROLE_TOKENS:
        for situation in SITUATIONS:
            cell = region.cell(role, situation)
            expected = may_read(role, situation, _claims_record(cell), cell.record_id)
            for name, (query, variables) in READS.items():
                answer = _gql(region, cell.token, query, variables(cell))
                outcomes.append((name, role.value, situation, expected, not answer.get("errors")))
            fhir = region.client.get(
                f"/fhir/Patient/{cell.nhs_number}/$everything",
                headers={"authorization": f"Bearer {cell.token}"},
            )
            outcomes.append(("fhir", role.value, situation, expected, fhir.status_code == 200))
            patient = region.client.get(
                f"/fhir/Patient/{cell.nhs_number}", headers={"authorization": f"Bearer {cell.token}"}
            )
            outcomes.append(("fhir patient", role.value, situation, expected, patient.status_code == 200))
    wrong = [o for o in outcomes if o[3] != o[4]]
    assert not wrong, f"{len(wrong)} of {len(outcomes)} cells differ from the table: {wrong[:10]}"
    assert len(outcomes) == len(ROLE_TOKENS) * len(SITUATIONS) * (len(READS) + 2)
    granted = sum(o[4] for o in outcomes)
    with capsys.disabled():
        sys.stdout.write(
            "\n"
            + f"access matrix, reads: {len(outcomes)} cells, {granted} granted, {len(outcomes) - granted} refused"
            + "\n"
        )
    assert 0 < granted < len(outcomes)


def test_every_refused_read_is_recorded_in_the_persons_access_history(region: Region) -> None:
    cell = region.cell(Role.GP, "not caring")
    assert _gql(region, cell.token, READS["record"][0], {"id": str(cell.record_id)}).get("errors")
    board = region.cell(Role.ASSURANCE, "not caring")  # QWE: the hospital RXF cares for this person
    query = (
        "query($id: UUID!) { accessHistory(recordId: $id) { edges { node { userId operation granted } } } }"
    )
    rows = nodes(_gql(region, board.token, query, {"id": str(cell.record_id)})["data"]["accessHistory"])
    assert {"userId": "matrix-gp", "operation": "record", "granted": False} in rows


def _dummy(kind: Any) -> Any:
    """A value of a GraphQL input type that passes GraphQL's validation (the rules may still refuse it)."""
    if isinstance(kind, GraphQLNonNull):
        return _dummy(kind.of_type)
    if isinstance(kind, GraphQLList):
        return []
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    if isinstance(kind, GraphQLInputObjectType):
        return {name: _dummy(f.type) for name, f in kind.fields.items() if isinstance(f.type, GraphQLNonNull)}
    assert isinstance(kind, GraphQLScalarType)
    return {
        "String": "matrix words for a field",
        "Boolean": False,
        "Int": 1,
        "UUID": str(uuid4()),
        "Date": "2026-01-01",
        "DateTime": datetime.now(UTC).isoformat(),
    }[kind.name]


def may_change(
    command: type[c.Command], role: Role, situation: str, claims_record: str | None, record_id: UUID
) -> bool:
    """A change passes the access checks (the rules then judge its content), from the table."""
    if role not in PERMISSIONS[COMMAND_ACTIONS[command]]:
        return False
    if command in (c.StartCareRelationship, c.EndCareRelationship, c.ConfirmCareRelationship):
        return True  # the organisation's own relationship: the rules decide
    if role is Role.ASSURANCE and command in (c.RaiseConcern, c.ResolveConcern):
        return True  # region-wide
    if role in (Role.PERSON, Role.REPRESENTATIVE):  # a concern about their own record, decided as their read
        return command is c.RaiseConcern and may_read(role, situation, claims_record, record_id)
    if role in BOARD_ROLES:  # their board's changes (a relationship's review, a finding), decided as a read
        return situation != "out of board"
    return situation in (*PRACTICE_CARES, "break glass live")


def test_every_mutation_for_every_role_and_situation_follows_the_table_and_writes_nothing(
    region: Region, capsys: pytest.CaptureFixture[str]
) -> None:
    graphql_schema = build_schema()._schema
    mutations = graphql_schema.mutation_type
    assert mutations is not None
    before = region.services.store.last_position()
    outcomes: list[tuple[str, str, str, bool, bool]] = []
    doors = {**USE_CASES, "makeRecommendationFromLocalForm": c.MakeRecommendation}  # a local form's door too
    for name, command in doors.items():
        argument = mutations.fields[name].args["input"]
        query = (
            f"mutation($id: UUID!, $input: {argument.type.of_type.name}!) "
            f"{{ {name}(recordId: $id, input: $input, expectedVersion: 999999) {{ __typename }} }}"
        )
        for role in ROLE_TOKENS:
            for situation in SITUATIONS:
                cell = region.cell(role, situation)
                answer = _gql(
                    region, cell.token, query, {"id": str(cell.record_id), "input": _dummy(argument.type)}
                )
                result = (answer.get("data") or {}).get(name) or {}
                passed = result.get("__typename") not in ("NotAllowedResult", None) or bool(
                    answer.get("errors")
                )
                expected = may_change(command, role, situation, _claims_record(cell), cell.record_id)
                outcomes.append((name, role.value, situation, expected, passed))
    wrong = [o for o in outcomes if o[3] != o[4]]
    assert not wrong, f"{len(wrong)} of {len(outcomes)} cells differ from the table: {wrong[:10]}"
    assert region.services.store.last_position() == before  # every one was stale or refused: nothing written
    assert len(outcomes) == len(doors) * len(ROLE_TOKENS) * len(SITUATIONS)
    passed = sum(o[4] for o in outcomes)
    with capsys.disabled():
        sys.stdout.write(
            "\n"
            + f"access matrix, mutations: {len(outcomes)} cells, {passed} past access, {len(outcomes) - passed} refused"
            + "\n"
        )
    assert 0 < passed < len(outcomes)


ROLE_ONLY: dict[str, tuple[Read | Action, str]] = {
    # operation: (what the table calls it, the request; $id is the record, $access an access, $from/$to a period)
    "investigation": (
        Read.INVESTIGATE,
        "query($id: UUID!, $from: DateTime!, $to: DateTime!) { investigation(recordId: $id, from: $from, to: $to) { currentVersion } }",
    ),
    "accessShown": (
        Read.INVESTIGATE,
        "query($access: UUID!) { accessShown(accessId: $access) { recordId } }",
    ),
    "relationshipsForReview": (
        Read.REVIEW_RELATIONSHIPS,
        "query($from: DateTime!, $to: DateTime!) { relationshipsForReview(periodStart: $from, periodEnd: $to) { edges { node { recordId } } } }",
    ),
    "oversight": (
        Read.OVERSIGHT,
        "query($from: DateTime!, $to: DateTime!) { oversight(periodStart: $from, periodEnd: $to) { scope } }",
    ),
    "oversightDecisions": (
        Read.OVERSIGHT,
        'query($from: DateTime!, $to: DateTime!) { oversightDecisions(figure: "decisions-made", periodStart: $from, periodEnd: $to) { edges { node { recordId } } } }',
    ),
    "blanketAlerts": (
        Read.OVERSIGHT,
        "query($from: DateTime!, $to: DateTime!) { blanketAlerts(periodStart: $from, periodEnd: $to) { edges { node { kind } } } }",
    ),
    "equalityMonitoring": (
        Read.OVERSIGHT,
        "query($from: DateTime!, $to: DateTime!) { equalityMonitoring(periodStart: $from, periodEnd: $to) { notRecordedForAnyone } }",
    ),
    "searchPeople": (
        Read.SEARCH_PEOPLE,
        'query { searchPeople(familyName: "Matrix", dateOfBirth: "1940-01-01", postcode: "NG1 1AA", purpose: "matrix") { recordId } }',
    ),
    "Person.accessHistory": (
        Read.ACCESS_HISTORY,
        "query($id: UUID!) { record(recordId: $id) { accessHistory { edges { node { operation } } } } }",
    ),
    "accessHistory": (
        Read.ACCESS_HISTORY,
        "query($id: UUID!) { accessHistory(recordId: $id) { edges { node { operation } } } }",
    ),
    "breakGlass": (
        Read.BREAK_GLASS,
        'mutation($id: UUID!) { breakGlass(recordId: $id, reason: "matrix: a collapse at home, the crew needs the plan") { __typename } }',
    ),
    "reviewBreakGlass": (
        Read.REVIEW_BREAK_GLASS,
        'mutation($access: UUID!) { reviewBreakGlass(accessId: $access, appropriate: true, notes: "matrix review of a real emergency") { __typename } }',
    ),
    "reportStaffTraining": (
        Read.REPORT_STAFF_TRAINING,
        'mutation { reportStaffTraining(csv: "quarter,role,staff,trained_in_advance_care_planning,trained_in_dnacpr_conversations\\n2026-Q3,gp,8,6,4\\n") { __typename } }',
    ),
    "registerPerson": (
        Action.REGISTER_PERSON,
        'mutation { registerPerson(input: {nhsNumber: "123", givenName: "Ada", familyName: "Matrix", dateOfBirth: "1940-01-01"}) { __typename } }',
    ),
}


def _granted(answer: dict[str, Any]) -> bool:
    """Answered past the access checks: no error, and no NotAllowedResult (a rule's refusal still counts)."""
    if answer.get("errors"):
        return False
    return not any(
        isinstance(v, dict) and v.get("__typename") == "NotAllowedResult" for v in answer["data"].values()
    )


def _a_break_glass_access(region: Region) -> str:
    from carerecord_projections.database import transaction

    with transaction(region.services.read_models_dsn) as cursor:
        cursor.execute("SELECT access_id FROM access_log WHERE kind = 'break-glass' ORDER BY at LIMIT 1")
        return str(cursor.fetchone()[0])


def test_the_operations_decided_by_role_and_board_follow_the_table_on_every_door(region: Region) -> None:
    """Every other root query and mutation, the CSV export and the oversight page, for every role, on a person
    cared for within the board: allowed exactly for the roles the table names."""
    now = datetime.now(UTC)
    period = {"from": (now - timedelta(days=1)).isoformat(), "to": (now + timedelta(hours=1)).isoformat()}
    access = _a_break_glass_access(region)
    outcomes = []
    for role in ROLE_TOKENS:
        cell = region.cell(role, "caring")
        for name, (what, query) in ROLE_ONLY.items():
            variables = {
                k: v
                for k, v in {**period, "id": str(cell.record_id), "access": access}.items()
                if f"${k}" in query
            }
            expected = role in PERMISSIONS[what] and (
                what is not Read.ACCESS_HISTORY
                or may_read(role, "caring", _claims_record(cell), cell.record_id)
            )
            outcomes.append(
                (name, role.value, expected, _granted(_gql(region, cell.token, query, variables)))
            )
        csv = region.client.get(
            "/oversight/export.csv",
            params={"periodStart": period["from"], "periodEnd": period["to"]},
            headers={"authorization": f"Bearer {cell.token}"},
        )
        outcomes.append(
            ("oversight/export.csv", role.value, role in PERMISSIONS[Read.OVERSIGHT], csv.status_code == 200)
        )
    wrong = [o for o in outcomes if o[2] != o[3]]
    assert not wrong, wrong
    assert {o[2] for o in outcomes} == {True, False}


def test_a_subscription_is_opened_only_for_the_roles_the_table_names(region: Region) -> None:
    query = "subscription { planChanges(afterPosition: 0) { recordId } }"
    outcomes = []
    for role in ROLE_TOKENS:
        cell = region.cell(role, "caring")
        headers = {"authorization": f"Bearer {cell.token}"}
        with region.client.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"], headers=headers
        ) as socket:
            socket.send_json({"type": "connection_init"})
            assert socket.receive_json()["type"] == "connection_ack"
            socket.send_json({"id": "1", "type": "subscribe", "payload": {"query": query}})
            first = (
                socket.receive_json()
            )  # staff: the changes of the people K81003 cares for; others: refused
            socket.send_json({"id": "1", "type": "complete"})
        opened = first["type"] == "next" and not first["payload"].get("errors")
        outcomes.append((role.value, role in PERMISSIONS[Read.SUBSCRIBE], opened))
    wrong = [o for o in outcomes if o[1] != o[2]]
    assert not wrong, wrong


def test_the_portal_page_of_a_person_follows_the_table(region: Region) -> None:
    outcomes = []
    for role in ROLE_TOKENS:
        for situation in ("caring", "not caring", "relationship ended"):
            cell = region.cell(role, situation)
            with TestClient(region.client.app, follow_redirects=False) as browser:
                csrf = _csrf(browser.get("/portal/sign-in").text)
                assert (
                    browser.post(
                        "/portal/sign-in", data={"token": cell.token, "csrf_token": csrf}
                    ).status_code
                    == 303
                )
                page = browser.get(f"/portal/people/{cell.record_id}")
            expected = may_read(role, situation, _claims_record(cell), cell.record_id)
            outcomes.append((role.value, situation, expected, page.status_code == 200))
    wrong = [o for o in outcomes if o[2] != o[3]]
    assert not wrong, wrong


def test_the_portal_printed_plan_and_its_pdf_follow_the_table_and_are_recorded(region: Region) -> None:
    """The printed form (page and PDF) is read as the person page is: for a plan the record does not hold, a
    reader the table allows is told there is no such plan (404, after the read was decided and recorded), every
    other reader is refused (403); each look is recorded under its own operation."""
    outcomes = []
    plan_id = uuid4()
    for role in ROLE_TOKENS:
        for situation in ("caring", "not caring", "relationship ended"):
            cell = region.cell(role, situation, user="portal-print")
            with TestClient(region.client.app, follow_redirects=False) as browser:
                csrf = _csrf(browser.get("/portal/sign-in").text)
                browser.post("/portal/sign-in", data={"token": cell.token, "csrf_token": csrf})
                base = f"/portal/people/{cell.record_id}/plans/{plan_id}/print"
                answers = (browser.get(base).status_code, browser.get(f"{base}.pdf").status_code)
            expected = 404 if may_read(role, situation, _claims_record(cell), cell.record_id) else 403
            outcomes.append((role.value, situation, (expected, expected), answers))
    wrong = [o for o in outcomes if o[2] != o[3]]
    assert not wrong, wrong
    assurance = region.cell(Role.ASSURANCE, "caring", user="print-check")
    history = nodes(
        _gql(
            region,
            assurance.token,
            "query($id: UUID!) { accessHistory(recordId: $id) { edges { node { userId operation granted } } } }",
            {"id": str(assurance.record_id)},
        )["data"]["accessHistory"]
    )
    looks = {(e["operation"], e["userId"], e["granted"]) for e in history}
    readers = [
        role
        for role in ROLE_TOKENS
        if may_read(role, "caring", _claims_record(region.cell(role, "caring")), assurance.record_id)
    ]
    assert Role.GP in readers and Role.PARAMEDIC in readers
    missing = [
        (operation, role.value)
        for operation in ("portal print", "portal print pdf")
        for role in readers
        if (operation, f"portal-print-{role.value}", True) not in looks
    ]
    assert not missing, missing


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


GROUP_REASONING = (
    "Frail elderly care home resident."  # refused by a rule: past the access checks, nothing written
)


def may_send_plans(role: Role, situation: str) -> bool:
    """A Bundle taken in (POST /fhir/Bundle, `carerecord import`): a role that may make recommendations, for a
    person its organisation cares for (a break-glass access is for reading in an emergency, not for sending
    plans in; a new relationship needs its basis stated)."""
    return role in PERMISSIONS[Action.MAKE_RECOMMENDATION] and situation in PRACTICE_CARES


def test_a_bundle_posted_for_every_role_and_situation_follows_the_table_and_writes_nothing(
    region: Region,
) -> None:
    before = region.services.store.last_position()
    outcomes: list[tuple[str, str, bool, bool]] = []
    for role in ROLE_TOKENS:
        for situation in SITUATIONS:
            cell = region.cell(role, situation)
            bundle = bundle_for(cell.nhs_number, identifier=str(uuid4()), reasoning=GROUP_REASONING)
            response = region.client.post(
                "/fhir/Bundle", content=json.dumps(bundle), headers={"authorization": f"Bearer {cell.token}"}
            )
            assert response.status_code in (403, 422), response.text
            assert response.json()["resourceType"] == "OperationOutcome"
            outcomes.append(
                (role.value, situation, may_send_plans(role, situation), response.status_code == 422)
            )
    wrong = [o for o in outcomes if o[2] != o[3]]
    assert not wrong, f"{len(wrong)} of {len(outcomes)} cells differ from the table: {wrong[:10]}"
    assert region.services.store.last_position() == before
    assert 0 < sum(o[3] for o in outcomes) < len(outcomes)


def test_the_bundles_held_for_correction_are_shown_to_the_roles_that_may_send_plans(region: Region) -> None:
    for role in ROLE_TOKENS:
        cell = region.cell(role, "caring")
        response = region.client.get("/fhir/Bundle/$held", headers={"authorization": f"Bearer {cell.token}"})
        assert response.status_code == (200 if role in PERMISSIONS[Action.MAKE_RECOMMENDATION] else 403), role


def test_carerecord_import_for_every_role_and_situation_follows_the_table_and_writes_nothing(
    region: Region, tmp_path: Path
) -> None:
    """The import decides exactly as the route does (one line per cell, through the command's own function)."""
    from carerecord.bootstrap import build_api
    from carerecord.migration import import_ndjson
    from carerecord_graphql.access import reader_of
    from carerecord_graphql.context import context_for
    from carerecord_graphql.fhir_intake import BundleIntake

    api = build_api(region.settings, region.services)
    intake = BundleIntake(api.intake, api.held_submissions, api.clock)
    before = region.services.store.last_position()
    wrong = []
    for role in ROLE_TOKENS:
        for situation in SITUATIONS:
            cell = region.cell(role, situation)
            source = tmp_path / f"{role.value}-{situation.replace(' ', '-')}.ndjson"
            source.write_text(json.dumps(bundle_for(cell.nhs_number, reasoning=GROUP_REASONING)) + "\n")
            report = import_ndjson(
                intake,
                reader_of(context_for(api, f"Bearer {cell.token}").caller()),
                source,
                checkpoint=source.with_suffix(".checkpoint"),
                report=source.with_suffix(".refused"),
            )
            [refusal] = report.refusals
            past_access = refusal["status"] == 422
            if past_access != may_send_plans(role, situation):
                wrong.append((role.value, situation, refusal["reasons"][0]["rule"]))
    assert not wrong, wrong
    assert region.services.store.last_position() == before


def test_carerecord_import_of_local_forms_for_every_role_and_situation_follows_the_table_and_writes_nothing(
    region: Region, tmp_path: Path
) -> None:
    """`carerecord import local-forms` decides as the Bundle import does (through the command's own intake)."""
    from carerecord.bootstrap import build_api
    from carerecord.local_form_intake import LocalFormIntake
    from carerecord.migration import import_ndjson
    from carerecord_graphql.access import reader_of
    from carerecord_graphql.context import context_for
    from carerecord_services.local_forms import load_mapping

    forms = Path(__file__).resolve().parents[2] / "deploy" / "carerecord" / "reference" / "forms"
    api = build_api(region.settings, region.services)
    intake = LocalFormIntake(api.intake, load_mapping((forms / "nuh-tep.toml").read_text()))
    fields = json.loads((forms / "nuh-tep.example.json").read_text()) | {
        "Clinical rationale": GROUP_REASONING
    }
    before = region.services.store.last_position()
    wrong = []
    for role in ROLE_TOKENS:
        for situation in SITUATIONS:
            cell = region.cell(role, situation)
            source = tmp_path / f"{role.value}-{situation.replace(' ', '-')}.ndjson"
            document = {
                "identifier": "matrix-1",
                "patient": {
                    "nhs_number": cell.nhs_number,
                    "given_name": "Matrix",
                    "family_name": "Cell",
                    "date_of_birth": "1940-01-01",
                },
                "responsible_clinician": {"name": "Dr Grey", "role": "gp", "registration": "2345678"},
                "fields": fields,
            }
            source.write_text(json.dumps(document) + "\n")
            report = import_ndjson(
                intake,
                reader_of(context_for(api, f"Bearer {cell.token}").caller()),
                source,
                checkpoint=source.with_suffix(".checkpoint"),
                report=source.with_suffix(".refused"),
            )
            [refusal] = report.refusals
            past_access = refusal["status"] == 422
            if past_access != may_send_plans(role, situation):
                wrong.append((role.value, situation, refusal["reasons"][0]["rule"]))
    assert not wrong, wrong
    assert region.services.store.last_position() == before


def _token(region: Region, role: Role, organisation: str) -> str:
    claims: dict[str, Any] = {"sub": f"matrix-{role.value}-{organisation}", "role": role.value}
    claims.update({**ROLE_TOKENS[role], "org": organisation})
    if role in (Role.PERSON, Role.REPRESENTATIVE):  # signed in as the person, or as their representative
        record_id, _, representative = region.records["caring"]
        claims["record"] = str(record_id)
        if role is Role.REPRESENTATIVE:
            claims["representative"] = str(representative)
    return issue_token(
        development_keys(region.settings.data_dir),
        claims,
        issuer=region.settings.jwt_issuer,
        audience=region.settings.jwt_audience,
        minutes=30,
    )


SHARING = (
    'mutation { grantUrgentCareSharing(organisation: "RXF", reason: "matrix: the hospital asks for every plan") '
    "{ __typename ... on Refused { rule } } }",
    'mutation { withdrawUrgentCareSharing(organisation: "RX9", reason: "matrix: nothing was granted here") '
    "{ __typename ... on Refused { rule } } }",
)


def test_sharing_the_regions_plans_with_urgent_care_is_for_a_boards_administrator_only(
    region: Region,
) -> None:
    """Every role, from a practice and from a board: only the board's administrator passes the access checks
    (and is then refused by the rules: RXF is not urgent care, nothing was granted to RX9); every other caller
    is not allowed, and recorded. Then the board's administrator grants RX9 (an ambulance service) and withdraws
    it, both recorded in the access audit's sharing stream."""
    outcomes = []
    for role in ROLE_TOKENS:
        for organisation in (STAFF_ORG, "QWE"):
            token = _token(region, role, organisation)
            for query in SHARING:
                answer = _gql(region, token, query, {})
                expected = role in PERMISSIONS[Read.SHARE_WITH_URGENT_CARE] and organisation == "QWE"
                outcomes.append((role.value, organisation, query[11:35], expected, _granted(answer)))
                if expected:
                    (result,) = answer["data"].values()
                    assert result["rule"] in ("not-urgent-and-emergency-care", "not-granted"), result
    wrong = [o for o in outcomes if o[3] != o[4]]
    assert not wrong, wrong
    assert sum(o[4] for o in outcomes) == 2
    from carerecord_projections.database import transaction

    with transaction(region.services.read_models_dsn) as cursor:
        cursor.execute(
            """SELECT count(*) FROM refused_requests WHERE kind = 'permission'
               AND operation IN ('grantUrgentCareSharing', 'withdrawUrgentCareSharing')"""
        )
        assert cursor.fetchone()[0] == len(outcomes) - 2  # every caller not allowed is recorded

    board_admin = _token(region, Role.ADMINISTRATOR, "QWE")
    change = "{ __typename ... on UrgentCareSharingChanged { organisation board granted } }"
    granted = _gql(
        region,
        board_admin,
        f'mutation {{ grantUrgentCareSharing(organisation: "rx9", reason: "crews need every plan in force") {change} }}',
        {},
    )
    assert granted["data"]["grantUrgentCareSharing"] == {
        "__typename": "UrgentCareSharingChanged",
        "organisation": "RX9",
        "board": "QWE",
        "granted": True,
    }
    assert set(region.services.audit.urgent_care_sharing().granted) == {"RX9"}
    withdrawn = _gql(
        region,
        board_admin,
        f'mutation {{ withdrawUrgentCareSharing(organisation: "RX9", reason: "the service reads plans by FHIR") {change} }}',
        {},
    )
    assert withdrawn["data"]["withdrawUrgentCareSharing"]["granted"] is False
    assert region.services.audit.urgent_care_sharing().granted == {}


def test_the_schemas_the_messages_name_are_served_to_anyone_and_nothing_else_is(region: Region) -> None:
    """No personal data in a schema: every role, and no token at all, gets them; any other path is a 404."""
    path = "/schemas/feed/PlansInForce.v1.schema.json"
    for role in ROLE_TOKENS:
        headers = {"authorization": f"Bearer {region.cell(role, 'caring').token}"}
        assert region.client.get(path, headers=headers).status_code == 200
    served = region.client.get(path)
    assert served.status_code == 200
    assert served.json()["$id"] == f"{region.settings.schema_base_url}feed/PlansInForce.v1.schema.json"
    others = (
        "/schemas/%2e%2e/pyproject.toml",
        "/schemas/feed/feed/PlansInForce.v1.schema.json",
        "/schemas/NoSuch.v1.schema.json",
    )
    for other in others:
        assert region.client.get(other).status_code == 404, other


def test_the_portal_search_and_break_glass_forms_follow_the_table(region: Region) -> None:
    """Urgent care's search and emergency access from the portal, for every role, on a person the practice does
    not care for: allowed exactly for the roles the table names (a refusal is a 403, nothing opened)."""
    outcomes = []
    for role in ROLE_TOKENS:
        cell = region.cell(role, "not caring", user="portal-forms")  # its break glass is its own
        with TestClient(region.client.app, follow_redirects=False) as browser:
            csrf = _csrf(browser.get("/portal/sign-in").text)
            signed_in = browser.post("/portal/sign-in", data={"token": cell.token, "csrf_token": csrf})
            assert signed_in.status_code == 303
            csrf = _csrf(browser.get("/portal/find").text)
            searched = browser.post(
                "/portal/search",
                data={
                    "csrf_token": csrf,
                    "family_name": "Matrix",
                    "date_of_birth": "1940-01-01",
                    "postcode": "NG1 1AA",
                },
            )
            opened = browser.post(
                "/portal/break-glass",
                data={
                    "csrf_token": csrf,
                    "record_id": str(cell.record_id),
                    "reason": "Called to a cardiac arrest at home; no one knows her wishes.",
                },
            )
            read_after = browser.get(f"/portal/people/{cell.record_id}")
        may_break_glass = role in PERMISSIONS[Read.BREAK_GLASS]
        outcomes += [
            (
                "portal search",
                role.value,
                role in PERMISSIONS[Read.SEARCH_PEOPLE],
                searched.status_code == 200,
            ),
            ("portal break glass", role.value, may_break_glass, opened.status_code == 303),
            (
                "portal person after break glass",
                role.value,
                may_break_glass or may_read(role, "not caring", _claims_record(cell), cell.record_id),
                read_after.status_code == 200,
            ),
        ]
    wrong = [o for o in outcomes if o[2] != o[3]]
    assert not wrong, wrong
    assert {o[2] for o in outcomes} == {True, False}


OWN_RECORD_PAGES = ("/portal/my-plan", "/portal/my-plan/easy-read", "/portal/my-plan/who-has-looked")


def may_open_own_pages(role: Role, situation: str, claims_record: str | None, record_id: UUID) -> bool:
    """The person's own pages read the record their token names (never one named in the address): the person's
    own, or the one a representative represents while not withdrawn. Staff and boards have a search instead."""
    if role not in (Role.PERSON, Role.REPRESENTATIVE) or claims_record is None:
        return False
    return may_read(role, situation, claims_record, UUID(claims_record))


def test_the_portal_pages_of_a_persons_own_record_follow_the_table(region: Region) -> None:
    """My plan, its easy read and who has looked, for every role: allowed exactly for the person and a
    representative not withdrawn. Raising a concern: as the API's raiseConcern (the person or a representative, on
    the record their token names). The concern names a plan not on the record, so one that passes the access
    checks is refused by the rules (400) and nothing is written; every refusal of access is a 403."""
    before = region.services.store.last_position()
    outcomes = []
    for role in ROLE_TOKENS:
        for situation in ("caring", "not caring", "representative withdrawn"):
            cell = region.cell(role, situation, user="own-pages")
            claims_record = _claims_record(cell)
            expected = may_open_own_pages(role, situation, claims_record, cell.record_id)
            with TestClient(region.client.app, follow_redirects=False) as browser:
                csrf = _csrf(browser.get("/portal/sign-in").text)
                signed_in = browser.post("/portal/sign-in", data={"token": cell.token, "csrf_token": csrf})
                assert signed_in.status_code == 303
                home = browser.get("/portal")
                answers = {path: browser.get(path) for path in OWN_RECORD_PAGES}
                csrf = _csrf(answers["/portal/my-plan"].text)  # the sign-out form carries it on every page
                raised = browser.post(
                    "/portal/my-plan/concerns",
                    data={
                        "csrf_token": csrf,
                        "form_id": uuid4().hex,
                        "plan_id": str(uuid4()),
                        "summary": "matrix: a concern about a plan that is not on this record",
                    },
                )
            to_own = home.headers["location"] == "/portal/my-plan"
            outcomes.append(
                ("portal home", role.value, situation, role in (Role.PERSON, Role.REPRESENTATIVE), to_own)
            )
            for path, answer in answers.items():
                assert answer.status_code in (200, 403), (path, answer.status_code)
                outcomes.append((path, role.value, situation, expected, answer.status_code == 200))
            assert raised.status_code in (400, 403), raised.status_code
            may_raise = role in (Role.PERSON, Role.REPRESENTATIVE) and may_change(
                c.RaiseConcern, role, situation, claims_record, UUID(claims_record or str(uuid4()))
            )  # on the record the token names, as the API's raiseConcern decides it
            outcomes.append(
                ("portal raise concern", role.value, situation, may_raise, raised.status_code == 400)
            )
    wrong = [o for o in outcomes if o[3] != o[4]]
    assert not wrong, wrong
    assert {o[3] for o in outcomes} == {True, False}
    assert region.services.store.last_position() == before  # nothing written, by anyone

    from carerecord_projections.database import transaction

    with transaction(region.services.read_models_dsn) as cursor:
        cursor.execute(
            """SELECT user_id, granted, count(*) FROM access_log
               WHERE operation = 'portal my plan' AND user_id LIKE 'own-pages-%%' GROUP BY user_id, granted"""
        )
        looks = {(user, granted): count for user, granted, count in cursor.fetchall()}
        cursor.execute(
            """SELECT count(*) FROM refused_requests WHERE kind = 'permission'
               AND operation LIKE 'portal:/portal/my-plan%%' AND user_id LIKE 'own-pages-%%'
               AND user_id NOT IN ('own-pages-person', 'own-pages-representative')"""
        )
        staff_refused = cursor.fetchone()[0]
        cursor.execute(
            """SELECT operation, reason FROM refused_requests WHERE kind = 'permission'
               AND user_id = 'own-pages-representative'"""
        )
        representative_refused = sorted(cursor.fetchall())
    # the person: their own record, each time, and once more as the refused concern is shown beside its field
    assert looks[("own-pages-person", True)] == 3 * 2
    assert looks[("own-pages-representative", True)] == 2  # represents this person only in "caring"
    # refused, and recorded: each page; the concern is refused before the rules see it, and recorded as refused
    assert looks[("own-pages-representative", False)] == 2
    assert representative_refused == [("portal:/portal/my-plan/concerns", "not-their-record")] * 2
    staff_and_boards = len(ROLE_TOKENS) - 2
    # a role with no record of its own: each page and the concern refused, and recorded
    assert staff_refused == staff_and_boards * 3 * (len(OWN_RECORD_PAGES) + 1)


RECORDING_ANSWERS: dict[str, dict[str, str]] = {
    "conversation": {
        "participants-0-name": "Ann Hale",
        "participants-0-role": "daughter",
        "person_took_part": "yes",
    },
    "communication": {"plan_id": str(uuid4()), "told-0-name": "Ann Hale", "told-0-role": "daughter"},
    "concern": {"raised_by": "staff", "summary": "The plan's review date has passed."},
    "death": {"date_of_death": "2026-01-01", "place_of_death": "at home", "was_preferred_place": "unknown"},
    "review": {
        "plan_id": str(uuid4()),
        "outcome": "confirmed",
        "reviewer_name": "Dr Grey",
        "person_involved": "yes",
    },
    "revoke": {"plan_id": str(uuid4()), "initiated": "clinical", "reason": "She asked to think again."},
    "endorse": {"plan_id": str(uuid4()), "endorser_name": "Dr Grey"},
    "care-relationship": {"basis": "registered-with-the-practice", "setting": "gp-practice"},
    "end-care-relationship": {"reason": "Moved to another practice."},
    "escalation-plan": {
        "escalation.level": "full-escalation",
        "escalation.goals_of_treatment": "Treat the chest infection; return home.",
        "cpr": "450475007",
        "reason_category": "cpr-recommended",
        "reasoning": "Well and active; wants every treatment that may help.",
        "involvement.route": "A",
        "involvement.person_involved": "yes",
        "setting": "gp-practice",
        "responsible_clinician.name": "Dr Grey",
        "responsible_clinician.role": "gp",
        "responsible_clinician.registration": "2345678",
    },
    "respect-plan": {
        "respect.legal_welfare_proxy": "unknown",
        "respect.has_capacity_to_take_part": "yes",
        "cpr": "450475007",
        "reason_category": "cpr-recommended",
        "reasoning": "Well and active; wants every treatment that may help.",
        "involvement.route": "A",
        "involvement.person_involved": "yes",
        "setting": "gp-practice",
        "responsible_clinician.name": "Dr Grey",
        "responsible_clinician.role": "gp",
        "responsible_clinician.registration": "2345678",
    },
    "dnacpr-form": {
        "reason_category": "cpr-would-not-succeed",
        "reasoning": "Advanced heart failure with repeated admissions this year.",
        "involvement.route": "A",
        "involvement.person_involved": "yes",
        "setting": "gp-practice",
        "responsible_clinician.name": "Dr Grey",
        "responsible_clinician.role": "gp",
        "responsible_clinician.registration": "2345678",
    },
}


def test_the_portal_recording_forms_follow_the_table(region: Region) -> None:
    """Each recording form, for every role, on a person the practice cares for: shown (200) and submitted as far
    as the record's version (a stale one: 409, nothing written) exactly for the roles the table names (to endorse,
    only seniors) who may read the record; refused (403) for everyone else, the link to it not shown."""
    from carerecord_events.roles import ROLES
    from carerecord_graphql.portal.record_forms import FORMS

    assert set(RECORDING_ANSWERS) == set(FORMS)
    outcomes = []
    for role in ROLE_TOKENS:
        cell = region.cell(role, "caring", user="portal-recording")
        readable = may_read(role, "caring", _claims_record(cell), cell.record_id)
        with TestClient(region.client.app, follow_redirects=False) as browser:
            csrf = _csrf(browser.get("/portal/sign-in").text)
            assert (
                browser.post("/portal/sign-in", data={"token": cell.token, "csrf_token": csrf}).status_code
                == 303
            )
            person = browser.get(f"/portal/people/{cell.record_id}").text
            csrf = _csrf(person)  # the signed-in session's
            for slug, form in FORMS.items():
                permitted = role in PERMISSIONS[form.action] and (
                    not form.senior_only or ROLES[role].senior_by_default
                )
                path = f"/portal/people/{cell.record_id}/record/{slug}"
                shown = browser.get(path)
                sent = browser.post(
                    path,
                    data={
                        "csrf_token": csrf,
                        "form_id": uuid4().hex,
                        "expected_version": "0",
                        **RECORDING_ANSWERS[slug],
                    },
                )
                expected = permitted and readable
                outcomes += [
                    (f"portal record {slug}", role.value, expected, shown.status_code == 200),
                    (f"portal record {slug} sent", role.value, expected, sent.status_code == 409),
                    (f"portal record {slug} refused", role.value, not expected, sent.status_code == 403),
                    (
                        f"portal record {slug} link",
                        role.value,
                        expected and form.reads_record,  # starting one is offered where reading is refused
                        f'href="{path}"' in person,
                    ),
                ]
    wrong = [o for o in outcomes if o[2] != o[3]]
    assert not wrong, wrong
    assert {o[2] for o in outcomes} == {True, False}
