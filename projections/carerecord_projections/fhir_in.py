"""FHIR R4 in: a Bundle as a provider system sends it, read back into the plan model. The mapping of `fhir.py`
reversed, kept beside it so that the two change together: a Bundle the view produces, taken back in, makes the
same plan.

What is read, element by element (each field of the plan has its own small reader in `PLAN_FIELDS`; a field
added to the plan model adds one reader here, beside the element the view writes it to):
- `Patient`: the NHS number (identifier of system `https://fhir.nhs.uk/Id/nhs-number`), the official name, the
  usual name as preferred name, birth date, postcode;
- `CarePlan` (status active; one plan each): the form (category text, or its SNOMED code for a treatment
  escalation plan), the CPR recommendation (the CPR activity's `doNotPerform`), its reason category and
  reasoning (that activity's reasonCode), every other treatment activity, what matters to the person (the note),
  involvement, review date and the reasons no one was consulted or no review date was set (the plan-details
  extension), the setting (that extension's `setting`, else the contributing Organization's type), when it was
  made (`created`), the responsible clinician (`author`: the Practitioner's name and register number, the role
  from the display);
- what only the plan's kind of form holds, from the typed sub-extensions of plan-details (`fhir_parts`, which
  says why these and not the notes): the form's version, when and where the plan was discussed, ReSPECT's
  sections 2-5, 7 and 8 (`respect`), a treatment escalation plan's level, goals and limits (`escalation`; its
  limit activities are not other recommendations), a DNACPR form's communication and team (`dnacpr`), a local
  form's name and kept fields (`localForm`);
- a `Flag` is the CPR status the CarePlan already carries: it is not taken in on its own (the rules need the
  reasoning, involvement and clinician); an ADRT `Consent` is not taken in (a clinician records it).

A Bundle that cannot be read is refused with every problem named by its FHIRPath expression
(`Bundle.entry[2].resource.author`), never with the sent values (they are personal data).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from carerecord_events.base import Clinician, Participant
from carerecord_events.people import PersonDetails
from carerecord_events.plain import FORM_NAMES, REASON_NAMES, SETTING_NAMES
from carerecord_events.plans import Involvement, RecommendationContent, TreatmentRecommendation
from carerecord_events.roles import ROLES
from carerecord_events.vocabulary import (
    CprRecommendation,
    FormType,
    InvolvementRoute,
    ReasonCategory,
    Setting,
    TreatmentDecision,
)
from carerecord_projections.fhir import (
    CPR_PROCEDURE,
    DECISION_NAMES,
    FORM_PARTS,
    LIMIT_DESCRIPTION,
    NHS_NUMBER_SYSTEM,
    ODS_SYSTEM,
    PLAN_CATEGORY,
    PLAN_EXTENSION,
    REGISTER_SYSTEMS,
    WHAT_MATTERS_NOTE,
)
from carerecord_projections.fhir_parts import PartUnreadable, extension_name, read_part

Resource = dict[str, Any]
TAKEN_IN_STATUSES = frozenset({"active"})
MAX_ENTRIES = 200


@dataclass(frozen=True)
class Issue:
    """One problem with a sent Bundle: the rule it breaks, the element (a FHIRPath expression) and why."""

    rule: str
    expression: str
    message: str


class BundleRefused(Exception):
    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(issue.message for issue in issues))
        self.issues = issues


@dataclass(frozen=True)
class InboundPlan:
    key: str
    content: RecommendationContent
    responsible_clinician: Clinician
    made_at: datetime | None
    organisation: str | None
    fingerprint: str
    elements: dict[str, str]
    """The FHIRPath expression of the element each field of the plan was read from (for naming a refusal)."""

    def expression(self, field_name: str | None) -> str:
        """The element a refusal of `field_name` (as the rules name it, `involvement.route`) is about."""
        name = field_name or ""
        while name not in self.elements and "." in name:
            name = name.rsplit(".", 1)[
                0
            ]  # involvement.consulted.3.name -> involvement.consulted -> involvement
        return self.elements.get(name, self.elements["plan"])


@dataclass(frozen=True)
class InboundBundle:
    identifier: str
    person: PersonDetails
    patient_expression: str
    plans: tuple[InboundPlan, ...]
    not_taken_in: tuple[Issue, ...] = field(default=())
    """What the Bundle holds that is not taken in (warnings: ended plans, advance decisions)."""


class _Unreadable(Exception):
    def __init__(self, expression: str, message: str) -> None:
        super().__init__(message)
        self.expression, self.message = expression, message


def read_bundle(bundle: Any) -> InboundBundle:
    """The person and the plans a Bundle carries; BundleRefused naming every element that cannot be read."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise BundleRefused([Issue("not-a-bundle", "Bundle", "the body is not a FHIR Bundle")])
    entries = bundle.get("entry")
    if not isinstance(entries, list) or not entries:
        raise BundleRefused([Issue("invalid-input", "Bundle.entry", "the Bundle has no entries")])
    if len(entries) > MAX_ENTRIES:
        raise BundleRefused(
            [
                Issue(
                    "too-many-entries", "Bundle.entry", f"a Bundle taken in has at most {MAX_ENTRIES} entries"
                )
            ]
        )
    return _Reader(bundle, entries).read()


