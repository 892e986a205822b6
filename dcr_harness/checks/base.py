"""What a failed check carries: the requirements it breaks and the exchange that shows it."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import NoReturn

from ..http.exchange import Exchange


class CheckFailed(AssertionError):
    def __init__(self, requirements: tuple[str, ...], message: str, exchange: Exchange | None = None) -> None:
        self.requirements = requirements
        self.exchange = exchange
        self.detail = message
        where = f"\n  exchange: {exchange.describe()}" if exchange is not None else ""
        super().__init__(f"[{', '.join(requirements)}] {message}{where}")


@dataclass(frozen=True)
class Finding:
    """A SHOULD-level deviation, or a difference from the vendor's OpenAPI file: reported, not failed."""

    requirement: str
    message: str


def fail(requirements: str | tuple[str, ...], message: str, exchange: Exchange | None = None) -> NoReturn:
    __tracebackhide__ = True  # the failure is the server's, not this line's
    raise CheckFailed((requirements,) if isinstance(requirements, str) else requirements, message, exchange)


_findings: ContextVar[list[Finding] | None] = ContextVar("dcr_harness_findings", default=None)


def collect_findings_into(sink: list[Finding] | None) -> None:
    """Findings of the current check land in sink from now on (None: nowhere)."""
    _findings.set(sink)


def warn(requirement: str, message: str) -> Finding:
    """Record a finding on the current check; it shows as a warning, not a failure."""
    finding = Finding(requirement, message)
    sink = _findings.get()
    if sink is not None:
        sink.append(finding)
    return finding
