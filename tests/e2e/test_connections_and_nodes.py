"""The lists that grow, a page at a time through the real API (Relay's Cursor Connections: `first`/`after`
forwards, `last`/`before` backwards, PageInfo saying whether there are items before and after the page and
where it starts and ends), and Relay's `node(id:)`: a read of the record, authorised and recorded as `record`'s."""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.builders import valid_nhs_numbers
from tests.conftest import wait_until
from tests.e2e.test_accessible_information import CONVERSATION, _registered, _talk
from tests.e2e.test_api_end_to_end import ASSURANCE, PARAMEDIC, RECOMMEND, recommendation_input
from tests.support.api_server import ApiServer, errors, nodes

PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
PAGE = f"""query($id: UUID!, $first: Int, $after: String, $last: Int, $before: String) {{ record(recordId: $id) {{
  timeline(first: $first, after: $after, last: $last, before: $before) {{
    edges {{ cursor node {{ version }} }} {PAGE_INFO} }} }} }}"""
LOOKS = f"""query($id: UUID!, $first: Int, $after: String, $last: Int, $before: String) {{
  accessHistory(recordId: $id, first: $first, after: $after, last: $last, before: $before) {{
    edges {{ cursor node {{ accessId userId operation purpose granted versionShown }} }} {PAGE_INFO} }} }}"""
NODE = """query($id: ID!, $purpose: String!) { node(id: $id, purpose: $purpose) { id __typename
  ... on Person { recordId familyName } ... on PlanView { planId recordId cpr } } }"""
IDS = "query($id: UUID!) { record(recordId: $id) { id version plans { id planId } } }"
READ = "query($id: UUID!, $purpose: String!) { record(recordId: $id, purpose: $purpose) { version } }"
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


