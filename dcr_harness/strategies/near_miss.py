"""The near-miss phase: each credential and identifier, nearly right.

Authentication bugs live in how a value is compared, not in odd values: a collation that
ignores case, parsing that takes the first word or trims, a prefix comparison, a
normalisation, a lookup that does not tie a secret to its client. Every value the contract
checks (client_id, client_secret, access token, the statement's signature and kid, the
redirect URI) is derived from the run's own valid value into its near misses: one letter's
case changed, all of it, one character replaced, removed or appended, truncated by one,
surrounded by white space, followed by a space and text, doubly percent-encoded, a Unicode
lookalike or compatibility form, and the wrong pairings of two clients' credentials.

Derivations are pure functions of the valid value (no randomness: the same in every profile).
Each case cites first the requirement a served near miss breaks (TOK-ERR-2, API-2, REG-ERR-2,
REG-ERR-3), and only that one; its permitted answers come from the oracle helpers the coverage
catalogue uses. Encodings of the same value (a singly percent-encoded form value) are positive
cases: they must be served. The admin hook (TARGET.md) has no requirement to cite: not here.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import quote_plus

from ..checks.provocations import (
    BAD_REDIRECT,
    BAD_STATEMENT,
    INVALID_REQUEST,
    STATEMENT_OR_REQUEST,
    SUCCESS,
    P,
    Provocation,
)
from ..contract import statements as forge
from ..contract.secret_values import Derived, secret_of
from ..contract.target import ProtectedApi, Target
from ..http.client import Credentials
from .catalogue import API, REG, TOK, cited_by, form_body, sample_credentials, sample_inputs
from .oracle import form_permitted

# Lookalikes (Cyrillic, Greek) of Latin letters and digits, and the fullwidth forms NFKC folds back.
LOOKALIKES = {
    "a": "а",
    "c": "с",
    "e": "е",
    "o": "о",
    "p": "р",
    "x": "х",
    "y": "у",
    "A": "А",
    "B": "В",
    "E": "Е",
    "H": "Н",
    "K": "К",
    "M": "М",
    "O": "О",
    "P": "Р",
    "T": "Т",
    "X": "Х",
    "0": "О",
    "1": "Ι",
    "-": "‐",
    "_": "ˍ",
}
FULLWIDTH_OFFSET = 0xFEE0  # U+0021..U+007E -> U+FF01..U+FF5E
TEXT = "dcr-harness"  # what follows "a space and text"


@dataclass(frozen=True)
class Miss:
    """One near miss: what was done to the valid value, and the value it gives."""

    label: str
    value: str


def _traced(valid: str, value: str, how: str) -> str:
    """Keep a secret's near miss shown as its derivation (${VAR} ...), never its bytes."""
    source = secret_of(valid)
    return Derived(value, source, f"{valid!r} {how}") if source is not None else value


def _last(valid: str, test: Callable[[str], bool]) -> int | None:
    """The last position whose character passes `test` (deterministic; the end is where prefix comparisons look away)."""
    return next((i for i in range(len(valid) - 1, -1, -1) if test(valid[i])), None)


def _other(ch: str) -> str:
    """Another character of the same kind (letter, digit, or else '-' / '_'), so the value stays well formed."""
    if ch.isdigit():
        return str((int(ch) + 1) % 10)
    if ch.isascii() and ch.isalpha():
        base = ord("a") if ch.islower() else ord("A")
        return chr(base + (ord(ch) - base + 1) % 26)
    return "_" if ch != "_" else "-"


