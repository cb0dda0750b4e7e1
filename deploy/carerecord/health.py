"""What /health reports: whether the database and (when configured) Kafka really answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg2

from carerecord.lag import LagGauge
from carerecord.settings import DatabaseLocation, KafkaSettings


@dataclass(frozen=True)
class HealthCheck:
    database: DatabaseLocation
    kafka: KafkaSettings | None
    embedded: bool
    lag: LagGauge | None = None
    demo: bool = False

    def __call__(self) -> dict[str, Any]:
        database = self._check_database()
        kafka = self._check_kafka()
        healthy = database["status"] == "up" and kafka["status"] in ("up", "not configured")
        report = {
            "status": "ok" if healthy else "degraded",
            "mode": "kafka" if self.kafka else "embedded",
            "store": "DEMO: synthetic people, not real records" if self.demo else "live",
            "database": database,
            "kafka": kafka,
        }
        if self.lag is not None and healthy:
            lag = self.lag.measure()
            report["lag"] = lag
            if lag["stalled"]:  # work pending and nothing moving: say where it is stuck
                report["status"] = "degraded"
                report["stalled"] = lag["stalled"]
        return report

    def _check_database(self) -> dict[str, Any]:
        kind = "embedded PostgreSQL" if self.embedded else "PostgreSQL (DATABASE_URL)"
        try:
            connection = psycopg2.connect(self.database.dsn(), connect_timeout=3)
        except psycopg2.Error as error:
            return {"status": "down", "kind": kind, "error": _first_line(error)}
        try:
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                row = cursor.fetchone()
            return {"status": "up", "kind": kind, "version": row[0] if row else "unknown"}
        finally:
            connection.close()

    def _check_kafka(self) -> dict[str, Any]:
        if self.kafka is None:
            return {
                "status": "not configured",
                "detail": "projections are fed in-process from the event store",
            }
        from kafka.admin import KafkaAdminClient
        from kafka.errors import KafkaError

        try:
            admin = KafkaAdminClient(**self.kafka.client_options(), request_timeout_ms=3000)
        except (KafkaError, OSError, ValueError) as error:
            return {"status": "down", "bootstrap": self.kafka.bootstrap_servers, "error": _first_line(error)}
        try:
            admin.list_topics()
            return {"status": "up", "bootstrap": self.kafka.bootstrap_servers}
        except (KafkaError, OSError) as error:
            return {"status": "down", "bootstrap": self.kafka.bootstrap_servers, "error": _first_line(error)}
        finally:
            admin.close()


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
