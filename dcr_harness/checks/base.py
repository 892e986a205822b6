"""What a check establishes, requirement by requirement: what held, what broke, what it never reached.

Checks judge every property of an answer (soft assertions, like the OpenID suite's
continue-on-failure conditions): `held` records an assertion that held, `breach` one that
broke, and the check goes on. `fail` records a breach and stops the check, for when what
follows needs what was not there. A check with any breach fails at its end (the plugin
sees to that), and the report names every broken requirement, not just the first.

Evidence goes to the current check's `Evidence` (a context variable the recorder sets).
Outside a check (load judging, unit tests) there is none, and a breach raises at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, NoReturn

from ..errors import CheckFailed, CrashFailed
from ..http.exchange import Exchange
from ..reasons import Reason, ReasonKind

Reqs = tuple[str, ...]
# Per requirement, how many descriptions of what held a record keeps (the count is exact).
HELD_EXAMPLES = 3
# A generated check can breach the same requirement in every shrinking step: keep a few.
BREACHES_KEPT = 20


@dataclass(frozen=True)
class Finding:
    """A SHOULD-level deviation, or a difference from the vendor's OpenAPI file: reported, not failed."""

    requirement: str
    message: str


class BreachKind(Enum):
    """What was observed: an answer that breaks the contract, or no answer / a 5xx (checks.responses.server_error)."""

    WRONG_ANSWER = "wrong answer"
    SERVER_CRASH = "server crash"


@dataclass(frozen=True)
class Breach:
    """An observed answer that breaks these requirements."""

    requirements: Reqs
    message: str
    exchange: Exchange | None = None
    kind: BreachKind = BreachKind.WRONG_ANSWER

    def line(self) -> str:
        return f"[{', '.join(self.requirements)}] {self.message}"

    @property
    def crash(self) -> bool:
        return self.kind is BreachKind.SERVER_CRASH

    @property
    def slot(self) -> tuple[Reqs, BreachKind]:
        """What a later example's breach replaces (a crash and a wrong answer on the same requirements stay apart)."""
        return self.requirements, self.kind


@dataclass
class Verified:
    count: int = 0
    examples: list[str] = field(default_factory=list)


@dataclass
class Evidence:
    """One check's evidence: verified requirements, breaches, findings, and what it could not reach."""

    verified: dict[str, Verified] = field(default_factory=dict)
    breaches: list[Breach] = field(default_factory=list)
    breaches_dropped: int = 0
    findings: list[Finding] = field(default_factory=list)
    unverified: dict[str, str] = field(default_factory=dict)  # requirement -> why it was not verified
    # Requirements a step of this check was blocked from judging (its pass would rest on part of its cases).
    blocked: set[str] = field(default_factory=set)
    cases: dict[str, int] = field(
        default_factory=dict
    )  # generated checks: cases sent per phase (coverage, generate, shrink)
    # Requests at HTTP's envelope (over a limit, not well-formed: checks/envelope.py) and who refused them, if anyone.
    envelope: list[dict[str, Any]] = field(default_factory=list)
    # Why, as data, the check could not judge what applies ("timing"): results.json's "unjudged".
    unjudged: str | None = None
    reasons: dict[str, Reason] = field(default_factory=dict)  # requirement -> why it was not verified, as data

    def held(self, reqs: Iterable[str], what: str) -> None:
        for req in reqs:
            entry = self.verified.setdefault(req, Verified())
            entry.count += 1
            if len(entry.examples) < HELD_EXAMPLES and what not in entry.examples:
                entry.examples.append(what)

    def breach(self, found: Breach) -> None:
        if any(b.requirements == found.requirements and b.message == found.message for b in self.breaches):
            return
        if len(self.breaches) >= BREACHES_KEPT and any(b.slot == found.slot for b in self.breaches):
            self.breaches_dropped += 1  # a new kind (other requirements, or a crash) is always kept
            return
        self.breaches.append(found)

    def not_verified(
        self,
        reqs: Iterable[str],
        reason: str,
        blocked: bool = False,
        unjudged: str | None = None,
        why: Reason | None = None,
    ) -> None:
        self.unjudged = self.unjudged or unjudged
        why = why or (Reason(ReasonKind(unjudged)) if unjudged else None)
        for req in reqs:
            if req not in self.unverified and why is not None:
                self.reasons[req] = why
            self.unverified.setdefault(req, reason)
            if blocked:
                self.blocked.add(req)

    @property
    def broken(self) -> list[str]:
        seen: dict[str, None] = {}
        for b in self.breaches:
            seen.update(dict.fromkeys(b.requirements))
        return list(seen)

    def merge(self, other: Evidence, latest_wins: bool = False) -> None:
        """Take in another's evidence; latest_wins: its breaches replace those on the same requirements
        (a generated check keeps the last example, which Hypothesis makes the shrunk one)."""
        for req, entry in other.verified.items():
            mine = self.verified.setdefault(req, Verified())
            mine.count += entry.count
            mine.examples.extend(
                e for e in entry.examples if e not in mine.examples and len(mine.examples) < HELD_EXAMPLES
            )
        if latest_wins:
            replaced = {b.slot for b in other.breaches}
            self.breaches = [b for b in self.breaches if b.slot not in replaced]
        for found in other.breaches:
            self.breach(found)
        self.breaches_dropped += other.breaches_dropped
        self.findings.extend(f for f in other.findings if f not in self.findings)
        for req, reason in other.unverified.items():
            if req not in self.unverified and req in other.reasons:
                self.reasons[req] = other.reasons[req]
            self.unverified.setdefault(req, reason)
        self.blocked |= other.blocked
        self.unjudged = self.unjudged or other.unjudged
        for phase, count in other.cases.items():
            self.cases[phase] = self.cases.get(phase, 0) + count
        self.envelope.extend(other.envelope)

    def summary(self) -> str:
        lines = [b.line() for b in self.breaches]
        if self.breaches_dropped:
            lines.append(f"... and {self.breaches_dropped} more breaches")
        return "\n".join(lines)


