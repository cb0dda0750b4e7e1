"""Investigations on the real PostgreSQL: what a reader was shown, a person's investigation bundle (GraphQL and
`carerecord investigate` in another process), and the record as of an instant by both clocks."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg2
import pytest
import strawberry
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from carerecord.bootstrap import Services, build_api, build_services
from carerecord.settings import Settings, load_settings
from carerecord.tokens import development_keys, issue_token
from carerecord_events.base import Participant
from carerecord_events.vocabulary import RelationshipBasis, RevocationInitiator, Setting
from carerecord_graphql.context import Api, context_for
from carerecord_graphql.schema import build_schema
from carerecord_projections.database import transaction
from carerecord_projections.schema import FEED_DDL
from carerecord_services import commands as c
from carerecord_services.chain import canonical_json
from carerecord_services.checkpoint import verify_inclusion
from carerecord_services.snapshot import snapshot
from tests.builders import GP, PARAMEDIC, VALID_NHS_NUMBER, recommendation, register, valid_nhs_numbers
from tests.support.api_server import import_register

GP_CLAIMS = {"sub": "dr-grey", "role": "gp", "org": "K81003", "registration": "2345678", "name": "Dr Grey"}
PARAMEDIC_CLAIMS = {"sub": "p-khan", "role": "paramedic", "org": "RX9", "registration": "PA123456"}
ASSURANCE_CLAIMS = {"sub": "icb-ann", "role": "assurance", "org": "QWE"}

RECORD = "query($id: UUID!, $purpose: String!) { record(recordId: $id, purpose: $purpose) { version } }"
HISTORY = "query($id: UUID!) { accessHistory(recordId: $id) { edges { node { accessId userId operation granted versionShown } } } }"
SHOWN = """query($access: UUID!) { accessShown(accessId: $access) {
  recordId kind operation userId role roleLabel organisation at purpose granted viaBreakGlass versionShown
  shown { version caringOrganisations plans { status statusLabel cprCode cpr reasoning responsibleClinician } } } }"""
INVESTIGATION = """query($id: UUID!, $from: DateTime!, $to: DateTime!) {
  investigation(recordId: $id, from: $from, to: $to) {
    format recordId period { start end } generatedAt generatedBy { userId role organisation } currentVersion
    recordBefore { version plans { status } }
    events {
      version eventId type label occurredAt recordedAt recordedBy { userId name role organisation } summary
      plansChanged recordAfter { version caringOrganisations plans { planId status } }
    }
    accesses {
      accessId kind userId role organisation operation purpose granted versionShown refusalReason viaBreakGlass
      at expiresAt
    }
    disclosures { organisation eventId position eventType disclosedAt }
    integrity {
      chain { intact version headHash problem brokenAtVersion }
      checkpoint {
        checkpoint {
          format position auditPosition recordCount auditStreamCount root createdAt algorithm keyId publicKey
          signature signedText
        }
        leaf { recordId version chainHash store leafHash }
        leafIndex inclusionProof proofVerifies storeMatchesLeaf versionsSinceCheckpoint
      }
    }
    document
  } }"""
AS_OF = """query($id: UUID!, $at: DateTime!, $clock: AsOfClock!) {
  recordAsOf(recordId: $id, at: $at, clock: $clock) { version plans { status } } }"""


@dataclass
class InProcessApi:
    settings: Settings
    services: Services
    api: Api
    schema: strawberry.Schema

    def ask(self, claims: dict[str, str], query: str, **variables: Any) -> Any:
        token = issue_token(
            development_keys(self.settings.data_dir),
            claims,
            issuer=self.settings.jwt_issuer,
            audience=self.settings.jwt_audience,
            minutes=30,
        )
        return self.schema.execute_sync(
            query, variable_values=variables, context_value=context_for(self.api, f"Bearer {token}")
        )


@contextmanager
def in_process_api(test_database_url: str, schema: str, data_dir: Path) -> Iterator[InProcessApi]:
    """The API's object graph in this process, on its own schema, with the synthetic organisation register."""
    settings = load_settings(
        {"DATABASE_URL": test_database_url, "CARERECORD_SCHEMA": schema, "CARERECORD_DATA_DIR": str(data_dir)}
    )
    services = build_services(settings)
    import_register(services.read_models_dsn)
    yield InProcessApi(settings, services, build_api(settings, services), build_schema())
    services.close()


