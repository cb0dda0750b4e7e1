"""Tokens, limits and the checked-in SDL, without services."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jwt
import pytest

from carerecord.tokens import development_keys, issue_token
from carerecord_graphql.auth import AuthenticationFailed, TokenSettings, TokenVerifier
from carerecord_graphql.schema import SDL_FILE, build_schema

GP = {"sub": "dr-grey", "role": "gp", "org": "K81003", "registration": "2345678"}


@pytest.fixture
def keys(tmp_path: Path) -> Any:
    return development_keys(tmp_path)


def _verifier(keys: Any) -> TokenVerifier:
    return TokenVerifier(TokenSettings("issuer-x", "carerecord", keys.jwks))


def test_a_good_token_gives_the_principal_and_actor(keys: Any) -> None:
    principal = _verifier(keys).verify(
        "Bearer " + issue_token(keys, GP, issuer="issuer-x", audience="carerecord", minutes=5)
    )
    assert (principal.user_id, principal.role.value, principal.organisation) == ("dr-grey", "gp", "K81003")
    assert principal.actor.registration == "2345678"


def _refused(keys: Any, token: str) -> None:
    with pytest.raises(AuthenticationFailed):
        _verifier(keys).verify(f"Bearer {token}")


def test_an_expired_token_is_refused(keys: Any) -> None:
    now = int(time.time())
    token = jwt.encode(
        {**GP, "iss": "issuer-x", "aud": "carerecord", "iat": now - 600, "exp": now - 60},
        keys.private_key_pem,
        algorithm="ES256",
        headers={"kid": "carerecord-development"},
    )
    _refused(keys, token)


def test_a_wrong_audience_or_issuer_is_refused(keys: Any) -> None:
    _refused(keys, issue_token(keys, GP, issuer="issuer-x", audience="someone-else", minutes=5))
    _refused(keys, issue_token(keys, GP, issuer="issuer-y", audience="carerecord", minutes=5))


def test_alg_none_is_refused(keys: Any) -> None:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    now = int(time.time())
    claims = {**GP, "iss": "issuer-x", "aud": "carerecord", "iat": now, "exp": now + 60}
    _refused(keys, f"{part({'alg': 'none', 'kid': 'carerecord-development'})}.{part(claims)}.")


def test_a_token_signed_by_another_key_is_refused(keys: Any, tmp_path: Path) -> None:
    other = development_keys(tmp_path / "other")
    _refused(keys, issue_token(other, GP, issuer="issuer-x", audience="carerecord", minutes=5))


def test_a_role_escalation_by_claim_is_refused(keys: Any) -> None:
    _refused(
        keys, issue_token(keys, {**GP, "role": "system"}, issuer="issuer-x", audience="carerecord", minutes=5)
    )
    _refused(
        keys,
        issue_token(keys, {**GP, "role": "superuser"}, issuer="issuer-x", audience="carerecord", minutes=5),
    )
    _refused(
        keys,
        issue_token(keys, {**GP, "registration": None}, issuer="issuer-x", audience="carerecord", minutes=5),
    )


def test_a_person_token_must_name_its_record(keys: Any) -> None:
    person = {"sub": "p", "role": "person", "org": "K81003"}
    _refused(keys, issue_token(keys, person, issuer="issuer-x", audience="carerecord", minutes=5))


def test_query_depth_is_limited_before_work_is_done() -> None:
    schema = build_schema(max_depth=2)
    result = schema.execute_sync('{ person(nhsNumber: "1") { plans { involvement { route } } } }')
    assert result.errors and "depth" in result.errors[0].message


def test_the_checked_in_sdl_matches_the_code() -> None:
    assert SDL_FILE.read_text() == build_schema().as_str() + "\n", (
        "run `carerecord schemas` and commit the SDL"
    )


def test_a_token_that_sends_too_many_requests_is_slowed_down(keys: Any) -> None:
    from starlette.testclient import TestClient

    from carerecord_graphql.app import Limits, create_app

    api: Any = SimpleNamespace(verifier=_verifier(keys))  # the rate limit reads only the verifier
    app = create_app(build_schema(), lambda: {"status": "ok"}, api=api, limits=Limits(requests_per_minute=5))
    client = TestClient(app)

    def token(user: str) -> dict[str, str]:
        claims = {**GP, "sub": user}
        return {
            "authorization": "Bearer "
            + issue_token(keys, claims, issuer="issuer-x", audience="carerecord", minutes=5)
        }

    same = token("dr-grey")
    statuses = [client.get("/health", headers=same).status_code for _ in range(8)]
    assert statuses[:5] == [200] * 5
    assert 429 in statuses[5:]
    assert client.get("/health", headers=token("dr-white")).status_code == 200


def test_an_oversized_request_is_refused_before_it_is_read() -> None:
    from starlette.testclient import TestClient

    from carerecord_graphql.app import Limits, create_app

    app = create_app(build_schema(), lambda: {"status": "ok"}, limits=Limits(max_request_bytes=1000))
    response = TestClient(app).post(
        "/graphql", content=b"x" * 5000, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
