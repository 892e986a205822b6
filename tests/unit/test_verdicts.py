"""Verdicts are evidence: what held, what broke (on the requirement it breaks), what was never reached."""

from __future__ import annotations

import json

import pytest

from dcr_harness import checks
from dcr_harness.contract import schemas
from dcr_harness.contract.verdicts import requirement_verdicts
from dcr_harness.http.exchange import Exchange
from dcr_harness.report.certification import build
from dcr_harness.report.samples import check, results

JSON_CT = [("content-type", "application/json")]
TOKEN_BODY = {
    "id": "t1",
    "access_token": "x" * 20,
    "created_at": 1_790_000_000_000,
    "expires_in": 600,
    "token_type": "bearer",
}


def answer(
    status: int, body: object = None, headers: list[tuple[str, str]] | None = None, raw: bytes | None = None
) -> Exchange:
    content = raw if raw is not None else json.dumps(body).encode()
    return Exchange(
        "POST",
        "http://127.0.0.1:1/o/client/token",
        [],
        b"",
        status=status,
        response_headers=JSON_CT if headers is None else headers,
        response_body=content,
    )


def judged(fn, *args) -> checks.Evidence:
    """Run one judgment the way a check does, and return its evidence."""
    evidence = checks.Evidence()
    checks.collect_evidence_into(evidence)
    try:
        with checks.soft():
            fn(*args)
    except checks.CheckBlocked:
        pass
    finally:
        checks.collect_evidence_into(None)
    return evidence


def test_a_served_request_with_the_wrong_2xx_breaks_only_the_success_requirement() -> None:
    body = {k: v for k, v in TOKEN_BODY.items() if k != "created_at"}
    ev = judged(checks.token_success, answer(200, body), ("TOK-REQ-1", "DEV-2"))
    assert set(ev.broken) == {"TOK-OK-1", "TOK-OK-2"}  # status and the missing member: both judged
    assert {"TOK-REQ-1", "DEV-2"} <= ev.verified.keys()  # it was served, which is what they ask


def test_a_refused_request_that_must_be_served_breaks_the_requirement_that_says_serve_it() -> None:
    ev = judged(checks.token_success, answer(400, {"error": "invalid_request"}), ("TOK-REQ-3",))
    assert ev.broken == ["TOK-REQ-3"]
    assert "TOK-OK-1" in ev.unverified and "TOK-OK-1" not in ev.verified


def test_a_server_error_breaks_only_the_closing_requirement() -> None:
    ev = judged(checks.oauth_error, answer(500, raw=b"oops", headers=[]), "token", {"invalid_client"}, ("TOK-ERR-2",))
    assert ev.broken == ["TOK-ERR-5"]
    assert "TOK-ERR-2" in ev.unverified


def test_an_error_answer_is_judged_property_by_property() -> None:
    # 401 instead of 400, text/plain, and a code outside the contract's list: three requirements, one answer.
    ex = answer(401, {"error": "invalid_client_metadata"}, headers=[("content-type", "text/plain")])
    ev = judged(checks.oauth_error, ex, "register", {"invalid_request"}, ("REG-REQ-1", "REG-ERR-1"))
    assert set(ev.broken) == {"REG-ERR-5", "REG-ERR-1"}
    assert "REG-REQ-1" in ev.verified  # it was refused, which is what the request rule asks
    assert len(ev.breaches) == 4  # status, media type, schema (code outside the list), wrong code


def test_a_request_that_must_be_refused_and_is_served_breaks_the_request_rule() -> None:
    ev = judged(checks.oauth_error, answer(201, TOKEN_BODY), "token", {"invalid_request"}, ("TOK-REQ-1", "TOK-ERR-1"))
    assert ev.broken == ["TOK-REQ-1"]


def test_a_429_is_no_verdict() -> None:
    ev = judged(checks.token_success, answer(429, raw=b"slow down", headers=[]), ())
    assert not ev.breaches and not ev.verified and "TOK-OK-1" in ev.unverified