@pytest.fixture
def api(test_database_url: str, fresh_schema: str, tmp_path: Path) -> Iterator[InProcessApi]:
    with in_process_api(test_database_url, fresh_schema, tmp_path) as opened:
        yield opened


def _cared_for_with_a_plan(api: InProcessApi, nhs_number: str = VALID_NHS_NUMBER) -> UUID:
    care_records = api.services.care_records
    record_id = care_records.register_person(register(nhs_number=nhs_number)).record_id
    care_records.execute(
        record_id,
        c.StartCareRelationship(
            actor=GP,
            organisation="K81003",
            setting=Setting.GP_PRACTICE,
            basis=RelationshipBasis.REGISTERED_WITH_PRACTICE,
        ),
    )
    care_records.execute(record_id, recommendation())
    return record_id


def _plan_id(api: InProcessApi, record_id: UUID) -> UUID:
    (plan_id,) = api.services.care_records.record(record_id).plans
    return plan_id


def _revoke(api: InProcessApi, record_id: UUID, occurred_at: datetime | None = None) -> None:
    api.services.care_records.execute(
        record_id,
        c.RevokePlan(
            actor=GP,
            plan_id=_plan_id(api, record_id),
            reason="She asked for CPR.",
            initiated=RevocationInitiator.PERSON_REQUEST,
            occurred_at=occurred_at,
        ),
    )


def test_an_assurance_team_sees_exactly_what_each_reader_was_shown(api: InProcessApi) -> None:
    record_id = _cared_for_with_a_plan(api)
    assert not api.ask(GP_CLAIMS, RECORD, id=str(record_id), purpose="direct care").errors
    _revoke(api, record_id)
    api.services.audit.start_break_glass(PARAMEDIC, record_id, "collapsed at home", timedelta(minutes=30))
    assert not api.ask(PARAMEDIC_CLAIMS, RECORD, id=str(record_id), purpose="999 call").errors

    history = api.ask(ASSURANCE_CLAIMS, HISTORY, id=str(record_id)).data["accessHistory"]
    history = [edge["node"] for edge in history["edges"]]
    reads = {row["userId"]: row for row in history if row["operation"] == "record"}
    by_gp = api.ask(ASSURANCE_CLAIMS, SHOWN, access=reads["dr-grey"]["accessId"])
    by_paramedic = api.ask(ASSURANCE_CLAIMS, SHOWN, access=reads["p-khan"]["accessId"])

    assert not by_gp.errors and not by_paramedic.errors
    gp_saw = by_gp.data["accessShown"]
    assert (gp_saw["userId"], gp_saw["role"], gp_saw["organisation"], gp_saw["purpose"]) == (
        "dr-grey",
        "GP",
        "K81003",
        "direct care",
    )
    assert (gp_saw["viaBreakGlass"], gp_saw["versionShown"], gp_saw["shown"]["version"]) == (False, 3, 3)
    (plan,) = gp_saw["shown"]["plans"]
    assert (plan["status"], plan["statusLabel"], plan["cprCode"]) == ("ACTIVE", "in force", "450476008")
    assert plan["reasoning"].startswith("Metastatic pancreatic cancer")
    assert gp_saw["shown"]["caringOrganisations"] == ["K81003"]

    paramedic_saw = by_paramedic.data["accessShown"]
    assert (paramedic_saw["roleLabel"], paramedic_saw["organisation"], paramedic_saw["purpose"]) == (
        "paramedic",
        "RX9",
        "999 call",
    )
    assert (paramedic_saw["viaBreakGlass"], paramedic_saw["versionShown"]) == (True, 4)
    assert [plan["status"] for plan in paramedic_saw["shown"]["plans"]] == ["REVOKED"]


