"""Every way a harness command or check ends other than "done", in one place (as httpx's
`_exceptions.py`), and the one set of exit codes every command returns.

    HarnessError                 the harness could not do what was asked
    ├── UsageError               exit 2: the input is wrong (files, keys, options)
    │   ├── TargetError            the target file (names the key)
    │   ├── TargetFileRefused      the target's answer shows a target-file key is wrong
    │   ├── WaiverError            the waiver file
    │   ├── ThresholdsError        a load profile's thresholds
    │   ├── SigningError           a signing key cannot be read or generated
    │   ├── TrustKeyError          certify-client --trust-key
    │   └── UnknownScenario        certify-client --scenario
    ├── TargetUnreachable        exit 3: the target does not answer
    ├── BudgetExceeded           the target's budget.max_requests is spent: no further request
    ├── EmbeddedServerError      the embedded reference server did not start
    ├── ServerStartError         certify-client's reference server did not start
    ├── MissingSignature         verify-report: the report carries no signature
    └── VerificationFailed       verify-report: altered, or signed by another key

    How a check ends without a verdict of its own (pytest sees these):
    CheckFailed (AssertionError)         an answer broke the requirements it names
    └── CrashFailed                      ... first by a crash (a 5xx or no answer)
    PreconditionFailed (AssertionError)  a step the check needs first did not work: blocked
    CheckBlocked                         the check could not judge (an unavoidable 429 ...)
    Unjudgeable ── Confounded            a throttle scenario gave no usable timeline
                └─ PoorTiming            ... because the machine's timing was too poor (retried)
    RunStopped (KeyboardInterrupt)       a signal or the deadline stopped the run

    Values that do not parse (ValueError, raised by the contract's decoders):
    DeviceInfoError, StatementError

Each class is importable from the module that raises it too (dcr_harness.contract.target.TargetError ...).
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

from .reasons import Reason, ReasonKind

if TYPE_CHECKING:
    from .checks.base import BreachKind
    from .http.exchange import Exchange


class ExitCode(IntEnum):
    """What every `dcr-harness` command (and `python -m dcr_harness.refserver`) exits with."""

    OK = 0
    FAILED = 1  # a check or a load threshold failed
    USAGE = 2  # a wrong option or input file; the target says its target file is wrong
    UNREACHABLE = 3  # the target (or certify-client's server) could not be reached / started
    INCOMPLETE = 4  # the run was stopped (signal, --max-time): the report says INCOMPLETE
    # The run could not judge what applies (INCONCLUSIVE): not a failure of the target. Not 5: pytest's
    # "no tests collected", which bare `pytest conformance` shares with this code space.
    INCONCLUSIVE = 6
    INTERNAL = 7  # the harness itself crashed (a bug to report): not the target's doing


class HarnessError(Exception):
    """The harness could not do what was asked."""


class UsageError(HarnessError):
    """The command's input is wrong: exit 2 with a message that names what to fix."""


class TargetError(UsageError):
    """A target file that cannot be used; the message names the key and the problem."""


class TargetFileRefused(UsageError):
    """The server's answer shows that a key of the target file is wrong (exit 2)."""


class WaiverError(UsageError, ValueError):
    """The waiver file is malformed (the run exits 2)."""


class ThresholdsError(UsageError, ValueError):
    """A load profile's thresholds are malformed."""


class SigningError(UsageError):
    """A key cannot be read or generated (usage error)."""


class TrustKeyError(UsageError, ValueError):
    """The --trust-key file is not a PEM public key."""


class UnknownScenario(UsageError, ValueError):
    """certify-client was asked for a scenario it does not have."""


class TargetUnreachable(HarnessError):
    """The target does not answer (exit 3)."""


class BudgetExceeded(HarnessError, RuntimeError):
    """The run reached the target's budget.max_requests; no further request is sent."""


class EmbeddedServerError(HarnessError, RuntimeError):
    """The embedded reference server did not start."""


class ServerStartError(HarnessError, RuntimeError):
    """certify-client's reference server did not start."""


class MissingSignature(HarnessError):
    """The report carries no signature."""


class VerificationFailed(HarnessError):
    """The report or its signature was altered, or was signed by another key."""


class RemoteTargetRefused(SystemExit):
    """A load run against a target that is not on loopback, refused before any request (exit 2)."""


# How a check ends ---------------------------------------------------------------------


class CheckFailed(AssertionError):
    """An answer broke these requirements (`kind`: a wrong answer, or no answer / a 5xx)."""

    def __init__(
        self,
        requirements: tuple[str, ...],
        message: str,
        exchange: Exchange | None = None,
        kind: BreachKind | None = None,
    ) -> None:
        self.requirements = requirements
        self.exchange = exchange
        self.detail = message
        self.kind = kind  # None: a wrong answer
        where = f"\n  exchange: {exchange.describe()}" if exchange is not None else ""
        super().__init__(f"[{', '.join(requirements)}] {message}{where}")


class CrashFailed(CheckFailed):
    """A check failed first on a server crash (a 5xx or no answer).

    Its own type, so that Hypothesis (which tells failures apart by exception type and place)
    reports a crash beside, not shrunk into, a wrong status or code on the same requirement."""


class PreconditionFailed(AssertionError):
    """A step that a check needs before it can judge anything did not work."""

    def __init__(self, message: str, exchange: Exchange, reason: Reason | None = None) -> None:
        super().__init__(message)
        self.exchange = exchange
        self.reason = reason  # what blocked it, as data (the requirement whose failure it is)


class CheckBlocked(Exception):
    """The check could not judge what it is about (a 429 it could not avoid, a failed precondition): no verdict."""

    def __init__(self, message: str, exchange: Exchange | None = None, reason: Reason | None = None) -> None:
        super().__init__(message)
        self.exchange = exchange
        self.reason = reason  # what blocked it, as data (the requirement whose failure it is)


class Unjudgeable(Exception):
    """A scenario could not produce a timeline that judges its requirement (timing, no throttle at all)."""

    # Why, as data (results.json's "unjudged"), when the requirement applies and only the run's
    # conditions kept it from being judged; None when the target itself explains it (a profile
    # other than the documented one, no throttle at all: other checks report that).
    unjudged: str | None = None


class PoorTiming(Unjudgeable):
    """The requests could not be placed certainly enough in throttle windows (a loaded machine)."""

    unjudged = ReasonKind.TIMING.value


class Confounded(Unjudgeable):
    """A scenario was not run because what it measures is confounded by another finding."""


class RunStopped(KeyboardInterrupt):
    """The run was stopped by a signal or its deadline."""


# Values that do not parse ---------------------------------------------------------------


class DeviceInfoError(ValueError):
    """A value that is not Base64 of a JSON object."""


class StatementError(ValueError):
    """A value that is not a JWS compact serialisation."""
