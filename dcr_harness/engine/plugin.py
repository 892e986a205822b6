"""The pytest plugin: target options, fixtures for checks, and the run's results.

Registered through the `pytest11` entry point, so `pytest conformance --target FILE` and
`dcr-harness run` behave the same. Nothing here acts unless a conformance run is asked
for (a path under conformance/ or --target): the harness's own tests are unaffected.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .. import checks
from ..contract.target import Target, TargetError, load_target
from ..contract.target_keys import not_covered
from ..errors import ExitCode
from ..http import BudgetExceeded, DcrClient, Exchange, Session
from ..http.client import Credentials
from ..paths import CONFORMANCE_DIR
from ..results.run_result import run_dir_name
from . import concurrency, selection, shrink_budget
from .console import RunConsole
from .items import requirement_ids
from .preflight import TargetFileRefused, happy_path
from .reachability import ensure_target
from .recorder import CheckRecord, RunRecorder
from .report_hooks import ReportPlugin
from .retention import prune_run_dirs
from .run_config import RunConfig, RunConfigError, handed_run_config
from .run_options import PYTEST, add_to_pytest, build_run_config, completed_by_pytest
from .stash import RECORD, RECORDER, RUN_CONFIG
from .stopping import RunStopper, find_stopper
from .wire import WorkerBrief


def pytest_addoption(parser: pytest.Parser) -> None:
    add_to_pytest(parser.getgroup("dcr-harness", "DCR conformance harness"))  # the table: engine/run_options.py


def _run_config_from_pytest(config: pytest.Config) -> RunConfig:
    """A bare `pytest conformance`: the run's options from pytest's, a bad value ending the run in one line."""
    try:
        return build_run_config(config.option, PYTEST)
    except RunConfigError as exc:
        pytest.exit(str(exc), returncode=ExitCode.USAGE)


def _is_conformance_run(config: pytest.Config) -> bool:
    if handed_run_config(config) or config.getoption("dcr_target") or config.getoption("dcr_report_dir"):
        return True
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        if path == CONFORMANCE_DIR or CONFORMANCE_DIR in path.parents:
            return True
    return False


@pytest.hookimpl(tryfirst=True)  # before allure-pytest reads --alluredir, before Hypothesis reads the seed
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "req(*ids): contract requirement IDs that a check enforces")
    from . import hypothesis_setup  # here, not at import: pytest rewrites Hypothesis' plugin first

    conformance = _is_conformance_run(config)
    worker = getattr(config, "workerinput", None)
    brief = WorkerBrief.from_wire(worker) if worker is not None else None
    seed = brief.seed if brief is not None else config.getoption("hypothesis_seed", None)
    forced = brief.seed_forced if brief is not None else seed is not None
    if conformance and not worker:
        seed = hypothesis_setup.choose_seed(seed, config.getoption("hypothesis_profile", None))
    hypothesis_run = hypothesis_setup.HypothesisRun(config, seed, forced)
    config.pluginmanager.register(hypothesis_run, "dcr_harness_hypothesis_run")
    if not conformance:
        return
    handed = handed_run_config(config)
    # The run's options, taken once: from the main process (a worker), from `dcr-harness run`, or from pytest's options.
    run_config = (
        brief.run_config
        if brief is not None
        else completed_by_pytest(handed, config.option)
        if handed is not None
        else _run_config_from_pytest(config)
    )
    config.stash[RUN_CONFIG] = run_config
    shrink_budget.set_shrink_budget(run_config.shrink_time)
    # Hypothesis' explain phase imports libcst, whose deprecation notices would bury the failure blocks.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:libcst.*")
    if worker is not None:
        if brief is not None:
            worker_recorder = concurrency.configure_worker(config, brief)
            worker_recorder.attach(None, hypothesis_run)  # the main process stops the run
            _install(config, worker_recorder)
        return
    target_path = run_config.target_path
    target: Target | None = None
    if target_path:
        try:
            target = load_target(target_path)
        except TargetError as exc:
            pytest.exit(f"target file error: {exc}", returncode=ExitCode.USAGE)
    run_dir = run_config.report_root / run_dir_name(target.name if target else "reference")
    run_dir.mkdir(parents=True, exist_ok=True)
    if run_config.keep:
        prune_run_dirs(run_config.report_root, run_config.keep, current=run_dir)
    if not config.option.xmlpath:
        config.option.xmlpath = str(run_dir / "junit.xml")
    recorder = RunRecorder(config, run_config, target, target_path, run_dir)
    stopper = find_stopper(config)
    if stopper is None:
        stopper = RunStopper()
        config.pluginmanager.register(stopper, "dcr_harness_stopper")
    stopper.max_time = stopper.max_time or run_config.max_time
    recorder.attach(stopper, hypothesis_run)
    if concurrency.xdist_active(config) and concurrency.reachable_before_workers(config, recorder):
        config.pluginmanager.register(concurrency.Controller(config, recorder), "dcr_harness_controller")
    _install(config, recorder)


def _install(config: pytest.Config, recorder: RunRecorder) -> None:
    config.stash[RECORDER] = recorder
    hypothesis_run, state = recorder.hypothesis, recorder.state
    assert hypothesis_run is not None  # attached before the recorder is installed
    config.pluginmanager.register(recorder, "dcr_harness_recorder")
    # After the recorder: its makereport wrapper is outside the recorder's (the failure view reads the record).
    worker = hasattr(config, "workerinput")
    config.pluginmanager.register(RunConsole(recorder, summary=not worker), "dcr_harness_console")
    if state.run_config.example_db:
        target = state.target
        named = target.base_url if target is not None and target.source != "embedded reference server" else None
        hypothesis_run.example_db_key = state.run_config.example_db_key(named)
    ReportPlugin.install(config, recorder)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run_config = config.stash.get(RUN_CONFIG, None)  # none outside a conformance run: --req is then pytest's option
    wanted = run_config.wanted if run_config is not None else selection.parse(config.getoption("dcr_req"))
    if not wanted:
        return
    kept, chosen = selection.select(wanted, [requirement_ids(item) for item in items])
    problem = chosen.problem(len(kept))
    if problem:
        pytest.exit(problem, returncode=ExitCode.USAGE)
    recorder = config.stash.get(RECORDER, None)
    if recorder is not None:
        recorder.state.narrowed(chosen.note())
    keep, kept_set = [items[i] for i in kept], set(kept)
    drop = [item for i, item in enumerate(items) if i not in kept_set]
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


# Fixtures for checks ---------------------------------------------------------------


def _recorder(request: pytest.FixtureRequest) -> RunRecorder:
    recorder = request.config.stash.get(RECORDER, None)
    if recorder is None:
        pytest.fail("conformance fixtures need a conformance run: run `pytest conformance` or pass --target")
    return recorder


@pytest.fixture
def check_record(request: pytest.FixtureRequest) -> CheckRecord | None:
    """The running check's record (its exchanges and message go to the reports); None outside a conformance run."""
    recorder = request.config.stash.get(RECORDER, None)
    return recorder.state.current if recorder is not None else None


