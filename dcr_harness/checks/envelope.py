"""What HTTP permits (the contract's section 0): requests a deployment may refuse before its API sees them.

A request is *over a limit* when its body, one of its header lines or its target is past what an
ordinary request of this API needs: a deployment may refuse it with 413, 414, 431, or 400 with any
body (RFC 9110 15.5.14, 15.5.15; RFC 6585 5; RFC 9112 3, 5). It is *not well-formed* when it repeats
a singleton header field (RFC 9110 5.3) or carries text invalid in its encoding (RFC 9110 5.5;
RFC 8259 8.1; the form encoding of the URL standard): a generic 400 in any media type is permitted, or
the contract's invalid_request, and a repeated singleton may be acted on with one of its values (the
case's data permits those answers). An answer in the contract's error shape is the service's and is
judged; any other refusal of such a request is set aside as "refused at the front door", with its
exchange: it neither passes nor fails the requirement the request was meant to provoke. A 5xx is
judged as ever (REG-ERR-5, TOK-ERR-5): something behind the front door broke.

Only these requests are set aside: an ordinary request answered in the wrong shape fails as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from ..http.exchange import Exchange

# Past these sizes a request is larger than anything this API needs, and a deployment may have set its limit
# below it (nginx: 8 KiB header lines, 1 MiB bodies; many gateways less). Declared limits replace them.
HEADER_LINE_FLOOR = 1024
BODY_FLOOR = 16 * 1024
TARGET_FLOOR = 2048
# Fields defined with one value (RFC 9110 5.3: a recipient may refuse a repeat or use one value). X-Device-Info
# is one Base64 value, so a repeat cannot be combined either.
SINGLETONS = ("content-type", "content-length", "authorization", "host", "user-agent", "x-device-info")
LIMIT_STATUSES = (413, 414, 431)
LIMIT, MALFORMED = "over a limit", "not well-formed"
_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class Limits:
    """The sizes past which a refusal may be the front door's: the target's declared limits, else the floors."""

    body: int = BODY_FLOOR
    header_line: int = HEADER_LINE_FLOOR
    target: int = TARGET_FLOOR
    declared: bool = False

    @classmethod
    def of(cls, front_door: Any) -> Limits:
        body, line = getattr(front_door, "max_body_bytes", None), getattr(front_door, "max_header_bytes", None)
        return cls(body or BODY_FLOOR, line or HEADER_LINE_FLOOR, TARGET_FLOOR, bool(body or line))


@dataclass(frozen=True)
class Envelope:
    """Why a request may be refused before the API: its kind (LIMIT or MALFORMED), what, and how large."""

    kind: str
    what: str  # "a 9,254-byte X-Device-Info line", "Authorization sent twice", "invalid UTF-8 in the body"
    dimension: str = ""  # for a limit: "body", "header line" or "target"
    size: int = 0
    repeated: str = ""  # for a repeated singleton field: its name

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "what": self.what,
            "dimension": self.dimension,
            "size": self.size,
            "repeated": self.repeated,
        }


def _raw(value: str) -> bytes:
    """A header value's bytes as sent (httpx decodes a header block that is not UTF-8 as Latin-1)."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _line_size(name: str, value: str) -> int:
    return len(name) + 2 + len(_raw(value))


def over_limit(ex: Exchange, limits: Limits = Limits()) -> Envelope | None:
    if len(ex.request_body) > limits.body:
        return Envelope(LIMIT, f"a {len(ex.request_body):,}-byte body", "body", len(ex.request_body))
    name, value = max(ex.request_headers, key=lambda h: _line_size(*h), default=("", ""))
    if name and _line_size(name, value) > limits.header_line:
        size = _line_size(name, value)
        return Envelope(LIMIT, f"a {size:,}-byte {name.title()} line", "header line", size)
    split = urlsplit(ex.url)
    target = len(split.path) + (len(split.query) + 1 if split.query else 0)
    if target > limits.target:
        return Envelope(LIMIT, f"a {target:,}-byte request target", "target", target)
    return None


def not_well_formed(ex: Exchange) -> Envelope | None:
    names = [name.lower() for name, _ in ex.request_headers]
    for single in SINGLETONS:
        if names.count(single) > 1:
            return Envelope(MALFORMED, f"{single.title()} sent {names.count(single)} times", repeated=single.title())
    for name, value in ex.request_headers:
        if not _utf8(_raw(value)):
            return Envelope(MALFORMED, f"invalid UTF-8 in {name.title()}")
    body = ex.request_body
    if not _utf8(body):
        return Envelope(MALFORMED, "invalid UTF-8 in the body")
    media = (ex.request_header("content-type") or "").split(";")[0].strip().lower()
    if media == "application/x-www-form-urlencoded" and body:
        if _ESCAPE.search(body):
            return Envelope(MALFORMED, "a broken percent-escape in the form body")
        if not all(_utf8(unquote_to_bytes(part.replace(b"+", b" "))) for part in re.split(rb"[&=]", body)):
            return Envelope(MALFORMED, "a percent-escape of invalid UTF-8 in the form body")
    return None


_limits = Limits()


def install(limits: Limits) -> None:
    """The run's limits from now on (the target's declared ones, or the floors)."""
    global _limits
    _limits = limits


def classify(ex: Exchange, limits: Limits | None = None) -> Envelope | None:
    """Over a limit, or not well-formed HTTP; None for an ordinary request (judged as the API's business only)."""
    return over_limit(ex, limits or _limits) or not_well_formed(ex)


def contract_shaped(ex: Exchange, endpoint: str) -> bool:
    """An answer in the contract's error shape: the service's own (register and token: {"error": CODE};
    the protected API: the enhanced error code structure)."""
    body = ex.json()
    if not isinstance(body, dict):
        return False
    if endpoint == "api":
        return isinstance(body.get("code"), str) and "action" in body
    return isinstance(body.get("error"), str)


def error_code(ex: Exchange) -> str | None:
    body = ex.json()
    code = body.get("error") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


def refused_before_the_api(ex: Exchange, env: Envelope, endpoint: str, permitted: frozenset[str]) -> str | None:
    """Who refused the request at its envelope, when the answer is such a refusal ("the front door", "the
    service"); None when the answer is to be judged as the API's (served, a 5xx, a contract answer that
    section 0 does not set aside)."""
    status = ex.status
    if ex.error is not None or status is None or status >= 500:
        return None
    if env.kind == LIMIT and status in LIMIT_STATUSES:
        return "the service" if contract_shaped(ex, endpoint) else "the front door"
    if status != 400:
        return None
    if not contract_shaped(ex, endpoint):
        return "the front door"
    # Over a limit, the service may say invalid_request where the request's content would get another code.
    if (
        env.kind == LIMIT
        and endpoint != "api"
        and error_code(ex) == "invalid_request"
        and "invalid_request" not in permitted
    ):
        return "the service"
    return None


def record(ex: Exchange, env: Envelope, case: str, endpoint: str, refused_by: str | None) -> dict[str, Any]:
    """What the deployment section of a report shows of one envelope request."""
    return {
        "case": case,
        "endpoint": endpoint,
        **env.to_dict(),
        "status": ex.status,
        "refused_by": refused_by,
        "media_type": ex.media_type,
        "server": ex.header("server"),
    }
