"""Section 5: per-device throttling (THR-1 to THR-6).

Each scenario drives fresh devices, unpaced (the point is to exceed the allowance), and
records a timeline; the scenarios run side by side in a thread pool started once for the
module (dcr_harness/throttle_lab.py), and each named check below judges its scenario's
timeline and records the evidence. Device isolation (THR-5) is measured first, alone: the
per-device measurements are only meaningful when devices are isolated, so when they are
not, those checks are blocked ("not verified", with the reason) instead of failing on
requirements the server may well meet.

Outcomes are judged against the contract's model (throttle_model.first_inconsistency) at
the measured arrival times: the server saw request i somewhere in [sent_i - rtt_0,
sent_i + rtt_i] after the first one, and a timeline fails only when no arrival times
within those bounds explain it. Timing too poor to judge leaves the requirement "not
verified" (after a bounded number of replays with fresh devices), never a pass.

With pytest-xdist, each worker that runs a throttling check runs the lab for the checks it
collected (fresh devices each, so still correct); `--dist loadfile` keeps them on one worker.
"""

from __future__ import annotations

import pytest

from dcr_harness import checks, plugin
from dcr_harness.checks import CheckBlocked
from dcr_harness.http.client import PreconditionFailed
from dcr_harness.throttle_lab import (OTHER, SERVED, THROTTLED, Confounded, FirstRequestRefused, Lab, Shot, Timeline,
                                     Unjudgeable)
from dcr_harness.throttle_model import DeviceAllowance, first_inconsistency, windows_between

# THR-6 as documented: (offset in seconds since the device's first request, served?).
THR6_SCHEDULE = [(t, True) for t in (0, 0.3, 0.6, 0.9, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 2.1, 2.2)] + [
    (2.4, False), (2.6, False), (2.8, False), (3.1, True)]
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


def _rapid_in_first_window(lab: Lab) -> tuple[Timeline, list[Shot]]:
    """A fresh device probing back-to-back until refused, every request certainly in its first window."""
    for _ in range(ATTEMPTS):
        tl = lab.device()
        shots = tl.until_refused(_burst_limit(lab))
        if tl.in_window(shots[-1], 0, _model(lab).window_seconds) or (shots[-1].served and _unexplained(lab, tl)):
            return tl, shots  # all served where the model cannot explain it, whatever the windows: no throttle
    raise Unjudgeable(f"timing: could not send {_burst_limit(lab)} requests certainly within one throttle window")


def _unexplained(lab: Lab, tl: Timeline) -> bool:
    profile = lab.target.throttle
    return first_inconsistency([tl.arrival(s) for s in tl.shots], [s.served for s in tl.shots],
                               profile.rate_per_s, profile.burst) is not None


def replay_schedule(lab: Lab) -> tuple[Timeline, list[str]]:
    """THR-6's documented schedule on a fresh device; replayed while a boundary blurs an arrival."""
    profile = lab.target.throttle
    if (profile.rate_per_s, profile.burst) != THR6_PROFILE:
        raise Unjudgeable(f"THR-6 documents the default profile (1/s, burst 10); the target declares "
                          f"{profile.rate_per_s}/s, burst {profile.burst}")
    void = []
    for attempt in range(1, ATTEMPTS + 1):
        tl = lab.device()
        for planned, _ in THR6_SCHEDULE:
            tl.probe(planned)
        blurred = [s for s in tl.shots if len(windows_between(*tl.arrival(s))) > 1]
        inconsistent = first_inconsistency([tl.arrival(s) for s in tl.shots], [s.served for s in tl.shots], *THR6_PROFILE)
        if not blurred or inconsistent is not None:
            return tl, void
        void.append(f"attempt {attempt}: {len(blurred)} arrivals straddle a window boundary ({blurred[0].describe()})")
    raise Unjudgeable("timing too poor to judge THR-6 in {} attempts: {}".format(ATTEMPTS, " | ".join(void)))


def burst_then_sustained(lab: Lab) -> tuple[Timeline, list[Shot]]:
    tl, burst = _rapid_in_first_window(lab)
    if burst[-1].served:
        return tl, burst
    model = _model(lab)
    per, window = model.per_window + 3, model.window_seconds
    # From window 2: every over-rate request then comes over a second after the burst's 429, so a
    # refusal of a window's first request is attributable (THR-4, not the rate) whatever the burst took.
    for w in range(2, SUSTAINED_WINDOWS + 2):
        for k in range(per):
            tl.probe(w * window + (k + 0.5) * window / per)
    return tl, burst


