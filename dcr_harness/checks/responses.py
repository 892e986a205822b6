"""Judging single responses: every property of an answer, each broken one on the requirement it breaks.

Attribution follows what was observed, not what the check is about:
- no answer or a 5xx breaks only the endpoint's closing requirement (REG-ERR-5, TOK-ERR-5);
- a request that must be served and is served with the wrong 2xx status breaks only the
  success requirement (REG-OK-1, TOK-OK-1); the requirements that say "serve this"
  (`because`) held;
- a request that must be served and is refused breaks those `because` requirements (or the
  success requirement when the check is the plain happy path);
- a request that must be refused and is served breaks the request rules it defies;
- a refusal with another status than 400 breaks the closing requirement, a wrong code the
  error requirements of the case; the media type and body are judged either way.
A 429 that survives pacing and one retry is no verdict at all: the check is blocked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..contract import schemas
from ..errors import CheckBlocked
from ..http.exchange import Exchange
from . import controls
from .base import BreachKind, Reqs, breach, fail, held, not_verified, warn

CLOSING = {"register": "REG-ERR-5", "token": "TOK-ERR-5"}
SUCCESS = {
    "register": ("REG-OK-1", "REG-OK-2", "register-response"),
    "token": ("TOK-OK-1", "TOK-OK-2", "token-response"),
}
ERROR_SCHEMAS = {"register": "register-error", "token": "token-error"}
THROTTLED = 429
# Requirements that say "never a 5xx" themselves, besides the endpoint's closing one.
FORBID_5XX = ("DEV-3",)


def answer(ex: Exchange) -> str:
    """What came, in a few words: '400 invalid_request', '201', 'no answer (ReadTimeout)'."""
    if ex.error is not None:
        return f"no answer ({ex.error})"
    body = ex.json()
    code = body.get("error") if isinstance(body, dict) else None
    return f"{ex.status} {code}" if isinstance(code, str) else str(ex.status)


# The requirement that prescribes each error code (REG-ERR-1..4, TOK-ERR-1..4).
CODE_REQUIREMENT = {
    "register": {
        "invalid_request": "REG-ERR-1",
        "invalid_redirect_uri": "REG-ERR-2",
        "invalid_software_statement": "REG-ERR-3",
        "unapproved_software_statement": "REG-ERR-4",
    },
    "token": {
        "invalid_request": "TOK-ERR-1",
        "invalid_client": "TOK-ERR-2",
        "unauthorized_client": "TOK-ERR-3",
        "unsupported_grant_type": "TOK-ERR-4",
    },
}


def error_requirements(reqs: Reqs, endpoint: str | None = None, permitted: Iterable[str] = ()) -> Reqs:
    """The requirements of a case that prescribe the codes it permits (of its REG-ERR-n, TOK-ERR-n, those
    naming a permitted code), else its first one: a row without an error requirement names first the rule
    that permits its answers (DEV-3, TOK-REQ-2)."""
    errors = tuple(r for r in reqs if "-ERR-" in r)
    prescribing = {CODE_REQUIREMENT.get(endpoint or "", {}).get(code) for code in permitted}
    return tuple(r for r in errors if r in prescribing) or errors or reqs[:1]


def served_breaks(reqs: Reqs, endpoint: str, permitted: Iterable[str]) -> Reqs:
    """The one rule a request that every reading says to refuse breaks by being served: the requirement of the
    most specific code permitted (REG-ERR-2 for a redirect URI, TOK-ERR-2 for credentials), else the request rule
    it defies (REG-REQ-1, ...), else its first requirement."""
    specific = {CODE_REQUIREMENT.get(endpoint, {}).get(code) for code in permitted if code != "invalid_request"}
    return (tuple(r for r in reqs if r in specific) or tuple(r for r in reqs if "-ERR-" not in r) or reqs)[:1]


def request_requirements(reqs: Reqs, errors: Reqs = ()) -> Reqs:
    """The request rules a case defies (REG-REQ-n, DEV-n, ...), else its error requirements."""
    return tuple(r for r in reqs if "-ERR-" not in r) or errors or reqs


def _blocked_if_throttled(ex: Exchange, reqs: Iterable[str]) -> None:
    __tracebackhide__ = True
    if ex.status == THROTTLED:
        why = ex.note or "after pacing and one retry"
        not_verified(reqs, f"blocked: answered 429 ({why})", blocked=True)
        raise CheckBlocked(f"answered 429 ({why}): no verdict ({ex.describe()})", ex)


def server_error(ex: Exchange) -> str | None:
    """What is wrong when there was no HTTP answer or a 5xx; None otherwise."""
    if ex.error is not None:
        return (
            f"no HTTP answer: {ex.error}"
            if ex.status is None
            else f"no HTTP answer: {ex.status} cut short ({ex.error})"
        )
    if ex.status is not None and ex.status >= 500:
        return f"server error {ex.status} for client input"
    return None


def no_server_error(ex: Exchange, reqs: Reqs) -> bool:
    """Never a 5xx, never a dropped connection, for any client input; records a breach otherwise."""
    __tracebackhide__ = True
    problem = server_error(ex)
    if problem is not None:
        breach(reqs, problem, ex, BreachKind.SERVER_CRASH)
    return problem is None


def _stop_on_server_error(ex: Exchange, reqs: Reqs, blocked: Iterable[str]) -> None:
    __tracebackhide__ = True
    problem = server_error(ex)
    if problem is not None:
        not_verified(blocked, f"blocked: {answer(ex)}", blocked=True)
        fail(reqs, problem, ex, BreachKind.SERVER_CRASH)


def status_in(ex: Exchange, allowed: Iterable[int], reqs: Reqs) -> bool:
    __tracebackhide__ = True
    allowed = sorted(set(allowed))
    if ex.status in allowed:
        held(reqs, f"status {ex.status}")
        return True
    breach(reqs, f"expected status {' or '.join(map(str, allowed))}, got {ex.status}", ex)
    return False


def json_media_type(ex: Exchange, reqs: Reqs) -> Any:
    """Content-Type application/json and a body that parses as JSON; returns the body (None if it does not parse)."""
    __tracebackhide__ = True
    if ex.media_type == "application/json":
        held(reqs, "Content-Type application/json")
    else:
        breach(reqs, f"expected Content-Type application/json, got {ex.header('content-type')!r}", ex)
    body = ex.json()
    if body is None and ex.response_body.strip() != b"null":
        breach(reqs, "the body does not parse as JSON", ex)
    return body


def matches_schema(ex: Exchange, body: Any, schema_name: str, reqs: Reqs) -> bool:
    __tracebackhide__ = True
    problems = schemas.validate(schema_name, body)
    if problems:
        breach(
            reqs, f"body does not match schemas/{schema_name.split('#')[0]}.schema.json: " + "; ".join(problems[:4]), ex
        )
        return False
    held(reqs, f"body matches {schema_name}")
    return True


def error_code_in(ex: Exchange, body: Any, permitted: Iterable[str], reqs: Reqs) -> str | None:
    __tracebackhide__ = True
    permitted = sorted(set(permitted))
    code = body.get("error") if isinstance(body, dict) else None
    if code in permitted:
        held(reqs, f"error {code}")
        return code
    breach(reqs, f"expected error {' or '.join(permitted)}, got {code!r}", ex)
    return None


def oauth_error(ex: Exchange, endpoint: str, permitted: Iterable[str], reqs: Reqs, breaks: Reqs = ()) -> str | None:
    """A contract error answer: 400, JSON, {"error": CODE} with CODE among those permitted.

    breaks: the requirements a wrong answer breaks, where the case knows better than the codes it permits
    (a request that is not well-formed breaks the malformed-request rule alone, REG-ERR-1 or TOK-ERR-1)."""
    __tracebackhide__ = True
    closing = CLOSING[endpoint]
    case = tuple(r for r in reqs if r != closing)
    permitted = sorted(set(permitted))
    _stop_on_server_error(ex, (closing, *(r for r in case if r in FORBID_5XX)), case)
    _blocked_if_throttled(ex, case)
    assert ex.status is not None
    errors = breaks or error_requirements(case, endpoint, permitted) or (closing,)
    if ex.status < 400:
        fail(
            served_breaks(case, endpoint, permitted),
            f"expected a 400 error ({' or '.join(permitted)}), but the request was answered {answer(ex)}",
            ex,
        )
    held(request_requirements(case, errors), f"refused ({ex.status})")
    if ex.status == 400:
        held((closing,), "status 400")
    else:
        breach((closing,), f"expected status 400, got {answer(ex)}", ex)
    body = json_media_type(ex, errors)
    if not isinstance(body, dict):
        fail(errors, f'expected an error object {{"error": ...}}, got {ex.response_body[:120]!r}', ex)
    matches_schema(ex, body, ERROR_SCHEMAS[endpoint], (closing,))
    return error_code_in(ex, body, permitted, errors)


def _success(ex: Exchange, endpoint: str, because: Reqs, baseline: bool = False) -> dict[str, Any]:
    __tracebackhide__ = True
    ok, shape, schema_name = SUCCESS[endpoint]
    closing = CLOSING[endpoint]
    _stop_on_server_error(ex, (closing, *(r for r in because if r in FORBID_5XX)), (ok, shape, *because))
    _blocked_if_throttled(ex, (ok, shape, *because))
    assert ex.status is not None
    if not 200 <= ex.status < 300:
        if baseline:
            not_verified((shape,), f"blocked: the request was refused ({answer(ex)})", blocked=True)
            fail((ok, *because), f"the valid request was refused: {answer(ex)}", ex)
        # A variant (a header left out, an optional member) is to blame only when the baseline is served.
        controls.baseline_refused(endpoint, (ok, shape, *because))
        not_verified((ok, shape), f"blocked: the request was refused ({answer(ex)})", blocked=True)
        if because:
            fail(because, f"a request the contract says must be served was refused: {answer(ex)}", ex)
        fail((ok,), f"expected status 201, got {answer(ex)}", ex)
    held(because, f"served ({ex.status})")
    held((closing,), f"no error for valid input ({ex.status})")
    if ex.status == 201:
        held((ok,), "status 201")
    else:
        breach((ok,), f"expected status 201, got {ex.status}", ex)
    if ex.media_type == "application/json":
        held((ok,), "Content-Type application/json")
    else:
        breach((ok,), f"expected Content-Type application/json, got {ex.header('content-type')!r}", ex)
    body = ex.json()
    if not isinstance(body, dict):
        fail((shape,), f"expected a JSON object with the documented members, got {ex.response_body[:120]!r}", ex)
    matches_schema(ex, body, schema_name, (shape,))
    return body


def register_success(ex: Exchange, because: Reqs = (), *, baseline: bool = False) -> dict[str, Any]:
    """201 with the documented body (REG-OK-1, REG-OK-2); `because`: the requirements that say it must be served;
    `baseline`: this is the plain valid request, whose refusal breaks REG-OK-1 itself (not a variant's rule)."""
    __tracebackhide__ = True
    return _success(ex, "register", because, baseline)


def token_success(ex: Exchange, because: Reqs = (), *, baseline: bool = False) -> dict[str, Any]:
    """201 with the documented body (TOK-OK-1, TOK-OK-2); `because` and `baseline` as for register_success."""
    __tracebackhide__ = True
    return _success(ex, "token", because, baseline)


def cache_headers(ex: Exchange) -> None:
    """TOK-OK-4 (SHOULD): RFC 6749 5.1 wants no-store and no-cache on token responses."""
    __tracebackhide__ = True
    cache_control = (ex.header("cache-control") or "").lower()
    pragma = (ex.header("pragma") or "").lower()
    if "no-store" in cache_control:
        held(("TOK-OK-4",), "Cache-Control: no-store")
    else:
        warn("TOK-OK-4", f"token response lacks Cache-Control: no-store (got {ex.header('cache-control')!r})")
    if "no-cache" in pragma:
        held(("TOK-OK-4",), "Pragma: no-cache")
    else:
        warn("TOK-OK-4", f"token response lacks Pragma: no-cache (got {ex.header('pragma')!r})")


def api_accepted(ex: Exchange) -> None:
    """API-1: a valid bearer token is not answered 401 (nor with an error of the server)."""
    __tracebackhide__ = True
    _blocked_if_throttled(ex, ("API-1",))
    _stop_on_server_error(ex, ("API-1",), ())
    if ex.status == 401:
        fail(("API-1",), "the protected API refused a valid, unexpired token with 401", ex)
    held(("API-1",), f"a valid token was not refused ({ex.status})")


def api_rejected(ex: Exchange, reqs: Reqs = ("API-2",)) -> None:
    """API-2: 401 for a missing, malformed, unknown, expired or revoked token; API-3: its body."""
    __tracebackhide__ = True
    status_reqs = tuple(r for r in reqs if r != "API-3") or ("API-2",)  # API-3 is the body's, judged below
    _blocked_if_throttled(ex, reqs)
    _stop_on_server_error(ex, status_reqs, ("API-3",))
    assert ex.status is not None
    if ex.status == 401:
        held(status_reqs, "401")
    elif ex.status < 400:
        not_verified(("API-3",), f"blocked: the request was served ({ex.status}): no error body to judge", blocked=True)
        fail(status_reqs, f"expected 401, but the request was served ({ex.status})", ex)
    else:
        breach(status_reqs, f"expected 401, got {ex.status}", ex)
    api_error_body(ex)


def token_stopped_working(ex: Exchange, expires_in: object) -> None:
    """API-4: after expires_in the token no longer opens the API (any refusal; API-2 judges that it is a 401)."""
    __tracebackhide__ = True
    if ex.status is not None and 400 <= ex.status < 500 and ex.status != THROTTLED:
        held(("API-4",), f"the token stopped working after expires_in ({expires_in} s)")
    elif ex.status != THROTTLED:
        breach(("API-4",), f"the token still works after expires_in ({expires_in} s): {answer(ex)}", ex)


def api_error_body(ex: Exchange) -> None:
    """API-3: a JSON error body follows the enhanced error code structure (a non-JSON body is a finding)."""
    __tracebackhide__ = True
    body = ex.json()
    if body is None:
        if ex.response_body.strip():
            warn("API-3", f"the {ex.status} body is not JSON ({ex.header('content-type')!r}): no enhanced error code")
        else:
            warn("API-3", f"the {ex.status} carries no body: no enhanced error code")
        return
    if not matches_schema(ex, body, "api-error", ("API-3",)) or not isinstance(body, dict):
        return
    if body.get("status") == ex.status:
        held(("API-3",), "body status equals the HTTP status")
    else:
        breach(("API-3",), f"body status {body.get('status')!r} differs from the HTTP status {ex.status}", ex)
    if body.get("action") != "application-registration":
        breach(("API-3",), f"a token problem must have action application-registration, got {body.get('action')!r}", ex)
    else:
        matches_schema(ex, body, "api-error#/$defs/token-problem", ("API-3",))
