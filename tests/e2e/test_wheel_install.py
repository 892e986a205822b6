"""The wheel, installed into a fresh virtual environment outside the
checkout, runs from an empty directory: `dcr-harness run`, `dcr-harness load token_refresh`,
the pytest entry, `serve`, `sign` and `verify-report` (the README's `pipx install` line)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from dcr_harness.errors import ExitCode
from tests.harness_runs import inconclusive_only_for_timing
from tests.wheel_env import installed  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow
RUN_TIMEOUT_S = 900


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


def test_run_from_an_empty_directory(installed, empty) -> None:  # noqa: F811
    version = installed.run(["dcr-harness", "--version"], cwd=empty, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("dcr-harness "), version.stderr

    run = installed.run(["dcr-harness", "run"], cwd=empty, timeout=RUN_TIMEOUT_S, HYPOTHESIS_PROFILE="ci")
    report = (empty / "reports" / "latest").resolve()
    for name in ("results.json", "junit.xml", "certification.json", "certification.html", "contract.html"):
        assert (report / name).is_file(), name
    certification = json.loads((report / "certification.json").read_text())
    assert len(certification["requirements"]) == 48  # every requirement of the shipped contract
    timing_only = run.returncode == ExitCode.INCONCLUSIVE and inconclusive_only_for_timing(certification)
    assert run.returncode == 0 or timing_only, run.stdout[-4000:] + run.stderr[-2000:]


@pytest.mark.timing  # an 8 s token_refresh load run passes its gate only when a refresh fell due in it
def test_load_from_an_empty_directory(installed, empty) -> None:  # noqa: F811
    load = installed.run(
        ["dcr-harness", "load", "token_refresh", "--duration", "8", "--users", "4", "--spawn-rate", "4"],
        cwd=empty,
        timeout=RUN_TIMEOUT_S,
    )
    assert load.returncode == 0, load.stderr[-4000:]
    (load_dir,) = (empty / "reports").glob("*-load-token_refresh")
    metrics = json.loads((load_dir / "metrics.json").read_text())
    assert metrics["verdict"] == "PASS" and metrics["figures"]["requests"] > 0
    assert (load_dir / "report.html").is_file()
    assert sorted(p.name for p in empty.iterdir() if not p.name.startswith(".")) == ["reports"]


def test_pytest_entry_serve_sign_and_verify_from_the_wheel(installed, empty) -> None:  # noqa: F811
    entry = installed.run(
        [
            str(installed.python),
            "-m",
            "pytest",
            "-p",
            "dcr_harness",
            "--pyargs",
            "dcr_harness.bundled.conformance",
            "--report-dir",
            "out",
            "--req",
            "REG-OK-1",
            # Speed only: no generated check under the thorough profile; loading it at all proves it registered.
            "-k",
            "test_register_returns_client_credentials",
            "-q",
        ],
        cwd=empty,
        timeout=RUN_TIMEOUT_S,
        HYPOTHESIS_PROFILE="thorough",
    )
    # thorough (the nightly recipes') is registered by the installed plugin, not by a checkout's conftest.py
    assert entry.returncode == 0, entry.stdout[-4000:] + entry.stderr[-2000:]
    (run_dir,) = [p for p in (empty / "out").iterdir() if p.name != "latest"]
    results = json.loads((run_dir / "results.json").read_text())
    assert results["checks"] and all("REG-OK-1" in c["requirements"] for c in results["checks"])

    sign = installed.run(
        ["dcr-harness", "sign", str(run_dir), "--generate-key", str(empty / "key.pem")], cwd=empty, timeout=60
    )
    assert sign.returncode == 0, sign.stderr
    verify = installed.run(["dcr-harness", "verify-report", str(run_dir)], cwd=empty, timeout=60)
    assert verify.returncode == 0 and "OK" in verify.stdout, verify.stdout + verify.stderr

    faults = installed.run(["dcr-harness", "serve", "--list-faults"], cwd=empty, timeout=60)
    assert faults.returncode == 0 and faults.stdout.strip(), faults.stderr
    module = installed.run(["python", "-m", "dcr_harness", "--help"], cwd=empty, timeout=60)
    assert module.returncode == 0 and "init" in module.stdout


def _serve(installed, folder: Path, *faults: str) -> tuple[subprocess.Popen, Path]:  # noqa: F811
    """`dcr-harness serve --target-out` from the wheel; returns once the target file is written and answers."""
    target = folder / "target.json"
    args = ["dcr-harness", "serve", "--data-dir", str(folder / "data"), "--target-out", str(target)]
    for fault in faults:
        args += ["--fault", fault]
    proc = subprocess.Popen(
        args,
        cwd=folder,
        env=installed.env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        if target.is_file():
            host, port = json.loads(target.read_text())["base_url"].split("//")[1].rsplit(":", 1)
            try:
                socket.create_connection((host, int(port)), timeout=0.5).close()
                return proc, target
            except OSError:
                pass
        time.sleep(0.05)  # polling for the server, bounded by the deadline
    proc.kill()
    pytest.fail("the installed reference server did not start")


def test_replay_a_handed_over_report_from_the_wheel(installed, empty, tmp_path) -> None:  # noqa: F811
    """A report made in one place, replayed from an installed wheel in an empty directory elsewhere."""
    fault, case = "tok-unknown-grant-invalid-request", "TOK-ERR-4:grant_type unknown URN"
    run = installed.run(
        ["dcr-harness", "run", "--req", "TOK-ERR-4", "-k", "provocation", "--", f"--embedded-fault={fault}"],
        cwd=empty,
        timeout=RUN_TIMEOUT_S,
        HYPOTHESIS_PROFILE="ci",
    )
    assert run.returncode == 1, run.stdout[-4000:] + run.stderr[-2000:]
    received = tmp_path / "received"
    shutil.copytree(
        (empty / "reports" / "latest").resolve(), received / "report", ignore=shutil.ignore_patterns("reference-server")
    )
    servers = []
    try:
        for name, faults in (("faulty", (fault,)), ("conforming", ())):
            (received / name).mkdir()
            servers.append(_serve(installed, received / name, *faults))
        outcomes = [
            installed.run(["dcr-harness", "replay", "report", case, "--target", str(target)], cwd=received, timeout=120)
            for _, target in servers
        ]
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait(timeout=10)
    still, fixed = outcomes
    assert still.returncode == 1 and "STILL FAILING" in still.stdout, still.stdout + still.stderr
    assert fixed.returncode == 0 and "FIXED" in fixed.stdout, fixed.stdout + fixed.stderr
