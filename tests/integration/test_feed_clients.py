"""The README's commands for a provider's integrator, run exactly as written, with a feed user's own
credentials, against a feed on the real broker: Kafka's own console consumer and confluent-kafka in Python."""

from __future__ import annotations

import json
import os
import re
import secrets
import string
import subprocess
import sys
import uuid
from pathlib import Path

from kafka import KafkaProducer

from carerecord.kafka_setup import FeedAccount, add_feed
from carerecord.settings import KafkaSettings, load_settings
from tests.conftest import kafka_options

ROOT = Path(__file__).resolve().parents[2]


def readme_block(name: str, language: str) -> str:
    text = (ROOT / "README.md").read_text()
    block = re.search(rf"<!-- {name}:start -->\s*```{language}\n(.*?)```\s*<!-- {name}:end -->", text, re.S)
    assert block, f"the README lost its {name} markers"
    return block.group(1)


def _admin_kafka(infra: dict[str, str]) -> KafkaSettings:
    settings = load_settings(
        {
            "KAFKA_BOOTSTRAP_SERVERS": infra["KAFKA_BOOTSTRAP_SERVERS"],
            "KAFKA_USERNAME": "admin",
            "KAFKA_PASSWORD": infra["KAFKA_ADMIN_PASSWORD"],
        }
    )
    assert settings.kafka is not None
    return settings.kafka


def _feed_with_one_message(infra: dict[str, str]) -> tuple[FeedAccount, str, str]:
    """A new organisation's feed holding one CloudEvent, written as the feeds principal writes it."""
    ods = "T" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(6))
    account = add_feed(_admin_kafka(infra), ods)
    event_id, record_id = str(uuid.uuid4()), str(uuid.uuid4())
    producer = KafkaProducer(**kafka_options(infra, "feeds"), acks="all")
    producer.send(
        account.topic,
        key=record_id.encode(),
        value=json.dumps({"event_id": event_id, "cpr": "Do not attempt CPR"}).encode(),
        headers=[("ce_type", b"uk.nhs.carerecord.RecommendationMade.v1"), ("ce_id", event_id.encode())],
    ).get(timeout=30)
    producer.close()
    return account, event_id, record_id


def _integrator_env(infra: dict[str, str], account: FeedAccount) -> dict[str, str]:
    """Only what a provider is handed: the broker, the topic, the feed user and its password."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "KAFKA_BOOTSTRAP_SERVERS": infra["KAFKA_BOOTSTRAP_SERVERS"],
        "FEED_TOPIC": account.topic,
        "FEED_USER": account.username,
        "FEED_PASSWORD": account.password,
    }


def test_kafkas_console_consumer_reads_a_feed_with_the_feed_users_credentials(
    infra: dict[str, str], tmp_path: Path
) -> None:
    account, event_id, record_id = _feed_with_one_message(infra)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", readme_block("feed-console", "sh")],
        cwd=tmp_path,
        env=_integrator_env(infra, account),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (line,) = result.stdout.splitlines()
    assert "ce_type:uk.nhs.carerecord.RecommendationMade.v1" in line
    assert f"ce_id:{event_id}" in line
    assert record_id in line and '"cpr": "Do not attempt CPR"' in line
    assert "Processed a total of 1 messages" in result.stderr
    assert (tmp_path / "feed.properties").stat().st_mode & 0o077 == 0, "the password file is the user's alone"


def test_confluent_kafka_in_python_reads_a_feed_with_the_feed_users_credentials(
    infra: dict[str, str], tmp_path: Path
) -> None:
    account, event_id, record_id = _feed_with_one_message(infra)
    result = subprocess.run(
        [sys.executable, "-c", readme_block("feed-python", "python")],
        cwd=tmp_path,
        env=_integrator_env(infra, account),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split()[:3] == ["uk.nhs.carerecord.RecommendationMade.v1", event_id, record_id]
    assert "'cpr': 'Do not attempt CPR'" in result.stdout
