"""What changed since the last run: `diff`, `run --baseline` and `replay` against the reference with a fault switched on and off.

One report root holds a conforming run and a run with a fault that breaks TOK-ERR-4 (an
unknown grant type answered invalid_request); every test reads those runs (module scope),
narrowed with --req and without the generated suites to keep them short.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from ..harness_runs import WITHOUT_GENERATED, HarnessRun, run_harness
from .test_refserver import Live

pytestmark = pytest.mark.slow
FAULT = "tok-unknown-grant-invalid-request"
BROKEN = "TOK-ERR-4"
CASE = "TOK-ERR-4:grant_type unknown URN"
NARROW = ["--req", "TOK-ERR-4,TOK-ERR-3"]
HAND_WRITTEN = "conformance/test_register.py::test_register_returns_client_credentials"
GEN_FAULT = "gen-500-long-param"  # a generated register check finds it (REG-ERR-5)
HAR_SCHEMA = Path(__file__).resolve().parents[1] / "har-1.2.schema.json"


def _run(root: Path, *args: str, fault: str | None = None, env: dict[str, str] | None = None) -> HarnessRun:
    faults = [f"--embedded-fault={fault}"] if fault else []
    return run_harness(["run", *NARROW, *args, "--", *faults, *WITHOUT_GENERATED], root, env=env)


def _dir(run: HarnessRun) -> Path:
    results = sorted(
        (p for p in run.report_dir.glob("*/results.json") if p.parent.name != "latest"), key=lambda p: p.stat().st_mtime
    )
    return results[-1].parent


class Runs:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.clean = self.keep(_run(root))
        self.secret_log = root.parent / "secret-log.txt"  # every secret the faulty run learned (http/masking.py)
        self.faulty = self.keep(_run(root, fault=FAULT, env={"DCR_HARNESS_SECRET_LOG": str(self.secret_log)}))

    def keep(self, run: HarnessRun) -> Path:
        assert run.code in (0, 1), run.output[-3000:]
        return _dir(run)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    return Runs(tmp_path_factory.mktemp("diff") / "reports")


def diff(old: Path, new: Path, *extra: str) -> HarnessRun:
    return run_harness(["diff", str(old), str(new), *extra], old.parent)


def test_a_fault_switched_on_shows_as_newly_failing_with_its_requirement(runs):
    out = diff(runs.clean, runs.faulty, "--json")
    assert out.code == 1, out.output
    d = json.loads(out.stdout)
    assert [c["id"] for c in d["requirements"]["newly_failing"]] == [BROKEN]
    assert d["requirements"]["newly_failing"][0]["old"] == "pass"
    assert d["worse"] is True
    assert any(CASE in c["nodeid"] for c in d["checks"]["newly_failing"])
    assert d["new"]["embedded_faults"] == [FAULT] and d["old"]["embedded_faults"] == []
    text = diff(runs.clean, runs.faulty)
    assert "NEWLY FAILING" in text.stdout and BROKEN in text.stdout and "WORSE" in text.stdout


def test_the_fault_switched_off_shows_as_fixed_and_nothing_worse(runs):
    out = diff(runs.faulty / "results.json", runs.clean / "results.json", "--json")
    assert out.code == 0, out.output
    d = json.loads(out.stdout)
    assert [c["id"] for c in d["requirements"]["fixed"]] == [BROKEN]
    assert d["requirements"]["newly_failing"] == [] and d["worse"] is False


def test_an_unreadable_run_is_a_usage_error(runs, tmp_path):
    out = diff(runs.clean, tmp_path)
    assert out.code == 2 and "no results.json" in out.stderr and "Traceback" not in out.output


def test_the_baseline_gate_passes_an_unchanged_failing_deployment_and_fails_a_new_fault(runs):
    same = _run(runs.root, "--baseline", str(runs.faulty), fault=FAULT)
    assert same.certification()["overall"]["verdict"] == "FAIL"  # the run fails on its own ...
    assert same.code == 0, same.output[-3000:]  # ... but nothing got worse than the baseline
    assert "nothing got worse than the baseline" in same.output
    worse = _run(runs.root, "--baseline", str(runs.clean), fault=FAULT)
    assert worse.code == 1, worse.output[-3000:]
    assert f"WORSE {BROKEN}" in worse.output


def test_a_fixed_baseline_failure_asks_for_the_baseline_to_be_updated(runs):
    fixed = _run(runs.root, "--baseline", str(runs.faulty / "results.json"))
    assert fixed.code == 0, fixed.output[-3000:]
    assert f"FIXED since the baseline: {BROKEN}" in fixed.output and "update the baseline" in fixed.output


def test_a_missing_baseline_is_refused_before_the_run(runs, tmp_path):
    out = run_harness(["run", "--baseline", str(tmp_path / "nothing"), *NARROW], tmp_path / "reports")
    assert out.code == 2 and "--baseline" in out.stderr
    assert not (tmp_path / "reports").exists()


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[dict[str, Path]]:
    """A faulty and a conforming reference server, each with its target file (as `dcr-harness serve --target-out`)."""
    faulty = Live(tmp_path_factory.mktemp("faulty"), "--fault", FAULT, "--fault", GEN_FAULT)
    conforming = Live(tmp_path_factory.mktemp("conforming"))
    try:
        faulty.start()
        conforming.start()
        yield {"faulty": faulty.target_file, "conforming": conforming.target_file}
    finally:
        faulty.stop()
        conforming.stop()


def replay(run_dir: Path, case: str, target: Path, *extra: str) -> HarnessRun:
    return run_harness(["replay", str(run_dir), case, "--target", str(target), *extra], run_dir.parent)


def test_replay_of_a_failing_case_is_still_failing_against_the_faulty_server(runs, servers):
    out = replay(runs.faulty, CASE, servers["faulty"])
    assert out.code == 1, out.output
    assert "STILL FAILING" in out.stdout and f"[{BROKEN}]" in out.stdout
    assert "curl " in out.stdout and "/o/client/token" in out.stdout


def test_replay_of_a_failing_case_is_fixed_against_a_conforming_server(runs, servers):
    out = replay(runs.faulty, "grant_type unknown URN", servers["conforming"], "--json")
    assert out.code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["status"] == "fixed" and doc["judged"] is True
    token = [x for x in doc["exchanges"] if x["url"].endswith("/o/client/token")]
    assert token and token[-1]["status"] == 400 and "unsupported_grant_type" in token[-1]["response_body"]
    secret = json.loads(servers["conforming"].read_text())["statements"]["valid"]
    assert secret.rsplit(".", 1)[1] not in out.output, "the replay printed a software statement's signature"


def test_replay_runs_a_hand_written_check_again_whole_judged_by_its_own_oracle(tmp_path, servers):
    """A failed register check has no oracle in its lone request; the check has: it runs again whole, FIXED against a
    conforming server, STILL FAILING against the run's own faulty embedded reference."""
    run = run_harness(
        ["run", "--req", "REG-OK-1", "--", "--embedded-fault=reg-status-200", *WITHOUT_GENERATED], tmp_path / "reports"
    )
    assert run.code == 1, run.output[-3000:]
    assert HAND_WRITTEN in {c["nodeid"] for c in run.checks("failed")}
    fixed = replay(_dir(run), HAND_WRITTEN, servers["conforming"], "--json")
    assert fixed.code == 0, fixed.output
    doc = json.loads(fixed.stdout)
    assert doc["status"] == "fixed" and doc["judged"] is True and "REG-OK-1" in doc["detail"]
    still = run_harness(["replay", str(_dir(run)), HAND_WRITTEN], tmp_path)
    assert still.code == 1, still.output
    assert "STILL FAILING" in still.stdout and "[REG-OK-1" in still.stdout and "curl " in still.stdout
    assert "a fresh embedded reference started as the run's was (--fault reg-status-200)" in still.stdout