class _Reader:
    def __init__(self, bundle: Resource, entries: list[Any]) -> None:
        self.bundle = bundle
        self.entries = entries
        self.by_url = {
            entry.get("fullUrl"): (index, entry.get("resource") or {})
            for index, entry in enumerate(entries)
            if isinstance(entry, dict)
        }
        self.issues: list[Issue] = []
        self.warnings: list[Issue] = []

    def read(self) -> InboundBundle:
        identifier = self._identifier()
        person, patient_path = self._person()
        plans = []
        for index, resource in self._resources():
            kind = resource.get("resourceType")
            path = f"Bundle.entry[{index}].resource"
            if kind == "CarePlan":
                plan = self._plan(index, resource)
                if plan is not None:
                    plans.append(plan)
            elif kind == "Consent":
                self.warnings.append(
                    Issue("not-taken-in", path, "an advance decision is not taken in: a clinician records it")
                )
        if (
            not any(r.get("resourceType") == "CarePlan" for _, r in self._resources())
            and not self.issues
            and any(r.get("resourceType") == "Flag" for _, r in self._resources())
        ):
            self.issues.append(
                Issue(
                    "cpr-status-without-plan",
                    "Bundle.entry",
                    "a CPR status (Flag) alone is not a decision: send the CarePlan with the reasoning, who was "
                    "involved and the responsible clinician",
                )
            )
        if self.issues or person is None:
            raise BundleRefused(self.issues)
        return InboundBundle(identifier, person, patient_path, tuple(plans), tuple(self.warnings))

    def _resources(self) -> list[tuple[int, Resource]]:
        return [
            (index, entry["resource"])
            for index, entry in enumerate(self.entries)
            if isinstance(entry, dict) and isinstance(entry.get("resource"), dict)
        ]

    def _identifier(self) -> str:
        identifier = self.bundle.get("identifier")
        if not isinstance(identifier, dict) or not identifier.get("system") or not identifier.get("value"):
            self.issues.append(
                Issue(
                    "bundle-identifier-required",
                    "Bundle.identifier",
                    "a Bundle taken in needs an identifier (system and value): it is taken in once per identifier",
                )
            )
            return ""
        return f"{identifier['system']}|{identifier['value']}"

    def _person(self) -> tuple[PersonDetails | None, str]:
        patients = [(i, r) for i, r in self._resources() if r.get("resourceType") == "Patient"]
        if len(patients) != 1:
            self.issues.append(
                Issue("one-patient", "Bundle.entry", "a Bundle taken in holds exactly one Patient")
            )
            return None, "Bundle.entry"
        index, patient = patients[0]
        path = f"Bundle.entry[{index}].resource"
        try:
            return _patient(patient, path), path
        except _Unreadable as problem:
            self.issues.append(Issue("invalid-input", problem.expression, problem.message))
            return None, path

    def _plan(self, index: int, care_plan: Resource) -> InboundPlan | None:
        path = f"Bundle.entry[{index}].resource"
        if care_plan.get("status") not in TAKEN_IN_STATUSES:
            self.warnings.append(
                Issue("plan-not-in-force", f"{path}.status", "only plans in force are taken in")
            )
            return None
        view = _CarePlanView(care_plan, path, self.by_url)
        try:
            values = {name: reader(view) for name, reader in PLAN_FIELDS.items()}
            clinician = _responsible_clinician(view)
            made_at = _made_at(view)
            organisation = _organisation(view)
        except _Unreadable as problem:
            self.issues.append(Issue("invalid-input", problem.expression, problem.message))
            return None
        key = str(self.entries[index].get("fullUrl") or care_plan.get("id") or index)
        return InboundPlan(
            key=key,
            content=RecommendationContent(**values),
            responsible_clinician=clinician,
            made_at=made_at,
            organisation=organisation,
            fingerprint=hashlib.sha256(json.dumps(care_plan, sort_keys=True).encode()).hexdigest(),
            elements={**view.elements, "plan": path},
        )