def refuse_then_recover(lab: Lab) -> tuple[Timeline, list[Shot]]:
    tl = lab.device()
    if tl.until_refused(_burst_limit(lab))[-1].served:
        raise Unjudgeable(f"no refusal after {_burst_limit(lab)} back-to-back requests (THR-3 reports this)")
    recoveries = []
    for cycle in (1, 2):
        refused = tl.shots[-1]
        recoveries.append(tl.probe(refused.sent + refused.rtt + AFTER_429_S))
        if cycle == 1 and tl.until_refused(_model(lab).per_window + 2)[-1].served:
            break  # not refused again: the second cycle cannot happen
    return tl, recoveries


def throttle_one_device_then_another(lab: Lab) -> tuple[Timeline, Timeline]:
    a = lab.device()
    if a.until_refused(_burst_limit(lab))[-1].served:
        raise Unjudgeable(f"device A was not refused after {_burst_limit(lab)} requests (THR-3 reports this)")
    b = lab.device()
    b.probe()  # THR-5 is about this one: a device that has sent nothing yet (its own allowance is THR-2's)
    return a, b


def forwarded_chains(lab: Lab) -> tuple[Timeline, Shot, Shot]:
    """C ("X, 10.0.0.1") spends its allowance; E ("X, 10.0.0.2") must share it, D ("Y, 10.0.0.1") must not."""
    first, other = lab.new_address(), lab.new_address()
    for _ in range(ATTEMPTS):
        c = lab.device(f"{first}, 10.0.0.1")
        if c.until_refused(_burst_limit(lab))[-1].served:
            raise Unjudgeable(f"no refusal after {_burst_limit(lab)} back-to-back requests (THR-3 reports this)")
        same_first = c.probe(client=lab.device(f"{first}, 10.0.0.2").client)
        other_first = c.probe(client=lab.device(f"{other}, 10.0.0.1").client)
        if c.in_window(same_first, 0, _model(lab).window_seconds):
            return c, same_first, other_first
        first, other = lab.new_address(), lab.new_address()
    raise Unjudgeable("timing: the shared-first-address request never certainly reached the first window")


def endpoint_shares(lab: Lab) -> tuple[Timeline, list[Shot], list[Shot], list[Timeline]]:
    """Each endpoint's share of the device's allowance (THR-1): a fresh device probes one endpoint
    back-to-back until refused, then asks every other endpoint once, certainly in the same window.
    An endpoint that is never refused is tried next from its own fresh device, so that the lab
    measures the throttle on an endpoint it applies to; the result names what was never refused."""
    unrefused: list[Timeline] = []
    for kind in lab.kinds():
        for _ in range(ATTEMPTS):
            tl = lab.device(kind=kind)
            spent = tl.until_refused(_burst_limit(lab))
            if spent[-1].served:
                unrefused.append(tl)
                break
            after = [tl.probe(kind=k) for k in lab.kinds() if k is not kind]
            if all(tl.in_window(s, 0, _model(lab).window_seconds) for s in after):
                return tl, spent, after, unrefused
        else:
            raise Unjudgeable("timing: could not ask every endpoint within the window of the refusal")
    raise Unjudgeable(NO_THROTTLE.format(n=_burst_limit(lab), kinds=", ".join(t.probe_kind.name for t in unrefused)))


NO_THROTTLE = "no throttle observed at all: {n} back-to-back requests from one device were all served, on each of {kinds}"


def burst_then_idle(lab: Lab) -> tuple[Timeline, list[Shot], list[Shot]]:
    model = _model(lab)
    for _ in range(ATTEMPTS):
        tl, burst = _rapid_in_first_window(lab)
        if burst[-1].served:
            raise Unjudgeable(f"no refusal after {len(burst)} requests (THR-3 reports this)")
        start = (IDLE_WINDOWS + 0.15) * model.window_seconds
        later = [tl.probe(start if i == 0 else None) for i in range(model.per_window + 3)]
        if all(tl.in_window(s, IDLE_WINDOWS, model.window_seconds) for s in later):
            return tl, burst, later
    raise Unjudgeable("timing: the second sequence never certainly fitted into one throttle window")


# The lab: every selected scenario started once, side by side ----------------------------


