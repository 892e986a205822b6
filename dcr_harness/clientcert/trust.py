"""--trust-key: accept software statements signed by the partner's own test issuer.

The partner's public key (PEM) verifies statements the reference key does not; the
statement's software_id becomes a known application (client_credentials), so that the
partner's app registers with the statement it already ships.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from ..errors import TrustKeyError
from ..refserver.keys import LEEWAY_S, Keys, StatementError
from ..refserver.seed import GRANTS, SCOPES
from ..refserver.store import Application, Store

# Asymmetric algorithms only: "none" and HMAC (a public key used as a shared secret) never verify.
PARTNER_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]


def load_partner_key(path: Path) -> Any:
    try:
        return load_pem_public_key(Path(path).read_bytes())
    except OSError as exc:
        raise TrustKeyError(f"--trust-key {path}: {exc.strerror or exc}") from None
    except (ValueError, TypeError) as exc:
        raise TrustKeyError(f"--trust-key {path}: not a PEM public key ({exc})") from None


class TrustingKeys(Keys):
    """The reference keys, plus the partner's public key for the partner's statements."""

    def __init__(self, keys: Keys, partner_key: Any, store: Store) -> None:
        super().__init__(keys.signing, keys.foreign)
        self.partner_key = partner_key
        self.store = store

    def verify(self, statement: str, **switches: Any) -> dict[str, Any]:
        try:
            return super().verify(statement, **switches)
        except StatementError as own:
            try:
                claims = jwt.decode(
                    statement,
                    self.partner_key,
                    algorithms=PARTNER_ALGORITHMS,
                    options={"verify_aud": False},
                    leeway=LEEWAY_S,
                )
            except (jwt.PyJWTError, ValueError, TypeError):
                raise own from None
        software_id = claims.get("software_id")
        if isinstance(software_id, str) and software_id:
            redirects = claims.get("redirect_uris")
            self.store.add_application(
                Application(
                    software_id,
                    str(claims.get("client_name") or software_id),
                    str(claims.get("client_uri") or ""),
                    tuple(r for r in redirects if isinstance(r, str)) if isinstance(redirects, list) else (),
                    GRANTS,
                    SCOPES,
                )
            )
        return claims
