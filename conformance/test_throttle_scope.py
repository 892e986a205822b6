"""Section 5, what the allowance covers (THR-1): one allowance per device, shared by every throttled endpoint."""

from __future__ import annotations

import pytest

from dcr_harness import checks
from dcr_harness.checks.throttle_lab import SERVED
from dcr_harness.checks.throttling import refusals_are_429


@pytest.mark.throttle_scenario("endpoints")
@pytest.mark.req("THR-1")
def test_one_allowance_shared_by_endpoints(scenario, note):
    """Register, token and the protected API draw on one allowance per device: each is refused once it is spent"""
    tl, spent, after, unrefused = scenario.timeline, scenario.spent, scenario.after, scenario.unrefused
    kind = tl.probe_kind.name
    for other in unrefused:
        checks.breach(
            "THR-1",
            f"{other.probe_kind.name}: {len(other.shots)} back-to-back requests from one device "
            f"were all served, while {kind} was refused after {len(spent) - 1}: {other.probe_kind.name} is "
            f"outside the shared allowance",
            other.shots[-1].exchange,
        )
    for s in after:
        checks.expect(
            s.outcome != SERVED,
            "THR-1",
            f"once {kind} had spent the device's allowance ({len(spent) - 1} "
            f"served, then {spent[-1].exchange.status}), {s.probe.name} was still served in the same window: "
            f"it is outside the shared allowance",
            s.exchange,
            what=f"{s.probe.name} refused once {kind} spent the allowance",
        )
    refusals_are_429([spent[-1], *after])
    note(
        f"{kind}: {len(spent) - 1} served, then {spent[-1].exchange.status}; then "
        + ", ".join(f"{s.probe.name} -> {s.exchange.status}" for s in after)
        + "".join(f"; {t.probe_kind.name}: never refused in {len(t.shots)}" for t in unrefused)
    )