_evidence: ContextVar[Evidence | None] = ContextVar("dcr_harness_evidence", default=None)


def collect_evidence_into(sink: Evidence | None) -> None:
    """Evidence of the current check lands in sink from now on (None: breaches raise at once)."""
    _evidence.set(sink)


def current_evidence() -> Evidence | None:
    return _evidence.get()


def _as_reqs(requirements: str | Iterable[str]) -> Reqs:
    return (requirements,) if isinstance(requirements, str) else tuple(requirements)


def held(requirements: str | Iterable[str], what: str) -> None:
    """An assertion about these requirements held."""
    sink = _evidence.get()
    if sink is not None:
        sink.held(_as_reqs(requirements), what)


def breach(
    requirements: str | Iterable[str],
    message: str,
    exchange: Exchange | None = None,
    kind: BreachKind = BreachKind.WRONG_ANSWER,
) -> None:
    """An answer breaks these requirements; the check goes on judging (and fails at its end)."""
    __tracebackhide__ = True
    reqs = _as_reqs(requirements)
    sink = _evidence.get()
    if sink is None:
        raise CheckFailed(reqs, message, exchange, kind)
    sink.breach(Breach(reqs, message, exchange, kind))


def fail(
    requirements: str | Iterable[str],
    message: str,
    exchange: Exchange | None = None,
    kind: BreachKind = BreachKind.WRONG_ANSWER,
) -> NoReturn:
    """A breach after which the check cannot go on: record it and stop the check."""
    __tracebackhide__ = True  # the failure is the server's, not this line's
    reqs = _as_reqs(requirements)
    sink = _evidence.get()
    if sink is not None:
        sink.breach(Breach(reqs, message, exchange, kind))
    raise CheckFailed(reqs, message, exchange, kind)


def expect(
    condition: bool, requirements: str | Iterable[str], broken: str, exchange: Exchange | None = None, *, what: str = ""
) -> bool:
    """Record `what` as held when condition is true, else a breach with message `broken`."""
    __tracebackhide__ = True
    if condition:
        held(requirements, what or f"not: {broken}")
    else:
        breach(requirements, broken, exchange)
    return condition


def not_verified(
    requirements: str | Iterable[str],
    reason: str,
    *,
    blocked: bool = False,
    unjudged: str | None = None,
    why: Reason | None = None,
) -> None:
    """This check could not verify these requirements (a skipped part, a blocked step): never a pass.

    blocked: a step that judges them was stopped (a refusal, a 429, a value that is not there), so
    a pass of theirs would rest on part of their cases (contract/verdicts.py).
    unjudged: they apply, and only the run's conditions kept them from being judged ("timing"):
    the run is INCONCLUSIVE unless the user accepts them (--accept-unjudged).
    why: the reason as data (blocked by a requirement, refused at the front door ...), for the reports."""
    sink = _evidence.get()
    if sink is not None:
        sink.not_verified(_as_reqs(requirements), reason, blocked, unjudged, why)


def at_the_envelope(entry: dict[str, Any]) -> None:
    """A request at HTTP's envelope was sent (checks/envelope.py); the deployment section reports it."""
    sink = _evidence.get()
    if sink is not None:
        sink.envelope.append(entry)


def warn(requirement: str, message: str) -> Finding:
    """Record a finding on the current check; it shows as a warning, not a failure."""
    finding = Finding(requirement, message)
    sink = _evidence.get()
    if sink is not None:
        sink.findings.append(finding)
    return finding


@contextmanager
def judged_apart(merge: bool = True, latest_wins: bool = False) -> Iterator[Evidence]:
    """Judge into a fresh Evidence, then merge it into the check's (a generated example is judged on its own)."""
    outer = _evidence.get()
    inner = Evidence()
    token = _evidence.set(inner)
    try:
        yield inner
    finally:
        _evidence.reset(token)
        if outer is not None and merge:
            outer.merge(inner, latest_wins)


@contextmanager
def soft() -> Iterator[None]:
    """Go on after a step whose failure is already recorded (independent steps of one check)."""
    try:
        yield
    except CheckFailed:
        if _evidence.get() is None:
            raise


def raise_if_breached(evidence: Evidence) -> None:
    """Raise the first breach of `evidence`, naming the others (a generated example must fail to shrink)."""
    __tracebackhide__ = True
    if evidence.breaches:
        first, rest = evidence.breaches[0], evidence.breaches[1:]
        kind = CrashFailed if first.crash else CheckFailed
        raise kind(
            first.requirements,
            first.message + "".join(f"\n  also {b.line()}" for b in rest),
            first.exchange,
            first.kind,
        )
