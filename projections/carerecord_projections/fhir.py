"""The current plan as FHIR R4 resources, for provider systems: a pure mapping of one `current_plan` row.

Why here, in projections/, and not in graphql/: the mapping is a function of the read model's document alone, and
that document is shaped by `projector.py` in this package, so the two change together and are reviewed together.
It needs no transport and no FHIR library at runtime (it builds plain dicts; the tests validate every resource
with `fhir.resources.R4B`), so the HTTP route and the GraphQL field in graphql/, or any later transport, can use
it without reaching into another transport's code. Authorisation and the access audit are not done here: callers
map only a row that `carerecord_graphql.access.read_record` has already released.

Following the NHS Digital End of Life API (nhsconnect/FHIR-END-OF-LIFE-API) and UK Core identifiers:
- `Patient`: id and identifier are the NHS number (10 digits, no spaces, system `https://fhir.nhs.uk/Id/nhs-number`),
  as the Personal Demographics Service does;
- `Flag` per plan: the CPR status, coded in SNOMED CT (450476008 / 450475007), category advance-directive;
  period.start is when the decision was made, period.end the review date while the plan is active, or when it
  ended otherwise (revoked, superseded, closed after death);
- `CarePlan` per plan: the recommendations in plain language (CPR and every other treatment as activities, with
  doNotPerform for what is not recommended or not wanted), what matters to the person as a note;
- `Consent` per advance decision to refuse treatment (scope adr): provision deny for the refused treatments;
  inactive once withdrawn. CPR is coded as refused only when the decision meets the formal requirements for
  refusing life-sustaining treatment (Mental Capacity Act 2005 s25(5)-(6)); otherwise the text says it does not;
- `Practitioner` for each responsible or endorsing clinician, identified on their register (GMC, NMC, HCPC);
- `Organization` for each organisation caring for the person or making a plan, by ODS code.

Every entry but the Patient has a `urn:uuid:` fullUrl and references point at those, so the Bundle resolves on
its own and promises no server URL that would not answer. The Patient's fullUrl is its address on the FHIR server
that was asked (`<base>/Patient/<NHS number>`, which answers), so that it matches its id; the Bundle is a
searchset whose self link is the search that was made: the Patient is the match, everything else an include.
Organisations are named as the organisation register names them (an ODS code the register lacks is shown as the
code). Every resource carries a generated narrative (`fhir_narrative`), as FHIR asks (dom-6).
"""

from __future__ import annotations

from base64 import b64encode
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from carerecord_events.plain import SETTING_NAMES
from carerecord_events.record.facts import awaiting_senior_endorsement, in_force
from carerecord_events.roles import ROLES, Register
from carerecord_events.vocabulary import (
    CprRecommendation,
    FormType,
    ReasonCategory,
    Setting,
    TreatmentDecision,
)
from carerecord_projections.current_plan.queries import PlanRow
from carerecord_projections.fhir_narrative import with_narrative

SNOMED = "http://snomed.info/sct"
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
REGISTER_SYSTEMS = {
    Register.GMC: "https://fhir.hl7.org.uk/Id/gmc-number",
    Register.NMC: "https://fhir.hl7.org.uk/Id/nmc-number",
    Register.HCPC: "https://fhir.hl7.org.uk/Id/hcpc-number",
}
FLAG_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/flag-category"
CONSENT_SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentcategorycodes"
ADRT_LAW = "https://www.legislation.gov.uk/ukpga/2005/9/section/24"

CPR_DISPLAY = {
    CprRecommendation.ATTEMPT_CPR: "For attempted cardiopulmonary resuscitation",
    CprRecommendation.DO_NOT_ATTEMPT_CPR: "Not for attempted cardiopulmonary resuscitation",
}
CPR_PROCEDURE = {"system": SNOMED, "code": "89666000", "display": "Cardiopulmonary resuscitation"}
PLAN_CATEGORY = {
    FormType.RESPECT: {"system": SNOMED, "code": "736366004", "display": "Advance care plan"},
    FormType.DNACPR: {"system": SNOMED, "code": "736366004", "display": "Advance care plan"},
    FormType.TREATMENT_ESCALATION_PLAN: {
        "system": SNOMED,
        "code": "735324008",
        "display": "Treatment escalation plan",
    },
}
REASON_NAMES = {
    ReasonCategory.WOULD_NOT_SUCCEED: "CPR would not succeed",
    ReasonCategory.NOT_IN_BEST_INTERESTS: "CPR would not be in the person's best interests",
    ReasonCategory.PERSON_DECLINES: "the person declines CPR, or has a valid advance decision refusing it",
    ReasonCategory.CPR_RECOMMENDED: "CPR is recommended",
}
DECISION_NAMES = {
    TreatmentDecision.RECOMMENDED: "recommended",
    TreatmentDecision.NOT_RECOMMENDED: "not recommended",
    TreatmentDecision.NOT_WANTED: "not wanted by the person",
}

