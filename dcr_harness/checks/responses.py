"""Checks on single responses: status, media type, schema, error code."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import schemas
from ..http.exchange import Exchange
from .base import fail, warn

Reqs = tuple[str, ...]

ERROR_SCHEMAS = {"register": ("register-error", "REG-ERR-5"), "token": ("token-error", "TOK-ERR-5")}


def no_server_error(ex: Exchange, reqs: Reqs) -> None:
    """Never a 5xx, never a dropped connection, for any client input (REG-ERR-5, TOK-ERR-5)."""
    __tracebackhide__ = True
    if ex.error is not None:
        fail(reqs, f"no HTTP answer: {ex.error}", ex)
    if ex.status is not None and ex.status >= 500:
        fail(reqs, f"server error {ex.status} for client input", ex)


def status_in(ex: Exchange, allowed: Iterable[int], reqs: Reqs) -> None:
    __tracebackhide__ = True
    allowed = sorted(set(allowed))
    if ex.status not in allowed:
        fail(reqs, f"expected status {' or '.join(map(str, allowed))}, got {ex.status}", ex)


def json_media_type(ex: Exchange, reqs: Reqs) -> Any:
    """Content-Type application/json and a body that parses as JSON; returns the body."""
    __tracebackhide__ = True
    if ex.media_type != "application/json":
        fail(reqs, f"expected Content-Type application/json, got {ex.header('content-type')!r}", ex)
    body = ex.json()
    if body is None and ex.response_body.strip() != b"null":
        fail(reqs, "Content-Type says JSON but the body does not parse as JSON", ex)
    return body


def matches_schema(ex: Exchange, body: Any, schema_name: str, reqs: Reqs) -> Any:
    __tracebackhide__ = True
    problems = schemas.validate(schema_name, body)
    if problems:
        fail(reqs, f"body does not match schemas/{schema_name}.schema.json: " + "; ".join(problems[:4]), ex)
    return body


def error_code_in(ex: Exchange, body: Any, permitted: Iterable[str], reqs: Reqs) -> str:
    __tracebackhide__ = True
    permitted = sorted(set(permitted))
    code = body.get("error") if isinstance(body, dict) else None
    if code not in permitted:
        fail(reqs, f"expected error {' or '.join(permitted)}, got {code!r}", ex)
    return code


def oauth_error(ex: Exchange, endpoint: str, permitted: Iterable[str], reqs: Reqs) -> str:
    """A contract error answer: 400, JSON, {"error": CODE} with CODE among those permitted."""
    __tracebackhide__ = True
    schema_name, closed_list = ERROR_SCHEMAS[endpoint]
    no_server_error(ex, reqs + (closed_list,))
    status_in(ex, {400}, reqs + (closed_list,))
    body = json_media_type(ex, reqs)
    matches_schema(ex, body, schema_name, (closed_list,))
    return error_code_in(ex, body, permitted, reqs)


def _success(ex: Exchange, ok: str, shape: str, schema_name: str, because: Reqs) -> dict[str, Any]:
    __tracebackhide__ = True
    no_server_error(ex, (ok, *because))
    status_in(ex, {201}, (ok, *because))
    body = json_media_type(ex, (ok, *because))
    return matches_schema(ex, body, schema_name, (shape,))


def register_success(ex: Exchange, because: Reqs = ()) -> dict[str, Any]:
    """201 with the documented body (REG-OK-1, REG-OK-2); `because`: the requirements that say it must be served."""
    __tracebackhide__ = True
    return _success(ex, "REG-OK-1", "REG-OK-2", "register-response", because)


def token_success(ex: Exchange, because: Reqs = ()) -> dict[str, Any]:
    """201 with the documented body (TOK-OK-1, TOK-OK-2); `because`: the requirements that say it must be served."""
    __tracebackhide__ = True
    return _success(ex, "TOK-OK-1", "TOK-OK-2", "token-response", because)


def cache_headers(ex: Exchange) -> None:
    """TOK-OK-4 (SHOULD): RFC 6749 5.1 wants no-store and no-cache on token responses."""
    __tracebackhide__ = True
    cache_control = (ex.header("cache-control") or "").lower()
    if "no-store" not in cache_control:
        warn("TOK-OK-4", f"token response lacks Cache-Control: no-store (got {ex.header('cache-control')!r})")
    if "no-cache" not in (ex.header("pragma") or "").lower():
        warn("TOK-OK-4", f"token response lacks Pragma: no-cache (got {ex.header('pragma')!r})")


def api_accepted(ex: Exchange) -> None:
    """API-1: a valid bearer token is not answered 401."""
    __tracebackhide__ = True
    no_server_error(ex, ("API-1",))
    if ex.status == 401:
        fail(("API-1",), "the protected API refused a valid, unexpired token with 401", ex)


def api_rejected(ex: Exchange, reqs: Reqs = ("API-2",)) -> None:
    """API-2: 401 for a missing, malformed, unknown, expired or revoked token; API-3: its body."""
    __tracebackhide__ = True
    no_server_error(ex, reqs)
    status_in(ex, {401}, reqs)
    body = ex.json()
    if body is None:
        if ex.response_body.strip():
            warn("API-3", f"the 401 body is not JSON ({ex.header('content-type')!r}): no enhanced error code")
        else:
            warn("API-3", "the 401 carries no body: no enhanced error code")
        return
    matches_schema(ex, body, "api-error", ("API-3",))
    if body.get("status") != ex.status:
        fail(("API-3",), f"body status {body.get('status')!r} differs from the HTTP status {ex.status}", ex)
    if body.get("action") != "application-registration":
        fail(("API-3",), f"a token problem must have action application-registration, got {body.get('action')!r}", ex)
    matches_schema(ex, body, "api-error#/$defs/token-problem", ("API-3",))
