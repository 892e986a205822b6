"""Masking of the secrets a run knows (statements, client secrets, access tokens, admin token).

Masking is by what the run knows, not by shapes of text: a base64 X-Device-Info value or a
forged statement that carries no secret part (alg none, re-signed with a harness key) is
shown as sent. Every known secret is registered once with its variable and origin (the
legend: `DCR_SOFTWARE_STATEMENT_2` = `statements.revoked`), together with the encodings a
fuzzer or a protocol puts it through (percent, form and JSON escaping, base64 and base64url
at each byte alignment, upper, lower and swapped case).

A text is cut into pieces: literal text, and references to a stretch of a secret's form,
found by exact alignment (an index of every K-character window of each sensitive part, looked
up every K characters, then extended both ways). So a splice, a truncation or a split leaves
each surviving stretch masked as `${VAR:offset:length}`, and the curl reproduction rebuilds
the exact bytes with bash parameter expansion. A stretch is masked once it covers MIN_RUN
characters of the sensitive part (a JWT's signature; the whole of anything else), so no
24-character window of a sensitive part is ever left in clear.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus

from ..contract.secret_values import KIND_VARIABLES, Secret, sensitive_span

SECRET_MEMBERS = ("client_secret", "access_token", "refresh_token", "software_statement", "id_token")
# Test-only aid (tests/e2e/test_no_secrets_in_artifacts.py, tests/e2e/test_curl_replay.py): when set,
# every secret the masker learns is appended to this file as VARIABLE=value, so that a test
# can search a run's artifacts for it and export it. Never set it for a real run.
SECRET_LOG_ENV = "DCR_HARNESS_SECRET_LOG"
# Secrets shorter than this would mask ordinary words; a server issuing them is a finding anyway.
MIN_SECRET_LENGTH = 6
K = 6  # window length of the index; any stretch of 2K-1 characters is found
MIN_RUN = 12  # characters of a sensitive part that a stretch must cover to be masked (>= 2K-1)


@dataclass(frozen=True)
class Form:
    """One encoding of a secret: its text, the span of the sensitive part in it, how bash rebuilds it."""

    secret: Secret
    variable: str
    name: str  # "" for the value itself
    value: str
    sensitive: tuple[int, int]
    producer: str = ""  # shell command printing this form of "${VAR}" ({var} stands for the variable)
    first: int = 1  # where this form starts in the producer's output (1-based, for cut -c)

    def shell(self, start: int, end: int) -> str:
        """A double-quoted shell word that expands to value[start:end]."""
        if not self.name:
            return '"${' + self._stretch(start, end) + '}"'
        command = self.producer.format(var="${" + self.variable + "}")
        a = self.first + start
        return f'"$({command} | cut -c {a}-{a + end - start - 1})"'

    def text(self, start: int, end: int) -> str:
        """How artifacts show value[start:end]: the variable, its form, the stretch (bash offset:length)."""
        return "${" + self._stretch(start, end) + (f" {self.name}" if self.name else "") + "}"

    def _stretch(self, start: int, end: int) -> str:
        if start == 0 and end == len(self.value):
            return self.variable
        return self.variable + f":{start}" + ("" if end == len(self.value) else f":{end - start}")


@dataclass(frozen=True)
class Ref:
    """A stretch [start, end) of a secret's form."""

    form: Form
    start: int
    end: int

    def text(self) -> str:
        return self.form.text(self.start, self.end)

    def shell(self) -> str:
        return self.form.shell(self.start, self.end)


Piece = str | Ref


