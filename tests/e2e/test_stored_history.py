"""What is already stored: events written before today's rules (or past every door) are read under today's
meaning, flagged rather than refused after the fact, and named by verify when an identifier is not canonical."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from carerecord.bootstrap import Services, build_services
from carerecord.settings import load_settings
from carerecord_events.codec import to_payload
from carerecord_events.record.evolve import replay
from carerecord_events.vocabulary import InvolvementRoute
from carerecord_projections.database import transaction
from carerecord_projections.oversight.rules.scope import Period, Scope
from carerecord_projections.oversight.views import OversightViews
from carerecord_services.decisions import Context, decide
from carerecord_services.errors import ConsultationMissing
from carerecord_services.integrity import verify_chains
from tests.builders import VALID_NHS_NUMBER, involved, recommendation, register
from tests.e2e.stored_directly import append_events, append_stored

FIXTURES = Path(__file__).resolve().parents[2] / "events" / "carerecord_events" / "fixtures"
NOBODY_CONSULTED = involved(
    route=InvolvementRoute.D_NOT_INVOLVED_WITH_REASON,
    person_involved=False,
    consulted=(),
    reason_person_not_involved=(
        "Unconscious on admission after a cardiac arrest at home; ventilated on the intensive care unit and "
        "not expected to wake before the decision is needed."
    ),
)


@pytest.fixture
def environment(test_database_url: str, fresh_schema: str, tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": test_database_url,
        "CARERECORD_SCHEMA": fresh_schema,
        "CARERECORD_DATA_DIR": str(tmp_path),
    }


@pytest.fixture
def services(environment: dict[str, str]) -> Iterator[Services]:
    built = build_services(load_settings(environment))
    yield built
    built.close()


def _v1_capacity_assessment(record_id: UUID, wording: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((FIXTURES / "CapacityAssessed.v1.json").read_text())["payload"]
    now = datetime.now(UTC).isoformat()
    payload.update(
        record_id=str(record_id),
        event_id=str(uuid4()),
        assessment_id=str(uuid4()),
        decision=wording,
        has_capacity=False,
        how_capacity_is_lacking="cannot weigh what an attempt at resuscitation involves",
        occurred_at=now,
        recorded_at=now,
    )
    return payload


def test_a_plan_accepted_under_the_old_rule_is_flagged_and_counted_and_the_next_one_is_refused(
    services: Services,
) -> None:
    care = services.care_records
    record_id = care.register_person(register()).record_id
    # Stored by the old carerecord: an assessment in words, then a plan with nobody consulted (which the old
    # rule, looking up only "cpr", accepted).
    before_assessment = care.history(record_id)
    append_stored(
        services.store,
        record_id,
        "CapacityAssessed/v1",
        _v1_capacity_assessment(record_id, "cardiopulmonary resuscitation"),
    )
    old_rules_saw = replay(record_id, before_assessment)
    accepted = decide(
        old_rules_saw, recommendation(involvement=NOBODY_CONSULTED), Context(now=datetime.now(UTC))
    )
    append_events(services.store, record_id, accepted)
    assert services.feeder is not None
    services.feeder.catch_up()

    with pytest.raises(ConsultationMissing):
        care.execute(record_id, recommendation(involvement=NOBODY_CONSULTED))

    now = datetime.now(UTC)
    dashboard = OversightViews(services.read_models_dsn).dashboard(
        Scope(), Period(now - timedelta(days=1), now + timedelta(minutes=1)), now
    )
    figures = {figure.key: (figure.count, figure.out_of) for figure in dashboard.figures}
    assert figures["lacking-capacity-nobody-consulted"] == (1, 1)
    assert figures["lacking-capacity-consulted"] == (0, 1)
    with transaction(services.read_models_dsn) as cursor:
        cursor.execute("SELECT document FROM current_plan WHERE record_id = %s", (record_id,))
        document = cursor.fetchone()[0]
    plans = list(document["plans"].values())
    assert [plan["lacked_capacity_nobody_consulted"] for plan in plans] == [True]
    assert document["capacity"]["cpr"]["decision_text"] == "cardiopulmonary resuscitation"
    assert verify_chains(services.store).intact


def _fullwidth_registration(record_id: UUID) -> dict[str, Any]:
    """A PersonRegistered as the old door let it through: the NHS number in fullwidth digits."""
    events = decide(replay(record_id, []), register(), Context(now=datetime.now(UTC)))
    payload = to_payload(events[0])
    payload["nhs_number"] = VALID_NHS_NUMBER.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return payload


def test_verify_names_a_stored_identifier_outside_its_canonical_form_without_its_value(
    services: Services, environment: dict[str, str]
) -> None:
    services.care_records.register_person(register())
    odd = uuid4()
    append_stored(services.store, odd, "PersonRegistered/v2", _fullwidth_registration(odd))
    report = verify_chains(services.store)
    assert report.intact
    assert [(f.record_id, f.version, f.event_type, f.field) for f in report.identifiers] == [
        (str(odd), 1, "PersonRegistered", "nhs_number")
    ]
    result = subprocess.run(
        [sys.executable, "-m", "carerecord.cli", "verify"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"IDENTIFIER record {odd} at version 1" in result.stdout
    assert "PersonRegistered nhs_number" in result.stdout
    assert "every chain is intact" in result.stdout
    assert "９" not in result.stdout  # the report carries no personal data
