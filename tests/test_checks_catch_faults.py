"""Every check can fail: each fault of the reference server is caught by the checks it targets.

A fault switches on one defect; the suite, narrowed to the requirements the fault breaks,
must fail on exactly those (or warn, for SHOULD-level and advisory checks). Conformant
"faults" change behaviour in a way the contract permits and must not be failed.
Throttling (thr-*) and generation-only (gen-*) faults are proven by their own suites.
"""

import pytest

from dcr_harness.refserver.faults import FAULTS

from .harness_runs import WITHOUT_GENERATED, run_harness

# Defects whose checks report warnings rather than failures (TOK-OK-4 is a SHOULD;
# API-3 asks a JSON error body to follow the structure, a non-JSON body is a finding).
WARNED = {"tok-no-cache-headers": "TOK-OK-4", "api-error-body-plain": "API-3"}
PROVEN_ELSEWHERE = ("thr-", "gen-")

CASES = [name for name in FAULTS if not name.startswith(PROVEN_ELSEWHERE)]


def selection(fault: str) -> list[str]:
    args = ["run"]
    for req in FAULTS[fault].requirements:
        args += ["--req", req]
    return args + ["--", f"--embedded-fault={fault}", *WITHOUT_GENERATED]


@pytest.mark.parametrize("fault", CASES)
def test_fault_is_caught(tmp_path, fault):
    run = run_harness(selection(fault), tmp_path / "reports")
    if FAULTS[fault].conformant:
        assert run.code == 0, f"a permitted behaviour was failed:\n{run.output[-3000:]}"
    elif fault in WARNED:
        assert run.code == 0, run.output[-3000:]
        assert WARNED[fault] in run.warned_requirements(), run.output[-3000:]
    else:
        assert run.code == 1, f"fault {fault} went unnoticed:\n{run.output[-3000:]}"
        caught = run.failed_requirements() & set(FAULTS[fault].requirements)
        assert caught, f"failures cite {sorted(run.failed_requirements())}, not {FAULTS[fault].requirements}"
        assert "curl " in run.output, "a failure must print its reproduction"