def test_the_cache_headers_are_judged_after_a_wrong_status() -> None:
    evidence = checks.Evidence()
    checks.collect_evidence_into(evidence)
    try:
        ex = answer(200, TOKEN_BODY, headers=JSON_CT + [("cache-control", "no-store")])
        checks.token_success(ex)
        checks.cache_headers(ex)
    finally:
        checks.collect_evidence_into(None)
    assert evidence.broken == ["TOK-OK-1"]
    assert [f.requirement for f in evidence.findings] == ["TOK-OK-4"]  # no Pragma: reached despite the 200


def test_outside_a_check_a_breach_raises_at_once() -> None:
    with pytest.raises(checks.CheckFailed):
        checks.token_success(answer(200, TOKEN_BODY))


def test_a_failed_check_does_not_pass_the_other_requirements_it_cites() -> None:
    failed = check("t::token", ["TOK-OK-1", "TOK-OK-2"], "failed", ["TOK-OK-1"], "[TOK-OK-1] got 200")
    verdicts = requirement_verdicts([failed])
    assert verdicts["TOK-OK-1"].verdict == "fail"
    assert verdicts["TOK-OK-2"].verdict == "not_verified"
    assert verdicts["TOK-OK-2"].reasons


def test_a_skipped_part_is_never_a_pass() -> None:
    passed = check(
        "t::revocation",
        ["REG-ERR-4", "API-2"],
        verified=["API-2"],
        not_verified={"REG-ERR-4": "not covered: the target file has no `statements.revoked`"},
    )
    verdicts = requirement_verdicts([passed])
    assert verdicts["API-2"].verdict == "pass"
    assert verdicts["REG-ERR-4"].verdict == "not_verified"
    assert "statements.revoked" in verdicts["REG-ERR-4"].reasons[0]


def test_a_breach_counts_against_a_requirement_the_check_does_not_cite() -> None:
    run = check(
        "t::accept", ["TOK-REQ-3"], "failed", ["TOK-OK-2"], "[TOK-OK-2] body lacks created_at", verified=["TOK-REQ-3"]
    )
    verdicts = requirement_verdicts([run, check("t::ok", ["TOK-OK-2"])])
    assert verdicts["TOK-OK-2"].verdict == "fail" and verdicts["TOK-REQ-3"].verdict == "pass"


def test_client_obligations_are_not_verdicts_of_a_server_run() -> None:
    verdicts = requirement_verdicts([check("t::refresh", ["TOK-OK-3", "CLI-2"])], ["CLI-2", "CLI-5"])
    assert verdicts["CLI-2"].verdict == verdicts["CLI-5"].verdict == "not_applicable"


def test_a_narrowed_run_is_partial_never_pass() -> None:
    run = results([check("t::register", ["REG-OK-1"])])
    run["selection"] = {"narrowed": True, "req": ["REG-OK-1"], "deselected": 120}
    doc = build(run)
    assert doc["overall"]["verdict"] == "PARTIAL"
    assert schemas.validate("certification", doc) == []


def test_an_unreachable_target_writes_no_requirement_verdicts() -> None:
    run = results([check("t::register", ["REG-OK-1"], "error", message="target unreachable: refused", verified=[])])
    run.update(unreachable=True, stop_reason="target unreachable: cannot connect")
    doc = build(run)
    assert doc["overall"]["verdict"] == "NO VERDICT" and doc["requirements"] == []
    assert schemas.validate("certification", doc) == []


def test_a_token_accepted_where_it_must_be_refused_breaks_api2_not_the_error_body_rule() -> None:
    ev = judged(checks.api_rejected, answer(200, {"ok": True}), ("API-2", "API-3"))
    assert ev.broken == ["API-2"] and "API-3" in ev.unverified


def test_a_served_wrong_secret_breaks_the_requirement_of_the_permitted_code_only() -> None:
    # A case citing TOK-ERR-2 and TOK-ERR-1 that permits only invalid_client: serving it breaks TOK-ERR-2.
    ev = judged(checks.oauth_error, answer(201, TOKEN_BODY), "token", {"invalid_client"}, ("TOK-ERR-2", "TOK-ERR-1"))
    assert ev.broken == ["TOK-ERR-2"]
