"""A client written by somebody else, certified: Authlib's OAuth2Session with client_credentials.

The token side is Authlib used as its documentation shows (requests integration):
`OAuth2Session(client_id, client_secret, token_endpoint=..., grant_type="client_credentials",
leeway=...)` renews the token by itself before each request once it is within `leeway`
seconds of expiry. Registration (RFC 7591) is not part of Authlib's client, so this
script does it with requests, once, and keeps the credentials in --state. The options are
Authlib's own settings (or requests') whose effect docs/client-certification.md records.

Needs: pip install authlib requests (not a dependency of dcr-harness).
"""

from __future__ import annotations

import argparse
import base64
import json
import time
from pathlib import Path

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

DEVICE = {
    "model": "Example Player",
    "version": "1.0",
    "osName": "Linux",
    "osVersion": "6.1",
    "connectionType": "Ethernet",
    "applicationId": "authlib-example",
}


def device_headers() -> dict[str, str]:
    return {"Accept": "application/json", "X-Device-Info": base64.b64encode(json.dumps(DEVICE).encode()).decode()}


def with_retry_on_429(session: requests.Session) -> requests.Session:
    """requests' own answer to 429: urllib3 Retry honours Retry-After (1 s from the contract's server)."""
    retry = Retry(
        total=5, status_forcelist=[429], allowed_methods=None, respect_retry_after_header=True, backoff_factor=0
    )
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session


def register(args: argparse.Namespace) -> dict[str, str]:
    http = with_retry_on_429(requests.Session()) if args.retry_429 else requests.Session()
    r = http.post(
        args.base_url + "/o/client/register",
        json={"software_statement": args.statement},
        headers=device_headers(),
        timeout=10,
    )
    r.raise_for_status()
    body = r.json()
    credentials = {"client_id": body["client_id"], "client_secret": body["client_secret"]}
    if args.state:
        Path(args.state).write_text(json.dumps(credentials))
    return credentials


def oauth_session(args: argparse.Namespace, credentials: dict[str, str]) -> OAuth2Session:
    session = OAuth2Session(
        credentials["client_id"],
        credentials["client_secret"],
        token_endpoint=args.base_url + "/o/client/token",
        grant_type="client_credentials",
        token_endpoint_auth_method=args.auth_method,
        leeway=args.leeway,
    )
    session.headers.update(device_headers())
    if args.retry_429:
        with_retry_on_429(session)
    session.fetch_token()
    return session


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base-url", required=True)
    p.add_argument("--statement", required=True)
    p.add_argument("--provider", default="REF30")
    p.add_argument("--calls", type=int, default=10)
    p.add_argument("--interval", type=float, default=0.3)
    p.add_argument("--state", help="credentials file, kept across restarts")
    p.add_argument(
        "--leeway", type=int, default=60, help="Authlib: renew this many seconds before expiry (its default: 60)"
    )
    p.add_argument(
        "--auth-method",
        default="client_secret_basic",
        choices=["client_secret_basic", "client_secret_post"],
        help="Authlib token_endpoint_auth_method (its default: client_secret_basic)",
    )
    p.add_argument("--retry-429", action="store_true", help="mount urllib3 Retry for 429 (honours Retry-After)")
    args = p.parse_args()
    state = Path(args.state) if args.state else None
    credentials = json.loads(state.read_text()) if state and state.exists() else register(args)
    session = oauth_session(args, credentials)
    for _ in range(args.calls):
        try:
            session.get(f"{args.base_url}/api/v2/{args.provider}/configuration", timeout=10)
        except AuthlibBaseError as exc:  # invalid_client on renewal: the credentials were revoked
            if getattr(exc, "error", None) != "invalid_client":
                raise
            session = oauth_session(args, register(args))
        except requests.HTTPError as exc:  # Authlib raises on a 429 to its token request; the app goes on
            print(f"authlib_client: {exc}")
        time.sleep(args.interval)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
