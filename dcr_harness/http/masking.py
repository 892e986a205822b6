"""Masking of secrets in every artifact: statements, client secrets, access tokens, admin tokens.

Known values are replaced wherever they appear (raw, URL-encoded, JSON-escaped); anything
shaped like a JWT is masked even when the harness never saw it as a secret (a forged
statement is still a statement). A masked value reads as a shell variable, so that a curl
reproduction stays runnable once the reader exports the real values.
"""

from __future__ import annotations

import json
import os
import re
import threading
from urllib.parse import quote, quote_plus

# A JWT, and also what is left of one that a repr shortened with "..." (pytest and Hypothesis
# cut long values in the middle): segments joined by runs of one to three dots.
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}(?:\.{1,3}[A-Za-z0-9_-]*)*")
SECRET_MEMBERS = ("client_secret", "access_token", "refresh_token", "software_statement", "id_token")
KIND_VARIABLES = {
    "software_statement": "DCR_SOFTWARE_STATEMENT",
    "client_secret": "DCR_CLIENT_SECRET",
    "access_token": "DCR_ACCESS_TOKEN",
    "refresh_token": "DCR_REFRESH_TOKEN",
    "admin_token": "DCR_ADMIN_TOKEN",
    "id_token": "DCR_ID_TOKEN",
    "secret": "DCR_SECRET",
}
# Test-only aid (tests/test_no_secrets_in_artifacts.py): when set, every secret the masker
# learns is appended to this file, one a line, so that a test can search a run's artifacts
# for each of them. Never set it for a real run: the file holds the secrets in clear.
SECRET_LOG_ENV = "DCR_HARNESS_SECRET_LOG"
# Secrets shorter than this would mask ordinary words; a server issuing them is a finding anyway.
MIN_SECRET_LENGTH = 6


def _log_secret(value: str) -> None:
    path = os.environ.get(SECRET_LOG_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(value.replace("\n", " ") + "\n")


class Masker:
    """Remembers secrets by kind and replaces them with ${DCR_<KIND>[_n]} placeholders."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None
        self.learned: list[tuple[str, str]] = []  # (value, kind) in order: handed on by a concurrent run's workers

    def add(self, value: object, kind: str = "secret") -> None:
        if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            if value in self._names:
                return
            base = KIND_VARIABLES.get(kind, "DCR_SECRET")
            n = self._counts[base] = self._counts.get(base, 0) + 1
            name = base if n == 1 else f"{base}_{n}"
            for variant in {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}:
                self._names.setdefault(variant, name)
            self._pattern = None
            self.learned.append((value, kind))
        _log_secret(value)

    def add_from_json(self, body: object) -> None:
        """Learn the secrets a response or request body carries in well-known members."""
        if isinstance(body, dict):
            for key, value in body.items():
                if key in SECRET_MEMBERS:
                    self.add(value, key)
                else:
                    self.add_from_json(value)
        elif isinstance(body, list):
            for item in body:
                self.add_from_json(item)

    def variable_for(self, value: str) -> str | None:
        return self._names.get(value)

    def _compiled(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None and self._names:
                alternatives = sorted(self._names, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(a) for a in alternatives))
            return self._pattern

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, variable) of every secret in text, known values first, then JWT shapes."""
        found: list[tuple[int, int, str]] = []
        pattern = self._compiled()
        if pattern is not None:
            found = [(m.start(), m.end(), self._names[m.group()]) for m in pattern.finditer(text)]
        taken = [(s, e) for s, e, _ in found]
        for m in JWT_SHAPE.finditer(text):
            if not any(s < m.end() and m.start() < e for s, e in taken):
                found.append((m.start(), m.end(), "DCR_SOFTWARE_STATEMENT"))
        return sorted(found)

    def mask(self, text: str) -> str:
        out, pos = [], 0
        for start, end, name in self.spans(text):
            if start < pos:
                continue
            out.append(text[pos:start])
            out.append("${" + name + "}")
            pos = end
        out.append(text[pos:])
        return "".join(out)

    def mask_bytes(self, data: bytes) -> str:
        return self.mask(data.decode("utf-8", errors="backslashreplace"))
