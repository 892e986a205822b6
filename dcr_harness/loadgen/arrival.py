"""A known arrival rate (an open model) on Locust's users: sizing, pacing, and what was dropped.

Locust is a closed model: a user sends its next request when the last one is answered, so the
rate a run offers falls when the service slows down. With a target rate R (arrivals per second,
in all processes together), every user instead owns a schedule of slots, one every I = U / R
seconds, and U = ceil(R * B) users are started (B: how long one arrival of the profile may take),
so the slots of all users together arrive at R whatever the response times. An arrival is one
iteration of the profile's task (token_refresh: one use of the app, an API call with a token
request when one is due, B = 1 s; throttling: one new device played through its pattern, about
twenty requests over up to five seconds, B = 8 s).

A user still busy when its slot comes cannot send on time: that arrival is dropped (counted,
never sent late, which would bunch the load), and the user waits for its next slot. So the
report can say what was offered (scheduled arrivals), achieved (sent on time) and dropped.
The pacing is Locust's public `wait_time` hook, as its own `constant_pacing` is.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# How long one arrival of a profile may take before its user misses its next slot: the sizing's headroom.
ARRIVAL_BUDGET_S = {"token_refresh": 1.0, "throttling": 8.0}
DEFAULT_BUDGET_S = 1.0


def budget_for(profile: str) -> float:
    return ARRIVAL_BUDGET_S.get(profile, DEFAULT_BUDGET_S)


def users_for(rate: float, budget_s: float = DEFAULT_BUDGET_S) -> int:
    """Users that offer `rate` arrivals per second with `budget_s` for each arrival."""
    return max(1, math.ceil(rate * budget_s))


def interval_for(rate: float, budget_s: float = DEFAULT_BUDGET_S) -> float:
    """Seconds between one user's slots, when users_for(rate, budget_s) users share the rate."""
    return users_for(rate, budget_s) / rate


@dataclass
class Slots:
    """One user's schedule: a slot every `interval` seconds from the start of its first arrival."""

    interval: float
    due: float | None = None  # the next slot not yet sent nor dropped

    def wait(self, now: float, first_started: float | None = None) -> tuple[float, int]:
        """Called when the user finished an arrival: (seconds until its next slot, slots it missed meanwhile).

        `first_started`: when the first arrival started (the task marked with `arrival`); unknown, the
        schedule starts when the first arrival ended."""
        if self.due is None:
            self.due = (now if first_started is None else first_started) + self.interval
        missed = max(0, math.ceil((now - self.due) / self.interval))
        slot = self.due + missed * self.interval
        self.due = slot + self.interval
        return slot - now, missed


STARTED = "dcr_arrival_started"


def arrival_marker(
    rate_of: Callable[[Any], float | None],
    count: Callable[[str, int], None],
    clock: Callable[[], float] = time.monotonic,
) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    """A decorator for a profile's task (under Locust's @task): each call is one arrival, counted when it
    starts (one still running when the run stops was offered and sent), and its start anchors the slots."""

    def arrival(task: Callable[[Any], Any]) -> Callable[[Any], Any]:
        @functools.wraps(task)
        def one_arrival(user: Any) -> Any:
            if rate_of(user):
                user.__dict__[STARTED] = clock()
                count("arrivals", 1)
            return task(user)

        return one_arrival

    return arrival


def open_model_wait(
    default: Callable[[Any], float],
    rate_of: Callable[[Any], float | None],
    count: Callable[[str, int], None],
    budget_s: float = DEFAULT_BUDGET_S,
    clock: Callable[[], float] = time.monotonic,
) -> Callable[[Any], float]:
    """A Locust wait_time: the profile's own (`default`) without a rate; with one, the user's next slot.

    `rate_of(user)` reads the run's rate (forwarded from the master to the workers as a custom option);
    `count(name, n)` adds to the figures the workers report ("arrivals_dropped"; arrival_marker counts
    "arrivals")."""

    def wait_time(user: Any) -> float:
        rate = rate_of(user)
        if not rate:
            return default(user)
        slots = user.__dict__.setdefault("dcr_slots", Slots(interval_for(rate, budget_s)))
        seconds, missed = slots.wait(clock(), user.__dict__.get(STARTED))
        if missed:
            count("arrivals_dropped", missed)
        return seconds

    return wait_time


def open_model_figures(
    rate: float,
    counts: dict[str, int],
    elapsed_s: float,
    requests: int,
    users: int | None = None,
    budget_s: float = DEFAULT_BUDGET_S,
) -> dict[str, Any]:
    """What the report says of an open-model run: offered, achieved, dropped."""
    sent, dropped = counts.get("arrivals", 0), counts.get("arrivals_dropped", 0)
    offered = sent + dropped
    per_second = (lambda n: n / elapsed_s) if elapsed_s > 0 else (lambda n: None)
    figures = {
        "target_rate": rate,
        "users_sized": users_for(rate, budget_s),
        "slot_interval_s": interval_for(rate, budget_s),
        "elapsed_s": elapsed_s,
        "offered": offered,
        "sent": sent,
        "dropped": dropped,
        "dropped_ratio": dropped / offered if offered else None,
        "offered_rate": per_second(offered),
        "achieved_rate": per_second(sent),
        "requests_rate": per_second(requests),
        "requests_per_arrival": requests / sent if sent else None,
    }
    if users is not None:
        figures["users"] = users
    return figures


def open_model_line(figures: dict[str, Any]) -> str:
    """The console's line for an open-model run."""

    def rate(key: str) -> str:
        return "n/a" if figures[key] is None else f"{figures[key]:.4g}/s"

    ratio = figures["dropped_ratio"]
    line = (
        f"open model: target {figures['target_rate']:g}/s; offered {rate('offered_rate')} "
        f"({figures['offered']} arrivals in {figures['elapsed_s']:.1f} s), achieved {rate('achieved_rate')} "
        f"({figures['sent']} sent on time), dropped {figures['dropped']}"
        + ("" if ratio is None else f" ({ratio:.2%})")
        + f"; requests {rate('requests_rate')}"
    )
    users = figures.get("users")
    if users is not None and users != figures["users_sized"]:
        line += (
            f"; {users} users, not the {figures['users_sized']} the rate is sized for: "
            f"the offered rate is {users}/{figures['users_sized']} of the target"
        )
    return line


def run_report(
    rate: float | None,
    counts: dict[str, int],
    stats: Any,
    users: int | None,
    run_time_s: float | None,
    budget_s: float = DEFAULT_BUDGET_S,
    now: Callable[[], float] = time.time,
) -> dict[str, Any] | None:
    """open_model_figures for a finished run (None without a rate): the arrivals offered from the start of the
    run (Locust's statistics) to its end (its run time, or now when it was stopped sooner)."""
    if not rate:
        return None
    total = stats.total
    elapsed = max(0.0, now() - total.start_time)
    if run_time_s:
        elapsed = min(elapsed, float(run_time_s))
    return open_model_figures(rate, counts, elapsed, total.num_requests, users, budget_s)