class _CarePlanView:
    """One CarePlan and what it references, remembering which element each field was read from."""

    def __init__(self, resource: Resource, path: str, by_url: dict[Any, tuple[int, Resource]]) -> None:
        self.resource, self.path, self._by_url = resource, path, by_url
        self.elements: dict[str, str] = {}

    def at(self, field_name: str, suffix: str) -> str:
        expression = f"{self.path}.{suffix}"
        self.elements[field_name] = expression
        return expression

    def resolve(self, reference: Any, expression: str) -> tuple[str, Resource]:
        url = reference.get("reference") if isinstance(reference, dict) else None
        if url not in self._by_url:
            raise _Unreadable(expression, "the reference does not resolve within the Bundle")
        index, resource = self._by_url[url]
        return f"Bundle.entry[{index}].resource", resource

    def cpr_activity(self) -> tuple[int, Resource]:
        for index, activity in enumerate(self.resource.get("activity") or []):
            codings = ((activity.get("detail") or {}).get("code") or {}).get("coding") or []
            if any(
                c.get("system") == CPR_PROCEDURE["system"] and c.get("code") == CPR_PROCEDURE["code"]
                for c in codings
            ):
                return index, activity["detail"]
        raise _Unreadable(f"{self.path}.activity", "the plan has no CPR activity (SNOMED CT 89666000)")

    def extension(self, name: str) -> list[Resource]:
        for extension in self.resource.get("extension") or []:
            if extension.get("url") == PLAN_EXTENSION:
                return [part for part in extension.get("extension") or [] if part.get("url") == name]
        return []

    def extension_value(self, field_name: str, name: str, key: str) -> Any:
        found = self.extension(name)
        self.elements.setdefault(field_name, self.extension_path(name))
        return found[0].get(key) if found else None

    def extension_path(self, name: str) -> str:
        return f"{self.path}.extension('{PLAN_EXTENSION}').extension('{name}')"


