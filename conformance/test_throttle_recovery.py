"""Section 5, recovery (THR-4): a request sent one second after a 429 is served."""

from __future__ import annotations

import pytest

from dcr_harness import checks
from dcr_harness.checks.throttling import refusals_are_429


@pytest.mark.throttle_scenario("recovery")
@pytest.mark.req("THR-4", "THR-3")
def test_recovery_one_second_after_429(scenario, note):
    """A request sent one second after a 429 is served, twice in a row"""
    tl, recoveries = scenario.timeline, scenario.recoveries
    lines = []
    refusals_are_429([tl.shots[tl.shots.index(after) - 1] for after in recoveries])
    for after in recoveries:
        refused = tl.shots[tl.shots.index(after) - 1]
        gap = after.sent - (refused.sent + refused.rtt)
        lines.append(
            f"refusal ({refused.exchange.status}) received, next sent {gap:.3f} s later -> {after.exchange.status}"
        )
        checks.expect(
            after.served,
            "THR-4",
            f"a request sent {gap:.3f} s after a refusal was answered "
            f"{after.exchange.status}, not served: the throttle must lift within one second",
            after.exchange,
            what=f"served {gap:.3f} s after a 429",
        )
    if len(recoveries) < 2:
        checks.not_verified("THR-4", "the device was not refused again after recovering: one cycle only")
    note("; ".join(lines))
