"""A stopped run still reports (issue 10): SIGTERM and the run deadline give an INCOMPLETE report
with the checks that finished, and exit 4."""

from __future__ import annotations

import json
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest


from ..harness_runs import HarnessRun, run_harness, start_harness
from dcr_harness.errors import ExitCode

pytestmark = pytest.mark.slow
WAIT_FOR_PROGRESS_S = 180
PASSED_BEFORE_STOP = 5


def wait_for_passed_checks(proc: subprocess.Popen[str], count: int) -> str:
    """Read the verbose output until `count` checks passed (bounded in time)."""
    seen, deadline = "", time.monotonic() + WAIT_FOR_PROGRESS_S
    while seen.count("PASSED") < count:
        assert time.monotonic() < deadline, f"no progress within {WAIT_FOR_PROGRESS_S} s:\n{seen[-2000:]}"
        assert proc.poll() is None, f"the run ended before it could be stopped:\n{seen[-2000:]}"
        ready, _, _ = select.select([proc.stdout], [], [], 1.0)
        if ready:
            seen += proc.stdout.readline()  # type: ignore[union-attr]
    return seen


def assert_incomplete_report(report_dir: Path, reason: str) -> dict:
    (run_dir,) = [p for p in report_dir.iterdir() if p.is_dir() and not p.is_symlink()]
    results = json.loads((run_dir / "results.json").read_text())
    assert reason in results["incomplete"]
    assert results["checks"], "the checks that finished are reported"
    assert all(c["outcome"] != "pending" and not c["message"].startswith("not run") for c in results["checks"])
    assert results["not_run"], "a stopped run names the checks it did not run"
    assert not {c["nodeid"] for c in results["checks"]} & set(results["not_run"])
    certification = json.loads((run_dir / "certification.json").read_text())
    assert certification["overall"]["verdict"] == "INCOMPLETE"
    assert certification["overall"]["scope"]["incomplete"] == results["incomplete"]
    assert certification["overall"]["scope"]["not_run"] == results["not_run"]
    junit = (run_dir / "junit.xml").read_text()
    assert 'name="run incomplete"' in junit and 'value="INCOMPLETE"' in junit
    assert "Incomplete run" in (run_dir / "certification.html").read_text()
    return results


@pytest.mark.parametrize("workers", ["0", "2"])
def test_sigterm_gives_an_incomplete_report_with_the_finished_checks(tmp_path, workers):
    report_dir = tmp_path / "reports"
    proc = start_harness(["-v", "--workers", workers, "--no-example-db"], report_dir)
    try:
        wait_for_passed_checks(proc, PASSED_BEFORE_STOP)
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == ExitCode.INCOMPLETE, rest[-3000:]
    assert "INCOMPLETE" in rest
    results = assert_incomplete_report(report_dir, "SIGTERM")
    assert len(results["checks"]) >= PASSED_BEFORE_STOP


def test_the_run_deadline_stops_the_run_and_reports(tmp_path):
    run: HarnessRun = run_harness(["run", "--max-time", "12", "--workers", "0", "--no-example-db"], tmp_path / "reports")
    assert run.code == ExitCode.INCOMPLETE, run.output[-3000:]
    assert "--max-time 12 s" in run.output
    assert_incomplete_report(tmp_path / "reports", "run deadline")
