"""Where the local infrastructure keeps its data, logs, pids and generated credentials."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import platformdirs

ENV_FILE_NAME = "infra.env"


@dataclass(frozen=True)
class InfraPaths:
    root: Path

    @classmethod
    def default(cls) -> InfraPaths:
        configured = os.environ.get("CARERECORD_INFRA_DIR")
        root = Path(configured) if configured else Path(platformdirs.user_data_dir("carerecord")) / "infra"
        return cls(root)

    @property
    def env_file(self) -> Path:
        return self.root / ENV_FILE_NAME

    def folder(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def log_file(self, server: str) -> Path:
        """Each local server's log, in the one folder `carerecord infra status` points to."""
        return self.folder("logs") / f"{server}.log"


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines, as written by `write_env_file`; missing file gives an empty mapping."""
    if not path.exists():
        return {}
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            values[key.strip()] = value.strip()
    return values


def write_env_file(path: Path, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# Written by `carerecord infra up`: connection settings for the local infrastructure."]
    lines += [f"{key}={value}" for key, value in sorted(values.items())]
    temporary = path.with_suffix(".tmp")
    temporary.write_text("\n".join(lines) + "\n")
    temporary.chmod(0o600)
    temporary.replace(path)


def remembered_secret(values: dict[str, str], key: str) -> str:
    """A generated password, kept across runs so that restarts keep working credentials."""
    if key not in values:
        values[key] = secrets.token_urlsafe(18)
    return values[key]
