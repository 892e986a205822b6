"""Replay a hand-written check whole: run it again, alone, against the target, judged by its own oracle.

A lone recorded request has no oracle of its own; the check has. It runs as in the report (the same
node id, the run's seed), against the target file given, or for a run against the embedded
reference, a fresh one started with the run's faults and arguments; its reports go to a scratch
folder. Fixed when it passes now, still failing when it breaks what it broke in the report.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Mapping
from contextlib import redirect_stdout
from typing import Any

from ..contract.target import target_path_from_env
from ..paths import CONFORMANCE_DIR
from ..results.run_result import Ending
from .conformance_run import run_conformance
from .replay import NO_TARGET, Outcome, ReplayError

PASSING = ("passed", "warned")


def target_arguments(results: Mapping[str, Any], target_option: str | None) -> list[str]:
    target_path = target_path_from_env(target_option)
    if target_path:
        return ["--target", target_path]
    if not results.get("embedded"):
        raise ReplayError(NO_TARGET.format(name=(results.get("target") or {}).get("name") or "a target file"))
    return [f"--embedded-fault={f}" for f in results.get("embedded_faults") or []] + [
        f"--embedded-arg={a}" for a in results.get("embedded_args") or []
    ]


def replay_check(results: Mapping[str, Any], check: Mapping[str, Any], target_option: str | None) -> Outcome:
    argv = [
        str(CONFORMANCE_DIR.parent / check["nodeid"]),
        "-q",
        "--no-example-db",
        *target_arguments(results, target_option),
    ]
    if results.get("seed") is not None:
        argv.append(f"--hypothesis-seed={results['seed']}")
    with tempfile.TemporaryDirectory(prefix="dcr-harness-replay-") as scratch:
        with redirect_stdout(sys.stderr):  # pytest's console goes beside the answer, not into it (--json)
            finished = run_conformance([*argv, "--report-dir", scratch])
    result = finished.result
    if result is None or result.ending not in (Ending.COMPLETED,):
        why = (
            result.stop_reason
            if result is not None and result.stop_reason
            else (result.ending.value if result is not None else f"pytest ended with status {finished.status}")
        )
        return Outcome("not judged", f"the check could not run again: {why}", judged=False)
    again = next((c for c in result.checks if c["nodeid"] == check["nodeid"]), None)
    if again is None:
        return Outcome("not judged", f"{check['nodeid']} is not in this harness's suites", judged=False)
    return verdict_of(check, again)


def verdict_of(before: Mapping[str, Any], now: Mapping[str, Any]) -> Outcome:
    what = f"the check {now['nodeid']}, run again"
    broken_before, broken_now = set(before.get("failed_requirements") or []), set(now.get("failed_requirements") or [])
    if now["outcome"] in PASSING:
        was = f" (failed {', '.join(sorted(broken_before))} in the report)" if broken_before else ""
        return Outcome("fixed", f"{what}: {now['outcome']}{was}")
    if now["outcome"] != "failed":
        return Outcome(
            "not judged",
            f"{what}: {now['outcome']}: {now['message'].splitlines()[0] if now['message'] else ''}",
            judged=False,
        )
    lines = now["message"] + "".join(
        f"\n  {x['curl']}" for x in [x for x in now.get("exchanges") or [] if "curl" in x][-3:]
    )
    if broken_before and broken_now != broken_before:
        return Outcome(
            "changed",
            f"{what}: still failing, now breaking {', '.join(sorted(broken_now))} "
            f"(the report: {', '.join(sorted(broken_before))})\n{lines}",
        )
    return Outcome("still failing", f"{what}: still failing\n{lines}")
