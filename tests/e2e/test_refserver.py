"""The reference server for real: a subprocess serving over a loopback socket (uvicorn),
driven with httpx. Flow, persistence across restarts, revocation, throttling, robustness.
"""

from __future__ import annotations

import itertools
import json
import math
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dcr_harness.contract.target import Target, target_from_dict
from dcr_harness.contract.throttle_model import first_inconsistency
from dcr_harness.refserver import FAULTS

START_TIMEOUT_S = 20.0
_devices = itertools.count(1)


def fresh_device() -> dict[str, str]:
    """A device of its own (THR-1) so that one test's requests never throttle another's."""
    n = next(_devices)
    return {"X-Forwarded-For": f"198.18.{n // 250}.{n % 250 + 1}"}


class Live:
    def __init__(self, data_dir: Path, *args: str) -> None:
        self.data_dir, self.args = data_dir, args
        self.target_file = data_dir / "target.json"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Target:
        self.target_file.unlink(missing_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "dcr_harness.refserver",
            "--port",
            "0",
            "--data-dir",
            str(self.data_dir),
            "--target-out",
            str(self.target_file),
            *self.args,
        ]
        self.process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert self.process.stdout is not None  # PIPE
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {self.process.stdout.read().decode(errors='replace')}")
            if self.target_file.exists():
                data = json.loads(self.target_file.read_text())
                host, port = data["base_url"].split("//")[1].rsplit(":", 1)
                try:
                    socket.create_connection((host, int(port)), timeout=0.5).close()
                    self.target = target_from_dict(data)
                    return self.target
                except OSError:
                    pass
            time.sleep(0.05)  # polling, bounded by the deadline
        self.stop()
        raise AssertionError("server did not start in time")

    def stop(self) -> int | None:
        if self.process is None:
            return None
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None
        return code

    def client(self) -> httpx.Client:
        assert self.target.base_url.startswith("http://127.0.0.1:")
        return httpx.Client(base_url=self.target.base_url, headers=fresh_device(), timeout=10)


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[Live]:
    server = Live(tmp_path_factory.mktemp("live"), "--token-ttl", "2")
    server.start()
    yield server
    assert server.stop() == 0


def register(c: httpx.Client, statement: str, **body: str) -> httpx.Response:
    return c.post("/o/client/register", json={"software_statement": statement, **body})


def token(c: httpx.Client, client_id: str, secret: str) -> httpx.Response:
    return c.post(
        "/o/client/token", data={"client_id": client_id, "client_secret": secret, "grant_type": "client_credentials"}
    )


