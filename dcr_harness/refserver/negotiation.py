"""Content-Type and Accept checks (REG-REQ-1, REG-REQ-3, TOK-REQ-1, TOK-REQ-3).

Accept follows ordinary content negotiation (RFC 9110 12.5.1): the most specific range
that matches application/json decides, and q=0 excludes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from starlette.requests import Request

from .errors import invalid_request

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
_QVALUE = re.compile(r"^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")


def media_type(value: str | None) -> str | None:
    """The bare type/subtype of a Content-Type value, lower-cased (parameters dropped)."""
    if value is None:
        return None
    return value.split(";", 1)[0].strip().lower() or None


def require_content_type(request: Request, expected: str) -> None:
    values = request.headers.getlist("content-type")
    if len(values) != 1 or media_type(values[0]) != expected:
        raise invalid_request(f"Content-Type must be {expected}")


def _ranges(header: str) -> Iterator[tuple[str, bool, float]]:
    """(media range, has parameters other than q, q) for each well-formed range."""
    for part in header.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if not media:
            continue
        q, other = 1.0, False
        for param in params:
            name, _, value = param.partition("=")
            name = name.strip().lower()
            if name == "q":
                value = value.strip()
                if not _QVALUE.match(value):
                    break  # a malformed weight: ignore the whole range
                q = float(value)
            elif name:
                other = True
        else:
            yield media.lower(), other, q


def accepts_json(header: str | None, *, allow_params: bool = True, refuse_conflicts: bool = False) -> bool:
    """Whether an Accept value admits application/json; absent or blank admits anything.

    Equally specific ranges with different weights (application/json;q=0, application/json):
    the highest weight wins, or the lowest with refuse_conflicts (choice accept-conflict=refuse).
    """
    pick = min if refuse_conflicts else max
    if header is None or not header.strip():
        return True
    best_rank, best_q = -1, 0.0
    for media, has_params, q in _ranges(header):
        if media == JSON:
            if has_params and not allow_params:
                continue  # tok-accept-json-params-only: the fault does not understand parameters
            rank = 3 if has_params else 2
        elif media == "application/*":
            rank = 1
        elif media == "*/*":
            rank = 0
        else:
            continue
        if rank > best_rank:
            best_rank, best_q = rank, q
        elif rank == best_rank:
            best_q = pick(best_q, q)
    return best_rank >= 0 and best_q > 0


def require_json_accept(request: Request, *, allow_params: bool = True, refuse_conflicts: bool = False) -> None:
    values = request.headers.getlist("accept")
    header = ",".join(values) if values else None
    if not accepts_json(header, allow_params=allow_params, refuse_conflicts=refuse_conflicts):
        raise invalid_request("Accept must admit application/json")
