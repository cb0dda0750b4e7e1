"""The README's walk-through, run as written against a running server, so that it cannot rot."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tests.support.api_server import ApiServer

ROOT = Path(__file__).resolve().parents[2]


def walkthrough() -> str:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- walkthrough:start -->\s*```sh\n(.*?)```\s*<!-- walkthrough:end -->", text, re.S)
    assert block, "the README lost its walk-through markers"
    return block.group(1)


def test_the_readme_walkthrough_works_on_the_embedded_default(
    test_database_url: str, fresh_schema: str, tmp_path: Path
) -> None:
    server = ApiServer(test_database_url, fresh_schema, tmp_path).start()
    try:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", walkthrough()],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**server.env, "CARERECORD_URL": server.url, "HOME": os.environ.get("HOME", "/root")},
        )
    finally:
        server.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert '"startCareRelationship":{"__typename":"RecordChanged","version":2}' in out
    assert '"makeRecommendation":{"__typename":"RecordChanged","version":4}' in out
    assert '"cpr":"DO_NOT_ATTEMPT_CPR"' in out and '"formType":"RESPECT"' in out  # the enums sent, read back
    assert "does not limit any other treatment" in out  # cprLabel: the words beside the code
    assert '"formVersion":"3"' in out and '"primary":true' in out  # the ReSPECT sections it was given
    assert out.count('"eventType"') == 4
    assert '"eventType": "RecommendationMade"' in out
    log = server.log.read_text()
    for personal in ("9999999905", "999 999 9905", "Margaret", "Hale", "1938-04-02", "NG1 1AA"):
        assert personal not in log, f"personal data in the API log: {personal}"
