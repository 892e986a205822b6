"""Judging a generated case: the contract's permitted answers, never a 5xx, and a curl reproduction."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from .. import checks
from ..http import Exchange
from ..provocations import INVALID_REQUEST, SUCCESS, Provocation, judge

REQUIRED_TOKEN_PARAMS = ("client_id", "client_secret", "grant_type")
GRANT = "client_credentials"
WRONG_GRANT = frozenset({"unauthorized_client", "unsupported_grant_type"})
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def judge_case(case: Provocation, ex: Exchange) -> None:
    """Record whether the answer is one the case permits; CheckBlocked when it was not judged (429)."""
    if case.endpoint == "api":
        if SUCCESS in case.permitted:
            checks.api_accepted(ex)
        else:
            checks.api_rejected(ex, case.requirements)
    else:
        judge(case, ex)


def token_permitted(pairs: list[tuple[str, str]], client_id: str, client_secret: str) -> frozenset[str]:
    """The answers TOK-REQ-2 and TOK-ERR-1..4 allow for these body parameters (one code per defect)."""
    names = [name for name, _ in pairs]
    if len(names) != len(set(names)):
        return frozenset({INVALID_REQUEST})  # a repeated parameter (TOK-ERR-1), whatever else is wrong
    params = dict(pairs)
    codes: set[str] = set()
    if any(not params.get(name) for name in REQUIRED_TOKEN_PARAMS):
        codes.add(INVALID_REQUEST)  # missing, or empty which counts as omitted
    if params.get("grant_type") and params["grant_type"] != GRANT:
        codes |= WRONG_GRANT
    if (params.get("client_id") and params["client_id"] != client_id) or (
        params.get("client_id") and params.get("client_secret") and params["client_secret"] != client_secret
    ):
        codes.add("invalid_client")
    return frozenset(codes or {SUCCESS})


def form_permitted(raw: bytes, client_id: str, client_secret: str) -> frozenset[str]:
    """token_permitted for raw body bytes; malformed encodings may also be refused as invalid_request."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return frozenset({INVALID_REQUEST})
    permitted = token_permitted(parse_qsl(text, keep_blank_values=True), client_id, client_secret)
    try:
        parse_qsl(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return permitted | {INVALID_REQUEST}  # an escape that decodes to invalid UTF-8
    if _BAD_PERCENT.search(text):
        return permitted | {INVALID_REQUEST}  # a strict parser calls a broken escape malformed
    return permitted
