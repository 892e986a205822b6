"""Comparison bugs the near-miss phase must find: the near-* faults, each a lenient comparison.

Every fault here accepts a value that is nearly, not exactly, the valid one: a collation that
ignores case, a trim, a prefix, the first word of a header, a secret checked against the wrong
client. With no fault on, each function is the exact comparison the server always made.
"""

from __future__ import annotations

from . import credentials
from .config import ServerConfig
from .context import Context
from .store import ClientRecord

TOKEN_PREFIX = 32  # near-token-prefix: how many characters of an access token are compared
RECENT_CLIENTS = 64  # near-cross-client-secret: how many of the application's newest clients are tried


def secret_form(secret: str, cfg: ServerConfig) -> str:
    """The form of a secret that is hashed, at registration and at every check (case folded by one fault)."""
    return secret.lower() if cfg.fault("near-secret-case-insensitive") else secret


def secret_ok(secret: str, client: ClientRecord, ctx: Context) -> bool:
    cfg = ctx.config
    if cfg.fault("near-secret-trimmed"):
        secret = secret.strip()
    secret = secret_form(secret, cfg)
    if credentials.secret_matches(secret, client.secret_salt, client.secret_hash):
        return True
    if cfg.fault("near-cross-client-secret"):  # any client of the same application will do
        return any(
            credentials.secret_matches(secret, c.secret_salt, c.secret_hash)
            for c in ctx.store.recent_clients(client.software_id, RECENT_CLIENTS)
        )
    return False


def token_key(token: str, cfg: ServerConfig) -> str:
    """The stored lookup key of an access token (a prefix of it under near-token-prefix)."""
    return credentials.token_digest(token[:TOKEN_PREFIX] if cfg.fault("near-token-prefix") else token)


def first_word_token(values: list[str], cfg: ServerConfig) -> str | None:
    """near-bearer-first-word: the word after "Bearer", whatever follows it; None without the fault."""
    if not cfg.fault("near-bearer-first-word") or len(values) != 1:
        return None
    words = values[0].split()
    return words[1] if len(words) >= 2 and words[0].lower() == "bearer" else None