def test_only_assurance_may_ask_what_was_shown_and_every_question_is_recorded(api: InProcessApi) -> None:
    record_id = _cared_for_with_a_plan(api)
    api.ask(GP_CLAIMS, RECORD, id=str(record_id), purpose="direct care")
    history = api.ask(ASSURANCE_CLAIMS, HISTORY, id=str(record_id)).data["accessHistory"]
    history = [edge["node"] for edge in history["edges"]]
    access_id = next(row["accessId"] for row in history if row["operation"] == "record")

    refused = api.ask(GP_CLAIMS, SHOWN, access=access_id)
    assert [error.message for error in refused.errors or []] == ["only assurance teams may investigate"]
    unknown = api.ask(ASSURANCE_CLAIMS, SHOWN, access="00000000-0000-4000-8000-000000000001")
    assert [error.message for error in unknown.errors or []] == ["there is no such access"]
    assert not api.ask(ASSURANCE_CLAIMS, SHOWN, access=access_id).errors

    with transaction(api.services.read_models_dsn) as cursor:
        cursor.execute(
            "SELECT user_id, granted, refusal_reason, version_shown FROM access_log "
            "WHERE operation = 'accessShown' ORDER BY position"
        )
        recorded = cursor.fetchall()
    assert recorded == [
        ("dr-grey", False, "not an assurance role", None),
        ("icb-ann", False, "no such access", None),
        ("icb-ann", True, "", 3),
    ]


def _verify_typed_proof(proof: dict[str, Any], record_id: UUID) -> None:
    """The same check from the bundle's typed fields: the signature over the header's signed text, the fields
    as signed, and the typed leaf in the signed root."""
    header = proof["checkpoint"]
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(header["publicKey"]))
    public.verify(base64.b64decode(header["signature"]), header["signedText"].encode())  # raises if not
    signed = json.loads(header["signedText"])
    assert (signed["root"], signed["record_count"], signed["key_id"], signed["public_key"]) == (
        header["root"],
        header["recordCount"],
        header["keyId"],
        header["publicKey"],
    )
    assert datetime.fromisoformat(signed["created_at"]) == datetime.fromisoformat(header["createdAt"])
    leaf = proof["leaf"]
    assert (leaf["recordId"], leaf["store"]) == (str(record_id), "care-record")
    assert verify_inclusion(
        bytes.fromhex(leaf["leafHash"]),
        proof["leafIndex"],
        header["recordCount"] + header["auditStreamCount"],  # the tree holds the audit streams' leaves too
        [bytes.fromhex(node) for node in proof["inclusionProof"]],
        bytes.fromhex(header["root"]),
    )


def _verify_bundle_proof(bundle: dict[str, Any], record_id: UUID) -> None:
    """What an assurance team can check from the bundle alone: the checkpoint's signature, and that the
    record's leaf is in the signed root."""
    proof = bundle["integrity"]["checkpoint"]
    header = proof["checkpoint"]
    signed = {key: value for key, value in header.items() if key != "signature"}
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(header["public_key"]))
    public.verify(base64.b64decode(header["signature"]), canonical_json(signed))  # raises if not
    leaf = proof["leaf"]
    assert leaf["record_id"] == str(record_id)
    assert verify_inclusion(
        bytes.fromhex(leaf["leaf_hash"]),
        proof["leaf_index"],
        header["record_count"] + header["audit_stream_count"],  # the tree holds the audit streams' leaves too
        [bytes.fromhex(node) for node in proof["inclusion_proof"]],
        bytes.fromhex(header["root"]),
    )


