"""GraphQL types made from the dataclasses that define what they show, so that a field is declared once: in
the definition, not again by hand in the schema. A field's description is its metadata's "description"; a
field whose type is a dataclass already wrapped takes the wrapped type. Resolvers return the plain instances."""

from __future__ import annotations

import dataclasses
import functools
import operator
import types
import typing
from collections.abc import Sequence
from typing import Any

import strawberry

_WRAPPED: dict[Any, type] = {}


def graphql_type(
    source: type, *, name: str, description: str | None = None, fields: Sequence[str] | None = None
) -> type:
    """A strawberry type named `name` with `source`'s fields (or those named in `fields`, in that order)."""
    hints = typing.get_type_hints(source)
    by_name = {field.name: field for field in dataclasses.fields(source)}
    chosen = [by_name[field] for field in fields] if fields is not None else list(by_name.values())
    # A plain class, not a dataclass: strawberry reads the fields from the class body it is given.
    namespace: dict[str, Any] = {
        "__annotations__": {field.name: _wrapped(hints[field.name]) for field in chosen},
        "__module__": source.__module__,
        **{field.name: strawberry.field(description=field.metadata.get("description")) for field in chosen},
    }
    copy = type(name, (), namespace)
    made: type = strawberry.type(copy, description=description)
    if fields is None:
        _WRAPPED[source] = made
    return made


def _wrapped(hint: Any) -> Any:
    if hint in _WRAPPED:
        return _WRAPPED[hint]
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin in (list, tuple):  # a tuple of one type, any length, is a GraphQL list
        return list[_wrapped(arguments[0])]  # type: ignore[misc]
    if origin in (typing.Union, types.UnionType):
        return functools.reduce(operator.or_, [_wrapped(argument) for argument in arguments])
    return hint
