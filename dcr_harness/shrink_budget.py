"""The shrink budget of generated checks: how long Hypothesis may shrink one failure.

Hypothesis has no public setting for this. Its engine reads the module constant
MAX_SHRINKING_SECONDS (300 s) when a failure starts shrinking, and documents it as
monkeypatchable; when it runs out, the smallest failing example found so far is reported,
so the verdict does not depend on the budget. This module is the only place that touches
Hypothesis internals; tests/test_shrink_budget.py fails if the engine stops reading the
constant. It also times the shrink phase, for the run's results and the benchmark.
"""

from __future__ import annotations

import functools
import threading
import time

from hypothesis.internal.conjecture import engine

DEFAULT_SHRINK_SECONDS = 10.0  # the default of --shrink-time (dcr_harness.plugin)
_ORIGINAL_SHRINK = engine.ConjectureRunner.shrink_interesting_examples
_lock = threading.Lock()
_spent = {"seconds": 0.0, "failures": 0}


def set_shrink_budget(seconds: float) -> None:
    """Shrink each failing property for at most `seconds` (then report the smallest example so far)."""
    engine.MAX_SHRINKING_SECONDS = seconds


def shrink_budget() -> float:
    return float(engine.MAX_SHRINKING_SECONDS)


def shrink_seconds() -> float:
    """Time this process spent in Hypothesis' shrink phase so far."""
    return round(_spent["seconds"], 3)


@functools.wraps(_ORIGINAL_SHRINK)
def _timed_shrink(self: engine.ConjectureRunner) -> None:
    start = time.perf_counter()
    try:
        _ORIGINAL_SHRINK(self)
    finally:
        with _lock:
            _spent["seconds"] += time.perf_counter() - start
            _spent["failures"] += bool(self.interesting_examples)


engine.ConjectureRunner.shrink_interesting_examples = _timed_shrink  # type: ignore[method-assign]
