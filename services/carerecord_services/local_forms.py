"""A region's own forms, taken into the canonical plan through a declarative mapping: a file per local form
(TOML), checked when it is loaded, then applied to each filled-in form (its fields by label) to give the
recommendation the rules judge like any other. Fields the mapping does not place are kept verbatim on the plan
(`LocalFormSource.kept`).

A mapping file says:

    name = "nuh-tep"                      # how documents name the form
    title = "NUH treatment escalation plan"
    form_type = "tep"                     # respect, tep or dnacpr
    form_version = "4"                    # optional

    [set]                                 # canonical fields every document of this form has the same value for
    setting = "hospital"

    [fields."Resuscitation"]              # a field of the form, by its label
    to = "cpr"                            # where it goes in the canonical plan (a dotted path)
    required = true
    values = { "For CPR" = "ATTEMPT_CPR", "DNACPR" = "DO_NOT_ATTEMPT_CPR" }   # its answers, as the model's codes

    [fields."Discussed with patient".values]          # an answer may set several fields
    "Yes" = { "involvement.route" = "A", "involvement.person_involved" = true }

    [fields."Not for ICU"]                # a tick box naming a limit of treatment
    to = "escalation.limits"
    limit = "intensive-care"
    when = "Yes"

Coded answers may be the model's codes or their names (`DO_NOT_ATTEMPT_CPR`, `450476008`). A field without
`values` is copied as written (text, a date as YYYY-MM-DD, a number, yes/no)."""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from carerecord_events.base import Actor, Clinician
from carerecord_events.codec import decode
from carerecord_events.plans import LocalField, LocalFormSource, RecommendationContent
from carerecord_events.vocabulary import FormType, LimitedTreatment
from carerecord_services import commands as c
from carerecord_services.errors import DomainError

LIMITS = "escalation.limits"
NEEDED = (
    "cpr",
    "reason_category",
    "reasoning",
    "involvement.route",
    "involvement.person_involved",
    "setting",
)
"""What every document must come to hold, from its fields or the mapping's `set`."""
NOT_MAPPED = frozenset(
    {"form_type", "form_version", "local_form", "supersedes_plan_id", "capacity_assessment_id"}
)
PARTS = {
    "respect": FormType.RESPECT,
    "escalation": FormType.TREATMENT_ESCALATION_PLAN,
    "dnacpr": FormType.DNACPR,
}


@dataclass(frozen=True, kw_only=True)
class LocalFormDocument:
    """A filled-in local form, taken in through its loaded mapping: the form's name, each of its fields by
    label and answer, and the responsible clinician. The plan it makes is judged by the same rules as any."""

    form: str
    """The local form's name, as its loaded mapping is named"""
    fields: tuple[LocalField, ...]
    """Each of the form's fields, by label and answer"""
    responsible_clinician: Clinician | None
    """The clinician responsible for the recommendation"""
    occurred_at: datetime | None = None
    """When the form was completed, if earlier than now (a late entry); none: now"""

    def answers(self) -> dict[str, str]:
        answers: dict[str, str] = {}
        for each in self.fields:
            if each.label in answers:
                raise DocumentRefused(
                    f"the field {each.label!r} is given twice", field=f"document.{each.label}"
                )
            answers[each.label] = each.value
        return answers


class LocalFormNotLoaded(DomainError):
    rule = "local-form-not-loaded"


class MappingRefused(DomainError):
    """A mapping file that cannot be loaded: `field` names where in the file."""

    rule = "local-form-mapping-refused"


class DocumentRefused(DomainError):
    """A filled-in local form that does not fit its mapping: `field` names the form's field."""

    rule = "local-form-does-not-fit"


@dataclass(frozen=True)
class FieldMapping:
    label: str
    to: str = ""
    values: dict[str, Any] | None = None  # answer -> a value of `to`, or {path: value}
    limit: LimitedTreatment | None = None
    when: str = ""
    required: bool = False


