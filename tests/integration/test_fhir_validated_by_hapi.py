"""Every kind of plan, as provider systems get it from `GET /fhir/Patient/{nhsNumber}/$everything`, checked by
HAPI FHIR's own validator (8.8.0, R4 core profiles, offline): no error and no warning, with nothing filtered
out. SNOMED CT cannot be checked offline; the validator says so at information level, and those messages are
counted and printed with the rest.

The records are written by the real use cases on the real PostgreSQL, projected by the real projector (fed
in process) and read through the real route, as a caring GP would read them.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from starlette.testclient import TestClient

from carerecord.bootstrap import Services, build_app, build_services
from carerecord.settings import Settings, load_settings
from carerecord.tokens import development_keys, issue_token
from carerecord_events.base import Actor, Clinician
from carerecord_events.roles import Role
from carerecord_events.vocabulary import (
    CprRecommendation,
    FormType,
    ReasonCategory,
    RelationshipBasis,
    RevocationInitiator,
    Setting,
)
from carerecord_infra.fhir_validator import FhirValidator, Report
from carerecord_projections.queries import ReadModels
from carerecord_services import commands as c
from carerecord_services.local_forms import load_mapping
from tests.builders import (
    CARE_HOME_MANAGER,
    GP,
    REGISTRAR,
    involved,
    recommendation,
    register,
    valid_nhs_numbers,
)
from tests.fhir_checks import validated
from tests.form_builders import dnacpr_form, escalation_plan, respect_sections
from tests.support.api_server import import_register

GP_CLAIMS = {"sub": "dr-grey", "role": "gp", "org": "K81003", "registration": "2345678", "name": "Dr Grey"}
DR_GREY = Clinician(name="Dr Grey", role=Role.GP, registration="2345678", user_id="dr-grey")
CONSULTANT = Actor(user_id="dr-okafor", role=Role.CONSULTANT, organisation="K81003", registration="1234567")


@dataclass
class Region:
    services: Services
    settings: Settings
    client: TestClient
    token: str
    numbers: Iterator[str]

    def person(self, *commands: c.Command) -> tuple[str, UUID]:
        """A person the GP practice K81003 cares for, after `commands`."""
        nhs_number = next(self.numbers)
        care_records = self.services.care_records
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
        for command in commands:
            care_records.execute(record_id, command)
        return nhs_number, record_id

    def then(self, record_id: UUID, *commands: Callable[[dict[str, Any]], c.Command]) -> None:
        """Commands that need what the record holds now (a plan's or an advance decision's id)."""
        for command in commands:
            row = ReadModels(self.services.read_models_dsn).current_plan(record_id)
            assert row is not None
            self.services.care_records.execute(record_id, command(row.document))

    def everything(self, nhs_number: str) -> dict[str, Any]:
        response = self.client.get(
            f"/fhir/Patient/{nhs_number}/$everything", headers={"authorization": f"Bearer {self.token}"}
        )
        assert response.status_code == 200, response.text
        bundle: dict[str, Any] = response.json()
        return validated(bundle)


@pytest.fixture
def region(test_database_url: str, fresh_schema: str, tmp_path: Path) -> Iterator[Region]:
    settings = load_settings(
        {
            "DATABASE_URL": test_database_url,
            "CARERECORD_SCHEMA": fresh_schema,
            "CARERECORD_DATA_DIR": str(tmp_path),
        }
    )
    services = build_services(settings)
    import_register(services.read_models_dsn)
    token = issue_token(
        development_keys(tmp_path),
        GP_CLAIMS,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        minutes=30,
    )
    client = TestClient(build_app(settings, services))
    yield Region(services, settings, client, token, iter(valid_nhs_numbers(20, start=402_000_000)))
    services.close()


def _only_plan(document: dict[str, Any]) -> UUID:
    (plan_id,) = [key for key, plan in document["plans"].items() if plan["status"] == "active"]
    return UUID(plan_id)


def _only_adrt(document: dict[str, Any]) -> UUID:
    (decision_id,) = document["advance_decisions"]
    return UUID(decision_id)


ADRT = {
    "actor": GP,
    "treatments_refused": "mechanical ventilation and intubation",
    "refuses_cpr": True,
    "made_on": date(2025, 1, 10),
    "written": True,
    "signed": True,
    "witnessed": True,
    "states_applies_even_if_life_at_risk": True,
    "document_location": "GP notes",
}


def _kinds(region: Region) -> dict[str, str]:
    """Each kind of plan the record holds today, and an advance decision, by the NHS number holding it."""
    kinds: dict[str, str] = {}
    gp_plan = {"actor": GP, "setting": Setting.GP_PRACTICE, "responsible_clinician": DR_GREY}
    kinds["ReSPECT: do not attempt CPR"] = region.person(recommendation(**gp_plan))[0]
    kinds["ReSPECT: attempt CPR"] = region.person(
        recommendation(
            **gp_plan, cpr=CprRecommendation.ATTEMPT_CPR, reason_category=ReasonCategory.CPR_RECOMMENDED
        )
    )[0]
    kinds["DNACPR form"] = region.person(recommendation(**gp_plan, form_type=FormType.DNACPR))[0]
    kinds["treatment escalation plan"] = region.person(
        recommendation(**gp_plan, form_type=FormType.TREATMENT_ESCALATION_PLAN)
    )[0]
    awaiting = {"actor": REGISTRAR, "setting": Setting.GP_PRACTICE, "responsible_clinician": DR_GREY}
    kinds["awaiting senior endorsement"] = region.person(recommendation(**awaiting))[0]
    nhs_number, record_id = region.person(recommendation(**awaiting))
    region.then(
        record_id,
        lambda d: c.EndorsePlan(actor=CONSULTANT, plan_id=_only_plan(d), endorser_name="Dr Okafor"),
    )
    kinds["endorsed"] = nhs_number
    nhs_number, record_id = region.person(recommendation(**gp_plan))
    region.then(
        record_id,
        lambda d: c.RevokePlan(
            actor=GP,
            plan_id=_only_plan(d),
            reason="she asked for CPR",
            initiated=RevocationInitiator.PERSON_REQUEST,
        ),
    )
    kinds["revoked"] = nhs_number
    nhs_number, record_id = region.person(recommendation(**gp_plan))
    region.then(record_id, lambda d: recommendation(**gp_plan, supersedes_plan_id=_only_plan(d)))
    kinds["superseded, beside its replacement"] = nhs_number
    kinds["after death"] = region.person(
        recommendation(**gp_plan),
        c.RecordDeath(actor=GP, date_of_death=date.today(), place_of_death="hospice"),
    )[0]
    kinds["advance decision valid for refusing CPR"] = region.person(c.RecordAdvanceDecision(**ADRT))[0]
    kinds["advance decision not valid for refusing CPR"] = region.person(
        c.RecordAdvanceDecision(**{**ADRT, "witnessed": False, "document_location": ""})
    )[0]
    nhs_number, record_id = region.person(c.RecordAdvanceDecision(**ADRT))
    region.then(
        record_id,
        lambda d: c.WithdrawAdvanceDecision(
            actor=GP, advance_decision_id=_only_adrt(d), reason="she changed her mind"
        ),
    )
    kinds["withdrawn advance decision"] = nhs_number
    kinds["everything at once: plans, advance decision, care home"] = region.person(
        c.StartCareRelationship(
            actor=CARE_HOME_MANAGER,
            organisation="VLAXL",
            setting=Setting.CARE_HOME,
            basis=RelationshipBasis.RESIDENT_OF_CARE_HOME,
        ),
        c.RecordAdvanceDecision(**ADRT),
        recommendation(**gp_plan),
        recommendation(**awaiting, form_type=FormType.TREATMENT_ESCALATION_PLAN),
    )[0]
    kinds["a person with no plan"] = region.person()[0]
    kinds.update(_every_form_filled_in(region, gp_plan))
    return kinds


FORMS = Path(__file__).resolve().parents[2] / "deploy" / "carerecord" / "reference" / "forms"


def _every_form_filled_in(region: Region, gp_plan: dict[str, Any]) -> dict[str, str]:
    """Each kind of form with every part of its own filled in (the typed extensions the round trip reads)."""
    involvement = involved(
        discussed_on=date(2026, 10, 30), discussion_record_location="GP record, consultation of 30 October"
    )
    mapping = load_mapping((FORMS / "nuh-tep.toml").read_text())
    answers = json.loads((FORMS / "nuh-tep.example.json").read_text())
    local = mapping.recommendation(answers, actor=GP, responsible_clinician=DR_GREY)
    return {
        "ReSPECT, every section": region.person(
            recommendation(**gp_plan, respect=respect_sections(), involvement=involvement)
        )[0],
        "treatment escalation plan, level, goals and limits": region.person(
            recommendation(
                **gp_plan, form_type=FormType.TREATMENT_ESCALATION_PLAN, escalation=escalation_plan()
            )
        )[0],
        "DNACPR form, communication and team": region.person(
            recommendation(
                **gp_plan,
                form_type=FormType.DNACPR,
                reason_category=ReasonCategory.PERSONS_INFORMED_REFUSAL,
                involvement=involvement,
                dnacpr=dnacpr_form(),
            )
        )[0],
        "mapped local form, fields kept": region.person(local)[0],
    }


def _table(reports: dict[str, Report]) -> str:
    lines = [f"{'what':60} errors warnings information"]
    lines += [f"{kind:60} {r.errors:6} {r.warnings:8} {r.information:11}" for kind, r in reports.items()]
    return "\n".join(lines)


def test_hapi_finds_no_error_and_no_warning_in_any_kind_of_plan(
    region: Region, hapi: FhirValidator, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = {kind: hapi.validate(region.everything(number)) for kind, number in _kinds(region).items()}
    said = [f"  {kind}: {message}" for kind, report in reports.items() for message in report.messages]
    with capsys.disabled():
        sys.stdout.write(
            f"\nHAPI FHIR {hapi.version} (R4 core, offline), each $everything Bundle:\n{_table(reports)}\n"
            + "".join(f"{line}\n" for line in said)
        )
    problems = {
        kind: [str(m) for m in report.of("error", "fatal", "warning")] for kind, report in reports.items()
    }
    assert not any(problems.values()), problems
    assert all(report.errors == report.warnings == 0 for report in reports.values())
    assert len(reports) == 18


def test_the_validator_is_not_silent_it_reports_what_is_wrong(hapi: FhirValidator) -> None:
    report = hapi.validate({"resourceType": "Flag", "status": "on fire", "subject": {"reference": "x"}})
    assert report.errors >= 2, report  # an unknown status code, and the required code missing
    assert any("Flag.status" in message.location for message in report.of("error"))


def test_the_patient_is_at_its_full_url_its_practice_named_from_the_register_and_every_resource_narrated(
    region: Region,
) -> None:
    nhs_number, _ = region.person(c.RecordAdvanceDecision(**ADRT))
    bundle = region.everything(nhs_number)
    patient_entry = bundle["entry"][0]
    assert patient_entry["fullUrl"] == f"http://testserver/fhir/Patient/{nhs_number}"
    assert bundle["link"] == [{"relation": "self", "url": f"{patient_entry['fullUrl']}/$everything"}]
    (practice,) = patient_entry["resource"]["generalPractitioner"]
    assert practice["display"] == "Meadow Lane Surgery"
    assert "GP practice: Meadow Lane Surgery." in patient_entry["resource"]["text"]["div"]
    for entry in bundle["entry"]:
        assert entry["resource"]["text"]["status"] == "generated"
        assert entry["resource"]["text"]["div"].startswith('<div xmlns="http://www.w3.org/1999/xhtml">')
    consent = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Consent")
    attachment = consent["sourceAttachment"]
    assert attachment["contentType"] == "text/plain; charset=utf-8"
    assert base64.b64decode(attachment["data"]).decode() == "The signed advance decision is held at: GP notes"
    read = region.client.get(
        patient_entry["fullUrl"].removeprefix("http://testserver"),
        headers={"authorization": f"Bearer {region.token}"},
    )
    assert read.status_code == 200, read.text
    assert read.json() == patient_entry["resource"]
    assert region.client.get(f"/fhir/Patient/{nhs_number}").status_code == 401
