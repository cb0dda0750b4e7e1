"""Jars from Maven Central, fetched by a POM of the repository into a cache folder outside it (never committed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def copy_dependencies(pom: Path, into: Path, what: str) -> None:
    """Every runtime jar `pom` depends on, copied into `into` by Maven; its output is shown only if it fails."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError(f"Maven (mvn) is needed to fetch {what}: apt-get install -y maven")
    command = [mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies", "-DincludeScope=runtime"]
    done = subprocess.run(
        [*command, f"-DoutputDirectory={into}"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        said = (done.stdout + done.stderr).strip().splitlines()[-30:]
        raise RuntimeError(f"Maven could not fetch {what} with {pom}:\n" + "\n".join(said))