@dataclass(frozen=True)
class LocalFormMapping:
    name: str
    title: str
    form_type: FormType
    form_version: str
    set: dict[str, Any]
    fields: dict[str, FieldMapping]

    def recommendation(
        self,
        document: dict[str, str],
        *,
        actor: Actor,
        responsible_clinician: Clinician | None,
        occurred_at: datetime | None = None,
    ) -> c.MakeRecommendation:
        """The recommendation this filled-in form makes, or DocumentRefused naming the form's field."""
        tree: dict[str, Any] = {}
        for path, value in self.set.items():
            _put(tree, path, value)
        kept = []
        for label, raw in document.items():
            mapped = self.fields.get(label)
            if mapped is None:
                kept.append(LocalField(label=label, value=raw))
                continue
            for path, value in _answer(mapped, raw).items():
                if path == LIMITS:
                    tree.setdefault("escalation", {}).setdefault("limits", []).append(value)
                else:
                    _put(tree, path, value)
        missing = [
            f for f in self.fields.values() if f.required and not str(document.get(f.label, "")).strip()
        ]
        if missing:
            raise DocumentRefused(
                f"{self.title}: the field {missing[0].label!r} is required",
                field=f"document.{missing[0].label}",
            )
        for path in NEEDED:
            if _get(tree, path) is None:
                raise DocumentRefused(
                    f"{self.title}: nothing in this form gives the plan's {path.replace('_', ' ')}",
                    field=f"document.{self._label_for(path)}",
                )
        tree |= {"form_type": self.form_type.value, "form_version": self.form_version}
        try:
            content = decode(RecommendationContent, tree)
        except TypeError as wrong:  # a part of the form's own (its level, say) that nothing gave
            raise DocumentRefused(f"{self.title}: {wrong}", field="document") from None
        source = LocalFormSource(form=self.name, title=self.title, kept=tuple(kept))
        values = {f.name: getattr(content, f.name) for f in dataclasses.fields(RecommendationContent)}
        return c.MakeRecommendation(
            actor=actor,
            occurred_at=occurred_at,
            responsible_clinician=responsible_clinician,
            **(values | {"local_form": source}),
        )

    def _label_for(self, path: str) -> str:
        return next((f.label for f in self.fields.values() if f.to == path), path)


def _answer(mapped: FieldMapping, raw: str) -> dict[str, Any]:
    where = f"document.{mapped.label}"
    if mapped.limit is not None:
        ticked = raw.strip().casefold() == mapped.when.casefold()
        return {LIMITS: {"treatment": mapped.limit.value, "detail": ""}} if ticked else {}
    if mapped.values is None:
        return {mapped.to: _plain(raw, _leaf_type(mapped.to), where)} if raw.strip() else {}
    if raw not in mapped.values:
        answers = ", ".join(repr(answer) for answer in mapped.values)
        raise DocumentRefused(f"{mapped.label!r} is {raw!r}: the form's answers are {answers}", field=where)
    answer = mapped.values[raw]
    return dict(answer) if isinstance(answer, dict) else {mapped.to: answer}


def _plain(raw: str, kind: Any, where: str) -> Any:
    """A field written as text, as the JSON-native value of its canonical type."""
    text = raw.strip()
    try:
        if kind is bool:
            return {"yes": True, "true": True, "no": False, "false": False}[text.casefold()]
        if kind is int:
            return int(text) if text.isascii() else int("x")
        if kind is date:
            return date.fromisoformat(text).isoformat()
    except (KeyError, ValueError):
        raise DocumentRefused(
            f"{text!r} is not a {kind.__name__} (dates as YYYY-MM-DD)", field=where
        ) from None
    if isinstance(kind, type) and issubclass(kind, Enum):
        return _code(kind, text, where, DocumentRefused)
    return raw


