"""One run's shared HTTP state: connection pool, masker, devices, pacing, budget, listeners."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterable

import httpx

from .. import __version__
from ..contract.target import Target
from ..errors import BudgetExceeded
from .budget import SharedRequestCount
from .devices import DEVICE_NETWORK, DeviceAllocator  # noqa: F401  (DEVICE_NETWORK: load/profile.py imports it here)
from .exchange import Exchange
from .masking import SECRET_MEMBERS, Masker
from .pacing import Pacer

USER_AGENT = f"dcr-harness/{__version__}"


# A DCR answer is a few hundred bytes: more than this is recorded up to the cap, never read whole.
BODY_CAP_BYTES = 1 << 20
# One exchange may take this long in all, however the server trickles its answer.
EXCHANGE_DEADLINE_S = 30.0
# Read timeout (s) for every request; DCR_HTTP_TIMEOUT shortens it (the harness's hostile-server tests).
TIMEOUT_ENV = "DCR_HTTP_TIMEOUT"
DEFAULT_TIMEOUT_S = 10.0
PARTIAL_SECRET = re.compile(
    r'"(' + "|".join(SECRET_MEMBERS) + r')"\s*:\s*"((?:[^"\\]|\\.)*)(?:"|\Z)'
)  # also a value cut off by the end


def default_timeout() -> httpx.Timeout:
    try:
        seconds = float(os.environ.get(TIMEOUT_ENV, "") or DEFAULT_TIMEOUT_S)
    except ValueError:
        seconds = DEFAULT_TIMEOUT_S
    return httpx.Timeout(seconds, connect=min(seconds, 5.0))


def transport_problem(exc: httpx.HTTPError, timeout: httpx.Timeout, received: int | None = None) -> str:
    """One sentence naming what went wrong on the wire, then the exception's own words."""
    detail = (str(exc) or type(exc).__name__).splitlines()[0]
    mid_body = f" mid-body, after {received} bytes of the body" if received else ""
    if isinstance(exc, httpx.ConnectTimeout):
        kind = f"no connection within {timeout.connect} s"
    elif isinstance(exc, httpx.TimeoutException):
        kind = f"the server stalled{mid_body}: nothing received for {timeout.read} s"
    elif "CERTIFICATE_VERIFY_FAILED" in detail or "SSL" in detail:
        kind = "TLS failure (check tls.ca_bundle / tls.verify in the target file)"
    elif isinstance(exc, httpx.ConnectError):
        kind = "cannot connect"
    elif isinstance(exc, httpx.RemoteProtocolError):
        kind = f"the server broke HTTP framing or closed the connection{mid_body}"
    elif isinstance(exc, httpx.ReadError):
        kind = f"the connection was reset{mid_body}"
    elif isinstance(exc, httpx.DecodingError):
        kind = "the body cannot be decoded as its Content-Encoding says"
    else:
        kind = "transport error"
    return f"{kind}: {detail} ({type(exc).__name__})"


def read_capped(response: httpx.Response, timeout: httpx.Timeout, deadline: float) -> tuple[bytes, str | None]:
    """The body up to BODY_CAP_BYTES and within the deadline; what stopped the reading, if anything."""
    chunks: list[bytes] = []
    size = 0
    problem: str | None = None
    try:
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > BODY_CAP_BYTES:
                declared = response.headers.get("content-length")
                problem = (
                    f"answer body larger than the {BODY_CAP_BYTES // 1024} KiB cap"
                    f"{f' (Content-Length: {declared})' if declared else ''}: recorded the first {BODY_CAP_BYTES} bytes, stopped reading"
                )
                break
            if time.perf_counter() > deadline:
                problem = f"answer not complete after {EXCHANGE_DEADLINE_S:.0f} s (the server trickles its body): stopped after {size} bytes"
                break
    except httpx.HTTPError as exc:
        problem = transport_problem(exc, timeout, received=size)
    finally:
        response.close()
    return b"".join(chunks)[:BODY_CAP_BYTES], problem