# The plan statuses of projector.py -> (Flag.status, CarePlan.status). A status this map does not know is never
# shown as in force: the Flag is inactive and the CarePlan's status unknown.
PLAN_STATUSES = {
    "active": ("active", "active"),
    "revoked": ("inactive", "revoked"),
    "superseded": ("inactive", "revoked"),
    "closed-after-death": ("inactive", "completed"),
    "entered-in-error": ("entered-in-error", "entered-in-error"),
}
UNKNOWN_STATUS = ("inactive", "unknown")

_REGISTER_BY_ROLE_LABEL = {definition.label: definition.register for definition in ROLES.values()}
_IDS = uuid5(NAMESPACE_URL, "urn:carerecord:fhir")


def plan_bundle(
    row: PlanRow,
    *,
    generated_at: datetime,
    fhir_base: str = "",
    organisation_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the record holds for one person's plans, as a FHIR R4 searchset Bundle, as asked of the FHIR
    server at `fhir_base` (e.g. `https://host/fhir`; empty: references relative to an unnamed server), with the
    register's name of each organisation in `organisation_names` (by ODS code)."""
    return _Bundle(row, fhir_base, organisation_names or {}).build(generated_at)


def organisation_codes(row: PlanRow) -> set[str]:
    """The ODS codes a Bundle of `row` names: whose names to look up in the organisation register."""
    document = row.document
    plans = document.get("plans", {}).values()
    return set(document.get("caring", {})) | {plan["organisation"] for plan in plans}


def patient_url(fhir_base: str, nhs_number: str) -> str:
    """The Patient's address on the FHIR server (relative without a base)."""
    return f"{fhir_base}/Patient/{nhs_number}" if fhir_base else f"Patient/{nhs_number}"


def operation_outcome(code: str, diagnostics: str, severity: str = "error") -> dict[str, Any]:
    """A FHIR OperationOutcome with one issue (`code` from the FHIR issue-type value set)."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


def _urn(value: UUID) -> str:
    return f"urn:uuid:{value}"


def _period(start: str | None, end: str | None) -> dict[str, str]:
    if start and end and len(end) == len("2026-01-01") < len(start) and start.startswith(end):
        # Ended on the day it started, given as a day (a death is recorded by its date): the start is given as
        # that day too, since a date-time and a date of the same day cannot be ordered (FHIR invariant per-1).
        start = end
    return {key: value for key, value in (("start", start), ("end", end)) if value}


class _Bundle:
    def __init__(self, row: PlanRow, fhir_base: str, organisation_names: Mapping[str, str]) -> None:
        self.row = row
        self.document = row.document
        self.address = patient_url(fhir_base, row.nhs_number)
        # A fullUrl is absolute: without a server, the Patient is a urn:uuid like every other entry.
        self.patient_url = self.address if fhir_base else _urn(row.record_id)
        self.names = organisation_names
        self.practitioners: dict[str, dict[str, Any]] = {}
        self.organisations: dict[str, dict[str, Any]] = {}
        self.died_on: str | None = (self.document.get("died") or {}).get("date")

    def build(self, generated_at: datetime) -> dict[str, Any]:
        entries = [self._entry(self.patient_url, self._patient(), "match")]
        plans = self.document.get("plans", {})
        entries += [self._entry(*self._flag(plan_id, plan)) for plan_id, plan in plans.items()]
        entries += [self._entry(*self._care_plan(plan_id, plan)) for plan_id, plan in plans.items()]
        entries += [
            self._entry(*self._consent(decision_id, decision))
            for decision_id, decision in self.document.get("advance_decisions", {}).items()
        ]
        entries += [self._entry(url, resource) for url, resource in self.practitioners.items()]
        entries += [self._entry(url, resource) for url, resource in self.organisations.items()]
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "timestamp": generated_at.isoformat(),
            "total": 1,
            "link": [{"relation": "self", "url": f"{self.address}/$everything"}],
            "entry": entries,
        }

    @staticmethod
    def _entry(url: str, resource: dict[str, Any], mode: str = "include") -> dict[str, Any]:
        return {"fullUrl": url, "resource": with_narrative(resource), "search": {"mode": mode}}

    def _subject(self) -> dict[str, str]:
        return {"reference": self.patient_url, "display": f"{self.row.given_name} {self.row.family_name}"}

    def _patient(self) -> dict[str, Any]:
        row = self.row
        names: list[dict[str, Any]] = [
            {"use": "official", "family": row.family_name, "given": [row.given_name]}
        ]
        if self.document.get("preferred_name"):
            names.append({"use": "usual", "given": [self.document["preferred_name"]]})
        patient: dict[str, Any] = {
            "resourceType": "Patient",
            "id": row.nhs_number,
            "meta": {"versionId": str(row.version)},
            "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": row.nhs_number}],
            "name": names,
            "birthDate": row.date_of_birth.isoformat(),
        }
        if self.died_on:
            patient["deceasedDateTime"] = self.died_on
        elif row.died:
            patient["deceasedBoolean"] = True
        if row.postcode:
            patient["address"] = [{"postalCode": row.postcode}]
        practices = []
        for ods, caring in self.document.get("caring", {}).items():
            reference = self._organisation(ods, Setting(caring["setting"]))
            if caring["setting"] == Setting.GP_PRACTICE.value:
                practices.append(reference)
        if practices:
            patient["generalPractitioner"] = practices
        return patient

    def _organisation(self, ods: str, setting: Setting) -> dict[str, str]:
        url = _urn(uuid5(_IDS, f"ods|{ods}"))
        name = self.names.get(ods)
        organisation: dict[str, Any] = {
            "resourceType": "Organization",
            "id": ods,
            "identifier": [{"system": ODS_SYSTEM, "value": ods}],
            "type": [{"text": SETTING_NAMES[setting]}],
        }
        if name:
            organisation["name"] = name
        self.organisations.setdefault(url, organisation)
        return {"reference": url, "display": name or ods}

    def _practitioner(self, clinician: dict[str, Any]) -> dict[str, str]:
        """A clinician as the document holds them: name, role label and registration number."""
        register = _REGISTER_BY_ROLE_LABEL.get(clinician["role"])
        registration = str(clinician["registration"]).strip().upper()
        key = f"{register.value}|{registration}" if register else f"name|{clinician['name']}"
        url = _urn(uuid5(_IDS, f"practitioner|{key}"))
        resource: dict[str, Any] = {"resourceType": "Practitioner", "name": [{"text": clinician["name"]}]}
        if register is not None and registration:
            resource["id"] = f"{register.value}-{registration}"
            resource["identifier"] = [{"system": REGISTER_SYSTEMS[register], "value": registration}]
        self.practitioners.setdefault(url, resource)
        return {"reference": url, "display": f"{clinician['name']} ({clinician['role']})"}

    def _statuses(self, plan: dict[str, Any]) -> tuple[str, str]:
        return PLAN_STATUSES.get(plan["status"], UNKNOWN_STATUS)

    def _ended(self, plan: dict[str, Any]) -> str | None:
        if in_force(plan["status"]):
            return None
        ended = plan.get("ended_at")
        if ended is None and plan["status"] == "closed-after-death":
            ended = self.died_on
        return str(ended) if ended else None

    def _flag(self, plan_id: str, plan: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        cpr = CprRecommendation(plan["cpr_code"])
        flag_status, _ = self._statuses(plan)
        end = plan.get("review_due") if in_force(plan["status"]) else self._ended(plan)
        resource = {
            "resourceType": "Flag",
            "id": str(uuid5(_IDS, f"flag|{plan_id}")),
            "status": flag_status,
            "category": [
                {
                    "coding": [
                        {
                            "system": FLAG_CATEGORY_SYSTEM,
                            "code": "advance-directive",
                            "display": "Advance Directive",
                        }
                    ]
                }
            ],
            "code": {
                "coding": [{"system": SNOMED, "code": cpr.value, "display": CPR_DISPLAY[cpr]}],
                "text": plan["cpr"],
            },
            "subject": self._subject(),
            "period": _period(plan["made_at"], end),
            "author": self._practitioner(plan["responsible_clinician"]),
        }
        return _urn(uuid5(_IDS, f"flag|{plan_id}")), resource

    def _care_plan(self, plan_id: str, plan: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        _, care_plan_status = self._statuses(plan)
        author = self._practitioner(plan["responsible_clinician"])
        contributors = [author]
        if plan.get("endorsed_by"):
            contributors.append(self._practitioner(plan["endorsed_by"]))
        contributors.append(self._organisation(plan["organisation"], Setting(plan["setting"])))
        resource: dict[str, Any] = {
            "resourceType": "CarePlan",
            "id": plan_id,
            "status": care_plan_status,
            "intent": "plan",
            "category": [{"coding": [PLAN_CATEGORY[FormType(plan["form_type"])]], "text": plan["form_name"]}],
            "title": plan["form_name"][0].upper() + plan["form_name"][1:],
            "description": plan["cpr"],
            "subject": self._subject(),
            "period": _period(plan["made_at"], self._ended(plan)),
            "created": plan["made_at"],
            "author": author,
            "contributor": contributors,
            "activity": [self._cpr_activity(plan)]
            + [self._other_activity(plan, item) for item in plan.get("other_recommendations", [])],
        }
        notes = self._notes(plan)
        if notes:
            resource["note"] = [{"text": text} for text in notes]
        return _urn(UUID(plan_id)), resource

    @staticmethod
    def _activity_status(plan: dict[str, Any]) -> str:
        if in_force(plan["status"]):
            return "not-started"  # a recommendation for an emergency that has not happened
        return "entered-in-error" if plan["status"] == "entered-in-error" else "cancelled"

    def _cpr_activity(self, plan: dict[str, Any]) -> dict[str, Any]:
        cpr = CprRecommendation(plan["cpr_code"])
        reason = REASON_NAMES[ReasonCategory(plan["reason_category"])]
        return {
            "detail": {
                "code": {"coding": [CPR_PROCEDURE], "text": "Cardiopulmonary resuscitation (CPR)"},
                "status": self._activity_status(plan),
                "doNotPerform": cpr is CprRecommendation.DO_NOT_ATTEMPT_CPR,
                "description": plan["cpr"],
                "reasonCode": [{"text": reason[0].upper() + reason[1:]}, {"text": plan["reasoning"]}],
            }
        }

    def _other_activity(self, plan: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
        decision = TreatmentDecision(item["decision"])
        detail: dict[str, Any] = {
            "code": {"text": item["treatment"]},
            "status": self._activity_status(plan),
            "doNotPerform": decision is not TreatmentDecision.RECOMMENDED,
            "description": f"{item['treatment']}: {DECISION_NAMES[decision]}.",
        }
        if item.get("reason"):
            detail["reasonCode"] = [{"text": item["reason"]}]
        return {"detail": detail}

    @staticmethod
    def _notes(plan: dict[str, Any]) -> list[str]:
        notes = []
        if plan.get("what_matters"):
            notes.append(f"What matters to the person: {plan['what_matters']}")
        involvement = plan["involvement"]
        if involvement["person_involved"]:
            notes.append("The person was involved in making this plan.")
        elif involvement.get("reason_person_not_involved"):
            notes.append(f"The person was not involved: {involvement['reason_person_not_involved']}")
        if involvement.get("consulted"):
            consulted = ", ".join(f"{p['name']} ({p['role']})" for p in involvement["consulted"])
            notes.append(f"Consulted: {consulted}.")
        if awaiting_senior_endorsement(
            plan["status"], bool(plan.get("needs_senior_endorsement")), bool(plan.get("endorsed_by"))
        ):
            notes.append("Awaiting endorsement by a senior clinician.")
        if plan.get("review_due"):
            notes.append(f"Review due by {plan['review_due']}.")
        elif plan.get("reason_no_review_date"):
            notes.append(f"No review date: {plan['reason_no_review_date']}")
        return notes

    def _consent(self, decision_id: str, decision: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        refused = decision["treatments_refused"]  # required text: the rules refuse an ADRT without it
        if decision["refuses_cpr"] and not decision["formally_valid_for_cpr"]:
            reasons = decision.get("reasons_not_valid_for_cpr") or [
                "it does not meet every legal requirement"
            ]
            refused += f". It also refuses CPR, but is not valid for refusing CPR: {'; '.join(reasons)}"
        codes: list[dict[str, Any]] = [{"text": refused}]
        if decision["refuses_cpr"] and decision["formally_valid_for_cpr"]:
            codes.append({"coding": [CPR_PROCEDURE], "text": "Cardiopulmonary resuscitation (CPR)"})
        resource: dict[str, Any] = {
            "resourceType": "Consent",
            "id": decision_id,
            "status": "inactive" if decision["withdrawn"] else "active",
            "scope": {
                "coding": [
                    {"system": CONSENT_SCOPE_SYSTEM, "code": "adr", "display": "Advanced Care Directive"}
                ]
            },
            "category": [
                {
                    "coding": [
                        {"system": CONSENT_CATEGORY_SYSTEM, "code": "acd", "display": "Advance Directive"}
                    ],
                    "text": "Advance decision to refuse treatment (ADRT)",
                }
            ],
            "patient": self._subject(),
            "dateTime": decision["made_on"],
            "policy": [{"authority": "https://www.legislation.gov.uk", "uri": ADRT_LAW}],
            "provision": {"type": "deny", "code": codes},
        }
        if decision.get("document_location"):
            resource["sourceAttachment"] = _where_held(decision["document_location"])
        return _urn(UUID(decision_id)), resource


def _where_held(location: str) -> dict[str, str]:
    """The signed document is held elsewhere (the record keeps where, not the document): the attachment is that
    statement, as plain text, so that a system that cannot read the title still has it."""
    statement = f"The signed advance decision is held at: {location}"
    return {
        "contentType": "text/plain; charset=utf-8",
        "language": "en-GB",
        "data": b64encode(statement.encode()).decode("ascii"),
        "title": f"Held at: {location}",
    }
