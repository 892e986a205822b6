"""Proof that the property checks find what they are for.

For each generation-only fault of the reference server, the ci profile (derandomized, fixed
--hypothesis-seed) must fail a property check citing the fault's requirement and print a
curl reproduction; it must do so deterministically; and the unfaulted reference must pass
every property. Each fault run selects the properties meant to find it (-k) to stay bounded;
the runs go in parallel, each against its own embedded server.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from dcr_harness.paths import CONFORMANCE_DIR
from dcr_harness.refserver.faults import FAULTS

from ..harness_runs import HarnessRun, run_suite
from ..once import once_per_run

PROPERTIES = CONFORMANCE_DIR / "test_properties.py"
SEED = "12345"

# fault -> (properties meant to find it, requirement the failed check must cite)
EXPECTED: dict[str, tuple[str, str]] = {
    "gen-500-long-param": ("bad_redirect_uris or odd_credentials", "REG-ERR-5|TOK-ERR-5"),
    "gen-500-control-char": ("unknown_members or unknown_parameters", "REG-ERR-5|TOK-ERR-5"),
    "gen-accept-empty-secret": ("missing_parameters", "TOK-REQ-2"),
    "gen-accept-expired-statement": ("outside_their_validity", "REG-ERR-3"),
}


def run_properties(tmp: Path, fault: str | None, select: str | None = None) -> HarnessRun:
    args = [
        f"--hypothesis-seed={SEED}",
        *(["--embedded-fault", fault] if fault else []),
        *(["-k", select] if select else []),
    ]
    return run_suite([PROPERTIES], tmp, *args, timeout=400)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, HarnessRun]:
    """Every run this module needs, in parallel: each fault (one twice) and the unfaulted reference."""

    def all_runs() -> dict[str, HarnessRun]:
        jobs: dict[str, tuple[str | None, str | None]] = {
            name: (name, select) for name, (select, _) in EXPECTED.items()
        }
        jobs["gen-accept-empty-secret#again"] = ("gen-accept-empty-secret", EXPECTED["gen-accept-empty-secret"][0])
        jobs["unfaulted"] = (None, None)
        with ThreadPoolExecutor(max_workers=3) as pool:
            futures = {
                key: pool.submit(run_properties, tmp_path_factory.mktemp(key.replace("#", "-")), *job)
                for key, job in jobs.items()
            }
            return {key: future.result() for key, future in futures.items()}

    return once_per_run(tmp_path_factory, "property-fault-runs", all_runs)


def test_every_generation_fault_is_listed():
    assert {n for n in FAULTS if n.startswith("gen-")} == set(EXPECTED)


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_property_checks_find_the_fault(runs, fault):
    run, wanted = runs[fault], EXPECTED[fault][1].split("|")
    assert run.code != 0, run.output[-3000:]
    cited = {r for check in run.checks("failed") for r in check["failed_requirements"]}
    assert cited & set(wanted), f"no failed check cites {wanted}: {cited}\n{run.output[-3000:]}"
    assert set(wanted) & set(FAULTS[fault].requirements)
    assert "curl -sS" in run.output, "the failure output carries no curl reproduction"
    assert any("reproduce with: curl" in check["message"] for check in run.checks("failed"))


@pytest.mark.slow
def test_fault_finding_is_deterministic(runs):
    first, again = runs["gen-accept-empty-secret"], runs["gen-accept-empty-secret#again"]
    assert [c["nodeid"] for c in first.checks("failed")] == [c["nodeid"] for c in again.checks("failed")]
    assert first.checks("failed") and [c["message"].split("reproduce with")[0] for c in first.checks("failed")] == [
        c["message"].split("reproduce with")[0] for c in again.checks("failed")
    ]


@pytest.mark.slow
def test_unfaulted_reference_passes_every_property(runs):
    run = runs["unfaulted"]
    assert run.code == 0, run.output[-3000:]
    assert run.checks() and all(c["outcome"] == "passed" for c in run.checks()), [
        c["nodeid"] for c in run.checks("failed")
    ]