def test_replay_of_a_generated_checks_shrunk_example_is_judged_by_the_oracle(tmp_path, servers):
    run = run_harness(
        [
            "run",
            "-k",
            "bad_redirect_uris",
            "--hypothesis-seed",
            "12345",
            "--shrink-time",
            "0",
            "--",
            f"--embedded-fault={GEN_FAULT}",
        ],
        tmp_path / "reports",
    )
    assert run.code == 1, run.output[-3000:]
    (check,) = run.checks("failed")
    assert any(x.get("case", {}).get("permitted") for x in check["exchanges"]), "the failing example recorded its case"
    still = replay(_dir(run), "bad_redirect_uris", servers["faulty"])
    assert still.code == 1 and "STILL FAILING: example REG-ERR-2:" in still.stdout and "[REG-ERR-5]" in still.stdout, (
        still.output
    )
    fixed = replay(_dir(run), "bad_redirect_uris", servers["conforming"])
    assert fixed.code == 0 and "FIXED: example REG-ERR-2:" in fixed.stdout, fixed.output


def test_an_embedded_runs_case_replays_without_a_target_against_the_same_faults(runs):
    out = run_harness(["replay", str(runs.faulty), CASE], runs.root)
    assert out.code == 1, out.output
    assert "STILL FAILING" in out.stdout and f"[{BROKEN}]" in out.stdout
    assert f"a fresh embedded reference started as the run's was (--fault {FAULT};" in out.stdout


