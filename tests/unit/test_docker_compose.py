"""docker compose cannot run here (no Docker engine); this keeps the file honest against the code."""

import re
from pathlib import Path
from typing import Any

import yaml

from carerecord.settings import load_settings
from carerecord_infra.kafka import DEFAULT_PORT as KAFKA_PORT
from carerecord_infra.postgres import DEFAULT_PORT as POSTGRES_PORT

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_SOURCE = ROOT / "deploy" / "carerecord" / "settings.py"


def _compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return document


def _names_the_code_reads() -> set[str]:
    return set(re.findall(r'env(?:\.get)?\(\s*"([A-Z_]+)"', SETTINGS_SOURCE.read_text()))


def test_compose_has_the_topology_of_the_local_infrastructure() -> None:
    services = _compose()["services"]
    assert {"postgres", "kafka", "api"} <= set(services)
    assert f"127.0.0.1:{POSTGRES_PORT}:5432" in services["postgres"]["ports"]
    assert f"127.0.0.1:{KAFKA_PORT}:9092" in services["kafka"]["ports"]
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no health check"


def test_every_carerecord_setting_in_compose_is_one_the_code_reads() -> None:
    read = _names_the_code_reads()
    assert {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "CARERECORD_PORT"} <= read
    environment = _compose()["services"]["api"]["environment"]
    assert set(environment) <= read, set(environment) - read


def test_compose_settings_load_without_error() -> None:
    environment = {
        key: re.sub(r"\$\{[^}]*\}", "x", str(value))
        for key, value in _compose()["services"]["api"]["environment"].items()
    }
    environment["CARERECORD_CIPHER_KEY"] = ""
    settings = load_settings(environment)
    assert settings.kafka is not None
    assert settings.kafka.security_protocol == "SASL_PLAINTEXT"
    assert settings.port == int(environment["CARERECORD_PORT"])


def test_compose_keeps_secrets_out_of_the_file() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    for line in text.splitlines():
        if "PASSWORD" in line and ":" in line and not line.lstrip().startswith("#"):
            assert "${" in line, f"literal secret in docker-compose.yml: {line.strip()}"