def learn_secrets(masker: Masker, exchange: Exchange) -> None:
    """Teach the masker the secrets of an answer, also of one cut short (no longer valid JSON)."""
    body = exchange.json()
    if body is not None:
        masker.add_from_json(body)
        return
    text = exchange.response_body[:BODY_CAP_BYTES].decode("utf-8", "replace")
    for match in PARTIAL_SECRET.finditer(text):
        masker.add(match.group(2), match.group(1))


# How many distinct fresh devices refused against the profile make the run stop trusting it.
MISMATCH_DEVICES = 3


def _as_bytes(headers: list[tuple[str, str | bytes]]) -> list[tuple[bytes, bytes]]:
    """Headers as httpx takes a mix of text and raw values: all bytes (text as ASCII, as httpx encodes it)."""
    return [(k.encode("ascii"), v if isinstance(v, bytes) else v.encode("ascii")) for k, v in headers]


class Session:
    def __init__(
        self,
        target: Target,
        *,
        masker: Masker | None = None,
        timeout: httpx.Timeout | None = None,
        paced: bool = True,
        persist_devices: bool = True,
        shared_count: SharedRequestCount | None = None,
        device_offset: int = 0,
        budget_of: Session | None = None,
    ) -> None:
        self.target = target
        # A detached view of a run's session (checks/throttle_lab.py) spends that session's budget: one run, one budget.
        self.budget_holder: Session = budget_of or self
        self.masker = masker or Masker()
        self.masker.add_target(target)
        self.http = httpx.Client(
            timeout=timeout or default_timeout(),
            follow_redirects=False,
            verify=target.tls.httpx_verify(),
        )
        # httpx sends Accept: */* and its own User-Agent by default; a check decides for itself whether to send
        # either (DcrClient adds USER_AGENT per request, so that a check can leave it out).
        for name in ("accept", "user-agent"):
            self.http.headers.pop(name, None)
        self.pacer = Pacer(target.throttle) if paced else None
        self.listeners: list[Callable[[Exchange], None]] = []
        self.sent = 0
        self.unexpected_429 = 0
        self._lock = threading.Lock()
        # persist_devices=False for a server that forgets devices between runs (the embedded reference);
        # then each worker of a concurrent run starts at its own device_offset, so no two checks share a device.
        self.devices = DeviceAllocator(target.base_url, persist=persist_devices, start=device_offset)
        self.shared_count = shared_count  # a concurrent run's request count (budget.max_requests across workers)
        # Set once the observed throttle contradicts the profile (see _unexpected_429): a run-level note.
        self.throttle_mismatch: str | None = None
        self._refused_devices: list[str] = []

    def new_device(self) -> str:
        """A fresh device identity (THR-1), never used against this target before (http/devices.py)."""
        return self.devices.new_device()

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
        headers: Iterable[tuple[str, str | bytes]],
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

        A server stricter than its profile (one allowance shared by all devices) refuses every
        check, and waiting each 429 out would take minutes. Once MISMATCH_DEVICES
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
                    f"checks that meet a 429 are blocked instead of waiting it out"
                )

    def _send_once(
        self, method: str, url: str, headers: list[tuple[str, str | bytes]], content: bytes, device: str | None
    ) -> Exchange:
        self.budget_holder._spend_budget()
        request = self.http.build_request(method, url, headers=_as_bytes(headers), content=content)
        exchange = Exchange(
            method=method,
            url=url,
            request_headers=[
                (k, v) for k, v in request.headers.multi_items() if k.lower() != "content-length" or content
            ],
            request_body=content,
            device=device,
            started_at=time.time(),
        )
        start = time.perf_counter()
        try:
            response = self.http.send(request, stream=True)
        except httpx.HTTPError as exc:
            exchange.error = transport_problem(exc, self.http.timeout)
        else:
            exchange.status = response.status_code
            exchange.response_headers = list(response.headers.multi_items())
            exchange.response_body, exchange.error = read_capped(
                response, self.http.timeout, start + EXCHANGE_DEADLINE_S
            )
        exchange.elapsed = time.perf_counter() - start
        learn_secrets(self.masker, exchange)
        return exchange

    def _announce(self, exchange: Exchange) -> None:
        for listener in list(self.listeners):
            listener(exchange)

    def close(self) -> None:
        self.http.close()
