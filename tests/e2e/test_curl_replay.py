"""Proof: the reproductions of a report reproduce.

A reference server with faults runs on loopback; the harness runs against it through its
target file, and its checks fail. For every failed check, the curl line of the exchange it
judged last is taken from results.json, the variables it uses are exported with their real
values (the legend says what each stands for; the test knows the values from the target
file and the DCR_HARNESS_SECRET_LOG test aid), and the line is run with the real curl
binary against the same server: it must get the status the report recorded.

The faults make the interesting reproductions fail: a revoked statement approved (REG-ERR-4,
the command must send the *revoked* statement, not the valid one), a wrong client secret
accepted (TOK-ERR-2, a mutation of a secret rebuilt in the shell), signatures not verified
(REG-ERR-3: tampered statements that keep stretches of the valid one; forgeries without a
secret part sent as they are).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from dcr_harness.engine.embedded import EmbeddedServer

from ..harness_runs import run_harness
from ..once import once_per_run

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("curl") is None, reason="needs the curl binary")]
FAULTS = ["reg-ignore-revocation", "tok-accept-wrong-secret", "reg-accept-foreign-key"]
SELECTION = ["--req", "REG-ERR-3", "--req", "REG-ERR-4", "--req", "TOK-ERR-2"]
STATUS_LINE = re.compile(rb"^HTTP/[0-9.]+ (\d{3})", re.M)


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory):
    return once_per_run(tmp_path_factory, "curl-replays", lambda: _replayed(tmp_path_factory))


def _replayed(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("replay")
    log = base / "secret-log.txt"
    with EmbeddedServer(base / "server", faults=FAULTS, token_ttl=3600):  # up until every line is replayed
        done = run_harness(
            ["run", "--target", str(base / "server" / "target.json"), *SELECTION],
            base / "reports",
            env={"DCR_HARNESS_SECRET_LOG": str(log)},
        )
        results = done.results()
        values = dict(line.split("=", 1) for line in log.read_text().splitlines() if "=" in line)
        replays = []
        for check in results["checks"]:
            if check["outcome"] != "failed" or not check["exchanges"]:
                continue
            exchange = check["exchanges"][-1]
            used = set(re.findall(r"\$\{(DCR_[A-Z_]+[0-9]*)", exchange["curl"]))
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", **{v: values[v] for v in used}}
            proc = subprocess.run(["bash", "-c", exchange["curl"]], env=env, capture_output=True, timeout=30)
            statuses = STATUS_LINE.findall(proc.stdout)
            replays.append(
                (check["nodeid"], exchange, used, int(statuses[-1]) if statuses else None, proc.stderr[-300:])
            )
    return done, results, replays


def test_the_run_failed_where_the_faults_are(replayed) -> None:
    done, results, replays = replayed
    assert done.code == 1, done.output[-3000:]
    failed = {c["nodeid"] for c in results["checks"] if c["outcome"] == "failed"}
    assert any("revoked" in n for n in failed) and any("wrong client_secret" in n for n in failed), failed
    assert len(replays) >= 4


def test_every_failed_check_replays_with_curl_to_the_recorded_status(replayed) -> None:
    _, _, replays = replayed
    wrong = [(nodeid, ex["status"], got, err) for nodeid, ex, _, got, err in replays if got != ex["status"]]
    assert not wrong, "\n".join(map(str, wrong))


def test_reproductions_use_the_secret_they_sent_and_the_legend_names_it(replayed) -> None:
    _, results, replays = replayed
    legend = results["variables"]
    for nodeid, exchange, used, _, _ in replays:
        assert used <= legend.keys(), (nodeid, used - legend.keys())
        if "revoked statement" in nodeid:  # the revoked statement, not the valid one
            assert [legend[v] for v in used if v.startswith("DCR_SOFTWARE_STATEMENT")] == ["statements.revoked"]
        if "wrong client_secret" in nodeid:  # a mutation of a secret stays a variable, rebuilt in the shell
            assert any(v.startswith("DCR_CLIENT_SECRET") for v in used), exchange["curl"]


def test_forgeries_without_a_secret_part_are_shown_as_sent(replayed) -> None:
    _, results, _ = replayed
    foreign = [c for c in results["checks"] if c["nodeid"].endswith("[REG-ERR-3:signed with a harness key]")]
    assert foreign and "DCR_SOFTWARE_STATEMENT" not in foreign[0]["exchanges"][-1]["curl"]
