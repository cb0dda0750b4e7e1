"""A rebuild from Kafka shared out by partition: one worker process per share of the partitions.

A person's events are all on one partition (the key is the person), and every read model the projector writes
is a person's rows, so partitions can be applied independently and in any interleaving: each worker applies its
partitions' events, in offset order, into the staging schema (staging.py), and reports the store positions it
saw. The parent checks the topic's completeness over them all and swaps the rebuilt read models in, or refuses
and leaves the live ones as they were. Processes, not threads: the apply pass is CPU-bound Python.

The workers commit each batch with `synchronous_commit` off: nothing is served from the staging schema, and the
swap's own COMMIT waits for the log up to and including everything written before it.
"""

from __future__ import annotations

import multiprocessing
import pickle
import queue
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg2

from carerecord_messaging.whole_topic import Positions, decoded, read_whole_topic
from carerecord_projections import database  # noqa: F401  # its adapters: UUIDs, and text the read models can hold
from carerecord_projections.projector import ProjectionGap, apply_batch
from carerecord_projections.staging import build_in_staging


class RebuildWorkerFailed(Exception):
    """A worker stopped without a word (killed, out of memory): its share of the topic was not rebuilt."""


@dataclass(frozen=True)
class Share:
    """One worker's part of the rebuild: these partitions of `topic`, up to store position `last`."""

    index: int
    client_options: dict[str, Any]
    topic: str
    partitions: tuple[int, ...]
    dsn: str
    live_schema: str
    last: int


@dataclass(frozen=True)
class ShareRebuilt:
    applied: int
    seen: Positions
    gap: str | None  # the first missing event, if one was (its partition was applied no further)


def shares(partitions: list[int], workers: int) -> list[tuple[int, ...]]:
    """The partitions dealt out to `workers` workers, as evenly as they go."""
    return [tuple(partitions[index::workers]) for index in range(min(workers, len(partitions)))]


def rebuild_shares(jobs: list[Share], on_read: Callable[[int], None] | None) -> list[ShareRebuilt]:
    """Runs one process per share and waits for them all; `on_read(messages read so far)`. The first failure
    stops the others and is raised here."""
    context = multiprocessing.get_context("forkserver")  # a clean process: no threads, no open connections
    context.set_forkserver_preload([__name__])
    reports = context.Queue()
    processes = [
        context.Process(target=_run_share, args=(job, reports), name=f"carerecord-rebuild-{job.index}")
        for job in jobs
    ]
    for process in processes:
        process.start()
    try:
        return _collect(processes, reports, on_read)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
        reports.close()


def _collect(processes: list[Any], reports: Any, on_read: Callable[[int], None] | None) -> list[ShareRebuilt]:
    done: dict[int, ShareRebuilt] = {}
    read = [0] * len(processes)
    silent = 0
    while len(done) < len(processes):
        try:
            index, kind, value = reports.get(timeout=1.0)
        except queue.Empty:
            silent = _count_silent(processes, done, silent)
            continue
        if kind == "read":
            read[index] = value
            if on_read:
                on_read(sum(read))
        elif kind == "done":
            done[index] = value
        else:
            raise value
    return [done[index] for index in range(len(processes))]


def _count_silent(processes: list[Any], done: dict[int, ShareRebuilt], silent: int) -> int:
    """A worker that ended without reporting is waited for once more (its report may still be on its way)."""
    ended = [
        index for index, process in enumerate(processes) if process.exitcode is not None and index not in done
    ]
    if not ended:
        return 0
    if silent:
        raise RebuildWorkerFailed(
            f"rebuild worker {ended[0]} ended (exit code {processes[ended[0]].exitcode}) without its result"
        )
    return 1


def _run_share(job: Share, reports: Any) -> None:
    """The worker process's body: every outcome goes back to the parent on `reports`."""
    try:
        reports.put(
            (job.index, "done", _rebuild_share(job, lambda read: reports.put((job.index, "read", read))))
        )
    except BaseException as error:  # handed to the parent, which raises it
        reports.put((job.index, "failed", _travelling(error)))


def _rebuild_share(job: Share, on_read: Callable[[int], None]) -> ShareRebuilt:
    connection = psycopg2.connect(job.dsn)
    try:
        with connection, connection.cursor() as cursor:
            build_in_staging(cursor, job.live_schema)
            cursor.execute("SET synchronous_commit TO off")
        seen, applied, read = Positions(job.last), 0, 0
        gap: str | None = None
        for messages in read_whole_topic(job.client_options, job.topic, job.partitions):
            items = decoded(messages, job.last, seen)
            read += len(messages)
            if gap is None:
                try:
                    with connection, connection.cursor() as cursor:
                        applied += apply_batch(cursor, items)
                except ProjectionGap as found:
                    gap = str(found)
            on_read(read)
        return ShareRebuilt(applied, seen, gap)
    finally:
        connection.close()


def _travelling(error: BaseException) -> BaseException:
    """The error as it can reach the parent (the queue pickles it): itself, or its type and message."""
    try:
        # our own object, back from the bytes we just made of it
        pickle.loads(pickle.dumps(error))  # noqa: S301
    except Exception:  # an exception whose arguments cannot be pickled or rebuilt
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error
