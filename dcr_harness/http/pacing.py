"""Client-side pacing: keep each device inside the target's throttle profile (THR-2).

The harness predicts the server's per-device allowance with the same model the contract
describes and waits for its turn, so that ordinary checks never meet a 429. The margin
covers the gap between when we send and when the server sees the request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ..contract.target import ThrottleProfile
from ..contract.throttle_model import DeviceAllowance

SAFETY_MARGIN_S = 0.05
# THR-4: after a 429 a client must wait at least one second.
AFTER_429_WAIT_S = 1.05


class Pacer:
    def __init__(
        self,
        profile: ThrottleProfile,
        clock: Callable[[], float] = time.monotonic,
        wait: Callable[[float], None] = time.sleep,
    ) -> None:
        self.profile = profile
        self._clock, self._wait = clock, wait
        self._devices: dict[str, DeviceAllowance] = {}
        self._lock = threading.Lock()
        self.waited_s = 0.0

    def _allowance(self, device: str) -> DeviceAllowance:
        if device not in self._devices:
            self._devices[device] = DeviceAllowance(self.profile.rate_per_s, self.profile.burst)
        return self._devices[device]

    def take_turn(self, device: str) -> None:
        """Block until the model admits a request from device, then spend its allowance."""
        while True:
            with self._lock:
                allowance = self._allowance(device)
                now = self._clock()
                ready = allowance.next_admit_time(now)
                if ready <= now:
                    allowance.admit(now)
                    return
            delay = ready - now + SAFETY_MARGIN_S
            self.waited_s += delay
            self._wait(delay)

    def throttled(self, device: str) -> None:
        """The server said 429 where the model did not expect it: forget the burst, wait it out."""
        with self._lock:
            self._allowance(device).burst_left = 0
        self.waited_s += AFTER_429_WAIT_S
        self._wait(AFTER_429_WAIT_S)
