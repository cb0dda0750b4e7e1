"""Commit-to-visible: the embedded in-process feed and the path through the relay, Kafka and a worker."""

from __future__ import annotations

import json
import threading
import time

import psycopg2
import psycopg2.extras
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from carerecord.bootstrap import Feeding
from carerecord.settings import KafkaSettings
from carerecord.tools.bench.common import (
    REASONING,
    Row,
    Scratch,
    latency_rows,
    paced,
    register,
    synthetic_nhs_numbers,
    wait_visible,
)
from carerecord_projections.database import transaction


def freshness_embedded(scratch: Scratch, commands: int) -> list[Row]:
    """Commit-to-visible in the embedded default: the in-process catch-up that runs after each commit."""
    lags: list[float] = []
    services = scratch.services(Feeding.AFTER_EACH_APPEND, feed_timer=lags.append)
    numbers = synthetic_nhs_numbers(commands)
    for _ in paced(commands, 100.0):
        services.care_records.register_person(register(next(numbers)))
    services.close()
    baseline = _bare_insert_then_read(scratch.dsn, commands)
    return latency_rows("freshness, embedded", lags, baseline, "p99 <= 100 ms")


def _bare_insert_then_read(dsn: str, count: int) -> list[float]:
    connection = psycopg2.connect(dsn)
    lags = []
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bare_rows (id bigint PRIMARY KEY, body jsonb)")
        connection.commit()
        for index in paced(count, 100.0):
            started = time.perf_counter()
            cursor.execute(
                "INSERT INTO bare_rows VALUES (%s, %s)", (index, json.dumps({"reasoning": REASONING}))
            )
            connection.commit()
            cursor.execute("SELECT 1 FROM bare_rows WHERE id = %s", (index,))
            cursor.fetchone()
            lags.append(time.perf_counter() - started)
    connection.close()
    return lags


def freshness_kafka(scratch: Scratch, kafka: KafkaSettings, commands: int) -> list[Row]:
    """Commit-to-visible through the relay, Kafka and a projection worker, at a steady 100 commands/s."""
    topic = scratch.topic
    _create_topics(kafka, topic)
    services = scratch.through(kafka).services()
    producer = KafkaProducer(**kafka.client_options(), acks="all", enable_idempotence=True, linger_ms=1)
    relay = services.relay(producer=producer)
    worker = services.projection_worker(group=f"carerecord-projections-{scratch.schema}")
    service = services.care_records
    stop = threading.Event()
    threads = [
        threading.Thread(target=relay.run, args=(stop, 0.002)),
        threading.Thread(target=lambda: worker.run(stop)),
    ]
    for thread in threads:
        thread.start()
    numbers = synthetic_nhs_numbers(commands, start=910_000_000)
    lags = []
    try:
        for _ in paced(commands, 100.0):
            outcome = service.register_person(register(next(numbers)))
            committed = time.perf_counter()
            lags.append(wait_visible(scratch.dsn, outcome.record_id, outcome.version) - committed)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        services.close()
        producer.close()
    baseline = _bare_round_trip(kafka, topic + ".bare", scratch.dsn, commands)
    return latency_rows("freshness, Kafka", lags, baseline, "p99 <= 500 ms")


def _create_topics(kafka: KafkaSettings, topic: str) -> None:
    admin = KafkaAdminClient(**kafka.client_options())
    admin.create_topics(
        [
            NewTopic(topic, num_partitions=6, replication_factor=1),
            NewTopic(topic + ".bare", num_partitions=1, replication_factor=1),
        ]
    )
    admin.close()


def _bare_round_trip(kafka: KafkaSettings, topic: str, dsn: str, count: int) -> list[float]:
    """Produce one row's bytes, consume them, INSERT the row: the least any Kafka-fed read model can do."""
    with transaction(dsn) as cursor:
        cursor.execute("CREATE TABLE bare_round_trip (id bigint PRIMARY KEY, body bytea)")
    producer = KafkaProducer(**kafka.client_options(), acks="all", enable_idempotence=True, linger_ms=1)
    consumer = KafkaConsumer(topic, **kafka.client_options(), group_id=None, auto_offset_reset="earliest")
    stop = threading.Event()

    def consume() -> None:
        connection = psycopg2.connect(dsn)
        with connection.cursor() as cursor:
            while not stop.is_set():
                for messages in consumer.poll(timeout_ms=100).values():
                    for message in messages:
                        cursor.execute(
                            "INSERT INTO bare_round_trip VALUES (%s, %s)", (int(message.key), message.value)
                        )
                    connection.commit()
        connection.close()

    thread = threading.Thread(target=consume)
    thread.start()
    time.sleep(1.0)  # let the consumer get its partition before timing starts
    lags = []
    body = json.dumps({"reasoning": REASONING, "padding": "x" * 600}).encode()
    reader = psycopg2.connect(dsn)
    try:
        with reader.cursor() as cursor:
            for index in paced(count, 100.0):
                started = time.perf_counter()
                producer.send(topic, key=str(index).encode(), value=body).get(timeout=10)
                while True:
                    cursor.execute("SELECT 1 FROM bare_round_trip WHERE id = %s", (index,))
                    found = cursor.fetchone()
                    reader.commit()
                    if found:
                        break
                    time.sleep(0.002)
                lags.append(time.perf_counter() - started)
    finally:
        stop.set()
        thread.join()
        consumer.close()
        producer.close()
        reader.close()
    return lags
