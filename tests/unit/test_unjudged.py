"""No silent PASS: a requirement that applies and was left unjudged (timing) makes the run
INCONCLUSIVE, unless --accept-unjudged names it, and then the certification lists it."""

from __future__ import annotations

import pytest

from dcr_harness.checks import throttle_lab
from dcr_harness.checks.throttle_lab import PoorTiming, retrying
from dcr_harness.cli.commands import main
from dcr_harness.contract import schemas
from dcr_harness.engine.selection import exact_ids
from dcr_harness.report.certification import build, unjudged_lines
from dcr_harness.report.samples import check, results

BURST = "conformance/test_throttle_burst_rate.py::test_burst_size_and_sustained_rate"
ONE_TIME = "conformance/test_throttle_burst_rate.py::test_burst_is_one_time"
TIMING = "timing: still unjudgeable after 3 attempts, each with fresh devices (attempt 1: timing: could not send 23 requests ...)"


def timing_skipped(nodeid: str, reqs: list[str]) -> dict:
    """A throttle check whose scenario stayed unjudgeable for timing, as the scenario fixture records it."""
    return {
        **check(nodeid, reqs, "skipped", message=f"not judged: {TIMING}", not_verified={r: TIMING for r in reqs}),
        "unjudged": "timing",
    }


def doc_of(*checks: dict, accept: tuple[str, ...] = ()) -> dict:
    doc = build(
        {
            **results([check("conformance/test_token.py::test_token_ok", ["TOK-OK-1"]), *checks]),
            "accept_unjudged": list(accept),
        }
    )
    assert schemas.validate("certification", doc) == []
    return doc


def entry(doc: dict, req: str) -> dict:
    return next(r for r in doc["requirements"] if r["id"] == req)


def test_a_requirement_left_unjudged_for_timing_makes_the_run_inconclusive_never_pass() -> None:
    doc = doc_of(timing_skipped(BURST, ["THR-2", "THR-3"]))
    assert doc["overall"]["verdict"] == "INCONCLUSIVE"
    assert entry(doc, "THR-2")["verdict"] == "not_verified" and entry(doc, "THR-2")["unjudged"] == "timing"
    assert [u["requirement"] for u in doc["overall"]["scope"]["unjudged"]] == ["THR-2", "THR-3"]
    assert unjudged_lines(doc["overall"]["scope"]) == [
        "unjudged: THR-2 (timing), THR-3 (timing): no PASS; a busy CI runner may accept them with --accept-unjudged THR-2,THR-3"
    ]


def test_accepted_unjudged_requirements_let_the_run_pass_and_are_listed() -> None:
    doc = doc_of(timing_skipped(BURST, ["THR-2", "THR-3"]), accept=("THR-2", "THR-3", "THR-6"))
    assert doc["overall"]["verdict"] == "PASS"
    assert doc["overall"]["accept_unjudged"] == ["THR-2", "THR-3", "THR-6"]
    assert [(u["requirement"], u["unjudged"]) for u in doc["overall"]["scope"]["accepted_unjudged"]] == [
        ("THR-2", "timing"),
        ("THR-3", "timing"),
    ]  # what was accepted, not what was named
    assert entry(doc, "THR-2")["verdict"] == "not_verified"  # accepted is never passed
    assert unjudged_lines(doc["overall"]["scope"]) == ["accepted unjudged: THR-2 (timing), THR-3 (timing)"]


def test_accepting_some_leaves_the_others_inconclusive() -> None:
    doc = doc_of(timing_skipped(BURST, ["THR-2", "THR-3"]), accept=("THR-2",))
    assert doc["overall"]["verdict"] == "INCONCLUSIVE"
    assert [u["requirement"] for u in doc["overall"]["scope"]["unjudged"]] == ["THR-3"]


def test_a_failure_is_still_a_failure_whatever_is_accepted() -> None:
    failed = check(
        "conformance/test_throttle_recovery.py::test_recovery_one_second_after_429",
        ["THR-4"],
        "failed",
        ["THR-4"],
        "[THR-4] a request sent 1.02 s after a refusal was answered 429",
    )
    doc = doc_of(timing_skipped(BURST, ["THR-2"]), failed, accept=("THR-2", "THR-4"))
    assert doc["overall"]["verdict"] == "FAIL"


