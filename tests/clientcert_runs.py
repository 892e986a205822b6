"""Run `dcr-harness certify-client` as a partner would (a subprocess), point example clients at
it, stop it with Ctrl-C (SIGINT) once they are done, and read its reports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from dcr_harness.clientcert.scenarios import RESTART_MARKER_PATH

from .harness_runs import assert_results_follow_the_schema

CLIENT = Path(__file__).parent / "clients" / "dcr_client.py"
START_TIMEOUT_S = 20.0
CLIENT_TIMEOUT_S = 40.0
STOP_TIMEOUT_S = 30.0


@dataclass
class Certification:
    code: int
    output: str
    report_dir: Path

    def run_dir(self) -> Path:
        dirs = sorted(p for p in self.report_dir.iterdir() if p.is_dir())
        assert dirs, f"no report under {self.report_dir}:\n{self.output[-3000:]}"
        return dirs[-1]

    def document(self) -> dict[str, Any]:
        return json.loads((self.run_dir() / "certification.json").read_text())

    def verdicts(self) -> dict[str, str]:
        return {r["id"]: r["verdict"] for r in self.document()["requirements"]}

    def failed(self) -> set[str]:
        return {r for r, v in self.verdicts().items() if v == "fail"}


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DCR_TARGET"} | (extra or {})
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    return env


def signal_restart(base_url: str) -> int:
    """What the partner does after restarting the app (scenario restart): the explicit signal."""
    return httpx.post(base_url + RESTART_MARKER_PATH, timeout=10).status_code


def certify(
    tmp: Path,
    scenarios: list[str],
    client_runs: list[list[str]],
    extra: Sequence[str] = (),
    env: dict[str, str] | None = None,
    client: Path = CLIENT,
    restart_signal: bool = True,
) -> Certification:
    """Start certify-client, run each client invocation in turn (between runs, when the scenario restart is
    on and `restart_signal`, the restart signal), then Ctrl-C (unless it ends by --exit-after-flows) and collect the
    reports."""
    report_dir = tmp / "reports"
    cmd = [
        sys.executable,
        "-m",
        "dcr_harness.cli.commands",
        "certify-client",
        "--report-dir",
        str(report_dir),
        "--duration",
        "120",
        *(a for s in scenarios for a in ("--scenario", s)),
        *extra,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env(env))
    announced: dict[str, str] = {}
    lines: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT_S
    assert proc.stdout is not None  # stdout=PIPE
    try:
        while "DCR_SOFTWARE_STATEMENT" not in announced and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            name, sep, value = line.strip().partition("=")
            if sep and name.startswith("DCR_"):
                announced[name] = value
        assert "DCR_SOFTWARE_STATEMENT" in announced, "".join(lines)
        for i, args in enumerate(client_runs):
            if i and restart_signal and "restart" in scenarios:
                assert signal_restart(announced["DCR_BASE_URL"]) == 200
            subprocess.run(
                [
                    sys.executable,
                    str(client),
                    "--base-url",
                    announced["DCR_BASE_URL"],
                    "--statement",
                    announced["DCR_SOFTWARE_STATEMENT"],
                    *args,
                ],
                check=True,
                timeout=CLIENT_TIMEOUT_S,
                env=_env(),
            )
        if "--exit-after-flows" not in extra:  # else it ends on its own
            proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=STOP_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert_results_follow_the_schema(report_dir)
    return Certification(proc.returncode, "".join(lines) + (rest or ""), report_dir)
