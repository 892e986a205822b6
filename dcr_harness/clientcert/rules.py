"""What a single client request breaks, by rule: shared by the judges and the explanation of refusals."""

from __future__ import annotations

from ..http.exchange import Exchange
from ..refserver.negotiation import FORM, JSON, accepts_json, media_type
from .parse import basic_of, form_pairs, kind, query_of, request_json

CONTENT_TYPES = {"register": (JSON, "REG-REQ-1"), "token": (FORM, "TOK-REQ-1")}
ACCEPT_RULE = {"register": "REG-REQ-3", "token": "TOK-REQ-3"}
TOKEN_PARAMS = ("client_id", "client_secret", "grant_type")


def endpoint_kind(ex: Exchange) -> str:
    """The endpoint of a register or token exchange (the callers have picked those out)."""
    found = kind(ex)
    if found is None:
        raise ValueError(f"{ex!r} reached neither the register nor the token endpoint")
    return found


def content_types(ex: Exchange) -> list[str]:
    return [v for k, v in ex.request_headers if k.lower() == "content-type"]


def content_type_ok(ex: Exchange) -> bool:
    values = content_types(ex)
    return len(values) == 1 and media_type(values[0]) == CONTENT_TYPES[endpoint_kind(ex)][0]


def accepts(ex: Exchange) -> list[str]:
    return [v for k, v in ex.request_headers if k.lower() == "accept"]


def accept_ok(ex: Exchange) -> bool:
    values = accepts(ex)
    return accepts_json(",".join(values) if values else None)


def register_body_problem(ex: Exchange) -> str | None:
    body = request_json(ex)
    if not isinstance(body, dict):
        return f"the body is {'not JSON' if body is None and ex.request_body.strip() != b'null' else 'JSON ' + type(body).__name__}"
    statement = body.get("software_statement")
    if not isinstance(statement, str) or not statement:
        return f"software_statement is {'absent' if statement is None else type(statement).__name__ if statement else 'empty'}"
    if "redirect_uri" in body and not isinstance(body["redirect_uri"], str):
        return f"redirect_uri is {type(body['redirect_uri']).__name__}, not a string"
    return None


def token_params_problem(ex: Exchange) -> str | None:
    in_query = sorted({k for k, _ in query_of(ex) if k in TOKEN_PARAMS})
    if in_query:
        return f"{', '.join(in_query)} sent in the query string"
    pairs = form_pairs(ex.request_body)
    repeated = sorted({k for k, _ in pairs if k in TOKEN_PARAMS and sum(n == k for n, _ in pairs) > 1})
    if repeated:
        return f"{', '.join(repeated)} repeated"
    form = dict(pairs)
    in_body = [k for k in ("client_id", "client_secret") if form.get(k)]
    if basic_of(ex):
        return (
            "credentials in HTTP Basic and in the body (two mechanisms)"
            if in_body
            else "credentials in HTTP Basic alone"
        )
    missing = [k for k in TOKEN_PARAMS if not form.get(k)]
    if missing:
        return f"{', '.join(missing)} missing or empty"
    if form["grant_type"] != "client_credentials":
        return f"grant_type {form['grant_type']!r}"
    return None
