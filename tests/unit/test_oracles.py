"""The oracles accept every answer CONTRACT.md permits, and still refuse what it does not.

Data tables: (input, the answers permitted). Each row names the contract sentence that widens it.
"""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dcr_harness import checks
from dcr_harness.checks.provocations import (
    BAD_REDIRECT,
    BAD_STATEMENT,
    INVALID_REQUEST,
    REFUSAL_IS_FINDING,
    REGISTER,
    SUCCESS,
    TOKEN,
    P,
    judge,
)
from dcr_harness.http import Exchange
from dcr_harness.strategies.api import changed_character
from dcr_harness.strategies.negotiation import accept_permits
from dcr_harness.strategies.oracle import form_permitted, token_permitted
from dcr_harness.strategies.register import (
    missing_statement_permitted,
    redirect_permitted,
    text_body_permitted,
    utf8_damage_permitted,
)
from tests.unit.unsent import unsent

ID, SECRET = "client-1", "secret-1"
CLIENT = "invalid_client"
WRONG_GRANT = {"unauthorized_client", "unsupported_grant_type"}
GOOD = [("client_id", ID), ("client_secret", SECRET), ("grant_type", "client_credentials")]


def _with(**changes: str) -> list[tuple[str, str]]:
    return [(k, changes.get(k, v)) for k, v in GOOD]


TOKEN_FORMS = [
    # (what, pairs, permitted)
    ("the good form", GOOD, {SUCCESS}),
    ("client_secret empty (omitted, RFC 6749 3.2)", _with(client_secret=""), {INVALID_REQUEST}),
    ("repeat with the same value (TOK-ERR-1)", GOOD + [("client_id", ID)], {INVALID_REQUEST}),
    ("empty second value: not a repeat, or a repeat", GOOD + [("client_id", "")], {SUCCESS, INVALID_REQUEST}),
    ("unknown id", _with(client_id="other"), {CLIENT}),
    ("unknown grant type", _with(grant_type="urn:x"), WRONG_GRANT),
    ("password grant without username/password", _with(grant_type="password"), WRONG_GRANT | {INVALID_REQUEST}),
    ("refresh_token grant without refresh_token", _with(grant_type="refresh_token"), WRONG_GRANT | {INVALID_REQUEST}),
    (
        "password grant with its parameters",
        _with(grant_type="password") + [("username", "u"), ("password", "p")],
        WRONG_GRANT,
    ),
    ("client_id with a control character (malformed)", _with(client_id="client\x01"), {CLIENT, INVALID_REQUEST}),
    ("client_secret non-ASCII (malformed)", _with(client_secret="sécret"), {CLIENT, INVALID_REQUEST}),
    ("client_id overlong (malformed)", _with(client_id="a" * 300), {CLIENT, INVALID_REQUEST}),
    (
        "missing secret and unknown grant: either defect",
        [("client_id", ID), ("grant_type", "urn:x")],
        WRONG_GRANT | {INVALID_REQUEST},
    ),
]


@pytest.mark.parametrize("what, pairs, permitted", TOKEN_FORMS, ids=[row[0] for row in TOKEN_FORMS])
def test_token_permitted(what, pairs, permitted):
    assert token_permitted(pairs, ID, SECRET) == frozenset(permitted)


RAW_FORMS = [
    (
        "invalid UTF-8 in the id: refused, or an unknown id (lenient decoder)",
        b"client_id=\xff\xfe&client_secret=secret-1&grant_type=client_credentials",
        {INVALID_REQUEST, CLIENT},
    ),
    (
        "percent escape of invalid UTF-8",
        b"client_id=%FF&client_secret=secret-1&grant_type=client_credentials",
        {INVALID_REQUEST, CLIENT},
    ),
    (
        "broken percent escape",
        b"client_id=client-1&client_secret=secret-1&grant_type=client_credentials&x=%G1",
        {SUCCESS, INVALID_REQUEST},
    ),
    ("good body", b"client_id=client-1&client_secret=secret-1&grant_type=client_credentials", {SUCCESS}),
]


