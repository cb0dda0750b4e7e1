"""GraphQL input types generated from the use cases' command dataclasses, and back again.

One input type per command, so the API cannot drift from the rules: a field added to a command appears in the
schema (and in the checked-in SDL, whose test then fails until the file is regenerated). The acting user never
comes from input: it comes from the token.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry

from carerecord_graphql.described import class_description, enum_value_descriptions, field_description

_INPUTS: dict[type, type] = {}
_ENUMS: dict[type, Any] = {}
NOT_FROM_INPUT = frozenset({"actor", "local_form"})  # local_form: only a loaded mapping sets it


def graphql_enum(enum_class: type[Enum]) -> Any:
    """The strawberry enum for `enum_class`, described by its docstring and its members' (see `described`)."""
    if enum_class not in _ENUMS:
        made: Any = strawberry.enum(enum_class, description=class_description(enum_class))
        descriptions = enum_value_descriptions(enum_class)
        for value in made.__strawberry_definition__.values:
            value.description = descriptions[value.name]
        _ENUMS[enum_class] = made
    return _ENUMS[enum_class]


def input_type(cls: type) -> type:
    """The strawberry input type mirroring a dataclass (recursively), named <Class>Input."""
    if cls in _INPUTS:
        return _INPUTS[cls]
    hints = typing.get_type_hints(cls)
    fields: list[tuple[str, Any, Any]] = []
    for field in dataclasses.fields(cls):
        if field.name in NOT_FROM_INPUT or not field.init:
            continue
        annotation = _graphql_annotation(hints[field.name])
        description = field_description(cls, field)
        if field.default is not dataclasses.MISSING:
            default = list(field.default) if isinstance(field.default, tuple) else field.default
            if isinstance(default, list):
                fields.append(
                    (
                        field.name,
                        annotation,
                        strawberry.field(default_factory=_copying(default), description=description),
                    )
                )
            else:
                fields.append(
                    (field.name, annotation, strawberry.field(default=default, description=description))
                )
        elif field.default_factory is not dataclasses.MISSING:
            factory = field.default_factory
            nested = input_type(type(factory())) if dataclasses.is_dataclass(factory()) else None
            fields.append(
                (
                    field.name,
                    annotation,
                    strawberry.field(default_factory=nested or factory, description=description),
                )
            )
        else:
            fields.append((field.name, annotation, strawberry.field(description=description)))
    required = [f for f in fields if _is_required(f[2])]
    optional = [f for f in fields if not _is_required(f[2])]
    # A plain class (not make_dataclass): strawberry reads each field's default from the class namespace.
    namespace: dict[str, Any] = {
        "__annotations__": {name: annotation for name, annotation, _ in required + optional}
    }
    namespace.update({name: spec for name, _, spec in required + optional})
    namespace["__doc__"] = None
    generated = type(f"{cls.__name__}Input", (), namespace)
    _INPUTS[cls] = strawberry.input(generated, description=class_description(cls))
    return _INPUTS[cls]


def _copying(default: list[Any]) -> Callable[[], list[Any]]:
    def factory() -> list[Any]:
        return list(default)

    return factory


def _is_required(spec: Any) -> bool:
    return spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING


def _graphql_annotation(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _graphql_annotation(inner[0]) | None
    if origin is tuple:
        return list[_graphql_annotation(typing.get_args(annotation)[0])]  # type: ignore[misc]
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        return input_type(annotation)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return graphql_enum(annotation)
    if annotation in (str, int, bool, date, datetime, UUID):
        return annotation
    raise TypeError(f"no GraphQL input for {annotation!r}")


def to_domain(cls: type, value: Any, **extra: Any) -> Any:
    """Builds the dataclass `cls` from an input value (lists become tuples), adding `extra` fields."""
    hints = typing.get_type_hints(cls)
    arguments = dict(extra)
    for field in dataclasses.fields(cls):
        if field.name in extra or not field.init or not hasattr(value, field.name):
            continue
        arguments[field.name] = _convert(hints[field.name], getattr(value, field.name))
    return cls(**arguments)


def _convert(annotation: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _convert(inner[0], value)
    if origin is tuple:
        item = typing.get_args(annotation)[0]
        return tuple(_convert(item, element) for element in value)
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        return to_domain(annotation, value)
    return value