def derive(valid: str) -> list[Miss]:
    """The near misses of one value, in a fixed order; kinds the value cannot have (no letter) are left out."""
    s, n = str(valid), len(valid)
    misses: list[Miss] = []

    def add(label: str, value: str) -> None:
        if value != s:
            misses.append(Miss(label, _traced(valid, value, label)))

    letter = _last(s, lambda c: c.isascii() and c.isalpha())
    if letter is not None:
        add(f"one letter's case changed (character {letter})", s[:letter] + s[letter].swapcase() + s[letter + 1 :])
        add("upper-cased", s.upper())
        add("lower-cased", s.lower())
    mid = n // 2
    if n:
        add(f"character {mid} replaced", s[:mid] + _other(s[mid]) + s[mid + 1 :])
        add(f"character {mid} removed", s[:mid] + s[mid + 1 :])
        add("truncated by one", s[:-1])
    add("one character appended", s + _other(s[-1:] or "a"))
    add("surrounded by spaces", f" {s} ")
    add("followed by a space and text", f"{s} {TEXT}")
    look = _last(s, lambda c: c in LOOKALIKES)
    if look is not None:
        add(f"a Unicode lookalike at character {look}", s[:look] + LOOKALIKES[s[look]] + s[look + 1 :])
    wide = _last(s, lambda c: "!" <= c <= "~")
    if wide is not None:
        add(
            f"compatibility form at character {wide} (NFKC folds it back)",
            s[:wide] + chr(ord(s[wide]) + FULLWIDTH_OFFSET) + s[wide + 1 :],
        )
    for form in ("NFD", "NFC"):  # only a value with accented or composed characters has another canonical form
        add(f"another normal form ({form})", unicodedata.normalize(form, s))
    return misses


# The last character only is escaped: a secret escaped whole is a form the masker does not know (it would show
# in clear), while one escaped character shows no more of it than the one-character near misses do.
def doubly_escaped(value: str) -> str:
    """A form value whose last character is percent-encoded twice: one decoding gives %XX, not the value."""
    return quote_plus(value[:-1]) + "".join(f"%25{b:02X}" for b in value[-1:].encode())


def singly_escaped(value: str) -> str:
    """A form value whose last character is percent-encoded: it decodes to the value itself (the form's own encoding)."""
    return quote_plus(value[:-1]) + "".join(f"%{b:02X}" for b in value[-1:].encode())


@dataclass(frozen=True)
class Inputs:
    """The run's valid values: the target, two clients' credentials, an access token."""

    target: Target
    creds: Credentials
    other: Credentials
    token: str

    @property
    def redirect(self) -> str | None:
        return self.target.allowed_redirect_uri


# Token endpoint: client_id, client_secret and their pairing


def _form(pairs: list[tuple[str, str]]) -> bytes:
    return form_body([(k, v.encode()) for k, v in pairs])


def _token(name: str, content: bytes, inputs: Inputs, reqs: str = "TOK-ERR-2") -> Provocation:
    permitted = form_permitted(content, inputs.creds.client_id, inputs.creds.client_secret)
    return P(
        "TOK-REQ-1" if permitted == {SUCCESS} else reqs,
        name,
        TOK,
        set(permitted),
        lambda c: c.dcr.token(content=content),
    )


def _credential_cases(inputs: Inputs, param: str) -> list[Provocation]:
    creds = inputs.creds
    good = {"client_id": creds.client_id, "client_secret": creds.client_secret, "grant_type": "client_credentials"}
    valid = good[param]

    def body(raw: str) -> bytes:
        return _form([(k, raw if k == param else quote_plus(v)) for k, v in good.items()])

    where = f"{param} near miss"
    cases = [
        _token(f"{where}: {m.label}: sent {m.value!r} for {valid!r}", body(quote_plus(m.value)), inputs)
        for m in derive(valid)
    ]
    if valid:
        cases.append(_token(f"{where}: last character doubly percent-encoded", body(doubly_escaped(valid)), inputs))
        # The form's own encoding of the very value: it decodes to the valid value and must be served.
        cases.append(
            _token(f"{param} equivalent: last character percent-encoded once", body(singly_escaped(valid)), inputs)
        )
    return cases


def token_client_id(inputs: Inputs) -> list[Provocation]:
    return _credential_cases(inputs, "client_id")