def test_the_investigation_bundle_holds_events_plans_accesses_disclosures_and_proof(
    api: InProcessApi,
) -> None:
    start = datetime.now(UTC) - timedelta(minutes=1)
    record_id = _cared_for_with_a_plan(api)
    api.services.checkpoints.make()
    api.ask(GP_CLAIMS, RECORD, id=str(record_id), purpose="direct care")
    _revoke(api, record_id, occurred_at=datetime.now(UTC) - timedelta(seconds=30))
    with transaction(
        api.services.read_models_dsn
    ) as cursor:  # what `carerecord feeds` records per disclosure
        cursor.execute(FEED_DDL)
        cursor.execute(
            "INSERT INTO feed_disclosures (organisation, record_id, event_id, position, event_type, disclosed_at) "
            "VALUES ('K81003', %s, gen_random_uuid(), 3, 'RecommendationMade', now())",
            (record_id,),
        )

    answer = api.ask(
        ASSURANCE_CLAIMS,
        INVESTIGATION,
        id=str(record_id),
        **{"from": start.isoformat(), "to": (datetime.now(UTC) + timedelta(minutes=1)).isoformat()},
    )
    assert not answer.errors, answer.errors
    bundle = answer.data["investigation"]
    assert [(e["version"], e["type"]) for e in bundle["events"]] == [
        (1, "PersonRegistered"),
        (2, "CareRelationshipStarted"),
        (3, "RecommendationMade"),
        (4, "PlanRevoked"),
    ]
    revoked = bundle["events"][3]
    assert datetime.fromisoformat(revoked["occurredAt"]) < datetime.fromisoformat(revoked["recordedAt"])
    assert revoked["recordedBy"] == {
        "userId": "dr-grey",
        "name": "Dr Grey",
        "role": "GP",
        "organisation": "K81003",
    }
    assert revoked["summary"] == "Revoked (at the persons request): She asked for CPR."
    assert [e["plansChanged"] for e in bundle["events"]] == [False, True, True, True]
    assert bundle["events"][0]["recordAfter"] is None
    assert [p["status"] for p in bundle["events"][2]["recordAfter"]["plans"]] == ["ACTIVE"]
    assert [p["status"] for p in revoked["recordAfter"]["plans"]] == ["REVOKED"]
    assert bundle["recordBefore"]["version"] == 0
    assert [(a["userId"], a["role"], a["operation"], a["versionShown"]) for a in bundle["accesses"]] == [
        ("dr-grey", "GP", "record", 3)
    ]
    assert [(d["organisation"], d["eventType"], d["position"]) for d in bundle["disclosures"]] == [
        ("K81003", "RecommendationMade", 3)
    ]
    integrity = bundle["integrity"]
    assert integrity["chain"] == {
        "intact": True,
        "version": 4,
        "headHash": integrity["chain"]["headHash"],
        "problem": "",
        "brokenAtVersion": None,
    }
    proof = integrity["checkpoint"]
    assert (proof["proofVerifies"], proof["storeMatchesLeaf"], proof["versionsSinceCheckpoint"]) == (
        True,
        True,
        1,
    )
    assert proof["leaf"]["version"] == 3
    _verify_typed_proof(proof, record_id)
    _verify_bundle_proof(json.loads(bundle["document"]), record_id)

    refused = api.ask(
        GP_CLAIMS,
        INVESTIGATION,
        id=str(record_id),
        **{"from": start.isoformat(), "to": datetime.now(UTC).isoformat()},
    )
    assert [error.message for error in refused.errors or []] == ["only assurance teams may investigate"]
    history = api.ask(ASSURANCE_CLAIMS, HISTORY, id=str(record_id)).data["accessHistory"]
    history = [edge["node"] for edge in history["edges"]]
    assert ("icb-ann", "investigation", True) in {
        (r["userId"], r["operation"], r["granted"]) for r in history
    }


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_the_typed_bundle_is_the_record_history_as_the_event_store_holds_it(api: InProcessApi) -> None:
    start = datetime.now(UTC) - timedelta(minutes=1)
    record_id = _cared_for_with_a_plan(api)
    assert not api.ask(GP_CLAIMS, RECORD, id=str(record_id), purpose="direct care").errors
    api.services.checkpoints.make()  # after a read: the signed tree holds an access audit stream's leaf too
    _revoke(api, record_id, occurred_at=datetime.now(UTC) - timedelta(seconds=30))
    api.services.care_records.execute(
        record_id,
        c.RecordConversation(
            actor=GP,
            participants=(Participant(name="Margaret Hale", role="the person"),),
            person_took_part=True,
            what_matters="being at home with her cat",
        ),
    )
    end = datetime.now(UTC) + timedelta(minutes=1)

    answer = api.ask(
        ASSURANCE_CLAIMS,
        INVESTIGATION,
        id=str(record_id),
        **{"from": start.isoformat(), "to": end.isoformat()},
    )
    assert not answer.errors, answer.errors
    bundle = answer.data["investigation"]
    stored = api.services.store.load(record_id).events

    # every event, as the store holds it, in version order
    assert [
        (
            e["version"],
            UUID(e["eventId"]),
            e["type"],
            e["label"],
            _instant(e["occurredAt"]),
            _instant(e["recordedAt"]),
        )
        for e in bundle["events"]
    ] == [
        (version, event.event_id, event.TYPE, event.LABEL, event.occurred_at, event.recorded_at)
        for version, event in enumerate(stored, start=1)
    ]
    assert [tuple(e["recordedBy"].values()) for e in bundle["events"]] == [
        (e.recorded_by.user_id, e.recorded_by.name, e.recorded_by.role.name, e.recorded_by.organisation)
        for e in stored
    ]
    assert bundle["currentVersion"] == len(stored) == 5
    # the record after each change is the record replayed up to that event; a conversation changes no plan
    for entry in bundle["events"]:
        replayed = snapshot(record_id, stored[: entry["version"]])
        if entry["plansChanged"]:
            after = entry["recordAfter"]
            assert after["version"] == entry["version"]
            assert [(UUID(p["planId"]), p["status"]) for p in after["plans"]] == [
                (plan.plan_id, plan.status.name) for plan in replayed.plans
            ]
            assert after["caringOrganisations"] == list(replayed.caring_organisations)
        else:
            assert entry["recordAfter"] is None
    assert [e["plansChanged"] for e in bundle["events"]] == [False, True, True, True, False]
    assert _instant(bundle["period"]["start"]) == start and _instant(bundle["period"]["end"]) == end
    assert bundle["generatedBy"] == {"userId": "icb-ann", "role": "ASSURANCE", "organisation": "QWE"}

    # the document is the same bundle, the evidence to keep: what it says, the types say
    document = json.loads(bundle["document"])
    assert document["format"] == bundle["format"] == "carerecord-investigation/v1"
    assert document["record_id"] == bundle["recordId"] == str(record_id)
    assert [
        (d["version"], d["event_id"], d["type"], d["summary"], d["plans_changed"]) for d in document["events"]
    ] == [(e["version"], e["eventId"], e["type"], e["summary"], e["plansChanged"]) for e in bundle["events"]]
    assert [_instant(d["occurred_at"]) for d in document["events"]] == [
        _instant(e["occurredAt"]) for e in bundle["events"]
    ]
    assert [(a["access_id"], a["role"]) for a in document["accesses"]] == [
        (a["accessId"], a["role"].lower()) for a in bundle["accesses"]
    ]
    header = bundle["integrity"]["checkpoint"]["checkpoint"]
    assert document["integrity"]["checkpoint"]["checkpoint"] == {
        **json.loads(header["signedText"]),
        "signature": header["signature"],
    }
    assert header["auditStreamCount"] >= 1 and header["format"] == "carerecord-checkpoint/v2"
    proof = bundle["integrity"]["checkpoint"]
    assert (proof["leaf"]["version"], proof["versionsSinceCheckpoint"]) == (3, 2)
    _verify_typed_proof(proof, record_id)
    _verify_bundle_proof(document, record_id)


