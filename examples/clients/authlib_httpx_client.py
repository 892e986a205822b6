"""Authlib's httpx client, certified: `authlib.integrations.httpx_client.OAuth2Client` with client_credentials.

Used as Authlib documents it: `OAuth2Client(client_id, client_secret, token_endpoint=...,
grant_type="client_credentials", token_endpoint_auth_method=..., leeway=...)`; `fetch_token()`
once, then every request renews the token by itself when it is within `leeway` seconds of
expiry (Authlib: expires_at = int(time.time()) + expires_in, a whole-second clock).
The options are Authlib's own settings; dcr_app.py is the app glue (registration, device
info, the wait after a 429). docs/client-certification.md gives the configuration that passes.

Needs: pip install authlib httpx (not a dependency of dcr-harness).
"""

from __future__ import annotations

import httpx
from authlib.integrations.httpx_client import OAuth2Client, OAuthError
from dcr_app import App, WaitOn429, common_arguments, device_headers


def main() -> int:
    p = common_arguments(__doc__.splitlines()[0])
    p.add_argument(
        "--leeway", type=int, default=60, help="Authlib: renew this many seconds before expiry (its default: 60)"
    )
    p.add_argument(
        "--auth-method",
        default="client_secret_basic",
        choices=["client_secret_basic", "client_secret_post"],
        help="Authlib token_endpoint_auth_method (its default: client_secret_basic)",
    )
    args = p.parse_args()

    def connect(credentials: dict[str, str]) -> OAuth2Client:
        client = OAuth2Client(
            credentials["client_id"],
            credentials["client_secret"],
            token_endpoint=args.base_url + "/o/client/token",
            grant_type="client_credentials",
            token_endpoint_auth_method=args.auth_method,
            leeway=args.leeway,
            headers=device_headers(),
            timeout=10,
            transport=WaitOn429() if args.wait_429 else httpx.HTTPTransport(),
        )
        client.fetch_token()
        return client

    return App(
        args,
        connect,
        lambda client, url: client.get(url),
        lambda exc: isinstance(exc, OAuthError) and exc.error == "invalid_client",
    ).run()


if __name__ == "__main__":
    raise SystemExit(main())
