"""The target answers, checked once per run: by this process, or by the main process of a
concurrent run before its workers start (they inherit the answer)."""

from __future__ import annotations

import pytest

from ..contract.target import Target
from .preflight import TargetUnreachable, preflight
from .recorder import RunRecorder


def ensure_target(config: pytest.Config, recorder: RunRecorder, session: pytest.Session | None) -> Target:
    """Start the embedded reference when no target is named, and check once that the target answers."""
    if recorder.target is None:
        recorder.start_embedded(list(recorder.run_config.embedded_faults), list(recorder.run_config.embedded_args))
    assert recorder.target is not None
    if recorder.reachability is not None:
        return recorder.target  # checked once, by this process or by the main process of a concurrent run
    if not recorder.unreachable:
        try:
            recorder.reached(preflight(recorder.target))
            return recorder.target
        except TargetUnreachable as exc:
            recorder.stop_unreachable(f"target unreachable: {exc}")
    if session is None:
        return recorder.target  # the main process of a concurrent run: its workers' checks report it
    # No verdicts, one error (JUnit shows it), and the run stops here with exit code 3.
    reason = recorder.stop_reason or "target unreachable"  # stop_unreachable always names one
    session.shouldstop = reason
    raise TargetUnreachable(reason)
