"""Load across hosts, for real: the reference server, the Locust master and two workers each in its
own network namespace (examples/load/namespaces.py), both profiles, beside a one-process run of the
same profile against a reference server of its own (the same settings, in the same namespace); and a
worker killed mid-run.

What the runs are compared on is what they judged and what the server itself recorded (its SQLite
store: the clients registered, the tokens issued with their own creation and expiry times), never
on how much a run managed to send: how fast a loaded machine gets through a few seconds is not the
subject. Needs root and iproute2; skips with the reason where namespaces cannot be made.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timing]  # load runs of a few seconds: what they exercise depends on time

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "load" / "namespaces.py"
USERS = 4  # two per worker
TOKEN_TTL_S = 2  # the example's token_refresh reference (REFERENCE_ARGS)
DURATION_S = 2 * TOKEN_TTL_S
RUNS = {"one process": "run_one_process", "master and two workers": "run_distributed"}
MAX_THINK_S = 0.3  # token_refresh.py: a user waits between(0.05, 0.3) s between tasks
# The gate on what was judged; what a short run exercised is asserted from the server's records instead.
THRESHOLDS = """version = 1
[token_refresh]
must_exercise = []
error_ratio_max = 0.0
contract_violation_ratio_max = 0.0
[throttling]
must_exercise = []
error_ratio_max = 0.0
contract_violation_ratio_max = 0.0
throttle_precision_min = 0.98
throttle_recall_min = 0.98
"""


def example():
    spec = importlib.util.spec_from_file_location("namespaces_example", EXAMPLE)
    assert spec is not None and spec.loader is not None, EXAMPLE
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def lab():
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root (CI runs as root)")
    if shutil.which("ip") is None:
        pytest.skip("no `ip` command (iproute2) to make network namespaces")
    ns = example()
    try:
        made = ns.Lab().__enter__()
    except ns.LabError as exc:
        pytest.skip(f"network namespaces cannot be made here: {exc}")
    try:
        yield ns, made
    finally:
        made.close()
        assert made.leftovers() == []  # everything the lab made is gone


def thresholds(tmp_path: Path) -> tuple[str, str]:
    path = tmp_path / "thresholds.toml"
    path.write_text(THRESHOLDS)
    return "--thresholds", str(path)


def metrics_of(report_dir: Path, profile: str) -> dict:
    (out,) = sorted(report_dir.glob(f"*-load-{profile}"))
    return json.loads((out / "metrics.json").read_text())


def notice_s(metrics: dict) -> float:
    """How long after a refresh fell due a user is sure to have asked for it, as this run measured it: the
    request in flight (an API call), a think time, the token request itself (their p99, in seconds)."""
    latency = metrics["latency_ms"]
    return MAX_THINK_S + sum(latency[name]["p99"] for name in ("api", "token") if name in latency) / 1000


def server_records(data_dir: Path) -> dict[str, list[tuple[float, float]]]:
    """client_id -> its tokens as (created, expires), seconds since the epoch, oldest first (the server's store)."""
    with sqlite3.connect(f"file:{data_dir / 'dcr.sqlite3'}?mode=ro", uri=True) as db:
        clients: dict[str, list[tuple[float, float]]] = {
            row[0]: [] for row in db.execute("SELECT client_id FROM clients")
        }
        for client, created_ms, expires in db.execute("SELECT client_id, created_at_ms, expires_at FROM tokens"):
            clients.setdefault(client, []).append((created_ms / 1000, expires))
    return {client: sorted(tokens) for client, tokens in clients.items()}


def side_by_side(ns, made, profile: str, tmp_path: Path) -> dict[str, tuple[Path, Path, int, str]]:
    """Both runs at once, each against its own reference server: kind -> (its server's data, its reports,
    its exit code, its output). At once: a loaded machine slows both alike, and CI waits for one run, not two."""
    gate = thresholds(tmp_path)
    servers = {kind: (tmp_path / f"reference-{i}", ns.REFERENCE_PORTS[profile] + 10 * i) for i, kind in enumerate(RUNS)}
    targets = {kind: ns.start_reference(made, profile, data, port) for kind, (data, port) in servers.items()}
    with ThreadPoolExecutor(len(RUNS)) as pool:
        futures = {
            kind: pool.submit(
                getattr(ns, RUNS[kind]),
                made,
                profile,
                targets[kind],
                tmp_path / f"reports-{i}",
                users=USERS,
                duration=DURATION_S,
                extra=gate,
            )
            for i, kind in enumerate(RUNS)
        }
        return {
            kind: (servers[kind][0], tmp_path / f"reports-{i}", *futures[kind].result()) for i, kind in enumerate(RUNS)
        }


def judged_cleanly(code: int, output: str, metrics: dict) -> dict:
    assert code == 0, output[-3000:]
    assert metrics["verdict"] == "PASS", metrics["broken"]
    f = metrics["figures"]
    assert f["requests"] > 0 and f["judged"] == f["requests"], f  # every response judged where it arrived
    assert f["violations"] == 0 and f["errors"] == 0, f
    return f


def assert_refreshed_before_expiry(clients: dict[str, list[tuple[float, float]]], metrics: dict, notice: float) -> None:
    """What the server issued agrees with what the run counted, every refresh came before the token it
    replaced expired (CLI-3), and no client let its token lapse while the run was still going (it is known
    to be going at its last token; a user asks for a due refresh within `notice`). A run that ended before a
    refresh fell due (or before any token) is held to what did happen, not to how much it should have done."""
    figures = metrics["figures"]
    assert len(clients) == figures["registrations"] == USERS  # once per app instance (CLI-2), all workers merged
    assert sum(len(tokens) for tokens in clients.values()) == metrics["latency_ms"].get("token", {}).get("count", 0)
    assert sum(max(0, len(tokens) - 1) for tokens in clients.values()) == figures["refreshes"]
    issued = [created for tokens in clients.values() for created, _ in tokens]
    for client, tokens in clients.items():
        for (_, expires), (next_created, _) in pairwise(tokens):
            assert next_created < expires, f"{client} refreshed {next_created - expires:.3f} s after expiry"
        if tokens:
            assert tokens[-1][1] + notice >= max(issued), f"{client}'s token expired while the run went on"


def test_token_refresh_across_hosts_agrees_with_one_process(lab, tmp_path):
    ns, made = lab
    for _kind, (data, reports, code, output) in side_by_side(ns, made, "token_refresh", tmp_path).items():
        metrics = metrics_of(reports, "token_refresh")
        # Both runs are held to the same: where the run's own times made refreshes due, they happened.
        judged_cleanly(code, output, metrics)
        assert_refreshed_before_expiry(server_records(data), metrics, notice_s(metrics))


def test_throttling_across_hosts_agrees_with_one_process(lab, tmp_path):
    ns, made = lab
    scores = {}
    for kind, (_, reports, code, output) in side_by_side(ns, made, "throttling", tmp_path).items():
        f = judged_cleanly(code, output, metrics_of(reports, "throttling"))
        # The per-device predictions hold with devices spread over the workers (each worker its own): a device's
        # first probe is always judged (served, tn); a 429 the model did not predict (fp), or a predicted one the
        # server did not send (fn), is a mismatch. How many 429s fell due depends on how far the run got.
        predicted = f["tp"] + f["fp"] + f["fn"] + f["tn"]
        assert f["tn"] > 0 and f["fp"] + f["fn"] <= 0.02 * predicted, f
        scores[kind] = (f["throttle_precision"], f["throttle_recall"])
    for precision, recall in scores.values():  # measured where 429s were predicted and seen (None otherwise)
        assert (precision is None or precision >= 0.98) and (recall is None or recall >= 0.98), scores


def test_a_worker_killed_mid_run_is_reported_and_the_run_is_incomplete(lab, tmp_path):
    ns, made = lab
    target = ns.start_reference(made, "token_refresh", tmp_path / "reference")
    reports = tmp_path / "reports"
    code, output = ns.run_distributed(
        made,
        "token_refresh",
        target,
        reports,
        users=USERS,
        duration=2 * DURATION_S,
        kill_worker=True,
        extra=thresholds(tmp_path),
    )
    metrics = metrics_of(reports, "token_refresh")
    assert code == 4, output[-3000:]  # ExitCode.INCOMPLETE: the master's exit code is the gate
    assert metrics["verdict"] == "INCOMPLETE" and metrics["broken"] == []
    workers = metrics["workers"]
    assert workers["seen"] == 2 and len(workers["lost"]) == 1, workers
    assert workers["lost"][0]["users"] >= 1  # the killed worker had users when the master last saw it
    assert "incomplete: 1 of 2 workers lost (missed heartbeats)" in output
    f = metrics["figures"]
    assert f["violations"] == 0 and f["judged"] == f["requests"]  # what was judged stands
    noticed = output.index("failed to send heartbeat")
    ended = output.find("--run-time limit reached")
    if ended == -1 or noticed < ended:  # noticed while the run was running: the lost users' time is counted
        assert workers["lost_user_seconds"] > 0 and workers["lost_share_of_planned_load"] > 0, workers
