"""What the console and CI dashboards show of a failed check: one short block, one headline.

The block is the violated requirement with one line on what was expected and what came,
the minimal case, the exchange and its curl line. The full text (traceback, Hypothesis'
falsifying example) stays in the report files: it is what `str()` of the view gives, and
JUnit writes `str()` as the failure body while its `message` attribute (what dashboards
show) is the headline. `--tb=long`, `--tb=native` or `--full-trace` keep pytest's own view.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest

from ..checks import CheckBlocked, CheckFailed
from ..checks.base import Breach
from ..http import Masker
from ..http.client import PreconditionFailed
from ..http.exchange import Exchange

MAX_CASE_LINES = 10
MAX_LINE = 200
FULL_TRACEBACK_STYLES = ("long", "native")


@dataclass(frozen=True)
class Crash:
    """The shape pytest and its JUnit writer read a one-line failure message from."""

    path: str
    lineno: int
    message: str


@dataclass
class FailureView:
    headline: str
    lines: list[str]
    full: str
    reprcrash: Crash = field(init=False)
    path: str = ""
    lineno: int = 0

    def __post_init__(self) -> None:
        self.reprcrash = Crash(self.path, self.lineno, self.headline)

    def toterminal(self, tw: Any) -> None:
        tw.line(self.headline, red=True, bold=True)
        for line in self.lines:
            tw.line(line)

    def __str__(self) -> str:
        return self.full

    def to_dict(self) -> dict[str, Any]:
        return {
            "headline": self.headline,
            "lines": self.lines,
            "full": self.full,
            "path": self.path,
            "lineno": self.lineno,
        }


# Concurrent runs (pytest-xdist) send reports from worker to controller as JSON: pytest flattens
# the view to str() (the full text) and carries a report's other attributes as they are. The
# view travels as one such attribute and is put back on arrival.
SERIAL_KEY = "dcr_failure_view"


def attach(report: pytest.TestReport, view: FailureView) -> None:
    report.longrepr = view
    setattr(report, SERIAL_KEY, view.to_dict())


def restore(report: pytest.TestReport) -> bool:
    """Put a worker's view back on its report (on the controller); True when there was one."""
    data = getattr(report, SERIAL_KEY, None)
    if not data or isinstance(report.longrepr, FailureView):
        return False
    report.longrepr = FailureView(**data)
    return True


def _cut(text: str, limit: int = MAX_LINE) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


MAX_MORE_BREACHES = 4


def _first_check_failure(exc: BaseException | None) -> tuple[BaseException | None, int]:
    """The exception to show, and how many more distinct failures Hypothesis found."""
    if isinstance(exc, BaseExceptionGroup):
        leaves = _leaves(exc)
        primary = next((e for e in leaves if isinstance(e, CheckFailed)), leaves[0])
        return primary, len(leaves) - 1
    return exc, 0


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    out: list[BaseException] = []
    for e in group.exceptions:
        out.extend(_leaves(e) if isinstance(e, BaseExceptionGroup) else [e])
    return out


def _case_lines(exc: BaseException | None, detail_lines: list[str]) -> list[str]:
    """The minimal case: the generated case's name, else Hypothesis' steps (stateful runs)."""
    named = [line.strip().removeprefix("case:").strip() for line in detail_lines if line.strip().startswith("case:")]
    if named:
        return [f"  minimal case: {_cut(named[0])}"]
    notes = "\n".join(getattr(exc, "__notes__", []) or [])
    if "Falsifying example" not in notes:
        return []
    steps = [
        line
        for line in notes.splitlines()[1:]
        if line.strip() and not line.lstrip().startswith(("#", "Falsifying", "reproduce with", "curl "))
    ]
    shown = [f"    {_cut(line.rstrip())}" for line in steps[:MAX_CASE_LINES]]
    more = (
        [f"    ... ({len(steps) - MAX_CASE_LINES} more lines in the report files)"]
        if len(steps) > MAX_CASE_LINES
        else []
    )
    return ["  minimal case (Hypothesis):", *shown, *more]


