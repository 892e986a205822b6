"""Helpers for tests that run the harness as a user would: a subprocess, its exit code, its results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RUN_TIMEOUT_S = 300


@dataclass
class HarnessRun:
    code: int
    output: str
    report_dir: Path

    def results(self) -> dict[str, Any]:
        files = sorted(self.report_dir.glob("*/results.json"))
        assert files, f"no results.json under {self.report_dir}:\n{self.output[-3000:]}"
        return json.loads(files[-1].read_text())

    def checks(self, outcome: str) -> list[dict[str, Any]]:
        return [c for c in self.results()["checks"] if c["outcome"] == outcome]

    def failed_requirements(self) -> set[str]:
        return {r for c in self.checks("failed") + self.checks("error") for r in (c["failed_requirements"] or c["requirements"])}

    def warned_requirements(self) -> set[str]:
        return {w["requirement"] for c in self.results()["checks"] for w in c["warnings"]}


def run_harness(args: list[str], report_dir: Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> HarnessRun:
    proc = subprocess.run(
        [sys.executable, "-m", "dcr_harness.cli", *args, "--report-dir", str(report_dir)] if args and args[0] == "run"
        else [sys.executable, "-m", "dcr_harness.cli", *args],
        capture_output=True, text=True, timeout=RUN_TIMEOUT_S, cwd=cwd or report_dir.parent,
        env={**os.environ, "HYPOTHESIS_PROFILE": "ci", **(env or {})}, stdin=subprocess.DEVNULL,
    )
    return HarnessRun(proc.returncode, proc.stdout + proc.stderr, report_dir)
