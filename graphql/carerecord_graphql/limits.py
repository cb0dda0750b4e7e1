"""A query's cost, bounded before validation in time linear in its text.

strawberry's QueryDepthLimiter walks every fragment spread afresh: a 1 KB query whose fragments each spread
the next twice takes exponential time (20 levels took 10 s, 30 levels minutes, with the event loop blocked).
Here each fragment is measured once (its depth and its expanded field count), then the fragments are combined
in dependency order, so the work is proportional to the document; a fragment that spreads itself is found on
the way. What is refused: depth beyond `max_depth` (counted as strawberry counts it, introspection fields
ignored), more than `max_spreads` fragment spreads in the text, more than `max_fields` fields once fragments
are expanded, more than `max_items` items asked for from lists that grow (a connection's page size, `first` or
`last`, times the pages it sits within: 5 people of 200 timeline entries are 1,000), page sizes out of bounds,
and selections nested more than `MAX_NESTING` deep. Validation (graphql-core's rules, aliases)
runs only on what passed, so its work is bounded by the expanded size too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from strawberry.extensions import SchemaExtension

from carerecord_graphql.connections import DEFAULT_PAGE, MAX_PAGE, PAGE_SIZES
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
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
    # items of lists that grow (connections) one query may ask for: ten full pages
    max_items: int = 10 * MAX_PAGE


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
    items: int = 0  # the items its connections may give, their pages multiplied by the pages they sit in
    # name, depth there (None: ignored), the pages it sits in (each item of them has the fragment's items)
    spreads: list[tuple[str, int | None, int]] = field(default_factory=list)
    top: _Group = field(default_factory=_Group)
    groups: list[_Group] = field(default_factory=list)  # every merged selection set, the top one first


@dataclass(frozen=True)
class Cost:
    depth: int
    fields: int
    items: int
    names: Counter[str]  # the response names of the top selection set, its fragments merged in


def measure(
    document: DocumentNode, limits: CostLimits, variables: Mapping[str, Any] | None = None
) -> dict[str, Cost]:
    """Each operation's cost (by name, "anonymous" without one); raises TooCostly past a limit. A page size
    given as a variable is read from `variables`, or counted as the largest page when it is not there."""
    fragments = {
        d.name.value: _part(d.selection_set, limits, variables or {})
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    operations = {
        (d.name.value if d.name else "anonymous"): _part(d.selection_set, limits, variables or {})
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
        if cost.items > limits.max_items:
            raise TooCostly(
                f"'{name}' asks for more than {limits.max_items} items of lists once its pages are multiplied "
                "out (first or last, times the pages each list sits in); ask for smaller pages"
            )
    return measured


def _part(selection_set: SelectionSetNode, limits: CostLimits, variables: Mapping[str, Any]) -> _Part:
    """Walks one definition's own selections (an explicit stack: nesting cannot exhaust Python's)."""
    part = _Part()
    part.groups.append(part.top)
    stack: list[tuple[SelectionSetNode, int | None, int, _Group, int]] = [(selection_set, 0, 1, part.top, 1)]
    while stack:
        selections, depth, nesting, group, pages = stack.pop()
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
                    size = _page_size(selection, variables)
                    inner_pages = pages if size is None else min(pages * size, limits.max_items + 1)
                    if size is not None:
                        part.items = min(part.items + inner_pages, limits.max_items + 1)
                    stack.append((selection.selection_set, inner_depth, nesting + 1, inner, inner_pages))
            elif isinstance(selection, FragmentSpreadNode):
                part.spreads.append((selection.name.value, depth, pages))
                group.spreads.append(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                stack.append((selection.selection_set, depth, nesting + 1, group, pages))
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
    return iter(dict.fromkeys(name for name, _, _ in part.spreads))


def _combine(part: _Part, costs: dict[str, Cost], limits: CostLimits) -> Cost:
    """A part's cost with its spreads expanded (an unknown fragment costs nothing: validation names it).
    Counts stop just past their limits, so that numbers stay small whatever the nesting."""
    depth, fields, items = part.depth, part.fields, part.items
    for name, at, pages in part.spreads:
        spread = costs.get(name)
        if spread is None:
            continue
        fields = min(fields + spread.fields, limits.max_fields + 1)
        items = min(items + pages * spread.items, limits.max_items + 1)
        if at is not None:
            depth = min(max(depth, at + spread.depth), limits.max_depth + 1)
    names = [_merged(group, costs, limits) for group in part.groups]
    return Cost(min(depth, limits.max_depth + 1), fields, items, names[0])


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


def _page_size(selection: FieldNode, variables: Mapping[str, Any]) -> int | None:
    """The items a field asks for when it is a connection (it is given `first` or `last`, or asks for
    `edges`: then the default page); None for any other field. TooCostly for a size out of bounds."""
    for argument in selection.arguments or ():
        if argument.name.value not in PAGE_SIZES:
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            size: Any = int(value.value)
        elif isinstance(value, VariableNode):
            size = variables.get(value.name.value)
            if size is None:  # not given (or null): counted as the largest page
                continue
        else:
            continue  # not a number: validation says so
        if not isinstance(size, int) or not 1 <= size <= MAX_PAGE:
            raise TooCostly(f"{argument.name.value} must be between 1 and {MAX_PAGE}")
        return size
    sizes = [a.name.value for a in selection.arguments or () if a.name.value in PAGE_SIZES]
    if sizes:
        return MAX_PAGE
    assert selection.selection_set is not None
    asks_for_edges = any(
        isinstance(inner, FieldNode) and inner.name.value == "edges"
        for inner in selection.selection_set.selections
    )
    return DEFAULT_PAGE if asks_for_edges else None


class QueryCost(SchemaExtension):
    """Refuses a query over its cost limits before validation runs (validation is then skipped)."""

    def __init__(self, *, limits: CostLimits = CostLimits()) -> None:
        self._limits = limits

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and context.pre_execution_errors is None:
            try:
                measure(context.graphql_document, self._limits, context.variables)
            except TooCostly as refused:
                context.pre_execution_errors = [GraphQLError(str(refused))]
        yield
