"""Provision the Authlib interop server's trust: signing keys and software statements.

Run with the server's venv python: `python provision.py DATA_DIR`. Idempotent: what exists
is kept, so statements stay valid across runs (the server has no revocation hook, so a
statement is never used up).

Authlib decides a statement's fate in `ClientRegistrationEndpoint.resolve_public_key`: a key
means "verify with it" (bad signature -> invalid_software_statement), no key means
"unapproved_software_statement". So the trust here is two RSA keys by `kid`: "approved" signs
the valid statements, "revoked" signs the statement of an application whose approval was
withdrawn (server.py resolves that kid to no key).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from joserfc import jwt
from joserfc.jwk import RSAKey

ISSUER = "https://interop-issuer.example"
ALLOWED_REDIRECT_URI = "https://app.example.com/callback"
KIDS = ("approved", "revoked")


def key(data_dir: Path, kid: str) -> RSAKey:
    path = data_dir / f"{kid}.jwk.json"
    if not path.exists():
        generated = RSAKey.generate_key(2048, parameters={"kid": kid}, private=True)
        path.write_text(json.dumps(generated.as_dict(private=True)))
        path.chmod(0o600)
    return RSAKey.import_key(json.loads(path.read_text()))


def claims(software_id: str, redirect: bool) -> dict:
    # RFC 7591 client metadata, as a registered application's statement carries it; Authlib
    # copies registered members of the statement into the client's metadata.
    doc = {
        "iss": ISSUER,
        "iat": int(time.time()),
        "software_id": software_id,
        "software_version": "1.0",
        "client_name": f"interop {software_id}",
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "client_secret_post",  # the contract sends credentials in the body
    }
    if redirect:
        doc["redirect_uris"] = [ALLOWED_REDIRECT_URI]
    return doc


STATEMENTS = {  # target key -> (signing kid, software_id, has redirect URIs)
    "valid": ("approved", "interop-app", True),
    "valid_no_redirect": ("approved", "interop-app-no-redirect", False),
    "revoked": ("revoked", "interop-app-revoked", True),
}


def main(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    for name, (kid, software_id, redirect) in STATEMENTS.items():
        path = data_dir / f"{name}.jwt"
        if not path.exists():
            header = {"alg": "RS256", "typ": "JWT", "kid": kid}
            path.write_text(jwt.encode(header, claims(software_id, redirect), key(data_dir, kid)))
            path.chmod(0o600)
    for kid in KIDS:
        key(data_dir, kid)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: provision.py DATA_DIR")
    main(Path(sys.argv[1]))
