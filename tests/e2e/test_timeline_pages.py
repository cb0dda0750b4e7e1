"""The timeline's pages through the real API: its PageInfo says, as Relay's does, whether there are entries
before and after the page and where the page starts and ends."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.builders import valid_nhs_numbers
from tests.conftest import wait_until
from tests.e2e.test_accessible_information import CONVERSATION, _registered, _talk
from tests.support.api_server import ApiServer, errors

PAGE = """query($id: UUID!, $first: Int!, $after: String) { record(recordId: $id) {
  timeline(first: $first, after: $after) {
    edges { cursor node { version } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }"""
GP = {"sub": "dr-grey", "role": "gp", "org": "K81003", "registration": "2345678", "name": "Dr Grey"}


@pytest.fixture
def api(test_database_url: str, fresh_schema: str, tmp_path: Path) -> Iterator[ApiServer]:
    started = ApiServer(test_database_url, fresh_schema, tmp_path).start()
    imported = subprocess.run(
        [sys.executable, "-m", "carerecord.cli", "import", "organisations", "--synthetic"],
        env=started.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    yield started
    started.stop()


def _page(api: ApiServer, token: str, record_id: str, first: int, after: str | None = None) -> dict[str, Any]:
    answer = api.graphql(token, PAGE, id=record_id, first=first, after=after)
    assert not errors(answer), errors(answer)
    page: dict[str, Any] = answer["data"]["record"]["timeline"]
    return page


def test_each_page_says_whether_entries_come_before_and_after_it_and_where_it_starts_and_ends(
    api: ApiServer,
) -> None:
    gp = api.token(**GP)
    (nhs_number,) = valid_nhs_numbers(1, start=402_310_000)
    record_id = _registered(api, gp, nhs_number)  # versions 1 and 2
    talked = api.graphql(gp, CONVERSATION, id=record_id, input=_talk())
    assert not errors(talked), errors(talked)
    wait_until(
        lambda: len(_page(api, gp, record_id, 10)["edges"]) == 3,
        failure="the three entries were not projected",
    )

    first = _page(api, gp, record_id, 2)
    assert [edge["node"]["version"] for edge in first["edges"]] == [1, 2]
    assert first["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": first["edges"][0]["cursor"],
        "endCursor": first["edges"][1]["cursor"],
    }

    rest = _page(api, gp, record_id, 2, after=first["pageInfo"]["endCursor"])
    assert [edge["node"]["version"] for edge in rest["edges"]] == [3]
    assert rest["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": rest["edges"][0]["cursor"],
        "endCursor": rest["edges"][0]["cursor"],
    }

    beyond = _page(api, gp, record_id, 2, after=rest["pageInfo"]["endCursor"])
    assert beyond["edges"] == []
    assert beyond["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": None,
        "endCursor": None,
    }
