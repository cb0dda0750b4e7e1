"""No personal data in any log (issue 7).

A realistic workload of distinctive, generated people goes through the API, the relay and a projection worker
over Kafka, failing requests included (validation errors, refusals, conflicts, bad tokens: error messages are
a classic leak). Then every log is scanned for the people's NHS numbers (plain, 3-3-4 with spaces and with
dashes), names and dates of birth: the API server's, the relay's and the worker's output, pytest's captured
output and log records, and what PostgreSQL and Kafka logged during the test.
"""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from kafka.admin import KafkaAdminClient, NewTopic

from carerecord_infra.kafka import LocalKafka
from carerecord_infra.postgres import LOG_SETTINGS, LocalPostgres
from carerecord_infra.state import InfraPaths
from tests.builders import valid_nhs_numbers
from tests.conftest import kafka_options, wait_until
from tests.e2e.abuse_support import CARE_HOME, GP, PARAMEDIC, RESULT
from tests.support.api_server import ApiServer

REGISTER = f"mutation($input: RegisterPersonInput!) {{ registerPerson(input: $input) {{ {RESULT} }} }}"
START = f"mutation($id: UUID!, $input: StartCareRelationshipInput!) {{ startCareRelationship(recordId: $id, input: $input) {{ {RESULT} }} }}"
CONVERSATION = f"mutation($id: UUID!, $input: RecordConversationInput!) {{ recordConversation(recordId: $id, input: $input) {{ {RESULT} }} }}"
RECOMMEND = f"mutation($id: UUID!, $v: Int, $input: MakeRecommendationInput!) {{ makeRecommendation(recordId: $id, expectedVersion: $v, input: $input) {{ {RESULT} }} }}"
PERSON = 'query($nhs: String!, $p: String! = "direct care") { person(nhsNumber: $nhs, purpose: $p) { recordId version givenName familyName dateOfBirth currentPlans { cpr } } }'
SEARCH = 'query($f: String!, $d: Date!, $p: String!) { searchPeople(familyName: $f, dateOfBirth: $d, postcode: $p, purpose: "emergency") { recordId givenName } }'


@dataclass(frozen=True)
class Someone:
    nhs_number: str
    given_name: str
    family_name: str
    date_of_birth: date

    def forms(self) -> list[str]:
        """Every way this person's data could be written in a log."""
        n = self.nhs_number
        born = self.date_of_birth
        return [
            n,
            f"{n[:3]} {n[3:6]} {n[6:]}",
            f"{n[:3]}-{n[3:6]}-{n[6:]}",
            self.given_name,
            self.family_name,
            born.isoformat(),
            born.strftime("%d/%m/%Y"),
            born.strftime("%Y%m%d"),
        ]


def _distinctive_people(count: int) -> list[Someone]:
    rng = random.Random(uuid.uuid4().int)
    numbers = valid_nhs_numbers(count, start=rng.randrange(410_000_000, 480_000_000))
    return [
        Someone(
            nhs_number=number,
            given_name=f"Zephyrine{uuid.uuid4().hex[:6]}",
            family_name=f"Quillfeather{uuid.uuid4().hex[:6]}",
            date_of_birth=date(1921, 1, 1) + timedelta(days=rng.randrange(0, 25_000)),
        )
        for number in numbers
    ]