def token_client_secret(inputs: Inputs) -> list[Provocation]:
    """The secret's near misses, and each client's secret beside the other's id."""
    a, b = inputs.creds, inputs.other
    cases = _credential_cases(inputs, "client_secret")
    if a.client_id == b.client_id or a.client_secret == b.client_secret:
        return cases  # a server that reissues credentials (REG-OK-3 fails) leaves no other client to pair with
    for label, cid, secret in (
        ("client A's id with client B's secret", a.client_id, b.client_secret),
        ("client B's id with client A's secret", b.client_id, a.client_secret),
    ):
        content = _form(
            [
                ("client_id", quote_plus(cid)),
                ("client_secret", quote_plus(secret)),
                ("grant_type", "client_credentials"),
            ]
        )
        cases.append(
            P(
                "TOK-ERR-2",
                f"wrong pairing: {label} (sent {secret!r} for {cid!r})",
                TOK,
                "invalid_client",
                (lambda body: lambda c: c.dcr.token(content=body))(content),
            )
        )
    return cases


# Protected API: the bearer token and the header around it


def _api(reqs: str, name: str, authorization: str, permitted: str = "401") -> Provocation:
    """API-2 first: a served near miss breaks it alone; API-3 judges the 401's body."""
    value = authorization if authorization.isascii() else authorization.encode()  # a header is bytes beyond ASCII
    return P(reqs, name, API, permitted, lambda c: c.dcr.call_api(authorization=value))


def api_token(inputs: Inputs) -> list[Provocation]:
    """The token's near misses, and the header parsed loosely (first word, a separator, a second token)."""
    token = inputs.token
    where = "access token near miss"
    cases = [
        _api("API-2 API-3", f"{where}: {m.label}: sent {m.value!r} for {token!r}", "Bearer " + m.value)
        for m in derive(token)
        if m.label != "surrounded by spaces"
    ]  # HTTP strips the trailing space; the leading one is RFC 6750's 1*SP
    header = "Authorization near miss"
    for label, value in (
        ("the token followed by a tab and text", f"Bearer {token}\t{TEXT}"),
        ("the token followed by a comma", f"Bearer {token},"),
        ("the token followed by a second token", f"Bearer {token} {token}"),
        ("the token twice, comma-separated", f"Bearer {token}, Bearer {token}"),
        ("the token without the scheme", str(token)),
        ("the token under another scheme", f"Token {token}"),
    ):
        cases.append(_api("API-2 API-3", f"{header}: {label}", value))
    # RFC 9110 11.1: the scheme is case-insensitive, so this is the valid request.
    cases.append(_api("API-1", "Authorization equivalent: scheme in lower case", f"bearer {token}", SUCCESS))
    return cases


# Register: the statement's signature and kid, the redirect URI


def _register(
    reqs: str, name: str, permitted: str | frozenset[str] | set[str], statement: str, redirect: str | None = None
) -> Provocation:
    return P(reqs, name, REG, permitted, lambda c: c.dcr.register(statement, redirect_uri=redirect))


def statement(inputs: Inputs) -> list[Provocation]:
    """The signature's near misses (same length and alphabet: a wrong signature; otherwise malformed too), then kid's."""
    valid = inputs.target.statements.valid
    head, _, signature = valid.rpartition(".")
    cases = []
    for m in derive(signature):
        well_formed = len(m.value) == len(signature) and all(
            c.isascii() and (c.isalnum() or c in "-_") for c in m.value
        )
        cases.append(
            _register(
                "REG-ERR-3",
                f"statement signature near miss: {m.label}",
                BAD_STATEMENT if well_formed else STATEMENT_OR_REQUEST,
                _traced(valid, head + "." + m.value, f"with its signature {m.label}"),
            )
        )
    header, claims, _ = forge.split(valid)
    kid = header.get("kid")
    if isinstance(kid, str):
        for m in derive(kid):
            changed = forge.b64url(json.dumps({**header, "kid": m.value}).encode())
            cases.append(
                _register(
                    "REG-ERR-3",
                    f"statement kid near miss: {m.label} ({m.value!r} for {kid!r})",
                    BAD_STATEMENT,
                    _traced(valid, changed + valid[valid.index(".") :], f"with kid {m.label}"),
                )
            )
    return cases


