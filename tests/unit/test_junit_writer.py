"""The harness's one JUnit writer (report/junit.py): each outcome of a check as CI reads it, and client
certification's junit.xml written by it through write_run, from nothing but the run's results."""

from __future__ import annotations

import ast
import io
import json
from pathlib import Path
from xml.etree import ElementTree

import dcr_harness.clientcert
from dcr_harness.checks import Breach
from dcr_harness.clientcert.report import JUNIT_SUITE, ClientRun, write_reports
from dcr_harness.clientcert.scenarios import Settings
from dcr_harness.contract.verdicts import Outcome
from dcr_harness.http import Masker
from dcr_harness.report.junit import Suite, junit_document, stamp_junit, verdict_facts, write_junit
from dcr_harness.results.record import CheckRecord, outcome_of
from dcr_harness.results.run_result import check_dicts, utc_now

from .test_clientcert_judges import API, BASE, FORM, api, ex, register, token

SUITE = Suite(name="a suite", classname="a class")
SECRET = "client-secret-0123456789abcdef"


def _record(name: str, reqs: tuple[str, ...]) -> CheckRecord:
    return CheckRecord(nodeid=f"n::{name}", title=name, requirements=list(reqs))


def _judged(record: CheckRecord, exc: BaseException | None = None) -> CheckRecord:
    record.outcome, record.message = outcome_of(record, exc)
    return record


def _records(masker: Masker) -> list[CheckRecord]:
    passed = _record("passed", ("REG-OK-1",))
    passed.evidence.held(("REG-OK-1",), "registered")
    failed = _record("failed", ("TOK-ERR-2", "TOK-OK-1"))
    leak = ex("POST", "/o/client/token", 0.0, 200, headers=FORM, body=f"client_secret={SECRET}".encode())
    masker.add(SECRET, "client_secret")
    failed.exchanges.append(leak)
    failed.evidence.breach(Breach(("TOK-ERR-2",), f"a wrong secret {SECRET} was served", leak))
    error = _record("error", ("API-1",))
    unexercised = _record("unexercised", ("CLI-5",))
    unexercised.evidence.not_verified(("CLI-5",), "not exercised: the client met no 429")
    return [
        _judged(passed),
        _judged(failed),
        _judged(error, RuntimeError("the judge stumbled\nsecond line")),
        _judged(unexercised),
    ]


def test_each_outcome_is_a_test_case_ci_reads() -> None:
    masker = Masker()
    records = _records(masker)
    assert [r.outcome for r in records] == [Outcome.PASSED, Outcome.FAILED, Outcome.ERROR, Outcome.PASSED]
    root = junit_document(check_dicts(records, masker), SUITE).getroot()
    assert root is not None
    text = ElementTree.tostring(root, encoding="unicode")
    suite = ElementTree.fromstring(text)
    assert (
        suite.get("name"),
        suite.get("tests"),
        suite.get("failures"),
        suite.get("errors"),
        suite.get("skipped"),
    ) == (
        "a suite",
        "4",
        "1",
        "1",
        "1",
    )
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"passed [REG-OK-1]", "failed [TOK-ERR-2 TOK-OK-1]", "error [API-1]", "unexercised [CLI-5]"}
    assert {c.get("classname") for c in cases.values()} == {"a class"}
    reqs = {
        n: [p.get("value") for p in c.iter("property") if p.get("name") == "requirements"] for n, c in cases.items()
    }
    assert reqs["failed [TOK-ERR-2 TOK-OK-1]"] == ["TOK-ERR-2 TOK-OK-1"]
    assert [child.tag for child in cases["passed [REG-OK-1]"]] == ["properties"]
    failure = cases["failed [TOK-ERR-2 TOK-OK-1]"].find("failure")
    assert failure is not None and "\n" not in failure.get("message", "\n")
    assert "[TOK-ERR-2] a wrong secret" in failure.get("message", "") and "\n  curl " in (failure.text or "")
    error = cases["error [API-1]"].find("error")
    assert error is not None and error.get("message") == "RuntimeError: the judge stumbled"
    assert "second line" in (error.text or "")
    skipped = cases["unexercised [CLI-5]"].find("skipped")
    assert skipped is not None and skipped.get("message") == "not exercised: the client met no 429"
    assert SECRET not in text and "${DCR_CLIENT_SECRET" in text


def _client_run() -> ClientRun:
    """A short session: registered, got a token, called the API with it once in the header and once in
    the query (CLI-4 broken); most other rules not exercised (an INCOMPLETE client certification)."""
    value = "access-token-0123456789abcdef"
    traffic = [
        register(0.0, "client-0123456789"),
        token(0.1, "client-0123456789", value),
        api(1.0, value),
        ex("GET", f"{API}?access_token={value}", 2.0, 200),
    ]
    statement = "software-statement-0123456789abcdef"
    run = ClientRun(Settings.of(["short-token-ttl"]), BASE, statement, traffic, utc_now(), stop_reason="test")
    run.judge()
    return run


def test_certify_client_junit_is_the_one_writers_from_its_results(tmp_path: Path) -> None:
    run_dir = tmp_path / "reports" / "client-run"
    written = write_reports(_client_run(), run_dir, None, io.StringIO())
    results = json.loads((run_dir / "results.json").read_text())
    certification = json.loads((run_dir / "certification.json").read_text())
    expected = tmp_path / "expected.xml"
    write_junit(expected, results["checks"], JUNIT_SUITE)
    stamp_junit(expected, verdict_facts(certification))
    junit = (run_dir / "junit.xml").read_bytes()
    assert junit == expected.read_bytes()
    suite = ElementTree.fromstring(junit)
    counts = [int(suite.get(k, "0")) for k in ("failures", "skipped")]
    assert counts[0] >= 1 and counts[1] >= 1 and int(suite.get("tests", "0")) > sum(counts)
    verdict = [p.get("value") for p in suite.iter("property") if p.get("name") == "dcr-harness.verdict"]
    assert written.verdict is not None
    assert verdict == [certification["overall"]["verdict"]] == [str(written.verdict.value)]
    # Each check is a case already: a client run left incomplete adds no "run incomplete" case.
    assert certification["overall"]["scope"]["incomplete"]
    assert "run incomplete" not in {c.get("name") for c in suite.iter("testcase")}
    assert b"access-token-0123456789abcdef" not in junit
    # What a client certification writes: its traffic, no HAR, and reports/latest stays the conformance run's.
    assert (run_dir / "traffic.json").is_file() and not (run_dir / "exchanges.har").exists()
    assert not (run_dir.parent / "latest").exists()


def test_clientcert_builds_no_xml_of_its_own() -> None:
    package = Path(dcr_harness.clientcert.__file__).parent
    imported: set[str] = set()
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                imported.add(node.module or "")
    assert imported and not [m for m in imported if m.split(".")[0] in ("xml", "junitparser", "junit_xml")]
