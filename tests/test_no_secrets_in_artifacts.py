"""Proof: no statement, client secret, access token or admin token of a run reaches any file
the run writes (Allure results, JUnit, results.json, certification.json/html, signature),
nor its console output, even when checks fail and their failure texts are written.

The run is `dcr-harness run` against the embedded reference with faults that make checks
fail. DCR_HARNESS_SECRET_LOG (a test-only aid in http/masking.py) makes the masker append
every secret it learns to a file outside the report directory; the statements also come
from the embedded server's target file (reference-server/, the server's own state, which
is excluded from the scan).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .harness_runs import WITHOUT_GENERATED, HarnessRun
from .harness_runs import run_harness as harness_run

pytestmark = pytest.mark.slow
FAULTS = ["reg-status-200", "api-reject-valid"]


def run_harness(report_dir: Path, *args: str, env: dict[str, str] | None = None) -> HarnessRun:
    return harness_run(["run", *args], report_dir, env=env)


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, HarnessRun, list[str]]:
    base = tmp_path_factory.mktemp("secrets")
    log, key = base / "secret-log.txt", base / "signer.pem"
    from dcr_harness.report.signing import generate_key

    generate_key(key)
    fault_args = [a for f in FAULTS for a in ("--embedded-fault", f)]
    # The Hypothesis properties (test_properties.py) shrink their failures for a minute: left out to keep this test fast.
    done = run_harness(base / "reports", "--req", "REG-", "--req", "TOK-", "--req", "API-", "-k", "not test_properties",
                       "--allure", "--sign-key", str(key), "--", *fault_args, env={"DCR_HARNESS_SECRET_LOG": str(log)})
    (run_dir,) = [p for p in (base / "reports").iterdir() if p.is_dir() and not p.is_symlink()]
    target = json.loads((run_dir / "reference-server" / "target.json").read_text())
    secrets = {v for v in target["statements"].values() if v}
    if target.get("admin"):
        secrets.add(target["admin"]["token"])
    secrets |= {line for line in log.read_text().splitlines() if line}
    return run_dir, done, sorted(secrets)


def artifacts(run_dir: Path) -> list[Path]:
    server_state = run_dir / "reference-server"
    return [p for p in run_dir.rglob("*") if p.is_file() and not p.is_symlink() and server_state not in p.parents]


def test_the_run_failed_and_wrote_every_report(failing_run) -> None:
    run_dir, done, secrets = failing_run
    assert done.code == 1, done.stdout[-3000:] + done.stderr[-3000:]
    names = {p.name for p in artifacts(run_dir)}
    assert {"junit.xml", "results.json", "certification.json", "certification.html", "certification.json.sig"} <= names
    assert any(n.endswith("-result.json") for n in names) and any(n.endswith("-attachment.json") for n in names)
    results = json.loads((run_dir / "results.json").read_text())
    assert any(c["outcome"] == "failed" and c["message"] for c in results["checks"])
    # statements, client secrets, access tokens: the scan below means something
    assert len(secrets) >= 10
    assert "certification:" in done.stdout and "verdict: FAIL" in done.stdout


FRAGMENT = 32  # a repr that shortens a long secret in the middle still shows its head and tail


def telltales(secret: str) -> set[str]:
    """The secret, and for a long one its first and last FRAGMENT characters."""
    return {secret} | ({secret[:FRAGMENT], secret[-FRAGMENT:]} if len(secret) >= 2 * FRAGMENT else set())


def test_no_secret_in_any_artifact_or_console_output(failing_run) -> None:
    run_dir, done, secrets = failing_run
    marks = {mark: s for s in secrets for mark in telltales(s)}
    leaks = []
    for path in artifacts(run_dir):
        text = path.read_bytes().decode("utf-8", errors="replace")
        leaks += [f"{path.relative_to(run_dir)}: {s[:12]}..." for mark, s in marks.items() if mark in text]
    console = done.stdout + done.stderr
    leaks += [f"console: {s[:12]}..." for mark, s in marks.items() if mark in console]
    assert not leaks, "\n".join(leaks[:20])


def test_allure_results_carry_requirements_links_severity_and_masked_exchanges(failing_run) -> None:
    run_dir, _, _ = failing_run
    results = [json.loads(p.read_text()) for p in (run_dir / "allure-results").glob("*-result.json")]
    failed = [r for r in results if r["status"] == "failed"]
    assert failed and all(r["statusDetails"]["message"] for r in failed)
    decorated = [r for r in results if any(label["name"] == "requirement" for label in r["labels"])]
    assert len(decorated) == len(results)
    sample = decorated[0]
    assert any(link["url"].startswith("CONTRACT.md#") for link in sample["links"])
    assert any(label["name"] == "severity" for label in sample["labels"])
    assert any(step.get("attachments") for r in results for step in r.get("steps", []))


def test_the_signed_report_verifies(failing_run) -> None:
    from dcr_harness.cli import main

    run_dir, _, _ = failing_run
    assert main(["verify-report", str(run_dir)]) == 0


def test_junit_testcases_carry_requirement_properties(failing_run) -> None:
    run_dir, _, _ = failing_run
    xml = (run_dir / "junit.xml").read_text()
    assert '<property name="requirements" value="REG-OK-1' in xml


@pytest.mark.parametrize("expires, code", [("2999-01-01", 0), ("2000-01-01", 1)], ids=["active", "expired"])
def test_a_run_whose_every_failure_is_waived_exits_0_until_the_waiver_expires(tmp_path: Path, expires: str, code: int) -> None:
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(f'version = 1\n[[waiver]]\ncheck = "conformance/test_register.py::*"\nreason = "r"\nexpires = {expires}\n')
    done = run_harness(tmp_path / "reports", "--req", "REG-OK-3", "--waivers", str(waivers), "--", "--embedded-fault", "reg-status-200", *WITHOUT_GENERATED)
    assert done.code == code, done.stdout[-3000:]
    assert ("WAIVED" in done.stdout) == (code == 0) and ("EXPIRED waiver" in done.stdout) == (code == 1)


def test_a_malformed_waiver_file_is_exit_2(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.toml"
    waivers.write_text("version = 1\n[[waiver]]\nrequirement = 'REG-OK-1'\n")
    done = run_harness(tmp_path / "reports", "--waivers", str(waivers))
    assert done.code == 2 and "waiver file error" in done.stdout + done.stderr
