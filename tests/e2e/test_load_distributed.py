"""`dcr-harness load` across hosts: a Locust master and two workers as separate processes
on loopback (Locust's own master/worker protocol). The master's figures merge what both
workers judged, and its thresholds gate decides the exit code."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest


from tests.load_reference import reference  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.slow, pytest.mark.timing]  # a 5 s load run: what it exercises depends on time
TIMEOUT_S = 150
USERS = 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(*args: str, cwd: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "DCR_TARGET"}
    return subprocess.Popen([sys.executable, "-m", "dcr_harness", "load", "token_refresh", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def run_distributed(tmp_path: Path, target: Path, *extra: str) -> tuple[int, str, list[int], dict]:
    """A master waiting for two workers, two workers joining it; (master code, its output, worker codes, metrics)."""
    port = str(free_port())
    master = load("--master", "--expect-workers", "2", "--expect-workers-max-wait", "60", "--master-bind-host",
                  "127.0.0.1", "--master-port", port, "--target", str(target), "--users", str(USERS),
                  "--spawn-rate", str(USERS), "--duration", "5", "--report-dir", str(tmp_path / "reports"), *extra,
                  cwd=tmp_path)
    workers = [load("--worker", "--master-host", "127.0.0.1", "--master-port", port, "--target", str(target),
                    cwd=tmp_path) for _ in range(2)]
    try:
        output, _ = master.communicate(timeout=TIMEOUT_S)
        worker_codes = [w.wait(timeout=60) for w in workers]
    finally:
        for proc in (master, *workers):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    (out,) = sorted((tmp_path / "reports").glob("*-load-token_refresh"))
    return master.returncode, output, worker_codes, json.loads((out / "metrics.json").read_text())


def test_master_merges_what_two_workers_judged(tmp_path, reference):
    code, output, worker_codes, metrics = run_distributed(tmp_path, reference)
    assert code == 0, output[-3000:]
    assert worker_codes == [0, 0]
    assert metrics["verdict"] == "PASS"
    f = metrics["figures"]
    # Users are split over the workers; each registers once (CLI-2): all four counted means both merged.
    assert f["registrations"] == USERS
    assert f["requests"] > 0 and f["judged"] == f["requests"], f  # every request the master counted was judged
    assert f["violations"] == 0 and f["errors"] == 0


def test_master_gate_fails_on_a_broken_threshold(tmp_path, reference):
    strict = tmp_path / "strict.toml"
    strict.write_text("version = 1\n[token_refresh]\nerror_ratio_max = 0.001\n"
                      "[token_refresh.latency_ms]\napi = { p95 = 0.001 }\n")
    code, output, worker_codes, metrics = run_distributed(tmp_path, reference, "--thresholds", str(strict))
    assert code == 1, output[-3000:]
    assert worker_codes == [0, 0]
    assert metrics["verdict"] == "FAIL" and [b.split(" ")[0] for b in metrics["broken"]] == ["latency_ms.api.p95"]
    assert "broken: latency_ms.api.p95" in output
