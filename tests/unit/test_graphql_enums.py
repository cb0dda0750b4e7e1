"""A coded value reads back as the enum it is sent as, with its words beside it (issue 15 item 6)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import pytest
import strawberry

from carerecord_events import plain, vocabulary
from carerecord_graphql.schema import build_schema
from carerecord_graphql.types import PlanView
from carerecord_projections.current_plan import view

# Output fields that are still strings although their values are coded, each with why. Empty it as they go.

# Fields whose names inputs give an enum elsewhere, but which hold words: free text or a label already.
WORDS = {
    ("ClinicianView", "role"),  # their professional role as the form gives it (such as general practitioner)
    ("EmergencyContactView", "role"),  # their role or relationship to the person, in words
    ("PersonInvolved", "role"),  # the role or relationship they took part in, in words
    ("SignatureView", "role"),  # the signing clinician's role, as its label
    ("TreatmentRecommendationView", "treatment"),  # a treatment the plan names, in the clinician's words
}

# Output names that carry a code wherever they appear, beyond the names inputs give an enum.
CODED_NAMES = {"status", "code", "kind", "outcome", "finding", "level", "decision", "recordedByRole"}

INTROSPECTION = """{ __schema { types { name kind
  fields { name type { ...T } }
  inputFields { name type { ...T } } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"""


def _named(type_: dict[str, Any]) -> dict[str, Any]:
    while type_.get("ofType"):
        type_ = type_["ofType"]
    return type_


@pytest.fixture(scope="module")
def types() -> list[dict[str, Any]]:
    result = build_schema().execute_sync(INTROSPECTION)
    assert result.errors is None
    assert result.data is not None
    found: list[dict[str, Any]] = result.data["__schema"]["types"]
    return found


def _coded_names(types: list[dict[str, Any]]) -> set[str]:
    """The field names an input gives an enum (formType, cpr, setting, role, ...), and the CODED_NAMES."""
    names = {
        field["name"]
        for type_ in types
        if type_["kind"] == "INPUT_OBJECT"
        for field in type_["inputFields"]
        if _named(field["type"])["kind"] == "ENUM"
    }
    return names | CODED_NAMES


def test_every_output_field_of_a_coded_vocabulary_is_an_enum(types: list[dict[str, Any]]) -> None:
    coded = _coded_names(types)
    assert {"formType", "cpr", "setting", "reasonCategory", "route", "role"} <= coded
    strings = {
        (type_["name"], field["name"])
        for type_ in types
        if type_["kind"] == "OBJECT" and not type_["name"].startswith("__")
        for field in type_["fields"]
        if field["name"] in coded and _named(field["type"])["name"] == "String"
    }
    strings -= WORDS
    assert strings == set(), "coded values shown as strings: type them with their enum"


def test_every_enum_output_field_has_its_label_beside_it(types: list[dict[str, Any]]) -> None:
    missing = []
    for type_ in types:
        if (
            type_["kind"] != "OBJECT"
            or type_["name"].startswith("__")
            or type_["name"] in ("Query", "Mutation")
        ):
            continue
        fields = {field["name"]: field for field in type_["fields"]}
        for name, field in fields.items():
            if _named(field["type"])["kind"] == "ENUM" and f"{name}Label" not in fields:
                missing.append(f"{type_['name']}.{name}")
    # RecordAsOf.clock is the question's own argument, echoed
    assert missing == ["RecordAsOf.clock"]


def test_the_current_plan_reads_back_the_enums_it_was_sent_as() -> None:
    coded = {
        field.name
        for field in view.PlanView.__dataclass_fields__.values()
        if isinstance(field.type, str) and field.type in vars(vocabulary)
    }
    assert {"status", "form_type", "cpr", "reason_category", "setting"} <= coded


def _plan_document() -> dict[str, Any]:
    return {
        "status": "active",
        "form_type": "dnacpr",
        "cpr_code": vocabulary.CprRecommendation.DO_NOT_ATTEMPT_CPR.value,
        "reason_category": "cpr-would-not-succeed",
        "reasoning": "Advanced heart failure; CPR would not restart the heart.",
        "organisation": "K82099",
        "setting": "gp-practice",
        "involvement": {
            "route": "A",
            "person_involved": True,
            "consulted": [],
            "reason_person_not_involved": "",
            "reason_no_one_consulted": "",
        },
        "responsible_clinician": {"name": "Dr Grey", "role": "gp", "registration": "2345678"},
        "made_at": "2026-11-01T10:00:00+00:00",
        "needs_senior_endorsement": False,
        "other_recommendations": [{"treatment": "antibiotics", "decision": "recommended", "reason": ""}],
        "reviews": [
            {
                "at": "2026-11-20T10:00:00+00:00",
                "by": {"name": "Dr Grey", "role": "gp", "registration": "2345678"},
                "outcome": "confirmed",
                "notes": "",
                "person_involved": True,
            }
        ],
    }


PLAN_FIELDS = """cpr cprLabel cprCode formType formTypeLabel status statusLabel reasonCategory reasonCategoryLabel
  setting settingLabel involvement { route routeLabel }
  otherRecommendations { decision decisionLabel } reviews { outcome outcomeLabel }"""


def test_each_label_is_the_plain_language_wording_of_its_code() -> None:
    plan = view.plan_view(uuid4(), str(uuid4()), _plan_document(), date(2026, 12, 1))
    shown = _shown(plan)
    assert shown["cpr"] == "DO_NOT_ATTEMPT_CPR"
    assert shown["cprLabel"] == plain.describe_cpr(vocabulary.CprRecommendation.DO_NOT_ATTEMPT_CPR)
    assert shown["cprCode"] == "450476008"
    assert (shown["formType"], shown["formTypeLabel"]) == (
        "DNACPR",
        plain.FORM_NAMES[vocabulary.FormType.DNACPR],
    )
    assert (shown["status"], shown["statusLabel"]) == ("ACTIVE", "in force")
    assert shown["reasonCategory"] == "WOULD_NOT_SUCCEED"
    assert shown["reasonCategoryLabel"] == "CPR would not succeed"
    assert (shown["setting"], shown["settingLabel"]) == ("GP_PRACTICE", "GP practice")
    assert shown["involvement"] == {
        "route": "A_PERSON_WITH_CAPACITY",
        "routeLabel": plain.INVOLVEMENT_ROUTE_NAMES[vocabulary.InvolvementRoute.A_PERSON_WITH_CAPACITY],
    }
    assert shown["otherRecommendations"] == [{"decision": "RECOMMENDED", "decisionLabel": "recommended"}]
    assert shown["reviews"] == [{"outcome": "CONFIRMED", "outcomeLabel": "the plan stands as it is"}]


@strawberry.type(description="The plan under test, as every resolver returning a plan gives it")
class Probe:
    shown: strawberry.Private[view.PlanView]

    @strawberry.field(description="The plan")
    def plan(self) -> PlanView:
        return self.shown


def _shown(plan: view.PlanView) -> dict[str, Any]:
    result = strawberry.Schema(query=Probe).execute_sync(
        "{ plan { " + PLAN_FIELDS + " } }", root_value=Probe(shown=plan)
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    found: dict[str, Any] = result.data["plan"]
    return found


@pytest.mark.parametrize("vocabulary_class", sorted(plain.LABELS, key=lambda cls: cls.__name__))
def test_every_code_of_a_labelled_vocabulary_has_words(vocabulary_class: type) -> None:
    assert all(plain.label(member).strip() for member in vocabulary_class)
