"""Proof: no stretch of a statement's signature, a client secret, an access token or
the admin token of a run reaches any file the run writes (Allure results, JUnit, results.json,
certification.json/html, signature), nor its console output, even when checks fail and their
failure texts, shrunk Hypothesis examples and curl reproductions are written.

The run is `dcr-harness run` against the embedded reference with several faults that make
checks fail, generated suites included (so that Hypothesis shrinks and prints examples).
DCR_HARNESS_SECRET_LOG (a test-only aid in http/masking.py) makes the masker append every
secret it learns to a file outside the report directory; the statements also come from the
embedded server's target file (reference-server/, the server's own state, excluded from the
scan). Every file and the console are searched for every 24-character window of each
secret's sensitive part: a statement's signature, the whole of anything else.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ..harness_runs import WITHOUT_GENERATED, HarnessRun
from ..harness_runs import run_harness as harness_run
from ..once import once_per_run

pytestmark = pytest.mark.slow
# Failures with statements spliced and tampered (REG-ERR-1/3), wrong and mutated secrets (TOK-ERR-2),
# tokens in failure texts (API-1), so that every kind of secret meets a failure text and a shrinker.
FAULTS = ["reg-status-200", "api-reject-valid", "reg-accept-foreign-key", "tok-accept-wrong-secret", "reg-500-bad-json"]
WINDOW = 24


def run_harness(report_dir: Path, *args: str, env: dict[str, str] | None = None) -> HarnessRun:
    return harness_run(["run", *args], report_dir, env=env)


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, HarnessRun, list[str]]:
    return once_per_run(tmp_path_factory, "secrets-run", lambda: _failing_run(tmp_path_factory))


def _failing_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, HarnessRun, list[str]]:
    base = tmp_path_factory.mktemp("secrets")
    log, key = base / "secret-log.txt", base / "signer.pem"
    from dcr_harness.report.signing import generate_key

    generate_key(key)
    fault_args = [a for f in FAULTS for a in ("--embedded-fault", f)]
    # Generated suites included: their shrunk examples and reproductions are what leaked before.
    done = run_harness(
        base / "reports",
        "--req",
        "REG-",
        "--req",
        "TOK-",
        "--req",
        "API-",
        "--allure",
        "--sign-key",
        str(key),
        # Speed only: each failing generated check still shrinks (mutating the secrets it sent), 3 s instead of 10.
        "--shrink-time",
        "3",
        "--",
        *fault_args,
        env={"DCR_HARNESS_SECRET_LOG": str(log)},
    )
    (run_dir,) = [p for p in (base / "reports").iterdir() if p.is_dir() and not p.is_symlink()]
    target = json.loads((run_dir / "reference-server" / "target.json").read_text())
    statements = {v for v in target["statements"].values() if v}
    secrets = {sensitive_part(v, v in statements) for v in statements}
    if target.get("admin"):
        secrets.add(target["admin"]["token"])
    logged = {
        line.split("=", 1)[1] if VARIABLE_LINE.match(line) else line for line in log.read_text().splitlines() if line
    }
    secrets |= {sensitive_part(v, v in statements) for v in logged}
    return run_dir, done, Hidden(sorted(secrets))


class Hidden(list):
    """The secrets the run saw: a failing assertion here must not print them either."""

    def __repr__(self) -> str:
        return f"<{len(self)} secrets>"


VARIABLE_LINE = re.compile(r"^DCR_[A-Z_]+[0-9]*=")


def sensitive_part(value: str, statement: bool) -> str:
    """A statement's signature (its header and claims are readable by design); all of anything else."""
    return value.rsplit(".", 1)[1] if statement and value.count(".") == 2 else value


def artifacts(run_dir: Path) -> list[Path]:
    server_state = run_dir / "reference-server"
    return [p for p in run_dir.rglob("*") if p.is_file() and not p.is_symlink() and server_state not in p.parents]


