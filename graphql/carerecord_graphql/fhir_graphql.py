"""The record's FHIR R4 Bundle as GraphQL gives it: the Bundle itself as FHIR JSON, and what it holds, typed.

FHIR defines its resources itself (the R4 StructureDefinitions) and a FHIR client reads them with a FHIR
library, so the Bundle is given whole, as the text GET /fhir/Patient/{nhsNumber}/$everything answers, rather
than re-declared resource by resource in this schema; what a GraphQL client needs to find its way round it (which
resources, their addresses) is typed beside it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from carerecord_graphql.fhir_api import FhirResponse


@strawberry.type(description="One resource of the Bundle: its kind and its address.")
class FhirEntry:
    full_url: str = strawberry.field(description="The resource's address (the entry's `fullUrl`)")
    resource_type: str = strawberry.field(
        description="The resource's FHIR type: Patient, Flag, CarePlan, DetectedIssue, Consent, RelatedPerson, "
        "Practitioner or Organization"
    )
    id: str | None = strawberry.field(description="The resource's id (the last part of its address)")
    search_mode: str = strawberry.field(
        description="`match` for the Patient asked about, `include` for what comes with it"
    )


@strawberry.type(
    description="The record as a FHIR R4 searchset Bundle: the Bundle as FHIR JSON (`json`), and its entries "
    "typed, to find one's way round it."
)
class FhirBundle:
    document: strawberry.Private[dict[str, Any]]

    @strawberry.field(
        description="The Bundle as FHIR R4 JSON, exactly as GET /fhir/Patient/{nhsNumber}/$everything answers "
        "(application/fhir+json): read it with a FHIR library. FHIR defines its resources; this schema does "
        "not repeat them"
    )
    def json(self) -> str:
        return bytes(FhirResponse(self.document).body).decode()

    @strawberry.field(description="The Bundle's identifier: one per version of the record")
    def identifier(self) -> str:
        return str(self.document["identifier"]["value"])

    @strawberry.field(description="When the Bundle was made")
    def timestamp(self) -> datetime:
        return datetime.fromisoformat(self.document["timestamp"])

    @strawberry.field(description="The Bundle's own address (its `self` link)")
    def self_url(self) -> str:
        return str(next(link["url"] for link in self.document["link"] if link["relation"] == "self"))

    @strawberry.field(description="Every resource of the Bundle, the Patient first")
    def entries(self) -> list[FhirEntry]:
        return [
            FhirEntry(
                full_url=entry["fullUrl"],
                resource_type=entry["resource"]["resourceType"],
                id=entry["resource"].get("id"),
                search_mode=entry["search"]["mode"],
            )
            for entry in self.document["entry"]
        ]
