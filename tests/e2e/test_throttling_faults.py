"""Proof that the throttling checks (conformance/test_throttle_*.py) judge by evidence.

Each case runs the throttling suite alone against the embedded reference server with one
throttle fault switched on, in a subprocess, and computes the requirement verdicts from the
run's results.json: exactly the requirements the fault breaks fail, no other requirement
fails. The unfaulted reference passes THR-1..6, each backed by evidence (an assertion that
held), and the THR-6 replay reports its measured timing tolerance. A whole run against a
throttle stricter than the target file says ends quickly and names the mismatch.
"""

from __future__ import annotations

import json

import pytest

from dcr_harness.contract.verdicts import requirement_verdicts
from dcr_harness.paths import CONFORMANCE_DIR
from dcr_harness.refserver.faults import FAULTS

from ..harness_runs import HarnessRun, run_harness, run_suite

THROTTLING = sorted(CONFORMANCE_DIR.glob("test_throttle_*.py"))
THROTTLE_FAULTS = sorted(name for name in FAULTS if name.startswith("thr-"))
THR = [f"THR-{n}" for n in range(1, 7)]
RUN_TIMEOUT_S = 120
MISMATCH_RUN_TIMEOUT_S = 300  # a conforming whole run takes about 90 s here; waiting each 429 out took 12 minutes

# timing: the throttle is a schedule in real time (the checks derive their tolerance from the timings they measure).
pytestmark = [pytest.mark.slow, pytest.mark.timing]


def verdicts(run: HarnessRun) -> dict[str, str]:
    return {r: v.verdict for r, v in requirement_verdicts(run.results()["checks"], THR).items()}


def test_all_throttle_faults_are_covered():
    assert set(THROTTLE_FAULTS) == {
        "thr-none",
        "thr-global-bucket",
        "thr-burst-refills",
        "thr-no-recovery",
        "thr-status-503",
        "thr-ignore-device-header",
        "thr-no-burst",
        "thr-token-exempt",
    }


@pytest.mark.parametrize("fault", THROTTLE_FAULTS)
def test_each_fault_fails_exactly_the_requirements_it_breaks(fault, tmp_path):
    run = run_suite(THROTTLING, tmp_path, "--embedded-fault", fault, timeout=RUN_TIMEOUT_S)
    assert run.code == 1, run.output[-2000:]
    failed = {r for r, v in verdicts(run).items() if v == "fail"}
    assert failed == set(FAULTS[fault].requirements), f"{fault}: failed {sorted(failed)}\n{run.output[-3000:]}"


def test_conforming_reference_passes_every_throttle_requirement_with_evidence(tmp_path):
    run = run_suite(THROTTLING, tmp_path, timeout=RUN_TIMEOUT_S)
    assert run.code == 0, run.output[-3000:]
    assert verdicts(run) == dict.fromkeys(THR, "pass")
    results = run.results()
    assert results["throttle_mismatch"] is None
    replay = next(c for c in results["checks"] if "schedule" in c["title"])
    assert set(replay["verified"]) == {"THR-6", "THR-3"}
    assert "timing error max" in replay["message"] and "round trip max" in replay["message"]
    probes = [e for e in replay["exchanges"] if e["note"] and e["note"].startswith("throttle probe")]
    assert len(probes) >= 17 and all("timing error" in e["note"] for e in probes)


# Throttles wrong in their shape, each in the default concurrent run (workers, the whole suite):
# no burst is THR-2's (and THR-6's schedule), not THR-5's; an exempt endpoint is THR-1's, not THR-3's;
# one allowance for all devices is judged although the workers drain it for each other.
SHAPE_FAULTS = ("thr-no-burst", "thr-token-exempt", "thr-global-bucket")


@pytest.mark.parametrize("fault", SHAPE_FAULTS)
def test_a_throttle_wrong_in_its_shape_fails_its_requirement_in_the_default_run(fault, tmp_path):
    run = run_harness(["run", "--", f"--embedded-fault={fault}"], tmp_path / "reports", timeout=MISMATCH_RUN_TIMEOUT_S)
    assert run.requirements_with("fail") == set(FAULTS[fault].requirements), run.output[-3000:]
    assert run.code == 1


def test_no_throttle_at_all_is_said_plainly(tmp_path):
    run = run_suite(THROTTLING, tmp_path, "--embedded-fault", "thr-none", timeout=RUN_TIMEOUT_S)
    assert "no throttle observed at all" in run.output + json.dumps(run.results())


def test_stricter_throttle_than_declared_ends_the_run_quickly_and_says_why(tmp_path):
    """One allowance for all devices must not make every check wait out 429s (that took 12 minutes).

    The subprocess timeout is the bound: a run that waited each 429 out would exceed it."""
    # One check after another here; the default concurrent run is proven above (SHAPE_FAULTS).
    run = run_harness(
        ["run", "--workers", "0", "--", "--embedded-fault=thr-global-bucket"], tmp_path, timeout=MISMATCH_RUN_TIMEOUT_S
    )
    results = run.results()
    assert results["throttle_mismatch"] and "does not match the target's profile" in results["throttle_mismatch"]
    assert "does not match the target's profile" in run.output
    failed = {r for r, v in requirement_verdicts(results["checks"]).items() if v.verdict == "fail"}
    assert failed == set(FAULTS["thr-global-bucket"].requirements), run.output[-3000:]
