"""The top-level folders must not shadow installed libraries (graphql/ vs graphql-core)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_graphql_and_strawberry_import_from_the_repository_root() -> None:
    probe = "import graphql, strawberry; print(graphql.__file__)"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "site-packages" in result.stdout


def test_design_card_layout_is_present() -> None:
    for name in ("services", "events", "projections", "messaging", "graphql", "deploy", "tests"):
        assert (ROOT / name).is_dir(), name
    for tier in ("unit", "integration", "e2e"):
        assert (ROOT / "tests" / tier).is_dir(), tier
    for name in ("docker-compose.yml", "pyproject.toml", "README.md", ".ci/run"):
        assert (ROOT / name).is_file(), name
    assert not (ROOT / "graphql" / "__init__.py").exists()
