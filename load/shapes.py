"""Load shapes for the profiles: ramp, spike, soak (Locust LoadTestShape).

Selected with DCR_LOAD_SHAPE=ramp|spike|soak (`dcr-harness load --shape`); sized by
DCR_LOAD_USERS, DCR_LOAD_SPAWN_RATE and DCR_LOAD_DURATION (seconds). A locustfile binds
`LoadShape = shapes.selected()`: with no shape selected that is None and Locust uses -u/-r/-t.

In a distributed run the user count changes at most every DISTRIBUTED_STEP_S seconds: the master
sends every worker a spawn message for each change, and a worker handles one with a fraction of a
second of CPU without yielding (Locust rebuilds its argument parser once per option, bench/load_bench.py
measures it); a change every second keeps a worker on a busy host from sending its heartbeats, and
the master drops it.
"""

from __future__ import annotations

import os

from locust import LoadTestShape
from locust.runners import MasterRunner

DISTRIBUTED_STEP_S = 5.0


def _env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


class _Shape(LoadTestShape):
    abstract = True

    def __init__(self) -> None:
        super().__init__()
        self.users = max(1, int(_env("DCR_LOAD_USERS", 10)))
        self.spawn_rate = max(1.0, _env("DCR_LOAD_SPAWN_RATE", self.users))
        self.duration = max(1.0, _env("DCR_LOAD_DURATION", 60))
        self._level: int | None = None
        self._changed_at = 0.0

    def users_at(self, fraction: float) -> int:
        raise NotImplementedError

    def tick(self):
        elapsed = self.get_run_time()
        if elapsed >= self.duration:
            return None
        users = max(1, self.users_at(elapsed / self.duration))
        if (
            isinstance(self.runner, MasterRunner)
            and self._level is not None
            and elapsed - self._changed_at < DISTRIBUTED_STEP_S
        ):
            users = self._level
        if users != self._level:
            self._level, self._changed_at = users, elapsed
        return users, self.spawn_rate


class RampShape(_Shape):
    """Linear climb from one user to all over 70% of the run, then hold."""

    def users_at(self, fraction: float) -> int:
        return round(self.users * min(1.0, fraction / 0.7))


class SpikeShape(_Shape):
    """A fifth of the users, all of them at once for the middle fifth of the run, then back."""

    def users_at(self, fraction: float) -> int:
        return self.users if 0.4 <= fraction < 0.6 else max(1, self.users // 5)

    def tick(self):
        result = super().tick()
        return None if result is None else (result[0], max(self.spawn_rate, float(self.users)))


class SoakShape(_Shape):
    """A short climb (10% of the run), then every user for the rest: steady state over time."""

    def users_at(self, fraction: float) -> int:
        return round(self.users * min(1.0, fraction / 0.1))


SHAPES = {"ramp": RampShape, "spike": SpikeShape, "soak": SoakShape}


def selected() -> type[LoadTestShape] | None:
    name = os.environ.get("DCR_LOAD_SHAPE", "").strip().lower()
    if not name:
        return None
    if name not in SHAPES:
        raise SystemExit(f"DCR_LOAD_SHAPE={name!r}: expected one of {', '.join(SHAPES)}")
    return SHAPES[name]
