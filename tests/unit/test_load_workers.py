"""A distributed load run's bookkeeping: which workers were lost with how much of the planned load,
and device identities that no two workers share (the throttle is per device)."""

from __future__ import annotations

import pytest

from dcr_harness.loadgen.devices import DEVICE_STRIDE, device_address, devices_per_worker, stride_for
from dcr_harness.loadgen.safety import request_share
from dcr_harness.loadgen.workers import WorkerLedger, WorkerSample

LIVE, MISSING = False, True


def ledger_after(samples: list[tuple[float, dict[str, tuple[bool, int]], bool]]) -> WorkerLedger:
    ledger = WorkerLedger(started=0.0)
    for now, workers, running in samples:
        ledger.observe(now, {w: WorkerSample(missing, users) for w, (missing, users) in workers.items()}, running)
    return ledger


def test_a_run_without_loss_says_nothing_and_counts_what_it_delivered():
    ledger = ledger_after(
        [(0.0, {"a": (LIVE, 3), "b": (LIVE, 3)}, True), (2.0, {"a": (LIVE, 3), "b": (LIVE, 3)}, True)]
    )
    assert ledger.sentence() is None and ledger.lost == []
    assert ledger.to_dict()["delivered_user_seconds"] == 12.0 and ledger.lost_share() == 0.0


def test_a_lost_worker_is_named_with_its_users_and_its_share_of_the_load():
    ledger = ledger_after(
        [
            (0.0, {"a": (LIVE, 2), "b": (LIVE, 2)}, True),
            (4.0, {"a": (LIVE, 2), "b": (MISSING, 0)}, True),  # Locust clears a missing worker's users
            (8.0, {"a": (LIVE, 2), "b": (MISSING, 0)}, True),
            (9.0, {"a": (LIVE, 0)}, False),  # stopping: no more load was planned
        ]
    )
    d = ledger.to_dict()
    assert d["lost"] == [{"worker": "b", "users": 2, "lost_after_s": 4.0}]
    # 0-4 s: both workers delivered 4 users; 4-8 s: a delivered 2, b's 2 were lost.
    assert (d["delivered_user_seconds"], d["lost_user_seconds"]) == (24.0, 8.0)
    assert d["lost_share_of_planned_load"] == 0.25
    sentence = ledger.sentence()
    assert sentence is not None and sentence.startswith(
        "1 of 2 workers lost (missed heartbeats) with 2 users: at least 25%"
    )


def test_a_worker_that_comes_back_stays_counted_as_lost():
    ledger = ledger_after(
        [(0.0, {"a": (LIVE, 1)}, True), (1.0, {"a": (MISSING, 0)}, True), (2.0, {"a": (LIVE, 1)}, True)]
    )
    assert ledger.lost == ["a"] and ledger.to_dict()["lost_user_seconds"] == 1.0


def test_a_worker_lost_before_any_user_is_still_reported():
    ledger = ledger_after([(0.0, {"a": (MISSING, 0), "b": (LIVE, 0)}, False)])
    assert ledger.lost == ["a"] and ledger.to_dict()["seen"] == 2
    assert ledger.sentence() == "1 of 2 workers lost (missed heartbeats) before the run's users ran"


@pytest.mark.parametrize("workers", [1, 2, 5, DEVICE_STRIDE, DEVICE_STRIDE + 3])
def test_no_two_workers_of_a_run_share_a_device(workers):
    stride = stride_for(workers)
    per_worker = 300
    seen: dict[str, int] = {}
    for index in range(workers):
        for k in range(1, per_worker + 1):
            address = device_address(12345, index, k, stride)
            assert seen.setdefault(address, index) == index, f"{address}: workers {seen[address]} and {index}"
    assert len(seen) == workers * per_worker


def test_a_worker_takes_many_devices_before_its_addresses_repeat_and_stays_in_the_range():
    stride = stride_for(2)
    n = devices_per_worker(stride)
    first = [device_address(131000, 1, k, stride) for k in range(1, n + 1)]
    assert len(set(first)) == n and n >= 2000
    assert device_address(131000, 1, n + 1, stride) == first[0]
    assert all(a.startswith(("198.18.", "198.19.")) for a in first)


def test_a_single_process_takes_consecutive_devices():
    assert [device_address(0, 0, k, 1) for k in (1, 2, 3)] == ["198.18.0.1", "198.18.0.2", "198.18.0.3"]


@pytest.mark.parametrize("limit, workers, share", [(8, 1, 8), (8, 2, 4), (9, 2, 5), (10, 3, 4), (1, 4, 1)])
def test_a_workers_share_of_the_request_cap_keeps_the_total_within_it_plus_one_request_per_worker(
    limit, workers, share
):
    assert request_share(limit, workers) == share
    assert limit <= workers * share < limit + workers


def test_the_closing_line_names_only_the_reports_the_run_wrote(tmp_path):
    from dcr_harness.loadgen.runner import reports_line

    (tmp_path / "locust.log").write_text("Gave up waiting for workers to connect\n")
    assert "no judged figures (no metrics.json)" in reports_line(tmp_path)  # a master that never started the run
    for name in ("metrics.json", "thresholds.txt", "locust_stats.csv"):
        (tmp_path / name).write_text("{}")
    line = reports_line(tmp_path)
    assert line.endswith("(metrics.json, thresholds.txt, locust_*.csv)") and "report.html" not in line
