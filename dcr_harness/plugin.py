"""The pytest plugin: target options, fixtures for checks, and the run's results.

Registered through the `pytest11` entry point, so `pytest conformance --target FILE` and
`dcr-harness run` behave the same. Nothing here acts unless a conformance run is asked
for (a path under conformance/ or --target): the harness's own tests are unaffected.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from .http import BudgetExceeded, DcrClient, Session
from .http.client import Credentials
from .paths import CONFORMANCE_DIR, DEFAULT_REPORT_DIR
from .preflight import TargetUnreachable, preflight
from .report.hooks import ReportPlugin
from .report.hooks import add_options as add_report_options
from .results import CheckRecord, RunRecorder, run_dir_name
from .target import Target, TargetError, load_target, target_path_from_env

EXIT_TARGET_ERROR = 2
EXIT_UNREACHABLE = 3

RECORDER = pytest.StashKey[RunRecorder]()
RECORD = pytest.StashKey[CheckRecord]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dcr-harness", "DCR conformance harness")
    group.addoption("--target", dest="dcr_target", default=None, metavar="FILE",
                    help="target file (TOML or JSON); default $DCR_TARGET, else the embedded reference server")
    group.addoption("--report-dir", dest="dcr_report_dir", default=None, metavar="DIR",
                    help="where the run writes its reports (default reports/)")
    group.addoption("--req", dest="dcr_req", action="append", default=[], metavar="ID",
                    help="run only the checks citing this requirement ID or prefix (repeatable), e.g. REG-ERR-3 or TOK-")
    group.addoption("--embedded-fault", dest="dcr_faults", action="append", default=[], metavar="NAME",
                    help="start the embedded reference server with this fault switched on (harness self-tests)")
    group.addoption("--embedded-arg", dest="dcr_embedded_args", action="append", default=[], metavar="ARG",
                    help="extra argument for the embedded reference server, e.g. --embedded-arg=--device-info-policy=fallback")
    add_report_options(group)


def _is_conformance_run(config: pytest.Config) -> bool:
    if config.getoption("dcr_target") or config.getoption("dcr_report_dir"):
        return True
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        if path == CONFORMANCE_DIR or CONFORMANCE_DIR in path.parents:
            return True
    return False


@pytest.hookimpl(tryfirst=True)  # before allure-pytest reads --alluredir (--allure-in-run-dir sets it)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "req(*ids): contract requirement IDs that a check enforces")
    if not _is_conformance_run(config) or hasattr(config, "workerinput"):
        return
    target_path = target_path_from_env(config.getoption("dcr_target"))
    target: Target | None = None
    if target_path:
        try:
            target = load_target(target_path)
        except TargetError as exc:
            pytest.exit(f"target file error: {exc}", returncode=EXIT_TARGET_ERROR)
    report_root = Path(config.getoption("dcr_report_dir") or DEFAULT_REPORT_DIR)
    run_dir = report_root / run_dir_name(target.name if target else "reference")
    run_dir.mkdir(parents=True, exist_ok=True)
    if not config.option.xmlpath:
        config.option.xmlpath = str(run_dir / "junit.xml")
    recorder = RunRecorder(config, target, target_path, run_dir)
    config.stash[RECORDER] = recorder
    config.pluginmanager.register(recorder, "dcr_harness_recorder")
    ReportPlugin.install(config, recorder)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = [w.upper() for w in config.getoption("dcr_req")]
    if not wanted:
        return
    keep, drop = [], []
    for item in items:
        ids = requirement_ids(item)
        (keep if any(i == w or i.startswith(w) for i in ids for w in wanted) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def requirement_ids(item: pytest.Item) -> list[str]:
    ids: list[str] = []
    for mark in item.iter_markers("req"):
        ids.extend(a for a in mark.args if a not in ids)
    return ids


# Fixtures for checks ---------------------------------------------------------------


def _recorder(request: pytest.FixtureRequest) -> RunRecorder:
    recorder = request.config.stash.get(RECORDER, None)
    if recorder is None:
        pytest.fail("conformance fixtures need a conformance run: run `pytest conformance` or pass --target")
    return recorder


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Target:
    """The deployment under test (the embedded reference server when none is named)."""
    recorder = _recorder(request)
    if recorder.target is None:
        recorder.start_embedded(request.config.getoption("dcr_faults"), request.config.getoption("dcr_embedded_args"))
    assert recorder.target is not None
    try:
        recorder.reachability = preflight(recorder.target)
    except TargetUnreachable as exc:
        # No verdicts, one error (JUnit shows it), and the run stops here with exit code 3.
        recorder.stop_reason = f"target unreachable: {exc}"
        recorder.unreachable = True
        request.session.shouldstop = recorder.stop_reason
        raise TargetUnreachable(recorder.stop_reason) from None
    return recorder.target


@pytest.fixture(scope="session")
def http_session(request: pytest.FixtureRequest, target: Target) -> Session:
    """The run's HTTP session: pacing, masking, budget, recording."""
    return _recorder(request).session_for(target)


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
def needs(target: Target):
    """needs("statements.revoked") skips the check, naming the target key it lacks."""

    def _needs(*keys: str) -> None:
        for key in keys:
            value: Any = target
            for part in key.split("."):
                value = getattr(value, part, None)
            if value in (None, ""):
                pytest.skip(f"not covered: the target file has no `{key}`")

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
    if call.excinfo is not None and call.excinfo.errisinstance(BudgetExceeded):
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {call.excinfo.value}")
    recorder.observe(record, report, call)
    if recorder.unreachable and report.failed:
        report.longrepr = recorder.stop_reason
    if report.when == "call" and report.passed and record.outcome in ("failed", "blocked", "error"):
        # Soft assertions: the check ran to its end, but what it recorded makes it fail.
        report.outcome = "failed"
        report.longrepr = record.message
    recorder.mask_report(report)
    return report


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    recorder = session.config.stash.get(RECORDER, None)
    if recorder is not None and recorder.unreachable:
        session.exitstatus = EXIT_UNREACHABLE


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    recorder = item.config.stash.get(RECORDER, None)
    record = item.stash.get(RECORD, None)
    if recorder is not None and record is not None:
        recorder.end(record)


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")
