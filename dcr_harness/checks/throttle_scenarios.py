"""Throttling scenarios (THR-1..THR-6): what to send, run in the lab's threads; they record, never judge.

Each scenario drives fresh devices, unpaced (the point is to exceed the allowance), and
returns the timelines the checks in conformance/test_throttle_*.py judge. `start` runs them:
first, which endpoints the throttle applies to (each endpoint's share, THR-1), so that the
others measure on an endpoint it refuses; then device isolation (THR-5), alone: the
per-device measurements are only meaningful when devices are isolated, so when a device
that has sent nothing yet is refused, those scenarios are confounded ("not verified", with
the reason) instead of failing on requirements the server may well meet.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..contract.throttle_model import DeviceAllowance, first_inconsistency, windows_between
from .scenario_results import (
    BurstThenIdle,
    BurstThenSustained,
    EndpointShares,
    ForwardedChains,
    OneDeviceThenAnother,
    RefusedThenRecovered,
    ScheduleReplayed,
)
from .throttle_lab import Lab, PoorTiming, Shot, Timeline, Unjudgeable

# THR-6 as documented: (offset in seconds since the device's first request, served?).
THR6_SCHEDULE = [(t, True) for t in (0, 0.3, 0.6, 0.9, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 2.1, 2.2)] + [
    (2.4, False),
    (2.6, False),
    (2.8, False),
    (3.1, True),
]
THR6_PROFILE = (1.0, 10)
ATTEMPTS = 3  # replays with a fresh device when timing made a run unjudgeable
AFTER_429_S = 1.0 + 0.02  # THR-4: "at least one second after a 429"
IDLE_WINDOWS = 3  # test_burst_is_one_time: how long the device idles before asking again
SUSTAINED_WINDOWS = 4


# Scenarios: what to send (run in lab threads; they record, never judge) --------------------


def _model(lab: Lab) -> DeviceAllowance:
    return DeviceAllowance(lab.target.throttle.rate_per_s, lab.target.throttle.burst)


def _burst_limit(lab: Lab) -> int:
    model = _model(lab)
    return model.per_window + model.burst + 3


def refused_or_why(model: DeviceAllowance, tl: Timeline, shots: list[Shot], who: str = "") -> None:
    """More than the whole allowance was sent back-to-back: a refusal must have come. When none did, it
    says the throttle is missing only if every request certainly fell in one window; requests spread
    over several windows (a loaded machine) may all be within the rate, so that is timing."""
    if not shots[-1].served:
        return
    if tl.in_window(shots[-1], 0, model.window_seconds):
        raise Unjudgeable(f"{who}no refusal after {len(shots)} back-to-back requests (THR-3 reports this)")
    raise PoorTiming(f"timing: {who}{len(shots)} back-to-back requests were not certainly within one throttle window")


def _rapid_in_first_window(lab: Lab) -> tuple[Timeline, list[Shot]]:
    """A fresh device probing back-to-back until refused, every request certainly in its first window."""
    for _ in range(ATTEMPTS):
        tl = lab.device()
        shots = tl.until_refused(_burst_limit(lab))
        if tl.in_window(shots[-1], 0, _model(lab).window_seconds):
            return tl, shots
    raise PoorTiming(f"timing: could not send {_burst_limit(lab)} requests certainly within one throttle window")


def replay_schedule(lab: Lab) -> ScheduleReplayed:
    """THR-6's documented schedule on a fresh device; replayed while a boundary blurs an arrival."""
    profile = lab.target.throttle
    if (profile.rate_per_s, profile.burst) != THR6_PROFILE:
        raise Unjudgeable(
            f"THR-6 documents the default profile (1/s, burst 10); the target declares "
            f"{profile.rate_per_s}/s, burst {profile.burst}"
        )
    void: list[str] = []
    for attempt in range(1, ATTEMPTS + 1):
        tl = lab.device()
        for planned, _ in THR6_SCHEDULE:
            tl.probe(planned)
        blurred = [s for s in tl.shots if len(windows_between(*tl.arrival(s))) > 1]
        inconsistent = first_inconsistency(
            [tl.arrival(s) for s in tl.shots], [s.served for s in tl.shots], *THR6_PROFILE
        )
        if not blurred or inconsistent is not None:
            return ScheduleReplayed(tl, void)
        void.append(f"attempt {attempt}: {len(blurred)} arrivals straddle a window boundary ({blurred[0].describe()})")
    raise PoorTiming("timing too poor to judge THR-6 in {} attempts: {}".format(ATTEMPTS, " | ".join(void)))


def burst_then_sustained(lab: Lab) -> BurstThenSustained:
    tl, burst = _rapid_in_first_window(lab)
    if burst[-1].served:
        return BurstThenSustained(tl, burst)
    model = _model(lab)
    per, window = model.per_window + 3, model.window_seconds
    # From window 2: every over-rate request then comes over a second after the burst's 429, so a
    # refusal of a window's first request is attributable (THR-4, not the rate) whatever the burst took.
    for w in range(2, SUSTAINED_WINDOWS + 2):
        for k in range(per):
            tl.probe(w * window + (k + 0.5) * window / per)
    return BurstThenSustained(tl, burst)


def refuse_then_recover(lab: Lab) -> RefusedThenRecovered:
    tl = lab.device()
    refused_or_why(_model(lab), tl, tl.until_refused(_burst_limit(lab)))
    recoveries = []
    for cycle in (1, 2):
        refused = tl.shots[-1]
        recoveries.append(tl.probe(refused.sent + refused.rtt + AFTER_429_S))
        if cycle == 1 and tl.until_refused(_model(lab).per_window + 2)[-1].served:
            break  # not refused again: the second cycle cannot happen
    return RefusedThenRecovered(tl, recoveries)


