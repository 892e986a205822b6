"""Per-device throttling (THR-1..THR-6), enforcing dcr_harness.contract.throttle_model.

One DeviceAllowance per device, shared by register, token and the protected API. The
device is the first address of the device header, else the connection address. The
device map is bounded: beyond max_devices the least recently seen device is forgotten
(it gets a fresh allowance if it comes back, which errs on the side of serving).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..contract.throttle_model import DeviceAllowance
from .config import ServerConfig

TOO_MANY = "<html><head><title>429 Too Many Requests</title></head><body><h1>Too Many Requests</h1></body></html>"
UNAVAILABLE = (
    "<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1></body></html>"
)
MAX_DEVICE_CHARS = 128  # a device key longer than this is cut: bounds memory per entry
NO_RECOVERY_S = 3.0  # thr-no-recovery: how long a throttled device stays throttled


class Throttle:
    def __init__(self, config: ServerConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.clock = clock
        self.devices: OrderedDict[str, DeviceAllowance] = OrderedDict()
        self.blocked_until: dict[str, float] = {}  # thr-no-recovery only

    def device_of(self, request: Request) -> str:
        cfg = self.config
        if cfg.fault("thr-global-bucket"):
            return "*"
        if not cfg.fault("thr-ignore-device-header"):
            first = request.headers.get(cfg.device_header, "").split(",", 1)[0].strip()
            if first:
                return first[:MAX_DEVICE_CHARS]
        return request.client.host if request.client else "unknown"

    def _allowance(self, device: str) -> DeviceAllowance:
        allowance = self.devices.get(device)
        if allowance is None:
            burst = 0 if self.config.fault("thr-no-burst") else self.config.burst
            allowance = self.devices[device] = DeviceAllowance(self.config.rate_per_s, burst)
            if len(self.devices) > self.config.max_devices:
                self.devices.popitem(last=False)
        else:
            self.devices.move_to_end(device)
        return allowance

    def admit(self, device: str, now: float | None = None) -> bool:
        """Decide one request of `device` at `now` (monotonic seconds), spending allowance."""
        cfg = self.config
        now = self.clock() if now is None else now
        if cfg.fault("thr-none"):
            return True
        if self.blocked_until.get(device, -1.0) > now:
            return False
        self.blocked_until.pop(device, None)
        allowance = self._allowance(device)
        if cfg.fault("thr-burst-refills") and allowance.first_seen is not None:
            window = int((now - allowance.first_seen) // allowance.window_seconds)
            if window != allowance.window_index:
                allowance.burst_left = allowance.burst
        admitted = allowance.admit(now)
        if not admitted and cfg.fault("thr-no-recovery"):
            self.blocked_until[device] = now + NO_RECOVERY_S
        return admitted

    def refusal(self, request: Request) -> Response | None:
        """None when the request may proceed, else the over-limit answer (THR-3)."""
        if self.admit(self.device_of(request)):
            return None
        if self.config.fault("thr-status-503"):
            return HTMLResponse(UNAVAILABLE, status_code=503)
        # Retry-After: the allowance is back within one second (THR-4).
        return HTMLResponse(TOO_MANY, status_code=429, headers={"Retry-After": "1"})
