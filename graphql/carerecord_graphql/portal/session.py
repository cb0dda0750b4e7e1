"""The portal's session: a signed, HttpOnly, SameSite=Strict cookie holding who signed in and a CSRF token.

Signing in verifies the same bearer token the API accepts (with the API's TokenVerifier); the session then holds
the principal the token named, never the token itself, and ends when the token would have expired (or after
`lasts`, whichever is sooner). Every session, signed in or not, carries a random synchronizer token that every
POST form must send back. The cookie is signed (not encrypted): it holds only who the user is, which they know.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from carerecord_events.roles import Role
from carerecord_graphql.auth import Principal

COOKIE = "carerecord_portal"


class EndedSessionLog(Protocol):
    """Where ended sessions are kept, shared by every API process."""

    def end(self, session_id: str, until: float) -> None: ...

    def has_ended(self, session_id: str) -> bool: ...


CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class Session:
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    principal: Principal | None = None
    until: float = 0.0
    session_id: str = field(default_factory=lambda: secrets.token_urlsafe(18))

    def signed_in(self, now: float) -> Principal | None:
        return self.principal if self.principal is not None and now < self.until else None

    def csrf_matches(self, sent: object) -> bool:
        return isinstance(sent, str) and bool(sent) and hmac.compare_digest(sent, self.csrf)


class Sessions:
    """Reads and writes the session cookie. A cookie that is missing, tampered with or too old is a new,
    signed-out session."""

    def __init__(
        self, secret: bytes, lasts_seconds: int = 8 * 3600, ended: EndedSessionLog | None = None
    ) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="carerecord-portal-session")
        self._lasts = lasts_seconds
        self._ended = ended

    def read(self, request: Request) -> Session:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return Session()
        try:
            data = self._serializer.loads(raw, max_age=self._lasts)
            session = Session(
                csrf=str(data["csrf"]),
                principal=_principal_from(data["principal"]) if data.get("principal") else None,
                until=float(data.get("until", 0.0)),
                session_id=str(data["sid"]),
            )
        except (BadSignature, KeyError, TypeError, ValueError):
            return Session()
        if self._ended is not None and self._ended.has_ended(session.session_id):
            return Session()  # signed out: the cookie and its CSRF token are worth nothing now
        return session

    def end(self, session: Session) -> None:
        """Ends the session on the server: the same cookie, replayed, is a new signed-out session."""
        if self._ended is not None:
            self._ended.end(session.session_id, time.time() + self._lasts)

    def sign_in(self, principal: Principal, token_expires: float) -> Session:
        """A fresh session (a new CSRF token too, so nothing from before sign-in carries over)."""
        return Session(principal=principal, until=min(token_expires, time.time() + self._lasts))

    def write(self, request: Request, response: Response, session: Session) -> None:
        data: dict[str, Any] = {"csrf": session.csrf, "until": session.until, "sid": session.session_id}
        if session.principal is not None:
            data["principal"] = _principal_to(session.principal)
        response.set_cookie(
            COOKIE,
            self._serializer.dumps(data),
            max_age=self._lasts,
            path="/portal",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    def clear(self, request: Request, response: Response) -> None:
        response.delete_cookie(
            COOKIE, path="/portal", httponly=True, samesite="strict", secure=request.url.scheme == "https"
        )


def _principal_to(principal: Principal) -> dict[str, Any]:
    return {
        "user_id": principal.user_id,
        "role": principal.role.value,
        "organisation": principal.organisation,
        "registration": principal.registration,
        "name": principal.name,
        "record_id": str(principal.record_id) if principal.record_id else None,
        "representative_id": str(principal.representative_id) if principal.representative_id else None,
        "token_id": principal.token_id,
    }


def _principal_from(data: dict[str, Any]) -> Principal:
    return Principal(
        user_id=str(data["user_id"]),
        role=Role(data["role"]),
        organisation=str(data["organisation"]),
        registration=data.get("registration"),
        name=data.get("name"),
        record_id=UUID(data["record_id"]) if data.get("record_id") else None,
        representative_id=UUID(data["representative_id"]) if data.get("representative_id") else None,
        token_id=str(data["token_id"]),
    )
