"""The applications and statements every reference server starts with (idempotent).

Each target statement (TARGET.md `statements.*`) is minted once and stored, so a target
file written by one start stays valid after a restart on the same data dir.
"""

from __future__ import annotations

import jwt

from .keys import Keys
from .store import Application, Store

ALLOWED_REDIRECT_URI = "https://app.example.com/callback"
GRANTS = ("client_credentials",)
SCOPES = ("api:client:v2",)
REDIRECTS = ("adobepass://com.programmer", ALLOWED_REDIRECT_URI)


def _app(software_id: str, name: str, redirects: tuple[str, ...] = REDIRECTS) -> Application:
    return Application(software_id, name, "https://app.example.com/", redirects, GRANTS, SCOPES)


VALID = _app("ref-valid", "Reference valid application")
REVOKED = _app("ref-revoked", "Reference revoked application")
NO_REDIRECT = _app("ref-no-redirect", "Reference application without redirect URIs", ())
REVOCABLE = _app("ref-revocable", "Reference application the run may revoke")
APPLICATIONS = (VALID, REVOKED, NO_REDIRECT, REVOCABLE)

# target statement name -> (application, signed by the untrusted key?)
STATEMENTS: dict[str, tuple[Application, bool]] = {
    "valid": (VALID, False),
    "revoked": (REVOKED, False),
    "foreign_signed": (VALID, True),
    "valid_no_redirect": (NO_REDIRECT, False),
    "revocable": (REVOCABLE, False),
}


def seed(store: Store, keys: Keys) -> dict[str, str]:
    """Make sure the seeded applications and statements exist; the statements by name."""
    for app in APPLICATIONS:
        store.add_application(app)
    store.revoke(REVOKED.software_id)
    statements = {}
    for name, (app, foreign) in STATEMENTS.items():
        statement = store.statement(name)
        # Re-mint when the data dir lost its keys but kept the database.
        if statement is None or _kid(statement) != (keys.foreign_kid if foreign else keys.kid):
            statement = keys.mint(app, foreign=foreign)
            store.save_statement(name, statement)
        statements[name] = statement
    return statements


def _kid(statement: str) -> object:
    return jwt.get_unverified_header(statement).get("kid")
