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
  doNotPerform for what is not recommended or not wanted), what matters to the person as a note; what only its
  kind of form holds in notes for people and, typed, in the plan-details extension for systems (`fhir_parts`),
  so that a Bundle taken back in (`fhir_in`) makes the same plan;
- `Consent` per advance decision to refuse treatment (scope adr): provision deny for the refused treatments;
  inactive once withdrawn. CPR is coded as refused only when the decision meets the formal requirements for
  refusing life-sustaining treatment (Mental Capacity Act 2005 s25(5)-(6)); otherwise the text says it does not;
- `Flag` per conflict between the plans in force (more than one in force, CPR recommendations that disagree, CPR
  recommended beside a valid advance decision refusing it: the document's `plan_conflicts`), category clinical,
  coded in carerecord's own code system, the text saying what to do;
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

from carerecord_events.plain import (
    CLINICAL_FOCUS_SCALE,
    DOCUMENT_KIND_NAMES,
    ESCALATION_LEVEL_NAMES,
    LIMITED_TREATMENT_NAMES,
    PLAN_CONFLICT_NAMES,
    REASON_NAMES,
    SETTING_NAMES,
    TREATMENT_DECISION_NAMES,
    WHAT_MATTERS_SCALE,
    describe_scale,
)
from carerecord_events.plans import DnacprForm, EscalationPlan, LocalFormSource, RespectSections
from carerecord_events.record.facts import awaiting_senior_endorsement, in_force
from carerecord_events.roles import ROLES, Register, Role
from carerecord_events.vocabulary import (
    CarePlanningDocumentKind,
    CprRecommendation,
    EscalationLevel,
    FormType,
    LimitedTreatment,
    PlanConflict,
    ReasonCategory,
    Setting,
    TreatmentDecision,
)
from carerecord_projections.current_plan.queries import PlanRow
from carerecord_projections.fhir_narrative import with_narrative
from carerecord_projections.fhir_parts import extension_name, part_extensions

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
PLAN_CONFLICT_SYSTEM = "https://carerecord.example.nhs.uk/CodeSystem/plan-conflict"
ADRT_LAW = "https://www.legislation.gov.uk/ukpga/2005/9/section/24"
BUNDLE_ID_SYSTEM = "https://carerecord.nhs.uk/Id/plan-bundle"
# What a plan holds that no standard element of the CarePlan carries (ReSPECT section 6's route, the reasons
# given for no one consulted or no review date): one extension, so that the Bundle can be taken back in whole.
PLAN_EXTENSION = "https://carerecord.nhs.uk/fhir/StructureDefinition/plan-details"
WHAT_MATTERS_NOTE = "What matters to the person: "
LIMIT_DESCRIPTION = "Limit of treatment: "
"""How the description of a treatment escalation plan's limit activity begins: the limits themselves are taken
back in from the plan-details extension, and an activity so described is not another recommendation."""

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
PHONE_SYSTEM = "phone"
DECISION_NAMES = TREATMENT_DECISION_NAMES

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


def _plan_details(plan: dict[str, Any]) -> dict[str, Any]:
    involvement = plan["involvement"]
    parts: list[dict[str, Any]] = [
        {"url": "involvementRoute", "valueCode": involvement["route"]},
        {"url": "personInvolved", "valueBoolean": involvement["person_involved"]},
    ]
    parts += [
        {
            "url": "consulted",
            "extension": [
                {"url": "name", "valueString": person["name"]},
                {"url": "role", "valueString": person["role"]},
            ],
        }
        for person in involvement.get("consulted", [])
    ]
    texts = (
        ("reasonPersonNotInvolved", involvement.get("reason_person_not_involved")),
        ("reasonNoOneConsulted", involvement.get("reason_no_one_consulted")),
        ("reasonNoReviewDate", plan.get("reason_no_review_date")),
    )
    parts += [{"url": url, "valueString": text} for url, text in texts if text]
    if plan.get("review_due"):
        parts.append({"url": "reviewDue", "valueDate": plan["review_due"]})
    return {"url": PLAN_EXTENSION, "extension": parts + _form_details(plan)}


FORM_PARTS: dict[str, type] = {
    "respect": RespectSections,
    "escalation": EscalationPlan,
    "dnacpr": DnacprForm,
    "local_form": LocalFormSource,
}
"""What only a plan's kind of form holds, by its key in the plan's document: each written whole, typed, as a
sub-extension of the plan-details extension (`fhir_parts`), beside the notes that say it in words."""


def _form_details(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """The form's version, when and where the plan was discussed (section 6), and the form's own part."""
    involvement = plan["involvement"]
    texts = (
        # the setting the plan was made in: the Organization's type is where it cares for the person first, and
        # one organisation can make plans in more than one setting (a trust's hospital and its community teams)
        ("setting", "valueCode", plan.get("setting")),
        ("formVersion", "valueString", plan.get("form_version")),
        ("discussedOn", "valueDate", involvement.get("discussed_on")),
        ("discussionRecordLocation", "valueString", involvement.get("discussion_record_location")),
    )
    parts: list[dict[str, Any]] = [{"url": url, key: value} for url, key, value in texts if value]
    for key, part in FORM_PARTS.items():
        if plan.get(key):
            inner = part_extensions(part, plan[key])
            if inner:
                parts.append({"url": extension_name(key), "extension": inner})
    return parts


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
        self.related_people: dict[str, dict[str, Any]] = {}
        self.died_on: str | None = (self.document.get("died") or {}).get("date")

    def build(self, generated_at: datetime) -> dict[str, Any]:
        entries = [self._entry(self.patient_url, self._patient(), "match")]
        plans = self.document.get("plans", {})
        entries += [self._entry(*self._flag(plan_id, plan)) for plan_id, plan in plans.items()]
        entries += [self._entry(*self._care_plan(plan_id, plan)) for plan_id, plan in plans.items()]
        entries += [self._entry(*self._conflict(c)) for c in self.document.get("plan_conflicts", [])]
        entries += [
            self._entry(*self._consent(decision_id, decision))
            for decision_id, decision in self.document.get("advance_decisions", {}).items()
        ]
        entries += [self._entry(url, resource) for url, resource in self.related_people.items()]
        entries += [self._entry(url, resource) for url, resource in self.practitioners.items()]
        entries += [self._entry(url, resource) for url, resource in self.organisations.items()]
        return {
            "resourceType": "Bundle",
            # one identifier per version of the record: the same Bundle posted back in is taken in once
            "identifier": {
                "system": BUNDLE_ID_SYSTEM,
                "value": str(uuid5(_IDS, f"bundle|{self.row.record_id}|{self.row.version}")),
            },
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

    def _conflict(self, conflict: dict[str, str]) -> tuple[str, dict[str, Any]]:
        """A warning that the plans in force cannot all be followed as they stand."""
        identifier = uuid5(_IDS, f"conflict|{self.row.record_id}|{conflict['code']}")
        resource = {
            "resourceType": "Flag",
            "id": str(identifier),
            "status": "active",
            "category": [
                {
                    "coding": [{"system": FLAG_CATEGORY_SYSTEM, "code": "clinical", "display": "Clinical"}],
                    "text": "Conflicting plans",
                }
            ],
            "code": {
                "coding": [{"system": PLAN_CONFLICT_SYSTEM, "code": conflict["code"]}],
                "text": conflict["description"],
            },
            "subject": self._subject(),
        }
        return _urn(identifier), resource

    def _care_plan(self, plan_id: str, plan: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        _, care_plan_status = self._statuses(plan)
        author = self._practitioner(plan["responsible_clinician"])
        contributors = [author]
        if plan.get("endorsed_by"):
            contributors.append(self._practitioner(plan["endorsed_by"]))
        contributors += [self._practitioner(signature) for signature in _signatures(plan)]
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
            + [self._other_activity(plan, item) for item in plan.get("other_recommendations", [])]
            + [
                self._limit_activity(plan, limit)
                for limit in (plan.get("escalation") or {}).get("limits", [])
            ],
        }
        contacts = self._emergency_contacts(plan_id, plan)
        if contacts:
            resource["supportingInfo"] = contacts
        resource["extension"] = [_plan_details(plan)]
        notes = self._notes(plan) + _form_notes(plan)
        if notes:
            resource["note"] = [{"text": text} for text in notes]
        return _urn(UUID(plan_id)), resource

    def _limit_activity(self, plan: dict[str, Any], limit: dict[str, Any]) -> dict[str, Any]:
        """A treatment escalation plan's named limit: a treatment not to be started."""
        name = LIMITED_TREATMENT_NAMES[LimitedTreatment(limit["treatment"])]
        words = f"{name} ({limit['detail']})" if limit.get("detail") else name
        return {
            "detail": {
                "code": {"text": name if not limit.get("detail") else limit["detail"]},
                "status": self._activity_status(plan),
                "doNotPerform": True,
                "description": f"{LIMIT_DESCRIPTION}{words}.",
            }
        }

    def _emergency_contacts(self, plan_id: str, plan: dict[str, Any]) -> list[dict[str, str]]:
        """ReSPECT section 8: each contact a RelatedPerson, the primary contact's telephone ranked first."""
        references = []
        contacts = (plan.get("respect") or {}).get("emergency_contacts", [])
        for index, contact in enumerate(contacts):
            url = _urn(uuid5(_IDS, f"contact|{plan_id}|{index}"))
            telecom: dict[str, Any] = {"system": PHONE_SYSTEM, "value": contact["telephone"]}
            if contact["primary"]:
                telecom["rank"] = 1
            related: dict[str, Any] = {
                "resourceType": "RelatedPerson",
                "id": str(uuid5(_IDS, f"contact|{plan_id}|{index}")),
                "patient": self._subject(),
                "name": [{"text": contact["name"]}],
                "relationship": [{"text": contact["role"]}],
                "telecom": [telecom],
            }
            self.related_people[url] = related
            primary = ", primary contact" if contact["primary"] else ""
            references.append(
                {
                    "reference": url,
                    "display": f"Emergency contact: {contact['name']} ({contact['role']}{primary})",
                }
            )
        return references

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
            notes.append(f"{WHAT_MATTERS_NOTE}{plan['what_matters']}")
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


def _signatures(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """ReSPECT section 7's signatures as the clinicians `_practitioner` takes (the role by its label)."""
    signatures = (plan.get("respect") or {}).get("signatures", [])
    return [{**each, "role": ROLES[Role(each["role"])].label} for each in signatures]


def _form_notes(plan: dict[str, Any]) -> list[str]:
    """What only the plan's kind of form holds, a note each, labelled by the form's section or box."""
    notes = [f"Form version: {plan['form_version']}."] if plan.get("form_version") else []
    involvement = plan["involvement"]
    if involvement.get("discussion_record_location") or involvement.get("discussed_on"):
        when = f" on {involvement['discussed_on']}" if involvement.get("discussed_on") else ""
        where = involvement.get("discussion_record_location") or "not stated"
        notes.append(f"Involvement: discussed{when}; the discussions are recorded at: {where}")
    if plan.get("respect"):
        notes += _respect_notes(plan["respect"])
    if plan.get("escalation"):
        notes += _escalation_notes(plan["escalation"])
    if plan.get("dnacpr"):
        notes += _dnacpr_notes(plan["dnacpr"])
    notes += [_review_note(review) for review in plan.get("reviews", [])]
    if plan.get("local_form"):
        notes += _local_form_notes(plan["local_form"])
    return notes


def _local_form_notes(local_form: dict[str, Any]) -> list[str]:
    """A plan taken in from a local form: which form, then each field it has that the plan has no place for."""
    notes = [f"Taken in from the local form {local_form['title']} ({local_form['form']})."]
    notes += [f"{local_form['title']}, {each['label']}: {each['value']}" for each in local_form["kept"]]
    return notes


def _respect_notes(respect: dict[str, Any]) -> list[str]:
    notes = []
    if respect["health_summary"]:
        notes.append(
            f"ReSPECT section 2, shared understanding of health and condition: {respect['health_summary']}"
        )
    for document in respect["other_documents"]:
        kind = DOCUMENT_KIND_NAMES[CarePlanningDocumentKind(document["kind"])]
        what = f"{kind} ({document['description']})" if document["description"] else kind
        notes.append(
            f"ReSPECT section 2, other care planning document: {what}, held {document['where_held']}"
        )
    if respect["legal_welfare_proxy"] is not None:
        has = "has" if respect["legal_welfare_proxy"] else "does not have"
        notes.append(f"ReSPECT section 2: the person {has} a legal welfare proxy.")
    if respect["what_matters_scale"] is not None:
        scale = describe_scale(respect["what_matters_scale"], WHAT_MATTERS_SCALE)
        notes.append(f"ReSPECT section 3, the person's place on the scale: {scale}.")
    if respect["most_value"]:
        notes.append(f"ReSPECT section 3, what the person most values: {respect['most_value']}")
    if respect["most_fear"]:
        notes.append(
            f"ReSPECT section 3, what the person most fears or wishes to avoid: {respect['most_fear']}"
        )
    if respect["clinical_focus_scale"] is not None:
        scale = describe_scale(respect["clinical_focus_scale"], CLINICAL_FOCUS_SCALE)
        notes.append(f"ReSPECT section 4, the clinician's place on the scale: {scale}.")
    if respect["cpr_for_a_child"]:
        notes.append("ReSPECT section 4: the CPR recommendation is for a child.")
    if respect["has_capacity_to_take_part"] is not None:
        if respect["has_capacity_to_take_part"]:
            notes.append("ReSPECT section 5: the person has capacity to take part in making this plan.")
        else:
            notes.append(
                "ReSPECT section 5: the person lacks capacity to take part in making this plan: "
                f"{respect['how_capacity_is_lacking']}"
            )
    for signature in _signatures({"respect": respect}):
        senior = ", senior responsible clinician" if signature["senior_responsible"] else ""
        notes.append(
            f"ReSPECT section 7, signed by {signature['name']}, {signature['designation']} ({signature['role']}, "
            f"registration {signature['registration']}{senior}) at {signature['signed_at']}."
        )
    return notes


def _escalation_notes(escalation: dict[str, Any]) -> list[str]:
    level = ESCALATION_LEVEL_NAMES[EscalationLevel(escalation["level"])]
    return [
        f"Treatment escalation: {level}.",
        f"Goals of treatment: {escalation['goals_of_treatment']}",
    ]


def _dnacpr_notes(dnacpr: dict[str, Any]) -> list[str]:
    notes = []
    if dnacpr["communication_with_person"]:
        notes.append(f"DNACPR form, communication with the person: {dnacpr['communication_with_person']}")
    if dnacpr["communication_with_relatives"]:
        notes.append(
            "DNACPR form, communication with relatives, representatives or an IMCA: "
            f"{dnacpr['communication_with_relatives']}"
        )
    if dnacpr["team_members"]:
        team = ", ".join(f"{member['name']} ({member['role']})" for member in dnacpr["team_members"])
        notes.append(f"DNACPR form, healthcare team members involved: {team}.")
    return notes


def _review_note(review: dict[str, Any]) -> str:
    by = review["by"]
    note = f"Reviewed at {review['at']} by {by['name']} ({by['role']}, registration {by['registration']}): {review['outcome']}."
    if review.get("next_review_due"):
        note += f" Next review by {review['next_review_due']}."
    return note


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


def code_systems() -> list[dict[str, Any]]:
    """The code systems the record defines itself, as FHIR CodeSystem resources: what a validator (or a
    receiving system) needs to know the codes the Bundles use from them."""
    concepts = [
        {
            "code": conflict.value,
            "display": conflict.value.replace("-", " "),
            "definition": PLAN_CONFLICT_NAMES[conflict],
        }
        for conflict in PlanConflict
    ]
    return [
        {
            "resourceType": "CodeSystem",
            "id": "plan-conflict",
            "url": PLAN_CONFLICT_SYSTEM,
            "name": "PlanConflict",
            "title": "Why the plans on a record cannot all be followed as they stand",
            "status": "active",
            "content": "complete",
            "caseSensitive": True,
            "count": len(concepts),
            "concept": concepts,
        }
    ]
