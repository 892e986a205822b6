"""The Locust profiles and `dcr-harness load`: short runs against the embedded reference.

Every run is bounded (a few seconds, a handful of users) and on loopback; a remote target
without opt-in is refused before any traffic (its address is never contacted).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dcr_harness.paths import LOAD_DIR

pytestmark = pytest.mark.slow
TIMEOUT_S = 150


def harness_load(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "dcr_harness.cli.commands", "load", *args, "--report-dir", str(tmp_path / "reports")]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=TIMEOUT_S, cwd=tmp_path, env={**os.environ, **(env or {})}
    )


def run_dir(tmp_path: Path) -> Path:
    dirs = sorted((tmp_path / "reports").glob("*-load-*"))
    assert len(dirs) == 1, dirs
    return dirs[0]


def assert_reports(out: Path, verdict: str) -> dict:
    assert (out / "report.html").stat().st_size > 1000
    assert (out / "locust_stats.csv").read_text().count("\n") >= 2
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["verdict"] == verdict, (out / "thresholds.txt").read_text()
    assert metrics["figures"]["requests"] > 0
    return metrics


@pytest.mark.timing
def test_token_refresh_profile(tmp_path):
    # 8 s: gevent may count locust's run time from before the embedded server started (a blocking
    # start leaves its clock stale), and a refresh is due only after 3.2 s of a 4 s token.
    proc = harness_load(tmp_path, "token_refresh", "--users", "4", "--spawn-rate", "4", "--duration", "8")
    assert proc.returncode == 0, proc.stderr[-3000:]
    m = assert_reports(run_dir(tmp_path), "PASS")
    f = m["figures"]
    assert f["violations"] == 0 and f["errors"] == 0
    assert f["registrations"] == 4  # once per app instance (CLI-2)
    assert f["refreshes"] >= 1  # the embedded token lives 4 s: refreshed before expiry (CLI-3)
    assert {"register", "token", "api"} <= set(m["latency_ms"])


@pytest.mark.timing
def test_throttling_profile_distributed(tmp_path):
    proc = harness_load(
        tmp_path,
        "throttling",
        "--users",
        "6",
        "--spawn-rate",
        "6",
        "--duration",
        "6",
        "--workers",
        "2",
        "--shape",
        "ramp",
    )
    # No lost worker (the ramp steps, in a distributed run, at most every 5 s: shapes.py): PASS, not INCOMPLETE.
    assert proc.returncode == 0, proc.stderr[-3000:]
    f = assert_reports(run_dir(tmp_path), "PASS")["figures"]
    assert f["tp"] > 0 and f["tn"] > 0  # 429s were due and observed, from both workers merged
    assert f["throttle_precision"] >= 0.98 and f["throttle_recall"] >= 0.98
    assert f["judged"] == f["requests"]


@pytest.mark.timing  # recall is measured only when 429s were due within the 4 s run
def test_plain_locust_without_target_breaks_strict_thresholds(tmp_path):
    strict = tmp_path / "strict.toml"
    strict.write_text(
        "version = 1\n[throttling]\nthrottle_recall_min = 1.1\n[throttling.latency_ms]\napi-probe = { p95 = 0.001 }\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DCR_TARGET"}
    env["DCR_LOAD_REPORT_DIR"] = str(tmp_path / "out")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOAD_DIR / "throttling.py"),
            "--headless",
            "-u",
            "3",
            "-r",
            "3",
            "-t",
            "4s",
            "--dcr-thresholds",
            str(strict),
            "--only-summary",
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        cwd=tmp_path,
        env=env,
    )
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "broken: throttle_recall_min" in proc.stderr
    assert "broken: latency_ms.api-probe.p95" in proc.stderr
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["verdict"] == "FAIL" and len(metrics["broken"]) == 2


def test_remote_target_without_opt_in_is_refused(tmp_path):
    # 192.0.2.0/24 is TEST-NET-1: never routed. The refusal comes before any connection.
    target = tmp_path / "remote.toml"
    target.write_text('base_url = "http://192.0.2.10:8080"\n[statements]\nvalid = "eyJhbGciOiJSUzI1NiJ9.e30.x"\n')
    proc = harness_load(tmp_path, "token_refresh", "--target", str(target), "--duration", "2")
    assert proc.returncode == 2
    assert "not on loopback" in proc.stderr and "allow_remote = true" in proc.stderr
    assert not (tmp_path / "reports").exists()
    env = {**os.environ, "DCR_TARGET": str(target)}
    plain = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(LOAD_DIR / "token_refresh.py"), "--headless", "-u", "1", "-t", "2s"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=env,
    )
    assert plain.returncode == 2 and "allow_remote" in plain.stderr


def test_unknown_profile_is_a_usage_error(tmp_path):
    proc = harness_load(tmp_path, "nosuch")
    assert proc.returncode == 2 and "unknown profile" in proc.stderr


MAX_REQUESTS = 8
CAPPED_USERS = 3


@pytest.mark.timing
@pytest.mark.parametrize("workers", [[], ["--workers", "2"]], ids=["one process", "two workers"])
def test_safety_limits_stop_the_run(tmp_path, workers):
    from dcr_harness.engine.embedded import EmbeddedServer

    with EmbeddedServer(tmp_path / "ref", extra_args=["--rate", "1000", "--burst", "1000"]) as target:
        data = json.loads((tmp_path / "ref" / "target.json").read_text())
        data["load"] = {"max_requests": MAX_REQUESTS, "max_duration_s": 4}
        capped = tmp_path / "capped.json"
        capped.write_text(json.dumps(data))
        proc = harness_load(
            tmp_path,
            "token_refresh",
            "--target",
            str(capped),
            "--users",
            str(CAPPED_USERS),
            "--duration",
            "60",
            *workers,
        )
        assert target.is_loopback
    assert "duration capped at load.max_duration_s = 4" in proc.stderr
    out = run_dir(tmp_path)
    requests = json.loads((out / "metrics.json").read_text())["figures"]["requests"]
    said = proc.stderr + ((out / "locust.log").read_text() if workers else "")  # workers log to locust.log
    # Which limit stops the run depends on the machine's speed (fewer requests: the 4 s cap said above ended it);
    # what the request cap says when it is reached, and the cap itself, do not. Across workers each stops at its
    # share, so that the total keeps within the limit whatever the master has been told so far.
    if requests >= MAX_REQUESTS:
        stopped = (
            f"load.max_requests ({MAX_REQUESTS // 2}, this worker's share of {MAX_REQUESTS})"
            if workers
            else f"load.max_requests ({MAX_REQUESTS}) sent by this process: stopping"
        )
        assert stopped in said, said[-3000:]
    # The cap, plus what the other users had in flight when it was reached (one request each at most).
    assert requests <= MAX_REQUESTS + CAPPED_USERS - 1, requests


def test_thresholds_name_what_broke_and_what_was_not_measured():
    from dcr_harness.loadgen.thresholds import evaluate, load_thresholds

    th = load_thresholds(None, "throttling")
    figures = {
        "error_ratio": 0.0,
        "contract_violation_ratio": 0.01,
        "throttle_precision": 1.0,
        "throttle_recall": None,
        "throttled": 3,
    }
    broken, lines = evaluate(th, figures, {}, {"api-probe": {"p95": 10.0, "p99": 2000.0}})
    assert any(b.startswith("contract_violation_ratio_max") for b in broken)
    assert any(b.startswith("latency_ms_exact.api-probe.p99") for b in broken)
    assert len(broken) == 2
    assert any("throttle_recall_min: not measured" in line for line in lines)


def test_a_profile_whose_purpose_was_not_exercised_fails_its_gate():
    from dcr_harness.loadgen.thresholds import evaluate, load_thresholds

    th = load_thresholds(None, "token_refresh")
    quiet = {"error_ratio": 0.0, "contract_violation_ratio": 0.0, "refreshes": 0}
    broken, lines = evaluate(th, quiet, {})
    assert broken and broken[0].startswith("refreshes = 0")
    assert any("NOT EXERCISED" in line for line in lines)
    assert not evaluate({**th, "must_exercise": []}, quiet, {})[0]  # the thresholds file may allow it


SHAPES_PROBE = """
import shapes
print([shapes.RampShape().users_at(f) for f in (0.0, 0.35, 0.7, 1.0)],
      [shapes.SpikeShape().users_at(f) for f in (0.1, 0.5, 0.9)],
      shapes.SoakShape().users_at(0.5), shapes.selected().__name__)