def test_a_record_newer_than_the_signed_checkpoint_has_no_leaf_in_it_in_the_types_and_the_document(
    api: InProcessApi,
) -> None:
    start = datetime.now(UTC) - timedelta(minutes=1)
    period = {"from": start.isoformat(), "to": (datetime.now(UTC) + timedelta(minutes=1)).isoformat()}
    record_id = _cared_for_with_a_plan(api)

    unsigned = api.ask(ASSURANCE_CLAIMS, INVESTIGATION, id=str(record_id), **period).data["investigation"]
    assert unsigned["integrity"]["checkpoint"] is None  # no checkpoint signed yet
    assert json.loads(unsigned["document"])["integrity"]["checkpoint"] is None

    api.services.checkpoints.make()
    (other_person,) = valid_nhs_numbers(1)
    newer = _cared_for_with_a_plan(api, other_person)
    bundle = api.ask(ASSURANCE_CLAIMS, INVESTIGATION, id=str(newer), **period).data["investigation"]
    proof = bundle["integrity"]["checkpoint"]
    assert proof["leaf"] is None
    assert (proof["leafIndex"], proof["inclusionProof"], proof["proofVerifies"]) == (None, None, None)
    assert bundle["integrity"]["chain"]["intact"] is True
    header = proof["checkpoint"]
    assert json.loads(bundle["document"])["integrity"]["checkpoint"] == {
        "checkpoint": {**json.loads(header["signedText"]), "signature": header["signature"]},
        "leaf": None,
    }


