"""The reporting side of a conformance run, as a pytest plugin object.

Registered by dcr_harness.engine.plugin next to the RunRecorder: per check, the requirement IDs as
JUnit properties and the Allure decoration; at the end, the plan of what write_run writes besides
results.json (waivers, the JUnit and Allure files to scan and stamp, the signing key).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..errors import ExitCode
from ..report import allure_glue
from ..report.waivers import WaiverError, WaiverFile, load_waivers
from ..report.write_run import ArtifactPlan
from .items import check_title, requirement_ids

if TYPE_CHECKING:
    from .recorder import RunRecorder


def hypothesis_profile() -> str | None:
    from .hypothesis_setup import current_profile

    return current_profile()


class ReportPlugin:
    def __init__(self, config: pytest.Config, recorder: RunRecorder, waivers: WaiverFile) -> None:
        self.config = config
        self.state = recorder.state
        self.waivers = waivers
        self.started = time.time()

    @classmethod
    def install(cls, config: pytest.Config, recorder: RunRecorder) -> ReportPlugin:
        state = recorder.state
        try:
            waivers = load_waivers(state.run_config.waivers)
        except WaiverError as exc:
            pytest.exit(f"waiver file error: {exc}", returncode=ExitCode.USAGE)
        key = state.run_config.sign_key
        if key and not Path(key).is_file():
            pytest.exit(
                f"--sign-key {key}: no such file (create one with dcr-harness sign --generate-key {key} ...)",
                returncode=ExitCode.USAGE,
            )
        if state.run_config.allure_in_run_dir and not getattr(config.option, "allure_report_dir", None):
            config.option.allure_report_dir = str(state.run_dir / "allure-results")
        plugin = cls(config, recorder, waivers)
        recorder.reports = plugin
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
            result.listeners.append(allure_glue.exchange_listener(self.state.masker))
        return result

    @property
    def allure_enabled(self) -> bool:
        return bool(getattr(self.config.option, "allure_report_dir", None))

    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> None:
        if call.when == "setup" and self.allure_enabled and requirement_ids(item):
            allure_glue.decorate(check_title(item), requirement_ids(item))

    # End of run: what write_run (report/write_run.py) writes besides results.json

    def plan(self) -> ArtifactPlan:
        xml = getattr(self.config.option, "xmlpath", None)
        key = self.state.run_config.sign_key
        return ArtifactPlan(
            waivers=self.waivers,
            junit=Path(xml) if xml else None,
            allure_dir=Path(self.config.option.allure_report_dir) if self.allure_enabled else None,
            allure_since=self.started,
            sign_key=Path(key) if key else None,
            profile={"hypothesis_profile": hypothesis_profile()},
        )
