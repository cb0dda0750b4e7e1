"""Checks every FHIR Bundle the record gives out: valid R4 (fhir.resources), and our own coded values."""

from __future__ import annotations

import re
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from carerecord_projections.fhir import (
    NHS_NUMBER_SYSTEM,
    ODS_SYSTEM,
    PLAN_CONFLICT_SYSTEM,
    REGISTER_SYSTEMS,
    SNOMED,
)

CPR_CODES = {"450475007", "450476008"}
PLAN_CONFLICT_CODES = {
    "more-than-one-plan-in-force",
    "cpr-recommendations-disagree",
    "cpr-recommended-despite-advance-decision",
}


def validated(bundle: dict[str, Any]) -> dict[str, Any]:
    """The bundle, after fhir.resources has parsed it as R4 and our own checks have passed."""
    Bundle.model_validate(
        bundle
    )  # raises on any element R4 does not have, a missing required one, a bad type
    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(urls) == len(set(urls)), "every entry has its own fullUrl"
    for reference in _references(bundle):
        assert reference in urls, f"{reference} does not resolve inside the bundle"
    for patient in resources(bundle, "Patient"):
        (identifier,) = patient["identifier"]
        assert identifier["system"] == NHS_NUMBER_SYSTEM
        assert re.fullmatch(r"\d{10}", identifier["value"]), "NHS number: ten digits, no spaces"
        assert patient["id"] == identifier["value"]
    for flag in resources(bundle, "Flag"):
        (coding,) = flag["code"]["coding"]
        (category,) = flag["category"][0]["coding"]
        if category["code"] == "clinical":  # conflicting plans
            assert coding["system"] == PLAN_CONFLICT_SYSTEM and coding["code"] in PLAN_CONFLICT_CODES
        else:
            assert category["code"] == "advance-directive"
            assert coding["system"] == SNOMED and coding["code"] in CPR_CODES
        assert flag["status"] in {"active", "inactive", "entered-in-error"}
    for plan in resources(bundle, "CarePlan"):
        assert plan["intent"] == "plan"
        assert plan["status"] in {"active", "revoked", "completed", "entered-in-error", "unknown"}
    for consent in resources(bundle, "Consent"):
        assert consent["scope"]["coding"][0]["code"] == "adr"
        assert consent["status"] in {"active", "inactive"}
        assert consent["provision"]["type"] == "deny"
        assert consent.get("policy") or consent.get("policyRule"), "R4 invariant ppc-1"
    for practitioner in resources(bundle, "Practitioner"):
        for identifier in practitioner.get("identifier", []):
            assert identifier["system"] in REGISTER_SYSTEMS.values()
    for organisation in resources(bundle, "Organization"):
        (identifier,) = organisation["identifier"]
        assert identifier["system"] == ODS_SYSTEM
        assert re.fullmatch(r"[A-Z0-9]{3,9}", identifier["value"])
    return bundle


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == kind]


def one(bundle: dict[str, Any], kind: str) -> dict[str, Any]:
    (resource,) = resources(bundle, kind)
    return resource


def by_reference(bundle: dict[str, Any], reference: dict[str, str]) -> dict[str, Any]:
    return next(e["resource"] for e in bundle["entry"] if e["fullUrl"] == reference["reference"])


def _references(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [ref for item in value.values() for ref in _references(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in _references(item)]
    return []