def test_timing_left_unjudged_where_another_check_judged_is_part_of_its_cases() -> None:
    doc = doc_of(timing_skipped(BURST, ["THR-2"]), check(ONE_TIME, ["THR-6", "THR-2"]))
    thr2 = entry(doc, "THR-2")
    assert thr2["verdict"] == "not_verified" and thr2["unjudged"] == "timing"
    assert thr2["reasons"][0].startswith("1 of 2 cases judged; not judged: timing")
    assert doc["overall"]["verdict"] == "INCONCLUSIVE"


def test_a_check_skipped_for_a_missing_key_is_still_not_covered_and_does_not_stop_a_pass() -> None:
    skipped = check(
        "conformance/test_register.py::test_revoked_statement",
        ["REG-ERR-4"],
        "skipped",
        message="not covered: needs statements.revoked",
        not_verified={"REG-ERR-4": "needs statements.revoked"},
    )
    doc = doc_of(skipped)
    assert entry(doc, "REG-ERR-4")["verdict"] == "not_covered" and entry(doc, "REG-ERR-4")["unjudged"] is None
    assert doc["overall"]["verdict"] == "PASS"


def test_only_a_structured_reason_can_be_accepted_not_a_blocked_check() -> None:
    blocked = check(BURST, ["THR-2"], "blocked", message="blocked: 429 from a fresh device")
    doc = doc_of(blocked, accept=("THR-2",))
    assert entry(doc, "THR-2")["unjudged"] is None
    assert doc["overall"]["verdict"] == "INCONCLUSIVE" and doc["overall"]["scope"]["accepted_unjudged"] == []


@pytest.mark.parametrize(
    "values, problem",
    [
        (["THR-2,thr-6", "THR-2"], None),
        (["THR-9"], "--accept-unjudged: no such requirement: THR-9 (nearest: "),
        (["THR-"], "--accept-unjudged: no such requirement: THR- "),  # named one by one: no prefixes
    ],
)
def test_accepted_ids_are_named_exactly(values: list[str], problem: str | None) -> None:
    ids, found = exact_ids(values, "--accept-unjudged")
    if problem is None:
        assert ids == ["THR-2", "THR-6"] and found is None
    else:
        assert found is not None and found.startswith(problem) and "\n" not in found


def test_an_unknown_accepted_id_is_a_one_line_usage_error(tmp_path, capsys) -> None:
    code = main(["run", "--accept-unjudged", "THR-2,THR-99", "--report-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("dcr-harness: --accept-unjudged: no such requirement: THR-99")
    assert len(err.strip().splitlines()) == 1 and not any(tmp_path.iterdir())


def test_a_scenario_unjudged_for_timing_is_retried_with_its_bound(monkeypatch) -> None:
    calls: list[int] = []

    def flaky(lab: object) -> str:
        calls.append(1)
        if len(calls) <= throttle_lab.RETRIES:
            raise PoorTiming(f"timing: attempt {len(calls)} straddled a window")
        return "judged"

    assert retrying(flaky, object()) == "judged" and len(calls) == throttle_lab.RETRIES + 1

    def hopeless(lab: object) -> str:
        calls.append(1)
        raise PoorTiming("timing: never fitted")

    calls.clear()
    with pytest.raises(
        PoorTiming, match=r"still unjudgeable after 3 attempts, each with fresh devices \(attempt 1: timing: never"
    ):
        retrying(hopeless, object())
    assert len(calls) == throttle_lab.RETRIES + 1
    calls.clear()
    monkeypatch.setattr(throttle_lab, "RETRY_WITHIN_S", -1.0)  # past the bound at once: no retry
    with pytest.raises(PoorTiming, match=r"after 1 attempt \(no time left to retry\)"):
        retrying(hopeless, object())
    assert len(calls) == 1
