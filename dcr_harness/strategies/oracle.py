"""Judging a generated case: the contract's permitted answers, never a 5xx, and a curl reproduction."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from .. import checks
from ..checks.provocations import INVALID_REQUEST, SUCCESS, Provocation, at_the_envelope, judge
from ..http import Exchange

REQUIRED_TOKEN_PARAMS = ("client_id", "client_secret", "grant_type")
GRANT = "client_credentials"
WRONG_GRANT = frozenset({"unauthorized_client", "unsupported_grant_type"})
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def judge_case(case: Provocation, ex: Exchange) -> None:
    """Record whether the answer is one the case permits; CheckBlocked when it was not judged (429)."""
    if case.endpoint == "api":
        if at_the_envelope(case, ex) is None:
            return
        if SUCCESS in case.permitted:
            checks.api_accepted(ex)
        else:
            checks.api_rejected(ex, case.requirements)
    else:
        judge(case, ex)


# Grant types a server may know, with the parameters RFC 6749 / RFC 7523 / RFC 8628 require beside them:
# sent without those, the request is also malformed (TOK-ERR-1).
GRANT_PARAMS = {
    "password": ("username", "password"),
    "authorization_code": ("code",),
    "refresh_token": ("refresh_token",),
    "urn:ietf:params:oauth:grant-type:jwt-bearer": ("assertion",),
    "urn:ietf:params:oauth:grant-type:device_code": ("device_code",),
}
# Longer credentials than any server issues: a server may call them malformed (TOK-ERR-1).
OVERLONG_VALUE = 255
_ODD_CHARS = re.compile(r"[^\x20-\x7e]")


def malformed_value(value: str) -> bool:
    """Control or non-ASCII characters, or overlong: TOK-ERR-1 'malformed request' fits as well as the value's own code."""
    return len(value) > OVERLONG_VALUE or bool(_ODD_CHARS.search(value))


def token_permitted(pairs: list[tuple[str, str]], client_id: str, client_secret: str) -> frozenset[str]:
    """The answers TOK-REQ-2 and TOK-ERR-1..4 allow for these body parameters (either code where defects combine)."""
    sent = [(name, value) for name, value in pairs if value]  # RFC 6749 3.2: an empty value counts as omitted
    names = [name for name, _ in sent]
    if len(names) != len(set(names)):
        return frozenset({INVALID_REQUEST})  # a repeated parameter (TOK-ERR-1), whatever else is wrong
    params = dict(sent)
    codes: set[str] = set()
    if any(name not in params for name in REQUIRED_TOKEN_PARAMS):
        codes.add(INVALID_REQUEST)  # missing, or empty which counts as omitted
    grant = params.get("grant_type")
    if grant and grant != GRANT:
        codes |= WRONG_GRANT
        if any(name not in params for name in GRANT_PARAMS.get(grant, ())):
            codes.add(INVALID_REQUEST)  # the grant's own parameters are missing
    if (params.get("client_id") and params["client_id"] != client_id) or (
        params.get("client_id") and params.get("client_secret") and params["client_secret"] != client_secret
    ):
        codes.add("invalid_client")
    # Readings a server may also take: an empty repeat of a sent parameter counted as a repeat,
    # a value with odd characters or overlong called malformed.
    also = set()
    if any(value == "" and name in params for name, value in pairs):
        also.add(INVALID_REQUEST)
    if any(malformed_value(params.get(name, "")) for name in REQUIRED_TOKEN_PARAMS):
        also.add(INVALID_REQUEST)
    return frozenset((codes or {SUCCESS}) | also)


def form_permitted(raw: bytes, client_id: str, client_secret: str) -> frozenset[str]:
    """token_permitted for raw body bytes; malformed encodings may also be refused as invalid_request.

    A lenient decoder replaces invalid UTF-8 and judges what is left (an unknown client_id, say),
    so that answer is permitted beside invalid_request.
    """
    text = raw.decode("utf-8", errors="replace")
    permitted = token_permitted(parse_qsl(text, keep_blank_values=True), client_id, client_secret)
    if text.encode("utf-8") != raw:
        return permitted | {INVALID_REQUEST}  # invalid UTF-8
    try:
        parse_qsl(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return permitted | {INVALID_REQUEST}  # an escape that decodes to invalid UTF-8
    if _BAD_PERCENT.search(text):
        return permitted | {INVALID_REQUEST}  # a strict parser calls a broken escape malformed
    return permitted
