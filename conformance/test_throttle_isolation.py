"""Section 5, who is a device (THR-5, THR-1): isolation judged on a device that has sent nothing yet,
and the first X-Forwarded-For address as the device."""

from __future__ import annotations

import pytest

from dcr_harness import checks
from dcr_harness.checks.throttle_lab import OTHER, THROTTLED
from dcr_harness.checks.throttling import refusals_are_429


@pytest.mark.throttle_scenario("isolation")
@pytest.mark.req("THR-5", "THR-3")
def test_device_isolation(scenario, note):
    """Throttling device A leaves device B untouched: B's first request is served"""
    a, b = scenario.throttled, scenario.fresh
    refusals_are_429(a.shots[-1:])
    first = b.shots[0]
    if first.outcome == OTHER:
        checks.not_verified(
            "THR-5",
            f"device B's first request was answered {first.exchange.status}, neither its "
            f"normal answer nor 429 ({first.describe()})",
        )
    else:
        checks.expect(
            first.served,
            "THR-5",
            f"device B ({b.device}) had sent nothing yet and was answered "
            f"{first.exchange.status} after device A ({a.device}) was throttled: the allowance is not "
            f"per device",
            first.exchange,
            what="a device that had sent nothing was served while another was throttled",
        )
    note(f"A ({a.device}) refused after {len(a.shots)} requests; B ({b.device}), fresh, -> {first.exchange.status}")


@pytest.mark.throttle_scenario("forwarded")
@pytest.mark.req("THR-1")
def test_first_forwarded_address_identifies_device(target, scenario, note):
    """The first X-Forwarded-For address is the device: later addresses neither split nor merge devices"""
    c, same_first, other_first = scenario.spent, scenario.same_first, scenario.other_first
    header = target.throttle.device_header
    if same_first.outcome == OTHER:
        refusals_are_429([same_first])
    else:
        checks.expect(
            same_first.outcome == THROTTLED,
            "THR-1",
            f"{header}: {same_first.device!r} was served right "
            f"after {c.device!r} was refused in the same window: the device is not identified by the first "
            f"address alone",
            same_first.exchange,
            what="a chain differing only after the first address shared its allowance",
        )
    checks.expect(
        other_first.served,
        "THR-1",
        f"{header}: {other_first.device!r} (another first address) was answered "
        f"{other_first.exchange.status} after {c.device!r} was throttled: the first address does not "
        f"identify the device",
        other_first.exchange,
        what="a chain with another first address got its own allowance",
    )
    note(
        f"{c.device!r} refused after {len(c.shots) - 2} requests; {same_first.device!r} -> "
        f"{same_first.exchange.status}; {other_first.device!r} -> {other_first.exchange.status}"
    )
