"""One run's shared HTTP state: connection pool, masker, devices, pacing, budget, listeners."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

import httpx

from .. import __version__
from ..target import Target
from .devices import DEVICE_NETWORK, DeviceAllocator  # noqa: F401  (DEVICE_NETWORK: load/profile.py imports it here)
from .exchange import Exchange
from .masking import Masker
from .pacing import Pacer

USER_AGENT = f"dcr-harness/{__version__}"


# How many distinct fresh devices refused against the profile make the run stop trusting it.
MISMATCH_DEVICES = 3


class BudgetExceeded(RuntimeError):
    """The run reached the target's budget.max_requests; no further request is sent."""


class Session:
    def __init__(
        self,
        target: Target,
        *,
        masker: Masker | None = None,
        timeout: httpx.Timeout | None = None,
        paced: bool = True,
        persist_devices: bool = True,
    ) -> None:
        self.target = target
        self.masker = masker or Masker()
        self.masker.add_target(target)
        self.http = httpx.Client(
            timeout=timeout or httpx.Timeout(10.0, connect=5.0),
            follow_redirects=False,
            verify=target.tls.httpx_verify(),
            headers={"User-Agent": USER_AGENT},
        )
        # httpx sends Accept: */* by default; a check decides for itself whether to send one.
        self.http.headers.pop("accept", None)
        self.pacer = Pacer(target.throttle) if paced else None
        self.listeners: list[Callable[[Exchange], None]] = []
        self.sent = 0
        self.unexpected_429 = 0
        self._lock = threading.Lock()
        # persist_devices=False for a server that forgets devices between runs (the embedded reference).
        self.devices = DeviceAllocator(target.base_url, persist=persist_devices)
        # Set once the observed throttle contradicts the profile (see _unexpected_429): a run-level note.
        self.throttle_mismatch: str | None = None
        self._refused_devices: list[str] = []

    def new_device(self) -> str:
        """A fresh device identity (THR-1), never used against this target before (http/devices.py)."""
        return self.devices.new_device()

    def _spend_budget(self) -> None:
        with self._lock:
            limit = self.target.max_requests
            if limit is not None and self.sent >= limit:
                raise BudgetExceeded(f"budget.max_requests ({limit}) reached: no further request sent")
            self.sent += 1

    def send_raw(
        self,
        method: str,
        url: str,
        *,
        headers: Iterable[tuple[str, str]],
        content: bytes = b"",
        device: str | None = None,
        paced: bool = True,
    ) -> Exchange:
        """Send exactly these headers and bytes; record and announce the exchange."""
        header_list = list(headers)
        for attempt in (1, 2):
            if paced and self.pacer is not None and device is not None:
                self.pacer.take_turn(device)
            exchange = self._send_once(method, url, header_list, content, device)
            if exchange.status == 429 and paced and self.pacer is not None and device is not None:
                self._unexpected_429(device)
                if attempt == 1 and self.throttle_mismatch is None:
                    # THR-4: wait out an unexpected 429 and try once more; the report shows both.
                    exchange.note = "unexpected 429 outside a throttling check; waited 1 s and retried"
                    self._announce(exchange)
                    self.pacer.throttled(device)
                    continue
                if self.throttle_mismatch is not None:
                    exchange.note = f"429 not waited out: {self.throttle_mismatch}"
            self._announce(exchange)
            return exchange
        raise AssertionError("unreachable")

    def _unexpected_429(self, device: str) -> None:
        """A paced request was refused: the pacer's model of the profile said it would be served.

        A server stricter than its profile (issue 10: one allowance shared by all devices)
        refuses every check, and waiting each 429 out took 12 minutes. Once MISMATCH_DEVICES
        distinct fresh devices were refused, the profile is declared mismatched: later 429s are
        handed back at once (the check is blocked, no verdict) and the run says why.
        """
        with self._lock:
            self.unexpected_429 += 1
            if device in self._refused_devices or self.throttle_mismatch is not None:
                return
            self._refused_devices.append(device)
            if len(self._refused_devices) >= MISMATCH_DEVICES:
                profile = self.target.throttle
                self.throttle_mismatch = (
                    f"the observed throttle does not match the target's profile ({profile.rate_per_s}/s and a burst "
                    f"of {profile.burst} per device, {profile.device_header}): {len(self._refused_devices)} fresh "
                    f"devices paced to that profile were refused with 429 ({', '.join(self._refused_devices)}); "
                    f"checks that meet a 429 are blocked instead of waiting it out")

    def _send_once(
        self, method: str, url: str, headers: list[tuple[str, str]], content: bytes, device: str | None
    ) -> Exchange:
        self._spend_budget()
        request = self.http.build_request(method, url, headers=headers, content=content)
        exchange = Exchange(
            method=method,
            url=url,
            request_headers=[(k, v) for k, v in request.headers.multi_items() if k.lower() != "content-length" or content],
            request_body=content,
            device=device,
            started_at=time.time(),
        )
        start = time.perf_counter()
        try:
            response = self.http.send(request)
            exchange.status = response.status_code
            exchange.response_headers = list(response.headers.multi_items())
            exchange.response_body = response.content
        except httpx.HTTPError as exc:
            exchange.error = f"{type(exc).__name__}: {exc}"
        exchange.elapsed = time.perf_counter() - start
        self.masker.add_from_json(exchange.json())
        return exchange

    def _announce(self, exchange: Exchange) -> None:
        for listener in list(self.listeners):
            listener(exchange)

    def close(self) -> None:
        self.http.close()
