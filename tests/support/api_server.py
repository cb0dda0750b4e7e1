"""A real `carerecord serve` process on the real PostgreSQL, for end-to-end tests over HTTP and WebSocket."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from carerecord.commands.reference import SYNTHETIC
from carerecord.settings import load_settings, parse_database_url
from carerecord.tokens import development_keys, issue_token
from carerecord_projections.reference import parse_organisations, replace_organisations
from tests.conftest import wait_until


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def import_register(dsn: str) -> None:
    """The synthetic organisation register (boards QWE and QXA) into the read-model database at `dsn`."""
    replace_organisations(dsn, parse_organisations((SYNTHETIC / "organisations.csv").read_text()))


class ApiServer:
    def __init__(self, database_url: str, schema: str, data_dir: Path, **extra: str) -> None:
        self.port = free_port()
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DATABASE_URL": database_url,
            "CARERECORD_SCHEMA": schema,
            "CARERECORD_DATA_DIR": str(data_dir),
            "CARERECORD_PORT": str(self.port),
            **extra,
        }
        self.data_dir = data_dir
        self.log = data_dir / "api.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *command: str) -> ApiServer:
        """`carerecord serve`, or the command given (`demo --serve`, say), until /health answers."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "carerecord.cli", *(command or ("serve",))],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        # a process starting is the one thing with nothing to wait on but its readiness: /health is polled
        wait_until(self._healthy, timeout=60, interval=0.1, failure="carerecord serve did not become healthy")
        self.import_register()  # after serve has made its schema and tables
        return self

    def _healthy(self) -> bool:
        assert self.process is not None
        try:
            if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        if self.process.poll() is not None:
            raise RuntimeError(f"carerecord serve exited: {self.log.read_text()[-2000:]}")
        return False

    def import_register(self) -> None:
        """The synthetic organisation register (two integrated care boards), as every region has one: an
        assurance team reads the people its board's organisations care for."""
        settings = load_settings(self.env)
        assert settings.database_url is not None
        import_register(parse_database_url(settings.database_url).dsn(settings.schema))

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def token(self, **claims: Any) -> str:
        settings = load_settings(self.env)
        return issue_token(
            development_keys(self.data_dir),
            claims,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            minutes=30,
        )

    def graphql(self, token: str | None, query: str, **variables: Any) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables}, headers=headers, timeout=30
        )
        assert response.status_code in (200, 400), response.text
        result: dict[str, Any] = response.json()
        return result


def errors(result: dict[str, Any]) -> list[str]:
    return [error["message"] for error in result.get("errors") or []]


def nodes(connection: dict[str, Any]) -> list[Any]:
    """The items of one page of a connection (its edges' nodes), in its order."""
    return [edge["node"] for edge in connection["edges"]]


def dump(value: Any) -> str:
    return json.dumps(value, indent=2, default=str)
