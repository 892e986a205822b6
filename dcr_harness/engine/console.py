"""What a conformance run shows on the console, as a pytest plugin object beside the RunRecorder.

A failed check's block (and with -v its one line), the run's summary by contract area, the
legend of the ${DCR_...} variables the reproductions above used, and what the secret scan
masked. It reads the run's state and its RunResult; it changes neither.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from ..contract.verdicts import Outcome
from ..http.secret_scan import console_guard
from ..report.summary import write_certification_summary
from ..results.record import CheckRecord
from . import failure_view
from .failure_view import FailureView

if TYPE_CHECKING:
    from .recorder import RunRecorder


def natural_key(name: str) -> tuple[str, int]:
    """DCR_CLIENT_SECRET_2 before DCR_CLIENT_SECRET_10."""
    base, _, n = name.rpartition("_")
    return (base, int(n)) if n.isdigit() else (name, 0)


class RunConsole:
    def __init__(self, recorder: RunRecorder, summary: bool = True) -> None:
        self.recorder = recorder
        self.state = recorder.state
        self.summary = summary  # a concurrent run's workers show no summary: the main process does
        self.guard: Any = None  # the console's secret scan (http/secret_scan.py console_guard)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.guard = console_guard(self.recorder.config, self.state.scanner)

    @pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: after the plugin masked and recorded
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]):
        report = yield
        run = self.state
        if report.failed and run.current is not None and not run.standing.target_halted:
            self.show_failure_briefly(report, call.excinfo, run.current)
        return report

    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config) -> Any:
        """With -v, a failed check's one line says what broke."""
        if report.failed and isinstance(report.longrepr, FailureView):
            word = "FAILED" if report.when == "call" else "ERROR"
            return (
                ("failed" if word == "FAILED" else "error"),
                word[0],
                (f"{word} {report.longrepr.headline[:100]}", {"red": True}),
            )
        return None

    @pytest.hookimpl(tryfirst=True)  # before the terminal and JUnit read a worker's report
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        failure_view.restore(report)

    def show_failure_briefly(
        self, report: pytest.TestReport, excinfo: pytest.ExceptionInfo[BaseException] | None, record: CheckRecord
    ) -> None:
        """One block on the console, one line in JUnit's message; the full text stays in the report files."""
        run, config = self.state, self.recorder.config
        if failure_view.wants_full_traceback(config):
            return
        full = report.longrepr if isinstance(report.longrepr, str) else run.masker.mask(str(report.longrepr))
        junit = config.option.xmlpath or str(run.run_dir / "junit.xml")
        failure_view.attach(
            report,
            failure_view.build(
                excinfo,
                record.evidence.breaches,
                record.requirements,
                record.exchanges,
                run.masker,
                full,
                reports=f"{junit} and {run.run_dir / 'results.json'}",
            ),
        )

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.summary:
            return
        run, result = self.state, self.recorder.result
        if run.selection_note:
            terminalreporter.write_line(run.selection_note, yellow=True)
        happy_path = (run.reachability or {}).get("happy_path", "ok")
        if happy_path != "ok":
            terminalreporter.write_line(
                f"preflight: {happy_path}; the checks that need credentials fail with their requirement IDs",
                yellow=True,
            )
        if run.figures is not None and run.figures.throttle_mismatch:
            terminalreporter.write_line(f"throttle: {run.figures.throttle_mismatch}", yellow=True)
        if result is not None and result.certification is not None:
            write_certification_summary(terminalreporter, result, result.certification, run.masker)
        elif run.records:
            terminalreporter.write_line(f"report: {run.run_dir}")
        self.write_legend(terminalreporter)

    def write_legend(self, terminalreporter: Any) -> None:
        """On failure, what the ${DCR_...} variables of the reproductions above stand for."""
        run = self.state
        failed = any(r.outcome in (Outcome.FAILED, Outcome.ERROR) for r in run.records)
        legend = run.masker.legend(self.guard.variables) if failed and self.guard is not None else {}
        if legend:
            terminalreporter.write_sep(
                "-", "variables of the reproductions above (export each with its value to replay)"
            )
            for variable, origin in sorted(legend.items(), key=lambda vo: natural_key(vo[0])):
                terminalreporter.write_line(f"  {variable} = {origin}")
        for artifact, kind, places in run.scanner.hits:
            terminalreporter.write_line(
                f"secret scan: {artifact}: masked {places} stretch(es) of a {kind.replace('_', ' ')} "
                "that masking at the source missed"
            )
