"""Checks every long-running process makes before it starts: the drivers it runs on."""

from __future__ import annotations

import logging

from carerecord.settings import Settings, SettingsError

log = logging.getLogger("carerecord")

OVERRIDE = "CARERECORD_ALLOW_PYTHON_PSYCOPG"


def psycopg_implementation() -> str:
    import psycopg

    return str(psycopg.pq.__impl__)


def check_drivers(settings: Settings, implementation: str | None = None) -> None:
    """Refuses to start on psycopg's pure-Python implementation unless CARERECORD_ALLOW_PYTHON_PSYCOPG=yes.

    It costs a third of a command's CPU, and in pipeline mode with large data it can deadlock (psycopg issue
    685), which froze the API here three times. The store no longer pipelines its inserts, but other code
    (the library's, psycopg's own executemany) may, so the C build is what carerecord runs on."""
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
