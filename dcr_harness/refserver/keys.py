"""Software statements: the server's RS256 signing key, minting, and verification (REG-ERR-3).

Keys are generated once and kept as PEM in the data dir so that statements written into
a target file stay valid across restarts. A second "foreign" key, which the server does
not trust, signs the target's foreign_signed statement.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .store import Application

if TYPE_CHECKING:
    from jwt.types import Options  # a TypedDict since PyJWT 2.10; the oldest allowed release has none

ISSUER = "dcr-harness-reference"
SIGNING_KEY_FILE = "signing-key.pem"
FOREIGN_KEY_FILE = "foreign-key.pem"
LEEWAY_S = 30  # clock skew tolerated on iat/nbf/exp


class StatementError(ValueError):
    """The statement is not a valid signed JWT for this server."""


class StatementOutsideValidity(StatementError):
    """exp in the past or nbf in the future: well formed and signed, but not valid now."""


def _load_or_create(path: Path) -> rsa.RSAPrivateKey:
    if path.exists():
        # Our own file, written by this function: the costly RSA consistency check (tens of ms) is skipped.
        key = serialization.load_pem_private_key(path.read_bytes(), password=None, unsafe_skip_rsa_key_validation=True)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{path}: not an RSA private key")
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    os.replace(tmp, path)  # never a half-written key after a crash
    return key


def key_id(key: rsa.RSAPrivateKey) -> str:
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()[:12]).decode().rstrip("=")


class Keys:
    def __init__(self, signing: rsa.RSAPrivateKey, foreign: rsa.RSAPrivateKey) -> None:
        self.signing, self.foreign = signing, foreign
        self.kid, self.foreign_kid = key_id(signing), key_id(foreign)
        self.public_key = signing.public_key()

    @classmethod
    def load_or_create(cls, data_dir: Path) -> Keys:
        return cls(_load_or_create(data_dir / SIGNING_KEY_FILE), _load_or_create(data_dir / FOREIGN_KEY_FILE))

    def mint(self, app: Application, *, foreign: bool = False, **extra_claims: Any) -> str:
        """A statement for `app` (no exp: statements are valid until revoked)."""
        claims = {
            "iss": ISSUER,
            "software_id": app.software_id,
            "software_version": "1.0",
            "client_name": app.name,
            "client_uri": app.client_uri,
            "iat": int(time.time()),
            "grant_types": list(app.grant_types),
            "redirect_uris": list(app.redirect_uris),
            "scopes": list(app.scopes),
            **extra_claims,
        }
        key, kid = (self.foreign, self.foreign_kid) if foreign else (self.signing, self.kid)
        return jwt.encode(claims, key, algorithm="RS256", headers={"typ": "JWT", "kid": kid})

    def verify(
        self, statement: str, *, allow_alg_none: bool = False, check_signature: bool = True, check_exp: bool = True
    ) -> dict[str, Any]:
        """The claims of a statement this server signed; StatementError otherwise.

        The keyword switches exist only for faults (reg-accept-alg-none,
        reg-accept-foreign-key, gen-accept-expired-statement).
        """
        try:
            header = jwt.get_unverified_header(statement)
            alg = header.get("alg")
            unsigned = isinstance(alg, str) and alg.lower() == "none"
            if unsigned and not allow_alg_none:
                raise StatementError("alg none is not accepted")
            options: Options = {"verify_exp": check_exp, "verify_nbf": True, "verify_iat": True, "verify_aud": False}
            if unsigned or not check_signature:
                return jwt.decode(statement, options={"verify_signature": False, **options}, leeway=LEEWAY_S)
            if alg != "RS256":
                raise StatementError(f"algorithm {alg!r} is not accepted")
            if header.get("kid", self.kid) != self.kid:
                raise StatementError("unknown key id")
            return jwt.decode(statement, self.public_key, algorithms=["RS256"], options=options, leeway=LEEWAY_S)
        except StatementError:
            raise
        except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError) as exc:
            raise StatementOutsideValidity(str(exc)) from None
        except (jwt.PyJWTError, ValueError, TypeError) as exc:  # ValueError covers bad encodings
            raise StatementError(f"{type(exc).__name__}: {exc}") from None
