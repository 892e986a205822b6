"""How `dcr-harness run` gets its run back from pytest: a plugin object it hands to pytest.main, on
which the engine leaves the RunResult at session end (pytest's exit status carries nothing)."""

from __future__ import annotations

import pytest

from ..results.run_result import RunResult


class RunHandoff:
    def __init__(self) -> None:
        self.result: RunResult | None = None


def find_handoff(config: pytest.Config) -> RunHandoff | None:
    return next((p for p in config.pluginmanager.get_plugins() if isinstance(p, RunHandoff)), None)
