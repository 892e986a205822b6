"""The shrink budget of generated checks: how long Hypothesis may shrink one failure.

Hypothesis has no public setting for this. Its engine reads the module constant
MAX_SHRINKING_SECONDS (300 s) when a failure starts shrinking, and its source documents it
as the knob to patch; when it runs out, the smallest failing example found so far is
reported, so the verdict never depends on the budget. The constant is feature-detected: on a
release without it the budget is not applied, one line says so, and the run goes on.
tests/unit/test_shrink_budget.py fails if the engine stops honouring it.

The time spent shrinking is measured from outside Hypothesis: from a generated check's first
failing example to the end of that check (everything after the first failure is shrinking
and replaying the smallest example).
"""

from __future__ import annotations

import importlib
import threading
import time
import warnings

DEFAULT_SHRINK_SECONDS = 10.0  # the default of --shrink-time (dcr_harness.engine.run_options)
_CONSTANT = "MAX_SHRINKING_SECONDS"
_lock = threading.Lock()
_spent = {"seconds": 0.0, "failures": 0}
_first_failure = threading.local()


def _engine():
    """Hypothesis' engine module, or None when this release moved it (then the budget is not applied)."""
    try:
        module = importlib.import_module("hypothesis.internal.conjecture.engine")  # allowlisted: the documented knob
    except ImportError:
        return None
    return module if isinstance(getattr(module, _CONSTANT, None), (int, float)) else None


def budget_supported() -> bool:
    return _engine() is not None


def set_shrink_budget(seconds: float) -> bool:
    """Shrink each failing property for at most `seconds` (then report the smallest example so far).

    Returns False, with one warning line, when this Hypothesis release has no such constant.
    """
    engine = _engine()
    if engine is None:
        warnings.warn(
            f"--shrink-time is not applied: this Hypothesis release has no {_CONSTANT} "
            "(shrinking uses Hypothesis' own limit; verdicts are unchanged)",
            stacklevel=2,
        )
        return False
    setattr(engine, _CONSTANT, seconds)
    return True


def shrink_budget() -> float | None:
    engine = _engine()
    return float(getattr(engine, _CONSTANT)) if engine is not None else None


def failure_seen() -> None:
    """A generated example failed: shrinking starts now (the first failure of this check counts)."""
    if getattr(_first_failure, "at", None) is None:
        _first_failure.at = time.perf_counter()


def check_ended() -> None:
    """The check is over: the time since its first failing example was shrinking."""
    started = getattr(_first_failure, "at", None)
    _first_failure.at = None
    if started is not None:
        with _lock:
            _spent["seconds"] += time.perf_counter() - started
            _spent["failures"] += 1


def shrink_seconds() -> float:
    """Time this process spent shrinking failures so far."""
    return round(_spent["seconds"], 3)
