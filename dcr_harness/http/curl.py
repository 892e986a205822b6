"""Render an exchange's request as a runnable curl command with secrets as shell variables.

Every stretch of a known secret becomes a bash expansion of its variable (`"${VAR}"`,
`"${VAR:120}"`, or a command that re-encodes it), and the bytes between stay literal, so that
exported with the real values (the report's legend names them) the command sends exactly
the bytes the harness sent: a statement with bytes spliced into it, a truncated secret, a
secret split across fields.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .exchange import Exchange
    from .masking import Masker

# Headers that httpx adds on its own and curl sends by itself or does not need.
SKIPPED_HEADERS = {"host", "content-length", "accept-encoding", "connection"}
SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,/:=@%+")


def _quote_literal(text: str) -> str:
    """One shell word for text; bytes that are not UTF-8 (surrogate escapes) come back as \\xNN."""
    if not text:
        return ""
    if all(ch in SAFE for ch in text):
        return text
    if text.isprintable():
        return "'" + text.replace("'", "'\\''") + "'"
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch.isprintable() and ch not in "\\'":
            out.append(ch)
        else:  # the character's UTF-8 bytes, whatever the reader's locale
            out.append("".join(f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogatepass")))
    return "$'" + "".join(out) + "'"


def shell_word(text: str, masker: Masker) -> str:
    """One shell word for text, with every stretch of a known secret as an expansion of its variable."""
    parts = [p if not isinstance(p, str) else _quote_literal(p) for p in masker.pieces(text)]
    word = "".join(p if isinstance(p, str) else p.shell() for p in parts)
    return word or "''"


def _bytes_word(body: bytes, masker: Masker) -> str:
    return shell_word(body.decode("utf-8", errors="surrogateescape"), masker)


def _basic_user(value: str) -> str | None:
    """user:password of an `Authorization: Basic` value, when curl's -u rebuilds it byte for byte."""
    scheme, _, credentials = value.partition(" ")
    if scheme != "Basic" or not credentials:
        return None
    try:
        raw = base64.b64decode(credentials, validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if ":" not in text or base64.b64encode(raw).decode() != credentials:
        return None
    return text


def to_curl(exchange: Exchange, masker: Masker) -> str:
    words = ["curl", "-sS", "-i", "-X", exchange.method, shell_word(exchange.url, masker)]
    for name, value in exchange.request_headers:
        if name.lower() in SKIPPED_HEADERS:
            continue
        user = _basic_user(value) if name.lower() == "authorization" else None
        if user is not None:
            words += ["-u", shell_word(user, masker)]  # the secret inside the base64 stays a variable
        else:
            words += ["-H", shell_word(f"{name}: {value}", masker)]
    if exchange.request_body:
        words += ["--data-binary", _bytes_word(exchange.request_body, masker)]
    return " ".join(words)
