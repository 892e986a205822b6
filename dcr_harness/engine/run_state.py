"""What a conformance run knows, as one typed value: the target and its session, one CheckRecord
per check, how the run stands; its state changes are the methods below.

No pytest here: engine/recorder.py (the pytest adapter) feeds it from pytest's hooks, and at the
end engine/results_of.py reads it into results.json and ending() says how the run ended.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from .. import checks
from ..contract.target import Target
from ..contract.verdicts import Outcome
from ..http import Exchange, Masker, Session
from ..http.secret_scan import SecretScanner
from ..results.record import CheckRecord
from ..results.run_result import Ending, utc_now
from .embedded import EmbeddedServer, EmbeddedServerError

if TYPE_CHECKING:
    from ..http.budget import SharedRequestCount
    from .concurrency import MergedRecord, SharedEmbedded, WorkersTotals
    from .run_config import RunConfig


class Halt(Enum):
    """Why the engine halted the run before its checks could judge the target."""

    NONE = "none"  # it goes on
    UNREACHABLE = "unreachable"  # the target did not answer the preflight (exit 3)
    EMBEDDED_DOWN = "embedded reference down"  # the embedded reference did not start (exit 3)
    TARGET_FILE_REFUSED = "target file refused"  # the target's answer says statements.valid is wrong (exit 2)


HALT_ENDINGS = {
    Halt.UNREACHABLE: Ending.UNREACHABLE,
    Halt.EMBEDDED_DOWN: Ending.UNREACHABLE,
    Halt.TARGET_FILE_REFUSED: Ending.TARGET_FILE_REFUSED,
}
# The halts whose reason is every failing check's message (the target's fault, not a check's).
TARGET_HALTS = (Halt.UNREACHABLE, Halt.TARGET_FILE_REFUSED)


@dataclass(frozen=True)
class Standing:
    """How the run stands: halted by the engine (and the sentence why), stopped by a signal or the
    deadline (RunStopper's reason: the report is INCOMPLETE), or neither. The first of each is kept."""

    halt: Halt = Halt.NONE
    reason: str | None = None
    stopped: str | None = None

    def ending(self, otherwise: Ending) -> Ending:
        """A stop comes first, then the engine's halt; otherwise the run ended as pytest says."""
        if self.stopped is not None:
            return Ending.STOPPED
        return HALT_ENDINGS.get(self.halt, otherwise)

    @property
    def stop_reason(self) -> str | None:
        return self.stopped if self.stopped is not None else self.reason

    @property
    def target_halted(self) -> bool:
        """The target halted the run: each check's error is the halt's reason, shown without a failure block."""
        return self.halt in TARGET_HALTS

    def why(self, halt: Halt) -> str | None:
        """The reason when the run is halted so, else None."""
        return self.reason if self.halt is halt else None


@dataclass(frozen=True)
class Narrowing:
    """How pytest's own options narrowed the run (-k, -m, --ignore, a subset of the suites): results.json's selection."""

    k: str = ""
    m: str = ""
    ignored: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()


@dataclass(eq=False)
class RunState:
    run_config: RunConfig
    target: Target | None
    target_path: str | None
    run_dir: Path
    embedded: EmbeddedServer | SharedEmbedded | None = None
    session: Session | None = None  # the run's HTTP session, in a process that runs checks
    workers: WorkersTotals | None = None  # the main process of a concurrent run: its workers' request figures
    masker: Masker = field(default_factory=Masker)
    records: list[CheckRecord | MergedRecord] = field(default_factory=list)
    current: CheckRecord | None = None
    reachability: dict[str, object] | None = None  # the preflight's facts (results.json)
    # The main process of a concurrent run found the target file refused by the target (its workers stop on it).
    target_file_problem: str | None = None
    standing: Standing = Standing()
    deselected: int = 0
    collected: list[str] = field(default_factory=list)  # node ids of the checks collected (not_run of a stopped run)
    selection_note: str | None = None  # what --req chose, said on the console
    narrowing: Narrowing = Narrowing()
    # The run's Hypothesis seed, also when chosen by the run (HypothesisRun's); the one asked for until then.
    seed: int | None = field(init=False, default=None)
    started_at: str = field(default_factory=utc_now)
    # A concurrent run's worker: its block of device addresses and the request count all workers share.
    device_offset: int = 0
    shared_count: SharedRequestCount | None = None

    scanner: SecretScanner = field(init=False)  # every artifact of the run is written through it

    def __post_init__(self) -> None:
        self.scanner = SecretScanner(self.masker)
        self.seed = self.run_config.hypothesis_seed
        if self.target is not None:
            self.masker.add_target(self.target)

    # How the run stands ------------------------------------------------------------

    def stop_unreachable(self, reason: str) -> None:
        """No verdicts: the target does not answer (exit 3)."""
        self._halt(Halt.UNREACHABLE, reason)

    def stop_target_file_refused(self, reason: str | None) -> None:
        """No verdicts: the target's answer says the target file is wrong (exit 2)."""
        self._halt(Halt.TARGET_FILE_REFUSED, reason)

    def stopped(self, reason: str) -> None:
        """A signal or the run deadline stopped the run: it reports what finished, INCOMPLETE."""
        if self.standing.stopped is None:
            self.standing = replace(self.standing, stopped=reason)

    def _halt(self, halt: Halt, reason: str | None) -> None:
        if self.standing.halt is Halt.NONE:  # the first halt stopped the run; what follows is its consequence
            self.standing = replace(self.standing, halt=halt, reason=reason)

    def ending(self, otherwise: Ending) -> Ending:
        return self.standing.ending(otherwise)

    # What the run learnt -----------------------------------------------------------

    def reached(self, facts: dict[str, object] | None, target_file_problem: str | None = None) -> None:
        """The target answered the preflight (engine/preflight.py); facts go to results.json.
        A concurrent run's worker also gets the main process's target_file_problem (see tried_happy_path)."""
        self.reachability, self.target_file_problem = facts, target_file_problem

    def tried_happy_path(self, outcome: str, target_file_problem: str | None = None) -> None:
        """statements.valid registered and got a token ("ok"), or what the server did instead;
        target_file_problem: the answer says the target file is wrong (the run stops, exit 2)."""
        self.reachability = {**(self.reachability or {}), "happy_path": outcome}
        self.target_file_problem = target_file_problem

    def seeded(self, seed: int | None) -> None:
        self.seed = seed

    def narrowed(self, note: str | None) -> None:
        self.selection_note = note

    def narrowed_by(self, narrowing: Narrowing) -> None:
        self.narrowing = narrowing

    def collected_here(self, ids: list[str]) -> None:
        self.collected = list(ids)

    def collected_by_worker(self, ids: list[str]) -> None:
        """Every worker collects the whole suite: the first one's list stands for all."""
        self.collected = self.collected or list(ids)

    def deselect(self, count: int) -> None:
        self.deselected += count

    # A concurrent run ---------------------------------------------------------------

    def merge_worker_record(self, record: MergedRecord, deselected: int) -> None:
        """A concurrent run's worker finished a check (engine/concurrency.py); every worker deselects alike."""
        self.records.append(record)
        self.deselected = max(self.deselected, deselected)

    def count_with(self, totals: WorkersTotals) -> None:
        """A concurrent run's main process: the run's request figures are its workers' totals."""
        self.workers = totals

    def share_embedded(self, embedded: SharedEmbedded) -> None:
        """A concurrent run's worker: the embedded server its main process started."""
        self.embedded = embedded

    def as_worker(self, device_offset: int, shared_count: SharedRequestCount) -> None:
        """A concurrent run's worker: its own block of device addresses, and the request count of the
        whole run (the main process counted the preflight's request in it)."""
        self.device_offset, self.shared_count = device_offset, shared_count

    # The target and its session ----------------------------------------------------

    def start_embedded(self) -> Target:
        """The embedded reference, started; when it does not start the run halts (and the error is raised)."""
        config = self.run_config
        server = EmbeddedServer(
            self.run_dir / "reference-server",
            faults=list(config.embedded_faults),
            extra_args=list(config.embedded_args),
        )
        self.embedded = server
        try:
            self.target = server.start()
        except EmbeddedServerError as exc:
            self._halt(Halt.EMBEDDED_DOWN, f"the embedded reference server did not start: {exc}")
            raise
        self.masker.add_target(self.target)
        return self.target

    @property
    def figures(self) -> Session | WorkersTotals | None:
        """Where the run's request figures are read: its workers' totals, else its session."""
        return self.workers if self.workers is not None else self.session

    def session_for(self, target: Target) -> Session:
        if self.session is None:
            # The embedded reference is a fresh process each run: no device cursor to keep.
            # A worker's takes its own block of devices and the run's shared request count.
            self.session = Session(
                target,
                masker=self.masker,
                persist_devices=self.embedded is None,
                device_offset=self.device_offset,
                shared_count=self.shared_count,
            )
            if self.reachability is not None and self.shared_count is None:
                self.session.sent += 1  # preflight()'s reachability request counts against budget.max_requests
            self.session.listeners.append(self._on_exchange)
        return self.session

    @contextmanager
    def outside_checks(self) -> Iterator[None]:
        """Exchanges sent in here (the preflight) belong to no check, even inside a check's setup."""
        current, self.current = self.current, None
        try:
            yield
        finally:
            self.current = current

    def _on_exchange(self, exchange: Exchange) -> None:
        if self.current is not None:
            self.current.exchanges.append(exchange)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()  # kept, closed, so that the summary can still count requests
        if self.embedded is not None:
            self.embedded.stop()

    # Per check ----------------------------------------------------------------------

    def begin(self, nodeid: str, title: str, requirements: list[str]) -> CheckRecord:
        record = CheckRecord(nodeid=nodeid, title=title, requirements=requirements)
        self.records.append(record)
        self.current = record
        self.masker.context = nodeid  # secrets the server issues now are "issued in" this check (legend)
        checks.collect_evidence_into(record.evidence)
        return record

    def file_on_running_check(self, exchange: Exchange) -> None:
        """Show an exchange sent outside the running check (a reused positive control) on it, once."""
        if self.current is not None and all(e is not exchange for e in self.current.exchanges):
            self.current.exchanges.append(exchange)

    def end(self, record: CheckRecord) -> None:
        record.duration = time.monotonic() - record.started
        if record.outcome != Outcome.PENDING:
            record.freeze(self.masker)
        self.current = None
        self.masker.context = None
        checks.collect_evidence_into(None)

    # End of run ---------------------------------------------------------------------

    def settle(self) -> None:
        """A stopped run reports the checks that finished (the one cut short is listed as not run);
        a run halted early must not certify what it never checked."""
        if self.standing.stopped is not None:
            self.records = [r for r in self.records if r.outcome != Outcome.PENDING]
        for record in self.records:
            if isinstance(record, CheckRecord) and record.outcome == Outcome.PENDING:
                record.outcome = Outcome.ERROR
                record.message = f"not run: {self.standing.reason or 'the run stopped before this check finished'}"

    @property
    def writes_reports(self) -> bool:
        """A run writes its reports when any check ran, or when it was stopped (an INCOMPLETE report)."""
        return bool(self.records) or self.standing.stopped is not None
