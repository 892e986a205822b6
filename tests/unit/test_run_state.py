"""The run's state alone, without a pytest session: how it stands after each transition is the
ending the RunResult gets, the exit code exit_code() gives it, and what results.json says."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dcr_harness import checks
from dcr_harness.contract import schemas
from dcr_harness.contract.verdicts import Outcome
from dcr_harness.engine.concurrency import WorkersTotals
from dcr_harness.engine.results_of import results_of
from dcr_harness.engine.run_options import PYTEST, build_run_config
from dcr_harness.engine.run_state import Halt, RunState, Standing
from dcr_harness.errors import ExitCode
from dcr_harness.http.budget import SharedRequestCount
from dcr_harness.results.exit import exit_code
from dcr_harness.results.run_result import Ending, RunResult

UNREACHABLE = "target unreachable: cannot connect to http://127.0.0.1:9: connection refused"
REFUSED = "target file error: statements.valid is refused: invalid_software_statement"
SIGTERM = "stopped by SIGTERM"
DONE, CUT_SHORT, NEVER_STARTED = "test_a.py::test_done", "test_a.py::test_cut_short", "test_b.py::test_never_started"


@dataclass(frozen=True)
class Transition:
    name: str
    steps: tuple[Callable[[RunState], None], ...]
    ending: Ending
    exit: ExitCode
    stop_reason: str | None
    unreachable: bool  # results.json's "unreachable"


TRANSITIONS = [
    Transition("goes on", (), Ending.COMPLETED, ExitCode.OK, None, False),
    Transition(
        "reachable, then unreachable",
        (lambda s: s.reached({"status": 405}), lambda s: s.stop_unreachable(UNREACHABLE)),
        Ending.UNREACHABLE,
        ExitCode.UNREACHABLE,
        UNREACHABLE,
        True,
    ),
    Transition(
        "target file refused",
        (lambda s: s.tried_happy_path("refused", REFUSED), lambda s: s.stop_target_file_refused(REFUSED)),
        Ending.TARGET_FILE_REFUSED,
        ExitCode.USAGE,
        REFUSED,
        False,
    ),
    Transition("stopped", (lambda s: s.stopped(SIGTERM),), Ending.STOPPED, ExitCode.INCOMPLETE, SIGTERM, False),
    Transition(
        "unreachable, then stopped: the stop comes first, the halt stays a fact",
        (lambda s: s.stop_unreachable(UNREACHABLE), lambda s: s.stopped(SIGTERM)),
        Ending.STOPPED,
        ExitCode.INCOMPLETE,
        SIGTERM,
        True,
    ),
    Transition(
        "the first halt is kept: what follows is its consequence",
        (lambda s: s.stop_unreachable(UNREACHABLE), lambda s: s.stop_target_file_refused(REFUSED)),
        Ending.UNREACHABLE,
        ExitCode.UNREACHABLE,
        UNREACHABLE,
        True,
    ),
]


@pytest.fixture
def state(pytestconfig: pytest.Config, tmp_path: Path) -> Iterator[RunState]:
    """A run with one finished check, one cut short and one never started."""
    run = RunState(build_run_config(pytestconfig.option, PYTEST), None, None, tmp_path)
    run.collected_here([DONE, CUT_SHORT, NEVER_STARTED])
    done = run.begin(DONE, "done", ["REG-OK-1"])
    done.outcome = Outcome.PASSED
    run.end(done)
    run.begin(CUT_SHORT, "cut short", ["TOK-OK-1"])
    yield run
    checks.collect_evidence_into(None)  # the check cut short never ended


@pytest.mark.parametrize("transition", TRANSITIONS, ids=lambda t: t.name)
def test_each_transition_gives_the_ending_the_result_builder_expects(state: RunState, transition: Transition) -> None:
    for step in transition.steps:
        step(state)
    state.settle()
    ending = state.ending(Ending.COMPLETED)
    assert ending == transition.ending
    assert state.standing.stop_reason == transition.stop_reason
    assert exit_code(RunResult(state.run_dir, {}, ending)) == transition.exit
    assert state.writes_reports
    results = results_of(state)
    assert schemas.validate("results", results) == []
    assert results["unreachable"] is transition.unreachable
    outcomes = {c["nodeid"]: c["outcome"] for c in results["checks"]}
    if ending == Ending.STOPPED:  # the check cut short is not run; the report is INCOMPLETE
        assert outcomes == {DONE: "passed"}
        assert results["incomplete"] == SIGTERM
        assert results["not_run"] == [CUT_SHORT, NEVER_STARTED]
    else:  # a halted (or completed) run certifies nothing it did not finish
        assert outcomes == {DONE: "passed", CUT_SHORT: "error"}
        assert "incomplete" not in results
        message = next(c["message"] for c in results["checks"] if c["nodeid"] == CUT_SHORT)
        assert message == f"not run: {state.standing.reason or 'the run stopped before this check finished'}"


@pytest.mark.parametrize(
    "halt, ending, target_halted",
    [
        (Halt.NONE, Ending.COMPLETED, False),
        (Halt.UNREACHABLE, Ending.UNREACHABLE, True),
        # The embedded reference did not start: exit 3, but it is not the target's answer on every check.
        (Halt.EMBEDDED_DOWN, Ending.UNREACHABLE, False),
        (Halt.TARGET_FILE_REFUSED, Ending.TARGET_FILE_REFUSED, True),
    ],
)
def test_every_halt_has_its_ending(halt: Halt, ending: Ending, target_halted: bool) -> None:
    standing = Standing(halt=halt, reason="why")
    assert standing.ending(Ending.COMPLETED) == ending
    assert standing.target_halted is target_halted
    assert standing.why(halt) == "why"
    assert Standing(halt=halt, stopped=SIGTERM).ending(Ending.COMPLETED) == Ending.STOPPED


def test_a_run_that_ran_nothing_and_was_not_stopped_writes_no_report(
    pytestconfig: pytest.Config, tmp_path: Path
) -> None:
    run = RunState(build_run_config(pytestconfig.option, PYTEST), None, None, tmp_path)
    run.stop_unreachable(UNREACHABLE)
    assert not run.writes_reports
    run.stopped(SIGTERM)
    assert run.writes_reports


def test_the_run_figures_are_its_workers_totals_in_a_concurrent_runs_main_process(
    pytestconfig: pytest.Config, tmp_path: Path
) -> None:
    run = RunState(build_run_config(pytestconfig.option, PYTEST), None, None, tmp_path)
    assert run.figures is None and results_of(run)["requests_sent"] == 0
    count = SharedRequestCount(tmp_path / "request-count")
    run.count_with(WorkersTotals(count))
    for _ in range(3):
        count.take(None)
    assert results_of(run)["requests_sent"] == 3
