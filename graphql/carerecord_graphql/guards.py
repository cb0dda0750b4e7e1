"""Limits that hold on every transport: the maximum request size and the rate limit, for each HTTP request and
for each message of a websocket connection (graphql-transport-ws sends every operation as a message of one
long-lived connection, which Starlette's HTTP-only view of a request never sees).

Both act on the ASGI `receive`: an HTTP body is counted as it arrives, and every `websocket.receive` message
is measured and counted before the application reads it. A websocket message over a limit closes the
connection (1009 message too big, 1013 try again later): the application hears a disconnect and never sees
the message, and whatever it still sends is dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carerecord_graphql.auth import AuthenticationFailed, TokenVerifier
from carerecord_graphql.buckets import Buckets, address_key

MESSAGE_TOO_BIG = 1009
TRY_AGAIN_LATER = 1013
TOO_LARGE = "request too large"
TOO_MANY = "too many requests; slow down"

Identify = Callable[[str | None], str | None]


class _WebSocketGate:
    """A websocket's receive and send, so that a limit can close the connection once, whoever asks first."""

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gate: _WebSocketGate | None = scope.get("carerecord.gate")
        self.closed = False
        self._outer = gate  # an outer middleware's gate: close through it so both know
        self._receive, self._send = receive, send

    async def send(self, message: Message) -> None:
        if self._is_closed():
            return  # the connection was closed by a limit; the server accepts nothing more
        if message["type"] == "websocket.close":
            self.closed = True
        await self._send(message)

    async def close(self, code: int, reason: str) -> Message:
        """Closes the connection (if nobody has yet) and gives the application the disconnect to hear."""
        if not self._is_closed():
            self.closed = True
            await self._send({"type": "websocket.close", "code": code, "reason": reason})
        return {"type": "websocket.disconnect", "code": code}

    def _is_closed(self) -> bool:
        return self.closed or (self._outer is not None and self._outer._is_closed())


def _gated(scope: Scope, gate: _WebSocketGate) -> Scope:
    return {**scope, "carerecord.gate": gate}


class MaximumRequestSize:
    """No HTTP body and no websocket message larger than `limit` bytes reaches the application."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self._app = app
        self._limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self._app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self._limit:
            await _refuse(scope, receive, send, 413, TOO_LARGE)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self._limit:
                raise _TooLarge
            return message

        try:
            await self._app(scope, counting_receive, send)
        except _TooLarge:
            await _refuse(scope, receive, send, 413, TOO_LARGE)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        gate = _WebSocketGate(scope, receive, send)

        async def measuring_receive() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive" and _size(message) > self._limit:
                return await gate.close(MESSAGE_TOO_BIG, TOO_LARGE)
            return message

        await self._app(_gated(scope, gate), measuring_receive, gate.send)


def _size(message: Message) -> int:
    text: str | None = message.get("text")
    if text is not None:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(message.get("bytes") or b"")


class _TooLarge(Exception):
    pass


class RateLimit:
    """A token bucket per signed-in user (whose token verifies), otherwise per client address: a request with
    no token, or with one that does not verify, counts against its address, so that varying garbage tokens
    gain nothing. Every websocket message counts against the caller who opened the connection."""

    def __init__(
        self, app: ASGIApp, per_minute: int, identify: Identify | None = None, buckets: Buckets | None = None
    ) -> None:
        self._app = app
        self._buckets = Buckets(per_minute) if buckets is None else buckets
        self._identify: Identify = identify or (lambda _: None)
        self._retry_after = str(math.ceil(60 / per_minute))

    @property
    def buckets(self) -> Buckets:
        return self._buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if self._buckets.allow(self._caller(scope)):
                await self._app(scope, receive, send)
            else:
                await _refuse(scope, receive, send, 429, TOO_MANY, {"retry-after": self._retry_after})
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self._app(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        caller = self._caller(scope)
        gate = _WebSocketGate(scope, receive, send)
        if not self._buckets.allow(caller):  # the handshake is a request too
            await receive()  # websocket.connect
            await gate.close(TRY_AGAIN_LATER, TOO_MANY)
            return

        async def counting_receive() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive" and not self._buckets.allow(caller):
                return await gate.close(TRY_AGAIN_LATER, TOO_MANY)
            return message

        await self._app(_gated(scope, gate), counting_receive, gate.send)

    def _caller(self, scope: Scope) -> str:
        authorization = _header(scope, b"authorization")
        user = self._identify(authorization) if authorization is not None else None
        if user is not None:
            return user
        client = scope.get("client")
        return address_key(client[0] if client else None)


def verified_user(verifier: TokenVerifier) -> Identify:
    """The caller's user id when their token verifies, else None (the request then counts against its
    address)."""

    def identify(authorization: str | None) -> str | None:
        try:
            return f"user:{verifier.verify(authorization).user_id}"
        except AuthenticationFailed:
            return None

    return identify


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


async def _refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    message: str,
    headers: dict[str, Any] | None = None,
) -> None:
    if str(scope.get("path", "")).startswith("/fhir/"):  # a FHIR client reads an OperationOutcome
        code = "too-costly" if status == 413 else "throttled"
        outcome = {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": message}],
        }
        response = JSONResponse(
            outcome, status_code=status, headers=headers, media_type="application/fhir+json"
        )
    else:
        response = JSONResponse({"errors": [{"message": message}]}, status_code=status, headers=headers)
    await response(scope, receive, send)
