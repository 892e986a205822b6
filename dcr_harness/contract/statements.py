"""Software statement forgeries (REG-ERR-3): what a valid statement becomes when tampered with.

Every forgery starts from the target's valid statement, so that the only defect in the
request is the one named. None of these need the target's private key.
"""

from __future__ import annotations

import base64
import functools
import json
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from ..errors import StatementError


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def split(statement: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Header, claims and signature of a statement, unverified."""
    parts = statement.strip().split(".")
    if len(parts) != 3:
        raise StatementError(f"expected 3 dot-separated segments, found {len(parts)}")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
    except (ValueError, UnicodeDecodeError) as exc:
        raise StatementError(f"segment is not base64url JSON: {exc}") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise StatementError("header and claims must be JSON objects")
    return header, claims, parts[2]


def encode_unsigned(header: dict[str, Any], claims: dict[str, Any], signature: str = "") -> str:
    dump = lambda obj: b64url(json.dumps(obj, separators=(",", ":")).encode())  # noqa: E731
    return f"{dump(header)}.{dump(claims)}.{signature}"


@functools.cache
def harness_key() -> rsa.RSAPrivateKey:
    """A key the target has never seen: statements signed with it must be refused."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def alg_none(statement: str, alg: str = "none") -> str:
    header, claims, _ = split(statement)
    return encode_unsigned({**header, "alg": alg}, claims)


def flipped_signature(statement: str) -> str:
    head, body, signature = statement.strip().split(".")
    raw = bytearray(b64url_decode(signature) or b"\0")
    raw[len(raw) // 2] ^= 0x01
    return f"{head}.{body}.{b64url(bytes(raw))}"


def changed_claims(statement: str, **changes: Any) -> str:
    """The payload changed under the old signature."""
    header, claims, signature = split(statement)
    changes = changes or {"software_id": str(claims.get("software_id", "")) + "-tampered"}
    return encode_unsigned(header, {**claims, **changes}, signature)


def foreign_signed(statement: str, **changes: Any) -> str:
    """The same header and claims, signed with a key the target does not trust."""
    header, claims, _ = split(statement)
    alg = header.get("alg") if str(header.get("alg", "")).startswith(("RS", "PS")) else "RS256"
    extra = {k: v for k, v in header.items() if k not in ("alg", "typ")}
    return jwt.encode({**claims, **changes}, harness_key(), algorithm=alg, headers=extra)


def hs256_signed(statement: str, secret: bytes) -> str:
    """Algorithm confusion: HS256 with a secret the attacker knows (e.g. the public key)."""
    header, claims, _ = split(statement)
    extra = {k: v for k, v in header.items() if k not in ("alg", "typ")}
    return jwt.encode(claims, secret, algorithm="HS256", headers=extra)