def _statement(exc: BaseException | None, breaches: list[Breach], requirements: list[str]) -> list[str]:
    """The failure in words: the first line is the headline, the others its details.

    A raised CheckFailed comes first: for a generated check it is the shrunk, minimal example.
    """
    cited = ", ".join(requirements)
    if isinstance(exc, CheckFailed):
        lines = f"[{', '.join(dict.fromkeys(exc.requirements))}] {exc.detail}".splitlines()
    elif breaches:
        lines = breaches[0].line().splitlines()
    elif isinstance(exc, (CheckBlocked, PreconditionFailed)):
        lines = [f"blocked, no verdict on {cited}: {exc}"]
    elif isinstance(exc, (AssertionError, pytest.fail.Exception)):
        lines = [f"[{cited}] {exc or 'assertion failed'}"]
    elif exc is None:
        lines = ["failed"]
    else:
        lines = [f"harness error in a check of {cited}: {type(exc).__name__}: {exc}"]
    said = {lines[0]} | {
        line.strip().removeprefix("also ") for line in lines[1:]
    }  # the raised failure names its others
    others = list(dict.fromkeys(b.line().splitlines()[0] for b in breaches if b.line().splitlines()[0] not in said))
    lines += [f"also: {_cut(line)}" for line in others[:MAX_MORE_BREACHES]]
    if len(others) > MAX_MORE_BREACHES:
        lines.append(f"also: {len(others) - MAX_MORE_BREACHES} more breaches in the report files")
    return lines


def _counted(lines: Iterable[str]) -> dict[str, int]:
    """Each distinct line once, where it first came, with how often it came: the examples of a generated
    check often break a requirement alike ("also [TOK-OK-1] expected status 201, got 200" ten times)."""
    counts: dict[str, int] = {}
    for line in lines:
        counts[line] = counts.get(line, 0) + 1
    return counts


def _exchange_of(exc: BaseException | None, breaches: list[Breach], fallback: list[Exchange]) -> Exchange | None:
    for candidate in [getattr(exc, "exchange", None)] + ([breaches[0].exchange] if breaches else []):
        if isinstance(candidate, Exchange):
            return candidate
    return fallback[-1] if fallback else None


def build(
    excinfo: pytest.ExceptionInfo[BaseException] | None,
    breaches: list[Breach],
    requirements: list[str],
    exchanges: list[Exchange],
    masker: Masker,
    full_text: str,
    reports: str,
) -> FailureView:
    """One failed check, readable: its breaches (what the answers broke), else what stopped it."""
    exc, more = _first_check_failure(excinfo.value if excinfo is not None else None)
    lines = _statement(exc, breaches, requirements)
    headline = masker.mask(lines[0])
    skip = ("case:", "reproduce with:", "exchange:")
    shown = _counted(line.strip() for line in lines[1:] if line.strip() and not line.strip().startswith(skip))
    body = [f"  {_cut(line)}" + (f" (\u00d7{n})" if n > 1 else "") for line, n in shown.items()]
    body += _case_lines(exc, lines)
    exchange = _exchange_of(exc, breaches, exchanges)
    if exchange is not None:
        body.append(f"  exchange: {exchange.describe()}")
        if exchange.status is not None and 300 <= exchange.status < 400 and exchange.header("location"):
            body.append(f"  redirect to {_cut(exchange.header('location') or '')} (never followed)")
        body.append(f"  reproduce: {exchange.curl(masker)}")
    if more:
        body.append(f"  (+{more} more distinct failure{'s' if more > 1 else ''} of this check)")
    entry = excinfo.traceback[-1] if excinfo is not None and excinfo.traceback else None
    harness_error = (
        exc is not None and not breaches and not isinstance(exc, (AssertionError, CheckBlocked, pytest.fail.Exception))
    )
    if harness_error and entry is not None:
        body.append(f"  at {entry.path}:{entry.lineno + 1}")
    body.append(f"  full exchange and traceback: {reports}")
    return FailureView(
        headline=headline,
        lines=[masker.mask(line) for line in body],
        full=full_text,
        path=str(entry.path) if entry is not None else "",
        lineno=entry.lineno + 1 if entry is not None else 0,
    )


def wants_full_traceback(config: pytest.Config) -> bool:
    return bool(config.getoption("fulltrace", False)) or config.getoption("tbstyle", "auto") in FULL_TRACEBACK_STYLES
