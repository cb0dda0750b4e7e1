"""`carerecord infra up|down|status`: PostgreSQL and Kafka together, idempotently, and the jars of HAPI FHIR's
validator that the tests run."""

from __future__ import annotations

from carerecord_infra import fhir_validator
from carerecord_infra.kafka import LocalKafka, Progress
from carerecord_infra.postgres import LocalPostgres
from carerecord_infra.state import InfraPaths, read_env_file, write_env_file


def up(progress: Progress, paths: InfraPaths | None = None) -> dict[str, str]:
    """Starts what is not running, waits until each service answers, writes the settings file."""
    paths = paths or InfraPaths.default()
    values = read_env_file(paths.env_file)
    progress(f"PostgreSQL: {paths.root / 'postgres'}")
    LocalPostgres(paths).up(values)
    kafka = LocalKafka(paths)
    passwords = kafka.credentials(values)
    values.update(KAFKA_USERNAME="admin", KAFKA_PASSWORD=passwords["admin"])
    write_env_file(paths.env_file, values)
    kafka.up(values, progress)
    write_env_file(paths.env_file, values)
    fhir_validator.fetch_jars(progress)
    return values


def down(progress: Progress, paths: InfraPaths | None = None) -> None:
    """Stops only the servers that `up` started (they live under the infra folder)."""
    paths = paths or InfraPaths.default()
    progress("Kafka stopped" if LocalKafka(paths).down() else "Kafka was not running")
    progress("PostgreSQL stopped" if LocalPostgres(paths).down() else "PostgreSQL was not running")


def status(paths: InfraPaths | None = None) -> list[str]:
    paths = paths or InfraPaths.default()
    values = read_env_file(paths.env_file)
    return [
        LocalPostgres(paths).describe(),
        LocalKafka(paths).describe(values),
        f"settings: {paths.env_file}",
    ]


def settings(paths: InfraPaths | None = None) -> dict[str, str]:
    """The settings `up` wrote, for tests and for `carerecord infra env`."""
    return read_env_file((paths or InfraPaths.default()).env_file)
