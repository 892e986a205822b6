"""From the checks' evidence to a verdict per requirement.

A verdict is evidence, never an inference from a check's outcome:
- fail: an observed answer broke it (any check, whether or not the check cites it);
- waived: it failed, and an unexpired waiver accepts that failure;
- warn: a SHOULD-level finding against it, nothing broke it;
- pass: at least one check verified it (an assertion about it held), nothing broke it, and
  every check that cites it and ran judged it;
- not_verified: checks citing it ran but none verified it (blocked by an earlier failure,
  a skipped part, an example that never reached it), or some did and others were blocked
  ("k of n cases judged"): the reasons say why; also when a check citing it was left
  unjudged for a reason given as data (a check's "unjudged", e.g. "timing": the requirement
  applies and only the run's conditions kept it from being judged), whether or not it ran;
  `unjudged` then names that reason when it alone explains the verdict;
- not_covered: no check citing it ran (skipped for a missing target key, deselected, or
  no check of the suite cites it);
- not_applicable: a client obligation (CLI-*) in a server run; in a client certification
  (scope "client"), every requirement that is not the client's (see CLIENT_SCOPE).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..reasons import Reason

AREAS = {
    "FLOW": "flow",
    "REG": "register",
    "TOK": "token",
    "API": "protected-api",
    "THR": "throttling",
    "DEV": "device-info",
    "CLI": "client",
}


class Outcome(StrEnum):
    """How one check ended, as results.json, JUnit and the reports spell it."""

    PASSED = "passed"
    WARNED = "warned"
    FAILED = "failed"
    WAIVED = "waived"  # a failed check whose failures a waiver accepts (the certification's view)
    BLOCKED = "blocked"
    ERROR = "error"
    SKIPPED = "skipped"
    PENDING = "pending"  # the recorder's only: not finished yet (a stopped run drops it; see RunState.settle)
    MERGED = "merged"  # the main process of a concurrent run: a worker's finished check (its outcome is in its data)


class Verdict(StrEnum):
    """A requirement's verdict (the module docstring says what each one means)."""

    FAIL = "fail"
    WAIVED = "waived"
    WARN = "warn"
    PASS = "pass"
    NOT_VERIFIED = "not_verified"
    NOT_COVERED = "not_covered"
    NOT_APPLICABLE = "not_applicable"


VERDICTS = tuple(Verdict)


class RunVerdict(StrEnum):
    """A run's overall verdict (report/certification.py overall_verdict says when each applies)."""

    PASS = "PASS"
    PASS_WITH_WARNINGS = "PASS with warnings"
    PASS_WITH_WAIVERS = "PASS with waivers"
    FAIL = "FAIL"
    INCOMPLETE = "INCOMPLETE"
    PARTIAL = "PARTIAL"
    INCONCLUSIVE = "INCONCLUSIVE"
    NO_VERDICT = "NO VERDICT"

    @property
    def certifies(self) -> bool:
        return self in (RunVerdict.PASS, RunVerdict.PASS_WITH_WARNINGS, RunVerdict.PASS_WITH_WAIVERS)


LABELS = {
    "fail": "fail",
    "waived": "waived",
    "warn": "warn",
    "pass": "pass",
    "not_verified": "not verified",
    "not_covered": "not covered",
    "not_applicable": "not applicable",
}
# What a server run certifies: the client's obligations are judged by certifying a client.
CLIENT_AREA = "client"
NOT_APPLICABLE_REASON = "a client obligation: not a verdict of a server run"
# What a client certification judges: the obligations (CLI-*) and the request rules a client follows.
CLIENT_SCOPE = frozenset(
    {"REG-REQ-1", "REG-REQ-3", "REG-REQ-5", "TOK-REQ-1", "TOK-REQ-2", "TOK-REQ-3", "DEV-1", "DEV-2"}
)
NOT_APPLICABLE_IN_CLIENT_RUN = "a server requirement: not a verdict of a client certification"
SCOPES = ("server", "client")
RAN = (Outcome.PASSED, Outcome.WARNED, Outcome.FAILED, Outcome.BLOCKED, Outcome.ERROR, Outcome.WAIVED)
# A check that ran and cites a requirement, yet did not judge it because something stopped it:
# the requirement's pass would rest on part of its cases (a generated check that simply drew no
# example for it is not blocked).
STOPPED = (Outcome.FAILED, Outcome.BLOCKED, Outcome.ERROR)


