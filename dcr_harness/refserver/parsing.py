"""Strict request-body parsing: whatever a client sends becomes a value or invalid_request.

Repeated parameters are errors (REG-ERR-1, TOK-ERR-1), so the JSON and form parsers
notice duplicates instead of letting the last one win.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import ClientDisconnect, Request

from .errors import invalid_request

_BAD_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")
V = TypeVar("V")
_MAX_FORM_FIELDS = 100  # far more than the three parameters; bounds the work on junk


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing (400) anything larger than `limit` without reading it all."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise invalid_request("request body too large")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise invalid_request("request body too large")
        chunks.append(chunk)
    return b"".join(chunks)


# What is left of a request body is read and dropped up to this size once the answer is decided: a
# server that closes with body bytes unread resets the connection, and a proxy in front (nginx) then
# loses the answer and sends its own 502. Beyond it the client is cut off: the work is bounded.
DRAIN_BYTES = 16 << 20


async def drain(request: Request, limit: int = DRAIN_BYTES) -> None:
    """Read and drop the rest of the body (nothing when the handler read it all or the client left)."""
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return
    except (RuntimeError, ClientDisconnect):  # RuntimeError: the stream was already read to its end
        return


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def decode_json(body: bytes, *, last_wins: bool = False, lenient: bool = False) -> Any:
    """Parse UTF-8 JSON (RFC 8259: no BOM, no NaN), rejecting repeated member names.

    lenient (choice invalid-utf8=replace): invalid UTF-8 becomes U+FFFD instead of a malformed request.
    """
    try:
        text = body.decode("utf-8", "replace" if lenient else "strict")
        return json.loads(
            text,
            object_pairs_hook=lambda pairs: single_valued(pairs, last_wins=last_wins, noun="member"),
            parse_constant=_no_constants,
        )
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise invalid_request(f"body is not JSON: {type(exc).__name__}") from None


def parse_form(raw: bytes, *, lenient: bool = False) -> list[tuple[str, str]]:
    """application/x-www-form-urlencoded pairs; bad percent escapes or UTF-8 are malformed.

    lenient (choice invalid-utf8=replace): invalid UTF-8, raw or percent-encoded, becomes U+FFFD.
    """
    if _BAD_PERCENT.search(raw):
        raise invalid_request("malformed percent-encoding")
    errors = "replace" if lenient else "strict"
    try:
        text = raw.decode("utf-8", errors)
        return parse_qsl(text, keep_blank_values=True, errors=errors, max_num_fields=_MAX_FORM_FIELDS)
    except ValueError as exc:
        raise invalid_request(f"malformed form body: {type(exc).__name__}") from None


def single_valued(pairs: list[tuple[str, V]], *, last_wins: bool = False, noun: str = "parameter") -> dict[str, V]:
    """The pairs (form fields or JSON members) as a dict; a repeated name is invalid_request
    unless a fault says the last one wins."""
    params: dict[str, V] = {}
    for name, value in pairs:
        if name in params and not last_wins:
            raise invalid_request(f"{noun} {name!r} is repeated")
        params[name] = value
    return params


def basic_credentials(values: list[str]) -> tuple[str, str] | None:
    """HTTP Basic client credentials (RFC 6749 2.3.1), None when no Basic header is sent."""
    basic = [v for v in values if v.strip()[:6].lower() == "basic "]
    if not basic:
        return None
    if len(values) > 1:
        raise invalid_request("more than one Authorization header")
    try:
        decoded = base64.b64decode(basic[0].strip()[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise invalid_request("malformed HTTP Basic credentials") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise invalid_request("malformed HTTP Basic credentials")
    return unquote_plus(client_id), unquote_plus(secret)
