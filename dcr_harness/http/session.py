"""One run's shared HTTP state: connection pool, masker, devices, pacing, budget, listeners."""

from __future__ import annotations

import ipaddress
import secrets as _secrets
import threading
import time
from collections.abc import Callable, Iterable

import httpx

from .. import __version__
from ..target import Target
from .budget import SharedRequestCount
from .exchange import Exchange
from .masking import Masker
from .pacing import Pacer

# RFC 2544 benchmarking range: never routed, so a device address cannot be a real user's.
DEVICE_NETWORK = ipaddress.ip_network("198.18.0.0/15")
USER_AGENT = f"dcr-harness/{__version__}"


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
        shared_count: SharedRequestCount | None = None,
        device_offset: int | None = None,
    ) -> None:
        self.target = target
        self.masker = masker or Masker()
        for value in target.secrets():
            self.masker.add(value, "admin_token" if target.admin and value == target.admin.token else "software_statement")
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
        # A worker of a concurrent run gets its own offset, so that no two checks share a device.
        self._device_offset = _secrets.randbelow(DEVICE_NETWORK.num_addresses) if device_offset is None else device_offset
        self.shared_count = shared_count
        self._devices_issued = 0

    def new_device(self) -> str:
        """A fresh device identity (THR-1): each check gets its own allowance."""
        with self._lock:
            index = (self._device_offset + self._devices_issued) % DEVICE_NETWORK.num_addresses
            self._devices_issued += 1
        return str(DEVICE_NETWORK[index])

    def _spend_budget(self) -> None:
        with self._lock:
            limit = self.target.max_requests
            if self.shared_count is not None:
                allowed = self.shared_count.take(limit)  # the whole run's count, across workers
            else:
                allowed = limit is None or self.sent < limit
            if not allowed:
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
            if exchange.status == 429 and paced and self.pacer is not None and device is not None and attempt == 1:
                # THR-4: wait out an unexpected 429 and try once more; the report shows both.
                exchange.note = "unexpected 429 outside a throttling check; waited 1 s and retried"
                self.unexpected_429 += 1
                self._announce(exchange)
                self.pacer.throttled(device)
                continue
            self._announce(exchange)
            return exchange
        raise AssertionError("unreachable")

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
