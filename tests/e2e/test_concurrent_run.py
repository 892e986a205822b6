"""A concurrent run (pytest-xdist workers) is one run: one target, one report, one request budget."""

from __future__ import annotations

import json

import pytest

from dcr_harness.engine.concurrency import ONE_WORKER, OneWorkerScheduling, one_worker_scope, work_units
from dcr_harness.engine.embedded import EmbeddedServer

from ..harness_runs import run_harness

pytestmark = pytest.mark.slow
BUDGET = 40


def test_one_worker_checks_share_one_unit_of_work():
    scopes = {
        one_worker_scope(n, ONE_WORKER)
        for n in (
            "conformance/test_protected_api.py::test_revocation_mid_run",
            "conformance/test_lifecycle.py::test_client_lifecycle",
        )
    }
    assert len(scopes) == 1 and None not in scopes
    assert one_worker_scope("conformance/test_protected_api.py::test_expired_token_is_rejected", ONE_WORKER) is None


class FakeWorker:
    """What the scheduler uses of pytest-xdist's WorkerController (its public methods)."""

    def __init__(self, name: str) -> None:
        self.workerinput = {"workerid": name}
        self.shutting_down = False
        self.sent: list[int] = []

    def send_runtest_some(self, indices):
        self.sent.extend(indices)

    def shutdown(self):
        self.shutting_down = True


COLLECTION = [
    "conformance/test_a.py::test_1",
    "conformance/test_protected_api.py::test_revocation_mid_run",
    "conformance/test_a.py::test_2",
    "conformance/test_lifecycle.py::test_client_lifecycle",
    "conformance/test_a.py::test_3",
    "conformance/test_a.py::test_4",
]


def test_the_one_worker_checks_are_one_unit_sent_first():
    assert work_units(COLLECTION, ONE_WORKER) == [[1, 3], [0], [2], [4], [5]]


def test_one_worker_gets_both_revocable_checks_and_every_check_runs_once(pytestconfig):
    scheduler = OneWorkerScheduling(pytestconfig, log=lambda *a: None)
    scheduler.numnodes = 2
    workers = [FakeWorker("gw0"), FakeWorker("gw1")]
    for w in workers:
        scheduler.add_node(w)
        scheduler.add_node_collection(w, COLLECTION)
    assert scheduler.collection_is_completed
    scheduler.schedule()
    assert workers[0].sent[:2] == [1, 3] and not set(workers[1].sent) & {1, 3}
    while not scheduler.tests_finished:  # each worker completes its first pending test
        progressed = False
        for w in workers:
            pending = scheduler.node_pending[w]
            if len(pending) >= 2 or (pending and w.shutting_down):
                scheduler.mark_test_complete(w, pending[0])
                progressed = True
        assert progressed
    assert sorted(workers[0].sent + workers[1].sent) == list(range(len(COLLECTION)))
    assert all(w.shutting_down for w in workers)


def test_workers_share_the_request_budget_and_report_once(tmp_path):
    with EmbeddedServer(tmp_path / "server") as target:
        data = json.loads((tmp_path / "server" / "target.json").read_text())
        data["budget"] = {"max_requests": BUDGET}
        path = tmp_path / "target.json"
        path.write_text(json.dumps(data))
        run = run_harness(
            ["run", "--target", str(path), "--workers", "2", "--no-example-db", "-k", "test_register"],
            tmp_path / "reports",
        )
    results = run.results()
    assert results["requests_sent"] <= BUDGET, results["requests_sent"]
    skipped = [c for c in results["checks"] if c["outcome"] == "skipped" and "budget.max_requests" in c["message"]]
    assert skipped, run.output[-3000:]
    nodeids = [c["nodeid"] for c in results["checks"]]
    assert len(nodeids) == len(set(nodeids)) > BUDGET // 10, "every check is reported exactly once"
    assert results["selection"]["narrowed"] and results["selection"]["deselected"] > 0
    assert len([p for p in (tmp_path / "reports").glob("*/results.json") if not p.parent.is_symlink()]) == 1
    assert target.statements.valid not in (run.output + json.dumps(results))
    # The happy path is tried once, by the main process, within the budget: not once per worker.
    assert results["reachability"]["happy_path"] == "ok"
