"""HAPI FHIR's validator (R4 core definitions, offline) as one long-lived JVM, for the tests that check every
FHIR resource carerecord gives out.

`deploy/fhir-validator/pom.xml` names the jars (fetched from Maven Central by `carerecord infra up`, cached
outside the repository); `ValidateResources.java` beside it runs from its source (java's single-file launch), so
nothing is built. One resource per line in, one line of results out: the JVM and the R4 definitions are loaded
once for a whole test session.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import platformdirs

from carerecord_infra.kafka import Progress
from carerecord_infra.maven import copy_dependencies

HAPI_VERSION = "8.8.0"
FOLDER = Path(__file__).resolve().parents[2] / "fhir-validator"
POM = FOLDER / "pom.xml"
SOURCE = FOLDER / "ValidateResources.java"


def jars() -> Path:
    return Path(platformdirs.user_cache_dir("carerecord")) / f"fhir-validator-{HAPI_VERSION}" / "libs"


def fetch_jars(progress: Progress) -> Path:
    """The validator's jars, fetched once (about 145 MB)."""
    folder = jars()
    if not (folder / f"hapi-fhir-validation-{HAPI_VERSION}.jar").exists():
        progress(f"fetching HAPI FHIR's validator {HAPI_VERSION} (FHIR R4) from Maven Central into {folder}")
        copy_dependencies(POM, folder, "HAPI FHIR's validator")
    return folder


@dataclass(frozen=True)
class Message:
    severity: str
    location: str
    text: str
    message_id: str

    def __str__(self) -> str:
        return f"{self.severity} at {self.location}: {self.text} [{self.message_id}]"


@dataclass(frozen=True)
class Report:
    """Everything HAPI said about one resource; nothing filtered out."""

    errors: int
    warnings: int
    information: int
    messages: tuple[Message, ...]

    def of(self, *severities: str) -> list[Message]:
        return [message for message in self.messages if message.severity in severities]


class FhirValidator:
    """One JVM validating many resources, in order; `close()` ends it."""

    def __init__(self, log_file: Path, conformance: Sequence[dict[str, Any]] = ()) -> None:
        """`conformance`: the record's own conformance resources (its CodeSystems), for the validator to know."""
        java = shutil.which("java") or "java"
        self._log: IO[str] = log_file.open("w")
        files = []
        for index, resource in enumerate(conformance):
            file = log_file.with_name(f"conformance-{index}.json")
            file.write_text(json.dumps(resource))
            files.append(str(file))
        self._process = subprocess.Popen(
            [java, "-Xmx1g", "-cp", f"{jars()}/*", str(SOURCE), *files],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            encoding="utf-8",
        )
        ready = self._answer()
        if not ready.get("ready"):
            raise RuntimeError(f"HAPI FHIR's validator did not start; see {log_file}")
        self.version = str(ready["hapi"])

    def validate(self, resource: dict[str, Any]) -> Report:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(resource) + "\n")
        self._process.stdin.flush()
        answer = self._answer()
        return Report(
            errors=answer["errors"],
            warnings=answer["warnings"],
            information=answer["information"],
            messages=tuple(
                Message(m["severity"], m.get("location") or "", m["message"], m.get("messageId") or "")
                for m in answer["messages"]
            ),
        )

    def _answer(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"HAPI FHIR's validator stopped (exit {self._process.poll()}); see its log")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._log.close()
