"""Independent checks side by side: pytest-xdist workers, one report.

Why processes (pytest-xdist) and not threads: pytest and Hypothesis run one test per
process at a time; most of a check's time is waiting (pacing, throttle windows, token
expiry), so a few workers overlap that waiting even on two cores.

- The main process starts the embedded reference server once (or loads the target file),
  and hands its target file, the run directory, the seed and, for the embedded reference
  (no device cursor), a block of device addresses to every worker (pytest_configure_node).
- Each worker records its checks as usual and sends each finished record, masked, on its
  teardown report, with the secrets it learned (so the main process masks JUnit and Allure
  with everything any worker saw). The main process writes results.json, JUnit and the
  certification: a stopped run keeps every check that finished.
- budget.max_requests holds across workers: one locked request count (http/budget.py).
- Checks that touch statements.revocable (a revocation is permanent) run on one worker, in
  collection order (ONE_WORKER; conformance/conftest.py runs the lifecycle model last).
  The scheduler (OneWorkerScheduling) is written against pytest-xdist's public Scheduling
  protocol. Not `--dist loadgroup`: pytest-xdist 3.8 marks a group by writing pytest's private
  `item._nodeid`, which pytest 9.2 no longer reads, so groups are silently split there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ..contract.target import load_target, target_from_dict
from ..contract.verdicts import Outcome
from ..http import Masker, Session
from ..http.budget import SharedRequestCount
from ..http.devices import DEVICE_NETWORK
from .embedded import EmbeddedServer
from .preflight import TargetFileRefused, TargetUnreachable, happy_path, preflight
from .reachability import ensure_target
from .recorder import RunRecorder
from .run_state import Halt
from .shrink_budget import shrink_seconds
from .stash import RECORD
from .wire import WorkerBrief, WorkerTotals

REQUEST_COUNT_FILE = "request-count"
DEVICES_PER_WORKER = 8192  # disjoint device addresses per worker (DEVICE_NETWORK has 131072)


def xdist_active(config: pytest.Config) -> bool:
    """pytest-xdist will start workers (its options are resolved before pytest_configure)."""
    return bool(getattr(config.option, "numprocesses", None)) and getattr(config.option, "dist", "no") != "no"


# The main process's happy-path preflight uses a device far from the workers' blocks.
PREFLIGHT_DEVICE_OFFSET = DEVICE_NETWORK.num_addresses - 1024

# The checks that use statements.revocable: the revocation check revokes it, and the lifecycle
# model (run after it) must know whether it is revoked before it starts.
ONE_WORKER = ("test_protected_api.py::test_revocation_mid_run", "test_lifecycle.py::")


def reachable_before_workers(config: pytest.Config, recorder: RunRecorder) -> bool:
    """A named target that does not answer is reported by one check in this process (exit 3), as
    a run without workers does: no workers are started (pytest-xdist reads --dist after us)."""
    state = recorder.state
    if state.target is None:
        return True  # the embedded reference: started, and checked, at session start
    try:
        state.reached(preflight(state.target))
        return True
    except TargetUnreachable as exc:
        state.stop_unreachable(f"target unreachable: {exc}")
        config.option.dist = "no"
        return False


def one_worker_scope(nodeid: str, patterns: tuple[str, ...]) -> str | None:
    """The shared unit of work of a ONE_WORKER check (matched after a path separator), else None."""
    return "one worker: statements.revocable" if any(f"/{p}" in f"/{nodeid}" for p in patterns) else None


def work_units(collection: list[str], patterns: tuple[str, ...]) -> list[list[int]]:
    """Indices of the collection in units of work: each shared unit (in collection order) first, the
    largest first, then every other check on its own."""
    shared: dict[str, list[int]] = {}
    alone: list[list[int]] = []
    for index, nodeid in enumerate(collection):
        scope = one_worker_scope(nodeid, patterns)
        if scope is None:
            alone.append([index])
        else:
            shared.setdefault(scope, []).append(index)
    return sorted(shared.values(), key=len, reverse=True) + alone


class OneWorkerScheduling:
    """pytest-xdist scheduling (its public Scheduling protocol, from pytest_xdist_make_scheduler).

    Work goes out in units (work_units) to the worker that runs low, as pytest-xdist's own load
    scheduling does: a worker keeps at least two tests pending, since it runs its last one only
    when it knows the next (or that it is shutting down)."""

    def __init__(self, config: pytest.Config, log: Any, patterns: tuple[str, ...] = ONE_WORKER) -> None:
        self.config, self.log, self.patterns = config, log, patterns
        workers = config.getoption("numprocesses", None)
        self.numnodes = workers if isinstance(workers, int) else len(config.getoption("tx", None) or [])
        self.collections: dict[Any, list[str]] = {}
        self.node_pending: dict[Any, list[int]] = {}
        self.collection: list[str] | None = None
        self.queue: list[list[int]] = []

    @property
    def nodes(self) -> list[Any]:
        return list(self.node_pending)

    @property
    def collection_is_completed(self) -> bool:
        return len(self.collections) >= self.numnodes

    @property
    def tests_finished(self) -> bool:
        return (
            self.collection_is_completed
            and self.collection is not None
            and not self.queue
            and all(len(p) < 2 for p in self.node_pending.values())
        )

    @property
    def has_pending(self) -> bool:
        return bool(self.queue) or any(self.node_pending.values())

    def add_node(self, node: Any) -> None:
        self.node_pending.setdefault(node, [])

    def add_node_collection(self, node: Any, collection: Any) -> None:
        if self.collection is not None and list(collection) != self.collection:
            self.log(f"worker {node.workerinput['workerid']} collected other tests: not used")
            return
        self.collections[node] = list(collection)

    def mark_test_complete(self, node: Any, item_index: int, duration: float = 0) -> None:
        self.node_pending[node].remove(item_index)
        self._refill(node)

    def mark_test_pending(self, item: str) -> None:
        assert self.collection is not None
        self.queue.insert(0, [self.collection.index(item)])
        for node in self.nodes:
            self._refill(node)

    def remove_pending_tests_from_node(self, node: Any, indices: Any) -> None:
        for index in indices:
            self.node_pending[node].remove(index)

    def remove_node(self, node: Any) -> str | None:
        """A worker went down: the test it was running crashed, its other tests go to the others."""
        pending = self.node_pending.pop(node, [])
        if not pending or self.collection is None:
            return None
        if pending[1:]:
            self.queue.insert(0, pending[1:])
        for other in self.nodes:
            self._refill(other)
        return self.collection[pending[0]]

    def schedule(self) -> None:
        if self.collection is not None:
            for node in self.nodes:
                self._refill(node)
            return
        collections = list(self.collections.values())
        if any(c != collections[0] for c in collections[1:]):
            self._report_different_collections()
            return
        self.collection = collections[0]
        self.queue = work_units(self.collection, self.patterns)
        for node in self.nodes[len(self.queue) :]:  # more workers than work
            self.node_pending.pop(node)
            node.shutdown()
        for node in self.nodes:
            self._refill(node)

    def _refill(self, node: Any) -> None:
        while not node.shutting_down and len(self.node_pending[node]) < 2:
            if not self.queue:
                node.shutdown()  # it runs what it has, then stops
                return
            unit = self.queue.pop(0)
            self.node_pending[node].extend(unit)
            node.send_runtest_some(unit)

    def _report_different_collections(self) -> None:
        (first, expected), *others = self.collections.items()
        for node, collection in others:
            if collection != expected:
                missing = sorted(set(expected) ^ set(collection))[:10]
                message = (
                    f"workers {first.workerinput['workerid']} and {node.workerinput['workerid']} collected "
                    f"different checks (first differences: {missing})"
                )
                self.log(message)
                report = pytest.CollectReport(
                    nodeid=node.workerinput["workerid"], outcome="failed", longrepr=message, result=[]
                )
                self.config.hook.pytest_collectreport(report=report)


class MergedRecord:
    """A worker's finished check, already a masked dict; masked again with the run's masker."""

    outcome = Outcome.MERGED  # never pending: it finished

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.nodeid = data["nodeid"]

    def to_dict(self, masker: Masker) -> dict[str, Any]:
        return json.loads(masker.mask(json.dumps(self.data)))


class WorkersTotals:
    """Stands in for the run's Session in the main process: the counts of the workers' sessions."""

    def __init__(self, count: SharedRequestCount) -> None:
        self.count = count
        self.per_worker: dict[str, WorkerTotals] = {}
        self.pacer = self.devices = self  # results.json reads session.pacer.waited_s and session.devices.note

    @property
    def sent(self) -> int:
        return self.count.value()

    def _sum(self, key: str) -> float:
        return sum(getattr(w, key) for w in self.per_worker.values())

    @property
    def unexpected_429(self) -> int:
        return int(self._sum("unexpected_429"))

    @property
    def waited_s(self) -> float:
        return self._sum("pacing_wait_s")

    def _first(self, key: str) -> Any:
        return next((getattr(w, key) for w in self.per_worker.values() if getattr(w, key)), None)

    @property
    def throttle_mismatch(self) -> str | None:
        return self._first("throttle_mismatch")

    @property
    def note(self) -> str | None:
        return self._first("device_note")

    @property
    def shrink_seconds(self) -> float:
        return round(self._sum("shrink_seconds"), 3)

    def close(self) -> None:
        pass


class Controller:
    """pytest plugin object in the main process of a concurrent run."""

    def __init__(self, config: pytest.Config, recorder: RunRecorder) -> None:
        self.config = config
        self.recorder = recorder
        self.state = recorder.state
        self.count = SharedRequestCount(self.state.run_dir / REQUEST_COUNT_FILE)
        self.state.count_with(WorkersTotals(self.count))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        return OneWorkerScheduling(config, log)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """The target once for all workers, before they start: reachable, and its happy path tried once
        (counted in the run's budget), so that workers neither repeat it nor each spend budget on it."""
        state = self.state
        try:
            target = ensure_target(state, None)
        except pytest.exit.Exception:  # the embedded reference did not start: no session finish will follow
            self.recorder.end(session)
            raise
        if state.standing.halt is Halt.UNREACHABLE or state.reachability is None:
            return
        self.count.take(target.max_requests)  # the reachability request of ensure_target
        probe = Session(
            target,
            masker=state.masker,
            persist_devices=state.embedded is None,
            device_offset=PREFLIGHT_DEVICE_OFFSET,
            shared_count=self.count,
        )
        try:
            state.tried_happy_path(happy_path(probe) or "ok")
        except TargetFileRefused as exc:
            state.tried_happy_path(f"refused: target file error: {exc}", target_file_problem=str(exc))
        finally:
            probe.close()

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        state, hypothesis = self.state, self.recorder.hypothesis
        assert hypothesis is not None  # attached before the controller is registered
        embedded = state.embedded if isinstance(state.embedded, EmbeddedServer) else None  # the main process's own
        index = int(str(node.workerinput["workerid"]).removeprefix("gw") or 0)
        node.workerinput.update(
            WorkerBrief(
                target_file=str(embedded.target_file) if embedded else state.target_path,
                embedded_data_dir=str(embedded.data_dir) if embedded else None,
                embedded_faults=list(embedded.faults) if embedded else [],
                run_dir=str(state.run_dir),
                seed=hypothesis.seed,
                seed_forced=hypothesis.forced,
                device_offset=index * DEVICES_PER_WORKER % DEVICE_NETWORK.num_addresses,
                reachability=state.reachability,
                unreachable=state.standing.why(Halt.UNREACHABLE),
                target_file_problem=state.target_file_problem,
                run_config=state.run_config,
            ).to_wire()
        )

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "dcr_record", None)
        if data is None:
            return
        state = self.state
        for value, kind, origin in getattr(report, "dcr_secrets", []):
            state.masker.add(value, kind, origin)
        worker = WorkerTotals.from_wire(getattr(report, "dcr_totals", None))
        if state.workers is not None:
            state.workers.per_worker[str(getattr(report, "node", "?"))] = worker
        # Every worker collects, and deselects, the whole suite: a narrowed run says how much it left out.
        state.merge_worker_record(MergedRecord(data), worker.deselected)
        if worker.target_file_refused:  # statements.valid refused (preflight): exit 2, as without workers
            state.stop_target_file_refused(worker.stop_reason)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.state.collected_by_worker(ids)


