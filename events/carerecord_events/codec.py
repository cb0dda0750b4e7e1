"""Events (and any frozen dataclass of the events' types, such as a record's state) to and from JSON-native
payloads, with upcasting of older schema versions.

A payload holds only JSON types (str, int, bool, None, list, dict): dates and times as ISO 8601, ids as
strings, coded values as their codes. That is the form the hash chain covers and the form subscribers read.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from carerecord_events import catalogue
from carerecord_events.base import CareRecordEvent

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]


class UnknownEventType(Exception):
    """A stored or received event whose type this version of carerecord does not know."""


def to_payload(event: CareRecordEvent) -> Payload:
    encoded = _encode(event)
    assert isinstance(encoded, dict)
    return encoded


def from_payload(type_name: str, version: int, payload: Payload) -> CareRecordEvent:
    """Upcasts a payload written at `version` to the current schema, then builds the event."""
    cls = catalogue.event_class(type_name)
    if cls is None:
        raise UnknownEventType(f"unknown event type {type_name!r}")
    if version > cls.VERSION:
        raise UnknownEventType(f"{type_name} version {version} is newer than this carerecord ({cls.VERSION})")
    for step in range(version, cls.VERSION):
        upcast = UPCASTERS.get((type_name, step))
        if upcast is None:
            raise UnknownEventType(f"no upcaster for {type_name} from version {step}")
        payload = upcast(dict(payload))
    decoded = _decode(cls, payload)
    assert isinstance(decoded, CareRecordEvent)
    return decoded


def encode(value: Any) -> Any:
    """Any dataclass of the events' types as JSON-native values: mappings keep their order, keys as codes."""
    return _encode(value)


def decode(annotation: Any, value: Any) -> Any:
    """The inverse of `encode`, guided by the type the value is to have."""
    return _decode(annotation, value)


_JSON_NATIVE = frozenset({str, int, float, bool, type(None)})  # exact types: a StrEnum is a str, and is coded


def _encode(value: Any) -> Any:
    kind: Any = type(value)
    return value if kind in _JSON_NATIVE else _encoder(kind)(value)


def _decode(annotation: Any, value: Any) -> Any:
    return _decoder(annotation)(value)


# How to encode each type, and decode into each annotation, worked out once per type (working it out for every
# value was most of a rebuild's time).
@functools.cache
def _encoder(kind: Any) -> Callable[[Any], Any]:
    if dataclasses.is_dataclass(kind):
        names = tuple(field.name for field in dataclasses.fields(kind))
        return lambda value: {name: _encode(getattr(value, name)) for name in names}
    if issubclass(kind, Enum):
        return lambda value: value.value
    if issubclass(kind, UUID):
        return str
    if issubclass(kind, date):  # and datetime
        return lambda value: value.isoformat()
    if issubclass(kind, tuple | list):
        return lambda value: [_encode(item) for item in value]
    if issubclass(kind, frozenset):
        return lambda value: sorted(_encode(item) for item in value)
    if issubclass(kind, dict):
        return lambda value: {_encode(key): _encode(item) for key, item in value.items()}
    return _same


@functools.cache
def _decoder(annotation: Any) -> Callable[[Any], Any]:
    decode = _decoder_of(annotation)
    return lambda value: None if value is None else decode(value)


def _decoder_of(annotation: Any) -> Callable[[Any], Any]:
    if annotation in _JSON_NATIVE:
        return _same
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return _decoder(next(arg for arg in arguments if arg is not type(None)))
    if origin in (tuple, frozenset):
        item = _decoder(arguments[0])
        return lambda value: origin(item(each) for each in value)
    if origin is dict:
        key, item = _decoder(arguments[0]), _decoder(arguments[1])
        return lambda value: {key(k): item(v) for k, v in value.items()}
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        return _dataclass_decoder(annotation)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation
    return _PARSERS.get(annotation, _same)


def _dataclass_decoder(cls: type) -> Callable[[Any], Any]:
    fields = {name: _decoder(hint) for name, hint in _init_hints(cls).items()}
    return lambda value: cls(**{key: fields[key](item) for key, item in value.items() if key in fields})


