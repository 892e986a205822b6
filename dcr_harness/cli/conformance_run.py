"""One conformance run in this process: pytest with the harness's plugin, handing back the RunResult.

`dcr-harness run` and `dcr-harness replay` (a hand-written check run again whole) go through here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.handoff import RunHandoff
from ..engine.run_config import RunConfig
from ..engine.stopping import RunStopper
from ..paths import CONFORMANCE_DIR
from ..results.run_result import RunResult

INTERNAL_ERROR = 3  # pytest's status for a crash inside the session (pytest.ExitCode.INTERNAL_ERROR)
# No plugin that writes into the working directory (cache, benchmark storage).
QUIET_PLUGINS = [
    "-p",
    "no:cacheprovider",
    "-p",
    "no:benchmark",
    "-W",
    "ignore::pytest.PytestAssertRewriteWarning",  # httpx imported anyio before pytest started
    f"--rootdir={CONFORMANCE_DIR.parent}",
]


@dataclass(frozen=True)
class Finished:
    status: int  # pytest's own status: read only when the session never started (no result)
    stopper: RunStopper
    result: RunResult | None


def run_conformance(argv: list[str], max_time: float | None = None, run_config: RunConfig | None = None) -> Finished:
    """run_config: the run's options as one value (`dcr-harness run`); None: they are pytest options in argv."""
    import pytest

    stopper, handoff = RunStopper(max_time), RunHandoff()
    plugins: list[object] = [stopper, handoff, *([run_config] if run_config is not None else [])]
    status = int(pytest.main([*argv, *QUIET_PLUGINS], plugins=plugins))
    return Finished(status, stopper, handoff.result)
