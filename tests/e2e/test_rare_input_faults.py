"""Proof that the generated checks find every rare-input fault on every run.

Each rare-input fault of the reference (refserver/faults.py: rare-*, and gen-accept-empty-secret)
turns one unusual value of one input into a 500 or an acceptance. The coverage phase, which
every profile runs first and the same way (the ci profile included), must fail exactly the
requirements the fault declares: found, and no cascade. The random search runs beside it in the
unfaulted run (no false failure, its phase counted); what it finds on its own, and the default
profile's three seeds, are measured by bench/rare_faults_bench.py. The runs go three at a time,
each against its own embedded server.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from dcr_harness.paths import CONFORMANCE_DIR
from dcr_harness.refserver.faults import FAULTS

from ..harness_runs import HarnessRun, run_suite
from ..once import once_per_run

COVERAGE = CONFORMANCE_DIR / "test_coverage.py"
GENERATED = [COVERAGE, CONFORMANCE_DIR / "test_properties.py"]
RARE = sorted(name for name in FAULTS if name.startswith("rare-"))
# Declares two requirements; an empty secret served breaks the one that says it counts as omitted.
ALSO = {"gen-accept-empty-secret": {"TOK-REQ-2"}}


def run_generated(tmp: Path, fault: str | None) -> HarnessRun:
    """A faulted reference against the coverage phase; the unfaulted one against every generated check.

    A faulted run judges the coverage groups that cite what the fault declares (--req): those are where it
    must be found and where a cascade onto another requirement would show. Speed only: the unfaulted run
    judges every group."""
    if fault is None:
        return run_suite(GENERATED, tmp, timeout=600)
    declared = ",".join(FAULTS[fault].requirements)
    return run_suite([COVERAGE], tmp, "--embedded-fault", fault, "--req", declared, timeout=600)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, HarnessRun]:
    def all_runs() -> dict[str, HarnessRun]:
        jobs = [*RARE, *ALSO, None]
        with ThreadPoolExecutor(max_workers=3) as pool:
            futures = {
                job: pool.submit(run_generated, tmp_path_factory.mktemp(job or "unfaulted"), job) for job in jobs
            }
            return {job or "unfaulted": future.result() for job, future in futures.items()}

    return once_per_run(tmp_path_factory, "rare-input-fault-runs", all_runs)


def test_every_rare_fault_is_proven_here():
    assert len(RARE) >= 10
    assert all(FAULTS[name].requirements and not FAULTS[name].conformant for name in RARE)


@pytest.mark.slow
@pytest.mark.parametrize("fault", [*RARE, *ALSO])
def test_the_coverage_phase_finds_the_fault_and_only_what_it_breaks(runs, fault):
    run = runs[fault]
    failed = {r for check in run.checks("failed") for r in check["failed_requirements"]}
    expected = ALSO.get(fault, set(FAULTS[fault].requirements))
    assert failed == expected, f"{fault}: failed {sorted(failed)}, declared {sorted(expected)}\n{run.output[-3000:]}"
    assert run.code == 1
    assert any("reproduce with: curl" in check["message"] for check in run.checks("failed"))
    coverage = [c for c in run.checks() if "test_coverage_phase" in c["nodeid"]]
    assert any(c["outcome"] == "failed" for c in coverage), "the coverage phase missed it"


@pytest.mark.slow
def test_the_unfaulted_reference_passes_every_generated_check_and_the_run_counts_its_phases(runs):
    run = runs["unfaulted"]
    assert run.code == 0, run.output[-3000:]
    assert run.checks() and all(c["outcome"] == "passed" for c in run.checks()), [
        c["nodeid"] for c in run.checks("failed")
    ]
    phases = run.certification()["profile"]["cases"]
    assert phases["coverage"]["cases"] > 300 and phases["coverage"]["checks"] >= 20, phases
    assert phases["generate"]["cases"] > 0 and "shrink" not in phases, phases
    assert "generated cases: coverage" in run.output
