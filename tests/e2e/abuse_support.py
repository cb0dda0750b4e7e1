"""Helpers for the abuse tests: a module-wide API server on its own schema, people to aim at, and the check
that a response is a clear answer (never a 5xx, never a masked "Unexpected error.")."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg2

from tests.builders import valid_nhs_numbers
from tests.support.api_server import ApiServer

RESULT = """__typename
  ... on RecordChanged { recordId version }
  ... on Refused { rule field message }
  ... on VersionConflict { message }
  ... on NotAllowedResult { message }"""
REGISTER = f"mutation($input: RegisterPersonInput!) {{ registerPerson(input: $input) {{ {RESULT} }} }}"
START = f"mutation($id: UUID!, $input: StartCareRelationshipInput!) {{ startCareRelationship(recordId: $id, input: $input) {{ {RESULT} }} }}"
RECOMMEND = f"mutation($id: UUID!, $input: MakeRecommendationInput!) {{ makeRecommendation(recordId: $id, input: $input) {{ {RESULT} }} }}"
PLANS = "query($id: UUID!) { record(recordId: $id) { currentPlans { planId } } }"

GP = {"sub": "dr-abuse-gp", "role": "gp", "org": "K81003", "registration": "2345678", "name": "Dr Grey"}
CARE_HOME = {"sub": "ch-abuse", "role": "care-home-staff", "org": "VLAXL"}
PARAMEDIC = {"sub": "p-abuse", "role": "paramedic", "org": "RX9", "registration": "PA123456"}
ASSURANCE = {"sub": "icb-abuse", "role": "assurance", "org": "QWE"}
ADMINISTRATOR = {"sub": "admin-abuse", "role": "administrator", "org": "K81003"}

UNEXPECTED = "Unexpected error."  # strawberry's masked message: an exception nobody meant to raise


@dataclass
class Target:
    """People registered before the abuse starts, cared for by the GP's practice, so that generated ids hit."""

    record_ids: list[str] = field(default_factory=list)
    plan_ids: list[str] = field(default_factory=list)
    nhs_numbers: list[str] = field(default_factory=list)


@contextmanager
def schema_of_its_own(database_url: str) -> Iterator[str]:
    name = f"abuse_{uuid.uuid4().hex[:10]}"
    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {name}")
    try:
        yield name
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA {name} CASCADE")
        connection.close()


@contextmanager
def running_api(database_url: str, schema: str, data_dir: Path, **extra: str) -> Iterator[ApiServer]:
    # a rate limit far above what the generated traffic sends: the limiter has its own test
    api = ApiServer(database_url, schema, data_dir, CARERECORD_REQUESTS_PER_MINUTE="100000000", **extra)
    api.start()
    try:
        yield api
    finally:
        api.stop()


def populate(api: ApiServer, people: int, start: int) -> Target:
    gp = api.token(**GP)
    target = Target()
    for number in valid_nhs_numbers(people, start=start):
        person = {
            "nhsNumber": number,
            "givenName": "Abuse",
            "familyName": "Target",
            "dateOfBirth": "1940-01-01",
            "postcode": "NG1 1AA",
        }
        record_id = api.graphql(gp, REGISTER, input=person)["data"]["registerPerson"]["recordId"]
        api.graphql(
            gp,
            START,
            id=record_id,
            input={"organisation": "K81003", "setting": "GP_PRACTICE", "basis": "REGISTERED_WITH_PRACTICE"},
        )
        made = api.graphql(
            gp,
            RECOMMEND,
            id=record_id,
            input={
                "formType": "RESPECT",
                "cpr": "DO_NOT_ATTEMPT_CPR",
                "reasonCategory": "WOULD_NOT_SUCCEED",
                "reasoning": "Metastatic cancer with liver failure; CPR would not restart the heart.",
                "involvement": {"route": "A_PERSON_WITH_CAPACITY", "personInvolved": True},
                "responsibleClinician": {"name": "Dr Grey", "role": "GP", "registration": "2345678"},
                "setting": "GP_PRACTICE",
                "reviewDue": "2030-03-01",
            },
        )
        assert made["data"]["makeRecommendation"]["__typename"] == "RecordChanged", made
        shown = api.graphql(gp, PLANS, id=record_id)["data"]["record"]
        target.record_ids.append(record_id)
        target.plan_ids.extend(plan["planId"] for plan in shown["currentPlans"])
        target.nhs_numbers.append(number)
    return target


def assert_clear_answer(response: httpx.Response, request: str) -> dict[str, Any] | None:
    """No 5xx; a 4xx says why in a readable body; a 200 either answers or carries errors with messages,
    and none of them is the masked message that stands for an unexpected exception."""
    assert response.status_code < 500, f"{response.status_code} for {request!r}: {response.text[:500]}"
    if response.status_code >= 400:
        assert response.text.strip(), f"an empty {response.status_code} for {request!r}"
        try:
            body = response.json()
        except ValueError:
            return None  # a plain-text refusal (e.g. a method not allowed) is readable as it is
        messages = [error.get("message") for error in body.get("errors") or []]
        assert messages and all(isinstance(m, str) and m.strip() for m in messages), response.text[:500]
        assert UNEXPECTED not in messages, f"masked error for {request!r}"
        return None
    body = response.json()
    assert isinstance(body, dict) and ("data" in body or "errors" in body), response.text[:500]
    for error in body.get("errors") or []:
        message = error.get("message")
        assert isinstance(message, str) and message.strip(), f"an error without a message: {error}"
        assert message != UNEXPECTED, f"masked error at {error.get('path')} for {request!r}"
    return body
