"""The results layer: one record shape and one builder for results.json, reasons as data, no reason
parsed back from a sentence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dcr_harness import paths
from dcr_harness.contract import schemas
from dcr_harness.contract.verdicts import requirement_verdicts
from dcr_harness.errors import ExitCode
from dcr_harness.reasons import Reason, ReasonKind, blocked_by
from dcr_harness.report import certification
from dcr_harness.results.exit import exit_code
from dcr_harness.results.run_result import Ending, RunResult
from tests.unit.results_samples import blocked_record, sample_results

# Ways of reading a reason back out of its sentence: each found once in the package, each gone.
TEXT_PARSING = [
    (r"""f["']by \{""", 'a requirement found in a reason by substring (f"by {baseline}" in reason)'),
    (r"""["']blocked by[^"']*["']\s+in\b""", '"blocked by" looked for in a text'),
    (r"""["']timing["']\s+in\b""", '"timing" looked for in a text'),
    (r"""\.startswith\(\s*["']blocked""", "a reason recognised by its first word"),
    (r"""["']front door["']\s+in\b""", '"front door" looked for in a text'),
]


def package_sources() -> list[Path]:
    return sorted(p for p in paths.PACKAGE_DIR.rglob("*.py") if "bundled" not in p.parts)


@pytest.mark.parametrize("pattern, what", TEXT_PARSING, ids=[w for _, w in TEXT_PARSING])
def test_no_reason_is_parsed_back_from_text(pattern: str, what: str) -> None:
    found = [
        f"{p.relative_to(paths.PACKAGE_DIR)}:{n}: {line.strip()}"
        for p in package_sources()
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(pattern, line)
    ]
    assert not found, f"{what}; read the structured reason (dcr_harness/reasons.py) instead:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "line",
    [
        'any(f"by {baseline}" in reason for reason in e["reasons"])',
        'if "blocked by REG-OK-1" in message:',
        'unjudged = "timing" in str(exc)',
        'if why.startswith("blocked"):',
    ],
)
def test_the_patterns_catch_text_parsing(line: str) -> None:
    assert any(re.search(pattern, line) for pattern, _ in TEXT_PARSING)


def test_a_blocked_check_carries_its_reasons_as_data() -> None:
    check = sample_results()["checks"][0]
    assert check["outcome"] == "blocked"
    # TOK-OK-2 from the step that gave it, TOK-OK-1 from the exception that stopped the check
    assert check["reasons"] == {
        "TOK-OK-2": {"kind": "blocked by", "requirement": "REG-OK-1"},
        "TOK-OK-1": {"kind": "blocked by", "requirement": "REG-OK-1"},
    }


def test_every_built_results_document_follows_the_schema() -> None:
    assert schemas.validate("results", sample_results()) == []


# Documents the schema refuses: (what is wrong, how to make it so).
BROKEN = [
    ("a reason of an unknown kind", lambda d: d["checks"][0]["reasons"]["TOK-OK-2"].update(kind="unlucky")),
    ("a check without its reasons", lambda d: d["checks"][0].pop("reasons")),
    ("a pending outcome", lambda d: d["checks"][0].update(outcome="pending")),
    ("no variables legend", lambda d: d.pop("variables")),
]


@pytest.mark.parametrize("what, breaks", BROKEN, ids=[w for w, _ in BROKEN])
def test_the_schema_refuses(what: str, breaks) -> None:
    document = sample_results()
    breaks(document)
    assert schemas.validate("results", document) != []