def area_of(requirement: str) -> str:
    return AREAS.get(requirement.split("-")[0], "other")


def applies(requirement: str, scope: str = "server") -> bool:
    """Whether a run of this scope gives the requirement a verdict."""
    is_client = area_of(requirement) == CLIENT_AREA
    return (is_client or requirement in CLIENT_SCOPE) if scope == "client" else not is_client


@dataclass
class RequirementVerdict:
    requirement: str
    verdict: str = "not_covered"
    checks: list[str] = field(default_factory=list)  # every check with something to say about it
    verified_by: list[str] = field(default_factory=list)
    broken_by: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)  # a few descriptions of what held
    cases: list[str] = field(default_factory=list)  # the checks that cite it and ran
    unjudged: dict[str, str] = field(default_factory=dict)  # of those, the ones blocked before judging it: why
    unjudged_for: dict[str, str] = field(
        default_factory=dict
    )  # of those, the ones left unjudged for a structured reason
    # not_verified for structured reasons alone ("timing"): what --accept-unjudged may accept; else None.
    unjudged_as: str | None = None
    reasons_as_data: dict[str, list[Reason]] = field(default_factory=dict)  # check -> why it did not verify it

    def blocked_by(self, requirement: str) -> bool:
        """Whether a failure of `requirement` kept this requirement from being judged (the reasons its
        verdict gives: of a partly judged requirement, those of the checks that did not judge it)."""
        kept = (
            [n for n in self.reasons_as_data if n in self.unjudged]
            if self.verified_by and self.unjudged
            else self.reasons_as_data
        )
        return any(why.blocked_by(requirement) for n in kept for why in self.reasons_as_data[n])

    @property
    def area(self) -> str:
        return area_of(self.requirement)


class _Ledger:
    def __init__(self, known: Iterable[str]) -> None:
        self.items: dict[str, RequirementVerdict] = {r: RequirementVerdict(r) for r in known}
        self.waived: set[str] = set()
        self.warned: set[str] = set()
        self.not_verified: set[str] = set()
        self.not_verified_otherwise: set[str] = set()  # not verified for a reason that is not structured
        self.breach_reasons: dict[str, list[str]] = {}

    def get(self, req: str, nodeid: str) -> RequirementVerdict:
        v = self.items.setdefault(req, RequirementVerdict(req))
        if nodeid not in v.checks:
            v.checks.append(nodeid)
        return v

    @staticmethod
    def reason(v: RequirementVerdict, text: str) -> None:
        if text and text not in v.reasons:
            v.reasons.append(text)


