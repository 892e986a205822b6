"""What HTTP permits (the contract's section 0), one rule per test, and the attribution to the broken rule.

Each row sends a request at HTTP's envelope (over a limit, not well-formed) or an ordinary one, gives
an answer, and states what the oracle must conclude: set aside (not verified, no failure), judged and
held, or judged and broken on exactly the named requirements. Before section 0, the rows marked
"front door" failed a conforming deployment behind a stock nginx.
"""

from __future__ import annotations

import json

import pytest

from dcr_harness import checks
from dcr_harness.checks import envelope
from dcr_harness.checks.provocations import BAD_REDIRECT, BAD_STATEMENT, INVALID_REQUEST, SUCCESS, P
from dcr_harness.http import Exchange
from dcr_harness.strategies import catalogue
from dcr_harness.strategies.oracle import judge_case
from tests.unit.unsent import unsent

REG_URL, TOK_URL, API_URL = (
    "http://127.0.0.1/o/client/register",
    "http://127.0.0.1/o/client/token",
    "http://127.0.0.1/api/v2/x",
)
JSON, FORM = ("Content-Type", "application/json"), ("Content-Type", "application/x-www-form-urlencoded")
NGINX_400 = (
    b"<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1>"
    b"</center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n"
)
HTML = [("Content-Type", "text/html"), ("Server", "nginx/1.22.1")]
JSON_ANSWER = [("Content-Type", "application/json")]
BIG_BODY = b'{"software_statement": "' + b"a" * 70_000 + b'"}'
GOOD_FORM = b"client_id=c1&client_secret=s1&grant_type=client_credentials"


def exchange(
    url: str, headers: list[tuple[str, str]], body: bytes, status: int, answer_headers, answer: bytes | object
) -> Exchange:
    raw = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
    return Exchange(
        "POST" if url != API_URL else "GET",
        url,
        headers,
        body,
        status=status,
        response_headers=answer_headers,
        response_body=raw,
    )


def judged(case, ex: Exchange) -> checks.Evidence:
    with checks.judged_apart(merge=False) as evidence:
        try:
            judge_case(case, ex)
        except checks.CheckFailed:
            pass
    return evidence


def broken(evidence: checks.Evidence) -> set[str]:
    return {r for b in evidence.breaches for r in b.requirements}


STATEMENT_CASE = P("REG-ERR-3", "a claim of 70,000 characters", "register", BAD_STATEMENT, unsent)
TOKEN_AUTH_TWICE = P(
    "TOK-ERR-1 TOK-ERR-2",
    "Authorization sent twice",
    "token",
    {SUCCESS, INVALID_REQUEST, "invalid_client"},
    unsent,
)
DEVICE_CASE = P(
    "DEV-3 DEV-1 DEV-2 REG-REQ-2",
    "X-Device-Info nested 1000 deep",
    "register",
    {SUCCESS, INVALID_REQUEST},
    unsent,
)
API_TWICE = P("API-2 API-3", "Authorization sent twice", "api", "401", unsent)
CLIENT_ID_UTF8 = P(
    "TOK-ERR-2 TOK-REQ-2 TOK-ERR-1",
    "client_id raw invalid UTF-8",
    "token",
    {"invalid_client", INVALID_REQUEST},
    unsent,
)
TWO_AUTH = [FORM, ("Authorization", "Basic %%%"), ("Authorization", "Bearer x")]
LONG_DEVICE = [JSON, ("X-Device-Info", "e" * 9000)]