@pytest.fixture(scope="module")
def lab(request, http_session):
    try:
        lab = Lab(http_session)
    except PreconditionFailed as exc:
        yield exc
        return
    wanted = {SCENARIO_OF[item.name] for item in request.session.items if item.module is request.module and item.name in SCENARIO_OF}
    # First, which endpoints the throttle applies to: the other scenarios measure on one it refused.
    lab.run_now("endpoints", endpoint_shares)
    try:
        tl, *_ = lab.result("endpoints", endpoint_shares)
        lab.default_probe = tl.probe_kind
    except Exception:  # kept in the future: the endpoint check reports it; the others go on
        pass
    lab.run_now("isolation", throttle_one_device_then_another)
    try:
        a, b = lab.result("isolation", throttle_one_device_then_another)
        shared = None if b.shots[0].served else b.shots[0]
    except Exception:  # kept in the future: the isolation check reports it; the others go on
        shared = None
    for name, run in SCENARIOS.items():
        if shared is not None and name in PER_DEVICE:
            lab.skip(name, f"devices are not isolated (THR-5 fails: a fresh device was answered "
                           f"{shared.exchange.status} at its first request after another was throttled), so one "
                           f"device's measurements would count other devices' requests")
        elif name in wanted:
            lab.start([(name, run)])
    yield lab
    lab.close()


@pytest.fixture
def scenario(request, lab):
    """The result of this check's scenario; its exchanges are filed on this check's record."""
    recorder = request.config.stash.get(plugin.RECORDER, None)
    reqs = plugin.requirement_ids(request.node)
    name = SCENARIO_OF[request.node.name]
    if isinstance(lab, FirstRequestRefused) and name in FIRST_REQUEST_JUDGES:
        # Judged where it happens, even while other workers' requests drain an allowance shared by all devices.
        checks.fail(FIRST_REQUEST_JUDGES[name], f"{lab}: the allowance is not per device (one shared by all "
                    f"devices, or devices not told apart by the first {target_header(request)} address)", lab.exchange)
    if isinstance(lab, PreconditionFailed):
        checks.not_verified(reqs, f"blocked: {lab}")
        raise CheckBlocked(f"no throttle probe could be learnt: {lab}", lab.exchange)
    try:
        result = lab.result(name, SCENARIOS[name])
    except Confounded as exc:
        checks.not_verified(reqs, f"blocked: {exc}")
        raise CheckBlocked(str(exc)) from None
    except Unjudgeable as exc:
        checks.not_verified(reqs, str(exc))
        pytest.skip(f"not covered: {exc}")
    if recorder is not None and recorder.current is not None:
        timelines = [r for r in (result if isinstance(result, tuple) else (result,)) if isinstance(r, Timeline)]
        recorder.current.exchanges.extend(lab.baseline + [e for t in timelines for e in t.exchanges()])
    return result


def target_header(request) -> str:
    return request.getfixturevalue("target").throttle.device_header


@pytest.fixture
def note(request):
    """Put a summary on the check's record (shown for passed checks too)."""

    def _note(text: str) -> None:
        recorder = request.config.stash.get(plugin.RECORDER, None)
        if recorder is not None and recorder.current is not None:
            recorder.current.message = text
        print(text)

    return _note


# Judging helpers ---------------------------------------------------------------------


def _refusals_are_429(shots: list[Shot]) -> None:
    """THR-3: a request over the limit gets 429; any other refusal of a valid probe breaks it."""
    other = [s for s in shots if s.outcome == OTHER]
    if other:
        more = f"; {len(other) - 1} more like it" if len(other) > 1 else ""
        checks.breach("THR-3", f"a request over the limit was answered {other[0].exchange.status}, not 429 "
                      f"Too Many Requests ({other[0].describe()}){more}", other[0].exchange)
    for s in shots:
        if s.outcome == THROTTLED:
            checks.held("THR-3", f"over the limit: 429 ({s.describe()})")


def _inconsistency_requirement(tl: Timeline, shot: Shot, otherwise: str) -> str:
    """A refusal sent at least one second after the last 429 breaks THR-4; anything else `otherwise`."""
    last = tl.last_429_before(shot)
    if not shot.served and last is not None and shot.sent >= last.sent + last.rtt + AFTER_429_S:
        return "THR-4"
    return otherwise


def _judge_timeline(tl: Timeline, lab_target, requirement: str, what: str) -> bool:
    """The whole timeline against the contract's model at the measured arrival times."""
    profile = lab_target.throttle
    bad = first_inconsistency([tl.arrival(s) for s in tl.shots], [s.served for s in tl.shots],
                              profile.rate_per_s, profile.burst)
    if bad is None:
        checks.held(requirement, what)
        return True
    shot = tl.shots[bad]
    lo, hi = tl.arrival(shot)
    req = _inconsistency_requirement(tl, shot, requirement)
    checks.breach(req, f"request {bad + 1} ({shot.describe()}) was {'served' if shot.served else 'refused'}, which "
                  f"no arrival time within [{lo:.3f}, {hi:.3f}] s explains under {profile.rate_per_s}/s and a "
                  f"one-time burst of {profile.burst}. Timeline: {tl.table()}", shot.exchange)
    return False