def _redirect_misses(uri: str) -> list[tuple[str, str, bool]]:
    """(label, URI, equivalent): near misses of the path, and RFC 3986 6.2.2-6.2.3 equivalents of scheme, host, port."""
    scheme, sep, rest = uri.partition("://")
    host, slash, path = rest.partition("/")
    prefix = f"{scheme}{sep}{host}{slash}"
    out = [
        (f"path {m.label}", prefix + m.value, False) for m in derive(path) if m.label not in ("surrounded by spaces",)
    ]
    out += [
        ("surrounded by spaces", f" {uri} ", False),
        ("a trailing slash", uri + "/", False),
        ("the host followed by another domain", f"{scheme}{sep}{host}.attacker.example{slash}{path}", False),
        ("user information naming the host", f"{scheme}{sep}{host}@attacker.example{slash}{path}", False),
    ]
    if path:
        out.append(("path doubly percent-encoded", prefix + path[:-1] + f"%25{ord(path[-1]):02X}", False))
        out.append(
            (
                "path with a letter percent-encoded (RFC 3986 6.2.2.2)",
                prefix + path[:-1] + f"%{ord(path[-1]):02X}",
                True,
            )
        )
    out += [
        ("scheme in upper case (RFC 3986 6.2.2.1)", f"{scheme.upper()}{sep}{host}{slash}{path}", True),
        ("host in upper case (RFC 3986 6.2.2.1)", f"{scheme}{sep}{host.upper()}{slash}{path}", True),
    ]
    if ":" not in host and scheme.lower() in ("http", "https"):
        port = "443" if scheme.lower() == "https" else "80"
        out.append(("the default port written out (RFC 3986 6.2.3)", f"{scheme}{sep}{host}:{port}{slash}{path}", True))
    return [(label, value, same) for label, value, same in out if value != uri]


def redirect_uri(inputs: Inputs) -> list[Provocation]:
    """Near misses must be refused (REG-ERR-2); an RFC 3986 equivalent may be served or refused: RFC 6749 3.1.2.3
    compares redirect URIs as simple strings, so a server may tell them apart."""
    uri, valid = inputs.redirect, inputs.target.statements.valid
    if uri is None:
        return []  # no valid value to derive from (the catch-all guess is no registered URI)
    cases = []
    for label, value, same in _redirect_misses(uri):
        # White space or non-ASCII: not a URI at all; user information: a value few services support. REG-ERR-1
        # ("malformed", "a value the service does not support") describes those too, as the coverage catalogue says.
        malformed = " " in value or "@" in value or not value.isascii()
        permitted = (
            {SUCCESS, BAD_REDIRECT} if same else ({BAD_REDIRECT, INVALID_REQUEST} if malformed else BAD_REDIRECT)
        )
        cases.append(
            _register(
                "REG-ERR-2",
                f"redirect_uri {'equivalent' if same else 'near miss'}: {label}: {value!r}",
                permitted,
                valid,
                value,
            )
        )
    return cases


GROUPS: dict[str, Callable[[Inputs], list[Provocation]]] = {
    "token-client_id": token_client_id,
    "token-client_secret": token_client_secret,
    "api-access-token": api_token,
    "register-statement": statement,
    "register-redirect_uri": redirect_uri,
}


def cases(group: str, inputs: Inputs) -> list[Provocation]:
    return GROUPS[group](inputs)


def sample() -> Inputs:
    base = sample_inputs()
    other = sample_credentials("other-client", "other-secret")
    target = replace(base.target, protected_api=ProtectedApi("GET", "/api"))
    return Inputs(target, base.creds, other, "sample-token")


def requirements(group: str) -> list[str]:
    """What a group's check cites: each case's requirement, the never-a-5xx rule, the success members it judges."""
    return cited_by(cases(group, sample()))
