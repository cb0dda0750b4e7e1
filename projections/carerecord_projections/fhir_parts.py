"""What only a plan's kind of form holds (ReSPECT's sections, a treatment escalation plan, a DNACPR form, a local
form's kept fields), as nested FHIR extensions inside the plan-details extension, written by `fhir.py` and read
back by `fhir_in.py`: one field of the form's dataclass (`carerecord_events.plans`), one sub-extension, named
after the field (camelCase), its value typed (valueString, valueBoolean, valueInteger, valueDate, valueDateTime,
valueCode for a coded value), a list a repeated sub-extension, a nested part a nested extension.

Why an extension and not the notes the view also writes: the notes are for people, in words (a scale "8: nearer
'quality of life and comfort matters most'", team members joined by commas, a signature in a sentence). Read back,
they would have to be parsed, and free text that itself holds a comma, a colon or a bracket could not be taken
apart reliably; a note reworded for readers would silently stop being read. Typed elements keep each value whole
and say what it is, so a receiving system reads them without knowing our sentences. Why one generic mapping and
not one per field: it is driven by the form's own dataclass, so a field added to a form is sent and taken back in
with nothing else to change, and the two directions cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

Extension = dict[str, Any]


class PartUnreadable(Exception):
    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where, self.message = where, message


def extension_name(field_name: str) -> str:
    first, *rest = field_name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def part_extensions(cls: type, document: dict[str, Any]) -> list[Extension]:
    """The sub-extensions of one part (`document` as the current plan holds it: codes, ISO dates)."""
    found: list[Extension] = []
    for name, kind in _hints(cls).items():
        value = document.get(name)
        url = extension_name(name)
        items, item_kind = (value or [], _item(kind)) if _is_tuple(kind) else ([value], kind)
        for item in items:
            each = _one(url, item_kind, item)
            if each is not None:
                found.append(each)
    return found


def _one(url: str, kind: Any, value: Any) -> Extension | None:
    if value is None or value == "":
        return None  # FHIR has no empty values: an absent field is its default when read back
    if dataclasses.is_dataclass(kind):
        parts = part_extensions(kind, value)  # type: ignore[arg-type]
        return {"url": url, "extension": parts} if parts else None
    return {"url": url, _value_key(kind): value}


def read_part(cls: type, extensions: list[Extension], where: str) -> Any:
    """A part from its sub-extensions (`where`: the FHIRPath of their parent, for naming what is wrong)."""
    values: dict[str, Any] = {}
    for name, kind in _hints(cls).items():
        url = extension_name(name)
        path = f"{where}.extension('{url}')"
        given = [e for e in extensions if isinstance(e, dict) and e.get("url") == url]
        if _is_tuple(kind):
            values[name] = [_read(_item(kind), each, path) for each in given]
        elif len(given) > 1:
            raise PartUnreadable(path, "given more than once")
        elif given:
            values[name] = _read(kind, given[0], path)
        elif _required(cls, name):
            if _unwrapped(kind) is not str:
                raise PartUnreadable(path, "required here")
            values[name] = ""  # the rules say which text is required, naming the field
    try:
        return cls(**{name: _decoded(_hints(cls)[name], value) for name, value in values.items()})
    except ValueError:
        raise PartUnreadable(where, "not a value the record knows") from None


def _read(kind: Any, extension: Extension, path: str) -> Any:
    if dataclasses.is_dataclass(kind):
        children = extension.get("extension")
        if not isinstance(children, list):
            raise PartUnreadable(path, "a nested extension is expected here")
        return read_part(kind, children, path)  # type: ignore[arg-type]
    key = _value_key(kind)
    value = extension.get(key)
    scalar = _unwrapped(kind)
    expected = bool if scalar is bool else (int if scalar is int else str)
    if value is None or not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise PartUnreadable(path, f"a {key} is expected here")
    return value


def _decoded(kind: Any, value: Any) -> Any:
    if _is_tuple(kind):
        return tuple(_decoded(_item(kind), each) for each in value)
    scalar = _unwrapped(kind)
    if dataclasses.is_dataclass(scalar) or value is None:
        return value
    if isinstance(scalar, type) and issubclass(scalar, Enum):
        return scalar(value)
    if scalar is datetime:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("a time without its zone")
        return parsed
    if scalar is date:
        return date.fromisoformat(value)
    return value


_VALUE_KEYS: dict[Any, str] = {
    bool: "valueBoolean",
    int: "valueInteger",
    str: "valueString",
    datetime: "valueDateTime",
    date: "valueDate",
    Enum: "valueCode",
}


def _value_key(kind: Any) -> str:
    kind = _unwrapped(kind)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return _VALUE_KEYS[Enum]
    if kind not in _VALUE_KEYS:
        raise TypeError(f"no FHIR value type for {kind!r}")
    return _VALUE_KEYS[kind]


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """The fields sent, by type. An id (a UUID) points within this record (a representative recorded on it)
    and would point nowhere in the receiving system: it is not sent, and is left unset when read back."""
    hints = typing.get_type_hints(cls)
    return {
        field.name: hints[field.name]
        for field in dataclasses.fields(cls)
        if _unwrapped(hints[field.name]) is not UUID
    }


def _required(cls: type, name: str) -> bool:
    field = next(f for f in dataclasses.fields(cls) if f.name == name)
    return field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING


def _unwrapped(kind: Any) -> Any:
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        return next(arg for arg in typing.get_args(kind) if arg is not type(None))
    return kind


def _is_tuple(kind: Any) -> bool:
    return typing.get_origin(_unwrapped(kind)) is tuple


def _item(kind: Any) -> Any:
    return typing.get_args(_unwrapped(kind))[0]