def requirement_verdicts(
    checks: Iterable[Mapping[str, Any]],
    known: Iterable[str] = (),
    *,
    waived_checks: Collection[str] = (),
    scope: str = "server",
) -> dict[str, RequirementVerdict]:
    """The verdict of every requirement named by `known` or by any check's evidence, in a run of this scope."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, not {scope!r}")
    ledger = _Ledger(known)
    for check in checks:
        nodeid, outcome = check["nodeid"], check["outcome"]
        waived = nodeid in waived_checks
        for req, seen in (check.get("verified") or {}).items():
            v = ledger.get(req, nodeid)
            v.verified_by.append(nodeid)
            v.evidence.extend(e for e in seen.get("examples", []) if e not in v.evidence and len(v.evidence) < 3)
        for found in check.get("breaches") or []:
            for req in found["requirements"]:
                v = ledger.get(req, nodeid)
                if waived:
                    ledger.waived.add(req)
                elif nodeid not in v.broken_by:  # a check may break a requirement twice (two breaches)
                    v.broken_by.append(nodeid)
                first_line = found["message"].splitlines()[0] if found["message"] else ""
                ledger.reason(v, first_line)
                if first_line and first_line not in ledger.breach_reasons.setdefault(req, []):
                    ledger.breach_reasons[req].append(first_line)
        for warning in check.get("warnings", []):
            ledger.warned.add(warning["requirement"])
            ledger.reason(ledger.get(warning["requirement"], nodeid), warning["message"])
        blocked = set(check.get("blocked") or ())
        structured = check.get("unjudged")  # skipped or not, it applies and was left unjudged: never "not covered"
        ran = outcome in RAN or bool(structured)
        as_data = check.get("reasons") or {}
        for req, why in (check.get("not_verified") or {}).items():
            v = ledger.get(req, nodeid)
            if req in as_data:
                v.reasons_as_data.setdefault(nodeid, []).append(Reason.from_dict(as_data[req]))
            if ran:
                ledger.not_verified.add(req)
                if outcome in STOPPED or req in blocked or structured:
                    v.unjudged.setdefault(nodeid, why)
                if structured:
                    v.unjudged_for.setdefault(nodeid, structured)
                else:
                    ledger.not_verified_otherwise.add(req)
            ledger.reason(v, why)
        if ran:
            for req in check["requirements"]:
                ledger.get(req, nodeid).cases.append(nodeid)
        else:
            for req in check["requirements"]:
                ledger.reason(ledger.get(req, nodeid), check.get("message", "") or outcome)
    for req, v in ledger.items.items():
        v.verdict = _verdict(req, v, ledger) if applies(req, scope) else "not_applicable"
        if v.verdict == "not_applicable":
            v.reasons = [NOT_APPLICABLE_IN_CLIENT_RUN if scope == "client" else NOT_APPLICABLE_REASON]
        elif v.verdict == "pass":
            v.reasons = []  # a pass shows its evidence, not the reasons other checks could not reach it
        elif v.verdict == "not_verified" and v.verified_by and v.unjudged:
            v.reasons = [partial_reason(v)]
        elif v.verdict in ("fail", "waived"):
            v.reasons = ledger.breach_reasons.get(req, []) or v.reasons  # what broke it, not what it blocked
        elif v.verdict == "not_covered" and not v.checks:
            v.reasons = ["not covered: no check of this suite cites it"]
        if v.verdict == "not_verified":
            v.unjudged_as = _unjudged_as(req, v, ledger)
    return dict(sorted(ledger.items.items()))


# "... (POST http://host/path -> 400 (7 ms))": the exchange a reason names, left out where reasons are counted.
_EXCHANGE = re.compile(r" \((?:GET|POST|PUT|PATCH|DELETE) \S+ -> [^()]*(?:\([^)]*\))?\)")


def _short(reason: str) -> str:
    return _EXCHANGE.sub("", reason)


def partial_reason(v: RequirementVerdict) -> str:
    """Why a requirement that held where judged is no pass: how many of its cases were judged, what blocked the rest."""
    n = len(set(v.cases) | set(v.unjudged))
    blocked = list(dict.fromkeys(_short(r) for r in v.unjudged.values()))
    more = f" (and {len(blocked) - 3} other reasons)" if len(blocked) > 3 else ""
    return f"{n - len(v.unjudged)} of {n} cases judged; not judged: " + " | ".join(blocked[:3]) + more


def _unjudged_as(req: str, v: RequirementVerdict, ledger: _Ledger) -> str | None:
    """The structured reasons ("timing") when they alone left this not_verified requirement unjudged."""
    if not v.unjudged_for or any(n not in v.unjudged_for for n in v.unjudged):
        return None
    if not v.verified_by and req in ledger.not_verified_otherwise:
        return None
    return ", ".join(sorted(set(v.unjudged_for.values())))


def _verdict(req: str, v: RequirementVerdict, ledger: _Ledger) -> str:
    if v.broken_by:
        return "fail"
    if req in ledger.waived:
        return "waived"
    if req in ledger.warned:
        return "warn"
    if v.verified_by:
        return "not_verified" if v.unjudged else "pass"
    if req in ledger.not_verified:
        return "not_verified"
    return "not_covered"
