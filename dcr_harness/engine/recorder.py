"""The run's state: one CheckRecord per check, the target and its session, how the run stands;
at the end, the run as a value (a RunResult), written by write_run and handed back.

Every text passes through the run's masker before it is written anywhere. What the console
shows is engine/console.py's; results.json's run-level facts are engine/results_of.py's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from .. import checks
from ..contract.target import Target
from ..contract.verdicts import Outcome
from ..errors import ExitCode
from ..http import Exchange, Masker, Session
from ..http.secret_scan import SecretScanner
from ..report.write_run import write_run
from ..results.exit import exit_code
from ..results.record import CheckRecord, outcome_of
from ..results.run_result import Ending, RunResult, utc_now
from .embedded import EmbeddedServer, EmbeddedServerError
from .handoff import find_handoff
from .items import check_title
from .results_of import results_of
from .run_config import RunConfig

# How pytest's own status reads as the run's ending (the engine's states come first: RunRecorder.ending).
PYTEST_ENDINGS = {
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
    """The run's state, and the plugin object that records each check (registered for conformance runs).

    Other engine modules read its fields and change them only through the methods under
    "State changes" below; at the end, finish() hands back the RunResult.
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
        self.run_config = run_config
        self.target = target
        self.target_path = target_path
        self.run_dir = run_dir
        self.embedded: EmbeddedServer | None = None
        self.session: Session | None = None
        self.masker = Masker()
        self.scanner = SecretScanner(self.masker)  # every artifact of the run is written through it
        self.records: list[CheckRecord] = []
        self.current: CheckRecord | None = None
        self.reachability: dict[str, object] | None = None
        # The main process of a concurrent run found the target file refused by the target (its workers stop on it).
        self.target_file_problem: str | None = None
        self.stop_reason: str | None = None
        self.unreachable = False
        self.target_file_refused = False  # the preflight's answer says statements.valid is wrong (exit 2)
        self.deselected = 0
        self.stopper: Any = None  # dcr_harness.engine.stopping.RunStopper: why the run was stopped, if it was
        self.hypothesis: Any = None  # dcr_harness.engine.hypothesis_setup.HypothesisRun: the run's seed
        self.collected: list[str] = []  # node ids of the checks collected (not_run of a stopped run)
        self.selection_note: str | None = None  # what --req chose, said on the console
        self.reports: Any = None  # engine/report_hooks.py ReportPlugin: what the run writes besides results.json
        self.exit_requested: ExitCode | None = None  # a code the engine ended the session with (pytest.exit)
        self.result: RunResult | None = None  # the run as a value, once it ended (finish)
        self.started_at = utc_now()
        if target is not None:
            self._learn_target_secrets(target)

    # State changes -------------------------------------------------------------------

    def attach(self, stopper: Any, hypothesis_run: Any) -> None:
        """What stops the run (engine/stopping.py) and its Hypothesis seed and database (engine/hypothesis_setup.py)."""
        self.stopper, self.hypothesis = stopper, hypothesis_run

    def reached(self, facts: dict[str, object], target_file_problem: str | None = None) -> None:
        """The target answered the preflight (engine/preflight.py); facts go to results.json.
        A concurrent run's worker also gets the main process's target_file_problem (see tried_happy_path)."""
        self.reachability, self.target_file_problem = facts, target_file_problem

    def tried_happy_path(self, outcome: str, target_file_problem: str | None = None) -> None:
        """statements.valid registered and got a token ("ok"), or what the server did instead;
        target_file_problem: the answer says the target file is wrong (the run stops, exit 2)."""
        self.reachability = {**(self.reachability or {}), "happy_path": outcome}
        self.target_file_problem = target_file_problem

    def stop_unreachable(self, reason: str) -> None:
        """No verdicts: the target does not answer (exit 3)."""
        self.stop_reason, self.unreachable = reason, True

    def stop_target_file_refused(self, reason: str | None) -> None:
        """No verdicts: the target's answer says the target file is wrong (exit 2)."""
        self.stop_reason, self.target_file_refused = reason, True

    def narrowed(self, note: str | None) -> None:
        self.selection_note = note

    def merge_worker_record(self, record: Any, deselected: int) -> None:
        """A concurrent run's worker finished a check (engine/concurrency.py); every worker deselects alike."""
        self.records.append(record)
        self.deselected = max(self.deselected, deselected)

    def count_with(self, totals: Any) -> None:
        """A concurrent run's main process: the run's request figures are its workers' totals."""
        self.session = totals

    def share_embedded(self, embedded: Any) -> None:
        """A concurrent run's worker: the embedded server its main process started."""
        self.embedded = embedded

    def collected_ids(self, ids: list[str]) -> None:
        self.collected = self.collected or list(ids)

    def _learn_target_secrets(self, target: Target) -> None:
        self.masker.add_target(target)

    # The target and its session

    def start_embedded(self, faults: list[str], extra_args: list[str]) -> None:
        self.embedded = EmbeddedServer(self.run_dir / "reference-server", faults=faults, extra_args=extra_args)
        try:
            self.target = self.embedded.start()
        except EmbeddedServerError as exc:
            self.stop_reason = f"the embedded reference server did not start: {exc}"
            self.exit_requested = ExitCode.UNREACHABLE
            pytest.exit(self.stop_reason, returncode=ExitCode.UNREACHABLE)
        self._learn_target_secrets(self.target)

    def session_for(self, target: Target) -> Session:
        if self.session is None:
            # The embedded reference is a fresh process each run: no device cursor to keep.
            self.session = Session(target, masker=self.masker, persist_devices=self.embedded is None)
            if self.reachability is not None:
                self.session.sent += 1  # preflight()'s reachability request counts against budget.max_requests
            self.session.listeners.append(self._on_exchange)
        return self.session

    @contextmanager
    def outside_checks(self) -> Iterator[None]:
        """Exchanges sent in here (the preflight) belong to no check, even inside a check's setup."""
        current, self.current = self.current, None
        try:
            yield
        finally:
            self.current = current

    def _on_exchange(self, exchange: Exchange) -> None:
        if self.current is not None:
            self.current.exchanges.append(exchange)

    # Per check

    def begin(self, item: pytest.Item, requirements: list[str]) -> CheckRecord:
        record = CheckRecord(nodeid=item.nodeid, title=check_title(item), requirements=requirements)
        self.records.append(record)
        self.current = record
        self.masker.context = item.nodeid  # secrets the server issues now are "issued in" this check (legend)
        checks.collect_evidence_into(record.evidence)
        return record

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
        if report.longrepr is not None and not report.skipped:
            text = str(report.longrepr)
            if report.failed and self.current is not None and self.current.exchanges:
                text += "\n\nReproduce (secrets are shell variables):\n" + "\n".join(
                    "  " + e.curl(self.masker) for e in self.current.exchanges[-3:]
                )
            report.longrepr = self.masker.mask(text)
        report.sections = [(name, self.masker.mask(content)) for name, content in report.sections]

    def file_on_running_check(self, exchange: Exchange) -> None:
        """Show an exchange sent outside the running check (a reused positive control) on it, once."""
        if self.current is not None and all(e is not exchange for e in self.current.exchanges):
            self.current.exchanges.append(exchange)

    def end(self, record: CheckRecord) -> None:
        record.duration = time.monotonic() - record.started
        if record.outcome != Outcome.PENDING:
            record.freeze(self.masker)
        self.current = None
        self.masker.context = None
        checks.collect_evidence_into(None)

    # End of run

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = [item.nodeid for item in session.items]

    @property
    def stopped(self) -> bool:
        return self.stopper is not None and self.stopper.stopped

    def drop_unfinished(self) -> None:
        """A stopped run reports the checks that finished; the one cut short is listed as not run."""
        if self.stopped:
            self.records = [r for r in self.records if r.outcome != Outcome.PENDING]

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected += len(items)

    def finish_unrun(self) -> None:
        """A run stopped early (unreachable target, interrupt) must not certify what it never checked."""
        for record in self.records:
            if record.outcome == Outcome.PENDING:
                record.outcome = Outcome.ERROR
                record.message = f"not run: {self.stop_reason or 'the run stopped before this check finished'}"

    @pytest.hookimpl(
        wrapper=True, trylast=True
    )  # innermost: after pytest's JUnit and Allure wrote their files, before the summary
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int):
        outcome = yield
        self.close()
        self.result = self.finish(session)
        if self.result.ending in SETS_PYTEST_STATUS:  # bare `pytest conformance` exits as `dcr-harness run` does
            session.exitstatus = exit_code(self.result)
        handoff = find_handoff(self.config)
        if handoff is not None:
            handoff.result = self.result
        return outcome

    def finish(self, session: pytest.Session) -> RunResult:
        """The run as a value: its results, how it ended; written (write_run) when any check ran or it was stopped."""
        self.drop_unfinished()
        self.finish_unrun()
        result = RunResult(
            self.run_dir,
            results_of(self) if self.records or self.stopped else {},
            self.ending(session.exitstatus),
            tests_failed=session.testsfailed,
            stop_reason=self.stopper.reason if self.stopped else self.stop_reason,
        )
        if self.records or self.stopped:
            result = write_run(result, self.reports.plan(), self.scanner)
        return result

    def ending(self, exitstatus: int) -> Ending:
        if self.stopped:
            return Ending.STOPPED
        if self.unreachable or self.exit_requested == ExitCode.UNREACHABLE:
            return Ending.UNREACHABLE
        if self.target_file_refused:
            return Ending.TARGET_FILE_REFUSED
        return PYTEST_ENDINGS.get(int(exitstatus), Ending.INTERNAL_ERROR)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()  # kept, closed, so that the summary can still count requests
        if self.embedded is not None:
            self.embedded.stop()
