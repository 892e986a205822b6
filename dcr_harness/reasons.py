"""Why a check could not judge a requirement, as data: the reports read these, never the sentences.

A reason's text is for people; its kind and the requirement it names are what the certification
uses (the root cause: a failed baseline and what it kept from being judged; what --accept-unjudged
may accept). Beside errors.py, importing no layer: checks, the HTTP client and the errors they
raise all carry one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ReasonKind(StrEnum):
    BLOCKED_BY = "blocked by"  # a requirement this one depends on failed (a refused registration ...)
    CONTROL_REFUSED = "control refused"  # the positive control was refused alike: the refusal says nothing
    FRONT_DOOR = "front door"  # refused before the API (a proxy's limit or parser): contract section 0
    TIMING = "timing"  # the run's conditions (a loaded machine) kept it unjudged: --accept-unjudged may accept it


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
    requirement: str | None = None  # the requirement that blocked it (BLOCKED_BY, CONTROL_REFUSED)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "requirement": self.requirement}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reason:
        return cls(ReasonKind(data["kind"]), data.get("requirement"))

    def blocked_by(self, requirement: str) -> bool:
        """Whether a failure of `requirement` kept this from being judged."""
        return self.requirement == requirement and self.kind in (ReasonKind.BLOCKED_BY, ReasonKind.CONTROL_REFUSED)


def blocked_by(requirement: str) -> Reason:
    return Reason(ReasonKind.BLOCKED_BY, requirement)
