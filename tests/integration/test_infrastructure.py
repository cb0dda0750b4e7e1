"""The infrastructure is proven, not assumed: real bytes through the real broker and the real database."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAuthorizationFailedError

from tests.conftest import kafka_options


def test_a_message_produced_to_the_real_broker_is_consumed_back(
    infra: dict[str, str], unique_name: str
) -> None:
    admin = KafkaAdminClient(**kafka_options(infra))
    admin.create_topics([NewTopic(unique_name, num_partitions=2, replication_factor=1)])
    admin.close()
    producer = KafkaProducer(**kafka_options(infra), acks="all")
    for index in range(5):
        producer.send(unique_name, key=b"record-1", value=f"event {index}".encode())
    producer.flush()
    producer.close()

    consumer = KafkaConsumer(
        unique_name,
        **kafka_options(infra),
        group_id=unique_name,
        auto_offset_reset="earliest",
        consumer_timeout_ms=15000,
    )
    received = []
    for message in consumer:
        received.append(message.value.decode())
        if len(received) == 5:
            break
    consumer.close()
    assert received == [f"event {index}" for index in range(5)], "one key keeps its order on one partition"


def test_postgres_writes_and_reads_with_psycopg2(pg_connection: Any, unique_name: str) -> None:
    with pg_connection, pg_connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {unique_name} (id serial PRIMARY KEY, note text NOT NULL)")
        cursor.execute(f"INSERT INTO {unique_name} (note) VALUES (%s), (%s)", ("first", "second"))
    with pg_connection, pg_connection.cursor() as cursor:
        cursor.execute(f"SELECT note FROM {unique_name} ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == ["first", "second"]
        cursor.execute(f"DROP TABLE {unique_name}")


UNAUTHENTICATED_CLIENT = """
import sys
from kafka import KafkaProducer
from kafka.errors import KafkaError
try:
    producer = KafkaProducer(
        bootstrap_servers=[sys.argv[1]], api_version=(3, 0), request_timeout_ms=3000, max_block_ms=3000
    )
    producer.send("anything", b"x").get(timeout=5)
except KafkaError as error:
    print("refused:", type(error).__name__)
else:
    print("accepted")
"""


def test_the_broker_refuses_a_client_that_does_not_authenticate(infra: dict[str, str]) -> None:
    # In its own process: kafka-python leaks the sockets of a client whose constructor fails.
    result = subprocess.run(
        [sys.executable, "-c", UNAUTHENTICATED_CLIENT, infra["KAFKA_BOOTSTRAP_SERVERS"]],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.startswith("refused:"), result.stdout + result.stderr


def test_an_authenticated_principal_without_acls_is_refused(infra: dict[str, str], unique_name: str) -> None:
    admin = KafkaAdminClient(**kafka_options(infra))
    admin.create_topics([NewTopic(unique_name, num_partitions=1, replication_factor=1)])
    admin.close()
    producer = KafkaProducer(**kafka_options(infra, "outsider"), max_block_ms=5000)
    with pytest.raises(TopicAuthorizationFailedError):
        producer.send(unique_name, b"should not land").get(timeout=10)
    producer.close()


def test_infra_up_where_the_ports_are_taken_says_so_in_one_line(infra: dict[str, str], tmp_path: Any) -> None:
    """A second local stack (another CARERECORD_INFRA_DIR or HOME) while the first runs: refused, naming the
    port and what to do, not a pg_ctl traceback."""
    import os

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "CARERECORD_INFRA_DIR": str(tmp_path / "infra")}
    done = subprocess.run(
        [sys.executable, "-m", "carerecord.cli", "infra", "up"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1
    assert "cannot start PostgreSQL: 127.0.0.1:55432 is already in use" in done.stderr
    assert "Traceback" not in done.stderr
