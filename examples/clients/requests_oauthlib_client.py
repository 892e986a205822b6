"""requests-oauthlib with oauthlib, certified: `OAuth2Session(client=BackendApplicationClient(...))`.

Used as requests-oauthlib documents the client credentials grant ("Backend Application
Flow"): `session.fetch_token(token_url, client_id=..., client_secret=...)`. Its defaults send
the credentials in HTTP Basic alone; `include_client_id=True` puts them in the form body.
oauthlib only raises TokenExpiredError once its expires_at (round(time.time()) + expires_in)
has passed, and refreshes client-credentials tokens never: the app renews, either before
each call when fewer than --margin seconds are left (what the contract asks), or after the
TokenExpiredError (--margin 0: after expiry). dcr_app.py is the app glue.

Needs: pip install requests-oauthlib (with oauthlib, requests; not dependencies of dcr-harness).
"""

from __future__ import annotations

import os
import time

# oauthlib refuses plain HTTP; the certification server serves HTTP on loopback: oauthlib's own switch.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

import requests  # noqa: E402
from dcr_app import App, common_arguments, device_headers, requests_retry_on_429  # noqa: E402
from oauthlib.oauth2 import BackendApplicationClient, OAuth2Error, TokenExpiredError  # noqa: E402
from requests_oauthlib import OAuth2Session  # noqa: E402


def main() -> int:
    p = common_arguments(__doc__.splitlines()[0])
    p.add_argument(
        "--auth",
        default="basic",
        choices=["basic", "body"],
        help="where fetch_token puts the credentials: basic (its default) or body (include_client_id=True)",
    )
    p.add_argument(
        "--margin",
        type=float,
        default=0.0,
        help="renew when fewer seconds than this are left (0: only after oauthlib's TokenExpiredError)",
    )
    args = p.parse_args()
    token_url = args.base_url + "/o/client/token"

    def connect(credentials: dict[str, str]) -> OAuth2Session:
        session = OAuth2Session(client=BackendApplicationClient(client_id=credentials["client_id"]))
        session.headers.update(device_headers())
        if args.wait_429:
            requests_retry_on_429(session)
        session.credentials = credentials  # the app keeps them for renewals
        fetch(session)
        return session

    def fetch(session: OAuth2Session) -> None:
        extra = {"include_client_id": True} if args.auth == "body" else {}
        session.fetch_token(
            token_url,
            client_id=session.credentials["client_id"],
            client_secret=session.credentials["client_secret"],
            timeout=10,
            **extra,
        )

    def call(session: OAuth2Session, url: str) -> requests.Response:
        if args.margin and session.token.get("expires_at", 0) - time.time() < args.margin:
            fetch(session)
        try:
            return session.get(url, timeout=10)
        except TokenExpiredError:
            fetch(session)
            return session.get(url, timeout=10)

    return App(args, connect, call, lambda exc: isinstance(exc, OAuth2Error) and exc.error == "invalid_client").run()


if __name__ == "__main__":
    raise SystemExit(main())
