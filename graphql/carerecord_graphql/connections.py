"""Pages of the lists that grow with the record (its timeline, who has looked, oversight's drill-downs and
alerts), as Relay's Cursor Connections specification has them: `first`/`after` forwards, `last`/`before`
backwards, `edges { cursor node }` and a `PageInfo`, defined once here for every such list.

A cursor is opaque to the client: the base64 of the list's name and the item's key in it (a version, a
position in the access log, a place in a list worked out for the request), so that a cursor of one list is
refused by another. Every list reads through a `Window`: the items strictly between two keys, the first (or
the last) `limit` of them, in the list's own order; `connection` asks it for one more than the page to know
whether the list goes on. A page holds at most `MAX_PAGE` items: the query-cost limit (limits.py) counts
the items a query may ask for from the same arguments."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

import strawberry

T = TypeVar("T")

MAX_PAGE = 200  # the most items one page gives
DEFAULT_PAGE = 50  # a page's size when neither `first` nor `last` is given
PAGE_SIZES = ("first", "last")  # the arguments that size a page: limits.py counts by them

First = Annotated[
    int | None,
    strawberry.argument(
        description=f"How many items to give from the start, after `after` (1 to {MAX_PAGE})"
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(description="Give the items after this cursor (an edge's `cursor`, or `endCursor`)"),
]
Last = Annotated[
    int | None,
    strawberry.argument(
        description=f"How many items to give from the end, before `before` (1 to {MAX_PAGE})"
    ),
]
Before = Annotated[
    str | None,
    strawberry.argument(
        description="Give the items before this cursor (an edge's `cursor`, or `startCursor`)"
    ),
]


@strawberry.type(description="Where a page of a connection stands (Relay's PageInfo)")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether there are items after this page")
    has_previous_page: bool = strawberry.field(description="Whether there are items before this page")
    start_cursor: str | None = strawberry.field(
        description="The first item's cursor (pass it as `before` for the page before); none on an empty page"
    )
    end_cursor: str | None = strawberry.field(
        description="The last item's cursor (pass it as `after` for the next page); none on an empty page"
    )


@strawberry.type(description="One item of a page, with its cursor")
class Edge(Generic[T]):
    cursor: str = strawberry.field(
        description="Where the item stands: pass it as `after` for the items after it, `before` for those before"
    )
    node: T = strawberry.field(description="The item")


@strawberry.type(description="A page of a list that grows (a Relay connection), in the list's own order")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The page's items, in the list's order")
    page_info: PageInfo = strawberry.field(description="Where the page stands in the list")


# (after key, before key, limit, from the end) -> the items strictly between the keys, in the list's order:
# the first `limit` of them, or the last `limit` when from the end.
Window = Callable[[int | None, int | None, int, bool], Sequence[tuple[int, T]]]


@dataclass(frozen=True)
class Page:
    """What a client asked of a list: a size and the cursors it gave, checked and read."""

    size: int
    backwards: bool
    after: int | None
    before: int | None


def page(list_name: str, first: int | None, after: str | None, last: int | None, before: str | None) -> Page:
    """The page asked for; ValueError, in words for the client, when it cannot be given."""
    if first is not None and last is not None:
        raise ValueError("give first (with after) or last (with before), not both")
    size = first if first is not None else last if last is not None else DEFAULT_PAGE
    if not 1 <= size <= MAX_PAGE:
        raise ValueError(f"{'last' if last is not None else 'first'} must be between 1 and {MAX_PAGE}")
    return Page(size, last is not None, _key(list_name, after), _key(list_name, before))


def connection(list_name: str, window: Window[T], asked: Page) -> Connection[T]:
    """One page of the list, as the Relay specification's algorithm gives it: items past a cursor the client
    gave are known to exist (that cursor's own item), so the page says there are items on that side."""
    items = list(window(asked.after, asked.before, asked.size + 1, asked.backwards))
    more = len(items) > asked.size
    items = items[-asked.size :] if asked.backwards else items[: asked.size]
    edges = [Edge(cursor=cursor(list_name, key), node=node) for key, node in items]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=asked.before is not None if asked.backwards else more,
            has_previous_page=more if asked.backwards else asked.after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


def listed(items: Sequence[T]) -> Window[T]:
    """A list worked out whole for the request (alerts, drill-downs), keyed by place: the same request asked
    again gives the same list while the record does not change."""

    def window(after: int | None, before: int | None, limit: int, from_end: bool) -> list[tuple[int, T]]:
        start = 0 if after is None else after + 1
        end = len(items) if before is None else max(start, min(before, len(items)))
        keyed = list(enumerate(items))[start:end]
        return keyed[-limit:] if from_end else keyed[:limit]

    return window


def cursor(list_name: str, key: int) -> str:
    return base64.urlsafe_b64encode(f"{list_name}:{key}".encode()).decode()


def _key(list_name: str, given: str | None) -> int | None:
    if given is None:
        return None
    try:
        name, _, key = base64.urlsafe_b64decode(given.encode()).decode().partition(":")
        if name != list_name or not key.isdigit():  # a key is a place, a version or a position: 0 or more
            raise ValueError
        return int(key)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ValueError(f"that cursor is not one this API gave out for the {list_name}") from None