def test_carerecord_investigate_writes_a_bundle_and_a_readable_report_for_a_period(
    test_database_url: str, fresh_schema: str, tmp_path: Path, api: InProcessApi
) -> None:
    record_id = _cared_for_with_a_plan(api)
    api.services.care_records.execute(
        record_id,
        c.RecordConversation(
            actor=GP,
            participants=(Participant(name="Margaret Hale", role="the person"),),
            person_took_part=True,
            what_matters="being at home with her cat",
            occurred_at=datetime(2020, 1, 1, 10, 0, tzinfo=UTC),  # a late entry about a conversation long ago
        ),
    )
    api.services.checkpoints.make()
    api.services.close()  # the command below is another process, with its own connections
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": test_database_url,
        "CARERECORD_SCHEMA": fresh_schema,
        "CARERECORD_DATA_DIR": str(tmp_path),
    }
    out = tmp_path / "investigation"
    result = subprocess.run(
        [sys.executable, "-m", "carerecord.cli", "investigate", "--nhs-number", "943 476 5919",
         "--from", "2020-01-01", "--to", "2020-01-01", "--out", str(out), "--by", "icb-ann", "--org", "QWE"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "reading the record's history" in result.stdout
    bundle = json.loads((out / "bundle.json").read_text())
    assert bundle["period"] == {"from": "2020-01-01T00:00:00+00:00", "to": "2020-01-02T00:00:00+00:00"}
    assert [(e["version"], e["type"], e["occurred_at"]) for e in bundle["events"]] == [
        (4, "ConversationRecorded", "2020-01-01T10:00:00+00:00")
    ]
    assert bundle["record_before"]["version"] == 3
    assert [p["status"] for p in bundle["record_before"]["plans"]] == ["active"]
    assert bundle["accesses"] == []
    assert bundle["integrity"]["checkpoint"]["proof_verifies"] is True
    _verify_bundle_proof(bundle, record_id)
    report = (out / "report.md").read_text()
    assert f"# Investigation of record {record_id}" in report
    assert "### Version 4: Conversation about care and treatment recorded" in report
    assert "(recorded later than it happened)" in report
    assert "Inclusion proof" in report and "leads to the signed root: yes" in report
    with psycopg2.connect(test_database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            f"SELECT user_id, organisation, purpose, granted, version_shown FROM {fresh_schema}.access_log "
            "WHERE operation = 'investigate'"
        )
        assert cursor.fetchall() == [("icb-ann", "QWE", "investigation", True, 4)]
    connection.close()


def test_record_as_of_answers_by_when_things_were_recorded_or_when_they_happened(api: InProcessApi) -> None:
    # The instants are read from the clock and from the record's own events, never made apart by sleeping:
    # `happened` just after the plan was made, `between` halfway from it to the instant the revocation was
    # recorded.
    before_anything = datetime.now(UTC)
    record_id = _cared_for_with_a_plan(api)
    plan_made = datetime.now(UTC)
    happened = plan_made + timedelta(microseconds=1)
    _revoke(api, record_id, occurred_at=happened)  # recorded now, but it happened before `between`
    revoked = api.services.store.load(record_id).events[-1].recorded_at
    between = happened + (revoked - happened) / 2
    after_everything = datetime.now(UTC)

    def as_of(at: datetime, clock: str) -> Any:
        answer = api.ask(ASSURANCE_CLAIMS, AS_OF, id=str(record_id), at=at.isoformat(), clock=clock)
        assert not answer.errors, answer.errors
        view = answer.data["recordAsOf"]
        return view["version"], [plan["status"] for plan in view["plans"]]

    for clock in ("RECORDED", "OCCURRED"):
        before = api.ask(
            ASSURANCE_CLAIMS, AS_OF, id=str(record_id), at=before_anything.isoformat(), clock=clock
        )
        # before any organisation of the board cared for her, the board may not look
        assert "QWE cared for this person" in before.errors[0].message
        assert as_of(plan_made, clock) == (3, ["ACTIVE"])
        assert as_of(after_everything, clock) == (4, ["REVOKED"])
    assert as_of(between, "RECORDED") == (3, ["ACTIVE"])  # what the record said at that instant
    assert as_of(between, "OCCURRED") == (4, ["REVOKED"])  # what we now know had happened by then
