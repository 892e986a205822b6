"""Proof of `dcr-harness certify-client`: example clients, real HTTP, real reports.

A well-behaved client certifies PASS on every scenario; each broken client breaks one rule
and fails exactly the requirements of that rule; a client that never meets a scenario is
"not exercised", never PASS. Each session is a certify-client subprocess stopped with Ctrl-C.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dcr_harness.cli.commands import main
from dcr_harness.clientcert.scenarios import SCENARIOS
from dcr_harness.contract import schemas
from dcr_harness.contract.verdicts import applies
from dcr_harness.http.masking import SECRET_LOG_ENV
from dcr_harness.report.signing import generate_key

from ..clientcert_runs import certify

USER_ADDRESS = "203.0.113.7"
SECRET_LOG = "learned-secrets.txt"

# fault of the example client, scenarios that provoke it, client arguments, requirements it must fail
BROKEN = [
    ("register-every-time", ["short-token-ttl"], ["--calls", "3", "--interval", "0.2"], {"CLI-2"}),
    ("never-refresh", ["short-token-ttl"], ["--calls", "16", "--interval", "0.45"], {"CLI-3"}),
    ("ignore-429", ["throttling"], ["--calls", "6", "--interval", "0.1"], {"CLI-5"}),
    ("no-device-info", ["short-token-ttl"], ["--calls", "2", "--interval", "0.1"], {"CLI-1"}),
    ("doc-device-info", ["short-token-ttl"], ["--calls", "2", "--interval", "0.1"], {"DEV-1"}),
    ("token-in-query", ["short-token-ttl"], ["--calls", "2", "--interval", "0.1"], {"CLI-4"}),
    ("no-content-type", ["short-token-ttl"], ["--calls", "2", "--interval", "0.1"], {"CLI-1", "TOK-REQ-1"}),
    ("statement-in-array", ["short-token-ttl"], ["--calls", "2", "--interval", "0.1"], {"REG-REQ-5"}),
    ("credentials-in-query", ["short-token-ttl"], ["--calls", "2", "--interval", "0.1"], {"TOK-REQ-2"}),
]


def _artifacts_text(run_dir: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in run_dir.rglob("*") if p.is_file() and p.suffix != ".pem")


def _statement(output: str) -> str:
    return next(
        line.split("=", 1)[1].strip() for line in output.splitlines() if line.startswith("DCR_SOFTWARE_STATEMENT=")
    )


@pytest.mark.slow
@pytest.mark.timing  # the app is paced in real time against a short token lifetime and the throttle
def test_well_behaved_client_certifies_pass_on_every_scenario(tmp_path: Path) -> None:
    key = tmp_path / "sign.pem"
    generate_key(key)
    state = tmp_path / "credentials.json"
    common = ["--state", str(state), "--forward-for", USER_ADDRESS]
    # Two runs of the app: the second is the restart the scenario asks for.
    cert = certify(
        tmp_path,
        list(SCENARIOS),
        [[*common, "--calls", "10", "--interval", "0.3"], [*common, "--calls", "2", "--interval", "0.1"]],
        extra=["--sign-key", str(key)],
        env={SECRET_LOG_ENV: str(tmp_path / SECRET_LOG)},
    )
    assert cert.code == 0, cert.output[-3000:]
    doc = cert.document()
    assert doc["overall"]["verdict"] == "PASS"
    assert schemas.validate("certification", doc) == []
    assert [s["name"] for s in doc["client"]["scenarios"]] == list(SCENARIOS)
    mine = {r: v for r, v in cert.verdicts().items() if applies(r, "client")}
    assert set(mine.values()) == {"pass"}, mine
    assert set(mine) >= {"CLI-1", "CLI-2", "CLI-3", "CLI-4", "CLI-5", "DEV-1", "DEV-2", "REG-REQ-1", "TOK-REQ-1"}
    assert {v for r, v in cert.verdicts().items() if not applies(r, "client")} == {"not_applicable"}
    assert "RESTART the app now" in cert.output
    # Every judge verified all it cites, and each scenario left its own evidence.
    assert all(set(c["verified"]) == set(c["requirements"]) for c in doc["checks"]), doc["checks"]
    held = {
        c["nodeid"].split("::")[1]: " | ".join(e for v in c["verified"].values() for e in v["examples"])
        for c in doc["checks"]
    }
    for judge, evidence in (
        ("registration", "registered again once"),
        ("restart", "restarted (signalled at"),
        ("token_reuse", "renewed the token"),
        ("wait_after_429", "after a 429"),
        ("forwarded_for", "X-Forwarded-For"),
    ):
        assert evidence in held[judge], (judge, held[judge])
    run_dir = cert.run_dir()
    junit = (run_dir / "junit.xml").read_text()
    assert 'failures="0"' in junit and 'errors="0"' in junit and 'skipped="0"' in junit
    assert 'name="dcr-harness.verdict" value="PASS"' in junit
    verify = subprocess.run(
        [sys.executable, "-m", "dcr_harness.cli.commands", "verify-report", str(run_dir)],
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0, verify.stderr
    artifacts = _artifacts_text(run_dir)
    learned = (tmp_path / SECRET_LOG).read_text().splitlines()  # every secret the masker learned
    secrets = {_statement(cert.output), json.loads(state.read_text())["client_secret"], *learned}
    assert len(secrets) > 5 and not [s for s in secrets if s in artifacts]


@pytest.mark.slow
@pytest.mark.timing
@pytest.mark.parametrize("fault, scenarios, args, broken", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_client_fails_exactly_its_requirement(
    tmp_path: Path, fault: str, scenarios: list[str], args: list[str], broken: set[str]
) -> None:
    cert = certify(tmp_path, scenarios, [[*args, "--fault", fault]])
    assert cert.code == 1, cert.output[-3000:]
    doc = cert.document()
    assert doc["overall"]["verdict"] == "FAIL"
    assert cert.failed() == broken, {r: v for r, v in cert.verdicts().items() if v != "not_applicable"}
    # The finding shows the offending requests, masked, as a curl reproduction.
    offending = [c for c in doc["checks"] if set(c["failed_requirements"]) & broken]
    assert offending and all(c["exchanges"] for c in offending)
    assert all("curl " in e["curl"] for c in offending for e in c["exchanges"])
    assert _statement(cert.output) not in _artifacts_text(cert.run_dir())


def test_what_the_client_never_met_is_not_exercised_never_pass(tmp_path: Path) -> None:
    # No scenario provokes refresh or 429 here: CLI-3 cannot be judged, and the run is not a PASS.
    # It also ends on its own: --exit-after-flows counts the protected API calls answered.
    cert = certify(
        tmp_path,
        ["server-to-server"],
        [["--forward-for", USER_ADDRESS, "--calls", "2", "--interval", "0.1"]],
        extra=["--exit-after-flows", "2"],
    )
    assert cert.code == 1, cert.output[-3000:]
    assert "stopped (2 flows answered)" in cert.output
    verdicts = cert.verdicts()
    assert verdicts["CLI-3"] == "not_verified" and verdicts["CLI-5"] == "pass"
    doc = cert.document()
    assert doc["overall"]["verdict"] == "INCOMPLETE"
    cli3 = next(r for r in doc["requirements"] if r["id"] == "CLI-3")
    assert cli3["reasons"][0].startswith("not exercised")


@pytest.mark.timing  # 16 calls 0.45 s apart outlive the short token: renewals happen
def test_a_client_that_never_restarts_gets_not_exercised_for_the_restart(tmp_path: Path) -> None:
    # The prompt is printed, the app goes on without a restart (it opens connections as it likes): the
    # harness does not guess a restart, and the certification is not a PASS.
    cert = certify(tmp_path, ["restart", "short-token-ttl"], [["--calls", "16", "--interval", "0.45"]])
    doc = cert.document()
    assert cert.code == 1 and doc["overall"]["verdict"] == "INCOMPLETE", cert.output[-3000:]
    restart = next(c for c in doc["checks"] if c["nodeid"].endswith("::restart"))
    assert not restart["verified"] and "never followed by the restart signal" in restart["not_verified"]["CLI-2"]
    assert "restart not exercised" in doc["overall"]["scope"]["incomplete"]
    assert not cert.failed() and cert.verdicts()["CLI-2"] == "pass"  # its renewals are CLI-2 evidence all the same


@pytest.mark.parametrize(
    "args, says",
    [
        (["--scenario", "nope"], "unknown scenario"),
        (["--trust-key", "absent.pem"], "--trust-key absent.pem"),
        (["--sign-key", "absent.pem"], "absent.pem"),
        (["--port", "70000"], "--port"),
    ],
)
def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str], args: list[str], says: str) -> None:
    assert main(["certify-client", *args]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and says in err