def _timing(tl: Timeline) -> str:
    errors = [abs(s.sent - s.planned) for s in tl.shots if s.planned is not None]
    rtts = [s.rtt for s in tl.shots]
    err = f"timing error max {max(errors) * 1000:.1f} ms (mean {sum(errors) / len(errors) * 1000:.1f} ms), " if errors else ""
    return f"{len(tl.shots)} requests, {err}round trip max {max(rtts) * 1000:.1f} ms"


# Checks ----------------------------------------------------------------------------------


@pytest.mark.req("THR-6", "THR-3")
def test_documented_schedule_is_replayed(target, scenario, note):
    """The documented THR-6 schedule, replayed for a fresh device, outcome by outcome"""
    tl, void = scenario
    _judge_timeline(tl, target, "THR-6", "the 17 outcomes match the documented schedule at the measured arrival times")
    _refusals_are_429(tl.shots)
    note(f"THR-6 replay: {_timing(tl)}; tolerance per request = measured send offset +/- its round trip"
         + (f"; earlier attempts void: {' | '.join(void)}" if void else "") + f". Timeline: {tl.table()}")


@pytest.mark.req("THR-2", "THR-3")
def test_burst_size_and_sustained_rate(target, scenario, note):
    """Burst size and sustained rate, measured, match the target's throttle profile"""
    tl, burst = scenario
    model = DeviceAllowance(target.throttle.rate_per_s, target.throttle.burst)
    if burst[-1].served:
        checks.not_verified("THR-2", "no request was ever refused")
        checks.fail("THR-3", f"{len(burst)} back-to-back requests within one window were all served; the profile "
                    f"allows {model.per_window + model.burst}: no throttle observed at all on {tl.probe_kind.name}",
                    burst[-1].exchange)
    measured = len(burst) - 1 - model.per_window
    checks.expect(measured == model.burst, "THR-2", f"burst measured {measured} (served {len(burst) - 1} in the first "
                  f"window), the target declares {model.burst} plus {model.per_window} per window", burst[-1].exchange,
                  what=f"burst measured {measured}, as declared")
    steady = tl.shots[len(burst):]
    _refusals_are_429([burst[-1]] + [s for s in steady if s.outcome == OTHER])
    served = sum(s.served for s in steady)
    _judge_timeline(tl, target, "THR-2", f"sustained rate: {served} of {len(steady)} over-rate requests served in "
                    f"{SUSTAINED_WINDOWS} windows, as the declared rate allows")
    note(f"burst measured {measured} (declared {model.burst}); sustained: {served} of {len(steady)} served over "
         f"{SUSTAINED_WINDOWS} windows (declared {target.throttle.rate_per_s}/s); {_timing(tl)}")


@pytest.mark.req("THR-4", "THR-3")
def test_recovery_one_second_after_429(scenario, note):
    """A request sent one second after a 429 is served, twice in a row"""
    tl, recoveries = scenario
    lines = []
    _refusals_are_429([tl.shots[tl.shots.index(after) - 1] for after in recoveries])
    for after in recoveries:
        refused = tl.shots[tl.shots.index(after) - 1]
        gap = after.sent - (refused.sent + refused.rtt)
        lines.append(f"refusal ({refused.exchange.status}) received, next sent {gap:.3f} s later -> {after.exchange.status}")
        checks.expect(after.served, "THR-4", f"a request sent {gap:.3f} s after a refusal was answered "
                      f"{after.exchange.status}, not served: the throttle must lift within one second", after.exchange,
                      what=f"served {gap:.3f} s after a 429")
    if len(recoveries) < 2:
        checks.not_verified("THR-4", "the device was not refused again after recovering: one cycle only")
    note("; ".join(lines))


@pytest.mark.req("THR-5", "THR-3")
def test_device_isolation(scenario, note):
    """Throttling device A leaves device B untouched: B's first request is served"""
    a, b = scenario
    _refusals_are_429(a.shots[-1:])
    first = b.shots[0]
    if first.outcome == OTHER:
        checks.not_verified("THR-5", f"device B's first request was answered {first.exchange.status}, neither its "
                            f"normal answer nor 429 ({first.describe()})")
    else:
        checks.expect(first.served, "THR-5", f"device B ({b.device}) had sent nothing yet and was answered "
                      f"{first.exchange.status} after device A ({a.device}) was throttled: the allowance is not "
                      f"per device", first.exchange, what="a device that had sent nothing was served while another was throttled")
    note(f"A ({a.device}) refused after {len(a.shots)} requests; B ({b.device}), fresh, -> {first.exchange.status}")


