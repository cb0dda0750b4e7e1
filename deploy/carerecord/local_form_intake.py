"""A region's own forms moved in: one filled-in local form a line (NDJSON), mapped by the mapping an administrator
loaded (`carerecord forms load`) into the canonical plan, then taken in exactly as a FHIR Bundle's plans are (the
intake use case: the same authorisation, registration from the person's details, stated care relationship, rules
and idempotency on the document's identifier). A line is:

    {"identifier": "nuh-tep|000123", "completed_at": "2026-10-01T09:30:00+00:00",
     "patient": {"nhs_number": "9434765919", "given_name": "Mary", "family_name": "Hale",
                 "date_of_birth": "1938-04-02", "postcode": "NG7 2UH"},
     "responsible_clinician": {"name": "Dr Grey", "role": "gp", "registration": "2345678"},
     "fields": {"Resuscitation status": "Not for CPR", ...}}

A document that does not fit its mapping is refused naming the form's field (`document.Resuscitation status`),
and so is a plan the rules refuse, by the form's field its mapping put there when it has one.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from carerecord_events.base import Clinician
from carerecord_events.people import PersonDetails
from carerecord_events.plans import RecommendationContent
from carerecord_events.roles import Role
from carerecord_graphql.fhir_intake import TakenIn
from carerecord_projections.fhir_in import Issue
from carerecord_services.changes import ChangeRefused
from carerecord_services.errors import DomainError, NotPermitted
from carerecord_services.identifiers import canonical_nhs_number
from carerecord_services.intake import Intake, PlanToTakeIn, StatedRelationship, Submission
from carerecord_services.local_forms import LocalFormMapping
from carerecord_services.read_access import Reader

KEY = "document"


class _Malformed(Exception):
    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where, self.message = where, message


class LocalFormIntake:
    """Takes in filled-in forms of one local form; answers as `BundleIntake` does, so that `import_ndjson`
    counts, reports and resumes them alike. Not held in the FHIR held queue (it holds Bundles): the report is
    the list to correct, and a corrected file sent again takes in only what was not taken in."""

    def __init__(self, intake: Intake, mapping: LocalFormMapping) -> None:
        self._intake, self._mapping = intake, mapping

    def take_in(
        self, reader: Reader, document: Any, relationship: StatedRelationship | None, via: str
    ) -> TakenIn:
        try:
            self._intake.check_sender(reader)
        except NotPermitted as refused:
            return TakenIn(403, [Issue(refused.rule, "document", refused.message)])
        try:
            submission = self._submission(reader, document, relationship, via)
        except _Malformed as problem:
            return TakenIn(422, [Issue("invalid-input", problem.where, problem.message)])
        except DomainError as refused:  # the form does not fit its mapping
            return TakenIn(422, [Issue(refused.rule, refused.field or "document", refused.message)])
        try:
            result = self._intake.take_in(reader, submission)
        except NotPermitted as refused:
            return TakenIn(403, [Issue(refused.rule, "document", refused.message)])
        except ChangeRefused as refused:
            return TakenIn(403, [Issue("no-care-relationship", "document", refused.message)])
        except DomainError as refused:  # registering the person was refused
            return TakenIn(422, [Issue(refused.rule, "document.patient", refused.message)])
        refusals = [
            Issue(each.refusal.rule, self._field_of(each.refusal.field), each.refusal.message)
            for each in result.refused
        ]
        if refusals:
            return TakenIn(422, refusals, result)
        return TakenIn(200 if result.recorded_nothing_new else 201, [], result)

    def _submission(
        self, reader: Reader, document: Any, relationship: StatedRelationship | None, via: str
    ) -> Submission:
        if not isinstance(document, dict):
            raise _Malformed("document", "each line is a JSON object: a filled-in form")
        identifier = document.get("identifier")
        if not isinstance(identifier, str) or not identifier.strip():
            raise _Malformed("document.identifier", "a document needs its identifier in the sending system")
        fields = document.get("fields")
        if not isinstance(fields, dict) or not fields:
            raise _Malformed("document.fields", "the form's fields, label: answer")
        made = self._mapping.recommendation(
            {str(label): str(answer) for label, answer in fields.items()},
            actor=reader.actor,
            responsible_clinician=_clinician(document.get("responsible_clinician")),
            occurred_at=_when(document.get("completed_at")),
        )
        assert made.responsible_clinician is not None
        plan = PlanToTakeIn(
            KEY,
            RecommendationContent(**{name: getattr(made, name) for name in _CONTENT}),
            made.responsible_clinician,
            made.occurred_at,
            hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest(),
        )
        return Submission(
            identifier=f"{self._mapping.name}|{identifier}",
            taken_in_from=f"{via} ({self._mapping.title}, document {identifier})",
            person=_person(document.get("patient")),
            plans=(plan,),
            relationship=relationship,
        )

    def _field_of(self, field: str | None) -> str:
        """The form's field a refused canonical field came from, when the mapping names one."""
        name = field or ""
        for label, mapped in self._mapping.fields.items():
            if mapped.to and (name == mapped.to or name.startswith(f"{mapped.to}.")):
                return f"document.{label}"
        return f"document (the plan's {name})" if name else "document"


def lane_key(document: Any) -> str | None:
    """The person a document is about (their NHS number's digits), so that one person's documents go in order."""
    patient = document.get("patient") if isinstance(document, dict) else None
    number = patient.get("nhs_number") if isinstance(patient, dict) else None
    return "".join(ch for ch in str(number) if ch in "0123456789") if number else None


def identifier_of(document: Any) -> str | None:
    value = document.get("identifier") if isinstance(document, dict) else None
    return str(value) if value is not None else None


_CONTENT = tuple(RecommendationContent.__dataclass_fields__)


def _person(patient: Any) -> PersonDetails:
    where = "document.patient"
    if not isinstance(patient, dict):
        raise _Malformed(where, "the person's details: nhs_number, given_name, family_name, date_of_birth")
    texts = {}
    for name in ("nhs_number", "given_name", "family_name"):
        value = patient.get(name)
        if not isinstance(value, str) or not value.strip():
            raise _Malformed(f"{where}.{name}", "text is required here")
        texts[name] = value
    try:
        born = date.fromisoformat(str(patient.get("date_of_birth")))
    except ValueError:
        raise _Malformed(f"{where}.date_of_birth", "a date of birth as YYYY-MM-DD") from None
    try:
        number = canonical_nhs_number(texts["nhs_number"], field="nhs_number")
    except DomainError as malformed:
        raise _Malformed(f"{where}.nhs_number", malformed.message) from None
    return PersonDetails(
        nhs_number=number,
        given_name=texts["given_name"],
        family_name=texts["family_name"],
        date_of_birth=born,
        preferred_name=_optional(patient, "preferred_name"),
        postcode=_optional(patient, "postcode"),
    )


def _optional(patient: dict[str, Any], name: str) -> str | None:
    value = patient.get(name)
    return value if isinstance(value, str) and value.strip() else None


def _clinician(given: Any) -> Clinician:
    where = "document.responsible_clinician"
    if not isinstance(given, dict) or not isinstance(given.get("name"), str) or not given["name"].strip():
        raise _Malformed(where, "the responsible clinician: name, role, registration")
    role = next((r for r in Role if given.get("role") in (r.value, r.name)), None)
    if role is None:
        raise _Malformed(f"{where}.role", "not a role the record knows")
    return Clinician(name=given["name"], role=role, registration=str(given.get("registration") or ""))


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise _Malformed("document.completed_at", "when the form was completed: a date-time with its zone")
    return when
