"""The checks every long-running process makes before it starts, and the settings that bound its waits."""

from __future__ import annotations

import logging

import pytest

from carerecord.settings import SettingsError, load_settings, parse_database_url
from carerecord.startup import check_drivers, kafka_crc32c_implementation


def test_a_process_refuses_to_start_on_psycopgs_python_implementation_naming_the_override() -> None:
    with pytest.raises(SettingsError) as refused:
        check_drivers(load_settings({}), implementation="python")
    assert refused.value.setting == "CARERECORD_ALLOW_PYTHON_PSYCOPG"
    assert "psycopg[binary]" in refused.value.problem


def test_with_the_override_it_starts_on_the_python_implementation_and_warns_loudly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        check_drivers(load_settings({"CARERECORD_ALLOW_PYTHON_PSYCOPG": "yes"}), implementation="python")
    assert "pure-Python implementation" in caplog.text


@pytest.mark.parametrize("implementation", ["binary", "c"])
def test_the_c_builds_start_without_a_word(implementation: str, caplog: pytest.LogCaptureFixture) -> None:
    check_drivers(load_settings({}), implementation=implementation)
    assert caplog.text == ""


def test_the_installed_psycopg_is_its_c_build() -> None:
    check_drivers(load_settings({}))


def test_statement_and_lock_timeouts_default_to_30_and_10_seconds_and_reach_every_read_model_dsn() -> None:
    settings = load_settings({})
    assert (settings.statement_timeout_ms, settings.lock_timeout_ms) == (30_000, 10_000)
    dsn = parse_database_url("postgresql://u@h/db").dsn("s1")
    assert "-c search_path=s1 -c statement_timeout=30000 -c lock_timeout=10000" in dsn


@pytest.mark.parametrize(
    "name", ["CARERECORD_STATEMENT_TIMEOUT_MS", "CARERECORD_LOCK_TIMEOUT_MS", "CARERECORD_STALL_SECONDS"]
)
@pytest.mark.parametrize("value", ["-1", "ten", "３０"])
def test_a_bad_timeout_is_refused_naming_the_setting(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({name: value})
    assert refused.value.setting == name


KAFKA = {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092", "KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"}


def test_with_kafka_configured_a_pure_python_crc32c_is_warned_of_at_start_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        check_drivers(load_settings(KAFKA), implementation="binary", crc32c="python")
    assert "CRC32C in pure Python" in caplog.text


def test_kafka_pythons_checksum_here_is_the_crc32c_packages_c_code(caplog: pytest.LogCaptureFixture) -> None:
    assert kafka_crc32c_implementation() == "c"
    with caplog.at_level(logging.WARNING):
        check_drivers(load_settings(KAFKA))
    assert caplog.text == ""