def _b64_forms(secret: Secret, variable: str, value: str, sens: tuple[int, int]) -> list[Form]:
    """base64 and base64url of the value at each byte alignment inside a longer encoded text."""
    raw = value.encode("utf-8", "surrogatepass")
    a = len(value[: sens[0]].encode("utf-8", "surrogatepass"))
    b = len(value[: sens[1]].encode("utf-8", "surrogatepass"))
    forms = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode().rstrip("=")
        j0, j1 = -(-8 * shift // 6), 8 * (shift + len(raw)) // 6  # characters set by the value's bits only
        s0, s1 = -(-8 * (shift + a) // 6) - j0, 8 * (shift + b) // 6 - j0
        if j1 - j0 < 2 * K or s1 <= s0:
            continue
        feed = 'printf %s "{var}"' if not shift else "{{ printf '" + "\\0" * shift + '\'; printf %s "{var}"; }}'
        for name, text, tr in (
            ("base64", encoded[j0:j1], ""),
            ("base64url", encoded[j0:j1].translate(str.maketrans("+/", "-_")), " | tr '+/' '-_'"),
        ):
            label = f"{name}-encoded" + (f" after {shift} byte(s)" if shift else "")
            forms.append(Form(secret, variable, label, text, (s0, s1), f"{feed} | base64 -w0{tr}", j0 + 1))
    return forms


PYTHON_FILTERS: dict[str, tuple[str, Callable[[str], str]]] = {
    "percent-encoded": ("quote(s, safe='')", lambda v: quote(v, safe="")),
    "form-encoded": ("quote_plus(s)", quote_plus),
    "json-escaped": ("json.dumps(s)[1:-1]", lambda v: json.dumps(v)[1:-1]),
}
CASES = {"upper-cased": (str.upper, "A-Z"), "lower-cased": (str.lower, "a-z"), "case-swapped": (str.swapcase, "A-Za-z")}
CASE_FROM = {"A-Z": "a-z", "a-z": "A-Z", "A-Za-z": "a-zA-Z"}


def forms_of(secret: Secret, variable: str) -> list[Form]:
    """The value and every encoding of it that differs from it, each with its sensitive span."""
    value = str(secret)
    s0, s1 = sens = sensitive_span(value, secret.kind)
    forms = [Form(secret, variable, "", value, sens)]
    for name, (change, to) in CASES.items():
        if len(change(value)) == len(value):
            forms.append(
                Form(secret, variable, name, change(value), sens, f'printf %s "{{var}}" | tr {CASE_FROM[to]} {to}')
            )
    forms.append(
        Form(secret, variable, "reversed", value[::-1], (len(value) - s1, len(value) - s0), 'printf %s "{var}" | rev')
    )
    for name, (expr, encode) in PYTHON_FILTERS.items():
        script = f"import sys, json; from urllib.parse import quote, quote_plus; s = sys.stdin.read(); sys.stdout.write({expr})"
        forms.append(
            Form(
                secret,
                variable,
                name,
                encode(value),
                (len(encode(value[:s0])), len(encode(value[:s1]))),
                f'printf %s "{{var}}" | python3 -c "{script}"',
            )
        )
    forms += _b64_forms(secret, variable, value, sens)
    unique: dict[str, Form] = {}
    for form in forms:
        if form.sensitive[1] > form.sensitive[0]:
            unique.setdefault(form.value, form)
    return list(unique.values())


def _forward(a: str, i: int, b: str, j: int) -> int:
    """How many characters a[i:] and b[j:] have in common at their start."""
    n, step = 0, 64
    while True:
        x, y = a[i + n : i + n + step], b[j + n : j + n + step]
        if x == y and len(x) == step:
            n += step
            continue
        t = 0
        for cx, cy in zip(x, y, strict=False):  # the common prefix
            if cx != cy:
                break
            t += 1
        return n + t


def _backward(a: str, i: int, b: str, j: int, floor: int) -> int:
    """How many characters a[:i] and b[:j] have in common at their end (not reaching below floor in a)."""
    n = 0
    while i - n - 1 >= floor and j - n - 1 >= 0 and a[i - n - 1] == b[j - n - 1]:
        n += 1
    return n


def _log_secret(variable: str, value: str) -> None:
    path = os.environ.get(SECRET_LOG_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{variable}={value}".replace("\n", " ") + "\n")


class Masker:
    """The run's known secrets, and the masking of any text by them."""

    def __init__(self) -> None:
        self._secrets: dict[str, Secret] = {}
        self._variables: dict[str, str] = {}  # value -> variable
        self._legend: dict[str, str] = {}  # variable -> origin
        self._counts: dict[str, int] = {}
        self._forms: list[Form] = []
        self._index: dict[str, list[tuple[int, int]]] = {}
        self._short: list[int] = []  # forms whose sensitive part is too short for the index
        self._lock = threading.Lock()
        self.context: str | None = None  # the check running now: where learned secrets were issued
        # (value, kind, origin) in the order learned: a concurrent run's workers hand them to the main process.
        self.learned: list[tuple[str, str, str]] = []

    # Learning

    def add(self, value: object, kind: str = "secret", origin: str | None = None) -> Secret | None:
        """Register a secret (idempotent); returns it as a Secret carrying its variable."""
        if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
            return None
        plain = str(value)
        with self._lock:
            known = self._secrets.get(plain)
            if known is not None:
                return known
            base = KIND_VARIABLES.get(kind, "DCR_SECRET")
            n = self._counts[base] = self._counts.get(base, 0) + 1
            variable = base if n == 1 else f"{base}_{n}"
            if isinstance(value, Secret):
                secret = value
                kind = value.kind
                origin = origin or value.origin
            else:
                secret = Secret(plain, kind, origin or "")
            if secret.variable is None:
                secret.variable = variable
            where = origin or (
                f"{kind.replace('_', ' ')} issued in {self.context}" if self.context else kind.replace("_", " ")
            )
            self._secrets[plain] = secret
            self._variables[plain] = variable
            self._legend[variable] = where
            self.learned.append((plain, kind, where))
            for form in forms_of(secret, variable):
                self._index_form(form)
        _log_secret(variable, plain)
        return secret

    def _index_form(self, form: Form) -> None:
        at = len(self._forms)
        self._forms.append(form)
        s0, s1 = form.sensitive
        if s1 - s0 < 2 * K - 1:
            self._short.append(at)
            return
        for pos in range(s0, s1 - K + 1):
            self._index.setdefault(form.value[pos : pos + K], []).append((at, pos))

    def add_target(self, target: Any) -> None:
        """The target file's statements and admin token, each named by its key (the legend)."""
        for key, value in vars(target.statements).items():
            if value:
                self.add(value, "software_statement", f"statements.{key}")
        if target.admin:
            self.add(target.admin.token, "admin_token", "admin.token")

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

    def secret(self, value: str) -> Secret | str:
        """The registered Secret for a value (so that its repr is masked), else the value."""
        return self._secrets.get(str(value), value)

    def variable_for(self, value: str) -> str | None:
        return self._variables.get(value)

    def legend(self, variables: set[str] | None = None) -> dict[str, str]:
        """variable -> what it stands for (a target key, or where the server issued it)."""
        return {v: o for v, o in self._legend.items() if variables is None or v in variables}

    def known(self) -> list[Secret]:
        return list(self._secrets.values())

    # Finding

    @property
    def longest(self) -> int:
        """The length of the longest form: how far from a position a stretch can reach."""
        return max((len(f.value) for f in self._forms), default=0)

    def refs(self, text: str, floor: int = 0, stop: int | None = None) -> list[tuple[int, int, Ref]]:
        """(start, end, ref) of every masked stretch of text (starting in [floor, stop)), in order, not overlapping."""
        found: list[tuple[int, int, Ref]] = []
        n, q = len(text) if stop is None else min(len(text), stop + 2 * K), floor  # stretches may extend past stop
        index, forms = self._index, self._forms
        while q + K <= n:
            hits = index.get(text[q : q + K])
            if not hits:
                q += K
                continue
            best: tuple[int, int, Ref] | None = None
            for at, pos in hits:
                form = forms[at]
                left = _backward(text, q, form.value, pos, floor)
                right = K + _forward(text, q + K, form.value, pos + K)
                vs, ve = pos - left, pos + right
                s0, s1 = form.sensitive
                if min(ve, s1) - max(vs, s0) >= min(MIN_RUN, s1 - s0) and (best is None or ve - vs > best[1] - best[0]):
                    best = (q - left, q + right, Ref(form, vs, ve))
            if best is None:
                q += K
                continue
            found.append(best)
            floor = q = best[1]
        return self._add_short(text, found) if self._short else found

    def _add_short(self, text: str, found: list[tuple[int, int, Ref]]) -> list[tuple[int, int, Ref]]:
        for at in self._short:
            form = self._forms[at]
            s0, s1 = form.sensitive
            start = text.find(form.value[s0:s1])
            while start != -1:
                end = start + s1 - s0
                if not any(s < end and start < e for s, e, _ in found):
                    found.append((start, end, Ref(form, s0, s1)))
                start = text.find(form.value[s0:s1], end)
        return sorted(found, key=lambda f: f[0])

    def pieces(self, text: str) -> list[Piece]:
        out: list[Piece] = []
        pos = 0
        for start, end, ref in self.refs(text):
            if start > pos:
                out.append(text[pos:start])
            out.append(ref)
            pos = end
        if pos < len(text):
            out.append(text[pos:])
        return out

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, how artifacts show it) of every masked stretch."""
        return [(s, e, ref.text()) for s, e, ref in self.refs(text)]

    def mask(self, text: str) -> str:
        if not self._forms or not text:
            return text
        return "".join(p if isinstance(p, str) else p.text() for p in self.pieces(text))

    def mask_bytes(self, data: bytes) -> str:
        return self.mask(data.decode("utf-8", errors="backslashreplace"))


def learn_from_request(masker: Masker, exchange: Any) -> None:
    """The secrets a request carried in a JSON or form body (credentials the load profiles send)."""
    body = exchange.request_body or b""
    try:
        masker.add_from_json(json.loads(body))
        return
    except (ValueError, UnicodeDecodeError):
        pass
    for key, value in parse_qsl(body.decode("utf-8", "replace")):
        if key in SECRET_MEMBERS:
            masker.add(value, key)