def _same(value: Any) -> Any:
    return value


_PARSERS: dict[Any, Callable[[Any], Any]] = {
    UUID: UUID,
    datetime: datetime.fromisoformat,
    date: date.fromisoformat,
}


@functools.cache
def _init_hints(cls: type) -> dict[str, Any]:
    """The resolved type of each constructor field, worked out once per class (it is costly)."""
    hints = typing.get_type_hints(cls)
    return {field.name: hints[field.name] for field in dataclasses.fields(cls) if field.init}


def _person_registered_v1_to_v2(payload: Payload) -> Payload:
    """Version 1 held one `name`; version 2 holds given and family names (the family name is the last word)."""
    name = str(payload.pop("name", "")).strip()
    given, _, family = name.rpartition(" ")
    payload["given_name"] = given or family
    payload["family_name"] = family if given else ""
    payload.setdefault("communication_needs", [])
    return payload


def _care_relationship_started_v1_to_v2(payload: Payload) -> Payload:
    """Version 1 stated no basis: such relationships say so ("not-recorded"); each is named by its event id."""
    payload.setdefault("relationship_id", payload.get("event_id"))
    payload.setdefault("basis", "not-recorded")
    return payload


# What a version 1 capacity assessment's free-text decision must say to be about the CPR recommendation.
_ABOUT_CPR = re.compile(
    r"cpr|cardio-?\s*pulmonary|resuscitat|dnacpr|dnar|respect|emergency\s+care", re.IGNORECASE
)


def _capacity_assessed_v1_to_v2(payload: Payload) -> Payload:
    """Version 1 held the decision as free text; version 2 as a code. Words that mention CPR, resuscitation,
    DNACPR, ReSPECT or emergency care become the CPR recommendation (so that the rules about consulting others
    apply to them); anything else is another decision. The words are kept either way."""
    text = str(payload.pop("decision", "")).strip()
    payload["decision"] = "cpr" if _ABOUT_CPR.search(text) else "other"
    payload["decision_text"] = text
    return payload


def _advance_decision_recorded_v1_to_v2(payload: Payload) -> Payload:
    """Version 1 did not say whether the person had capacity when making it: not recorded (capacity presumed)."""
    payload.setdefault("made_with_capacity", None)
    return payload


def _conversation_recorded_v1_to_v2(payload: Payload) -> Payload:
    """Version 1 said the format only in words (`information_format`, kept): no accessible format coded, no
    interpreter, no reasonable adjustment recorded. The words are not guessed into codes."""
    payload.setdefault("formats_offered", [])
    payload.setdefault("interpreter_language", "")
    payload.setdefault("reasonable_adjustments", [])
    return payload


def _recommendation_made_v1_to_v2(payload: Payload) -> Payload:
    """Version 1 held one 0-10 `priority_scale` and no form version. The scale is ReSPECT's section 3, the
    person's place between "living as long as possible matters most" and "quality of life and comfort matters
    most": it was asked for beside what matters to the person, and it is the NHS End of Life API's
    `respectPriorityScale` and the Nottinghamshire questionnaire's 0-10 section 3 score (shared/domain.md 1.1).
    Section 4's clinician's scale was never asked for, so it is not recorded; nor is the form's version."""
    scale = payload.pop("priority_scale", None)
    payload.setdefault("form_version", "")
    if scale is not None:
        payload["respect"] = {"what_matters_scale": scale}
    return payload


UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("RecommendationMade", 1): _recommendation_made_v1_to_v2,
    ("PersonRegistered", 1): _person_registered_v1_to_v2,
    ("CareRelationshipStarted", 1): _care_relationship_started_v1_to_v2,
    ("CapacityAssessed", 1): _capacity_assessed_v1_to_v2,
    ("AdvanceDecisionRecorded", 1): _advance_decision_recorded_v1_to_v2,
    ("ConversationRecorded", 1): _conversation_recorded_v1_to_v2,
}