def throttle_one_device_then_another(lab: Lab) -> OneDeviceThenAnother:
    a = lab.device()
    refused_or_why(_model(lab), a, a.until_refused(_burst_limit(lab)), who="device A: ")
    b = lab.device()
    b.probe()  # THR-5 is about this one: a device that has sent nothing yet (its own allowance is THR-2's)
    return OneDeviceThenAnother(throttled=a, fresh=b)


def forwarded_chains(lab: Lab) -> ForwardedChains:
    """C ("X, 10.0.0.1") spends its allowance; E ("X, 10.0.0.2") must share it, D ("Y, 10.0.0.1") must not."""
    first, other = lab.new_address(), lab.new_address()
    for _ in range(ATTEMPTS):
        c = lab.device(f"{first}, 10.0.0.1")
        refused_or_why(_model(lab), c, c.until_refused(_burst_limit(lab)))
        same_first = c.probe(client=lab.device(f"{first}, 10.0.0.2").client)
        other_first = c.probe(client=lab.device(f"{other}, 10.0.0.1").client)
        if c.in_window(same_first, 0, _model(lab).window_seconds):
            return ForwardedChains(c, same_first, other_first)
        first, other = lab.new_address(), lab.new_address()
    raise PoorTiming("timing: the shared-first-address request never certainly reached the first window")


def endpoint_shares(lab: Lab) -> EndpointShares:
    """Each endpoint's share of the device's allowance (THR-1): a fresh device probes one endpoint
    back-to-back until refused, then asks every other endpoint once, certainly in the same window.
    An endpoint that is never refused is tried next from its own fresh device; the first endpoint
    refused becomes the lab's default probe, so that the other scenarios measure on an endpoint the
    throttle applies to. The result names what was never refused."""
    unrefused: list[Timeline] = []
    refused = False
    for kind in lab.kinds():
        for _ in range(ATTEMPTS):
            tl = lab.device(kind=kind)
            spent = tl.until_refused(_burst_limit(lab))
            if spent[-1].served:
                if tl.in_window(spent[-1], 0, _model(lab).window_seconds):
                    unrefused.append(tl)  # more than the whole allowance, certainly in one window, never refused
                    break
                continue  # too slow to tell a missing throttle from a window boundary: another device
            if not refused:
                lab.default_probe, refused = kind, True
            after = [tl.probe(kind=k) for k in lab.kinds() if k is not kind]
            if all(tl.in_window(s, 0, _model(lab).window_seconds) for s in after):
                return EndpointShares(tl, spent, after, unrefused)
    if refused or len(unrefused) < len(lab.probes):
        raise PoorTiming("timing: no endpoint's probes certainly fitted into one throttle window")
    raise Unjudgeable(NO_THROTTLE.format(n=_burst_limit(lab), kinds=", ".join(t.probe_kind.name for t in unrefused)))


NO_THROTTLE = (
    "no throttle observed at all: {n} back-to-back requests from one device were all served, on each of {kinds}"
)


def burst_then_idle(lab: Lab) -> BurstThenIdle:
    model = _model(lab)
    for _ in range(ATTEMPTS):
        tl, burst = _rapid_in_first_window(lab)
        if burst[-1].served:
            raise Unjudgeable(f"no refusal after {len(burst)} requests (THR-3 reports this)")
        start = (IDLE_WINDOWS + 0.15) * model.window_seconds
        later = [tl.probe(start if i == 0 else None) for i in range(model.per_window + 3)]
        if all(tl.in_window(s, IDLE_WINDOWS, model.window_seconds) for s in later):
            return BurstThenIdle(tl, burst, later)
    raise PoorTiming("timing: the second sequence never certainly fitted into one throttle window")


SCENARIOS = {
    "isolation": throttle_one_device_then_another,
    "schedule": replay_schedule,
    "burst": burst_then_sustained,
    "recovery": refuse_then_recover,
    "forwarded": forwarded_chains,
    "endpoints": endpoint_shares,
    "one-time": burst_then_idle,
}
# What a device refused at its very first request breaks, by the scenario that judges it.
FIRST_REQUEST_JUDGES = {"isolation": "THR-5", "forwarded": "THR-1"}
# Scenarios that measure one device's allowance: meaningless when devices share one.
PER_DEVICE = {"schedule", "burst", "recovery", "one-time"}


def start(lab: Lab, wanted: Iterable[str]) -> None:
    """Run the gates on this thread (endpoint shares, then isolation), then start the wanted scenarios side by side."""
    lab.run_now("endpoints", endpoint_shares)  # also makes an endpoint the throttle refused the default probe
    lab.run_now("isolation", throttle_one_device_then_another)
    try:
        isolation = lab.result("isolation", throttle_one_device_then_another)
        first = isolation.fresh.shots[0]
        shared = None if first.served else first
    except Exception:  # kept in the future: the isolation check reports it; the others go on
        shared = None
    wanted = set(wanted)
    for name, run in SCENARIOS.items():
        if shared is not None and name in PER_DEVICE:
            lab.skip(
                name,
                f"devices are not isolated (THR-5 fails: a fresh device was answered "
                f"{shared.exchange.status} at its first request after another was throttled), so one "
                f"device's measurements would count other devices' requests",
            )
        elif name in wanted:
            lab.start([(name, run)])
