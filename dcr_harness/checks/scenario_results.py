"""What each throttling scenario hands the check that judges it: one named record per scenario.

A check reads its scenario's result by field name (`scenario.fresh_device`), not by unpacking a
tuple whose shape depends on the scenario's name; `timelines()` is what the check's record files
as its exchanges.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from .throttle_lab import Shot, Timeline


@dataclass(frozen=True)
class ScenarioResult:
    def timelines(self) -> list[Timeline]:
        """The devices' timelines the scenario drove (their exchanges are the check's evidence)."""
        found: list[Timeline] = []
        for f in fields(self):
            value = getattr(self, f.name)
            found += [value] if isinstance(value, Timeline) else [v for v in _items(value) if isinstance(v, Timeline)]
        return found


def _items(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []


@dataclass(frozen=True)
class ScheduleReplayed(ScenarioResult):
    """THR-6's documented schedule on a fresh device."""

    timeline: Timeline
    void_attempts: list[str]  # earlier attempts a window boundary blurred


@dataclass(frozen=True)
class BurstThenSustained(ScenarioResult):
    """Back-to-back until refused within one window, then over-rate requests for a few windows."""

    timeline: Timeline
    burst: list[Shot]  # the back-to-back part; its last shot is the first refusal (or served: no throttle)


@dataclass(frozen=True)
class RefusedThenRecovered(ScenarioResult):
    """Refused, then one request a second after each refusal (one or two cycles)."""

    timeline: Timeline
    recoveries: list[Shot]


@dataclass(frozen=True)
class OneDeviceThenAnother(ScenarioResult):
    """Device A throttled, then device B's very first request."""

    throttled: Timeline
    fresh: Timeline


@dataclass(frozen=True)
class ForwardedChains(ScenarioResult):
    """A chain spends its allowance; then a chain with the same first address and one with another."""

    spent: Timeline
    same_first: Shot
    other_first: Shot


@dataclass(frozen=True)
class EndpointShares(ScenarioResult):
    """One endpoint spends the device's allowance; then every other endpoint asks once in the same window."""

    timeline: Timeline
    spent: list[Shot]
    after: list[Shot]
    unrefused: list[Timeline]  # endpoints never refused, each on its own fresh device


@dataclass(frozen=True)
class BurstThenIdle(ScenarioResult):
    """The burst spent, the device idle a few windows, then a window's worth of requests."""

    timeline: Timeline
    burst: list[Shot]
    later: list[Shot]
