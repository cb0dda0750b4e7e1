"""The relay's throughput, and the rebuild's cost per event as the store grows.

For each size a scratch schema is loaded in bulk (loading.py), the real relay publishes it to a scratch topic,
and `carerecord rebuild --from kafka` rebuilds the read models from that topic in a process of its own. The
baselines: a bare kafka-python producer with the relay's settings sending the very messages the relay sent
(read back from its topic: same keys, headers, values, timestamps), and a bare consumer process that INSERTs
each message with execute_values per batch.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

from carerecord.bootstrap import Services, make_producer
from carerecord.settings import DatabaseLocation, KafkaSettings, Settings
from carerecord.tools.bench.common import Row, Scratch, bench_schema
from carerecord.tools.bench.loading import load_events
from carerecord.tools.bench.processes import bare_command, carerecord_command, run_child

PARTITIONS = 6


@dataclass(frozen=True)
class Rebuilt:
    events: int
    rate: float  # events per second, as the process measured it (its start-up excluded)
    peak_rss_mib: float


def relay_and_rebuild(
    settings: Settings,
    database: DatabaseLocation,
    kafka: KafkaSettings,
    sizes: list[int],
    relay_size: int,
    env: dict[str, str],
    report: Callable[[str], None],
) -> list[Row]:
    rows: list[Row] = []
    costs: dict[int, float] = {}
    for size in sizes:
        with bench_schema(settings, database) as scratch, _scratch_topics(kafka, scratch.topic):
            events, relay_rate = _loaded_and_relayed(scratch, kafka, size, report)
            topic = scratch.topic
            if size == relay_size:
                bare_rate = _bare_produce(kafka, topic, topic + ".bare")
                rows.append(
                    Row(
                        f"relay, {events:,} events",
                        "events/s",
                        relay_rate,
                        bare_rate,
                        "events/s",
                        "ratio >= 0.5",
                    )
                )
            ours = _rebuild(topic, scratch.schema, events, env)
            bare = _bare_consume(topic, scratch.dsn, env)
            report(f"{size:,} events: rebuilt at {ours.rate:,.0f} events/s (bare consumer {bare.rate:,.0f})")
            rows += _rebuild_rows(f"rebuild, {events:,} events", ours, bare)
            costs[events] = 1e6 / ours.rate
    return rows + _flat_cost(costs)


def _loaded_and_relayed(
    scratch: Scratch, kafka: KafkaSettings, size: int, report: Callable[[str], None]
) -> tuple[int, float]:
    """A store of about `size` events loaded in bulk, then published by the relay to a scratch topic."""
    topic = scratch.topic
    services = scratch.through(kafka).services()
    try:
        started = time.perf_counter()
        events = load_events(services, size, first_number=950_000_000)
        report(f"{size:,} events: loaded {events:,} positions in {time.perf_counter() - started:.1f} s")
        _create_topics(kafka, [topic, topic + ".bare"])
        relay_rate = _relay(services)
    finally:
        services.close()
    report(f"{size:,} events: relayed at {relay_rate:,.0f} events/s")
    return events, relay_rate


def _rebuild_rows(scenario: str, ours: Rebuilt, bare: Rebuilt) -> list[Row]:
    return [
        Row(scenario, "events/s", ours.rate, bare.rate, "events/s", "ratio >= 0.5"),
        Row(scenario, "cost per event", 1e6 / ours.rate, 1e6 / bare.rate, "µs", ""),
        Row(scenario, "peak RSS (bare: consumer)", ours.peak_rss_mib, bare.peak_rss_mib, "MiB", ""),
    ]


def _flat_cost(costs: dict[int, float]) -> list[Row]:
    """The cost per event at the largest store against the smallest's: flat if the rebuild scales."""
    if len(costs) < 2:
        return []
    smallest, largest = min(costs), max(costs)
    return [
        Row(
            "rebuild, flat cost",
            f"µs/event {largest:,} vs {smallest:,}",
            costs[largest],
            costs[smallest],
            "µs",
            "ratio <= 1.2",
        )
    ]


@contextmanager
def _scratch_topics(kafka: KafkaSettings, topic: str) -> Iterator[None]:
    """The scratch topics a size runs on are deleted afterwards, as its schema is: a full run's million events
    would otherwise stay on the broker's disk."""
    try:
        yield
    finally:
        admin = KafkaAdminClient(**kafka.client_options())
        try:
            existing = set(admin.list_topics())
            made = [name for name in (topic, topic + ".bare") if name in existing]
            if made:
                admin.delete_topics(made)
        finally:
            admin.close()


def _create_topics(kafka: KafkaSettings, topics: list[str]) -> None:
    admin = KafkaAdminClient(**kafka.client_options())
    try:
        admin.create_topics(
            [NewTopic(name, num_partitions=PARTITIONS, replication_factor=1) for name in topics]
        )
    finally:
        admin.close()


def _relay(services: Services) -> float:
    """The relay's own loop body until the store is published: read, convert, send, wait for acks, checkpoint."""
    relay = services.relay()
    last = services.store.last_position()
    started = time.perf_counter()
    while relay.publish_available():
        pass
    seconds = time.perf_counter() - started
    assert relay.checkpoint() == last
    return last / seconds


def _bare_produce(kafka: KafkaSettings, source: str, target: str) -> float:
    """The relay's messages, read back from its topic, sent again by a bare producer with the same settings."""
    messages = _read_all(kafka, source)
    producer = make_producer(kafka)
    started = time.perf_counter()
    futures = [
        producer.send(target, key=m.key, value=m.value, headers=list(m.headers), timestamp_ms=m.timestamp)
        for m in messages
    ]
    producer.flush()
    for future in futures:
        future.get(timeout=30)
    seconds = time.perf_counter() - started
    producer.close()
    return len(messages) / seconds


def _read_all(kafka: KafkaSettings, topic: str) -> list[Any]:
    """Every message of the topic, from each partition's beginning to its end, in store order."""
    consumer = KafkaConsumer(**kafka.client_options(), group_id=None, enable_auto_commit=False)
    partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    total = sum(consumer.end_offsets(partitions).values())
    messages: list[Any] = []
    while len(messages) < total:
        messages += [m for batch in consumer.poll(timeout_ms=1000, max_records=2000).values() for m in batch]
    consumer.close()
    messages.sort(key=lambda m: int(dict(m.headers)["carerecord_position"]))  # store order, as the relay sent
    return messages


def _rebuild(topic: str, schema: str, positions: int, env: dict[str, str]) -> Rebuilt:
    """`carerecord rebuild --from kafka` in its own process. Its rate counts every message it read (index
    entries included, as the bare consumer's does), over the seconds it reports (its start-up excluded)."""
    finished = run_child(
        carerecord_command("rebuild", "--from", "kafka"),
        env | {"KAFKA_TOPIC": topic, "CARERECORD_SCHEMA": schema},
    )
    found = re.search(r"(\d+) events applied in ([\d.]+) s", finished.output)
    assert found, f"unexpected rebuild output: {finished.output[-500:]}"
    return Rebuilt(positions, positions / float(found[2]), finished.peak_rss_mib)


def _bare_consume(topic: str, dsn: str, env: dict[str, str]) -> Rebuilt:
    finished = run_child(bare_command("consume", "--topic", topic, "--dsn", dsn), env)
    figures = json.loads(finished.output.strip().splitlines()[-1])
    return Rebuilt(int(figures["events"]), figures["events"] / figures["seconds"], finished.peak_rss_mib)
