"""Bundles as a provider system sends them: the FHIR view of a current-plan document (the shape projector.py
writes), so that what is posted in is exactly what the view produces."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

from carerecord_projections.current_plan.queries import PlanRow
from carerecord_projections.fhir import plan_bundle
from tests.unit.test_fhir_view import plan


def bundle_for(
    nhs_number: str,
    *,
    organisation: str = "K81003",
    identifier: str | None = None,
    **plan_fields: Any,
) -> dict[str, Any]:
    """A Bundle with one Patient and one plan in force, made by `organisation`."""
    document = {
        "preferred_name": None,
        "caring": {
            organisation: {"setting": "gp-practice", "setting_name": "GP practice", "since": "2026-10-01"}
        },
        "advance_decisions": {},
        "plans": {str(uuid4()): plan(organisation=organisation, **plan_fields)},
    }
    row = PlanRow(uuid4(), nhs_number, "Ada", "Matrix", date(1940, 1, 1), "NG1 1AA", False, 3, 3, document)
    bundle = plan_bundle(row, generated_at=datetime.now(UTC))
    if identifier is not None:
        bundle["identifier"]["value"] = identifier
    return bundle
