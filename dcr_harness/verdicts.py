"""From check outcomes to a verdict per requirement and per contract area.

A requirement fails when a check names it in a failure; warns when a check reports a
finding against it; passes when a check citing it passed; otherwise it is not covered
(skipped, with the reasons of its checks). The certification report builds on these.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

AREAS = {
    "FLOW": "flow", "REG": "register", "TOK": "token", "API": "protected-api",
    "THR": "throttling", "DEV": "device-info", "CLI": "client",
}
ORDER = ("fail", "warn", "pass", "skip")


def area_of(requirement: str) -> str:
    return AREAS.get(requirement.split("-")[0], "other")


@dataclass
class RequirementVerdict:
    requirement: str
    verdict: str = "skip"
    checks: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def area(self) -> str:
        return area_of(self.requirement)


def requirement_verdicts(checks: Iterable[Mapping[str, Any]], known: Iterable[str] = ()) -> dict[str, RequirementVerdict]:
    verdicts: dict[str, RequirementVerdict] = {r: RequirementVerdict(r) for r in known}

    def bump(req: str, verdict: str, nodeid: str, reason: str = "") -> None:
        v = verdicts.setdefault(req, RequirementVerdict(req))
        if nodeid not in v.checks:
            v.checks.append(nodeid)
        if reason and reason not in v.reasons:
            v.reasons.append(reason)
        if ORDER.index(verdict) < ORDER.index(v.verdict):
            v.verdict = verdict

    for check in checks:
        nodeid, outcome = check["nodeid"], check["outcome"]
        for warning in check.get("warnings", []):
            bump(warning["requirement"], "warn", nodeid, warning["message"])
        failed = set(check.get("failed_requirements") or [])
        for req in check["requirements"]:
            if outcome in ("failed", "error") and (req in failed or not failed):
                bump(req, "fail", nodeid, check.get("message", "").splitlines()[0] if check.get("message") else "")
            elif outcome in ("passed", "warned", "failed", "error"):
                bump(req, "pass", nodeid)
            elif outcome == "skipped":
                bump(req, "skip", nodeid, check.get("message", ""))
        for req in failed - set(check["requirements"]):
            bump(req, "fail", nodeid, check.get("message", "").splitlines()[0])
    return dict(sorted(verdicts.items()))