# (what, case, request url, request headers, request body, status, answer headers, answer, set aside?, broken)
ROWS = [
    (
        "over a limit: 413 from the front door (front door)",
        STATEMENT_CASE,
        REG_URL,
        [JSON],
        BIG_BODY,
        413,
        HTML,
        NGINX_400,
        True,
        set(),
    ),
    ("over a limit: 431 for a long header line", DEVICE_CASE, REG_URL, LONG_DEVICE, b"{}", 431, [], b"", True, set()),
    (
        "over a limit: a 400 page of the front door (front door)",
        DEVICE_CASE,
        REG_URL,
        LONG_DEVICE,
        b"{}",
        400,
        HTML,
        NGINX_400,
        True,
        set(),
    ),
    (
        "over a limit: the service's invalid_request where the content would get another code",
        STATEMENT_CASE,
        REG_URL,
        [JSON],
        BIG_BODY,
        400,
        JSON_ANSWER,
        {"error": "invalid_request"},
        True,
        set(),
    ),
    (
        "over a limit: the contract's answer is judged and holds",
        STATEMENT_CASE,
        REG_URL,
        [JSON],
        BIG_BODY,
        400,
        JSON_ANSWER,
        {"error": "invalid_software_statement"},
        False,
        set(),
    ),
    (
        "over a limit: a wrong contract code is still wrong",
        STATEMENT_CASE,
        REG_URL,
        [JSON],
        BIG_BODY,
        400,
        JSON_ANSWER,
        {"error": "invalid_redirect_uri"},
        False,
        {"REG-ERR-3"},
    ),
    (
        "over a limit: a 5xx is a failure whoever answers",
        STATEMENT_CASE,
        REG_URL,
        [JSON],
        BIG_BODY,
        502,
        HTML,
        b"bad gateway",
        False,
        {"REG-ERR-5"},
    ),
    (
        "not well-formed: a repeated singleton refused by the front door (front door)",
        TOKEN_AUTH_TWICE,
        TOK_URL,
        TWO_AUTH,
        GOOD_FORM,
        400,
        HTML,
        NGINX_400,
        True,
        set(),
    ),
    (
        "not well-formed: a repeated Authorization on the API refused by the front door (front door)",
        API_TWICE,
        API_URL,
        [("Authorization", "Bearer a"), ("Authorization", "Bearer b")],
        b"",
        400,
        HTML,
        NGINX_400,
        True,
        set(),
    ),
    (
        "not well-formed: the API's own 400 in its error shape is judged (API-2 wants 401)",
        API_TWICE,
        API_URL,
        [("Authorization", "Bearer a"), ("Authorization", "Bearer b")],
        b"",
        400,
        JSON_ANSWER,
        {"action": "application-registration", "status": 400, "code": "invalid_access_token_service_provider"},
        False,
        {"API-2"},
    ),
    (
        "not well-formed: invalid UTF-8 in the form body refused by a generic 400",
        CLIENT_ID_UTF8,
        TOK_URL,
        [FORM],
        b"client_id=\xff\xfe&client_secret=s1&grant_type=client_credentials",
        400,
        [("Content-Type", "text/plain")],
        b"Bad Request",
        True,
        set(),
    ),
    (
        "not well-formed: a wrong contract code breaks the malformed-request rule alone",
        CLIENT_ID_UTF8,
        TOK_URL,
        [FORM],
        b"client_id=\xff\xfe&client_secret=s1&grant_type=client_credentials",
        400,
        JSON_ANSWER,
        {"error": "unsupported_grant_type"},
        False,
        {"TOK-ERR-1"},
    ),
    (
        "not well-formed: the contract's invalid_request is the malformed-request answer",
        P("TOK-ERR-2", "secret %zz", "token", "invalid_client", unsent),
        TOK_URL,
        [FORM],
        b"client_id=c1&client_secret=%zz&grant_type=client_credentials",
        400,
        JSON_ANSWER,
        {"error": "invalid_request"},
        False,
        set(),
    ),
    (
        "ordinary: an HTML 400 to an ordinary request still fails",
        P("REG-ERR-1", "body is a JSON array", "register", INVALID_REQUEST, unsent),
        REG_URL,
        [JSON],
        b"[]",
        400,
        HTML,
        NGINX_400,
        False,
        {"REG-ERR-1"},
    ),
    (
        "ordinary: a 413 to an ordinary request is no permitted status",
        P("REG-ERR-1", "body is a JSON array", "register", INVALID_REQUEST, unsent),
        REG_URL,
        [JSON],
        b"[]",
        413,
        JSON_ANSWER,
        {"error": "invalid_request"},
        False,
        {"REG-ERR-5"},
    ),
    (
        "attribution: a served bad redirect URI breaks REG-ERR-2 alone",
        P("REG-ERR-2 REG-ERR-1", "redirect_uri relative", "register", {BAD_REDIRECT, INVALID_REQUEST}, unsent),
        REG_URL,
        [JSON],
        b"{}",
        201,
        JSON_ANSWER,
        {},
        False,
        {"REG-ERR-2"},
    ),
    (
        "attribution: a served odd client_id breaks TOK-ERR-2 alone",
        P(
            "TOK-ERR-2 TOK-REQ-2 TOK-ERR-1",
            "client_id odd",
            "token",
            {"invalid_client", INVALID_REQUEST},
            unsent,
        ),
        TOK_URL,
        [FORM],
        GOOD_FORM,
        201,
        JSON_ANSWER,
        {},
        False,
        {"TOK-ERR-2"},
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_what_http_permits(row):
    what, case, url, headers, body, status, answer_headers, answer, set_aside, expected_broken = row
    ev = judged(case, exchange(url, headers, body, status, answer_headers, answer))
    assert broken(ev) == expected_broken, [b.line() for b in ev.breaches]
    front_door = [r for r, why in ev.unverified.items() if why.startswith("not verified (front door)")]
    assert bool(front_door) == set_aside, ev.unverified
    refused = [e for e in ev.envelope if e["refused_by"]]
    assert bool(refused) == set_aside


def test_the_declared_limits_replace_the_floors():
    """A target that declares its front door's limits gets a refusal within them judged as the API's."""
    ex = exchange(REG_URL, LONG_DEVICE, b"{}", 400, HTML, NGINX_400)
    assert envelope.classify(ex, envelope.Limits()) is not None
    assert envelope.classify(ex, envelope.Limits(header_line=16_384, declared=True)) is None
    envelope.install(envelope.Limits(header_line=16_384, declared=True))
    try:
        ev = judged(DEVICE_CASE, ex)
    finally:
        envelope.install(envelope.Limits())
    assert "DEV-3" in broken(ev) and not ev.envelope


def test_a_repeated_content_type_may_be_acted_on_with_either_value():
    """RFC 9110 5.3: Content-Type sent twice, the second text/plain, may be refused or served (oidc-provider serves it)."""
    for endpoint in ("register", "token"):
        case = next(
            c
            for c in catalogue.cases(f"{endpoint}-content-type", catalogue.sample_inputs())
            if "second text/plain" in c.name
        )
        assert {SUCCESS, INVALID_REQUEST} <= case.permitted


@pytest.mark.parametrize(
    "headers, body, kind",
    [
        ([JSON, ("Content-Type", "application/json")], b"{}", envelope.MALFORMED),
        (
            [JSON, ("X-Device-Info", "\xff\xfe")],
            b"{}",
            envelope.MALFORMED,
        ),  # httpx reads a non-UTF-8 header block as Latin-1
        ([JSON], b'{"a": "\xff"}', envelope.MALFORMED),
        ([FORM], b"client_id=%zz", envelope.MALFORMED),
        ([FORM], b"client_id=%ff%fe", envelope.MALFORMED),
        ([JSON], BIG_BODY, envelope.LIMIT),
        ([JSON, ("User-Agent", "u" * 1100)], b"{}", envelope.LIMIT),
        ([JSON, ("Accept", "application/json"), ("Accept", "text/html")], b"{}", None),  # a list field: repeats combine
        ([JSON, ("User-Agent", "é☃")], "é☃".encode(), None),  # valid UTF-8 is well-formed
        ([FORM], b"client_id=%C3%A9", None),
    ],
)
def test_classify(headers, body, kind):
    found = envelope.classify(Exchange("POST", REG_URL, headers, body))
    assert (found.kind if found else None) == kind