def test_the_run_failed_and_wrote_every_report(failing_run) -> None:
    run_dir, done, secrets = failing_run
    assert done.code == 1, done.stdout[-3000:] + done.stderr[-3000:]
    names = {p.name for p in artifacts(run_dir)}
    assert {
        "junit.xml",
        "results.json",
        "certification.json",
        "certification.html",
        "certification.json.sig",
        "exchanges.har",
    } <= names
    assert any(n.endswith("-result.json") for n in names) and any(n.endswith("-attachment.json") for n in names)
    results = json.loads((run_dir / "results.json").read_text())
    assert any(c["outcome"] == "failed" and c["message"] for c in results["checks"])
    # statements, client secrets, access tokens: the scan below means something
    assert len(secrets) >= 10
    assert "certification:" in done.stdout and "verdict: FAIL" in done.stdout


def telltales(sensitive: str) -> set[str]:
    """Every WINDOW-character window of a sensitive part (all of it when it is shorter)."""
    n = min(WINDOW, len(sensitive))
    return {sensitive[i : i + n] for i in range(len(sensitive) - n + 1)}


def windows_in(text: str, marks: dict[str, int]) -> set[int]:
    """Which secrets (by index) have a window in text: every window start of text is looked up."""
    found = set()
    for n in {len(m) for m in marks}:
        for i in range(len(text) - n + 1):
            hit = marks.get(text[i : i + n])
            if hit is not None:
                found.add(hit)
    return found


def test_no_window_of_any_secret_in_any_artifact_or_console_output(failing_run) -> None:
    run_dir, done, secrets = failing_run
    marks = {mark: i for i, s in enumerate(secrets) for mark in telltales(s)}
    leaks = []
    for path in artifacts(run_dir):
        text = path.read_bytes().decode("utf-8", errors="replace")
        leaks += [
            f"{path.relative_to(run_dir)}: secret #{i} ({len(secrets[i])} chars)" for i in windows_in(text, marks)
        ]
    leaks += [f"console: secret #{i}" for i in windows_in(done.stdout + done.stderr, marks)]
    assert not leaks, f"{len(leaks)} leaks of {len(secrets)} secrets:\n" + "\n".join(leaks[:30])


def test_allure_results_carry_requirements_links_severity_and_masked_exchanges(failing_run) -> None:
    run_dir, _, _ = failing_run
    results = [json.loads(p.read_text()) for p in (run_dir / "allure-results").glob("*-result.json")]
    failed = [r for r in results if r["status"] == "failed"]
    # Checks failed by recorded breaches (soft assertions) fail at their end with the breaches as message.
    assert failed and all(r.get("statusDetails", {}).get("message") for r in failed)
    decorated = [r for r in results if any(label["name"] == "requirement" for label in r["labels"])]
    assert len(decorated) == len(results)
    sample = decorated[0]
    assert any(link["url"].startswith("contract.html#") for link in sample["links"])
    assert any(label["name"] == "severity" for label in sample["labels"])
    assert any(step.get("attachments") for r in results for step in r.get("steps", []))


def test_the_signed_report_verifies(failing_run) -> None:
    from dcr_harness.cli.commands import main

    run_dir, _, _ = failing_run
    assert main(["verify-report", str(run_dir)]) == 0


def test_junit_testcases_carry_requirement_properties(failing_run) -> None:
    run_dir, _, _ = failing_run
    xml = (run_dir / "junit.xml").read_text()
    assert '<property name="requirements" value="REG-OK-1' in xml


@pytest.mark.parametrize("expires, code", [("2999-01-01", 0), ("2000-01-01", 1)], ids=["active", "expired"])
def test_a_run_whose_every_failure_is_waived_exits_0_until_the_waiver_expires(
    tmp_path: Path, expires: str, code: int
) -> None:
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(
        f'version = 1\n[[waiver]]\ncheck = "conformance/test_register.py::*"\nreason = "r"\nexpires = {expires}\n'
    )
    done = run_harness(
        tmp_path / "reports",
        "--req",
        "REG-OK-3",
        "--waivers",
        str(waivers),
        "--",
        "--embedded-fault",
        "reg-status-200",
        *WITHOUT_GENERATED,
    )
    assert done.code == code, done.stdout[-3000:]
    assert ("WAIVED" in done.stdout) == (code == 0) and ("EXPIRED waiver" in done.stdout) == (code == 1)


def test_a_malformed_waiver_file_is_exit_2(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.toml"
    waivers.write_text("version = 1\n[[waiver]]\nrequirement = 'REG-OK-1'\n")
    done = run_harness(tmp_path / "reports", "--waivers", str(waivers))
    assert done.code == 2 and "waiver file error" in done.stdout + done.stderr
