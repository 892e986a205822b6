"""No silent PASS: a whole run whose throttle stays unjudged for timing is INCONCLUSIVE (exit 6)
with the reason as data, and PASS once --accept-unjudged names those requirements, which every artifact lists.

The timing is made unjudgeable deterministically, not by loading the machine: a proxy holds each device's
first token request for longer than a throttle window when its credentials met a 429 before (the throttle
lab's probe; tests/delaying_proxy.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from dcr_harness.errors import ExitCode

from ..delaying_proxy import DelayingProxy
from ..harness_runs import ONE_PROCESS, HarnessRun, run_harness
from .test_refserver import Live

pytestmark = pytest.mark.slow
WINDOW_S = 1.0  # the reference's throttle window (rate 1/s)
# Short-lived tokens, as the embedded reference's: API-4 (expiry) is judged live, and the throttle lab probes
# the token endpoint (tokens living under a minute cannot probe the API).
SERVER_ARGS = ("--token-ttl", "4")
RUN_TIMEOUT_S = 540  # a whole run in one process on a loaded 2-core machine; the run's own deadline is 600 s
TIMED = {"THR-1", "THR-2", "THR-3", "THR-6"}  # what the scenarios that need a certain window judge


@pytest.fixture(scope="module")
def proxied_target(tmp_path_factory) -> Iterator[tuple[Path, DelayingProxy]]:
    """The reference behind the delaying proxy; its folder also keeps the runs' device cursor (XDG_CACHE_HOME), so
    that runs against this persistent server in one worker use fresh devices."""
    folder = tmp_path_factory.mktemp("proxied")
    server = Live(folder / "server", *SERVER_ARGS)
    target = server.start()
    host, port = target.base_url.split("//")[1].rsplit(":", 1)
    try:
        with DelayingProxy((host, int(port)), delay=WINDOW_S + 0.3) as proxy:
            doc = json.loads(server.target_file.read_text())
            path = folder / "proxied-target.json"
            path.write_text(json.dumps({**doc, "name": "proxied", "base_url": proxy.base_url}))
            yield path, proxy
    finally:
        server.stop()


def whole_run(target: Path, root: Path, *args: str) -> HarnessRun:
    # A deployment's run: the device cursor (one per target, so that a later run's devices are fresh to the
    # persistent server) and the example database go to the target's own folder.
    (root / "run").mkdir(parents=True, exist_ok=True)
    return run_harness(
        ["run", "--target", str(target), *ONE_PROCESS, *args],
        root / "run" / "reports",
        env={"XDG_CACHE_HOME": str(target.parent / "cache")},
        timeout=RUN_TIMEOUT_S,
    )


def test_a_throttle_unjudged_for_timing_is_inconclusive(proxied_target, tmp_path):
    target, proxy = proxied_target
    run = whole_run(target, tmp_path)
    assert proxy.held > 0, "the proxy never held a probe: the test proves nothing"
    doc = run.certification()
    assert run.code == ExitCode.INCONCLUSIVE and doc["overall"]["verdict"] == "INCONCLUSIVE", run.output[-4000:]
    assert run.requirements_with("fail") == set() and not doc["overall"]["scope"]["blocked_checks"], run.output[-4000:]
    unjudged = {u["requirement"]: u for u in doc["overall"]["scope"]["unjudged"]}
    assert {"THR-2", "THR-6"} <= unjudged.keys() <= TIMED, unjudged
    assert all(u["unjudged"] == "timing" for u in unjudged.values())
    # Retried with fresh devices before giving up, and said as data on each check, not only in words.
    timing = [c for c in run.checks() if c["unjudged"] == "timing"]
    assert {c["nodeid"].split("::")[1] for c in timing} >= {
        "test_burst_size_and_sustained_rate",
        "test_documented_schedule_is_replayed",
    }
    assert all("attempts, each with fresh devices" in c["message"] for c in timing), [c["message"] for c in timing]
    assert "unjudged: THR-" in run.output and "--accept-unjudged" in run.output


def test_the_requirements_left_unjudged_for_timing_can_be_accepted_by_name(proxied_target, tmp_path):
    # Its own test, so that the suite's workers run the two whole runs side by side.
    target, proxy = proxied_target
    accepted = whole_run(target, tmp_path, "--accept-unjudged", ",".join(sorted(TIMED)))
    assert proxy.held > 0, "the proxy never held a probe: the test proves nothing"
    doc = accepted.certification()
    assert accepted.code == ExitCode.OK, accepted.output[-4000:]
    assert doc["overall"]["verdict"] in ("PASS", "PASS with warnings"), doc["overall"]
    listed = {u["requirement"] for u in doc["overall"]["scope"]["accepted_unjudged"]}
    assert {"THR-2", "THR-6"} <= listed <= TIMED and doc["overall"]["scope"]["unjudged"] == []
    assert "accepted unjudged: " in accepted.output and "THR-2 (timing)" in accepted.output
    run_dir = tmp_path / "run" / "reports" / "latest"
    assert "Accepted unjudged: " in (run_dir / "certification.html").read_text()
    assert 'name="dcr-harness.accepted-unjudged"' in (run_dir / "junit.xml").read_text()
