"""Section 5, the allowance's size (THR-2, THR-6): the burst, the sustained rate, the documented schedule.

Each check judges its scenario's timeline (dcr_harness/checks/throttle_scenarios.py, run side by
side by the lab in conformance/conftest.py) against the contract's model at the measured
arrival times; timing too poor to judge leaves the requirement "not verified", never a pass.
"""

from __future__ import annotations

import pytest

from dcr_harness import checks
from dcr_harness.checks.throttle_lab import OTHER
from dcr_harness.checks.throttle_scenarios import IDLE_WINDOWS, SUSTAINED_WINDOWS
from dcr_harness.checks.throttling import inconsistency_requirement, judge_timeline, refusals_are_429, timing
from dcr_harness.contract.throttle_model import DeviceAllowance


@pytest.mark.throttle_scenario("schedule")
@pytest.mark.req("THR-6", "THR-3")
def test_documented_schedule_is_replayed(target, scenario, note):
    """The documented THR-6 schedule, replayed for a fresh device, outcome by outcome"""
    tl, void = scenario.timeline, scenario.void_attempts
    judge_timeline(tl, target, "THR-6", "the 17 outcomes match the documented schedule at the measured arrival times")
    refusals_are_429(tl.shots)
    note(
        f"THR-6 replay: {timing(tl)}; tolerance per request = measured send offset +/- its round trip"
        + (f"; earlier attempts void: {' | '.join(void)}" if void else "")
        + f". Timeline: {tl.table()}"
    )


@pytest.mark.throttle_scenario("burst")
@pytest.mark.req("THR-2", "THR-3")
def test_burst_size_and_sustained_rate(target, scenario, note):
    """Burst size and sustained rate, measured, match the target's throttle profile"""
    tl, burst = scenario.timeline, scenario.burst
    model = DeviceAllowance(target.throttle.rate_per_s, target.throttle.burst)
    if burst[-1].served:
        checks.not_verified("THR-2", "no request was ever refused")
        checks.fail(
            "THR-3",
            f"{len(burst)} back-to-back requests within one window were all served; the profile "
            f"allows {model.per_window + model.burst}: no throttle observed at all on {tl.probe_kind.name}",
            burst[-1].exchange,
        )
    measured = len(burst) - 1 - model.per_window
    checks.expect(
        measured == model.burst,
        "THR-2",
        f"burst measured {measured} (served {len(burst) - 1} in the first "
        f"window), the target declares {model.burst} plus {model.per_window} per window",
        burst[-1].exchange,
        what=f"burst measured {measured}, as declared",
    )
    steady = tl.shots[len(burst) :]
    refusals_are_429([burst[-1]] + [s for s in steady if s.outcome == OTHER])
    served = sum(s.served for s in steady)
    judge_timeline(
        tl,
        target,
        "THR-2",
        f"sustained rate: {served} of {len(steady)} over-rate requests served in "
        f"{SUSTAINED_WINDOWS} windows, as the declared rate allows",
    )
    note(
        f"burst measured {measured} (declared {model.burst}); sustained: {served} of {len(steady)} served over "
        f"{SUSTAINED_WINDOWS} windows (declared {target.throttle.rate_per_s}/s); {timing(tl)}"
    )


@pytest.mark.throttle_scenario("one-time")
@pytest.mark.req("THR-6", "THR-2")
def test_burst_is_one_time(target, scenario, note):
    """After the burst is spent and the device idles, only the rate allowance comes back"""
    tl, burst, later = scenario.timeline, scenario.burst, scenario.later
    per_window = DeviceAllowance(target.throttle.rate_per_s, target.throttle.burst).per_window
    served = sum(s.served for s in later)
    if served > per_window:
        checks.breach(
            ("THR-6", "THR-2"),
            f"after idling {IDLE_WINDOWS} windows the device was served {served} of "
            f"{len(later)} requests certainly within one window; only the rate allowance ({per_window}) "
            f"may come back: the burst refilled",
            [s for s in later if s.served][per_window].exchange,
        )
    elif served < per_window:
        first = later[0]
        checks.breach(
            inconsistency_requirement(tl, first, "THR-2"),
            f"after idling {IDLE_WINDOWS} windows the device was refused its rate allowance ({first.describe()})",
            first.exchange,
        )
    else:
        checks.held(("THR-6", "THR-2"), f"after idling, {served} of {len(later)} served: the burst did not refill")
    note(
        f"burst spent after {len(burst) - 1} served; after {IDLE_WINDOWS} idle windows {served} of {len(later)} "
        f"requests served (rate allowance {per_window}); {timing(tl)}"
    )
