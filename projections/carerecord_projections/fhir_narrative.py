"""The human-readable narrative (`text`) of each FHIR resource carerecord gives out, made from the resource itself.

FHIR asks every resource to carry a narrative (invariant dom-6) so that a system that understands none of the
codes can still show a person what the resource says. Ours is generated (`status: generated`): it says exactly
what the coded elements say, in the same words (the plan's own sentences), and nothing more. Every value is
escaped, so free text (a reasoning, a name) can never become markup. The XHTML uses only the elements FHIR's
narrative allows (div, p, b, ul, li).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape
from typing import Any

XHTML = "http://www.w3.org/1999/xhtml"


def with_narrative(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource with its generated narrative, placed after id and meta as FHIR's JSON orders it."""
    describe = _DESCRIBERS.get(resource["resourceType"])
    if describe is None:
        return resource
    text = {"status": "generated", "div": _div(describe(resource))}
    head: dict[str, Any] = {k: resource[k] for k in ("resourceType", "id", "meta") if k in resource}
    rest = {key: value for key, value in resource.items() if key not in head and key != "text"}
    return {**head, "text": text, **rest}


def _div(parts: Iterable[str]) -> str:
    return f'<div xmlns="{XHTML}">{"".join(parts)}</div>'


def _p(*sentences: str | None) -> str:
    text = " ".join(escape(sentence) for sentence in sentences if sentence)
    return f"<p>{text}</p>" if text else ""


def _title(text: str) -> str:
    return f"<p><b>{escape(text)}</b></p>"


def _items(values: Iterable[str]) -> str:
    items = [f"<li>{escape(value)}</li>" for value in values if value]
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _period(period: dict[str, str] | None) -> str | None:
    if not period:
        return None
    start, end = period.get("start"), period.get("end")
    if start and end:
        return f"From {start} to {end}."
    return f"From {start}." if start else f"Until {end}."


def _codes(concepts: Iterable[dict[str, Any]]) -> list[str]:
    return [concept.get("text") or _coding_display(concept) for concept in concepts]


def _coding_display(concept: dict[str, Any]) -> str:
    return ", ".join(coding.get("display") or coding.get("code", "") for coding in concept.get("coding", []))


def _identifiers(resource: dict[str, Any], label: str) -> str | None:
    values = [identifier["value"] for identifier in resource.get("identifier", [])]
    return f"{label} {', '.join(values)}." if values else None


def _patient(patient: dict[str, Any]) -> list[str]:
    names = patient.get("name", [])
    official = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    full = " ".join([*official.get("given", []), official.get("family", "")]).strip()
    usual = [" ".join(n.get("given", [])) for n in names if n.get("use") == "usual"]
    if usual:
        full += f" (known as {usual[0]})"
    died = patient.get("deceasedDateTime")
    practices = [reference.get("display", "") for reference in patient.get("generalPractitioner", [])]
    return [
        _title(full),
        _p(
            _identifiers(patient, "NHS number"),
            f"Born {patient['birthDate']}." if patient.get("birthDate") else None,
            f"Died {died}." if died else ("Has died." if patient.get("deceasedBoolean") else None),
            f"Postcode {patient['address'][0]['postalCode']}." if patient.get("address") else None,
            f"GP practice: {', '.join(practices)}." if practices else None,
        ),
    ]


def _flag(flag: dict[str, Any]) -> list[str]:
    return [
        _title(flag["code"].get("text") or _coding_display(flag["code"])),
        _p(f"Status: {flag['status']}.", _period(flag.get("period"))),
    ]


def _care_plan(plan: dict[str, Any]) -> list[str]:
    activities = [activity["detail"].get("description", "") for activity in plan.get("activity", [])]
    return [
        _title(plan.get("title") or "Care plan"),
        _p(f"Status: {plan['status']}.", _period(plan.get("period"))),
        _p(plan.get("description")),
        _items(activities),
        _items(note["text"] for note in plan.get("note", [])),
    ]


def _consent(consent: dict[str, Any]) -> list[str]:
    category = _codes(consent.get("category", []))
    refused = _codes(consent.get("provision", {}).get("code", []))
    source = consent.get("sourceAttachment", {}).get("title")
    return [
        _title(category[0] if category else "Consent"),
        _p(
            f"Status: {consent['status']}.",
            f"Made on {consent['dateTime']}." if consent.get("dateTime") else None,
        ),
        _p("Refuses:"),
        _items(refused),
        _p(source),
    ]


def _practitioner(practitioner: dict[str, Any]) -> list[str]:
    names = [name.get("text", "") for name in practitioner.get("name", [])]
    return [_title(", ".join(names) or "Practitioner"), _p(_identifiers(practitioner, "Registration number"))]


def _organisation(organisation: dict[str, Any]) -> list[str]:
    kinds = _codes(organisation.get("type", []))
    return [
        _title(organisation.get("name") or organisation["id"]),
        _p(
            _identifiers(organisation, "ODS code"), f"{kinds[0][0].upper()}{kinds[0][1:]}." if kinds else None
        ),
    ]


def _related_person(related: dict[str, Any]) -> list[str]:
    """An emergency contact (ReSPECT section 8): name, relationship, telephone, the primary contact first."""
    names = [name.get("text", "") for name in related.get("name", [])]
    relationship = _codes(related.get("relationship", []))
    phones = related.get("telecom", [])
    primary = any(phone.get("rank") == 1 for phone in phones)
    return [
        _title(", ".join(names) or "Related person"),
        _p(
            f"{relationship[0][0].upper()}{relationship[0][1:]}."
            if relationship and relationship[0]
            else None,
            f"Telephone {', '.join(phone['value'] for phone in phones)}." if phones else None,
            "Primary contact." if primary else None,
        ),
    ]


_DESCRIBERS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "Patient": _patient,
    "Flag": _flag,
    "CarePlan": _care_plan,
    "Consent": _consent,
    "Practitioner": _practitioner,
    "Organization": _organisation,
    "RelatedPerson": _related_person,
}