def test_a_deployments_run_needs_its_target_file_and_an_unknown_case_is_named(runs, servers, tmp_path):
    handed = tmp_path / "staging-run"
    handed.mkdir()
    results = json.loads((runs.faulty / "results.json").read_text())
    results.update(
        embedded=False, embedded_faults=[], embedded_args=[], target={**results["target"], "name": "staging"}
    )
    (handed / "results.json").write_text(json.dumps(results))
    out = run_harness(["replay", str(handed), CASE], tmp_path)
    assert out.code == 2 and "--target" in out.stderr and "staging" in out.stderr and "Traceback" not in out.output
    out = replay(runs.faulty, "no such check", servers["conforming"])
    assert out.code == 2 and "no check of the report matches" in out.stderr


def test_the_exchanges_har_validates_as_har_1_2_and_holds_every_exchange_masked(runs):
    har = json.loads((runs.faulty / "exchanges.har").read_text())
    jsonschema.Draft202012Validator(json.loads(HAR_SCHEMA.read_text())).validate(har)
    results = json.loads((runs.faulty / "results.json").read_text())
    assert len(har["log"]["entries"]) == sum(len(c["exchanges"]) for c in results["checks"]) > 0
    failed = [x for x in har["log"]["entries"] if CASE in x["_check"]]
    token = [x for x in failed if x["request"]["url"].endswith("/o/client/token")][-1]
    assert token["response"]["status"] == 400 and "invalid_request" in token["response"]["content"]["text"]
    assert "${DCR_CLIENT_SECRET" in token["request"]["postData"]["text"]
    assert BROKEN in token["_requirements"] and token["request"]["headers"]


def test_the_exchanges_har_holds_no_secret(runs):
    text = (runs.faulty / "exchanges.har").read_text()
    target = json.loads((runs.faulty / "reference-server" / "target.json").read_text())
    signatures = [v.rsplit(".", 1)[1] for v in target["statements"].values() if v]
    issued = [line.split("=", 1)[1] for line in runs.secret_log.read_text().splitlines() if "=" in line]
    assert len(issued) >= 3, "the scan below needs the secrets the run learned"
    leaked = [i for i, s in enumerate(signatures + issued + [target["admin"]["token"]]) if s and s[-24:] in text]
    assert not leaked, f"{len(leaked)} secret(s) in exchanges.har"


def test_the_certification_page_shows_the_trend_and_what_changed_since_the_previous_run(runs):
    page = (runs.faulty / "certification.html").read_text()
    trend = page[page.index('<section id="trend">') :]
    trend = trend[: trend.index("</section>")]
    assert f'data-run="{runs.clean.name}"' in trend and f'data-run="{runs.faulty.name}" class="this-run"' in trend
    assert f"faults: {FAULT}" in trend
    assert f'<tr data-change="newly_failing"><td class="id"><a href="#req-{BROKEN}">{BROKEN}</a>' in trend
    assert "Worse than the previous run" in trend
    first = (runs.clean / "certification.html").read_text()
    assert 'id="trend"' not in first, "the first run of a target has no trend"