def _put(tree: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        tree = tree.setdefault(part, {})
    tree[leaf] = value


def _get(tree: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return None
        tree = tree[part]
    return tree


# -- loading and checking a mapping file -------------------------------------------------------------------


def load_mapping(text: str) -> LocalFormMapping:
    """A mapping from its TOML text, checked: every path is a field of the canonical plan that the mapping may
    set, every answer a value that field can hold, and everything a plan needs given by a field or `set`."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as wrong:
        raise MappingRefused(f"the mapping is not TOML: {wrong}", field="file") from None
    name = _text(raw, "name")
    form_type = FormType(_code(FormType, _text(raw, "form_type"), "form_type", MappingRefused))
    set_values = {
        path: _value(path, value, form_type, f"set.{path}") for path, value in raw.get("set", {}).items()
    }
    fields = {
        label: _field(label, spec, form_type)
        for label, spec in _table(raw, "fields").items()
        if isinstance(spec, dict) or _refuse(f"fields.{label}", "a field is a table")
    }
    mapping = LocalFormMapping(
        name=name,
        title=_text(raw, "title"),
        form_type=form_type,
        form_version=str(raw.get("form_version", "")),
        set=set_values,
        fields=fields,
    )
    given = set(set_values) | {f.to for f in fields.values()}
    given |= {
        path
        for f in fields.values()
        for answer in (f.values or {}).values()
        if isinstance(answer, dict)
        for path in answer
    }
    for path in NEEDED:
        if path not in given:
            raise MappingRefused(f"nothing in the mapping gives the plan's {path}", field="fields")
    unknown = set(raw) - {"name", "title", "form_type", "form_version", "set", "fields"}
    if unknown:
        raise MappingRefused(f"the mapping has no setting {sorted(unknown)[0]!r}", field=sorted(unknown)[0])
    return mapping


def _refuse(where: str, message: str) -> bool:
    raise MappingRefused(f"{where}: {message}", field=where)


def _text(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise MappingRefused(f"the mapping needs {key} (text)", field=key)
    return value.strip()


def _table(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict) or not value:
        raise MappingRefused(f"the mapping needs its {key}", field=key)
    return value


def _field(label: str, spec: dict[str, Any], form_type: FormType) -> FieldMapping:
    where = f"fields.{label}"
    unknown = set(spec) - {"to", "values", "limit", "when", "required"}
    if unknown:
        raise MappingRefused(f"{where}: no setting {sorted(unknown)[0]!r}", field=where)
    to = str(spec.get("to", ""))
    required = bool(spec.get("required", False))
    if to == LIMITS:
        _check_path(to, form_type, where)
        if "limit" not in spec or not str(spec.get("when", "")).strip():
            raise MappingRefused(
                f"{where}: a limit names the treatment (limit) and the ticked answer (when)", field=where
            )
        limit = LimitedTreatment(
            _code(LimitedTreatment, str(spec["limit"]), f"{where}.limit", MappingRefused)
        )
        return FieldMapping(label, to, limit=limit, when=str(spec["when"]), required=required)
    values = spec.get("values")
    if values is not None and not isinstance(values, dict):
        raise MappingRefused(f"{where}.values: a table of answers", field=f"{where}.values")
    if not to and values is None:
        raise MappingRefused(f"{where}: say where it goes (to) or what its answers set (values)", field=where)
    if to:
        _check_path(to, form_type, where)
    checked: dict[str, Any] | None = None
    if values is not None:
        checked = {}
        for answer, value in values.items():
            at = f"{where}.values.{answer}"
            if isinstance(value, dict):
                checked[answer] = {
                    path: _value(path, item, form_type, f"{at}.{path}") for path, item in value.items()
                }
            elif not to:
                raise MappingRefused(f"{at}: without `to`, an answer is a table of fields", field=at)
            else:
                checked[answer] = _value(to, value, form_type, at)
    return FieldMapping(label, to, values=checked, required=required)


def _check_path(path: str, form_type: FormType, where: str) -> Any:
    """The canonical type at `path`, if the mapping may set it."""
    top = path.split(".")[0]
    if top in NOT_MAPPED:
        raise MappingRefused(f"{where}: {top} is not set from a form's fields", field=where)
    if top in PARTS and PARTS[top] is not form_type:
        raise MappingRefused(f"{where}: {top} belongs to another kind of form", field=where)
    if path == LIMITS:
        return LimitedTreatment
    return _leaf_type(path, where)


def _leaf_type(path: str, where: str = "") -> Any:
    kind: Any = RecommendationContent
    for part in path.split("."):
        kind = _unwrapped(kind)
        hints = typing.get_type_hints(kind) if dataclasses.is_dataclass(kind) else {}
        if part not in hints:
            raise MappingRefused(f"{where or path}: the plan has no field {path!r}", field=where or path)
        kind = hints[part]
    kind = _unwrapped(kind)
    if dataclasses.is_dataclass(kind) or typing.get_origin(kind) is tuple:
        raise MappingRefused(f"{where or path}: {path!r} is not a single value", field=where or path)
    return kind


def _unwrapped(kind: Any) -> Any:
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        return next(arg for arg in typing.get_args(kind) if arg is not type(None))
    return kind


def _value(path: str, value: Any, form_type: FormType, where: str) -> Any:
    """A value the mapping gives, as the JSON-native value of the canonical field at `path`."""
    kind = _check_path(path, form_type, where)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return _code(kind, str(value), where, MappingRefused)
    if kind is bool and isinstance(value, bool):
        return value
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is str and isinstance(value, str):
        return value
    if kind is date and isinstance(value, date):
        return value.isoformat()
    raise MappingRefused(f"{where}: {value!r} is not a value of {path}", field=where)


def _code(kind: type[Enum], text: str, where: str, error: type[DomainError]) -> Any:
    """An enum's code from its code or its name."""
    for member in kind:
        if text in (member.value, member.name):
            return member.value
    codes = ", ".join(str(member.value) for member in kind)
    raise error(f"{where}: {text!r} is not one of {codes}", field=where)
