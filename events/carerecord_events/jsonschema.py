"""JSON Schema (draft 2020-12) for each event type and version, generated from the catalogue's dataclasses.

The generated files live in events/carerecord_events/schemas/ and are checked in: they are what provider
systems validate the `data` of each CloudEvent against. A test fails when code and files disagree.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any
from uuid import UUID

from carerecord_events.base import CareRecordEvent
from carerecord_events.catalogue import all_event_types

SCHEMA_FOLDER = Path(__file__).resolve().parent / "schemas"
SCHEMA_BASE = "https://carerecord.example.nhs.uk/schemas/"


def schema_file_name(cls: type[CareRecordEvent]) -> str:
    return f"{cls.TYPE}.v{cls.VERSION}.schema.json"


def event_schema(cls: type[CareRecordEvent]) -> dict[str, Any]:
    schema = _object_schema(cls)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_BASE + schema_file_name(cls),
        "title": cls.LABEL,
        "description": cls.EASY_READ,
        **schema,
    }


def render_all() -> dict[str, str]:
    return {
        schema_file_name(cls): json.dumps(event_schema(cls), indent=2, sort_keys=True) + "\n"
        for cls in all_event_types()
    }


def write_all(folder: Path = SCHEMA_FOLDER) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_all().items():
        path = folder / name
        path.write_text(text)
        written.append(path)
    return written


def _object_schema(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in dataclasses.fields(cls):
        if not field.init:
            continue
        properties[field.name] = _type_schema(hints[field.name])
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            required.append(field.name)
    return {
        "type": "object",
        "properties": properties,
        "required": sorted(required),
        "additionalProperties": False,
    }


def _type_schema(annotation: Any) -> dict[str, Any]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [_type_schema(arg) for arg in typing.get_args(annotation) if arg is not type(None)]
        return {"anyOf": [*options, {"type": "null"}]}
    if origin is tuple:
        return {"type": "array", "items": _type_schema(typing.get_args(annotation)[0])}
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        return _object_schema(annotation)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return {"type": "string", "enum": [member.value for member in annotation]}
    simple: dict[Any, dict[str, Any]] = {
        str: {"type": "string"},
        int: {"type": "integer"},
        bool: {"type": "boolean"},
        UUID: {"type": "string", "format": "uuid"},
        datetime: {"type": "string", "format": "date-time"},
        date: {"type": "string", "format": "date"},
    }
    return simple[annotation]
