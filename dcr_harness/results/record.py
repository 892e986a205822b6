"""One check's record: its evidence, its exchanges, its outcome; rendered (masked) for results.json.

The engine files a record per conformance check, client certification one per judge; both render
them here, so that results.json has one shape (schemas/results.schema.json).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from .. import checks
from ..contract.verdicts import Outcome
from ..errors import CheckBlocked, PreconditionFailed
from ..http import Exchange, Masker
from ..reasons import Reason

# Lean reports: the full exchanges (headers, bodies, curl) of the checks a reader acts on; a summary otherwise.
FULL_EXCHANGES = (Outcome.FAILED, Outcome.ERROR, Outcome.WARNED)


@dataclass
class CheckRecord:
    nodeid: str
    title: str
    requirements: list[str]
    outcome: Outcome = Outcome.PENDING  # a verdict only once the check has run: see RunState.settle
    message: str = ""
    evidence: checks.Evidence = field(default_factory=checks.Evidence)
    exchanges: list[Exchange] = field(default_factory=list)
    duration: float = 0.0
    started: float = field(default_factory=time.monotonic)
    reason: Reason | None = None  # what blocked the whole check, as data (its exception's reason)

    @property
    def warnings(self) -> list[checks.Finding]:
        return self.evidence.findings

    @property
    def failed_requirements(self) -> list[str]:
        return self.evidence.broken

    def not_verified(self) -> dict[str, str]:
        """Cited requirements this check did not verify, with the reason (never a pass)."""
        ev = self.evidence
        warned = {f.requirement for f in ev.findings}
        default = {
            Outcome.FAILED: f"blocked: the check stopped at {ev.breaches[0].line() if ev.breaches else self.message.splitlines()[0] if self.message else 'a failure'}",
            # outcome_of wrote a blocked check's message as its reason ("blocked: ...")
            Outcome.BLOCKED: self.message.splitlines()[0] if self.message else "blocked: the check could not judge",
            Outcome.ERROR: f"harness error: {self.message.splitlines()[0] if self.message else 'unknown'}",
            Outcome.SKIPPED: self.message or "skipped",
        }.get(self.outcome, "the check passed without exercising it")
        return {
            r: ev.unverified.get(r, default)
            for r in self.requirements
            if r not in ev.verified and r not in ev.broken and r not in warned
        }

    def reasons(self) -> dict[str, Reason]:
        """The structured reason of each requirement not verified, where there is one."""
        ev = self.evidence
        whole = self.reason if self.outcome == Outcome.BLOCKED else None  # the default reason is the blocked message
        found = {r: ev.reasons.get(r) if r in ev.unverified else whole for r in self.not_verified()}
        return {r: why for r, why in found.items() if why is not None}

    def freeze(self, masker: Masker) -> None:
        """Render the masked record now and let go of the raw exchanges: once a check has ended,
        the run holds its requests and answers only in masked form."""
        self.frozen = self.to_dict(masker)
        self.exchanges = []
        self.evidence.breaches = [replace(b, exchange=None) for b in self.evidence.breaches]

    def to_dict(self, masker: Masker) -> dict[str, Any]:
        frozen = getattr(self, "frozen", None)
        if frozen is not None and frozen["outcome"] == self.outcome:
            return frozen
        ev = self.evidence
        index = {id(e): i for i, e in enumerate(self.exchanges)}
        return {
            "nodeid": self.nodeid,
            "title": self.title,
            "requirements": self.requirements,
            "outcome": str(self.outcome),  # a plain string: pytest-xdist sends it to the main process
            "message": masker.mask(self.message),
            "failed_requirements": ev.broken,
            "verified": {
                r: {"count": v.count, "examples": [masker.mask(x) for x in v.examples]} for r, v in ev.verified.items()
            },
            "breaches": [
                {
                    "requirements": list(b.requirements),
                    "message": masker.mask(b.message),
                    "exchange": index.get(id(b.exchange)) if b.exchange is not None else None,
                }
                for b in ev.breaches
            ],
            "not_verified": {r: masker.mask(reason) for r, reason in self.not_verified().items()},
            "reasons": {r: why.to_dict() for r, why in self.reasons().items()},  # the reasons above, as data
            "blocked": sorted(ev.blocked),  # of those, the ones a step was blocked from judging
            "unjudged": ev.unjudged,  # why, as data, it could not judge what applies ("timing"), else None
            "warnings": [{"requirement": w.requirement, "message": masker.mask(w.message)} for w in ev.findings],
            "duration": round(self.duration, 3),
            "cases": dict(ev.cases),  # generated checks: cases sent per phase (coverage, generate, shrink)
            "envelope": [{**e, "case": masker.mask(e["case"])} for e in ev.envelope],  # requests at HTTP's envelope
            "exchanges": [
                e.to_dict(masker) if self.outcome in FULL_EXCHANGES else e.summary(masker) for e in self.exchanges
            ],
        }


def outcome_of(record: CheckRecord, exc: BaseException | None) -> tuple[Outcome, str]:
    """(outcome, message): failed when anything broke, blocked when the check could not judge,
    error when the harness itself stumbled, warned/passed otherwise. A blocked check keeps its
    exception's structured reason on the record."""
    ev = record.evidence
    if isinstance(exc, checks.CheckFailed) and not any(b.requirements == exc.requirements for b in ev.breaches):
        ev.breach(
            checks.Breach(exc.requirements, exc.detail, exc.exchange, exc.kind or checks.BreachKind.WRONG_ANSWER)
        )  # raised directly, not via fail()
    if ev.breaches:
        return Outcome.FAILED, ev.summary()
    if isinstance(exc, (CheckBlocked, PreconditionFailed)):
        record.reason = exc.reason
        where = f" ({exc.exchange.describe()})" if exc.exchange is not None else ""
        return Outcome.BLOCKED, f"blocked: {exc}{where}"
    if exc is not None:
        return Outcome.ERROR, f"{type(exc).__name__}: {exc}"
    if ev.findings:
        return Outcome.WARNED, "; ".join(f"[{w.requirement}] {w.message}" for w in ev.findings)
    return Outcome.PASSED, record.message
