"""A stopped run still reports: SIGTERM and the run deadline give an INCOMPLETE report
with the checks that finished, and exit 4."""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dcr_harness.errors import ExitCode

from ..harness_runs import HarnessRun, assert_results_follow_the_schema, run_harness, start_harness
from ..hostile_server import HostileServer
from .test_hostile_targets import write_target

# timing: a deadline is time itself; each test makes the run unable to end before it whatever the machine's speed.
pytestmark = [pytest.mark.slow, pytest.mark.timing]
WAIT_FOR_PROGRESS_S = 180
PASSED_BEFORE_STOP = 5


def wait_for_passed_checks(proc: subprocess.Popen[str], count: int) -> str:
    """Read the verbose output until `count` checks passed (bounded in time)."""
    seen, deadline = "", time.monotonic() + WAIT_FOR_PROGRESS_S
    stdout = proc.stdout
    assert stdout is not None, "the run was started with stdout=PIPE"
    while seen.count("PASSED") < count:
        assert time.monotonic() < deadline, f"no progress within {WAIT_FOR_PROGRESS_S} s:\n{seen[-2000:]}"
        assert proc.poll() is None, f"the run ended before it could be stopped:\n{seen[-2000:]}"
        ready, _, _ = select.select([stdout], [], [], 1.0)
        if ready:
            seen += stdout.readline()
    return seen


def assert_incomplete_report(report_dir: Path, reason: str) -> dict:
    assert_results_follow_the_schema(report_dir)
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


# Three checks against a server that answers the preflight and the first check, then stalls every POST for 60 s:
# the run cannot end before the deadline on any machine (a fast one used to finish a whole run within 12 s),
# and the deadline is a bound on the first check only (a loaded one used to finish none within 12 s).
THREE_CHECKS = (
    "test_register_returns_client_credentials or test_grant_types_include_client_credentials"
    " or test_client_id_issued_at_is_now"
)
ANSWERED = 4  # the reachability GET, the preflight's registration and token request, the first check's registration
DEADLINE_S = 40


def test_the_run_deadline_stops_the_run_and_reports(tmp_path):
    with HostileServer("stall", after=ANSWERED) as server:
        target = write_target(tmp_path / "target.json", server.base_url)
        run: HarnessRun = run_harness(
            ["run", "--target", str(target), "--max-time", str(DEADLINE_S), "--workers", "0", "-k", THREE_CHECKS],
            tmp_path / "reports",
            env={"DCR_HTTP_TIMEOUT": "600"},
            timeout=DEADLINE_S + 120,
        )
    assert run.code == ExitCode.INCOMPLETE, run.output[-3000:]
    assert f"--max-time {DEADLINE_S} s" in run.output
    results = assert_incomplete_report(tmp_path / "reports", "run deadline")
    assert [c["outcome"] for c in results["checks"]] == ["passed"], results["checks"]


# A check whose finalizer is running when the deadline's signal lands: Python ignores an exception raised in
# __del__ ("Exception ignored in ..."), so the handler's RunStopped is lost there.
SWALLOWING_SUITE = """
import time

class SlowFinalizer:
    def __del__(self):
        time.sleep(120)  # until the deadline's signal interrupts it (its exception is then ignored); bounded

def test_first():
    SlowFinalizer()

def test_second():
    pass
"""
STOPPER_RUN = """
import sys, pytest
from dcr_harness.engine.stopping import RunStopper
stopper = RunStopper(max_time=10)
code = pytest.main([sys.argv[1], "-v", "-p", "no:cacheprovider", "-p", "no:dcr_harness"], plugins=[stopper])
print("REASON:", stopper.reason)
sys.exit(int(code))
"""


def test_a_deadline_swallowed_by_a_finalizer_still_stops_the_run_before_the_next_check(tmp_path):
    suite = tmp_path / "test_swallow.py"
    suite.write_text(SWALLOWING_SUITE)
    # The finalizer waits for the deadline, so only its start is timed: a bound of 10 s from the session's start
    # (0.5 s ran out during collection beside two busy loops).
    proc = subprocess.run(
        [sys.executable, "-c", STOPPER_RUN, str(suite)], capture_output=True, text=True, timeout=150, cwd=tmp_path
    )
    out = proc.stdout + proc.stderr
    assert "Exception ignored" in out and "RunStopped" in out, out  # the signal's own raise was lost ...
    assert "test_first PASSED" in out and "test_second" not in out.split("REASON:")[0].split("test_first PASSED")[1], (
        out
    )
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, out  # ... and the run stopped before the next check
    assert "REASON: the run deadline (--max-time 10 s) was reached" in out
