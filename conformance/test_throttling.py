"""Section 5: per-device throttling (THR-1 to THR-6).

Each scenario drives fresh devices, unpaced (the point is to exceed the allowance), and
records a timeline; the scenarios run side by side in a thread pool started once for the
module (dcr_harness/checks/throttle_lab.py), and each named check below judges its scenario's
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

from dcr_harness import checks
from dcr_harness.engine import plugin
from dcr_harness.checks import CheckBlocked
from dcr_harness.http.client import PreconditionFailed
from dcr_harness.checks.throttle_lab import OTHER, SERVED, THROTTLED, Confounded, Lab, Shot, Timeline, Unjudgeable
from dcr_harness.contract.throttle_model import DeviceAllowance, first_inconsistency, windows_between

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
        if tl.in_window(shots[-1], 0, _model(lab).window_seconds):
            return tl, shots
    raise Unjudgeable(f"timing: could not send {_burst_limit(lab)} requests certainly within one throttle window")


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
    model = _model(lab)
    for _ in range(model.per_window + model.burst):
        b.probe()  # spilling into B's next window only gains allowance: no timing caveat here
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


def mixed_endpoints(lab: Lab) -> tuple[Timeline, list[Shot], list[Shot]]:
    kinds = [lab.probes[n] for n in ("register", "token", "api") if n in lab.probes]
    model = _model(lab)
    allowance = model.per_window + model.burst
    for _ in range(ATTEMPTS):
        tl = lab.device()
        spent = [tl.probe(kind=kinds[i % len(kinds)]) for i in range(allowance)]
        after = [tl.probe(kind=k) for k in kinds]
        if all(tl.in_window(s, 0, model.window_seconds) for s in after):
            return tl, spent, after
    raise Unjudgeable("timing: could not fit the mixed sequence into one throttle window")


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
    lab.run_now("isolation", throttle_one_device_then_another)
    try:
        a, b = lab.result("isolation", throttle_one_device_then_another)
        shared = next((s for s in b.shots if not s.served), None)
    except Exception:  # kept in the future: the isolation check reports it; the others go on
        shared = None
    for name, run in SCENARIOS.items():
        if shared is not None and name in PER_DEVICE:
            lab.skip(name, f"devices are not isolated (THR-5 fails: a fresh device was answered "
                           f"{shared.exchange.status} after another was throttled), so one device's measurements "
                           f"would count other devices' requests")
        elif name in wanted:
            lab.start([(name, run)])
    yield lab
    lab.close()


@pytest.fixture
def scenario(request, lab, check_record):
    """The result of this check's scenario; its exchanges are filed on this check's record."""
    reqs = plugin.requirement_ids(request.node)
    if isinstance(lab, PreconditionFailed):
        checks.not_verified(reqs, f"blocked: {lab}")
        raise CheckBlocked(f"the throttle probes need a working registration and token: {lab}", lab.exchange)
    name = SCENARIO_OF[request.node.name]
    try:
        result = lab.result(name, SCENARIOS[name])
    except Confounded as exc:
        checks.not_verified(reqs, f"blocked: {exc}")
        raise CheckBlocked(str(exc)) from None
    except Unjudgeable as exc:
        checks.not_verified(reqs, str(exc))
        pytest.skip(f"not covered: {exc}")
    if check_record is not None:
        timelines = [r for r in (result if isinstance(result, tuple) else (result,)) if isinstance(r, Timeline)]
        check_record.exchanges.extend(lab.baseline + [e for t in timelines for e in t.exchanges()])
    return result


@pytest.fixture
def note(check_record):
    """Put a summary on the check's record (shown for passed checks too)."""

    def _note(text: str) -> None:
        if check_record is not None:
            check_record.message = text
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
    matched = _judge_timeline(tl, target, "THR-6", "the 17 outcomes match the documented schedule at the measured arrival times")
    if matched:
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
                    f"allows {model.per_window + model.burst} (no throttling?)", burst[-1].exchange)
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


@pytest.mark.req("THR-4")
def test_recovery_one_second_after_429(scenario, note):
    """A request sent one second after a 429 is served, twice in a row"""
    tl, recoveries = scenario
    lines = []
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


@pytest.mark.req("THR-5")
def test_device_isolation(scenario, note):
    """Throttling device A leaves device B untouched: B gets its whole allowance"""
    a, b = scenario
    refused = next((s for s in b.shots if not s.served), None)
    if refused is not None:
        checks.breach("THR-5", f"device B ({b.device}, fresh) was answered {refused.exchange.status} at its request "
                      f"{b.shots.index(refused) + 1} of {len(b.shots)} after device A ({a.device}) was throttled",
                      refused.exchange)
    else:
        checks.held("THR-5", f"device B served {len(b.shots)} of {len(b.shots)} while device A was throttled")
    note(f"A ({a.device}) refused after {len(a.shots)} requests; B ({b.device}) served "
         f"{sum(s.served for s in b.shots)} of {len(b.shots)}")


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
    """Register, token and the protected API draw on one allowance per device"""
    tl, spent, after = scenario
    if all(s.served for s in after):
        checks.not_verified("THR-1", "no endpoint was refused after the allowance was spent (THR-3 reports a missing throttle)")
        note(f"{len(spent) + len(after)} mixed requests, none refused")
        return
    for i, s in enumerate(spent):
        checks.expect(s.served, "THR-1", f"request {i + 1} ({s.probe.name}) of a mixed sequence within the allowance "
                      f"({len(spent)}) was answered {s.exchange.status}", s.exchange, what="a mixed sequence within the allowance was served")
    for s in after:
        checks.expect(s.outcome != SERVED, "THR-1", f"after {len(spent)} mixed requests spent the allowance, "
                      f"{s.probe.name} was still served: the endpoints do not share one allowance per device",
                      s.exchange, what=f"{s.probe.name} refused once the shared allowance was spent")
    _refusals_are_429(after)
    note(f"{len(spent)} requests mixing {', '.join(sorted({s.probe.name for s in spent}))}; then "
         + ", ".join(f"{s.probe.name} -> {s.exchange.status}" for s in after))


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
    "endpoints": mixed_endpoints,
    "one-time": burst_then_idle,
}
# Scenarios that measure one device's allowance: meaningless when devices share one.
PER_DEVICE = {"schedule", "burst", "recovery", "endpoints", "one-time"}
SCENARIO_OF = {
    test_documented_schedule_is_replayed.__name__: "schedule",
    test_burst_size_and_sustained_rate.__name__: "burst",
    test_recovery_one_second_after_429.__name__: "recovery",
    test_device_isolation.__name__: "isolation",
    test_first_forwarded_address_identifies_device.__name__: "forwarded",
    test_one_allowance_shared_by_endpoints.__name__: "endpoints",
    test_burst_is_one_time.__name__: "one-time",
}
