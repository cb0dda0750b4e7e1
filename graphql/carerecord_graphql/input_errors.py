"""A value in the request that cannot be read (a malformed UUID, an Int beyond 32 bits) is the caller's to fix:
say so, naming the argument, instead of the masked "Unexpected error.".

graphql-core coerces variables before anything runs, and reports a failure as a GraphQLError whose original
error is the scalar's own (strawberry's StrawberryInputCoercionError for a UUID, graphql-core's GraphQLError for
an Int outside -2**31..2**31-1, since GraphQL's Int is 32-bit). Those originals are not among the errors the
schema lets through, so they were masked. Here each is rewritten to name the argument(s) its variable feeds
(found in the request's document) and given an original the mask lets through. An error raised while
producing a result (it has a path) is never touched: that one is ours, and stays masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    InlineFragmentNode,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
)

INT_RANGE = "GraphQL's Int is 32-bit: from -2147483648 to 2147483647"


class InvalidArgument(ValueError):
    """A request's own value that cannot be read; told to the caller (never masked)."""


def explain_input_errors(errors: list[GraphQLError], document: DocumentNode | None) -> list[GraphQLError]:
    return [_explained(error, document) for error in errors]


def _explained(error: GraphQLError, document: DocumentNode | None) -> GraphQLError:
    if error.path is not None:
        return error
    if not error.nodes:
        return _literal_without_location(error, document)
    node = error.nodes[0]
    if isinstance(node, VariableDefinitionNode) and isinstance(error.original_error, GraphQLError):
        variable = node.variable.name.value
        names = _arguments_fed_by(document, variable)
        where = f"argument {', '.join(names)} (variable ${variable})" if names else f"variable ${variable}"
        return _told(error, f"{where}: {_reason(error.original_error.message)}", names)
    if error.original_error is None and "cannot represent" in error.message:  # a literal in the query
        names = _arguments_holding(document, node)
        if names:
            return _told(error, f"argument {', '.join(names)}: {_reason(error.message)}", names)
    return error


# strawberry reports a malformed literal of its own scalars (UUID, Date, DateTime) without the node it was in,
# but with the value: the argument is the one whose literal is that value.
_SCALAR_LITERAL = re.compile(r'Value cannot represent an? [A-Za-z]+: "(?P<value>[^"]*)"\.')


def _literal_without_location(error: GraphQLError, document: DocumentNode | None) -> GraphQLError:
    written = _SCALAR_LITERAL.match(error.message)
    if error.original_error is not None or written is None:
        return error
    names = _unique(
        name
        for name, value in _argument_values(document)
        if isinstance(value, StringValueNode) and value.value == written["value"]
    )
    return _told(error, f"argument {', '.join(names)}: {error.message}", names) if names else error


def _reason(message: str) -> str:
    if message.startswith("Int cannot represent"):
        return f"{message} ({INT_RANGE})"
    return message


def _told(error: GraphQLError, message: str, names: list[str]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        original_error=InvalidArgument(message),
        extensions={"code": "BAD_USER_INPUT", "arguments": names},
    )


def _arguments_fed_by(document: DocumentNode | None, variable: str) -> list[str]:
    return _unique(
        name
        for name, value in _argument_values(document)
        if isinstance(value, VariableNode) and value.name.value == variable
    )


def _arguments_holding(document: DocumentNode | None, node: Node) -> list[str]:
    if node.loc is None:
        return []
    start, end = node.loc.start, node.loc.end
    return _unique(
        name
        for name, value in _argument_values(document)
        if not isinstance(value, ObjectValueNode | ListValueNode)
        and value.loc is not None
        and (value.loc.start, value.loc.end) == (start, end)
    )


def _unique(names: Iterator[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _argument_values(document: DocumentNode | None) -> Iterator[tuple[str, ValueNode]]:
    """(argument path, value) for every argument of every field, nested input fields as `input.planId`."""
    if document is None:
        return
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            yield from _in_selections(definition.selection_set)


def _in_selections(selection_set: SelectionSetNode | None) -> Iterator[tuple[str, ValueNode]]:
    if selection_set is None:
        return
    for selection in selection_set.selections or ():
        if isinstance(selection, FieldNode):
            for argument in selection.arguments or ():
                yield from _in_value(argument.name.value, argument.value)
            yield from _in_selections(selection.selection_set)
        elif isinstance(selection, InlineFragmentNode):
            yield from _in_selections(selection.selection_set)


def _in_value(name: str, value: ValueNode) -> Iterator[tuple[str, ValueNode]]:
    yield name, value
    if isinstance(value, ObjectValueNode):
        for field in value.fields or ():
            yield from _in_value(f"{name}.{field.name.value}", field.value)
    elif isinstance(value, ListValueNode):
        for item in value.values or ():
            yield from _in_value(name, item)
