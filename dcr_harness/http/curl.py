"""Render an exchange's request as a runnable curl command with secrets as shell variables."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .exchange import Exchange
    from .masking import Masker

# Headers that httpx adds on its own and curl sends by itself or does not need.
SKIPPED_HEADERS = {"host", "content-length", "accept-encoding", "connection"}


def _quote_literal(text: str) -> str:
    if text.isprintable():
        return shlex.quote(text) if text else ""
    escaped = "".join(
        ch if ch.isprintable() and ch not in "\\'" else (f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}")
        for ch in text
    )
    return f"$'{escaped}'"


def shell_word(text: str, masker: "Masker") -> str:
    """One shell word for text, with every secret replaced by a double-quoted ${VAR}."""
    parts, pos = [], 0
    for start, end, name in masker.spans(text):
        if start < pos:
            continue
        parts.append(_quote_literal(text[pos:start]))
        parts.append('"${' + name + '}"')
        pos = end
    parts.append(_quote_literal(text[pos:]))
    word = "".join(p for p in parts if p)
    return word or "''"


def _bytes_word(body: bytes, masker: "Masker") -> str:
    try:
        return shell_word(body.decode("utf-8"), masker)
    except UnicodeDecodeError:
        return "$'" + "".join(f"\\x{b:02x}" for b in body) + "'"


def to_curl(exchange: "Exchange", masker: "Masker") -> str:
    words = ["curl", "-sS", "-i", "-X", exchange.method, shell_word(exchange.url, masker)]
    for name, value in exchange.request_headers:
        if name.lower() in SKIPPED_HEADERS:
            continue
        words += ["-H", shell_word(f"{name}: {value}", masker)]
    if exchange.request_body:
        words += ["--data-binary", _bytes_word(exchange.request_body, masker)]
    return " ".join(words)
