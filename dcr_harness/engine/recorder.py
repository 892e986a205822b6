"""The pytest adapter of a conformance run: its hooks feed the run's state (engine/run_state.py),
one CheckRecord per check; at session end it builds the RunResult from that state, writes it
(write_run) and hands it back.

Every text passes through the run's masker before it is written anywhere. What the console
shows is engine/console.py's; results.json's run-level facts are engine/results_of.py's.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ..contract.target import Target
from ..contract.verdicts import Outcome
from ..paths import CONFORMANCE_DIR
from ..report.write_run import write_run
from ..results.exit import exit_code
from ..results.record import CheckRecord, outcome_of
from ..results.run_result import Ending, RunResult
from .handoff import find_handoff
from .items import check_title
from .results_of import results_of
from .run_config import RunConfig
from .run_state import Narrowing, RunState

if TYPE_CHECKING:
    from .hypothesis_setup import HypothesisRun
    from .report_hooks import ReportPlugin
    from .stopping import RunStopper

# How pytest's own status reads as the run's ending (the run's standing comes first: RunState.ending).
# Keyed by int: a plugin's pytest.exit(returncode=N) may leave any number there, not only pytest's own.
PYTEST_ENDINGS: dict[int, Ending] = {
    pytest.ExitCode.OK: Ending.COMPLETED,
    pytest.ExitCode.TESTS_FAILED: Ending.COMPLETED,
    pytest.ExitCode.INTERRUPTED: Ending.USAGE,
    pytest.ExitCode.USAGE_ERROR: Ending.USAGE,
    pytest.ExitCode.NO_TESTS_COLLECTED: Ending.NOTHING_SELECTED,
    pytest.ExitCode.INTERNAL_ERROR: Ending.INTERNAL_ERROR,
}
# The endings whose exit code bare pytest takes from the run; on the others it keeps its own (2 stopped, 5 nothing ran).
SETS_PYTEST_STATUS = (Ending.COMPLETED, Ending.UNREACHABLE, Ending.TARGET_FILE_REFUSED)


class RunRecorder:
    """The plugin object that records each check (registered for conformance runs) into `state`.

    Other engine modules read the run through `state` and change it through its methods.
    """

    def __init__(
        self,
        config: pytest.Config,
        run_config: RunConfig,
        target: Target | None,
        target_path: str | None,
        run_dir: Path,
    ) -> None:
        self.config = config
        self.state = RunState(run_config, target, target_path, run_dir)
        self.stopper: RunStopper | None = None  # why the run was stopped, if it was (the main process only)
        self.hypothesis: HypothesisRun | None = None  # the run's seed and example database
        self.reports: ReportPlugin | None = None  # what the run writes besides results.json
        self.result: RunResult | None = None  # the run as a value, once it ended (finish)

    def attach(self, stopper: RunStopper | None, hypothesis_run: HypothesisRun) -> None:
        """What stops the run (engine/stopping.py) and its Hypothesis seed and database (engine/hypothesis_setup.py)."""
        self.stopper, self.hypothesis = stopper, hypothesis_run
        self.state.seeded(hypothesis_run.seed)

    # Per check

    def begin(self, item: pytest.Item, requirements: list[str]) -> CheckRecord:
        return self.state.begin(item.nodeid, check_title(item), requirements)

    def observe(self, record: CheckRecord, report: pytest.TestReport, call: pytest.CallInfo[None]) -> None:
        """The check's outcome from its evidence and how it ended (see outcome_of)."""
        if report.when == "teardown" and not report.failed:
            return
        if report.skipped and not record.evidence.breaches:
            if record.outcome == Outcome.PENDING:  # the reason is the skip exception's message
                record.outcome, record.message = Outcome.SKIPPED, str(call.excinfo.value) if call.excinfo else ""
            return
        if report.when == "setup" and report.passed:
            return
        record.outcome, record.message = outcome_of(record, call.excinfo.value if call.excinfo else None)

    def mask_report(self, report: pytest.TestReport) -> None:
        masker, current = self.state.masker, self.state.current
        if report.longrepr is not None and not report.skipped:
            text = str(report.longrepr)
            if report.failed and current is not None and current.exchanges:
                text += "\n\nReproduce (secrets are shell variables):\n" + "\n".join(
                    "  " + e.curl(masker) for e in current.exchanges[-3:]
                )
            report.longrepr = masker.mask(text)
        report.sections = [(name, masker.mask(content)) for name, content in report.sections]

    # End of run

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.state.collected_here([item.nodeid for item in session.items])

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.state.deselect(len(items))

    @pytest.hookimpl(
        wrapper=True, trylast=True
    )  # innermost: after pytest's JUnit and Allure wrote their files, before the summary
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int):
        outcome = yield
        self.end(session)
        return outcome

    def end(self, session: pytest.Session) -> RunResult:
        """The run is over: its result built, written and handed back, once. pytest calls it at session end;
        the main process of a concurrent run calls it itself when the run halts before the session started
        (pytest runs no session finish then)."""
        if self.result is not None:
            return self.result
        self.state.close()
        self.result = self.finish(session)
        if self.result.ending in SETS_PYTEST_STATUS:  # bare `pytest conformance` exits as `dcr-harness run` does
            session.exitstatus = exit_code(self.result)
        handoff = find_handoff(self.config)
        if handoff is not None:
            handoff.result = self.result
        return self.result

    def finish(self, session: pytest.Session) -> RunResult:
        """The run as a value: its results, how it ended; written (write_run) when any check ran or it was stopped."""
        state = self.state
        if self.stopper is not None and self.stopper.reason is not None:
            state.stopped(self.stopper.reason)
        state.narrowed_by(narrowing_of(self.config))
        state.settle()
        result = RunResult(
            state.run_dir,
            results_of(state) if state.writes_reports else {},
            state.ending(PYTEST_ENDINGS.get(int(session.exitstatus), Ending.INTERNAL_ERROR)),
            tests_failed=session.testsfailed,
            stop_reason=state.standing.stop_reason,
        )
        if state.writes_reports:
            assert self.reports is not None  # installed beside the recorder (ReportPlugin.install)
            result = write_run(result, self.reports.plan(), state.scanner)
        return result


def narrowing_of(config: pytest.Config) -> Narrowing:
    """How pytest's own options narrowed the run: -k, -m, --ignore, suites named instead of all of conformance/."""
    opt = config.getoption
    return Narrowing(
        k=opt("keyword", "") or "",
        m=opt("markexpr", "") or "",
        ignored=tuple(Path(p).name for p in (opt("ignore", None) or [])),
        paths=tuple(a for a in config.args if Path(a.split("::")[0]).resolve() != CONFORMANCE_DIR),
    )
