"""Reading the client's requests: which endpoint, which device, which credentials and token."""

from __future__ import annotations

import base64
import binascii
import json
import re
from urllib.parse import parse_qsl, unquote_plus

from ..http.exchange import Exchange
from ..refserver import protected
from ..refserver.app import REGISTER_PATH, TOKEN_PATH

API_PREFIX = protected.PATH.split("{", 1)[0]
_BEARER = re.compile(r"^\s*Bearer\s+(\S+)\s*$", re.IGNORECASE)


def endpoint_of(path: str) -> str | None:
    """register, token, api, or None for a path that is not the contract's."""
    if path == REGISTER_PATH:
        return "register"
    if path == TOKEN_PATH:
        return "token"
    return "api" if path.startswith(API_PREFIX) else None


def form_pairs(body: bytes) -> list[tuple[str, str]]:
    """Every form parameter of a body in order, repeats included; [] when it is not a form."""
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        return []


def form_of(body: bytes) -> dict[str, str]:
    """The form parameters of a body (first value of each), {} when it is not a form."""
    return dict(reversed(form_pairs(body)))


def query_of(ex: Exchange) -> list[tuple[str, str]]:
    """The URL's query parameters, in order."""
    return form_pairs(ex.url.split("?", 1)[1].encode()) if "?" in ex.url else []


def throttle_device(ex: Exchange) -> str:
    """The device the throttle counts (THR-1): the first X-Forwarded-For address, else the connection."""
    forwarded = (ex.request_header("x-forwarded-for") or "").split(",", 1)[0].strip()
    return forwarded or ex.device or "unknown"


def path_of(ex: Exchange) -> str:
    """The path of an exchange's URL (no query)."""
    rest = ex.url.split("://", 1)[-1]
    return "/" + rest.split("/", 1)[1].split("?", 1)[0] if "/" in rest else "/"


def kind(ex: Exchange) -> str | None:
    return endpoint_of(path_of(ex))


def statement_of(ex: Exchange) -> str:
    doc = request_json(ex)
    value = doc.get("software_statement") if isinstance(doc, dict) else None
    return value if isinstance(value, str) else ""


def client_id_of(ex: Exchange) -> str | None:
    """The client_id of a token request: in the body, else in HTTP Basic."""
    found = form_of(ex.request_body).get("client_id")
    if found:
        return found
    basic = basic_of(ex)
    if basic:
        try:
            # RFC 6749 2.3.1: the id is form-encoded before it is joined to the secret
            return unquote_plus(base64.b64decode(basic).decode("utf-8").split(":", 1)[0]) or None
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
    return None


def bearer_of(ex: Exchange) -> str | None:
    match = _BEARER.match(ex.request_header("authorization") or "")
    return match.group(1) if match else None


def request_json(ex: Exchange) -> object:
    """The request body as JSON, or None when it is not JSON."""
    try:
        return json.loads(ex.request_body)
    except (ValueError, UnicodeDecodeError):
        return None


def basic_of(ex: Exchange) -> str | None:
    """The HTTP Basic credentials as sent (base64 of id:secret), None without them."""
    auth = (ex.request_header("authorization") or "").strip()
    return (auth[6:].strip() or None) if auth.lower().startswith("basic ") else None
