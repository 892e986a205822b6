"""Hostile targets: the run ends in time, with the right exit code and a message naming the
problem; nothing crashes, no secret leaks, the report is written.

Each run is narrowed to two checks (one registration, one token request) against
tests/hostile_server.py; DCR_HTTP_TIMEOUT shortens the harness's read timeout to keep
stalls short.
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest

from ..harness_runs import HarnessRun, run_harness
from ..hostile_server import STATEMENT, HostileServer, issue_certificates

TWO_CHECKS = "test_register_returns_client_credentials or test_token_for_fresh_credentials"
FAST = {"DCR_HTTP_TIMEOUT": "2"}
RUN_LIMIT_S = 90  # the bound on each run (its subprocess timeout): a run that hung on a misbehaving server fails


def write_target(path: Path, base_url: str, **extra: object) -> Path:
    path.write_text(json.dumps({"name": "hostile", "base_url": base_url, "statements": {"valid": STATEMENT}, **extra}))
    return path


def run_against(
    tmp_path: Path, server: HostileServer, env: dict[str, str] | None = None, *args: str, **extra: object
) -> HarnessRun:
    target = write_target(tmp_path / "target.json", server.base_url, **extra)
    # One process: which request meets a broken connection (short-length) depends on which requests share it.
    return run_harness(
        ["run", "--target", str(target), "--workers", "0", "-k", TWO_CHECKS, *args],
        tmp_path / "reports",
        env=env,
        timeout=RUN_LIMIT_S,
    )


def artifacts(run: HarnessRun) -> str:
    files = [p for p in run.report_dir.rglob("*") if p.is_file()]
    return run.output + "".join(p.read_bytes().decode("utf-8", "replace") for p in files)


def assert_survived(run: HarnessRun, server: HostileServer, code: int, *phrases: str) -> None:
    """The documented exit code, the problem named, no traceback, no secret, a report."""
    assert run.code == code, run.output[-3000:]
    assert "Traceback" not in run.output and "INTERNALERROR" not in run.output, run.output[-3000:]
    for phrase in phrases:
        assert phrase in run.output, f"{phrase!r} not on the console:\n{run.output[-3000:]}"
    text = artifacts(run)
    for secret in [STATEMENT, *server.issued]:
        assert secret not in text, f"secret {secret[:12]}... leaked"
    assert list(run.report_dir.glob("*/results.json")) and list(run.report_dir.glob("*/certification.json"))


def failure_messages(run: HarnessRun) -> str:
    return "\n".join(c["message"] for c in run.checks("failed") + run.checks("error"))


# (behaviour, harness env, exit code, phrase on the console and in the failed checks' messages)
MISBEHAVIOURS: list[tuple[str, dict[str, str], int, str] | pytest.ParameterSet] = [
    # The stalled answer is cut by the harness's 2 s read timeout, long before the server's 60 s stall ends: the
    # phrase says so (a server that closed first would be "closed the connection mid-body").
    pytest.param("stall", FAST, 1, "the server stalled mid-body", marks=pytest.mark.timing, id="stall"),
    ("reset", FAST, 1, "connection"),
    ("huge", FAST, 1, "larger than the 1024 KiB cap"),
    ("truncated", FAST, 1, "closed the connection mid-body"),
    ("long-length", FAST, 1, "closed the connection mid-body"),
    ("short-length", FAST, 1, "broke HTTP framing"),  # the surplus bytes corrupt the next answer on the connection
    ("register-500", FAST, 1, "server error 500"),
    (
        "refuse-granted-grant",
        FAST,
        1,
        "unauthorized_client",
    ),  # the grant was registered: the server fails, not the file
]


@pytest.mark.parametrize(
    "behaviour, env, code, phrase",
    MISBEHAVIOURS,
    ids=[m.id if isinstance(m, pytest.ParameterSet) else m[0] for m in MISBEHAVIOURS],
)
def test_misbehaving_server_fails_its_checks_by_name(tmp_path, behaviour, env, code, phrase):
    with HostileServer(behaviour, after=3 if behaviour == "reset" else 1) as server:
        run = run_against(tmp_path, server, env)  # ends in time: RUN_LIMIT_S bounds it
    assert_survived(run, server, code, phrase)
    assert phrase in failure_messages(run)
    # CI dashboards show JUnit's message: the one-line statement, not a traceback.
    junit = next(run.report_dir.glob("*/junit.xml")).read_text()
    messages = re.findall(r'<failure message="([^"]*)"', junit)
    assert messages and all(m.startswith("[") and "&#10;" not in m and "\n" not in m for m in messages), messages


@pytest.mark.parametrize("behaviour", ["http10", "bad-header-bytes"])
def test_odd_but_valid_http_is_served(tmp_path, behaviour):
    with HostileServer(behaviour) as server:
        run = run_against(tmp_path, server, FAST)
    assert_survived(run, server, 0)
    assert len(run.checks("passed")) == 2


@pytest.mark.timing  # a 3 s answer within the default 10 s read timeout
def test_slow_server_is_waited_for(tmp_path):
    with HostileServer("slow", delay=3.0) as server:
        run = run_against(tmp_path, server)
    assert_survived(run, server, 0)
    elapsed = [e["elapsed_ms"] for c in run.checks() for e in c["exchanges"]]
    assert elapsed and min(elapsed) >= 3000  # waited for, not cut short (at least the server's delay, on any machine)


def test_redirect_to_another_host_is_not_followed(tmp_path):
    with (
        HostileServer("ok", host="127.0.0.2") as other,
        HostileServer("redirect", redirect_to=other.base_url) as server,
    ):
        run = run_against(tmp_path, server, FAST)
    assert_survived(run, server, 1, "307", f"redirect to {other.base_url}/o/client/register (never followed)")
    assert "307" in failure_messages(run)
    assert other.requests == []  # never followed, so no credentials reached the other host
    assert " -L" not in artifacts(run)


# The preflight: a target file whose statement the server refuses is a usage error (exit 2).
REFUSALS = [
    ("refuse-statement", "statements.valid is refused", "invalid_software_statement"),
    ("refuse-grant", "may not use client_credentials", "unauthorized_client"),
]


@pytest.mark.parametrize("behaviour, phrase, error", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refused_valid_statement_is_a_target_file_error(tmp_path, behaviour, phrase, error):
    with HostileServer(behaviour) as server:
        run = run_against(tmp_path, server, FAST)
    assert_survived(run, server, 2, "target file error", phrase, error)
    assert not run.checks("passed") and not run.checks("failed")  # nothing judged on a wrong target file
    # It ends at the preflight (counted in requests, not seconds): the reachability probe (a GET), one registration,
    # and the token request it allows.
    assert len([r for r in server.requests if r[0] == "POST"]) <= 2, server.requests


def test_broken_happy_path_is_reported_not_refused(tmp_path):
    with HostileServer("register-500") as server:
        run = run_against(tmp_path, server, FAST, "-v")
    assert_survived(
        run,
        server,
        1,
        "preflight: registering statements.valid did not give credentials: 500 Internal Server Error (not JSON)",
    )
    # -v: one line per check, and a failed one says what broke
    # (one process: "nodeid FAILED [REG-...]"; with workers: "FAILED [REG-...] nodeid")
    assert re.search(
        r"test_register_returns_client_credentials FAILED \[REG-|FAILED \[REG-[^\]]*\][^\n]*test_register_returns_client_credentials",
        run.output,
    ), run.output[-3000:]


def test_preflight_counts_against_the_budget_and_belongs_to_no_check(tmp_path):
    with HostileServer("ok") as server:
        run = run_against(tmp_path, server, FAST, budget={"max_requests": 2})
    assert run.code in (0, 1, 2), run.output[-3000:]
    assert "Traceback" not in run.output
    assert len(server.requests) <= 2 and run.results()["requests_sent"] <= 2
    (tmp_path / "second").mkdir()
    with HostileServer("ok") as server:
        run = run_against(tmp_path / "second", server, FAST)
    assert_survived(run, server, 0)
    register_check = next(c for c in run.checks() if "test_register_returns_client_credentials" in c["nodeid"])
    assert len(register_check["exchanges"]) == 1  # the preflight's registration is not this check's
    assert run.results()["reachability"]["happy_path"] == "ok"


# TLS: (certificate names, trust the private CA, tls.verify, exit code, phrase)
TLS_CASES = [
    (["other.example"], True, True, 3, "certificate verify failed"),
    (["127.0.0.1"], False, True, 3, "certificate verify failed"),
    (["127.0.0.1"], True, True, 0, None),
    (["other.example"], False, False, 0, None),
]


@pytest.mark.parametrize(
    "names, trust, verify, code, phrase",
    TLS_CASES,
    ids=["wrong-name", "unknown-ca", "ca-bundle-honoured", "verify-off"],
)
def test_tls_certificates_are_checked_as_the_target_file_says(tmp_path, names, trust, verify, code, phrase):
    ca, context = issue_certificates(tmp_path / "pki", names)
    tls = {"verify": verify, **({"ca_bundle": str(ca)} if trust else {})}
    with HostileServer("ok", tls=context) as server:
        run = run_against(tmp_path, server, FAST, tls=tls)
    assert_survived(run, server, code, *([phrase, "target unreachable"] if phrase else []))


def test_second_loopback_address_is_usable():
    """The redirect test needs 127.0.0.2; say so plainly if this machine lacks it."""
    with socket.socket() as s:
        s.bind(("127.0.0.2", 0))
