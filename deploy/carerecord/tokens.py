"""Development tokens: a local signing key kept in the data folder, its public JWKS, and signed tokens.

Production mode never uses these: it refuses to start without CARERECORD_JWKS_FILE, an issuer and an audience.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

DEV_KEY_ID = "carerecord-development"


@dataclass(frozen=True)
class DevelopmentKeys:
    private_key_pem: bytes
    jwks: dict[str, Any]


def development_keys(data_dir: Path) -> DevelopmentKeys:
    """An EC P-256 key generated once (mode 0600) and its JWKS; both under the data folder."""
    key_file = data_dir / "development-signing-key.pem"
    if not key_file.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        private_key = ec.generate_private_key(ec.SECP256R1())
        key_file.write_bytes(
            private_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        key_file.chmod(0o600)
    pem = key_file.read_bytes()
    loaded = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(loaded, ec.EllipticCurvePrivateKey)
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(loaded.public_key()))
    public.update(kid=DEV_KEY_ID, use="sig", alg="ES256")
    return DevelopmentKeys(pem, {"keys": [public]})


def issue_token(
    keys: DevelopmentKeys, claims: dict[str, Any], *, issuer: str, audience: str, minutes: int
) -> str:
    now = int(time.time())
    payload = {
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "nbf": now,
        "exp": now + minutes * 60,
        "jti": str(uuid.uuid4()),
        **{key: value for key, value in claims.items() if value is not None},
    }
    return jwt.encode(payload, keys.private_key_pem, algorithm="ES256", headers={"kid": DEV_KEY_ID})
