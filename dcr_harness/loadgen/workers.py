"""Which workers a distributed load run lost, and how much of its planned load went with them.

Locust's master marks a worker "missing" when its heartbeats stop: the worker was killed, its
host went away, or it was starved of CPU for seconds. A lost worker's users stop with it (the
master does not hand them to the others unless rebalancing is on), so the run offered less load
than it planned. The master samples its workers while the run is running; the load is counted
in user-seconds: what a lost worker's users would have run from the loss to the end of the run.
The loss counts from when the master noticed it (a few missed beats after it happened): a lower
bound. A worker that comes back (Locust's "self-healed") stays counted as lost: its users were gone
meanwhile. Pure bookkeeping: the master's Locust runner feeds it (profile.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class WorkerSample:
    """One worker as the master sees it at one moment."""

    missing: bool
    users: int


@dataclass
class WorkerLedger:
    started: float
    users: dict[str, int] = field(default_factory=dict)  # live workers: their users at the last sample
    lost_at: dict[str, float] = field(default_factory=dict)
    lost_users: dict[str, int] = field(default_factory=dict)  # a lost worker's users when last seen alive
    delivered_user_s: float = 0.0
    lost_user_s: float = 0.0
    _last: float | None = None

    def observe(self, now: float, workers: Mapping[str, WorkerSample], running: bool) -> None:
        """Account the time since the last sample (as the last sample saw it), then take this one."""
        if self._last is not None and running:
            dt = now - self._last
            self.delivered_user_s += dt * sum(n for w, n in self.users.items() if w not in self.lost_at)
            self.lost_user_s += dt * sum(self.lost_users.values())
        self._last = now
        for worker, sample in workers.items():
            if sample.missing and worker not in self.lost_at:
                self.lost_at[worker] = now
                self.lost_users[worker] = self.users.get(worker, 0)
            elif not sample.missing and worker not in self.lost_at:
                self.users[worker] = sample.users

    @property
    def seen(self) -> int:
        return len(set(self.users) | set(self.lost_at))

    @property
    def lost(self) -> list[str]:
        return sorted(self.lost_at, key=self.lost_at.__getitem__)

    def lost_share(self) -> float:
        planned = self.delivered_user_s + self.lost_user_s
        return self.lost_user_s / planned if planned else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "seen": self.seen,
            "lost": [
                {"worker": w, "users": self.lost_users[w], "lost_after_s": round(self.lost_at[w] - self.started, 1)}
                for w in self.lost
            ],
            "delivered_user_seconds": round(self.delivered_user_s, 1),
            "lost_user_seconds": round(self.lost_user_s, 1),
            "lost_share_of_planned_load": round(self.lost_share(), 4),
        }

    def sentence(self) -> str | None:
        """What the summary says of lost workers, or None when none was lost."""
        if not self.lost_at:
            return None
        users = sum(self.lost_users.values())
        if not self.delivered_user_s + self.lost_user_s:
            return f"{len(self.lost_at)} of {self.seen} workers lost (missed heartbeats) before the run's users ran"
        return (
            f"{len(self.lost_at)} of {self.seen} workers lost (missed heartbeats) with {users} users: at least "
            f"{self.lost_share():.0%} of the planned load ({self.lost_user_s:.0f} of "
            f"{self.delivered_user_s + self.lost_user_s:.0f} user-seconds) was not offered"
        )