def _text(value: Any, expression: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Unreadable(expression, "text is required here")
    return value


def _reverse(names: dict[Any, str], text: Any, expression: str) -> Any:
    for value, name in names.items():
        if isinstance(text, str) and text.strip().lower() == name.lower():
            return value
    raise _Unreadable(expression, "not a value the record knows")


def _patient(patient: Resource, path: str) -> PersonDetails:
    numbers = [
        i.get("value") for i in patient.get("identifier") or [] if i.get("system") == NHS_NUMBER_SYSTEM
    ]
    if not numbers:
        raise _Unreadable(f"{path}.identifier", f"the Patient needs an NHS number ({NHS_NUMBER_SYSTEM})")
    names = patient.get("name") or []
    official = next((n for n in names if n.get("use") == "official"), names[0] if names else None)
    if not official:
        raise _Unreadable(f"{path}.name", "the Patient needs a name")
    usual = next((n for n in names if n.get("use") == "usual" and n is not official), None)
    try:
        born = date.fromisoformat(str(patient.get("birthDate")))
    except ValueError:
        raise _Unreadable(f"{path}.birthDate", "the Patient needs a birth date (YYYY-MM-DD)") from None
    postcodes = [a.get("postalCode") for a in patient.get("address") or [] if a.get("postalCode")]
    return PersonDetails(
        nhs_number=_text(numbers[0], f"{path}.identifier"),
        given_name=_text(" ".join(official.get("given") or []), f"{path}.name.given"),
        family_name=_text(official.get("family"), f"{path}.name.family"),
        date_of_birth=born,
        preferred_name=" ".join(usual.get("given") or []) or None if usual else None,
        postcode=postcodes[0] if postcodes else None,
    )


# --- the plan, field by field: each reader names the element it reads -------------------------------------


def _form_type(view: _CarePlanView) -> FormType:
    expression = view.at("form_type", "category[0]")
    category = (view.resource.get("category") or [{}])[0]
    text = category.get("text")
    if text:
        return FormType(_reverse(FORM_NAMES, text, f"{expression}.text"))
    codes = {c.get("code") for c in category.get("coding") or []}
    if PLAN_CATEGORY[FormType.TREATMENT_ESCALATION_PLAN]["code"] in codes:
        return FormType.TREATMENT_ESCALATION_PLAN
    raise _Unreadable(expression, "the plan's form is not named (category text)")


def _cpr(view: _CarePlanView) -> CprRecommendation:
    index, detail = view.cpr_activity()
    expression = view.at("cpr", f"activity[{index}].detail.doNotPerform")
    if not isinstance(detail.get("doNotPerform"), bool):
        raise _Unreadable(expression, "the CPR activity must say doNotPerform true or false")
    return CprRecommendation.DO_NOT_ATTEMPT_CPR if detail["doNotPerform"] else CprRecommendation.ATTEMPT_CPR


def _reason_codes(view: _CarePlanView) -> tuple[int, list[Resource]]:
    index, detail = view.cpr_activity()
    return index, detail.get("reasonCode") or []


def _reason_category(view: _CarePlanView) -> ReasonCategory:
    index, codes = _reason_codes(view)
    expression = view.at("reason_category", f"activity[{index}].detail.reasonCode[0].text")
    return ReasonCategory(_reverse(REASON_NAMES, codes[0].get("text") if codes else None, expression))


def _reasoning(view: _CarePlanView) -> str:
    index, codes = _reason_codes(view)
    expression = view.at("reasoning", f"activity[{index}].detail.reasonCode[1].text")
    return _text(codes[1].get("text") if len(codes) > 1 else None, expression)


def _involvement(view: _CarePlanView) -> Involvement:
    route = view.extension_value("involvement", "involvementRoute", "valueCode")
    expression = view.elements.get("involvement", f"{view.path}.extension")
    if route not in {r.value for r in InvolvementRoute}:
        raise _Unreadable(
            expression, "the plan needs its involvement route (A to D) in the plan-details extension"
        )
    view.elements["involvement.consulted"] = (
        f"{view.path}.extension('{PLAN_EXTENSION}').extension('consulted')"
    )
    consulted = tuple(
        Participant(name=parts.get("name", ""), role=parts.get("role", ""))
        for item in view.extension("consulted")
        for parts in [{p.get("url"): p.get("valueString") for p in item.get("extension") or []}]
    )
    return Involvement(
        route=InvolvementRoute(route),
        person_involved=bool(view.extension_value("involvement", "personInvolved", "valueBoolean")),
        consulted=consulted,
        reason_person_not_involved=view.extension_value(
            "involvement", "reasonPersonNotInvolved", "valueString"
        )
        or "",
        reason_no_one_consulted=view.extension_value("involvement", "reasonNoOneConsulted", "valueString")
        or "",
        discussion_record_location=str(
            view.extension_value("involvement", "discussionRecordLocation", "valueString") or ""
        ),
        discussed_on=_discussed_on(view),
    )


def _discussed_on(view: _CarePlanView) -> date | None:
    value = view.extension_value("involvement.discussed_on", "discussedOn", "valueDate")
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _Unreadable(view.elements["involvement.discussed_on"], "a date is YYYY-MM-DD") from None


def _setting(view: _CarePlanView) -> Setting:
    stated = view.extension_value("setting", "setting", "valueCode")
    if stated is not None:
        return Setting(_reverse({s: s.value for s in Setting}, stated, view.elements["setting"]))
    view.elements.pop("setting")  # not stated: the setting of the Organization that made it
    for index, contributor in enumerate(view.resource.get("contributor") or []):
        path, resource = view.resolve(contributor, f"{view.path}.contributor[{index}]")
        if resource.get("resourceType") == "Organization":
            view.elements["setting"] = f"{path}.type[0].text"
            return Setting(
                _reverse(SETTING_NAMES, (resource.get("type") or [{}])[0].get("text"), f"{path}.type")
            )
    raise _Unreadable(
        f"{view.path}.contributor", "the plan needs the Organization that made it, with its setting"
    )


def _other_recommendations(view: _CarePlanView) -> tuple[TreatmentRecommendation, ...]:
    cpr_index, _ = view.cpr_activity()
    view.at("other_recommendations", "activity")
    return tuple(
        _treatment(activity.get("detail") or {}, f"{view.path}.activity[{index}].detail")
        for index, activity in enumerate(view.resource.get("activity") or [])
        if index != cpr_index
        and not str((activity.get("detail") or {}).get("description") or "").startswith(LIMIT_DESCRIPTION)
    )


def _treatment(detail: Resource, path: str) -> TreatmentRecommendation:
    treatment = _text((detail.get("code") or {}).get("text"), f"{path}.code.text")
    described = str(detail.get("description") or "").removeprefix(f"{treatment}: ").removesuffix(".")
    if described:
        decision = TreatmentDecision(_reverse(DECISION_NAMES, described, f"{path}.description"))
    else:
        decision = (
            TreatmentDecision.NOT_RECOMMENDED if detail.get("doNotPerform") else TreatmentDecision.RECOMMENDED
        )
    reasons = detail.get("reasonCode") or []
    return TreatmentRecommendation(
        treatment=treatment, decision=decision, reason=reasons[0].get("text", "") if reasons else ""
    )


def _what_matters(view: _CarePlanView) -> str:
    for index, note in enumerate(view.resource.get("note") or []):
        text = str(note.get("text") or "")
        if text.startswith(WHAT_MATTERS_NOTE):
            view.at("what_matters", f"note[{index}].text")
            return text.removeprefix(WHAT_MATTERS_NOTE)
    view.at("what_matters", "note")
    return ""


def _review_due(view: _CarePlanView) -> date | None:
    value = view.extension_value("review_due", "reviewDue", "valueDate")
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _Unreadable(view.elements["review_due"], "a review date is YYYY-MM-DD") from None


def _reason_no_review_date(view: _CarePlanView) -> str:
    return str(view.extension_value("reason_no_review_date", "reasonNoReviewDate", "valueString") or "")


def _form_version(view: _CarePlanView) -> str:
    value = view.extension_value("form_version", "formVersion", "valueString")
    if value is not None and not isinstance(value, str):
        raise _Unreadable(view.elements["form_version"], "the form's version is a valueString")
    return value or ""


def _form_part(key: str) -> Callable[[_CarePlanView], Any]:
    """The reader of what only one kind of form holds, from its typed sub-extension (see `fhir_parts` for why
    these and not the notes, which say the same in words)."""

    def read(view: _CarePlanView) -> Any:
        name = extension_name(key)
        found = view.extension(name)
        where = view.extension_path(name)
        view.elements[key] = where
        if not found:
            return None
        if len(found) > 1:
            raise _Unreadable(where, "given more than once")
        try:
            return read_part(FORM_PARTS[key], found[0].get("extension") or [], where)
        except PartUnreadable as problem:
            raise _Unreadable(problem.where, problem.message) from None

    return read


PLAN_FIELDS: dict[str, Callable[[_CarePlanView], Any]] = {
    "form_type": _form_type,
    "cpr": _cpr,
    "reason_category": _reason_category,
    "reasoning": _reasoning,
    "involvement": _involvement,
    "setting": _setting,
    "other_recommendations": _other_recommendations,
    "what_matters": _what_matters,
    "review_due": _review_due,
    "reason_no_review_date": _reason_no_review_date,
    "form_version": _form_version,
    **{key: _form_part(key) for key in FORM_PARTS},
}
"""Each field of `RecommendationContent` the view writes, and its reader (the others keep their defaults)."""

_ROLE_BY_LABEL = {definition.label: role for role, definition in ROLES.items()}
_REGISTER_BY_SYSTEM = {system: register for register, system in REGISTER_SYSTEMS.items()}


def _responsible_clinician(view: _CarePlanView) -> Clinician:
    author = view.resource.get("author")
    expression = view.at("responsible_clinician", "author")
    path, practitioner = view.resolve(author, expression)
    display = str((author or {}).get("display") or "")
    label = display.rsplit(" (", 1)[-1].removesuffix(")") if " (" in display else ""
    if label not in _ROLE_BY_LABEL:
        raise _Unreadable(f"{expression}.display", "the author's display names their role: 'Name (role)'")
    role = _ROLE_BY_LABEL[label]
    registration = next(
        (
            i.get("value")
            for i in practitioner.get("identifier") or []
            if _REGISTER_BY_SYSTEM.get(i.get("system")) is ROLES[role].register
        ),
        "",
    )
    name = _text((practitioner.get("name") or [{}])[0].get("text"), f"{path}.name[0].text")
    return Clinician(name=name, role=role, registration=str(registration or ""))


def _made_at(view: _CarePlanView) -> datetime | None:
    created = view.resource.get("created")
    if created is None:
        return None
    try:
        made = datetime.fromisoformat(str(created))
    except ValueError:
        raise _Unreadable(
            view.at("made_at", "created"), "when the plan was made: a dateTime with its zone"
        ) from None
    if made.tzinfo is None:
        raise _Unreadable(view.at("made_at", "created"), "when the plan was made: a dateTime with its zone")
    view.at("made_at", "created")
    return made


def _organisation(view: _CarePlanView) -> str | None:
    for index, contributor in enumerate(view.resource.get("contributor") or []):
        path, resource = view.resolve(contributor, f"{view.path}.contributor[{index}]")
        if resource.get("resourceType") == "Organization":
            view.elements["organisation"] = f"{path}.identifier"
            codes = [
                i.get("value") for i in resource.get("identifier") or [] if i.get("system") == ODS_SYSTEM
            ]
            return str(codes[0]) if codes else None
    return None
