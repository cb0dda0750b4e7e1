"""Authentication: OAuth 2 bearer JWTs with asymmetric signatures, checked against configured keys (JWKS).

Claims: `sub` (user id), `role` (a role of the record's role table), `org` (ODS code), `registration` where the
role has a register, `name`; a person's or representative's token also names the record it acts for
(`record`), and a representative's its `representative` id. Expired, wrongly signed, `alg: none`, wrong-issuer
and wrong-audience tokens are refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import jwt

from carerecord_events.base import Actor
from carerecord_events.roles import ROLES, Role
from carerecord_services.decisions import check_actor
from carerecord_services.errors import DomainError

ALGORITHMS = ("RS256", "ES256", "EdDSA")


class AuthenticationFailed(Exception):
    """No usable token: the caller is told why in general terms, never which check failed in detail.

    `reason` (which check failed) and the token's `token_id` and `key_id`, read without trusting them, are
    for the security record only."""

    def __init__(self, message: str, reason: str = "invalid", token_id: object = None, key_id: object = None):
        super().__init__(message)
        self.reason = reason
        self.token_id = token_id
        self.key_id = key_id


_REASONS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.ImmatureSignatureError, "not-yet-valid"),
    (jwt.InvalidAudienceError, "wrong-audience"),
    (jwt.InvalidIssuerError, "wrong-issuer"),
    (jwt.InvalidSignatureError, "bad-signature"),
    (jwt.MissingRequiredClaimError, "missing-claim"),
    (jwt.DecodeError, "malformed"),
)


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: Role
    organisation: str
    registration: str | None
    name: str | None
    record_id: UUID | None
    representative_id: UUID | None
    token_id: str
    expires_at: float | None = None
    """The token's `exp` (seconds since the epoch): a long-lived connection ends then."""

    @property
    def actor(self) -> Actor:
        return Actor(
            user_id=self.user_id,
            role=self.role,
            organisation=self.organisation,
            registration=self.registration,
            name=self.name,
        )


@dataclass(frozen=True)
class TokenSettings:
    issuer: str
    audience: str
    jwks: dict[str, Any]


def load_jwks(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    if not document.get("keys"):
        raise ValueError(f"{path} holds no keys")
    return document


class TokenVerifier:
    def __init__(self, settings: TokenSettings) -> None:
        self._settings = settings
        self._keys = {key.get("kid"): jwt.PyJWK(key) for key in settings.jwks["keys"]}

    def verify(self, authorization: str | None) -> Principal:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise AuthenticationFailed("a bearer token is required", reason="not-a-bearer-token")
        token = authorization[7:].strip()
        header: dict[str, Any] = {}
        try:
            header = jwt.get_unverified_header(token)
            key = self._keys.get(header.get("kid"))
            if key is None or header.get("alg") not in ALGORITHMS:
                raise AuthenticationFailed(
                    "the token is not signed by a trusted key",
                    reason="untrusted-key" if key is None else "algorithm-not-allowed",
                    token_id=_unverified_token_id(token),
                    key_id=header.get("kid"),
                )
            claims = jwt.decode(
                token,
                key=key,
                algorithms=list(ALGORITHMS),
                audience=self._settings.audience,
                issuer=self._settings.issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            reason = next((code for kind, code in _REASONS if isinstance(error, kind)), "invalid")
            raise AuthenticationFailed(
                "the token is invalid, expired or not for this service",
                reason=reason,
                token_id=_unverified_token_id(token),
                key_id=header.get("kid"),
            ) from None
        try:
            return _principal(claims)
        except AuthenticationFailed as refused:
            refused.token_id, refused.key_id = claims.get("jti"), header.get("kid")
            raise


def _unverified_token_id(token: str) -> object:
    """The `jti` of a token that failed verification, if it can be read at all (for the security record)."""
    try:
        return jwt.decode(token, options={"verify_signature": False}).get("jti")
    except jwt.PyJWTError:
        return None


def _principal(claims: dict[str, Any]) -> Principal:
    try:
        role = Role(claims["role"])
        principal = Principal(
            user_id=str(claims["sub"]),
            role=role,
            organisation=str(claims["org"]),
            registration=claims.get("registration"),
            name=claims.get("name"),
            record_id=UUID(claims["record"]) if claims.get("record") else None,
            representative_id=UUID(claims["representative"]) if claims.get("representative") else None,
            token_id=str(claims.get("jti") or claims["sub"]),
            expires_at=float(claims["exp"]),
        )
        check_actor(principal.actor)
    except (KeyError, ValueError, DomainError):
        raise AuthenticationFailed(
            "the token's claims are incomplete or malformed", reason="bad-claims"
        ) from None
    if role in (Role.PERSON, Role.REPRESENTATIVE) and principal.record_id is None:
        raise AuthenticationFailed(
            "a person's or representative's token must name the record it acts for", reason="bad-claims"
        )
    if role is Role.REPRESENTATIVE and principal.representative_id is None:
        raise AuthenticationFailed(
            "a representative's token must name the representative", reason="bad-claims"
        )
    if role is Role.SYSTEM:
        raise AuthenticationFailed("the system role cannot sign in", reason="role-cannot-sign-in")
    assert role in ROLES
    return principal
