"""A FHIR Bundle taken in for a signed-in organisation: read (`carerecord_projections.fhir_in`), then taken in by
the intake use case (`carerecord_services.intake`: the same authorisation and rules as the GraphQL mutations),
every refusal answered as an OperationOutcome naming the rule (`details.coding`) and the element (`expression`),
and held for the sending organisation to correct (`held_submissions`). Used by `POST /fhir/Bundle` and by
`carerecord import`, so that the door and the migration decide alike.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from carerecord_projections.fhir_in import BundleRefused, InboundBundle, Issue, read_bundle
from carerecord_projections.held_submissions import HeldSubmissions
from carerecord_services.changes import ChangeRefused
from carerecord_services.errors import DomainError, NotPermitted
from carerecord_services.identifiers import canonical_nhs_number
from carerecord_services.intake import Intake, IntakeResult, PlanToTakeIn, StatedRelationship, Submission
from carerecord_services.read_access import Reader

RULE_SYSTEM = "https://carerecord.nhs.uk/CodeSystem/refusal-rule"


@dataclass
class TakenIn:
    """What happened to one Bundle: the HTTP status and OperationOutcome to answer, and what was recorded."""

    status: int
    issues: list[Issue] = field(default_factory=list)
    result: IntakeResult | None = None
    held: bool = False

    @property
    def outcome(self) -> dict[str, Any]:
        return outcome_of(self.issues, "error" if self.status >= 400 else "information")


def outcome_of(issues: list[Issue], severity: str) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "warning" if issue.rule in ("not-taken-in", "plan-not-in-force") else severity,
                "code": _code(issue.rule),
                "details": {"coding": [{"system": RULE_SYSTEM, "code": issue.rule}], "text": issue.message},
                "diagnostics": f"{issue.rule}: {issue.message}",
                "expression": [issue.expression],
            }
            for issue in issues
        ],
    }


def _code(rule: str) -> str:
    if rule in (NotPermitted.rule, "no-care-relationship"):
        return "forbidden"
    if rule in ("taken-in", "already-taken-in"):
        return "informational"
    return "processing" if rule not in ("invalid-input", "invalid-identifier") else "invalid"


class BundleIntake:
    def __init__(self, intake: Intake, held: HeldSubmissions | None, clock: Callable[[], datetime]) -> None:
        self._intake, self._held, self._clock = intake, held, clock

    def take_in(
        self, reader: Reader, bundle: Any, relationship: StatedRelationship | None, via: str
    ) -> TakenIn:
        organisation = reader.actor.organisation
        try:
            self._intake.check_sender(reader)
        except NotPermitted as refused:
            return TakenIn(403, [Issue(refused.rule, "Bundle", refused.message)])
        try:
            inbound = read_bundle(bundle)
            submission = _submission(inbound, organisation, relationship, via)
        except BundleRefused as refused:
            return self._hold(organisation, bundle, TakenIn(422, refused.issues))
        try:
            result = self._intake.take_in(reader, submission)
        except NotPermitted as refused:
            return TakenIn(403, [Issue(refused.rule, "Bundle", refused.message)])
        except ChangeRefused as refused:
            return self._hold(
                organisation, bundle, TakenIn(403, [Issue("no-care-relationship", "Bundle", refused.message)])
            )
        except DomainError as refused:  # the Patient: registering the person was refused
            expression = f"{inbound.patient_expression}"
            return self._hold(
                organisation, bundle, TakenIn(422, [Issue(refused.rule, expression, refused.message)])
            )
        return self._answer(organisation, bundle, inbound, result)

    def _answer(
        self, organisation: str, bundle: Any, inbound: InboundBundle, result: IntakeResult
    ) -> TakenIn:
        plans = {plan.key: plan for plan in inbound.plans}
        issues = [
            Issue(
                "already-taken-in" if outcome.replayed else "taken-in",
                plans[key].elements["plan"],
                "taken in",
            )
            for key, outcome in result.taken_in
        ]
        refusals = [
            Issue(
                refused.refusal.rule,
                plans[refused.key].expression(refused.refusal.field),
                refused.refusal.message,
            )
            for refused in result.refused
        ]
        answer = TakenIn(
            422 if refusals else (200 if result.recorded_nothing_new else 201), refusals + issues, result
        )
        answer.issues += list(inbound.not_taken_in)
        if refusals:
            return self._hold(organisation, bundle, answer)
        if self._held is not None:
            self._held.corrected(organisation, inbound.identifier, self._clock())
        return answer

    def _hold(self, organisation: str, bundle: Any, answer: TakenIn) -> TakenIn:
        if self._held is not None:
            reasons = [
                {"rule": i.rule, "expression": i.expression, "message": i.message} for i in answer.issues
            ]
            self._held.hold(organisation, _identifier(bundle), reasons, _document(bundle), self._clock())
            answer.held = True
        return answer


def _submission(
    inbound: InboundBundle, organisation: str, relationship: StatedRelationship | None, via: str
) -> Submission:
    issues = []
    try:
        nhs_number = canonical_nhs_number(inbound.person.nhs_number, field="nhs_number")
    except DomainError as malformed:
        issues.append(Issue(malformed.rule, f"{inbound.patient_expression}.identifier", malformed.message))
        nhs_number = inbound.person.nhs_number
    for plan in inbound.plans:
        if plan.organisation not in (None, organisation):
            issues.append(
                Issue(
                    "plan-from-another-organisation",
                    plan.elements.get("organisation", plan.elements["plan"]),
                    f"an organisation sends its own plans: this one was made by {plan.organisation}",
                )
            )
    if issues:
        raise BundleRefused(issues)
    return Submission(
        identifier=inbound.identifier,
        taken_in_from=f"{via} (Bundle {inbound.identifier})",
        person=replace(inbound.person, nhs_number=nhs_number),
        plans=tuple(
            PlanToTakeIn(p.key, p.content, p.responsible_clinician, p.made_at, p.fingerprint)
            for p in inbound.plans
        ),
        relationship=relationship,
    )


def _identifier(bundle: Any) -> str:
    identifier = bundle.get("identifier") if isinstance(bundle, dict) else None
    if isinstance(identifier, dict) and identifier.get("system") and identifier.get("value"):
        return f"{identifier['system']}|{identifier['value']}"
    return "sha256:" + hashlib.sha256(json.dumps(bundle, sort_keys=True, default=str).encode()).hexdigest()


def _document(bundle: Any) -> dict[str, Any]:
    return bundle if isinstance(bundle, dict) else {"sent": bundle}
