"""Throttling scenarios run side by side, their timelines kept for the checks to judge.

Each throttling scenario has fresh devices of its own, so scenarios are independent and
their waiting can overlap: a `Lab` runs them in a thread pool and each check
judges its scenario's recorded timeline. Lab threads record nothing as evidence (checks do,
on their own thread) and send through a detached session: the recorder files exchanges on
whichever check is current, so each check files its scenario's exchanges itself.

A probe is a request the server serves when it is within the allowance (the protected API
with a valid token, else a token request with valid credentials, else a valid registration:
whichever the baseline shows to be served alike when repeated), so that its answer is
unambiguous: "served" is the probe's normal answer, learnt
from a baseline request, "throttled" is 429, and anything else is neither (a 403, a 503,
a 401 for a valid token): never counted as served (THR-1/4/5), never as a 429 (THR-3).

Timing: offsets are seconds since the device's first send; the server saw request i
somewhere in [sent_i - rtt_0, sent_i + rtt_i] after request 0 (`Timeline.arrival`), and
judges use those bounds, never the planned offsets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TypeVar

from ..contract.throttle_model import windows_between
from ..errors import Confounded, PoorTiming, Unjudgeable
from ..http import DcrClient, Exchange
from ..http.client import Credentials, PreconditionFailed
from ..http.pacing import AFTER_429_WAIT_S
from ..http.session import Session
from .controls import MADE_UP_CLIENT_ID, MADE_UP_SECRET

T = TypeVar("T")
L = TypeVar("L")
R = TypeVar("R")  # what a scenario hands its check (dcr_harness/checks/scenario_results.py)
SERVED, THROTTLED, OTHER = "served", "429", "other"
# A token may expire mid-scenario when it lives shorter than this: probe the token endpoint instead.
API_PROBE_MIN_TTL_S = 60
# The baseline waits out a 429 (CLI-5) this many times: a throttle stricter than the profile has
# often spent the allowance just before, and the throttling checks are the ones that diagnose it.
BASELINE_ATTEMPTS = 4
# A scenario left unjudged for timing (a loaded machine) is run again, each time with fresh devices,
# before the run reports it unjudged: up to RETRIES more times, none started later than
# RETRY_WITHIN_S after its first attempt (so that a hopeless machine does not hold the run).
RETRIES = 2
RETRY_WITHIN_S = 30.0


@dataclass(frozen=True)
class Probe:
    name: str
    send: Callable[[DcrClient], Exchange]
    normal: int  # the status of this request when it is served


@dataclass
class Shot:
    probe: Probe
    planned: float | None
    sent: float
    rtt: float
    exchange: Exchange
    device: str

    @property
    def outcome(self) -> str:
        status = self.exchange.status
        return THROTTLED if status == 429 else SERVED if status == self.probe.normal else OTHER

    @property
    def served(self) -> bool:
        return self.outcome == SERVED

    def describe(self) -> str:
        plan = (
            ""
            if self.planned is None
            else f" (planned +{self.planned:.3f} s, timing error {(self.sent - self.planned) * 1000:+.1f} ms)"
        )
        return f"{self.device} {self.probe.name} sent +{self.sent:.3f} s{plan}, round trip {self.rtt * 1000:.1f} ms -> {self.exchange.status}"


@dataclass
class Timeline:
    """One fresh device and every request it sent, in order."""

    client: DcrClient
    probe_kind: Probe
    shots: list[Shot] = field(default_factory=list)
    t0: float | None = None

    @property
    def device(self) -> str:
        return self.client.device

    def probe(self, planned: float | None = None, kind: Probe | None = None, client: DcrClient | None = None) -> Shot:
        """One request at the planned offset (or now); `client` sends as another device on this clock."""
        if planned is not None and self.t0 is not None:
            # Pacing, not polling: wait until the planned send time, then send once.
            time.sleep(max(0.0, self.t0 + planned - time.monotonic()))
        kind = kind or self.probe_kind
        start = time.monotonic()
        if self.t0 is None:
            self.t0 = start
        client = client or self.client
        ex = kind.send(client)
        shot = Shot(kind, planned, start - self.t0, time.monotonic() - start, ex, client.device)
        ex.note = f"throttle probe ({client.device}): {shot.describe()}"
        self.shots.append(shot)
        if ex.error is not None:
            raise Unjudgeable(f"no HTTP answer while probing the throttle: {ex.error}")
        return shot

    def until_refused(self, limit: int, kind: Probe | None = None) -> list[Shot]:
        """Back-to-back probes until the first one not served (at most `limit`)."""
        out: list[Shot] = []
        for _ in range(limit):
            out.append(self.probe(kind=kind))
            if not out[-1].served:
                break
        return out

    def arrival(self, shot: Shot) -> tuple[float, float]:
        if shot is self.shots[0]:
            return (0.0, 0.0)
        return shot.sent - self.shots[0].rtt, shot.sent + shot.rtt

    def in_window(self, shot: Shot, window: int, seconds: float = 1.0) -> bool:
        """Whether the server certainly saw shot within window `window` of this device."""
        return list(windows_between(*self.arrival(shot), seconds)) == [window]

    def last_429_before(self, shot: Shot) -> Shot | None:
        earlier = self.shots[: self.shots.index(shot)]
        return next((s for s in reversed(earlier) if s.outcome == THROTTLED), None)

    def table(self) -> str:
        """Each request's send offset and answer, grouped by device and endpoint: short enough to read
        in a report line (each exchange's note keeps its planned time, timing error and round trip)."""
        groups: list[tuple[str, list[str]]] = []
        for shot in self.shots:
            who = f"{shot.device} {shot.probe.name}"
            if not groups or groups[-1][0] != who:
                groups.append((who, []))
            groups[-1][1].append(f"+{shot.sent:.3f} {shot.exchange.status}")
        return "(sent at +s, status) " + "; ".join(f"{who}: {', '.join(sent)}" for who, sent in groups)

    def exchanges(self) -> list[Exchange]:
        return [s.exchange for s in self.shots]


def detached_session(session: Session) -> Session:
    """The run's target, masker, device cursor and budget, without the recorder's listener and unpaced."""
    quiet = Session(session.target, masker=session.masker, paced=False, budget_of=session)
    quiet.devices = session.devices
    return quiet


def _answered(ex: Exchange) -> Exchange:
    """The exchange, or PreconditionFailed when it is no answer to measure from (none, a 5xx, a 429)."""
    if ex.status is None or ex.status >= 500 or ex.status == 429:
        raise PreconditionFailed("the valid registration got no answer to measure the throttle from", ex)
    return ex


def _credentials(client: DcrClient, registration: Exchange) -> Credentials:
    body = registration.json()
    if (
        registration.status not in (200, 201)
        or not isinstance(body, dict)
        or not {"client_id", "client_secret"} <= body.keys()
    ):
        raise PreconditionFailed("registration refused", registration)
    return Credentials(str(body["client_id"]), client.session.masker.secret(str(body["client_secret"])), registration)


class FirstRequestRefused(PreconditionFailed):
    """Devices that had sent nothing yet were answered 429 at their first request, every time the baseline
    tried: no probe could be learnt, and that itself shows an allowance that is not per device (THR-1, THR-5)."""


def _waiting_out_429(step: Callable[[], T]) -> T:
    """step() sends from a fresh device each time: a 429 is a device's first request refused."""
    for attempt in range(1, BASELINE_ATTEMPTS + 1):
        try:
            return step()
        except PreconditionFailed as exc:
            if exc.exchange.status != 429:
                raise
            if attempt == BASELINE_ATTEMPTS:
                raise FirstRequestRefused(
                    f"{BASELINE_ATTEMPTS} devices that had sent nothing yet were answered 429 at "
                    f"their first request, {AFTER_429_WAIT_S} s apart",
                    exc.exchange,
                ) from None
            time.sleep(AFTER_429_WAIT_S)
    raise AssertionError("unreachable")


def retrying(run: Callable[[L], T], lab: L) -> T:
    """run(lab), run again (fresh devices: every scenario asks for its own) while timing leaves it
    unjudged, within RETRIES and RETRY_WITHIN_S; the last PoorTiming names every attempt."""
    started, void = time.monotonic(), []
    for attempt in range(1, RETRIES + 2):
        try:
            return run(lab)
        except PoorTiming as exc:
            void.append(f"attempt {attempt}: {exc}")
            if time.monotonic() - started > RETRY_WITHIN_S:
                break
    tries = f"{len(void)} attempts, each with fresh devices" if len(void) > 1 else "1 attempt (no time left to retry)"
    raise PoorTiming(f"timing: still unjudgeable after {tries} ({' | '.join(void)})")


class Lab:
    """The run's throttling scenarios: started once, in threads; each check asks for its result."""

    def __init__(self, session: Session) -> None:
        self.session = detached_session(session)
        self.target = session.target
        self.baseline: list[Exchange] = []
        try:
            self.probes = self._learn_probes()
        except BaseException:
            self.session.close()
            raise
        self.default_probe = next(self.probes[n] for n in ("api", "token", "register") if n in self.probes)
        # The endpoint the per-device scenarios measure on: one the throttle was seen to refuse (set_default).
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="throttle-lab")
        self._futures: dict[str, Future] = {}

    def _learn_probes(self) -> dict[str, Probe]:
        """Requests the target answers alike when repeated, and their normal answers, refusals included.

        From one baseline device, well within its burst. With working credentials the probes are
        valid requests (a token request counts only when the same credentials get a token again:
        a server that does not refresh breaks TOK-OK-3, not the throttle; the API only when the
        token outlives a scenario). When registration is refused, the throttle is still measured:
        the refused registration, a token request with made-up credentials and the API
        without a token are answered the same way each time, and 429 stands out from that answer.
        """
        # Each baseline request from a fresh device: a throttle without a burst refuses a device's second request.
        fresh = lambda: DcrClient(self.session)  # noqa: E731
        registration = _waiting_out_429(lambda: _answered(fresh().register()))
        self.baseline.append(registration)
        probes = {"register": Probe("register", lambda c: c.register(), registration.status or 201)}
        try:
            creds = _credentials(fresh(), registration)
        except PreconditionFailed:
            creds = None
        if creds is not None:
            token, token_ex = _waiting_out_429(lambda: fresh().token_ok(creds))
            self.baseline.append(token_ex)
            candidates = [
                Probe("token", lambda c: c.token(creds.client_id, creds.client_secret), token_ex.status or 201)
            ]
            ttl = self.target.token_ttl_seconds or (token_ex.json() or {}).get("expires_in")
            if self.target.protected_api is not None and (
                not isinstance(ttl, (int, float)) or ttl >= API_PROBE_MIN_TTL_S
            ):
                candidates.append(Probe("api", lambda c: c.call_api(token), 0))  # 0: its normal answer is learnt here
            served_only = True
        else:
            candidates = [Probe("token", lambda c: c.token(MADE_UP_CLIENT_ID, MADE_UP_SECRET), 0)]
            if self.target.protected_api is not None:
                candidates.append(Probe("api", lambda c: c.call_api(None), 0))
            served_only = False
        for probe in candidates:
            ex = probe.send(fresh())
            self.baseline.append(ex)
            again = probe.send(fresh()) if probe.normal == 0 and not served_only else ex
            if again is not ex:
                self.baseline.append(again)
            status = ex.status
            alike = status is not None and status == again.status and status != 429 and status < 500
            if (
                alike
                and status is not None
                and (not served_only or 200 <= status < 300)
                and probe.normal in (0, status)
            ):
                probes[probe.name] = replace(probe, normal=status)
        self.refused_probes = creds is None
        for ex in self.baseline:
            ex.note = "throttle baseline: which requests are answered alike when repeated (the probes' normal answers)"
        return probes

    def device(self, address: str | None = None, kind: Probe | None = None) -> Timeline:
        return Timeline(DcrClient(self.session, address, paced=False), kind or self.default_probe)

    def kinds(self) -> list[Probe]:
        """Every probe, the default first."""
        return [self.default_probe] + [p for n, p in self.probes.items() if p is not self.default_probe]

    def new_address(self) -> str:
        return self.session.new_device()

    def start(self, scenarios: Iterable[tuple[str, Callable[[Lab], object]]]) -> None:
        for name, run in scenarios:
            if name not in self._futures:
                self._futures[name] = self._pool.submit(retrying, run, self)

    def run_now(self, name: str, run: Callable[[Lab], object]) -> None:
        """Run a scenario on this thread first (a gate that others depend on)."""
        future: Future = Future()
        try:
            future.set_result(retrying(run, self))
        except Exception as exc:  # kept for the check that judges it
            future.set_exception(exc)
        self._futures[name] = future

    def skip(self, name: str, reason: str) -> None:
        future: Future = Future()
        future.set_exception(Confounded(reason))
        self._futures[name] = future

    def result(self, name: str, run: Callable[[Lab], R]) -> R:
        self.start([(name, run)])
        return self._futures[name].result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.session.close()