@pytest.mark.req("THR-1")
def test_first_forwarded_address_identifies_device(target, scenario, note):
    """The first X-Forwarded-For address is the device: later addresses neither split nor merge devices"""
    c, same_first, other_first = scenario
    header = target.throttle.device_header
    if same_first.outcome == OTHER:
        _refusals_are_429([same_first])
    else:
        checks.expect(same_first.outcome == THROTTLED, "THR-1", f"{header}: {same_first.device!r} was served right "
                      f"after {c.device!r} was refused in the same window: the device is not identified by the first "
                      f"address alone", same_first.exchange, what="a chain differing only after the first address shared its allowance")
    checks.expect(other_first.served, "THR-1", f"{header}: {other_first.device!r} (another first address) was answered "
                  f"{other_first.exchange.status} after {c.device!r} was throttled: the first address does not "
                  f"identify the device", other_first.exchange, what="a chain with another first address got its own allowance")
    note(f"{c.device!r} refused after {len(c.shots) - 2} requests; {same_first.device!r} -> "
         f"{same_first.exchange.status}; {other_first.device!r} -> {other_first.exchange.status}")


@pytest.mark.req("THR-1")
def test_one_allowance_shared_by_endpoints(scenario, note):
    """Register, token and the protected API draw on one allowance per device: each is refused once it is spent"""
    tl, spent, after, unrefused = scenario
    kind = tl.probe_kind.name
    for other in unrefused:
        checks.breach("THR-1", f"{other.probe_kind.name}: {len(other.shots)} back-to-back requests from one device "
                      f"were all served, while {kind} was refused after {len(spent) - 1}: {other.probe_kind.name} is "
                      f"outside the shared allowance", other.shots[-1].exchange)
    for s in after:
        checks.expect(s.outcome != SERVED, "THR-1", f"once {kind} had spent the device's allowance ({len(spent) - 1} "
                      f"served, then {spent[-1].exchange.status}), {s.probe.name} was still served in the same window: "
                      f"it is outside the shared allowance", s.exchange, what=f"{s.probe.name} refused once {kind} spent the allowance")
    _refusals_are_429([spent[-1], *after])
    note(f"{kind}: {len(spent) - 1} served, then {spent[-1].exchange.status}; then "
         + ", ".join(f"{s.probe.name} -> {s.exchange.status}" for s in after)
         + "".join(f"; {t.probe_kind.name}: never refused in {len(t.shots)}" for t in unrefused))


@pytest.mark.req("THR-6", "THR-2")
def test_burst_is_one_time(target, scenario, note):
    """After the burst is spent and the device idles, only the rate allowance comes back"""
    tl, burst, later = scenario
    per_window = DeviceAllowance(target.throttle.rate_per_s, target.throttle.burst).per_window
    served = sum(s.served for s in later)
    if served > per_window:
        checks.breach(("THR-6", "THR-2"), f"after idling {IDLE_WINDOWS} windows the device was served {served} of "
                      f"{len(later)} requests certainly within one window; only the rate allowance ({per_window}) "
                      f"may come back: the burst refilled", [s for s in later if s.served][per_window].exchange)
    elif served < per_window:
        first = later[0]
        checks.breach(_inconsistency_requirement(tl, first, "THR-2"), f"after idling {IDLE_WINDOWS} windows the device "
                      f"was refused its rate allowance ({first.describe()})", first.exchange)
    else:
        checks.held(("THR-6", "THR-2"), f"after idling, {served} of {len(later)} served: the burst did not refill")
    note(f"burst spent after {len(burst) - 1} served; after {IDLE_WINDOWS} idle windows {served} of {len(later)} "
         f"requests served (rate allowance {per_window}); {_timing(tl)}")


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
SCENARIO_OF = {
    test_documented_schedule_is_replayed.__name__: "schedule",
    test_burst_size_and_sustained_rate.__name__: "burst",
    test_recovery_one_second_after_429.__name__: "recovery",
    test_device_isolation.__name__: "isolation",
    test_first_forwarded_address_identifies_device.__name__: "forwarded",
    test_one_allowance_shared_by_endpoints.__name__: "endpoints",
    test_burst_is_one_time.__name__: "one-time",
}
