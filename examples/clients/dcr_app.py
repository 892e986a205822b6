"""The app glue every example client shares: what a client library does not do for DCR.

None of the libraries certified here registers with a software statement (RFC 7591 from a
signed statement), keeps credentials across restarts, describes the device or, for httpx,
waits after a 429. This module does those few things with the libraries' public APIs, so
that each example shows only how its library is configured:

- register once, store the credentials in --state, register again only on invalid_client;
- X-Device-Info (DEV-1/2) and Accept on every request;
- after a 429 wait Retry-After (at least 1 s) and resend: a transport for httpx, urllib3's
  Retry for requests;
- the app's own loop: --calls protected API calls, --interval seconds apart.
"""

from __future__ import annotations

import argparse
import base64
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    import requests

DEVICE = {
    "primaryHardwareType": "SetTopBox",
    "model": "Example Box 2",
    "version": "2.1",
    "osName": "Linux",
    "osVersion": "6.1",
    "connectionType": "WiFi",
    "applicationId": "library-example",
}
ATTEMPTS = 5  # per request, counting resends after a 429


def device_headers() -> dict[str, str]:
    return {"Accept": "application/json", "X-Device-Info": base64.b64encode(json.dumps(DEVICE).encode()).decode()}


def wait_after_429(retry_after: str | None) -> None:
    """CLI-5: at least one second, more when the server asks for more."""
    try:
        seconds = float(retry_after or 1)
    except ValueError:
        seconds = 1.0
    time.sleep(max(1.0, seconds) + 0.05)


class WaitOn429(httpx.BaseTransport):
    """httpx has no retry on status codes: this transport waits after a 429 and resends (bounded)."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for _ in range(ATTEMPTS - 1):
            response = self.inner.handle_request(request)
            if response.status_code != 429:
                return response
            response.read()
            response.close()
            wait_after_429(response.headers.get("retry-after"))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def requests_retry_on_429(session: requests.Session) -> requests.Session:
    """requests' own answer to a 429: urllib3's Retry, honouring Retry-After (1 s from the contract's server)."""
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    retry = Retry(
        total=ATTEMPTS,
        status_forcelist=[429],
        allowed_methods=None,
        respect_retry_after_header=True,
        backoff_factor=0,
        raise_on_status=False,
    )
    for prefix in ("http://", "https://"):
        session.mount(prefix, HTTPAdapter(max_retries=retry))
    return session


def common_arguments(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--base-url", required=True)
    p.add_argument("--statement", required=True)
    p.add_argument("--provider", default="REF30")
    p.add_argument("--calls", type=int, default=10, help="protected API calls to make")
    p.add_argument("--interval", type=float, default=0.5, help="seconds between calls (the app's own pace)")
    p.add_argument("--state", help="credentials file, kept across restarts")
    p.add_argument(
        "--no-wait-429", dest="wait_429", action="store_false", help="misconfiguration: no waiting after a 429"
    )
    return p


class App:
    """Registration and the call loop around a library-made session.

    `connect(credentials)` builds the library's session and fetches the first token; `call(session, url)`
    makes one protected API call (the library attaches and renews the token); `revoked(exc)` says whether
    an exception means invalid_client (the credentials were revoked: register again, once)."""

    def __init__(
        self,
        args: argparse.Namespace,
        connect: Callable[[dict[str, str]], object],
        call: Callable[[object, str], object],
        revoked: Callable[[Exception], bool],
    ) -> None:
        self.args, self.connect, self.call, self.revoked = args, connect, call, revoked
        self.state = Path(args.state) if args.state else None

    def register(self) -> dict[str, str]:
        transport = WaitOn429() if self.args.wait_429 else httpx.HTTPTransport()
        with httpx.Client(transport=transport, timeout=10) as http:
            r = http.post(
                self.args.base_url + "/o/client/register",
                json={"software_statement": self.args.statement},
                headers=device_headers(),
            )
        r.raise_for_status()
        body = r.json()
        credentials = {"client_id": body["client_id"], "client_secret": body["client_secret"]}
        if self.state:
            self.state.write_text(json.dumps(credentials))
        return credentials

    def session(self, fresh: bool = False) -> object:
        state = None if fresh else self.state
        credentials = json.loads(state.read_text()) if state is not None and state.exists() else self.register()
        try:
            return self.connect(credentials)
        except Exception as exc:
            if not self.revoked(exc):
                raise
            return self.connect(self.register())

    def run(self) -> int:
        url = f"{self.args.base_url}/api/v2/{self.args.provider}/configuration"
        session = self.session()
        for _ in range(self.args.calls):
            try:
                self.call(session, url)
            except Exception as exc:
                if not self.revoked(exc):
                    raise
                session = self.session(fresh=True)
            time.sleep(self.args.interval)
        return 0
