"""Proof that the near-miss phase finds every comparison bug in every profile, with exactly its requirement.

Each near-* fault of the reference (refserver/faults.py, refserver/lenient.py) accepts a value nearly
the valid one. Only the near-miss checks run (conformance/test_near_miss.py: a few seconds each), against
pairs of faults whose requirements are disjoint (one TOK-ERR-2 fault beside one API-2 fault), once per
Hypothesis profile: the phase uses no randomness, so each profile must fail exactly the same requirements.
The unfaulted reference passes the phase in each profile. Runs go three at a time, each with its own server.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from dcr_harness.paths import CONFORMANCE_DIR
from dcr_harness.refserver.faults import FAULTS

from ..harness_runs import HarnessRun, run_suite
from ..once import once_per_run

NEAR_MISS = CONFORMANCE_DIR / "test_near_miss.py"
NEAR = sorted(name for name in FAULTS if name.startswith("near-"))
GROUPS = [
    ("near-client-id-case-insensitive", "near-token-prefix"),
    ("near-secret-case-insensitive", "near-bearer-first-word"),
    ("near-secret-trimmed",),
    ("near-cross-client-secret",),
]
PROFILES = ("ci", "dev", "thorough")
# Every faulted group in the ci profile (CI's), the two paired groups (four of the six faults) in the others: the
# phase draws nothing from Hypothesis, so a profile cannot change its cases (test_near_miss.py's unit twin proves
# that); the unfaulted reference once (the permitted-choices and certify tests run the phase too).
JOBS = (
    [("ci", group) for group in GROUPS]
    + [(profile, group) for profile in PROFILES[1:] for group in GROUPS[:2]]
    + [("ci", ())]
)


def _run(tmp: Path, profile: str, group: tuple[str, ...]) -> HarnessRun:
    faults = [a for f in group for a in ("--embedded-fault", f)]
    return run_suite(
        [NEAR_MISS],
        tmp,
        *faults,
        env={"HYPOTHESIS_PROFILE": profile, "DCR_HARNESS_SECRET_LOG": str(tmp / "secrets.log")},
        timeout=300,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[tuple[str, tuple[str, ...]], HarnessRun]:
    def all_runs() -> dict[tuple[str, tuple[str, ...]], HarnessRun]:
        with ThreadPoolExecutor(max_workers=3) as pool:
            futures = {
                job: pool.submit(_run, tmp_path_factory.mktemp(f"{job[0]}-{'+'.join(job[1]) or 'unfaulted'}"), *job)
                for job in JOBS
            }
            return {job: future.result() for job, future in futures.items()}

    return once_per_run(tmp_path_factory, "near-miss-fault-runs", all_runs)


def test_the_groups_hold_every_near_miss_fault_once_with_disjoint_requirements():
    assert len(NEAR) >= 6 and sorted(f for g in GROUPS for f in g) == NEAR
    for group in GROUPS:
        declared = [set(FAULTS[f].requirements) for f in group]
        assert all(not FAULTS[f].conformant for f in group) and sum(map(len, declared)) == len(set().union(*declared))


def _failed(run: HarnessRun) -> set[str]:
    return {r for check in run.checks("failed") + run.checks("error") for r in check["failed_requirements"]}


@pytest.mark.slow
@pytest.mark.parametrize(("profile", "group"), JOBS, ids=[f"{p}-{'+'.join(g) or 'unfaulted'}" for p, g in JOBS])
def test_the_near_miss_phase_fails_exactly_what_the_faults_break(runs, profile, group):
    run = runs[(profile, group)]
    expected = {r for f in group for r in FAULTS[f].requirements}
    assert _failed(run) == expected, f"{group} ({profile}): failed {sorted(_failed(run))}\n{run.output[-3000:]}"
    assert run.code == (1 if expected else 0), run.output[-3000:]
    assert run.certification()["profile"]["cases"]["near-miss"]["checks"] == len(
        [c for c in run.checks() if "near_miss" in c["nodeid"]]
    )
    if expected:
        # The reproduction shows the near miss beside the valid value, both masked.
        assert "reproduce: curl" in run.output and "sent ${DCR_" in run.output


@pytest.mark.slow
@pytest.mark.parametrize("group", GROUPS, ids="+".join)
def test_no_secret_of_a_near_miss_run_is_shown(runs, group):
    run = runs[("ci", group)]
    shown = run.output + json.dumps(run.results())
    logged = [
        line.split("=", 1)[1] for line in (run.report_dir / "secrets.log").read_text().splitlines() if "=" in line
    ]
    # A statement's header and claims are readable by design: its signature is what must not show.
    parts = [value.rsplit(".", 1)[-1] for value in logged]
    assert parts and not [p for p in parts if p[:20] in shown], "a secret is shown in clear"
