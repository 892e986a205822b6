"""An example DCR client application: a small real program making real HTTP calls (httpx).

Well-behaved by default (CLI-1..5): registers once and keeps its credentials in --state,
caches the access token and renews it before expiry, registers again only when its
credentials are refused (invalid_client), waits Retry-After (at least 1 s) after a 429,
sends Content-Type, Accept, a valid X-Device-Info, and Authorization: Bearer.
--fault makes it break exactly one rule, the way real integrations do.

It knows nothing of the harness: it builds its own device info and reads only the base
URL and software statement it is given.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

FAULTS = (
    "register-every-time",
    "never-refresh",
    "ignore-429",
    "no-device-info",
    "doc-device-info",
    "token-in-query",
    "no-content-type",
    "statement-in-array",
    "credentials-in-query",
)
DEVICE = {
    "primaryHardwareType": "SetTopBox",
    "model": "Example Box 2",
    "version": "2.1",
    "manufacturer": "Example",
    "osName": "Linux",
    "osVersion": "6.1",
    "connectionType": "WiFi",
    "applicationId": "example-client",
}
# The register/token sample value of the vendor documentation (a comma is missing: not JSON).
DOCUMENTATION_SAMPLE = (
    "ewoJInByaW1hcnlIYXJkd2FyZVR5cGUiOiAiU2V0VG9wQm94IiwKCSJtb2RlbCI6ICJUViA1dGggR2VuIiwKCSJt"
    "YW51ZmFjdHVyZXIiOiAiQXBwbGUiLAoJIm9zTmFtZSI6ICJ0dk9TIgoJIm9zVmVuZG9yIjogIkFwcGxlIiwKCSJv"
    "c1ZlcnNpb24iOiAiMTEuMCIKfQ=="
)
REFRESH_AT = 0.6  # renew the token once this share of its lifetime has passed
ATTEMPTS = 6  # per request, counting retries after 429


class Client:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.fault = args.fault
        self.http = httpx.Client(base_url=args.base_url, timeout=10.0)
        self.state = Path(args.state) if args.state else None
        self.credentials: dict[str, str] | None = (
            json.loads(self.state.read_text()) if self.state and self.state.exists() else None
        )
        self.token: str | None = None
        self.renew_at = 0.0

    def headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.fault == "doc-device-info":
            headers["X-Device-Info"] = DOCUMENTATION_SAMPLE
        elif self.fault != "no-device-info":
            headers["X-Device-Info"] = base64.b64encode(json.dumps(DEVICE).encode()).decode()
        if self.args.forward_for:
            headers["X-Forwarded-For"] = self.args.forward_for
        return headers

    def send(self, method: str, path: str, prepare: Callable[[], dict[str, Any] | None]) -> httpx.Response | None:
        """Send, and after a 429 wait Retry-After (at least 1 s) and send again; `prepare` builds each
        attempt (a retry after waiting may need a renewed token), None when there is nothing to send."""
        response = None
        for _ in range(ATTEMPTS):
            kwargs = prepare()
            if kwargs is None:
                return response
            response = self.http.request(method, path, **kwargs)
            if response.status_code != 429:
                return response
            if self.fault != "ignore-429":
                time.sleep(max(1.0, float(response.headers.get("retry-after", "1"))) + 0.05)
        return response

    def register(self) -> None:
        statement = [self.args.statement] if self.fault == "statement-in-array" else self.args.statement
        r = self.send(
            "POST", "/o/client/register", lambda: {"json": {"software_statement": statement}, "headers": self.headers()}
        )
        if r is not None and r.status_code == 201:
            body = r.json()
            self.credentials = {"client_id": body["client_id"], "client_secret": body["client_secret"]}
            self.token = None
            if self.state:
                self.state.write_text(json.dumps(self.credentials))

    def obtain_token(self) -> str:
        """'ok', 'refused' (invalid_client) or 'failed'."""
        assert self.credentials is not None
        form = {**self.credentials, "grant_type": "client_credentials"}
        body = {"content": urlencode(form).encode()} if self.fault == "no-content-type" else {"data": form}
        if self.fault == "credentials-in-query":  # as the vendor's OpenAPI file has them
            body = {"params": form, "data": {"grant_type": "client_credentials"}}
        r = self.send("POST", "/o/client/token", lambda: {**body, "headers": self.headers()})
        if r is None:
            return "failed"
        if r.status_code == 201:
            body = r.json()
            self.token = body["access_token"]
            self.renew_at = time.monotonic() + body["expires_in"] * REFRESH_AT
            return "ok"
        return "refused" if r.status_code == 400 and r.json().get("error") == "invalid_client" else "failed"

    def ensure_token(self) -> bool:
        if self.credentials is None or self.fault == "register-every-time":
            self.register()
        if self.credentials is None:
            return False
        due = self.token is None or (time.monotonic() >= self.renew_at and self.fault != "never-refresh")
        if due or self.fault == "register-every-time":
            outcome = self.obtain_token()
            if outcome == "refused":  # credentials revoked: register again, once
                self.register()
                outcome = self.obtain_token() if self.credentials else "failed"
            if outcome != "ok":
                return False
        return True

    def api_request(self) -> dict[str, Any] | None:
        if not self.ensure_token():
            return None
        if self.fault == "token-in-query":
            return {"params": {"access_token": self.token}, "headers": self.headers()}
        return {"headers": {**self.headers(), "Authorization": f"Bearer {self.token}"}}

    def run(self) -> None:
        for _ in range(self.args.calls):
            self.send("GET", f"/api/v2/{self.args.provider}/configuration", self.api_request)
            time.sleep(self.args.interval)  # the app's own pace between user actions


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base-url", required=True)
    p.add_argument("--statement", required=True)
    p.add_argument("--provider", default="REF30")
    p.add_argument("--calls", type=int, default=8, help="protected API calls to make")
    p.add_argument("--interval", type=float, default=0.3, help="seconds between calls")
    p.add_argument("--state", help="file that stores the credentials (kept across restarts)")
    p.add_argument("--forward-for", help="X-Forwarded-For value (server-to-server integrations)")
    p.add_argument("--fault", choices=FAULTS)
    Client(p.parse_args()).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