@pytest.mark.parametrize("what, raw, permitted", RAW_FORMS, ids=[row[0] for row in RAW_FORMS])
def test_form_permitted(what, raw, permitted):
    assert form_permitted(raw, ID, SECRET) == frozenset(permitted)


ACCEPTS = [
    (
        "contradictory ranges: serve or refuse",
        [("application/json", "0"), ("application/json", None)],
        {SUCCESS, INVALID_REQUEST},
    ),
    ("plain json", [("application/json", None)], {SUCCESS}),
    ("json excluded, html wanted", [("application/json", "0"), ("text/html", None)], {INVALID_REQUEST}),
    ("json excluded, */* admits", [("application/json", "0"), ("*/*", None)], {INVALID_REQUEST}),
    ("html only", [("text/html", None)], {INVALID_REQUEST}),
]


@pytest.mark.parametrize("what, parts, permitted", ACCEPTS, ids=[row[0] for row in ACCEPTS])
def test_accept_permits(what, parts, permitted):
    assert accept_permits(parts) == frozenset(permitted)


REGISTER_BODIES = [
    ("no statement", {}, {INVALID_REQUEST}),
    ("statement empty: omitted or malformed (REG-ERR-3)", {"software_statement": ""}, {INVALID_REQUEST, BAD_STATEMENT}),
    ("statement null", {"software_statement": None}, {INVALID_REQUEST, BAD_STATEMENT}),
    (
        "no statement and a redirect_uri: either defect",
        {"redirect_uri": "https://x.example/cb"},
        {INVALID_REQUEST, BAD_REDIRECT},
    ),
]


@pytest.mark.parametrize("what, body, permitted", REGISTER_BODIES, ids=[row[0] for row in REGISTER_BODIES])
def test_missing_statement_permitted(what, body, permitted):
    assert missing_statement_permitted(body) == frozenset(permitted)


@pytest.mark.parametrize(
    "value, permitted",
    [
        (None, {SUCCESS, INVALID_REQUEST, BAD_REDIRECT}),
        ("", {SUCCESS, INVALID_REQUEST, BAD_REDIRECT}),
        (42, {INVALID_REQUEST, BAD_REDIRECT}),
        ("not a uri", {INVALID_REQUEST, BAD_REDIRECT}),
    ],
)
def test_redirect_permitted(value, permitted):
    assert redirect_permitted(value) == frozenset(permitted)


def test_invalid_utf8_inside_the_statement_may_be_a_bad_statement():
    good = json.dumps({"software_statement": "aaa.bbb.ccc"}).encode()
    inside = good.replace(b"bbb", b"b\xffbb")
    outside = b"\xff" + good
    assert utf8_damage_permitted(good, inside, "aaa.bbb.ccc") == {INVALID_REQUEST, BAD_STATEMENT}
    assert utf8_damage_permitted(good, outside, "aaa.bbb.ccc") == {INVALID_REQUEST}


ROWS = {p.id: p.permitted for p in REGISTER + TOKEN}
WIDENED_ROWS = [
    ("REG-REQ-5:software_statement is a number", {INVALID_REQUEST, BAD_STATEMENT}),
    ("REG-REQ-5:software_statement is an object", {INVALID_REQUEST, BAD_STATEMENT}),
    ("REG-REQ-5:software_statement missing, redirect_uri only", {INVALID_REQUEST, BAD_REDIRECT}),
    ("REG-ERR-1:body is invalid UTF-8", {INVALID_REQUEST, BAD_STATEMENT}),
    ("REG-ERR-3:two segments", {INVALID_REQUEST, BAD_STATEMENT}),
    ("REG-ERR-3:four segments", {INVALID_REQUEST, BAD_STATEMENT}),
    ("REG-ERR-3:segments not base64url", {INVALID_REQUEST, BAD_STATEMENT}),
    ("TOK-ERR-1:body is invalid UTF-8", {INVALID_REQUEST, CLIENT}),
    ("TOK-REQ-2:HTTP Basic alone", {SUCCESS, INVALID_REQUEST}),
    ("TOK-REQ-2:parameters in the query string only", {SUCCESS, INVALID_REQUEST}),
    ("REG-ERR-3:alg none", {BAD_STATEMENT}),  # a properly shaped forgery stays one code
]


