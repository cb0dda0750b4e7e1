"""Checks every long-running process makes before it starts: the drivers it runs on."""

from __future__ import annotations

import logging

from carerecord.settings import Settings, SettingsError

log = logging.getLogger("carerecord")

OVERRIDE = "CARERECORD_ALLOW_PYTHON_PSYCOPG"


def psycopg_implementation() -> str:
    import psycopg

    return str(psycopg.pq.__impl__)


def kafka_crc32c_implementation() -> str:
    """ "c" when kafka-python checksums record batches with the crc32c package's C code, else "python"."""
    from kafka.record import _crc32c as pure
    from kafka.record import util

    return "python" if util._crc32c is pure.crc else "c"


def check_drivers(settings: Settings, implementation: str | None = None, crc32c: str | None = None) -> None:
    """Refuses to start on psycopg's pure-Python implementation unless CARERECORD_ALLOW_PYTHON_PSYCOPG=yes.

    It costs a third of a command's CPU, and in pipeline mode with large data it can deadlock (psycopg issue
    685), which froze the API here three times. The store no longer pipelines its inserts, but other code
    (the library's, psycopg's own executemany) may, so the C build is what carerecord runs on."""
    if settings.kafka is not None:
        _check_kafka_checksum(crc32c or kafka_crc32c_implementation())
    implementation = implementation or psycopg_implementation()
    if implementation not in ("python",):
        return
    if not settings.allow_python_psycopg:
        raise SettingsError(
            OVERRIDE,
            "psycopg is running its pure-Python implementation (slow, and it can deadlock with large data); "
            "install its C build (pip install 'psycopg[binary]', as pyproject.toml asks) or set "
            f"{OVERRIDE}=yes to run on it anyway",
        )
    log.warning(
        "psycopg is running its pure-Python implementation (%s=yes): slower, and it can deadlock in pipeline "
        "mode with large data; install psycopg[binary]",
        OVERRIDE,
    )


def _check_kafka_checksum(implementation: str) -> None:
    """kafka-python checksums every record batch it sends and reads (CRC32C); in pure Python that is about
    280 µs an event, the largest single cost of a rebuild from Kafka. Slow, not wrong: a warning."""
    if implementation == "python":
        log.warning(
            "kafka-python is computing CRC32C in pure Python (about 280 µs an event): install the crc32c "
            "package, as pyproject.toml asks"
        )
