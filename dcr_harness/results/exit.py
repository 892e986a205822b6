"""The one rule that turns a run's result into its exit code (dcr_harness/errors.py ExitCode).

How the run ended comes first (stopped, unreachable, refused input, a crash of the harness); then the
certification: INCONCLUSIVE exits 6, a failure exits 1 unless a waiver covers every failed check.
"""

from __future__ import annotations

from ..contract.verdicts import Outcome, RunVerdict
from ..errors import ExitCode
from .run_result import Ending, RunResult

BY_ENDING = {
    Ending.STOPPED: ExitCode.INCOMPLETE,
    Ending.UNREACHABLE: ExitCode.UNREACHABLE,
    Ending.TARGET_FILE_REFUSED: ExitCode.USAGE,
    Ending.NOTHING_SELECTED: ExitCode.USAGE,
    Ending.USAGE: ExitCode.USAGE,
    Ending.INTERNAL_ERROR: ExitCode.INTERNAL,
}


def exit_code(result: RunResult) -> ExitCode:
    if result.ending in BY_ENDING:
        return BY_ENDING[result.ending]
    if result.verdict == RunVerdict.INCONCLUSIVE:
        return (
            ExitCode.INCONCLUSIVE
        )  # nothing failed, but what applies was not all judged (a blocked check fails in pytest)
    if not result.tests_failed:
        return ExitCode.OK
    checks = (result.certification or {}).get("overall", {}).get("checks", {})
    waived = checks.get(Outcome.WAIVED, 0)
    if waived and not checks.get(Outcome.FAILED) and not checks.get(Outcome.ERROR) and result.tests_failed <= waived:
        return ExitCode.OK  # every failure is waived
    return ExitCode.FAILED
