"""Rebuilding every read model from scratch, from the event store or from Kafka.

From Kafka the topic is read once, its partitions shared out between worker processes, one per partition unless
told otherwise (partition_rebuild.py): they rebuild the read models beside the live ones, which are swapped for
them in one transaction only if the topic proved complete on the way (every store position from the first to
the store's last is on it); otherwise the rebuilt ones are dropped, the live read models stay as they were, and
the rebuild is refused (IncompleteTopic). Until the swap, readers are served the read models as they were.
With one worker the read models are emptied and rebuilt in this process in one transaction, committed on the
same condition; while it runs, readers of the read models wait for it (their lock timeout answers "try again")
rather than see a half-built current plan. The two give the same read models (a test compares them table by
table). "As of" a position means: stop there. A rebuilt read model is identical to the one
built incrementally (a test compares their checksums).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from carerecord_messaging.partition_rebuild import Share, rebuild_shares, shares
from carerecord_messaging.store_feeder import Progress, StoreFeeder
from carerecord_messaging.whole_topic import (
    IncompleteTopic,
    Positions,
    decoded,
    partitions_of,
    read_whole_topic,
)
from carerecord_messaging.wire import POSITION_HEADER
from carerecord_projections.database import prepare, transaction
from carerecord_projections.projector import ProjectionGap, apply_batch
from carerecord_projections.registry import ADDITIONAL_PROJECTIONS
from carerecord_projections.schema import truncate_read_models
from carerecord_projections.staging import create_staging, discard_staging, live_schema, swap_in
from carerecord_services.event_log import EventLog

__all__ = [
    "IncompleteTopic",
    "check_topic_complete",
    "rebuild_from_kafka",
    "rebuild_from_store",
    "rebuild_into",
]


def rebuild_from_store(store: EventLog, dsn: str, *, as_of: int | None, progress: Progress | None) -> int:
    prepare(dsn)
    with transaction(dsn) as cursor:
        truncate_read_models(cursor)
    return StoreFeeder(store, dsn, consumer="in-process").catch_up(stop_at=as_of, progress=progress)


def rebuild_into(store: EventLog, scratch_dsn: str, *, progress: Progress | None) -> None:
    """Every read model of the clinical store, the ones fed on their own too, rebuilt into the (empty) schema
    `scratch_dsn` names (the access audit's are the caller's: they are fed from the audit store)."""
    rebuild_from_store(store, scratch_dsn, as_of=None, progress=progress)
    for projection in ADDITIONAL_PROJECTIONS.values():
        StoreFeeder(store, scratch_dsn, projection=projection()).catch_up()


def rebuild_from_kafka(
    client_options: dict[str, Any],
    *,
    topic: str,
    dsn: str,
    store_last: int,
    as_of: int | None,
    progress: Progress | None,
    stored_positions: Collection[int] | None = None,
    workers: int | None = None,
) -> int:
    """`stored_positions`: the positions the store really holds. Positions can skip numbers (a rolled-back
    insert, a crash), so when they are given the topic is checked against them rather than 1..last.
    `workers`: how many processes share the partitions (None: one per partition; 1: this process alone, in
    one transaction on the live read models). Returns how many events changed the read models."""
    last = store_last if as_of is None else min(as_of, store_last)
    prepare(dsn)
    partitions = partitions_of(client_options, topic)
    count = len(partitions) if workers is None else max(1, min(workers, len(partitions)))
    if count == 1:
        return _rebuild_serially(client_options, topic, dsn, last, progress, stored_positions)
    with transaction(dsn) as cursor:
        live = live_schema(cursor)
    jobs = [
        Share(index, client_options, topic, share, dsn, live, last)
        for index, share in enumerate(shares(partitions, count))
    ]
    return _rebuild_in_parallel(jobs, progress, stored_positions)


def _rebuild_serially(
    client_options: dict[str, Any],
    topic: str,
    dsn: str,
    last: int,
    progress: Progress | None,
    stored_positions: Collection[int] | None,
) -> int:
    """The read models emptied and rebuilt in one transaction, which commits only if the topic proved complete."""
    present = Positions(last)
    with transaction(dsn) as cursor:
        truncate_read_models(cursor)
        applied = seen = 0
        gap: ProjectionGap | None = None  # a missing event; the topic's completeness then says which
        for messages in read_whole_topic(client_options, topic):
            items = decoded(messages, last, present)
            seen += len(messages)
            if gap is None:
                try:
                    applied += apply_batch(cursor, items)
                except ProjectionGap as found:
                    gap = found
            if progress:
                progress(min(seen, last), last)
        present.refuse_if_incomplete(topic, stored_positions)  # rolls the transaction back
        if gap is not None:
            raise gap
    return applied


def _rebuild_in_parallel(
    jobs: list[Share], progress: Progress | None, stored_positions: Collection[int] | None
) -> int:
    """Each share rebuilt by a worker of its own into the staging schema, swapped in once the topic proved
    complete (staging.py); otherwise the staging schema is dropped and the live read models stay as they were."""
    dsn, live, last, topic = jobs[0].dsn, jobs[0].live_schema, jobs[0].last, jobs[0].topic
    with transaction(dsn) as cursor:
        create_staging(cursor, live)
    swapped = False
    try:
        on_read = (lambda read: progress(min(read, last), last)) if progress else None
        rebuilt = rebuild_shares(jobs, on_read)
        present = Positions(last)
        for share in rebuilt:
            present.merge(share.seen)
        present.refuse_if_incomplete(topic, stored_positions)
        gaps = [share.gap for share in rebuilt if share.gap is not None]
        if gaps:
            raise ProjectionGap(gaps[0])
        with transaction(dsn) as cursor:
            swap_in(cursor, live)
        swapped = True
    finally:
        if not swapped:
            with transaction(dsn) as cursor:
                discard_staging(cursor, live)
    return sum(share.applied for share in rebuilt)


def check_topic_complete(
    client_options: dict[str, Any], topic: str, last: int, stored_positions: Collection[int] | None = None
) -> None:
    present = Positions(last)
    for messages in read_whole_topic(client_options, topic):
        for message in messages:
            position = dict(message.headers).get(POSITION_HEADER)
            if position is not None:
                present.add(int(position))
    present.refuse_if_incomplete(topic, stored_positions)
