"""The target answers, checked once per run: by this process, or by the main process of a
concurrent run before its workers start (they inherit the answer)."""

from __future__ import annotations

import pytest

from ..contract.target import Target
from ..errors import ExitCode
from .embedded import EmbeddedServerError
from .preflight import TargetUnreachable, preflight
from .run_state import Halt, RunState


def ensure_target(state: RunState, session: pytest.Session | None) -> Target:
    """Start the embedded reference when no target is named, and check once that the target answers."""
    if state.target is None:
        try:
            state.start_embedded()
        except EmbeddedServerError:
            pytest.exit(state.standing.reason or "", returncode=ExitCode.UNREACHABLE)
    assert state.target is not None
    if state.reachability is not None:
        return state.target  # checked once, by this process or by the main process of a concurrent run
    if state.standing.halt is not Halt.UNREACHABLE:
        try:
            state.reached(preflight(state.target))
            return state.target
        except TargetUnreachable as exc:
            state.stop_unreachable(f"target unreachable: {exc}")
    if session is None:
        return state.target  # the main process of a concurrent run: its workers' checks report it
    # No verdicts, one error (JUnit shows it), and the run stops here with exit code 3.
    reason = state.standing.reason or "target unreachable"  # stop_unreachable always names one
    session.shouldstop = reason
    raise TargetUnreachable(reason)
