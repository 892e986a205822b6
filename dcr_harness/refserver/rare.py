"""Where the rare-input faults bite: each turns one unusual value of one input into a 500.

Every function here does nothing unless its fault is on; the endpoints call them at the
point where a careless server would trip over the value. The acceptance faults
(rare-accept-*) live in the code they bend (register._members, tokens._parameters).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.requests import Request

from .config import ServerConfig
from .errors import InjectedFailure
from .faults import CONTROL_CHARS

BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
MAX_DEPTH = 64  # rare-500-deep-json
INT64 = 2**63  # rare-500-claim-out-of-range: magnitudes from here on overflow a signed 64-bit integer
_BEARER_ALONE = re.compile(r"(?i)\s*bearer\s*")


def _fail_if(condition: bool) -> None:
    if condition:
        raise InjectedFailure()


def _not_an_address(entry: str) -> bool:
    try:
        ipaddress.ip_address(entry)
    except ValueError:
        return True
    return False


def headers(request: Request, cfg: ServerConfig, endpoint: str) -> None:
    """Header faults of the register and token endpoints."""
    if cfg.fault("rare-500-xff-not-address"):
        first = request.headers.get(cfg.device_header, "").split(",", 1)[0].strip()
        _fail_if(bool(first) and _not_an_address(first))
    if cfg.fault("rare-500-non-ascii-user-agent"):
        _fail_if(any(not v.isascii() for v in request.headers.getlist("user-agent")))
    if endpoint == "register" and cfg.fault("rare-500-content-type-param"):
        params = [p.strip() for v in request.headers.getlist("content-type") for p in v.split(";")[1:]]
        _fail_if(any(p and (p.endswith("=") or "=" not in p) for p in params))
    if endpoint == "token" and cfg.fault("rare-500-accept-bad-q"):
        weights = [
            p.split("=", 1)[1].strip()
            for v in request.headers.getlist("accept")
            for part in v.split(",")
            for p in part.split(";")[1:]
            if p.strip().lower().startswith("q=")
        ]
        _fail_if(any(not _is_number(w) for w in weights))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def json_depth(body: bytes) -> int:
    """How deep arrays and objects nest in a JSON text (strings skipped; need not be valid JSON)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
    return deepest


def register_body(body: bytes, cfg: ServerConfig) -> None:
    if cfg.fault("rare-500-deep-json"):
        _fail_if(json_depth(body) > MAX_DEPTH)


def redirect_uri(value: str | None, cfg: ServerConfig) -> None:
    if cfg.fault("rare-500-redirect-bad-percent"):
        _fail_if(value is not None and bool(BAD_PERCENT.search(value)))


def _segment(statement: str, index: int) -> Any:
    try:
        raw = statement.split(".")[index]
        return json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (IndexError, ValueError, binascii.Error, RecursionError):
        return None


def _huge(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) >= INT64
    if isinstance(value, float):
        return value in (float("inf"), float("-inf"))
    return False


def statement(value: str, cfg: ServerConfig) -> None:
    """Statement faults: read the unverified header and claims, as a careless server would before verifying."""
    if cfg.fault("rare-500-alg-not-string"):
        header = _segment(value, 0)
        _fail_if(isinstance(header, dict) and "alg" in header and not isinstance(header["alg"], str))
    if cfg.fault("rare-500-claim-out-of-range"):
        claims = _segment(value, 1)
        _fail_if(isinstance(claims, dict) and any(_huge(v) for v in claims.values()))


def form_body(raw: bytes, cfg: ServerConfig) -> None:
    if not cfg.fault("rare-500-form-invalid-utf8"):
        return
    try:
        text = raw.decode("utf-8")
        for pair in text.split("&"):
            for part in pair.split("="):
                unquote_to_bytes(part.replace("+", " ")).decode("utf-8")
    except UnicodeDecodeError:
        raise InjectedFailure() from None


def bearer(values: list[str], cfg: ServerConfig) -> None:
    if cfg.fault("rare-500-empty-bearer"):
        _fail_if(any(_BEARER_ALONE.fullmatch(v) for v in values))


def device_keys(info: Any) -> bool:
    """rare-500-device-key-control: whether decoded device info has a key with a control character."""
    return isinstance(info, dict) and any(CONTROL_CHARS.search(k) for k in info)
