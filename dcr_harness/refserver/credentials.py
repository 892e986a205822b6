"""Generating and checking client credentials and access tokens.

Only hashes are stored. Secrets and tokens are 256-bit random values, so key stretching
buys nothing against guessing; PBKDF2 runs a modest number of rounds so that load tests
measure the server, not the KDF.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PBKDF2_ROUNDS = 1_000
SALT_BYTES = 16


def new_client_id() -> str:
    return secrets.token_urlsafe(18)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_access_token() -> str:
    return secrets.token_urlsafe(32)


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def hash_secret(secret: str, salt: bytes) -> bytes:
    # surrogatepass: odd input must hash (and then fail to match), not raise.
    return hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8", "surrogatepass"), salt, PBKDF2_ROUNDS)


def secret_matches(secret: str, salt: bytes, expected: bytes) -> bool:
    return hmac.compare_digest(hash_secret(secret, salt), expected)


def token_digest(token: str) -> str:
    """The lookup key of an access token (tokens themselves are never stored)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
