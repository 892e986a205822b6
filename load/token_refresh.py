"""Token refresh load: a population of installed app instances (CLI-2, CLI-3, CLI-4).

Each simulated app instance registers once, keeps its credentials, gets an access token,
calls the protected API with it, and refreshes the token shortly before it expires using
the stored credentials. It never registers again. Every response is judged against the
contract (status and schema) by dcr_harness.checks; a violation is a Locust failure whose
message starts with the requirement ID.

    DCR_TARGET=target.toml locust -f load/token_refresh.py --headless -u 20 -r 5 -t 60s
    dcr-harness load token_refresh --users 20 --duration 60
"""

import json
import os
import time
from urllib.parse import urlencode

import shapes
from locust import between, constant, task
from locust.exception import StopUser

from dcr_harness.http.pacing import Pacer
from dcr_harness.loadgen.profile import install, user_base

RUN = install("token_refresh", embedded_args=["--rate", "1000", "--burst", "1000"])
LoadShape = shapes.selected()
REFRESH_AT = 0.8  # refresh when 80% of the token's lifetime has passed (CLI-3)
REGISTER_ATTEMPTS = 3


class AppInstance(user_base()):
    # DCR_LOAD_WAIT=0 removes think time (the benchmarks saturate the generator with it).
    wait_time = RUN.wait_time(constant(0) if os.environ.get("DCR_LOAD_WAIT") == "0" else between(0.05, 0.3))

    def on_start(self):
        self.device = RUN.new_device()
        self.pacer = Pacer(RUN.target.throttle)  # a well-behaved client stays within its allowance
        self.credentials = None
        self.token, self.refresh_due = None, 0.0
        for _ in range(REGISTER_ATTEMPTS):
            if self.register():
                return
        raise StopUser()

    def send(self, name, method, path, headers, body=b""):
        self.pacer.take_turn(self.device)
        ex = RUN.request(self, name, method, path, headers, body)
        if ex.status == 429:
            RUN.metrics.add("throttled")
            self.pacer.throttled(self.device)  # CLI-5: wait at least one second after a 429
        return ex

    def register(self):
        body = json.dumps({"software_statement": RUN.target.statements.valid}).encode()
        ex = self.send(
            "register",
            "POST",
            RUN.target.register_path,
            RUN.headers(self.device, **{"Content-Type": "application/json"}),
            body,
        )
        RUN.metrics.add("registrations")
        data = ex.json() if ex.status == 201 else None
        if isinstance(data, dict) and "client_id" in data and "client_secret" in data:
            self.credentials = (data["client_id"], data["client_secret"])  # stored for good (CLI-2)
            return True
        return False

    def fetch_token(self):
        client_id, client_secret = self.credentials
        form = urlencode(
            {"client_id": client_id, "client_secret": client_secret, "grant_type": "client_credentials"}
        ).encode()
        ex = self.send(
            "token",
            "POST",
            RUN.target.token_path,
            RUN.headers(self.device, **{"Content-Type": "application/x-www-form-urlencoded"}),
            form,
        )
        data = ex.json() if ex.status == 201 else None
        if isinstance(data, dict) and isinstance(data.get("access_token"), str):
            if self.token is not None:
                RUN.metrics.add("refreshes")
            lifetime = data.get("expires_in") if isinstance(data.get("expires_in"), int) else 60
            self.token, self.refresh_due = data["access_token"], time.monotonic() + REFRESH_AT * lifetime

    @task
    @RUN.arrival  # one arrival of an open-model run (--rate)
    def use_the_app(self):
        if self.token is None or time.monotonic() >= self.refresh_due:
            self.fetch_token()
        api = RUN.target.protected_api
        if self.token is not None and api is not None:
            self.send("api", api.method, api.path, RUN.headers(self.device, Authorization=f"Bearer {self.token}"))