class LogTail:
    """What a log file gained since the test began (the shared servers' logs are long)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.start = path.stat().st_size if path.exists() else 0

    def read(self) -> str:
        if not self.path.exists():
            return ""
        with self.path.open("rb") as log:
            log.seek(self.start)
            return log.read().decode("utf-8", errors="replace")


def _process(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "carerecord.cli", *command],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


@pytest.fixture
def workers(
    infra: dict[str, str], topic: str, test_database_url: str, fresh_schema: str, tmp_path: Path
) -> Iterator[dict[str, Any]]:
    """The API server, a relay and a projection worker, each as its own process with its own log."""

    def env(principal: str) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DATABASE_URL": test_database_url,
            "CARERECORD_SCHEMA": fresh_schema,
            "CARERECORD_DATA_DIR": str(tmp_path),
            "KAFKA_BOOTSTRAP_SERVERS": infra["KAFKA_BOOTSTRAP_SERVERS"],
            "KAFKA_USERNAME": principal,
            "KAFKA_PASSWORD": infra[f"KAFKA_{principal.upper()}_PASSWORD"],
            "KAFKA_TOPIC": topic,
        }

    api = ApiServer(
        test_database_url, fresh_schema, tmp_path, **{k: v for k, v in env("admin").items() if "KAFKA" in k}
    )
    api.start()
    relay = _process(["relay"], env("relay"), tmp_path / "relay.log")
    projector = _process(
        ["project", "--group", f"carerecord-projections-{topic}"],
        env("projector"),
        tmp_path / "projector.log",
    )

    def stop() -> None:
        for process in (relay, projector):
            process.terminate()
            process.wait(timeout=30)
        api.stop()

    try:
        yield {
            "api": api,
            "logs": [api.log, tmp_path / "relay.log", tmp_path / "projector.log"],
            "stop": stop,
        }
    finally:
        stop()


def _workload(api: ApiServer, people: list[Someone]) -> int:
    """Registers, cares for, talks with and makes plans for each person, through Kafka-fed read models,
    with the failures a real day brings. Returns how many people were read back through the projections."""
    gp, paramedic, carer = api.token(**GP), api.token(**PARAMEDIC), api.token(**CARE_HOME)
    record_ids: dict[str, str] = {}
    for someone in people:
        person = {
            "nhsNumber": f"{someone.nhs_number[:3]} {someone.nhs_number[3:6]} {someone.nhs_number[6:]}",
            "givenName": someone.given_name,
            "familyName": someone.family_name,
            "dateOfBirth": someone.date_of_birth.isoformat(),
            "postcode": "NG1 1AA",
        }
        record_id = api.graphql(gp, REGISTER, input=person)["data"]["registerPerson"]["recordId"]
        record_ids[someone.nhs_number] = record_id
        again = api.graphql(gp, REGISTER, input=person)["data"]["registerPerson"]  # a duplicate
        assert again["__typename"] == "Refused"
        wrong = {**person, "nhsNumber": someone.nhs_number[:9] + str((int(someone.nhs_number[9]) + 1) % 10)}
        assert api.graphql(gp, REGISTER, input=wrong)["data"]["registerPerson"]["__typename"] == "Refused"
        api.graphql(
            gp,
            START,
            id=record_id,
            input={"organisation": "K81003", "setting": "GP_PRACTICE", "basis": "REGISTERED_WITH_PRACTICE"},
        )
        talk = {
            "participants": [{"name": f"{someone.given_name} {someone.family_name}", "role": "the person"}],
            "personTookPart": True,
            "whatMatters": f"{someone.given_name} wants to stay at home",
        }
        api.graphql(gp, CONVERSATION, id=record_id, input=talk)
        plan = {
            "formType": "RESPECT",
            "cpr": "DO_NOT_ATTEMPT_CPR",
            "reasonCategory": "WOULD_NOT_SUCCEED",
            "reasoning": f"{someone.given_name} has metastatic cancer; CPR would not restart the heart.",
            "involvement": {"route": "A_PERSON_WITH_CAPACITY", "personInvolved": True},
            "responsibleClinician": {"name": "Dr Grey", "role": "GP", "registration": "2345678"},
            "setting": "GP_PRACTICE",
            "reviewDue": "2030-03-01",
        }
        stale = api.graphql(gp, RECOMMEND, id=record_id, v=1, input=plan)["data"]["makeRecommendation"]
        assert stale["__typename"] == "VersionConflict"
        blanket = {**plan, "reasoning": f"{someone.family_name} is a frail elderly care home resident."}
        assert api.graphql(gp, RECOMMEND, id=record_id, input=blanket)["data"]["makeRecommendation"][
            "__typename"
        ] in ("Refused", "RecordChanged")
        api.graphql(gp, RECOMMEND, id=record_id, input=plan)
        # refusals and errors that carry the person's identifiers in the request
        assert api.graphql(paramedic, PERSON, nhs=someone.nhs_number).get("errors")
        assert (
            api.graphql(carer, RECOMMEND, id=record_id, input=plan)["data"]["makeRecommendation"][
                "__typename"
            ]
            == "NotAllowedResult"
        )
        assert api.graphql("not-a-token", PERSON, nhs=someone.nhs_number).get("errors")
        assert api.graphql(gp, PERSON, nhs=someone.nhs_number, p=f"{someone.family_name}\x00").get("errors")
        api.graphql(
            paramedic, SEARCH, f=someone.family_name, d=someone.date_of_birth.isoformat(), p="NG1 1AA"
        )
        api.graphql(carer, SEARCH, f=someone.family_name, d="1900-13-45", p="NG1 1AA")

    def projected(someone: Someone) -> bool:
        shown = api.graphql(gp, PERSON, nhs=someone.nhs_number).get("data") or {}
        person = shown.get("person") or {}
        return bool(person.get("currentPlans")) and person["familyName"] == someone.family_name

    wait_until(lambda: all(projected(someone) for someone in people), timeout=120)
    return len(people)


def _written_up_to_a_marker(
    postgres: LogTail, kafka: LogTail, *, test_database_url: str, infra: dict[str, str]
) -> None:
    """The shared servers write their logs as they go: each is asked for a line naming a fresh marker, and
    what they logged before it is in the file once the marker is."""
    marker = f"logged{uuid.uuid4().hex[:12]}"
    connection = psycopg2.connect(test_database_url)
    with contextlib.suppress(psycopg2.DataError), connection.cursor() as cursor:
        cursor.execute("SELECT %s::int", (marker,))  # refused, and the refusal names the marker
    connection.close()
    admin = KafkaAdminClient(**kafka_options(infra))
    admin.create_topics([NewTopic(marker, num_partitions=1, replication_factor=1)])  # logged with its name
    admin.close()
    wait_until(lambda: marker in postgres.read(), timeout=30, failure="PostgreSQL never logged the marker")
    wait_until(lambda: marker in kafka.read(), timeout=30, failure="Kafka never logged the marker")


def test_no_log_holds_the_nhs_numbers_names_or_dates_of_birth_of_the_people_in_a_workload(
    workers: dict[str, Any],
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    test_database_url: str,
    infra: dict[str, str],
) -> None:
    paths = InfraPaths.default()
    shared = [LogTail(LocalPostgres(paths).log_file), LogTail(LocalKafka(paths).log_file)]
    people = _distinctive_people(6)
    assert _workload(workers["api"], people) == len(people)
    workers["stop"]()  # every line the API, the relay and the worker had to write is written when they exit
    _written_up_to_a_marker(*shared, test_database_url=test_database_url, infra=infra)
    captured = capfd.readouterr()
    sources = {str(path): path.read_text(errors="replace") for path in workers["logs"]}
    sources |= {str(tail.path): tail.read() for tail in shared}
    sources |= {"pytest stdout": captured.out, "pytest stderr": captured.err, "pytest log": caplog.text}
    assert all(sources[str(path)] for path in workers["logs"]), "a process wrote no log at all"
    leaks = [
        f"{where} holds {kind}"
        for where, text in sources.items()
        for someone in people
        for kind, form in zip(_KINDS, someone.forms(), strict=True)
        if form in text
    ]
    assert not leaks, "\n".join(leaks)


_KINDS = [
    "an NHS number",
    "an NHS number (3 3 4)",
    "an NHS number (3-3-4)",
    "a given name",
    "a family name",
    "a date of birth",
    "a date of birth (dd/mm/yyyy)",
    "a date of birth (yyyymmdd)",
]


def test_the_local_postgresql_is_started_never_to_log_statements_or_their_values() -> None:
    options = LocalPostgres(InfraPaths.default()).server_options()
    for name, value in LOG_SETTINGS.items():
        assert f"-c {name}={value}" in options
    assert LOG_SETTINGS["log_min_error_statement"] == "panic"
    assert LOG_SETTINGS["log_error_verbosity"] == "terse"


def test_the_running_postgresql_logs_no_statements_or_their_values(infra: dict[str, str]) -> None:
    """Fails until the shared server has been restarted with the settings above (`carerecord infra down`,
    then `carerecord infra up`)."""
    connection = psycopg2.connect(infra["CARERECORD_TEST_DATABASE_URL"])
    try:
        with connection.cursor() as cursor:
            running = {}
            for name in LOG_SETTINGS:
                cursor.execute(f"SHOW {name}")
                running[name] = cursor.fetchone()[0]
    finally:
        connection.close()
    assert running == LOG_SETTINGS, (
        f"the running PostgreSQL logs with {running}; restart it (carerecord infra down, then up)"
    )
