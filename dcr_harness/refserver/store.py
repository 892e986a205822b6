"""SQLite persistence: applications, revocations, clients, tokens, minted statements.

One connection shared by the event loop and any worker thread, guarded by a lock; WAL
mode so that a reader (a second process inspecting the file) never blocks the server.
Restarting on the same data dir keeps everything.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS applications (
  software_id TEXT PRIMARY KEY, name TEXT NOT NULL, client_uri TEXT NOT NULL,
  redirect_uris TEXT NOT NULL, grant_types TEXT NOT NULL, scopes TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS revocations (
  software_id TEXT PRIMARY KEY REFERENCES applications(software_id), revoked_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS clients (
  client_id TEXT PRIMARY KEY, secret_salt BLOB NOT NULL, secret_hash BLOB NOT NULL,
  software_id TEXT NOT NULL REFERENCES applications(software_id), issued_at INTEGER NOT NULL,
  redirect_uris TEXT NOT NULL, grant_types TEXT NOT NULL, scopes TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
  token_hash TEXT PRIMARY KEY, id TEXT NOT NULL, client_id TEXT NOT NULL REFERENCES clients(client_id),
  created_at_ms INTEGER NOT NULL, expires_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS tokens_by_client ON tokens(client_id);
CREATE TABLE IF NOT EXISTS statements (name TEXT PRIMARY KEY, jwt TEXT NOT NULL);
"""

PURGE_EVERY = 1000  # token inserts between purges of long-expired tokens
PURGE_AFTER_S = 3600  # keep expired tokens a while so that "expired" stays distinguishable from "unknown"


@dataclass(frozen=True)
class Application:
    software_id: str
    name: str
    client_uri: str
    redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class ClientRecord:
    client_id: str
    secret_salt: bytes
    secret_hash: bytes
    software_id: str
    grant_types: tuple[str, ...]
    revoked: bool


@dataclass(frozen=True)
class TokenRecord:
    client_id: str
    expires_at: float
    revoked: bool


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "PRAGMA synchronous=NORMAL"
        )  # WAL + NORMAL: durable across process crashes, no fsync per commit
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)
        self._inserts = 0

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _run(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, args)

    def _one(self, sql: str, args: tuple = ()) -> tuple | None:
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    # Applications and revocations

    def add_application(self, app: Application) -> None:
        """Insert unless present (seeding is idempotent across restarts)."""
        self._run(
            "INSERT OR IGNORE INTO applications VALUES (?, ?, ?, ?, ?, ?)",
            (
                app.software_id,
                app.name,
                app.client_uri,
                *(json.dumps(list(v)) for v in (app.redirect_uris, app.grant_types, app.scopes)),
            ),
        )

    def application(self, software_id: str) -> Application | None:
        row = self._one("SELECT * FROM applications WHERE software_id = ?", (software_id,))
        if row is None:
            return None
        sid, name, uri, redirects, grants, scopes = row
        return Application(sid, name, uri, *(tuple(json.loads(v)) for v in (redirects, grants, scopes)))

    def is_revoked(self, software_id: str) -> bool:
        return self._one("SELECT 1 FROM revocations WHERE software_id = ?", (software_id,)) is not None

    def revoke(self, software_id: str) -> bool:
        """Revoke an application (idempotent); False when there is no such application."""
        if self.application(software_id) is None:
            return False
        self._run("INSERT OR IGNORE INTO revocations VALUES (?, ?)", (software_id, time.time()))
        return True

    # Clients

    def add_client(self, client_id: str, salt: bytes, secret_hash: bytes, app: Application, issued_at: int) -> None:
        self._run(
            "INSERT INTO clients VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                client_id,
                salt,
                secret_hash,
                app.software_id,
                issued_at,
                json.dumps(list(app.redirect_uris)),
                json.dumps(list(app.grant_types)),
                json.dumps(list(app.scopes)),
            ),
        )

    _CLIENT = (
        "SELECT c.client_id, c.secret_salt, c.secret_hash, c.software_id, c.grant_types, r.software_id IS NOT NULL"
        " FROM clients c LEFT JOIN revocations r ON r.software_id = c.software_id"
    )

    @staticmethod
    def _client(row: tuple) -> ClientRecord:
        cid, salt, digest, sid, grants, revoked = row
        return ClientRecord(cid, bytes(salt), bytes(digest), sid, tuple(json.loads(grants)), bool(revoked))

    def client(self, client_id: str, ignore_case: bool = False) -> ClientRecord | None:
        """ignore_case: the near-client-id-case-insensitive fault's collation."""
        row = self._one(
            self._CLIENT + " WHERE c.client_id = ?" + (" COLLATE NOCASE" if ignore_case else ""), (client_id,)
        )
        return None if row is None else self._client(row)

    def recent_clients(self, software_id: str, limit: int) -> list[ClientRecord]:
        """The newest clients of an application (the near-cross-client-secret fault tries them)."""
        rows = self._run(
            self._CLIENT + " WHERE c.software_id = ? ORDER BY c.rowid DESC LIMIT ?", (software_id, limit)
        ).fetchall()
        return [self._client(row) for row in rows]

    # Tokens

    def add_token(self, digest: str, token_id: str, client_id: str, created_at_ms: int, expires_at: float) -> None:
        self._run("INSERT INTO tokens VALUES (?, ?, ?, ?, ?)", (digest, token_id, client_id, created_at_ms, expires_at))
        self._inserts += 1
        if self._inserts % PURGE_EVERY == 0:
            self._run("DELETE FROM tokens WHERE expires_at < ?", (time.time() - PURGE_AFTER_S,))

    def token(self, digest: str) -> TokenRecord | None:
        row = self._one(
            "SELECT t.client_id, t.expires_at, r.software_id IS NOT NULL FROM tokens t"
            " JOIN clients c ON c.client_id = t.client_id"
            " LEFT JOIN revocations r ON r.software_id = c.software_id WHERE t.token_hash = ?",
            (digest,),
        )
        return None if row is None else TokenRecord(row[0], float(row[1]), bool(row[2]))

    def has_tokens(self, client_id: str) -> bool:
        return self._one("SELECT 1 FROM tokens WHERE client_id = ? LIMIT 1", (client_id,)) is not None

    # Statements minted for the target file (stable across restarts)

    def statement(self, name: str) -> str | None:
        row = self._one("SELECT jwt FROM statements WHERE name = ?", (name,))
        return None if row is None else row[0]

    def save_statement(self, name: str, statement: str) -> None:
        self._run("INSERT OR REPLACE INTO statements VALUES (?, ?)", (name, statement))
