"""The contract's per-device throttle (THR-2, THR-6) as a pure model.

Time is divided into windows of one second counted from the device's first request.
The first `rate` requests of a window use the rate allowance; further requests draw on a
one-time burst until it is spent; the burst never refills. Anything else is refused (429).

The reference server enforces this model, the client pacer predicts with it, the Locust
throttling profile judges responses with it, and the throttling checks judge a device's
timeline with `first_inconsistency` (arrival times are known only within bounds). That the
model reproduces the documented THR-6 schedule is itself a test (tests/unit/test_pacing.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace


@dataclass
class DeviceAllowance:
    rate_per_s: float = 1.0
    burst: int = 10
    first_seen: float | None = None
    window_index: int = -1
    used_in_window: int = 0
    burst_left: int = field(init=False)

    def __post_init__(self) -> None:
        self.burst_left = self.burst

    @property
    def window_seconds(self) -> float:
        # A rate below one per second stretches the window so that it still admits one.
        return 1.0 if self.rate_per_s >= 1 else 1.0 / self.rate_per_s

    @property
    def per_window(self) -> int:
        return max(1, int(self.rate_per_s)) if self.rate_per_s >= 1 else 1

    def _window(self, now: float) -> int:
        if self.first_seen is None:
            return 0
        return int(math.floor((now - self.first_seen) / self.window_seconds))

    def would_admit(self, now: float) -> bool:
        """Whether a request at `now` would be served, without spending anything."""
        if self.first_seen is None:
            return True
        window = self._window(now)
        used = self.used_in_window if window == self.window_index else 0
        return used < self.per_window or self.burst_left > 0

    def admit(self, now: float) -> bool:
        """Decide a request at `now`, spending the allowance it uses."""
        if self.first_seen is None:
            self.first_seen = now
        window = self._window(now)
        if window != self.window_index:
            self.window_index, self.used_in_window = window, 0
        if self.used_in_window < self.per_window:
            self.used_in_window += 1
            return True
        if self.burst_left > 0:
            self.burst_left -= 1
            return True
        return False

    def next_admit_time(self, now: float) -> float:
        """The earliest time at or after `now` at which a request would be served."""
        if self.would_admit(now):
            return now
        assert self.first_seen is not None
        return self.first_seen + (self._window(now) + 1) * self.window_seconds


def windows_between(lo: float, hi: float, window_seconds: float = 1.0) -> range:
    """The window indices an arrival somewhere in [lo, hi] (seconds since the first one) may fall in."""
    return range(max(0, math.floor(lo / window_seconds)), max(0, math.floor(hi / window_seconds)) + 1)


def first_inconsistency(
    arrivals: Sequence[tuple[float, float]], served: Sequence[bool], rate_per_s: float = 1.0, burst: int = 10
) -> int | None:
    """Whether some arrival times within the bounds make the model give exactly the observed outcomes.

    arrivals[i] bounds when the server saw request i, in seconds since it saw request 0 (so
    arrivals[0] is (0, 0)); requests of one device arrive in order. Returns None when the
    outcomes are consistent with the model, else the index of the first request that no
    admissible timing explains (the furthest any explanation got). Only the window each
    request falls in matters, so the search branches only where bounds straddle a boundary.
    """
    start = DeviceAllowance(rate_per_s, burst)
    step = start.window_seconds
    # Frontier: model states reachable by some timing that explains requests [0, i); keyed by
    # (window, used, burst_left) since that is all the model remembers.
    frontier = {(-1, 0, burst): start}
    for i, ((lo, hi), outcome) in enumerate(zip(arrivals, served, strict=True)):
        following: dict[tuple[int, int, int], DeviceAllowance] = {}
        for (last, _, _), state in frontier.items():
            for window in windows_between(lo, hi, step):
                if window < last:
                    continue
                nxt = replace(state)
                nxt.burst_left = state.burst_left
                if nxt.first_seen is None:
                    nxt.first_seen = 0.0
                if nxt.admit((window + 0.5) * step) == outcome:
                    following[(nxt.window_index, nxt.used_in_window, nxt.burst_left)] = nxt
        if not following:
            return i
        frontier = following
    return None
