"""GraphQL types made from the dataclasses that define what they show (the record's snapshot, the read side's
views), so that a field is declared once: in the definition, not again by hand in the schema.

The type has the dataclass's fields, in its order; a resolver returns the plain instance, and strawberry reads
each field by attribute. A field's description is its metadata's "description" or its attribute docstring (or given in `described`); a
field whose type is a dataclass already wrapped takes the wrapped type; a tuple is a GraphQL list. Only what
GraphQL spells otherwise is given by hand (a field of a coded vocabulary is its GraphQL enum, the one the
inputs use, and gets `<field>Label` beside it: its words from events' `plain.label`): `spelled` (an enum as its value's scalar, say) and `extra` (fields
read from the dataclass's properties). A view that shows a command's content names it in `like`: a field of
the same name takes its description from there, so the concept is described once. For the type checker the GraphQL type is the dataclass itself (see the
`if TYPE_CHECKING` blocks where these are made), which is what a resolver returns."""

from __future__ import annotations

import dataclasses
import enum
import functools
import operator
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import strawberry

from carerecord_events.plain import label
from carerecord_graphql.described import class_description, field_description, sentence
from carerecord_graphql.inputs import graphql_enum

_WRAPPED: dict[Any, type] = {}


def graphql_type(
    source: type,
    *,
    name: str,
    description: str | None = None,
    fields: Sequence[str] | None = None,
    spelled: Mapping[str, object] | None = None,
    extra: Mapping[str, object] | None = None,
    described: Mapping[str, str] | None = None,
    like: Sequence[type] = (),
    implements: Mapping[type, Mapping[str, Any]] | None = None,
) -> type:
    """A strawberry type named `name` with `source`'s fields (or those named in `fields`, in that order).
    `implements`: the interfaces it implements, each with the fields (resolvers) it gives them."""
    hints = typing.get_type_hints(source)
    by_name = {field.name: field for field in dataclasses.fields(source)}
    chosen = [by_name[field] for field in fields] if fields is not None else list(by_name.values())
    annotations = {field.name: _wrapped(hints[field.name]) for field in chosen}
    annotations |= dict(spelled or {}) | dict(extra or {})
    descriptions = {field.name: field_description(source, field) for field in chosen}
    for name_of_extra in extra or {}:  # a property is described by its docstring
        made_by = getattr(source, name_of_extra, None)
        if isinstance(made_by, property):
            descriptions[name_of_extra] = sentence(made_by.__doc__)
    for model in like:  # what the view shows of a command's content is described as the content is
        shared = {field.name: field for field in dataclasses.fields(model)}
        for field_name, text in descriptions.items():
            if not text and field_name in shared:
                descriptions[field_name] = field_description(model, shared[field_name])
    descriptions |= dict(described or {})
    labels = {
        f"{field.name}_label": _label_field(
            field.name, hints[field.name], vocabulary, descriptions.get(field.name)
        )
        for field in chosen
        if field.name not in (spelled or {}) and (vocabulary := _vocabulary(hints[field.name])) is not None
    }
    # A plain class, not a dataclass: strawberry reads the fields from the class body it is given.
    namespace: dict[str, Any] = {
        "__annotations__": annotations,
        "__module__": source.__module__,
        "__doc__": None,
        **{field: strawberry.field(description=text) for field, text in descriptions.items() if text},
        **labels,
    }
    for given in (implements or {}).values():
        namespace |= given
    if implements:  # a resolver returns the plain instance: that is what makes it this interface's type
        namespace["is_type_of"] = classmethod(lambda _cls, value, _info: isinstance(value, source))
    made: type = strawberry.type(
        type(name, tuple(implements or ()), namespace), description=description or class_description(source)
    )
    if fields is None and not spelled:  # extra fields add to the whole dataclass: it still stands for it
        _WRAPPED[source] = made
    return made


def _vocabulary(hint: Any) -> type[enum.Enum] | None:
    """The enum a field's values come from (itself, optional, or a list of it), if any."""
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    arguments = [each for each in typing.get_args(hint) if each is not type(None) and each is not Ellipsis]
    return _vocabulary(arguments[0]) if len(arguments) == 1 else None


def _label_field(name: str, hint: Any, vocabulary: type[enum.Enum], described: str | None) -> Any:
    """`<name>Label`: the words for the field's code (a list of words for a list of codes), from `plain.label`."""

    def resolve(root: Any) -> Any:
        value = getattr(root, name)
        if value is None:
            return None
        return [label(each) for each in value] if isinstance(value, list | tuple) else label(value)

    of_what = (described or class_description(vocabulary) or name).rstrip(".")
    resolve.__annotations__ = {"root": Any, "return": _as_words(hint)}
    return strawberry.field(
        resolver=resolve, description=f"In plain words: {of_what[:1].lower()}{of_what[1:]}"
    )


def _as_words(hint: Any) -> Any:
    """The label's type: the field's, with `str` for the enum (optional stays optional, a list a list)."""
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return str
    if typing.get_origin(hint) in (list, tuple):
        return list[str]
    return str | None


def _wrapped(hint: Any) -> Any:
    if hint in _WRAPPED:
        return _WRAPPED[hint]
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin in (list, tuple):  # a tuple of one type, any length, is a GraphQL list
        return list[_wrapped(arguments[0])]  # type: ignore[misc]
    if origin in (typing.Union, types.UnionType):
        return functools.reduce(operator.or_, [_wrapped(argument) for argument in arguments])
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return graphql_enum(hint)
    return hint
