"""Proof that the throttling checks (conformance/test_throttling.py) catch each throttle fault.

Each case runs the throttling checks against the embedded reference server with one fault
switched on, in a subprocess, and reads the run's results.json: the run must fail, with a
failed check citing a requirement that the fault violates. The unfaulted reference passes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dcr_harness.paths import CONFORMANCE_DIR
from dcr_harness.refserver.faults import FAULTS

from .harness_runs import run_suite

THROTTLING = CONFORMANCE_DIR / "test_throttling.py"
THROTTLE_FAULTS = sorted(name for name in FAULTS if name.startswith("thr-"))
RUN_TIMEOUT_S = 120

pytestmark = pytest.mark.slow


def run_checks(report_dir: Path, *faults: str) -> tuple[int, dict]:
    run = run_suite([THROTTLING], report_dir, *(a for f in faults for a in ("--embedded-fault", f)), timeout=RUN_TIMEOUT_S)
    return run.code, run.results()


def test_all_throttle_faults_are_covered():
    assert set(THROTTLE_FAULTS) == {"thr-none", "thr-global-bucket", "thr-burst-refills", "thr-no-recovery",
                                    "thr-status-503", "thr-ignore-device-header"}


@pytest.mark.parametrize("fault", THROTTLE_FAULTS)
def test_throttling_checks_catch_fault(fault, tmp_path):
    code, results = run_checks(tmp_path, fault)
    assert code != 0, f"{fault}: the throttling checks passed"
    violated = set(FAULTS[fault].requirements)
    failed = [c for c in results["checks"] if c["outcome"] == "failed"]
    cited = {r for c in failed for r in c["failed_requirements"]}
    assert cited & violated, f"{fault} violates {sorted(violated)}; failed checks cite {sorted(cited)}"


def test_unfaulted_reference_passes(tmp_path):
    code, results = run_checks(tmp_path)
    outcomes = {c["title"]: c["outcome"] for c in results["checks"]}
    assert code == 0, outcomes
    assert set(outcomes.values()) == {"passed"}, outcomes
    replay = next(c for c in results["checks"] if "THR-6" in c["requirements"] and "schedule" in c["title"])
    assert "timing error" in replay["message"]
    assert all(e["note"] and "timing error" in e["note"] for e in replay["exchanges"])
