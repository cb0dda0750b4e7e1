"""The rate limit: per signed-in user, otherwise per client address; its memory bounded; the same on every
websocket message as on every HTTP request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from carerecord.tokens import development_keys, issue_token
from carerecord_graphql.auth import TokenSettings, TokenVerifier
from carerecord_graphql.buckets import Buckets, address_key
from carerecord_graphql.guards import MaximumRequestSize, RateLimit, verified_user

GP = {"sub": "dr-grey", "role": "gp", "org": "K81003", "registration": "2345678"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def keys(tmp_path: Path) -> Any:
    return development_keys(tmp_path)


def _echo_app() -> Starlette:
    async def hello(_: Request) -> PlainTextResponse:
        return PlainTextResponse("hello")

    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            while True:
                await websocket.send_text(await websocket.receive_text())
        except WebSocketDisconnect:
            pass

    return Starlette(routes=[Route("/", hello), WebSocketRoute("/ws", echo)])


def _guarded(keys: Any, per_minute: int, buckets: Buckets | None = None, max_bytes: int = 1000) -> Any:
    verifier = TokenVerifier(TokenSettings("issuer-x", "carerecord", keys.jwks))
    limited = RateLimit(_echo_app(), per_minute, identify=verified_user(verifier), buckets=buckets)
    return MaximumRequestSize(limited, max_bytes)


def _bearer(keys: Any, user: str) -> dict[str, str]:
    token = issue_token(keys, {**GP, "sub": user}, issuer="issuer-x", audience="carerecord", minutes=5)
    return {"authorization": f"Bearer {token}"}


def test_varying_garbage_tokens_count_against_the_address_and_the_map_stays_small(keys: Any) -> None:
    buckets = Buckets(per_minute=10, clock=lambda: 1000.0)  # time stands still: no refill on a slow machine
    client = TestClient(_guarded(keys, 10, buckets))
    statuses = [
        client.get("/", headers={"authorization": f"Bearer garbage-{i}"}).status_code for i in range(1000)
    ]
    assert statuses.count(200) == 10 and statuses.count(429) == 990
    assert len(buckets) == 1  # one address, however many tokens it made up
    assert client.get("/", headers=_bearer(keys, "dr-grey")).status_code == 200  # a signed-in user is not


def test_a_signed_in_user_is_limited_by_user_whatever_token_they_present(keys: Any) -> None:
    client = TestClient(_guarded(keys, 3))
    statuses = [client.get("/", headers=_bearer(keys, "dr-grey")).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert client.get("/", headers=_bearer(keys, "dr-white")).status_code == 200


def test_the_limiter_forgets_idle_callers_and_holds_at_most_its_bound() -> None:
    clock = Clock()
    buckets = Buckets(per_minute=60, max_callers=100, clock=clock)
    for caller in range(1000):
        assert buckets.allow(f"address:10.0.{caller // 256}.{caller % 256}")
    assert len(buckets) == 100
    clock.now += 60  # a full refill later each bucket is as good as new, so it is dropped
    assert buckets.allow("address:10.9.9.9")
    assert len(buckets) == 1


def test_a_bucket_refills_with_time() -> None:
    clock = Clock()
    buckets = Buckets(per_minute=2, clock=clock)
    assert [buckets.allow("a") for _ in range(3)] == [True, True, False]
    clock.now += 30
    assert buckets.allow("a")
    assert not buckets.allow("a")


def test_an_ipv6_caller_is_limited_by_its_64_prefix() -> None:
    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:192.0.2.1") == address_key("192.0.2.1") == "address:192.0.2.1"


def test_every_websocket_message_counts_against_the_caller(keys: Any) -> None:
    client = TestClient(_guarded(keys, 5))
    with client.websocket_connect("/ws", headers=_bearer(keys, "dr-grey")) as socket:  # the handshake: 1
        for turn in range(4):
            socket.send_text(f"message {turn}")
            assert socket.receive_text() == f"message {turn}"
        socket.send_text("one too many")
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_text()
    assert closed.value.code == 1013
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect("/ws", headers=_bearer(keys, "dr-grey")),
    ):
        pass
    assert refused.value.code == 1013


def test_a_websocket_message_over_the_size_limit_closes_the_connection_unread(keys: Any) -> None:
    client = TestClient(_guarded(keys, 100, max_bytes=1000))
    with client.websocket_connect("/ws") as socket:
        socket.send_text("small")
        assert socket.receive_text() == "small"
        socket.send_text("é" * 600)  # 1,200 bytes in UTF-8, fewer characters than the limit
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_text()
    assert closed.value.code == 1009
