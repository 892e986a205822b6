"""Run the harness as a user would (a subprocess), then read its exit code, output and results.json.

Every self-test that runs a conformance suite goes through here, so that each one gets the
same environment: the ci Hypothesis profile, and never a DCR_TARGET inherited from the
developer's shell (self-test traffic goes to the embedded reference on loopback only).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dcr_harness.contract import schemas
from dcr_harness.contract.verdicts import RunVerdict
from dcr_harness.errors import ExitCode
from dcr_harness.paths import CONFORMANCE_DIR

RUN_TIMEOUT_S = 300
# pytest arguments that leave out the generated suites: against a faulty server they shrink at
# length (or, the coverage phase, judge hundreds of odd values), and tests/e2e/test_property_faults.py and
# tests/e2e/test_rare_input_faults.py prove them on their own.
# Speed only: a harness run's own workers add CPU (each imports and collects everything) and no speed while
# this suite's workers already fill the cores. The default run, workers included, is proven by
# test_certify_reference.py, test_wheel_install.py and the default-run throttle tests.
ONE_PROCESS = ["--workers", "0"]
WITHOUT_GENERATED = [
    f"--ignore={CONFORMANCE_DIR / name}" for name in ("test_properties.py", "test_lifecycle.py", "test_coverage.py")
]


@dataclass
class HarnessRun:
    code: int
    stdout: str
    stderr: str
    report_dir: Path

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def results(self) -> dict[str, Any]:
        files = sorted(self.report_dir.glob("*/results.json"))
        assert files, f"no results.json under {self.report_dir}:\n{self.output[-3000:]}"
        return json.loads(files[-1].read_text())

    def certification(self) -> dict[str, Any]:
        files = sorted(self.report_dir.glob("*/certification.json"))
        assert files, f"no certification.json under {self.report_dir}:\n{self.output[-3000:]}"
        return json.loads(files[-1].read_text())

    def requirements_with(self, verdict: str) -> set[str]:
        return {r["id"] for r in self.certification()["requirements"] if r["verdict"] == verdict}

    def checks(self, outcome: str | None = None) -> list[dict[str, Any]]:
        return [c for c in self.results()["checks"] if outcome is None or c["outcome"] == outcome]

    def failed_requirements(self) -> set[str]:
        return {
            r
            for c in self.checks("failed") + self.checks("error")
            for r in (c["failed_requirements"] or c["requirements"])
        }

    def unexercised_requirements(self) -> set[str]:
        """Requirements neither verified nor broken, except those the run left unjudged for timing (a loaded CI
        machine: results.json says so as data, "unjudged": "timing", and a test cannot make the timing good)."""
        return (
            self.requirements_with("not_verified") | self.requirements_with("not_covered")
        ) - self.unjudged_for_timing()

    def unjudged_for_timing(self) -> set[str]:
        return {r["id"] for r in self.certification()["requirements"] if r.get("unjudged") == "timing"}

    def certified_but_for_timing(self) -> bool:
        """Exit 0 and a PASS, or exit 6 and INCONCLUSIVE only because of requirements left unjudged for timing."""
        if self.code == ExitCode.OK:
            return RunVerdict(self.certification()["overall"]["verdict"]).certifies
        return self.code == ExitCode.INCONCLUSIVE and inconclusive_only_for_timing(self.certification())

    def warned_requirements(self) -> set[str]:
        return {w["requirement"] for c in self.results()["checks"] for w in c["warnings"]}


def inconclusive_only_for_timing(certification: dict[str, Any]) -> bool:
    """An INCONCLUSIVE certification whose every unjudged requirement was left so for timing (nothing blocked)."""
    overall = certification["overall"]
    not_verified = [r for r in certification["requirements"] if r["verdict"] == "not_verified"]
    return (
        overall["verdict"] == RunVerdict.INCONCLUSIVE
        and not overall["scope"]["blocked_checks"]
        and bool(not_verified)
        and all(r.get("unjudged") == "timing" for r in not_verified)
    )


def harness_env(env: dict[str, str] | None = None) -> dict[str, str]:
    environment = {**os.environ, "HYPOTHESIS_PROFILE": "ci", **(env or {})}
    environment.pop("DCR_TARGET", None)
    return environment


def assert_results_follow_the_schema(report_dir: Path) -> None:
    """Every results.json a run wrote under report_dir validates against schemas/results.schema.json."""
    for path in sorted(report_dir.glob("**/results.json")):
        if path.parent.name == "latest":
            continue  # the link to a run directory checked under its own name
        errors = schemas.validate("results", json.loads(path.read_text()))
        assert not errors, f"{path} does not follow schemas/results.schema.json:\n" + "\n".join(errors[:20])


def _run(cmd: list[str], report_dir: Path, env: dict[str, str] | None, cwd: Path | None, timeout: float) -> HarnessRun:
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd or report_dir.parent,
        env=harness_env(env),
        stdin=subprocess.DEVNULL,
    )
    assert_results_follow_the_schema(report_dir)
    return HarnessRun(proc.returncode, proc.stdout, proc.stderr, report_dir)


def start_harness(args: Sequence[str], report_dir: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """`dcr-harness run ARGS` in the background (line-buffered output), for tests that stop a run."""
    cmd = [sys.executable, "-m", "dcr_harness.cli.commands", "run", "--report-dir", str(report_dir), *args]
    return subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=report_dir.parent,
        env=harness_env({"PYTHONUNBUFFERED": "1", **(env or {})}),
        stdin=subprocess.DEVNULL,
    )


def run_harness(
    args: Sequence[str],
    report_dir: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = RUN_TIMEOUT_S,
) -> HarnessRun:
    """`dcr-harness ARGS`; a `run` writes its reports under report_dir."""
    args = list(args)
    if args and args[0] == "run":
        args[1:1] = ["--report-dir", str(report_dir)]
    return _run([sys.executable, "-m", "dcr_harness.cli.commands", *args], report_dir, env, cwd, timeout)


def run_suite(
    suites: Sequence[Path],
    report_dir: Path,
    *pytest_args: str,
    env: dict[str, str] | None = None,
    timeout: float = RUN_TIMEOUT_S,
) -> HarnessRun:
    """`pytest SUITES` straight through the plugin, as `pytest conformance/... --report-dir` would."""
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        *map(str, suites),
        "--report-dir",
        str(report_dir),
        "-p",
        "no:cacheprovider",
        "-q",
    ]
    return _run(cmd + list(pytest_args), report_dir, env, report_dir, timeout)