@pytest.mark.parametrize("row, permitted", WIDENED_ROWS, ids=[row for row, _ in WIDENED_ROWS])
def test_provocation_rows(row, permitted):
    assert ROWS[row] == frozenset(permitted)


@given(st.binary(min_size=1, max_size=48), st.integers(0, 10**4))
def test_one_changed_character_changes_the_decoded_token(raw, at):
    """A->B in the last character of unpadded base64 can change only padding bits; the mutation never does."""
    token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    at %= len(token)
    changed = token[:at] + changed_character(token[at]) + token[at + 1 :]
    padded = changed + "=" * (-len(changed) % 4)
    assert base64.urlsafe_b64decode(padded) != raw


def _answer(status: int, body: object) -> Exchange:
    return Exchange(
        "POST",
        "http://127.0.0.1/o/client/register",
        [],
        b"",
        status=status,
        response_headers=[("content-type", "application/json")],
        response_body=json.dumps(body).encode(),
    )


UNKNOWN_MEMBERS = P("REG-REQ-5 REG-OK-1", "extra members", "register", {SUCCESS, REFUSAL_IS_FINDING}, unsent)


@pytest.mark.parametrize(
    "status, body, warned, broken",
    [
        (400, {"error": "invalid_request"}, ["REG-REQ-5"], []),  # a SHOULD: warning only
        (403, {"error": "forbidden"}, [], ["REG-REQ-5", "REG-OK-1"]),  # not a 400 refusal: the request had to be served
    ],
)
def test_refused_unknown_members_are_a_finding_not_a_failure(status, body, warned, broken):
    with checks.judged_apart(merge=False) as evidence:
        try:
            judge(UNKNOWN_MEMBERS, _answer(status, body))
        except checks.CheckFailed:
            pass
    assert [f.requirement for f in evidence.findings] == warned
    assert evidence.broken == broken


def test_a_second_429_on_a_generated_case_is_not_verified_not_passed(monkeypatch):
    """run_case: an example still answered 429 after pacing and one retry is no verdict."""
    from dcr_harness.contract.target import target_from_dict
    from dcr_harness.http import Session
    from dcr_harness.strategies import runner

    monkeypatch.setattr(runner, "note", lambda text: None)  # hypothesis.note needs a running example

    throttled = Exchange(
        "POST",
        "http://127.0.0.1/o/client/register",
        [],
        b"",
        status=429,
        response_headers=[("content-type", "text/html")],
        response_body=b"<html>slow down</html>",
    )
    case = P("REG-ERR-1", "any", "register", INVALID_REQUEST, lambda c: throttled)
    session = Session(
        target_from_dict({"base_url": "http://127.0.0.1:9", "statements": {"valid": "eyJ.a.b"}}), paced=False
    )
    with checks.judged_apart(merge=False) as evidence:
        runner.run_case(session, case)
    assert not evidence.verified and not evidence.breaches
    assert "REG-ERR-1" in evidence.unverified


@pytest.mark.parametrize(
    "text, permitted",
    [
        ("not json", {INVALID_REQUEST}),
        ("[1]", {INVALID_REQUEST}),
        ('{"redirect_uri": "x"}', {INVALID_REQUEST, BAD_REDIRECT}),  # two defects: either code
    ],
)
def test_text_bodies(text, permitted):
    assert text_body_permitted(text) == frozenset(permitted)


def test_a_query_parameter_beside_the_body_may_be_ignored_refused_or_used():
    """TOK-REQ-2: a server *may* ignore query parameters; one that uses them answers for the query's value."""
    from dcr_harness.strategies.catalogue import sample_credentials
    from dcr_harness.strategies.token import query_and_body

    creds = sample_credentials("client-1", "secret-1")

    @given(query_and_body(creds))
    def permitted_sets(case):
        assert {"<served>", "invalid_request"} <= set(case.permitted)
        used_grant = case.name.startswith("query grant_type=") and "grant_type='' " not in case.name  # empty: omitted
        if used_grant and "client_credentials" not in case.name:
            assert {"unsupported_grant_type", "unauthorized_client"} & set(case.permitted)

    permitted_sets()
