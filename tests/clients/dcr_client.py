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
from pathlib import Path
from urllib.parse import urlencode

import httpx

FAULTS = ("register-every-time", "never-refresh", "ignore-429", "no-device-info", "doc-device-info",
          "token-in-query", "no-content-type")
DEVICE = {"primaryHardwareType": "SetTopBox", "model": "Example Box 2", "version": "2.1", "manufacturer": "Example",
          "osName": "Linux", "osVersion": "6.1", "connectionType": "WiFi", "applicationId": "example-client"}
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
        self.credentials: dict[str, str] | None = json.loads(self.state.read_text()) if self.state and self.state.exists() else None
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

    def send(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        for _ in range(ATTEMPTS):
            response = self.http.request(method, path, **kwargs)
            if response.status_code != 429:
                return response
            if self.fault != "ignore-429":
                time.sleep(max(1.0, float(response.headers.get("retry-after", "1"))) + 0.05)
        return response

    def register(self) -> None:
        r = self.send("POST", "/o/client/register", json={"software_statement": self.args.statement}, headers=self.headers())
        if r.status_code == 201:
            body = r.json()
            self.credentials = {"client_id": body["client_id"], "client_secret": body["client_secret"]}
            self.token = None
            if self.state:
                self.state.write_text(json.dumps(self.credentials))

    def obtain_token(self) -> str:
        """'ok', 'refused' (invalid_client) or 'failed'."""
        assert self.credentials is not None
        form = {**self.credentials, "grant_type": "client_credentials"}
        if self.fault == "no-content-type":
            r = self.send("POST", "/o/client/token", content=urlencode(form).encode(), headers=self.headers())
        else:
            r = self.send("POST", "/o/client/token", data=form, headers=self.headers())
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

    def call_api(self) -> None:
        path = f"/api/v2/{self.args.provider}/configuration"
        if self.fault == "token-in-query":
            self.send("GET", path, params={"access_token": self.token}, headers=self.headers())
        else:
            self.send("GET", path, headers={**self.headers(), "Authorization": f"Bearer {self.token}"})

    def run(self) -> None:
        for _ in range(self.args.calls):
            if self.ensure_token():
                self.call_api()
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
