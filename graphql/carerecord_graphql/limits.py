"""A query's cost, bounded before validation in time linear in its text.

strawberry's QueryDepthLimiter walks every fragment spread afresh: a 1 KB query whose fragments each spread
the next twice takes exponential time (20 levels took 10 s, 30 levels minutes, with the event loop blocked).
Here each fragment is measured once (its depth and its expanded field count), then the fragments are combined
in dependency order, so the work is proportional to the document; a fragment that spreads itself is found on
the way. What is refused: depth beyond `max_depth` (counted as strawberry counts it, introspection fields
ignored), more than `max_spreads` fragment spreads in the text, more than `max_fields` fields once fragments
are expanded, and selections nested more than `MAX_NESTING` deep. Validation (graphql-core's rules, aliases)
runs only on what passed, so its work is bounded by the expanded size too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from strawberry.extensions import SchemaExtension

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

MAX_NESTING = 64  # selection sets within selection sets, introspection included


class TooCostly(Exception):
    """The query is refused before validation; the message says which limit and by how much."""


@dataclass(frozen=True)
class CostLimits:
    max_depth: int = 8
    max_fields: int = 500
    max_spreads: int = 100
    # one response name in one merged selection set: graphql-core checks that such fields can be merged by
    # comparing them pairwise, so 200 repeats of one field cost 0.7 s of validation
    max_repeats: int = 5


@dataclass
class _Group:
    """One merged selection set (an inline fragment merges into the set around it): the response names it
    asks for itself and the fragments spread into it."""

    names: Counter[str] = field(default_factory=Counter)
    spreads: list[str] = field(default_factory=list)


@dataclass
class _Part:
    """One fragment or operation on its own, its spreads not followed."""

    depth: int = 0
    fields: int = 0
    spreads: list[tuple[str, int | None]] = field(default_factory=list)  # name, depth there (None: ignored)
    top: _Group = field(default_factory=_Group)
    groups: list[_Group] = field(default_factory=list)  # every merged selection set, the top one first


@dataclass(frozen=True)
class Cost:
    depth: int
    fields: int
    names: Counter[str]  # the response names of the top selection set, its fragments merged in


def measure(document: DocumentNode, limits: CostLimits) -> dict[str, Cost]:
    """Each operation's cost (by name, "anonymous" without one); raises TooCostly past a limit."""
    fragments = {
        d.name.value: _part(d.selection_set, limits)
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    operations = {
        (d.name.value if d.name else "anonymous"): _part(d.selection_set, limits)
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    }
    spreads = sum(len(part.spreads) for part in (*fragments.values(), *operations.values()))
    if spreads > limits.max_spreads:
        raise TooCostly(
            f"the query spreads fragments {spreads} times; at most {limits.max_spreads} are allowed"
        )
    costs = _fragment_costs(fragments, limits)
    measured = {name: _combine(part, costs, limits) for name, part in operations.items()}
    for name, cost in measured.items():
        if cost.depth > limits.max_depth:
            raise TooCostly(f"'{name}' exceeds maximum operation depth of {limits.max_depth}")
        if cost.fields > limits.max_fields:
            raise TooCostly(
                f"'{name}' asks for more than {limits.max_fields} fields once its fragments are expanded; "
                "ask for fewer, or split the query"
            )
    return measured


def _part(selection_set: SelectionSetNode, limits: CostLimits) -> _Part:
    """Walks one definition's own selections (an explicit stack: nesting cannot exhaust Python's)."""
    part = _Part()
    part.groups.append(part.top)
    stack: list[tuple[SelectionSetNode, int | None, int, _Group]] = [(selection_set, 0, 1, part.top)]
    while stack:
        selections, depth, nesting, group = stack.pop()
        if nesting > MAX_NESTING:
            raise TooCostly(f"the query nests selections more than {MAX_NESTING} deep")
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                part.fields += 1
                part.depth = max(part.depth, depth or 0)
                group.names[(selection.alias or selection.name).value] += 1
                if selection.selection_set is not None:
                    # as strawberry counts: nothing within an introspection field adds depth
                    ignored = depth is None or selection.name.value.startswith("__")
                    inner_depth = None if depth is None or ignored else depth + 1
                    part.groups.append(inner := _Group())
                    stack.append((selection.selection_set, inner_depth, nesting + 1, inner))
            elif isinstance(selection, FragmentSpreadNode):
                part.spreads.append((selection.name.value, depth))
                group.spreads.append(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                stack.append((selection.selection_set, depth, nesting + 1, group))
    return part


def _fragment_costs(fragments: dict[str, _Part], limits: CostLimits) -> dict[str, Cost]:
    """Every fragment's cost, each computed once, children before parents (a depth-first walk with an
    explicit stack); a fragment met again on the current path spreads itself."""
    costs: dict[str, Cost] = {}
    for root in fragments:
        if root in costs:
            continue
        path = [root]
        stack: list[Iterator[str]] = [_children(fragments[root])]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                name = path.pop()
                stack.pop()
                costs[name] = _combine(fragments[name], costs, limits)
            elif child in path:
                via = " via ".join(f"'{n}'" for n in path[path.index(child) + 1 :])
                raise TooCostly(
                    f"fragment '{child}' is spread within itself" + (f" via {via}" if via else "")
                )
            elif child in fragments and child not in costs:
                path.append(child)
                stack.append(_children(fragments[child]))
    return costs


def _children(part: _Part) -> Iterator[str]:
    return iter(dict.fromkeys(name for name, _ in part.spreads))


def _combine(part: _Part, costs: dict[str, Cost], limits: CostLimits) -> Cost:
    """A part's cost with its spreads expanded (an unknown fragment costs nothing: validation names it).
    Counts stop just past their limits, so that numbers stay small whatever the nesting."""
    depth, fields = part.depth, part.fields
    for name, at in part.spreads:
        spread = costs.get(name)
        if spread is None:
            continue
        fields = min(fields + spread.fields, limits.max_fields + 1)
        if at is not None:
            depth = min(max(depth, at + spread.depth), limits.max_depth + 1)
    names = [_merged(group, costs, limits) for group in part.groups]
    return Cost(min(depth, limits.max_depth + 1), fields, names[0])


def _merged(group: _Group, costs: dict[str, Cost], limits: CostLimits) -> Counter[str]:
    """The group's response names with those of the fragments spread into it (a fragment spread twice in
    one set is merged once, as graphql-core does); refused past `max_repeats`."""
    names = Counter(group.names)
    for name in dict.fromkeys(group.spreads):
        spread = costs.get(name)
        if spread is not None:
            names.update(spread.names)
    for name, count in names.items():
        if count > limits.max_repeats:
            raise TooCostly(
                f"the query asks for '{name}' more than {limits.max_repeats} times in one selection"
            )
    return names


class QueryCost(SchemaExtension):
    """Refuses a query over its cost limits before validation runs (validation is then skipped)."""

    def __init__(self, *, limits: CostLimits = CostLimits()) -> None:
        self._limits = limits

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and context.pre_execution_errors is None:
            try:
                measure(context.graphql_document, self._limits)
            except TooCostly as refused:
                context.pre_execution_errors = [GraphQLError(str(refused))]
        yield
