"""Counters the profiles keep beside Locust's own statistics, mergeable across workers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

COUNTERS = (
    "judged",
    "violations",
    "errors",
    "throttled",
    "registrations",
    "refreshes",
    "tp",
    "fp",
    "fn",
    "tn",
    "ambiguous",
)


@dataclass
class LoadMetrics:
    counts: Counter = field(default_factory=Counter)
    by_requirement: Counter = field(default_factory=Counter)

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] += n

    def violation(self, requirement: str) -> None:
        self.counts["violations"] += 1
        self.by_requirement[requirement] += 1

    def take(self) -> dict[str, Any]:
        """The counts since the last take (a worker's report to the master), then reset."""
        data = {"counts": dict(self.counts), "by_requirement": dict(self.by_requirement)}
        self.counts.clear()
        self.by_requirement.clear()
        return data

    def merge(self, data: dict[str, Any]) -> None:
        self.counts.update(data.get("counts", {}))
        self.by_requirement.update(data.get("by_requirement", {}))

    def throttle_scores(self) -> tuple[float | None, float | None]:
        """Precision and recall of observed 429s against the model's predicted 429s."""
        tp, fp, fn = (self.counts[k] for k in ("tp", "fp", "fn"))
        precision = tp / (tp + fp) if tp + fp else None
        recall = tp / (tp + fn) if tp + fn else None
        return precision, recall

    def to_dict(self, requests: int) -> dict[str, Any]:
        precision, recall = self.throttle_scores()
        judged = max(requests, 1)
        return {
            "requests": requests,
            **{k: self.counts[k] for k in COUNTERS},
            "error_ratio": self.counts["errors"] / judged,
            "contract_violation_ratio": self.counts["violations"] / judged,
            "violations_by_requirement": dict(self.by_requirement),
            "throttle_precision": precision,
            "throttle_recall": recall,
        }