"""


def test_shapes():
    # In a subprocess: importing locust monkey-patches the interpreter (gevent).
    env = {**os.environ, "DCR_LOAD_USERS": "10", "DCR_LOAD_SHAPE": "spike"}
    proc = subprocess.run(
        [sys.executable, "-c", SHAPES_PROBE], capture_output=True, text=True, cwd=LOAD_DIR, env=env, timeout=60
    )
    assert proc.stdout.split("\n")[0] == "[0, 5, 10, 10] [2, 10, 2] 10 SpikeShape", proc.stderr[-2000:]


@pytest.mark.timing
def test_throttling_profile_catches_a_refilling_burst(tmp_path):
    from dcr_harness.engine.embedded import EmbeddedServer

    with EmbeddedServer(tmp_path / "ref", faults=["thr-burst-refills"]):
        proc = harness_load(
            tmp_path,
            "throttling",
            "--target",
            str(tmp_path / "ref" / "target.json"),
            "--users",
            "4",
            "--spawn-rate",
            "4",
            "--duration",
            "5",
        )
    assert proc.returncode == 1, proc.stderr[-3000:]
    metrics = json.loads((run_dir(tmp_path) / "metrics.json").read_text())
    # Recall: of the 429s the model says are due, the share observed; a refilled burst serves them.
    assert metrics["figures"]["fn"] > 0
    assert any(b.startswith("throttle_recall_min") for b in metrics["broken"]), metrics["broken"]
    assert "broken: throttle_recall_min" in proc.stderr
