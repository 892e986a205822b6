"""Judge Locust responses with the conformance checks (dcr_harness.checks).

A response becomes an Exchange, the same object the checks read, so a load run holds a
server to exactly the rules the conformance suite does. A verdict is None (conformant) or
(requirement, message); transport failures are errors, not contract violations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import checks
from ..http.exchange import Exchange

Verdict = tuple[str, str] | None
# The "requirement" of a throttle answer that differs from the model's prediction: scored
# in throttle precision and recall, not counted as a contract violation.
MODEL_MISMATCH = "THR-6 (model)"


def exchange_of(response: Any, method: str, url: str, headers: dict[str, str], body: bytes) -> Exchange:
    """An Exchange from a Locust response (FastHttpUser or HttpUser)."""
    status = response.status_code or None
    return Exchange(
        method=method,
        url=url,
        request_headers=list(headers.items()),
        request_body=body,
        status=status,
        response_headers=[(str(k), str(v)) for k, v in (response.headers or {}).items()],
        response_body=response.content or b"",
        elapsed=0.0,
        error=None if status else str(getattr(response, "error", None) or "no response"),
    )


def judged(check: Callable[[Exchange], Any], ex: Exchange) -> Verdict:
    try:
        check(ex)
    except checks.CheckFailed as failed:
        return failed.requirements[0], failed.detail
    return None


def token_rejected(ex: Exchange) -> None:
    """A token request with unknown credentials: 400 invalid_client (TOK-ERR-2)."""
    checks.oauth_error(ex, "token", {"invalid_client"}, ("TOK-ERR-2",))


JUDGES: dict[str, Callable[[Exchange], Any]] = {
    "register": checks.register_success,
    "token": checks.token_success,
    "api": checks.api_accepted,
    "token-probe": token_rejected,
}