def test_the_root_cause_reads_reasons_not_sentences() -> None:
    """A reason that names REG-OK-1 only in its sentence is not a root cause; one that says so as data is."""
    register_fails = {
        "nodeid": "r",
        "requirements": ["REG-OK-1"],
        "outcome": "failed",
        "message": "refused",
        "breaches": [{"requirements": ["REG-OK-1"], "message": "refused"}],
    }
    as_text = {
        "nodeid": "t",
        "requirements": ["TOK-OK-1"],
        "outcome": "blocked",
        "message": "blocked by REG-OK-1",
        "not_verified": {"TOK-OK-1": "blocked by REG-OK-1"},
    }
    as_data = {**as_text, "reasons": {"TOK-OK-1": blocked_by("REG-OK-1").to_dict()}}
    for check, cause in ((as_text, None), (as_data, ["TOK-OK-1"])):
        doc = certification.build({"checks": [register_fails, check], "started_at": "2026-01-01T00:00:00Z"})
        assert (doc["overall"]["root_cause"] or {}).get("prevented") == cause


@pytest.mark.parametrize(
    "reason, blocks",
    [
        (blocked_by("REG-OK-1"), True),
        (Reason(ReasonKind.CONTROL_REFUSED, "REG-OK-1"), True),
        (blocked_by("TOK-OK-1"), False),
        (Reason(ReasonKind.FRONT_DOOR), False),
        (Reason(ReasonKind.TIMING), False),
    ],
)
def test_what_a_reason_blocks(reason: Reason, blocks: bool) -> None:
    assert reason.blocked_by("REG-OK-1") is blocks
    assert Reason.from_dict(reason.to_dict()) == reason


def test_verdicts_keep_the_reasons_of_the_checks_that_did_not_judge() -> None:
    record = blocked_record()
    check = sample_results(record)["checks"][0]
    verdict = requirement_verdicts([check])["TOK-OK-2"]
    assert verdict.verdict == "not_verified" and verdict.blocked_by("REG-OK-1")


def _result(
    ending: Ending = Ending.COMPLETED, verdict: str | None = None, tests_failed: int = 0, **checks: int
) -> RunResult:
    certification = {"overall": {"verdict": verdict, "checks": checks}} if verdict else None
    return RunResult(None, {}, ending, tests_failed=tests_failed, certification=certification)


# (what happened, the result, its exit code): the one rule, case by case.
EXIT_CODES = [
    ("every check passed", _result(verdict="PASS"), ExitCode.OK),
    ("a check failed", _result(verdict="FAIL", tests_failed=1, failed=1), ExitCode.FAILED),
    ("every failure waived", _result(verdict="PASS with waivers", tests_failed=2, waived=2), ExitCode.OK),
    ("a waived and a blocked check", _result(verdict="PARTIAL", tests_failed=2, waived=1, blocked=1), ExitCode.FAILED),
    ("a waived and an unwaived failure", _result(verdict="FAIL", tests_failed=2, waived=1, failed=1), ExitCode.FAILED),
    ("a blocked check", _result(verdict="INCONCLUSIVE", tests_failed=1, blocked=1), ExitCode.INCONCLUSIVE),
    ("unjudged for timing", _result(verdict="INCONCLUSIVE"), ExitCode.INCONCLUSIVE),
    (
        "stopped by a signal",
        _result(Ending.STOPPED, verdict="INCOMPLETE", tests_failed=1, failed=1),
        ExitCode.INCOMPLETE,
    ),
    (
        "target unreachable",
        _result(Ending.UNREACHABLE, verdict="NO VERDICT", tests_failed=3, error=3),
        ExitCode.UNREACHABLE,
    ),
    ("the target refused the target file", _result(Ending.TARGET_FILE_REFUSED, tests_failed=1), ExitCode.USAGE),
    ("nothing matched the selection", _result(Ending.NOTHING_SELECTED), ExitCode.USAGE),
    ("the harness crashed", _result(Ending.INTERNAL_ERROR, verdict="PASS"), ExitCode.INTERNAL),
    ("no check ran, nothing failed", _result(), ExitCode.OK),
]


@pytest.mark.parametrize("what, result, code", EXIT_CODES, ids=[w for w, *_ in EXIT_CODES])
def test_exit_code(what: str, result: RunResult, code: ExitCode) -> None:
    assert exit_code(result) == code