@pytest.fixture(scope="session")
def file_on_running_check(request: pytest.FixtureRequest) -> Callable[[Exchange], None]:
    """file(exchange): an exchange sent outside the running check (a reused positive control) is shown on it too."""
    recorder = request.config.stash.get(RECORDER, None)
    return recorder.state.file_on_running_check if recorder is not None else (lambda exchange: None)


@pytest.fixture(scope="session")
def embedded_data_dir(request: pytest.FixtureRequest, target: Target) -> Path | None:
    """The embedded reference server's data folder (its keys), None when the target is another server."""
    embedded = request.config.stash[RECORDER].state.embedded
    return embedded.data_dir if embedded is not None else None


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Target:
    """The deployment under test (the embedded reference server when none is named)."""
    return ensure_target(_recorder(request).state, request.session)


@pytest.fixture(scope="session")
def http_session(request: pytest.FixtureRequest, target: Target) -> Session:
    """The run's HTTP session: pacing, masking, budget, recording; the happy path tried once first."""
    state = _recorder(request).state
    session = state.session_for(target)
    try:
        tried = (state.reachability or {}).get("happy_path")  # by the main process of a concurrent run
        if tried is None:
            with state.outside_checks():
                state.tried_happy_path(happy_path(session) or "ok")
        elif state.target_file_problem is not None:
            raise TargetFileRefused(state.target_file_problem)
    except TargetFileRefused as exc:
        # As for an unreachable target: no verdicts, one error, the run stops here (exit code 2).
        state.stop_target_file_refused(f"target file error: {exc}")
        reason = state.standing.reason or "target file error"  # stop_target_file_refused always names one
        request.session.shouldstop = reason
        raise TargetFileRefused(reason) from None
    return session


@pytest.fixture
def dcr(http_session: Session) -> DcrClient:
    """A client with its own device identity, paced to the target's throttle profile."""
    return DcrClient(http_session)


@pytest.fixture
def credentials(dcr: DcrClient) -> Credentials:
    """Fresh client credentials from the valid statement (FLOW-1)."""
    return dcr.register_ok()


@pytest.fixture
def access_token(dcr: DcrClient, credentials: Credentials) -> str:
    """A fresh access token for fresh credentials (FLOW-2)."""
    return dcr.token_ok(credentials)[0]


@pytest.fixture
def seeded(request: pytest.FixtureRequest):
    """seeded(MachineClass): a state machine with the run's seed (a @given check gets it without asking)."""
    hypothesis_run = request.config.pluginmanager.get_plugin("dcr_harness_hypothesis_run")
    return hypothesis_run.seeded if hypothesis_run is not None else (lambda test: test)


@pytest.fixture
def needs(target: Target):
    """needs("statements.revoked") skips the check, naming the target key it lacks and the line to add."""

    def _needs(*keys: str) -> None:
        for key in keys:
            value: Any = target
            for part in key.split("."):
                value = getattr(value, part, None)
            if value in (None, ""):
                pytest.skip(not_covered(key))

    return _needs


# Recording and masking of each check's outcome ------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    recorder = item.config.stash.get(RECORDER, None)
    if recorder is not None and requirement_ids(item):
        item.stash[RECORD] = recorder.begin(item, requirement_ids(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    recorder = item.config.stash.get(RECORDER, None)
    record = item.stash.get(RECORD, None)
    if recorder is None or record is None:
        return report
    recorder.observe(record, report, call)
    standing = recorder.state.standing
    if standing.target_halted and report.failed:
        report.longrepr = standing.reason
    recorder.mask_report(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function):
    """Soft assertions: a check that ran to its end fails here when it recorded a breach, so that
    pytest, JUnit and Allure all see an ordinary failure with its message."""
    try:
        result = yield
    except BudgetExceeded as exc:  # the run's request budget ran out: a skip, not a failure
        pytest.skip(str(exc))
    finally:
        shrink_budget.check_ended()
    record = pyfuncitem.stash.get(RECORD, None)
    if record is not None:
        checks.raise_if_breached(record.evidence)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: pytest.FixtureRequest):
    """A fixture that ran out of the run's request budget skips its checks (as a check does)."""
    try:
        return (yield)
    except BudgetExceeded as exc:
        pytest.skip(str(exc))


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    recorder = item.config.stash.get(RECORDER, None)
    record = item.stash.get(RECORD, None)
    if recorder is not None and record is not None:
        recorder.state.end(record)


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")
