"""The contract's per-device throttle (THR-2, THR-6) as a pure model.

Time is divided into windows of one second counted from the device's first request.
The first `rate` requests of a window use the rate allowance; further requests draw on a
one-time burst until it is spent; the burst never refills. Anything else is refused (429).

The reference server enforces this model, the client pacer predicts with it, and the
Locust throttling profile judges responses with it. The THR-6 conformance check does not
use it: it compares against the documented schedule itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


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
