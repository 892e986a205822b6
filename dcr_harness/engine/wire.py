"""What the main process and the pytest-xdist workers send each other, typed; plain dicts only on the wire.

WorkerBrief goes to each worker (its workerinput) before it starts; WorkerTotals comes back on
each finished check's teardown report, beside the check's record (the results.json check shape).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from .run_config import RunConfig

BRIEF = "dcr_brief"  # the key of the brief in a worker's workerinput


@dataclass(frozen=True)
class WorkerBrief:
    """The run as the main process set it up: where the target is, the run directory, the seed, the preflight."""

    target_file: str | None
    embedded_data_dir: str | None
    embedded_faults: list[str]
    run_dir: str
    seed: int | None
    seed_forced: bool
    device_offset: int
    reachability: dict[str, Any] | None
    unreachable: str | None  # why the target is unreachable, found before the workers started
    target_file_problem: str | None
    run_config: RunConfig  # the run's options, as the main process took them

    def to_wire(self) -> dict[str, Any]:
        return {BRIEF: {**asdict(self), "run_config": self.run_config.to_wire()}}

    @classmethod
    def from_wire(cls, workerinput: dict[str, Any]) -> WorkerBrief | None:
        data = workerinput.get(BRIEF)
        return cls(**{**data, "run_config": RunConfig.from_wire(data["run_config"])}) if data is not None else None


@dataclass(frozen=True)
class WorkerTotals:
    """A worker's session figures and state after a check: the main process sums or takes the first."""

    deselected: int = 0
    target_file_refused: bool = False
    stop_reason: str | None = None
    shrink_seconds: float = 0.0
    unexpected_429: int = 0
    throttle_mismatch: str | None = None
    device_note: str | None = None
    pacing_wait_s: float = 0.0

    def to_wire(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_wire(cls, data: dict[str, Any] | None) -> WorkerTotals:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in known})