def api(c: httpx.Client, access_token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
    return c.get("/api/v2/REF30/configuration", headers=headers)


def credentials(c: httpx.Client, statement: str) -> tuple[str, str]:
    r = register(c, statement)
    assert r.status_code == 201, r.text
    return r.json()["client_id"], r.json()["client_secret"]


def wait_until(instant: float, clock=time.time) -> None:
    """Wait until `clock` has passed `instant` (the subject is time itself: a lifetime, a throttle window)."""
    while (left := instant - clock()) >= 0:
        time.sleep(left + 0.001)


def expires_from(token_answer: dict) -> float:
    """The earliest instant (epoch seconds) at which the server may call this token expired."""
    return token_answer["created_at"] / 1000 + token_answer["expires_in"]


@pytest.mark.timing
def test_full_flow_and_token_expiry(live):
    t = live.target
    assert t.token_ttl_seconds == 2 and t.admin and t.protected_api.path == "/api/v2/REF30/configuration"
    with live.client() as c:
        before = time.time()
        r = register(c, t.statements.valid, redirect_uri=t.allowed_redirect_uri)
        after = time.time()
        assert r.status_code == 201 and r.headers["content-type"].startswith("application/json")
        creds = r.json()
        assert creds["redirect_uris"] == [t.allowed_redirect_uri] and creds["grant_types"] == ["client_credentials"]
        assert int(before) <= creds["client_id_issued_at"] <= after  # stamped while the request was served
        before = time.time()
        first = token(c, creds["client_id"], creds["client_secret"])
        after = time.time()
        assert first.status_code == 201 and first.headers["cache-control"] == "no-store"
        body = first.json()
        assert body["token_type"] == "bearer" and body["expires_in"] == 2
        assert int(before * 1000) <= body["created_at"] <= after * 1000
        second = token(c, creds["client_id"], creds["client_secret"]).json()  # FLOW-4: refresh, same credentials
        assert second["access_token"] != body["access_token"]
        for issued in (body, second):
            status = api(c, issued["access_token"]).status_code
            # Served while the token lives: a 401 only from a machine slow enough to ask after its expiry.
            assert status == 200 or (status == 401 and time.time() >= expires_from(issued)), status
    # API-4: once expires_in has passed on the server's clock (this machine's), the token stops working.
    wait_until(expires_from(body) + 0.001)  # created_at is the server's instant rounded down to the millisecond
    with live.client() as c:
        assert api(c, body["access_token"]).status_code == 401


def test_seeded_statements(live):
    s = live.target.statements
    with live.client() as c:
        assert register(c, s.valid_no_redirect).json()["redirect_uris"] == []
        assert register(c, s.revoked).json()["error"] == "unapproved_software_statement"
        assert register(c, s.foreign_signed).json()["error"] == "invalid_software_statement"
        assert (
            register(c, s.valid_no_redirect, redirect_uri="https://app.example.com/callback").json()["error"]
            == "invalid_redirect_uri"
        )


def test_revocation_through_the_admin_hook(live):
    t = live.target
    with live.client() as c:
        creds = credentials(c, t.statements.revocable)
        access = token(c, *creds).json()["access_token"]
        hook = {"Authorization": f"Bearer {t.admin.token}"}
        assert c.post(t.admin.revoke_url, json={"software_id": "ref-revocable"}).status_code == 401
        assert (
            c.post(
                t.admin.revoke_url, json={"software_id": "ref-revocable"}, headers={"Authorization": "Bearer wrong"}
            ).status_code
            == 401
        )
        assert c.post(t.admin.revoke_url, json={"software_id": "nope"}, headers=hook).status_code == 404
        r = c.post(t.admin.revoke_url, json={"software_id": "ref-revocable"}, headers=hook)
        assert r.status_code == 200 and r.json() == {"revoked": "ref-revocable"}
        assert register(c, t.statements.revocable).json()["error"] == "unapproved_software_statement"
        assert token(c, *creds).json()["error"] == "invalid_client"
        assert api(c, access).status_code == 401
        assert register(c, t.statements.valid).status_code == 201  # the other applications are untouched


# A bound on the requests sent until one is refused: 11 at once get there on the 12th, and each
# throttle window that passes while they are sent admits one more.
UNTIL_REFUSED_MAX = 40


def timed_api(c: httpx.Client, statuses: list[int], spans: list[tuple[float, float]]) -> None:
    """One unauthenticated API call, its status (401 when served) and when it was sent and answered."""
    sent = time.monotonic()
    statuses.append(api(c, None).status_code)
    spans.append((sent, time.monotonic()))


@pytest.mark.timing
def test_throttle_smoke(live):
    """THR-2/3/4/5 live: a device is refused after its burst, another is served, the first is served again in a
    later window. Judged by the THR-6 model at the arrival times this run measured, as the throttle lab judges
    (dcr_harness/checks/throttle_lab.py): a loaded machine spreads the requests, and the model says what that allows."""
    throttle = live.target.throttle
    statuses: list[int] = []
    spans: list[tuple[float, float]] = []
    with live.client() as c, live.client() as other:
        while 429 not in statuses and len(statuses) < UNTIL_REFUSED_MAX:
            timed_api(c, statuses, spans)
        assert statuses[-1] == 429, f"no refusal in {len(statuses)} requests: {statuses}"
        assert api(other, None).status_code == 401  # THR-5
        # THR-4: the server's windows count from its arrival of request 0 (within spans[0]); wait for a later one.
        (first_sent, first_answered), refused_answered = spans[0], spans[-1][1]
        wait_until(first_answered + math.floor(refused_answered - first_sent) + 1, time.monotonic)
        timed_api(c, statuses, spans)
    assert statuses[-1] == 401, statuses
    arrivals = [(0.0, 0.0)] + [(max(0.0, sent - first_answered), answered - first_sent) for sent, answered in spans[1:]]
    assert first_inconsistency(arrivals, [s == 401 for s in statuses], throttle.rate_per_s, throttle.burst) is None, (
        statuses,
        arrivals,
    )


GARBAGE = [
    ("register", {"Content-Type": "application/json"}, b'{"software_statement": "\xff\xfe"}'),
    ("register", {"Content-Type": "application/json"}, b"[" * 200_000),
    ("register", {"Content-Type": "application/json"}, b'{"software_statement": ' + b"1" * 10_000 + b"}"),
    ("register", {"Content-Type": "application/json"}, b'{"software_statement": {"a": [null, true]}}'),
    ("register", {"Content-Type": "application/json"}, b'{"software_statement": "a.b.c", "redirect_uri": 7}'),
    ("register", {"Content-Type": "application/json"}, b"x" * (2 << 20)),
    ("register", {"Content-Type": "application/json; charset=latin-1", "Accept": ";;;,,q=,"}, b"\x00" * 100),
    ("register", {"Content-Type": "application/json", "X-Device-Info": "e30="}, b"{}"),
    ("token", {"Content-Type": "application/x-www-form-urlencoded"}, b"client_id=%ff%fe&grant_type=%%"),
    ("token", {"Content-Type": "application/x-www-form-urlencoded"}, b"&" * 100_000),
    ("token", {"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic ####"}, b"grant_type=x"),
    ("token", {"Content-Type": "multipart/form-data; boundary=x"}, b"--x--"),
    ("api", {"Authorization": "Bearer " + "a" * 10_000}, b""),
    ("api", {"Authorization": "Bearer a b c"}, b""),
]


@pytest.mark.parametrize("endpoint, headers, body", GARBAGE, ids=[f"{e}-{i}" for i, (e, _, _) in enumerate(GARBAGE)])
def test_garbage_never_gets_a_5xx(live, endpoint, headers, body):
    with live.client() as c:
        if endpoint == "api":
            r = c.get("/api/v2/REF30/configuration", headers=headers)
            assert r.status_code == 401
        else:
            r = c.post(f"/o/client/{endpoint}", content=body, headers=headers)
            assert r.status_code == 400 and r.json()["error"] == "invalid_request", r.text


def test_malformed_http_is_not_a_5xx(live):
    host, port = live.target.base_url.split("//")[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST /o/client/register HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n")
        status_line = sock.recv(200).split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 4"), status_line


def test_restart_keeps_credentials_tokens_statements_and_revocations(tmp_path):
    server = Live(tmp_path, "--token-ttl", "600", "--admin-token", "fixed-admin")
    before = server.start()
    assert before.admin is not None and before.statements.revocable is not None, "the target file names both"
    try:
        with server.client() as c:
            creds = credentials(c, before.statements.valid)
            access = token(c, *creds).json()["access_token"]
            assert (
                c.post(
                    before.admin.revoke_url,
                    json={"software_id": "ref-revocable"},
                    headers={"Authorization": "Bearer fixed-admin"},
                ).status_code
                == 200
            )
    finally:
        assert server.stop() == 0
    after = server.start()
    try:
        assert after.statements == before.statements and after.admin is not None and after.admin.token == "fixed-admin"
        with server.client() as c:
            assert token(c, *creds).status_code == 201
            assert api(c, access).status_code == 200
            assert register(c, before.statements.valid).status_code == 201
            assert register(c, before.statements.revocable).json()["error"] == "unapproved_software_statement"
    finally:
        assert server.stop() == 0


def test_cli_lists_faults_and_rejects_unknown_ones():
    cmd = [sys.executable, "-m", "dcr_harness.refserver"]
    listed = subprocess.run([*cmd, "--list-faults"], capture_output=True, text=True, timeout=30)
    assert listed.returncode == 0 and all(name in listed.stdout for name in FAULTS)
    bad = subprocess.run([*cmd, "--fault", "no-such-fault"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "no-such-fault" in bad.stderr and "reg-status-200" in bad.stderr
    assert "Traceback" not in bad.stderr
