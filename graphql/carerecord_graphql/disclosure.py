"""What the schema says about itself in production mode: no field suggestions to anyone ("Did you mean
'glossary'?" names fields a stranger did not know), and introspection only for signed-in callers. The SDL is
published in the repository anyway; this only stops a stranger mapping the API from the outside.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import FieldNode, GraphQLError, ValidationRule

# graphql-core appends every suggestion to the end of a message, as " Did you mean 'a', 'b' or 'c'?"
_SUGGESTION = re.compile(r"\s*Did you mean .*\?\s*\Z", re.DOTALL)
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
INTROSPECTION_REFUSED = (
    "introspection is open to signed-in callers only; the schema is published as graphql/schema.graphql"
)


class _IntrospectionRefused(ValidationRule):
    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if node.name.value in INTROSPECTION_FIELDS:
            self.report_error(GraphQLError(INTROSPECTION_REFUSED, node))


class SchemaDisclosure(SchemaExtension):
    """Production mode's extension: introspection refused to callers who are not signed in, and every error
    message (validation, variables, execution) without its suggestions."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if getattr(context.context, "principal", None) is None:
            context.validation_rules = (*context.validation_rules, _IntrospectionRefused)
        yield

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, (GraphQLExecutionResult, ExecutionResult)) and result.errors:
            result.errors = [_without_suggestions(error) for error in result.errors]
        pre = self.execution_context.pre_execution_errors
        if pre:
            self.execution_context.pre_execution_errors = [_without_suggestions(error) for error in pre]


def _without_suggestions(error: GraphQLError) -> GraphQLError:
    message = _SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=error.extensions,
    )
