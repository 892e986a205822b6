"""The reporting side of a conformance run, as a pytest plugin object.

Registered by dcr_harness.engine.plugin next to the RunRecorder. At the end of the run (after
results.json and junit.xml are written, before the console summary) it writes
certification.json/html and exchanges.har, masks the Allure and JUnit files, applies the waivers to the exit
status, and signs the report when --sign-key is given.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from ..contract.verdicts import Outcome, RunVerdict
from ..report import allure_glue, har
from ..report.junit import mark_junit_incomplete, stamp_junit, verdict_facts
from ..report.certification import build, write
from ..report.signing import SigningError, load_private_key, sign_report
from ..report.waivers import WaiverError, WaiverFile, load_waivers
from .items import check_title, requirement_ids
from ..errors import ExitCode



def add_options(group: Any) -> None:
    group.addoption("--waivers", dest="dcr_waivers", default=None, metavar="FILE",
                    help="waiver file (TOML) of accepted deviations; a waived failure is reported as waived")
    group.addoption("--sign-key", dest="dcr_sign_key", default=None, metavar="KEY.pem",
                    help="sign certification.json with this Ed25519 private key (PEM) at the end of the run")
    group.addoption("--allure-in-run-dir", dest="dcr_allure_in_run_dir", action="store_true", default=False,
                    help="write Allure results to <run dir>/allure-results unless --alluredir is given")


def hypothesis_profile() -> str | None:
    from .hypothesis_setup import current_profile

    return current_profile()


class ReportPlugin:
    def __init__(self, config: pytest.Config, recorder: Any, waivers: WaiverFile) -> None:
        self.config = config
        self.recorder = recorder
        self.waivers = waivers
        self.started = time.time()

    @classmethod
    def install(cls, config: pytest.Config, recorder: Any) -> ReportPlugin:
        try:
            waivers = load_waivers(config.getoption("dcr_waivers"))
        except WaiverError as exc:
            pytest.exit(f"waiver file error: {exc}", returncode=ExitCode.USAGE)
        key = config.getoption("dcr_sign_key")
        if key and not Path(key).is_file():
            pytest.exit(f"--sign-key {key}: no such file (create one with dcr-harness sign --generate-key {key} ...)", returncode=ExitCode.USAGE)
        if config.getoption("dcr_allure_in_run_dir") and not getattr(config.option, "allure_report_dir", None):
            config.option.allure_report_dir = str(recorder.run_dir / "allure-results")
        plugin = cls(config, recorder, waivers)
        config.pluginmanager.register(plugin, "dcr_harness_reports")
        return plugin

    # Per check: JUnit properties, Allure decoration, exchanges as Allure steps

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            ids = requirement_ids(item)
            if ids:
                item.user_properties.append(("requirements", " ".join(ids)))

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any, request: Any):
        result = yield
        if fixturedef.argname == "http_session" and self.allure_enabled:
            result.listeners.append(allure_glue.exchange_listener(self.recorder.masker))
        return result

    @property
    def allure_enabled(self) -> bool:
        return bool(getattr(self.config.option, "allure_report_dir", None))

    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> None:
        if call.when == "setup" and self.allure_enabled and requirement_ids(item):
            allure_glue.decorate(check_title(item), requirement_ids(item))

    # End of run

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int):
        result = yield
        recorder = self.recorder
        if hasattr(self.config, "workerinput"):
            return result  # a concurrent run's worker: the main process writes the reports
        if recorder.records or recorder.stopped:
            results = recorder.results()
            document = build(results, self.waivers, {"hypothesis_profile": hypothesis_profile()})
            _, path = write(recorder.run_dir, document, recorder.scanner)
            recorder.certified(document, path)
            har.write(recorder.run_dir, results, recorder.scanner)
            mark_junit_incomplete(getattr(self.config.option, "xmlpath", None), document)
            self._mask_artifacts()
            self._stamp_verdict(document)
            self._apply_waivers_to_exit(session, document)
            self._sign()
        return result

    def _mask_artifacts(self) -> None:
        """allure-pytest and junitxml write their own files: each goes through the run's scanner."""
        scanner = self.recorder.scanner
        if self.allure_enabled:
            scanner.clean_dir(Path(self.config.option.allure_report_dir), self.started - 1)
        xml = getattr(self.config.option, "xmlpath", None)
        if xml and Path(xml).is_file():
            scanner.clean_file(Path(xml))

    def _stamp_verdict(self, document: dict[str, Any]) -> None:
        """The overall verdict (PARTIAL, NO VERDICT, ...) in JUnit and Allure too, not only in the certification."""
        facts = verdict_facts(document)
        xml = getattr(self.config.option, "xmlpath", None)
        if xml and Path(xml).is_file():
            stamp_junit(Path(xml), facts)
        if self.allure_enabled and Path(self.config.option.allure_report_dir).is_dir():
            lines = [f"{k}={v}" for k, v in facts.items()]
            (Path(self.config.option.allure_report_dir) / "environment.properties").write_text("\n".join(lines) + "\n")

    @staticmethod
    def _apply_waivers_to_exit(session: pytest.Session, document: dict[str, Any]) -> None:
        """Exit 0 when every failure of the run is waived (and nothing else failed); exit 6 (ExitCode.INCONCLUSIVE)
        when the run could not judge what applies, although no requirement failed (a blocked check fails in
        pytest's eyes: 1 becomes 6 too)."""
        if document["overall"]["verdict"] == RunVerdict.INCONCLUSIVE and session.exitstatus in (
                pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            session.exitstatus = ExitCode.INCONCLUSIVE
            return
        outcomes = document["overall"]["checks"]
        waived = outcomes.get(Outcome.WAIVED, 0)
        if (session.exitstatus == pytest.ExitCode.TESTS_FAILED and waived and not outcomes.get(Outcome.FAILED)
                and not outcomes.get(Outcome.ERROR) and session.testsfailed <= waived):
            session.exitstatus = pytest.ExitCode.OK

    def _sign(self) -> None:
        key_path = self.config.getoption("dcr_sign_key")
        if not key_path:
            return
        try:
            sig = sign_report(self.recorder.run_dir, load_private_key(Path(key_path)))
        except SigningError as exc:
            self.recorder.signed(error=str(exc))
            return
        self.recorder.signed(sig)