class WorkerRecorder(RunRecorder):
    """A worker's recorder: records checks, writes nothing (the main process writes the reports)."""

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.state.session is not None:
            self.state.session.close()


class SharedEmbedded:
    """The main process's embedded server as a worker sees it: its data dir and faults; not its to stop."""

    def __init__(self, data_dir: str, faults: list[str]) -> None:
        self.data_dir = Path(data_dir)
        self.faults = tuple(faults)
        self.extra_args: tuple[str, ...] = ()  # the main process records them (results.json)

    def stop(self) -> None:
        pass


class Worker:
    """pytest plugin object in a worker: each finished record goes to the main process on its teardown report."""

    def __init__(self, recorder: WorkerRecorder) -> None:
        self.recorder = recorder
        self.secrets_sent = 0

    @pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: after the harness plugin has judged the teardown
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]):
        report = yield
        record = item.stash.get(RECORD, None)
        if report.when == "teardown" and record is not None:
            state = self.recorder.state
            report.dcr_record = record.to_dict(state.masker)
            learned = state.masker.learned
            report.dcr_secrets = [list(pair) for pair in learned[self.secrets_sent :]]
            self.secrets_sent = len(learned)
            session = state.session
            report.dcr_totals = WorkerTotals(
                deselected=state.deselected,
                target_file_refused=state.standing.halt is Halt.TARGET_FILE_REFUSED,
                stop_reason=state.standing.reason,
                shrink_seconds=shrink_seconds(),
                unexpected_429=session.unexpected_429 if session else 0,
                throttle_mismatch=session.throttle_mismatch if session else None,
                device_note=session.devices.note if session else None,
                pacing_wait_s=round(session.pacer.waited_s, 2) if session and session.pacer else 0,
            ).to_wire()
        return report


def configure_worker(config: pytest.Config, brief: WorkerBrief) -> WorkerRecorder:
    """The worker's recorder, on the target and run directory the main process chose."""
    path = brief.target_file
    assert path is not None
    if brief.embedded_data_dir:
        data_dir = Path(brief.embedded_data_dir)
        target = target_from_dict(
            json.loads(Path(path).read_text()), base_dir=data_dir, source="embedded reference server"
        )
    else:
        target = load_target(path)
    recorder = WorkerRecorder(config, brief.run_config, target, path, Path(brief.run_dir))
    state = recorder.state
    # The embedded reference forgets devices between runs: each worker takes its own block from the start.
    # Any other target: the per-target device cursor (http/devices.py) hands blocks out under a lock.
    state.as_worker(brief.device_offset, SharedRequestCount(state.run_dir / REQUEST_COUNT_FILE))
    if brief.embedded_data_dir:
        state.share_embedded(SharedEmbedded(brief.embedded_data_dir, brief.embedded_faults))
    state.reached(brief.reachability, brief.target_file_problem)
    if brief.unreachable:
        state.stop_unreachable(brief.unreachable)
    config.pluginmanager.register(Worker(recorder), "dcr_harness_worker")
    return recorder