def _page(
    api: ApiServer,
    token: str,
    record_id: str,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> dict[str, Any]:
    answer = api.graphql(token, PAGE, id=record_id, first=first, after=after, last=last, before=before)
    assert not errors(answer), errors(answer)
    page: dict[str, Any] = answer["data"]["record"]["timeline"]
    return page


def _three_entries(api: ApiServer, gp: str, start: int) -> str:
    (nhs_number,) = valid_nhs_numbers(1, start=start)
    record_id = _registered(api, gp, nhs_number)  # versions 1 and 2
    talked = api.graphql(gp, CONVERSATION, id=record_id, input=_talk())
    assert not errors(talked), errors(talked)
    wait_until(
        lambda: len(_page(api, gp, record_id, 10)["edges"]) == 3,
        failure="the three entries were not projected",
    )
    return record_id


def test_each_page_says_whether_entries_come_before_and_after_it_and_where_it_starts_and_ends(
    api: ApiServer,
) -> None:
    gp = api.token(**GP)
    record_id = _three_entries(api, gp, 402_310_000)

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


def test_the_timeline_pages_backwards_from_its_end_with_last_and_before(api: ApiServer) -> None:
    gp = api.token(**GP)
    record_id = _three_entries(api, gp, 402_320_000)

    end = _page(api, gp, record_id, last=2)
    assert [edge["node"]["version"] for edge in end["edges"]] == [2, 3]
    assert end["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": end["edges"][0]["cursor"],
        "endCursor": end["edges"][1]["cursor"],
    }
    start = _page(api, gp, record_id, last=2, before=end["pageInfo"]["startCursor"])
    assert [edge["node"]["version"] for edge in start["edges"]] == [1]
    assert start["pageInfo"]["hasPreviousPage"] is False and start["pageInfo"]["hasNextPage"] is True
    assert start["edges"][0]["cursor"] == _page(api, gp, record_id, first=1)["edges"][0]["cursor"]
    between = _page(
        api, gp, record_id, first=5, after=start["edges"][0]["cursor"], before=end["edges"][1]["cursor"]
    )
    assert [edge["node"]["version"] for edge in between["edges"]] == [2]


def _looks(api: ApiServer, token: str, record_id: str, **paging: Any) -> dict[str, Any]:
    answer = api.graphql(token, LOOKS, id=record_id, **paging)
    assert not errors(answer), errors(answer)
    page: dict[str, Any] = answer["data"]["accessHistory"]
    return page


def test_who_has_looked_pages_newest_first_forwards_and_backwards_over_the_same_reads(api: ApiServer) -> None:
    gp = api.token(**GP)
    record_id = _three_entries(api, gp, 402_330_000)
    for n in range(5):
        assert not errors(api.graphql(gp, READ, id=record_id, purpose=f"paging read {n}"))
    board = api.token(**ASSURANCE)

    def reads(page: dict[str, Any]) -> list[str]:
        return [n["accessId"] for n in nodes(page) if n["purpose"].startswith("paging read")]

    wait_until(
        lambda: len(reads(_looks(api, board, record_id, first=200))) == 5, failure="reads not projected"
    )

    forwards: list[dict[str, Any]] = []
    page = _looks(api, board, record_id, first=3)
    assert page["pageInfo"]["hasPreviousPage"] is False and page["pageInfo"]["hasNextPage"] is True
    while True:
        forwards += nodes(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        page = _looks(api, board, record_id, first=3, after=page["pageInfo"]["endCursor"])
        assert page["pageInfo"]["hasPreviousPage"] is True
    backwards: list[dict[str, Any]] = []
    page = _looks(api, board, record_id, last=3)
    assert page["pageInfo"]["hasNextPage"] is False
    while True:
        backwards = nodes(page) + backwards
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        page = _looks(api, board, record_id, last=3, before=page["pageInfo"]["startCursor"])
        assert page["pageInfo"]["hasNextPage"] is True
    ahead, behind = [n["accessId"] for n in forwards], [n["accessId"] for n in backwards]
    assert len(ahead) == len(set(ahead)) and len(behind) == len(set(behind))
    # the board's own looks are recorded as it pages: newer ones come before the first page, never into it
    assert behind[-len(ahead) :] == ahead
    gp_reads = [n["purpose"] for n in forwards if n["purpose"].startswith("paging read")]
    assert [n["purpose"] for n in backwards if n["purpose"].startswith("paging read")] == gp_reads
    assert gp_reads == [f"paging read {n}" for n in reversed(range(5))]  # newest first


def test_a_cursor_or_page_size_the_list_cannot_take_is_refused_in_words(api: ApiServer) -> None:
    gp = api.token(**GP)
    record_id = _three_entries(api, gp, 402_340_000)
    timeline_cursor = _page(api, gp, record_id, first=1)["edges"][0]["cursor"]
    board = api.token(**ASSURANCE)
    wrong_list = api.graphql(board, LOOKS, id=record_id, first=2, after=timeline_cursor)
    assert "that cursor is not one this API gave out for the access history" in errors(wrong_list)[0]
    both = api.graphql(gp, PAGE, id=record_id, first=1, last=1)
    assert "give first (with after) or last (with before), not both" in errors(both)[0]
    too_many = api.graphql(gp, PAGE, id=record_id, first=201)
    assert errors(too_many) == ["first must be between 1 and 200"]
    garbage = api.graphql(gp, PAGE, id=record_id, first=1, after="not a cursor")
    assert "that cursor is not one this API gave out for the timeline" in errors(garbage)[0]


def _global_id(type_and_key: str) -> str:
    return base64.b64encode(type_and_key.encode()).decode()


def _with_a_plan(api: ApiServer, gp: str, start: int) -> tuple[str, dict[str, Any]]:
    (nhs_number,) = valid_nhs_numbers(1, start=start)
    record_id = _registered(api, gp, nhs_number)
    made = api.graphql(gp, RECOMMEND, id=record_id, v=2, input=recommendation_input())
    assert made["data"]["makeRecommendation"]["__typename"] == "RecordChanged", made
    ids: dict[str, Any] = api.graphql(gp, IDS, id=record_id)["data"]["record"]
    return record_id, ids


def test_node_fetches_a_person_and_a_plan_again_by_their_global_ids(api: ApiServer) -> None:
    gp = api.token(**GP)
    record_id, ids = _with_a_plan(api, gp, 402_350_000)
    assert ids["id"] == _global_id(f"Person:{record_id}")  # as Relay's: base64 of the type and the key
    ((plan,),) = (ids["plans"],)
    assert plan["id"] == _global_id(f"PlanView:{record_id}/{plan['planId']}")

    person = api.graphql(gp, NODE, id=ids["id"], purpose="direct care")["data"]["node"]
    assert person == {"id": ids["id"], "__typename": "Person", "recordId": record_id, "familyName": "Hale"}
    shown = api.graphql(gp, NODE, id=plan["id"], purpose="direct care")["data"]["node"]
    assert (
        shown["__typename"] == "PlanView"
        and shown["planId"] == plan["planId"]
        and shown["recordId"] == record_id
    )
    assert "Do not attempt CPR" in shown["cpr"] or "CPR" in shown["cpr"]
    absent = api.graphql(gp, NODE, id=_global_id(f"PlanView:{record_id}/{record_id}"), purpose="direct care")
    assert not errors(absent) and absent["data"]["node"] is None


def test_node_is_refused_as_record_is_and_every_node_read_is_recorded(api: ApiServer) -> None:
    gp = api.token(**GP)
    record_id, ids = _with_a_plan(api, gp, 402_360_000)
    paramedic = api.token(**PARAMEDIC)  # RX9 has no care relationship with the person
    by_record = errors(api.graphql(paramedic, READ, id=record_id, purpose="999 call"))
    by_node = errors(api.graphql(paramedic, NODE, id=ids["id"], purpose="999 call"))
    by_plan_node = errors(api.graphql(paramedic, NODE, id=ids["plans"][0]["id"], purpose="999 call"))
    assert by_record and by_node == by_record and by_plan_node == by_record
    unknown = errors(
        api.graphql(paramedic, NODE, id=_global_id(f"Person:{ids['plans'][0]['planId']}"), purpose="999")
    )
    unknown_record = errors(api.graphql(paramedic, READ, id=ids["plans"][0]["planId"], purpose="999"))
    assert unknown == unknown_record  # no record by that id: told as record tells it, nothing more

    assert api.graphql(gp, NODE, id=ids["plans"][0]["id"], purpose="node check")["data"]["node"]
    board = api.token(**ASSURANCE)

    def node_looks() -> list[tuple[str, bool, int | None]]:
        looks = nodes(_looks(api, board, record_id, first=200))
        return [(n["userId"], n["granted"], n["versionShown"]) for n in looks if n["operation"] == "node"]

    wait_until(lambda: len(node_looks()) == 3, failure="the node reads were not recorded")
    assert sorted(node_looks(), key=str) == sorted(
        [("p-khan", False, None), ("p-khan", False, None), ("dr-grey", True, 3)], key=str
    )


def test_an_id_this_api_did_not_give_is_refused_in_words(api: ApiServer) -> None:
    gp = api.token(**GP)
    for given in ("not base64!", _global_id("Nonsense:1"), _global_id("Person:not-a-uuid"), "UGVyc29u"):
        answer = api.graphql(gp, NODE, id=given, purpose="direct care")
        assert "that id is not a global id this API gave out" in errors(answer)[0], given
