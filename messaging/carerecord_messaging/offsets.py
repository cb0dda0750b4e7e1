"""Where a consumer of the internal topic resumes: the offsets it committed in PostgreSQL with the effects of
the messages before them (never Kafka's, which may be ahead of or behind what was written)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def seek_to_stored(consumer: Any, partitions: Iterable[Any], stored: Mapping[int, int]) -> None:
    """Each partition at its stored next offset; one with none stored from its beginning."""
    for partition in partitions:
        if partition.partition in stored:
            consumer.seek(partition, stored[partition.partition])
        else:
            consumer.seek_to_beginning(partition)
