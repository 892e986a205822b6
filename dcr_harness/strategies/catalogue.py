"""The coverage phase: boundary and malformed values of every input, each tried once.

Random generation finds a defect on one kind of rare value only when it happens to draw
that kind; a CI gate must not depend on luck. Before the random search, every input of
every endpoint (each register member, each token parameter, each header the contract
names, the software statement's header and claims) gets a fixed catalogue of values:
missing, empty, white space, very long, non-ASCII and control characters, invalid
percent-encoding and invalid UTF-8, numbers beyond any fixed width, every wrong JSON type,
containers nested far past any sane depth, duplicates, and the format's own malformations.

The catalogue is data: the value tables below, and per input group a list of
Provocations (the requirements the value provokes, the answers the contract permits),
judged by the same oracle as every generated case (oracle.judge_case). Groups are the
unit a coverage check runs (conformance/test_coverage.py: one check per group, side by
side on the workers); building a group needs the target and the run's credentials.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar
from urllib.parse import quote_plus

from ..checks.provocations import (
    BAD_REDIRECT,
    BAD_STATEMENT,
    INVALID_REQUEST,
    REFUSAL_IS_FINDING,
    STATEMENT_OR_REQUEST,
    SUCCESS,
    P,
    Provocation,
)
from ..contract import device_info
from ..contract import statements as forge
from ..contract.target import Statements, Target
from ..http.client import Credentials, basic_auth
from ..http.exchange import Exchange
from .oracle import form_permitted
from .register import KNOWN_MEMBERS, missing_statement_permitted, redirect_permitted

REG, TOK, API = "register", "token", "api"
SERVED_OR_REFUSED = frozenset({SUCCESS, INVALID_REQUEST})
# Far beyond any credential, statement or URI, well under the usual 1 MiB body limit.
LONG = 65_536
# Header values: long, but the whole header block stays under the common 8-16 KiB limits.
HEADER_LONG = 4000
DEPTH = 1000

# JSON values as raw JSON text (a number beyond double range cannot be written by json.dumps).
WRONG_JSON: list[tuple[str, str]] = [
    ("number", "42"),
    ("integer beyond 64 bits", str(2**64)),
    ("negative integer beyond 64 bits", str(-(2**63) - 1)),
    ("number beyond double range", "1e400"),
    ("fraction", "-0.5"),
    ("null", "null"),
    ("true", "true"),
    ("empty array", "[]"),
    ("array of a string", '["a"]'),
    ("empty object", "{}"),
    (f"arrays nested {DEPTH} deep", "[" * DEPTH + "]" * DEPTH),
    (f"objects nested {DEPTH} deep", '{"a":' * DEPTH + "1" + "}" * DEPTH),
]
# Strings (as JSON strings: json.dumps escapes what JSON must escape).
ODD_TEXT: list[tuple[str, str]] = [
    ("empty", ""),
    ("white space", " \t\n "),
    (f"{LONG} characters", "a" * LONG),
    ("non-ASCII", "é☃𝄞"),
    ("control characters", "a\x00\x1f\x7fb"),
    ("a lone surrogate", "\ud800"),
    ("invalid percent-encoding", "%zz%"),
    ("percent-encoded invalid UTF-8", "%ff%fe"),
]
# Form values, already encoded (raw fragments may break the encoding on purpose).
ODD_FORM: list[tuple[str, bytes]] = [
    ("empty", b""),
    ("white space", b"+%09+"),
    (f"{LONG} characters", b"a" * LONG),
    ("non-ASCII", quote_plus("é☃𝄞").encode()),
    ("control characters", b"a%00%1F%7Fb"),
    ("invalid percent-encoding", b"%zz%"),
    ("percent-encoded invalid UTF-8", b"%FF%FE"),
    ("raw invalid UTF-8", b"\xff\xfe"),
    ("raw non-ASCII", "é".encode()),
    ("integer beyond 64 bits", str(2**64).encode()),
]
# Header values: HTTP clients refuse CR, LF, NUL, most controls and white space at either end (RFC 9110 5.5),
# so the odd ones are inner white space, tab and obs-text bytes.
ODD_HEADER: list[tuple[str, str | bytes]] = [
    ("empty", ""),
    ("inner white space", "a \t b"),
    (f"{HEADER_LONG} characters", "a" * HEADER_LONG),
    ("non-ASCII (UTF-8)", "é☃".encode()),
    ("invalid UTF-8", b"\xff\xfe"),
    ("a tab inside", "a\tb"),
]
# An address header's own malformations (THR-1: the device is the first address of X-Forwarded-For).
ODD_ADDRESSES: list[tuple[str, str | bytes]] = [
    ("not an address", "not-an-address"),
    ("an address out of range", "999.999.999.999"),
    ("IPv6", "2001:db8::7"),
    ("IPv6 in brackets with a port", "[2001:db8::7]:8080"),
    ("IPv4 with a port", "198.51.100.77:8080"),
    ("an obfuscated identifier (RFC 7239)", "_hidden"),
    ("unknown", "unknown"),
    ("a list whose first entry is empty", ", 198.51.100.78"),
    ("a list whose first entry is not an address", "proxy.example, 198.51.100.79"),
    (f"{HEADER_LONG} characters", "9" * HEADER_LONG),
    ("non-ASCII (UTF-8)", "198.51.100.é".encode()),
]
# Where an unset or blank value makes the server fall back to the connection address: few, to
# stay inside that shared device's allowance (THR-1).
NO_ADDRESS: list[tuple[str, str | None]] = [("missing", None), ("empty", "")]


@dataclass(frozen=True)
class Inputs:
    """What building the cases needs: the target and the run's credentials."""

    target: Target
    creds: Credentials

    @property
    def valid(self) -> str:
        return self.target.statements.valid

    @property
    def redirect(self) -> str:
        return self.target.allowed_redirect_uri or "https://app.example.com/callback"


def _call_api_with(authorization: str | bytes, c: Any) -> Any:
    return c.dcr.call_api(authorization=authorization)


def _name(location: str, value: str) -> str:
    return f"{location}: {value}"


def _object(members: list[tuple[str, str]]) -> str:
    """A JSON object from (name, raw JSON value) pairs, in order, repeats kept."""
    return "{" + ", ".join(f"{json.dumps(name)}: {raw}" for name, raw in members) + "}"


V = TypeVar("V", str, bytes)


def _replaced(pairs: list[tuple[str, V]], name: str, new: V | None) -> list[tuple[str, V]]:
    """The pairs with name's value replaced by new, or name left out when new is None; order kept."""
    if new is None:
        return [(k, v) for k, v in pairs if k != name]
    return [(k, new if k == name else v) for k, v in pairs]


def _bytes_to_register(content: bytes) -> Callable[[Any], Any]:
    return lambda c: c.dcr.register(content=content)


# Register body members


def _member_cases(inputs: Inputs, member: str) -> list[Provocation]:
    """software_statement or redirect_uri: missing, every wrong type, odd strings, repeated."""
    valid, redirect = inputs.valid, inputs.redirect
    base = [("software_statement", json.dumps(valid))] + (
        [("redirect_uri", json.dumps(redirect))] if member == "redirect_uri" else []
    )
    where = f"register member {member}"
    cases = []

    def body(raw: str | None) -> bytes:
        return _object(_replaced(base, member, raw)).encode()

    if member == "software_statement":
        wrong, odd = ("REG-REQ-5 REG-ERR-1", STATEMENT_OR_REQUEST), ("REG-ERR-3 REG-ERR-1", STATEMENT_OR_REQUEST)
        cases.append(
            P(
                "REG-REQ-5 REG-ERR-1",
                _name(where, "missing"),
                REG,
                missing_statement_permitted({}),
                _bytes_to_register(body(None)),
            )
        )
        cases.append(
            P(
                "REG-REQ-5 REG-ERR-1",
                _name(where, "null"),
                REG,
                missing_statement_permitted({member: None}),
                _bytes_to_register(body("null")),
            )
        )
    else:
        wrong, odd = (
            ("REG-REQ-5 REG-ERR-2 REG-ERR-1", redirect_permitted(0)),
            ("REG-ERR-2 REG-ERR-1", redirect_permitted("x")),
        )
        cases.append(
            P(
                "REG-REQ-5 REG-ERR-2 REG-ERR-1",
                _name(where, "null"),
                REG,
                redirect_permitted(None),
                _bytes_to_register(body("null")),
            )
        )
    for label, raw in WRONG_JSON:
        if raw != "null":
            cases.append(P(wrong[0], _name(where, label), REG, wrong[1], _bytes_to_register(body(raw))))
    for label, text in ODD_TEXT:
        permitted = odd[1]
        if text == "":
            permitted = (
                missing_statement_permitted({member: ""}) if member == "software_statement" else redirect_permitted("")
            )
        cases.append(P(odd[0], _name(where, label), REG, permitted, _bytes_to_register(body(json.dumps(text)))))
    good = valid if member == "software_statement" else redirect
    first = dict(base)[member]
    again = _object(base + [(member, first)]).encode()
    other = _object(base + [(member, json.dumps(good + "x"))]).encode()
    second_code = BAD_STATEMENT if member == "software_statement" else BAD_REDIRECT
    # The allowed redirect URI is a guess when the target names none: then it may be refused for itself too.
    unsure = {BAD_REDIRECT} if member == "redirect_uri" and inputs.target.allowed_redirect_uri is None else set()
    cases.append(
        P(
            "REG-ERR-1",
            _name(where, "repeated with the same value"),
            REG,
            {INVALID_REQUEST, *unsure},
            _bytes_to_register(again),
        )
    )
    cases.append(
        P(
            "REG-ERR-1",
            _name(where, "repeated with another value"),
            REG,
            {INVALID_REQUEST, second_code},
            _bytes_to_register(other),
        )
    )
    if member == "software_statement":
        # Not a compact JWT any more (RFC 7515 7.1 has no white space): REG-ERR-3 alone is what an acceptance breaks.
        for label, padded in (
            ("valid, padded with spaces", f" {valid} "),
            ("valid, followed by a newline", valid + "\n"),
        ):
            cases.append(
                P(
                    "REG-ERR-3",
                    _name(where, label),
                    REG,
                    STATEMENT_OR_REQUEST,
                    _bytes_to_register(_object([("software_statement", json.dumps(padded))]).encode()),
                )
            )
    else:
        for label, uri in _redirect_formats(redirect):
            cases.append(
                P(
                    "REG-ERR-2 REG-ERR-1",
                    _name(where, label),
                    REG,
                    redirect_permitted(uri),
                    _bytes_to_register(_object(base[:1] + [("redirect_uri", json.dumps(uri))]).encode()),
                )
            )
    return cases


def _redirect_formats(allowed: str) -> list[tuple[str, str]]:
    """A URI's own malformations, each on the allowed redirect URI."""
    scheme, _, rest = allowed.partition("://")
    host, _, path = rest.partition("/")
    return [
        ("a malformed percent-escape", allowed + "%zz"),
        ("a truncated percent-escape", allowed + "%4"),
        ("a percent-escape of invalid UTF-8", allowed + "%ff"),
        ("an IPv6 host", f"{scheme}://[2001:db8::1]/{path}"),
        ("a port out of range", f"{scheme}://{host}:99999/{path}"),
        ("user information", f"{scheme}://user:pass@{host}/{path}"),
        ("no scheme", f"//{host}/{path}"),
        ("two URIs", f"{allowed} {allowed}"),
        ("a relative URI", "/" + path),
    ]


def register_statement(inputs: Inputs) -> list[Provocation]:
    return _member_cases(inputs, "software_statement")


def register_redirect_uri(inputs: Inputs) -> list[Provocation]:
    return _member_cases(inputs, "redirect_uri")


def register_body(inputs: Inputs) -> list[Provocation]:
    """The body as a whole: not an object, not JSON, not UTF-8, nested, unknown members of every kind."""
    valid = json.dumps(inputs.valid)
    good = _object([("software_statement", valid)]).encode()
    where = "register body"
    refused = [
        ("empty", b""),
        ("white space", b" \r\n\t "),
        ("null", b"null"),
        ("a number", b"42"),
        ("a string", valid.encode()),
        ("an array", f"[{valid}]".encode()),
        (f"arrays nested {DEPTH} deep", b"[" * DEPTH + b"]" * DEPTH),
        (f"objects nested {DEPTH} deep", ('{"a":' * DEPTH + "1" + "}" * DEPTH).encode()),
        ("truncated", good[:-2]),
        ("invalid UTF-8 outside strings", good[:-1] + b", \xff}"),
        ("NaN, which is not JSON", good[:-1] + b', "x": NaN}'),
        ("a trailing comma", good[:-1] + b",}"),
        ("single quotes", good.replace(b'"', b"'")),
    ]
    cases = [
        P("REG-ERR-1 REG-REQ-5", _name(where, label), REG, INVALID_REQUEST, _bytes_to_register(content))
        for label, content in refused
    ]
    cases.append(
        P(
            "REG-ERR-1 REG-REQ-5",
            _name(where, "a raw control character inside a string"),
            REG,
            STATEMENT_OR_REQUEST,
            _bytes_to_register(
                _object([("software_statement", json.dumps(inputs.valid[:10]).replace("e", "e\x01", 1))]).encode()
            ),
        )
    )
    # RFC 8259 8.1 lets a parser ignore a byte order mark; 9 lets it limit depth and number range.
    may = [
        ("a UTF-8 byte order mark", "\ufeff".encode() + good),
        (f"an unknown member nested {DEPTH} deep", good[:-1] + b', "x": ' + b"[" * DEPTH + b"]" * DEPTH + b"}"),
        ("an unknown member beyond double range", good[:-1] + b', "x": 1e400}'),
        ("an unknown member beyond 64 bits", good[:-1] + f', "x": {2**64}}}'.encode()),
    ]
    cases += [
        P("REG-REQ-5 REG-ERR-1", _name(where, label), REG, SERVED_OR_REFUSED, _bytes_to_register(content))
        for label, content in may
    ]
    unknown = [
        ("an unknown member named with control characters", "x\x00\x1f"),
        ("an unknown member with an empty name", ""),
        ("an unknown member with a non-ASCII name", "mémbre"),
        (f"an unknown member with a {LONG}-character name", "m" * LONG),
    ]
    for label, name in unknown:
        assert name not in KNOWN_MEMBERS
        content = _object([(name, '"v"'), ("software_statement", valid)]).encode()
        cases.append(
            P(
                "REG-REQ-5 REG-OK-1",
                _name(where, label),
                REG,
                {SUCCESS, REFUSAL_IS_FINDING},
                _bytes_to_register(content),
            )
        )
    return cases


# Software statement: its header and claims, under the old signature (a valid signature is impossible without the key)


def _statement_with(valid: str, segment: int, members: list[tuple[str, str]] | str) -> str:
    """`valid` with its header (0) or claims (1) segment replaced by this JSON text or object."""
    parts = valid.split(".")
    text = members if isinstance(members, str) else _object(members)
    parts[segment] = forge.b64url(text.encode("utf-8", "surrogatepass"))
    return ".".join(parts)


def _segment_cases(inputs: Inputs, segment: int) -> list[Provocation]:
    header, claims, _ = forge.split(inputs.valid)
    doc = header if segment == 0 else claims
    names = ["alg", "kid", "typ"] if segment == 0 else [*claims, *(c for c in ("exp", "nbf") if c not in claims)]
    where = "statement header" if segment == 0 else "statement claims"
    values = WRONG_JSON + [(label, json.dumps(text)) for label, text in ODD_TEXT]
    cases = []

    def case(label: str, text: list[tuple[str, str]] | str, permitted: frozenset[str] | str = BAD_STATEMENT) -> None:
        statement = _statement_with(inputs.valid, segment, text)
        if isinstance(text, str) or f"nested {DEPTH} deep" in label:
            permitted = STATEMENT_OR_REQUEST  # not a JSON object, or past a parser's depth limit: malformed either way
        cases.append(P("REG-ERR-3", _name(where, label), REG, permitted, lambda c: c.dcr.register(statement)))

    original = [(k, json.dumps(v)) for k, v in doc.items()]
    for i, name in enumerate(names):
        # Each member gets two values; the values rotate over the members, so every kind is tried somewhere.
        for label, raw in (values[(2 * i) % len(values)], values[(2 * i + 1) % len(values)]):
            members = [(k, raw if k == name else v) for k, v in original] + ([(name, raw)] if name not in doc else [])
            case(f"{name} {label}", members)
        case(f"{name} missing", [(k, v) for k, v in original if k != name])
    # Every wrong JSON type once for alg, the member a server reads first.
    for label, raw in WRONG_JSON:
        if segment == 0:
            case(f"alg {label} (every type)", [(k, raw if k == "alg" else v) for k, v in original])
    first = names[0]
    case(f"{first} repeated", original + [(first, json.dumps("dcr-harness-other"))])
    for label, text in (
        ("an array", "[]"),
        ("null", "null"),
        ("a number", "42"),
        ("empty", ""),
        ("not JSON", "{"),
        (f"arrays nested {DEPTH} deep", "[" * DEPTH + "]" * DEPTH),
    ):
        case(f"{label} in place of the object", text)
    parts = inputs.valid.split(".")
    for label, encoded in (
        ("invalid UTF-8", b'{"alg": "\xff"}'),
        ("a byte order mark", "\ufeff".encode() + json.dumps(doc).encode()),
    ):
        broken = parts.copy()
        broken[segment] = forge.b64url(encoded)
        cases.append(
            P(
                "REG-ERR-3",
                _name(where, label),
                REG,
                STATEMENT_OR_REQUEST,
                (lambda s: lambda c: c.dcr.register(s))(".".join(broken)),
            )
        )
    for label, seg in (
        ("padded base64", parts[segment] + "=="),
        ("standard base64 letters", parts[segment] + "+/"),
        ("percent-encoded", parts[segment][:4] + "%41" + parts[segment][4:]),
    ):
        broken = parts.copy()
        broken[segment] = seg
        cases.append(
            P(
                "REG-ERR-3",
                _name(where, label),
                REG,
                STATEMENT_OR_REQUEST,
                (lambda s: lambda c: c.dcr.register(s))(".".join(broken)),
            )
        )
    return cases


def statement_header(inputs: Inputs) -> list[Provocation]:
    return _segment_cases(inputs, 0)


def statement_claims(inputs: Inputs) -> list[Provocation]:
    return _segment_cases(inputs, 1)


# Token body parameters


def _good_form(creds: Credentials) -> list[tuple[str, bytes]]:
    return [
        ("client_id", quote_plus(creds.client_id).encode()),
        ("client_secret", quote_plus(creds.client_secret).encode()),
        ("grant_type", b"client_credentials"),
    ]


def form_body(pairs: list[tuple[str, bytes]]) -> bytes:
    """A form body from (name, value already encoded) pairs, in order, repeats kept."""
    return b"&".join(quote_plus(name).encode() + b"=" + value for name, value in pairs)


def _token_bytes(
    reqs: str, name: str, content: bytes, creds: Credentials, also: frozenset[str] = frozenset()
) -> Provocation:
    permitted = form_permitted(content, creds.client_id, creds.client_secret) | also
    return P(reqs, name, TOK, set(permitted), lambda c: c.dcr.token(content=content))


PARAM_REQS = {
    "client_id": "TOK-ERR-2 TOK-REQ-2 TOK-ERR-1",
    "client_secret": "TOK-ERR-2 TOK-REQ-2 TOK-ERR-1",
    "grant_type": "TOK-ERR-4 TOK-REQ-2 TOK-ERR-3 TOK-ERR-1",
}


def _param_cases(inputs: Inputs, param: str) -> list[Provocation]:
    creds, good = inputs.creds, _good_form(inputs.creds)
    where = f"token parameter {param}"
    value = dict(good)[param]
    reqs = PARAM_REQS[param]

    def replaced(new: bytes | None) -> bytes:
        return form_body(_replaced(good, param, new))

    cases = [_token_bytes("TOK-REQ-2 TOK-ERR-1", _name(where, "missing"), replaced(None), creds)]
    for label, raw in ODD_FORM:
        cases.append(
            _token_bytes("TOK-REQ-2 TOK-ERR-1" if raw == b"" else reqs, _name(where, label), replaced(raw), creds)
        )
    for label, pairs in (
        ("repeated with the same value", good + [(param, value)]),
        ("repeated with another value", good + [(param, value + b"x")]),
        ("repeated, empty", good + [(param, b"")]),
        ("repeated, empty first", [(param, b"")] + good),
    ):
        cases.append(_token_bytes("TOK-ERR-1", _name(where, label), form_body(pairs), creds))
    upper = form_body([(k.upper() if k == param else k, v) for k, v in good])
    escaped = (
        replaced(None) + b"&" + param.replace("_", "%5F").encode() + b"=" + value
    )  # the same name, written escaped
    for label, content in (("name in upper case", upper), ("name percent-encoded", escaped)):
        cases.append(_token_bytes("TOK-REQ-2 TOK-ERR-1", _name(where, label), content, creds))
    return cases


def token_client_id(inputs: Inputs) -> list[Provocation]:
    return _param_cases(inputs, "client_id")


def token_client_secret(inputs: Inputs) -> list[Provocation]:
    return _param_cases(inputs, "client_secret")


def token_grant_type(inputs: Inputs) -> list[Provocation]:
    return _param_cases(inputs, "grant_type")


def token_body(inputs: Inputs) -> list[Provocation]:
    creds, good = inputs.creds, form_body(_good_form(inputs.creds))
    where = "token body"
    none: frozenset[str] = frozenset()
    unknown = frozenset({REFUSAL_IS_FINDING})  # an unknown parameter is to be ignored (a SHOULD)
    bodies = [
        ("empty", b"", none),
        ("white space", b" \r\n ", none),
        ("only separators", b"&&&=&", none),
        ("a JSON object", json.dumps({"a": 1}).encode(), none),
        ("good parameters and a trailing &", good + b"&", none),
        ("good parameters and a lone name", good + b"&novalue", unknown),
        ("semicolons as separators", good.replace(b"&", b";"), none),
        ("a leading ?", b"?" + good, none),
        ("a NUL byte", good + b"\x00", none),
        ("an unknown parameter with a long value", good + b"&x=" + b"v" * LONG, unknown),
        # A server may bound the number of fields it parses (as it bounds the body).
        (f"{DEPTH} empty parameters", good + b"&" * DEPTH, frozenset({INVALID_REQUEST})),
    ]
    return [
        _token_bytes("TOK-REQ-2 TOK-ERR-1", _name(where, label), content, creds, also)
        for label, content, also in bodies
    ]


# Headers, on both DCR endpoints (each built with valid parameters, so only the header is odd)


def _send(
    endpoint: str, creds: Credentials, headers: dict[str, Any] | None = None, extra: list[tuple[str, Any]] | None = None
):
    extra_headers = extra or []
    if endpoint == REG:
        return lambda c: c.dcr.register(headers=headers, extra_headers=extra_headers)
    return lambda c: c.dcr.token(creds.client_id, creds.client_secret, headers=headers, extra_headers=extra_headers)


def _reqs(endpoint: str, reg: str, tok: str) -> str:
    return reg if endpoint == REG else tok


def content_type(inputs: Inputs, endpoint: str) -> list[Provocation]:
    media = "application/json" if endpoint == REG else "application/x-www-form-urlencoded"
    reqs = _reqs(endpoint, "REG-REQ-1 REG-ERR-1", "TOK-REQ-1 TOK-ERR-1")
    where = f"{endpoint} Content-Type"
    refused: list[tuple[str, Any]] = [
        ("missing", None),
        ("empty", ""),
        ("no subtype", media.split("/")[0]),
        ("the type as a parameter", f"text/plain; type={media}"),
        (f"{HEADER_LONG} characters", "a" * HEADER_LONG),
    ]
    served: list[tuple[str, Any]] = [("charset=utf-8", f"{media}; charset=utf-8"), ("upper case", media.upper())]
    either: list[tuple[str, Any]] = [
        ("a parameter without a value", f"{media}; charset"),
        ("an empty parameter value", f"{media};charset="),
        ("empty parameters", f"{media};;;"),
        ("another charset", f"{media}; charset=utf-16"),
        ("a quoted parameter with an escape", f'{media}; charset="utf\\-8"'),
        ("a non-ASCII parameter", f"{media}; x=é".encode()),
        ("invalid UTF-8 in a parameter", f"{media}; x=".encode() + b"\xff"),
        (f"a {HEADER_LONG}-character parameter", f"{media}; x={'a' * HEADER_LONG}"),
        ("a list of two types", f"{media}, text/plain"),
        ("a tab before the parameters", f"{media}\t;charset=utf-8"),
    ]
    cases = [
        P(reqs, _name(where, label), endpoint, INVALID_REQUEST, _send(endpoint, inputs.creds, {"Content-Type": v}))
        for label, v in refused
    ]
    cases += [
        P(
            reqs.split()[0] + _reqs(endpoint, " REG-OK-1", " TOK-OK-1"),
            _name(where, label),
            endpoint,
            SUCCESS,
            _send(endpoint, inputs.creds, {"Content-Type": v}),
        )
        for label, v in served
    ]
    cases += [
        P(reqs, _name(where, label), endpoint, SERVED_OR_REFUSED, _send(endpoint, inputs.creds, {"Content-Type": v}))
        for label, v in either
    ]
    cases.append(
        P(
            reqs,
            _name(where, "sent twice, the same"),
            endpoint,
            SERVED_OR_REFUSED,
            _send(endpoint, inputs.creds, extra=[("Content-Type", media)]),
        )
    )
    # RFC 9110 5.3: a repeated singleton may be refused, or acted on with one of its values (either answer).
    cases.append(
        P(
            reqs,
            _name(where, "sent twice, the second text/plain"),
            endpoint,
            SERVED_OR_REFUSED,
            _send(endpoint, inputs.creds, extra=[("Content-Type", "text/plain")]),
        )
    )
    return cases


def accept(inputs: Inputs, endpoint: str) -> list[Provocation]:
    reqs = _reqs(endpoint, "REG-REQ-3 REG-ERR-1", "TOK-REQ-3 TOK-ERR-1")
    where = f"{endpoint} Accept"
    either: list[tuple[str, Any]] = [
        ("empty", ""),
        ("inner white space", "application/json \t ;  q=1"),
        ("a q-value that is not a number", "application/json;q=abc"),
        ("a q-value above 1", "application/json;q=2"),
        ("a negative q-value", "application/json;q=-1"),
        ("a q-value with four decimals", "application/json;q=0.0001"),
        ("empty list members", ",,application/json,,"),
        (f"{HEADER_LONG // 12} ranges", ", ".join(["text/html"] * (HEADER_LONG // 12)) + ", application/json"),
        ("a non-ASCII parameter", "application/json; x=é".encode()),
        ("invalid UTF-8", b"application/json, \xff"),
        ("no subtype", "application"),
        ("a parameter without a value", "application/json; charset"),
    ]
    cases = [
        P(reqs, _name(where, label), endpoint, SERVED_OR_REFUSED, _send(endpoint, inputs.creds, {"Accept": v}))
        for label, v in either
    ]
    cases.append(
        P(
            reqs,
            _name(where, "sent twice, text/html then application/json"),
            endpoint,
            SERVED_OR_REFUSED,
            _send(endpoint, inputs.creds, {"Accept": "text/html"}, [("Accept", "application/json")]),
        )
    )
    cases.append(
        P(
            reqs,
            _name(where, "JSON with q=0 and everything else"),
            endpoint,
            INVALID_REQUEST,
            _send(endpoint, inputs.creds, {"Accept": "application/json;q=0, */*;q=0"}),
        )
    )
    return cases


def user_agent(inputs: Inputs, endpoint: str) -> list[Provocation]:
    reqs = _reqs(endpoint, "REG-REQ-4 REG-ERR-1", "TOK-REQ-3 TOK-ERR-1")
    where = f"{endpoint} User-Agent"
    cases = [
        P(
            reqs.split()[0],
            _name(where, "missing"),
            endpoint,
            SUCCESS,
            _send(endpoint, inputs.creds, {"User-Agent": None}),
        )
    ]
    cases += [
        P(reqs, _name(where, label), endpoint, SERVED_OR_REFUSED, _send(endpoint, inputs.creds, {"User-Agent": v}))
        for label, v in ODD_HEADER
    ]
    cases.append(
        P(
            reqs,
            _name(where, "sent twice"),
            endpoint,
            SERVED_OR_REFUSED,
            _send(endpoint, inputs.creds, extra=[("User-Agent", "dcr-harness-second/1.0")]),
        )
    )
    return cases


def forwarded_for(inputs: Inputs, endpoint: str) -> list[Provocation]:
    """The device header (THR-1), when it is X-Forwarded-For: each odd value is its own device at the server."""
    header = inputs.target.throttle.device_header
    reqs = _reqs(endpoint, "THR-1 REG-ERR-1", "THR-1 TOK-ERR-1")
    where = f"{endpoint} {header}"
    values: list[tuple[str, Any]] = list(ODD_ADDRESSES) + (list(NO_ADDRESS) if endpoint == REG else [])
    cases = [
        P(reqs, _name(where, label), endpoint, SERVED_OR_REFUSED, _send(endpoint, inputs.creds, {header: v}))
        for label, v in values
    ]
    cases.append(
        P(
            reqs,
            _name(where, "sent twice"),
            endpoint,
            SERVED_OR_REFUSED,
            _send(endpoint, inputs.creds, {header: "198.51.100.80"}, [(header, "198.51.100.81")]),
        )
    )
    return cases


DEVICE_KEYS = (
    "model",
    "version",
    "osName",
    "osVersion",
    "connectionType",
    "primaryHardwareType",
    "manufacturer",
    "vendor",
    "osFamily",
    "osVendor",
    "browserName",
    "browserVendor",
    "browserVersion",
    "userAgent",
    "displayWidth",
    "displayHeight",
    "displayPpi",
    "diagonalScreenSize",
    "connectionIp",
    "connectionPort",
    "connectionSecure",
    "applicationId",
)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _device_json(members: list[tuple[str, str]]) -> str:
    return _b64(_object(members).encode("utf-8", "surrogatepass"))


def device_info_values(per_key: bool) -> list[tuple[str, str | bytes]]:
    """(description, X-Device-Info value): the header's own malformations, then (per_key) each key's."""
    good = [(k, json.dumps(v)) for k, v in device_info.build().items()]
    values: list[tuple[str, str | bytes]] = [
        ("empty", ""),
        ("not Base64", "%%% not base64 %%%"),
        ("Base64 without padding", _b64(json.dumps(device_info.build()).encode()).rstrip("=")),
        (
            "base64url letters",
            _b64(b"\xfb\xff" + json.dumps(device_info.build()).encode()).replace("+", "-").replace("/", "_"),
        ),
        ("Base64 of invalid UTF-8", _b64(b'{"model": "\xff"}')),
        ("Base64 of null", _b64(b"null")),
        ("Base64 of an array", _b64(b"[]")),
        (f"Base64 of arrays nested {DEPTH} deep", _b64(b"[" * DEPTH + b"]" * DEPTH)),
        (
            f"a key holding objects nested {DEPTH} deep",
            _device_json(good + [("x", '{"a":' * DEPTH + "1" + "}" * DEPTH)]),
        ),
        ("a key repeated", _device_json(good + [("model", '"other"')])),
        ("a key with control characters", _device_json(good + [("os\x00Name\x1f", '"x"')])),
        ("an empty key", _device_json(good + [("", '"x"')])),
        ("a non-ASCII key", _device_json(good + [("modèle", '"x"')])),
        (
            f"{HEADER_LONG} characters",
            _device_json(good + [("applicationId", json.dumps("a" * (HEADER_LONG * 3 // 4 - 300)))]),
        ),
        ("raw non-ASCII (UTF-8)", "é☃".encode()),
    ]
    if per_key:
        kinds = WRONG_JSON + [(label, json.dumps(text)) for label, text in ODD_TEXT if len(text) < 1000]
        for i, key in enumerate(DEVICE_KEYS):
            for label, raw in (kinds[(2 * i) % len(kinds)], kinds[(2 * i + 1) % len(kinds)]):
                members = [(k, raw if k == key else v) for k, v in good] + (
                    [(key, raw)] if key not in dict(good) else []
                )
                values.append((f"{key} {label}", _device_json(members)))
    return values


def device_header(inputs: Inputs, endpoint: str) -> list[Provocation]:
    """X-Device-Info (DEV-1..3): rejected with invalid_request or ignored, never a 5xx. Every key's values go to
    the register endpoint, the header's own malformations to both."""
    reqs = _reqs(endpoint, "DEV-3 DEV-1 DEV-2 REG-REQ-2", "DEV-3 DEV-1 DEV-2 TOK-REQ-3")
    where = f"{endpoint} X-Device-Info"
    cases = [
        P(reqs, _name(where, label), endpoint, SERVED_OR_REFUSED, _send(endpoint, inputs.creds, {"X-Device-Info": v}))
        for label, v in device_info_values(per_key=endpoint == REG)
    ]
    cases.append(
        P(
            reqs,
            _name(where, "sent twice"),
            endpoint,
            SERVED_OR_REFUSED,
            _send(endpoint, inputs.creds, extra=[("X-Device-Info", device_info.header_value())]),
        )
    )
    return cases


def token_authorization(inputs: Inputs) -> list[Provocation]:
    """Authorization beside body credentials: HTTP Basic too is two mechanisms (TOK-ERR-1); anything else may be
    ignored, refused as malformed, or read as bad credentials."""
    creds = inputs.creds
    where = "token Authorization"
    maybe = {SUCCESS, INVALID_REQUEST, "invalid_client"}
    basic_of = lambda raw: "Basic " + base64.b64encode(raw).decode()  # noqa: E731
    values: list[tuple[str, Any]] = [
        ("Basic without credentials", "Basic"),
        ("Basic, not Base64", "Basic %%%"),
        ("Basic without a colon", basic_of(b"nocolon")),
        ("Basic of invalid UTF-8", basic_of(b"\xff:\xfe")),
        ("Basic with an empty id and secret", basic_of(b":")),
        ("Bearer", "Bearer dcr-harness-token"),
        *[(label, v) for label, v in ODD_HEADER],
    ]
    cases = [
        P("TOK-ERR-1 TOK-ERR-2", _name(where, label), TOK, maybe, _send(TOK, creds, {"Authorization": v}))
        for label, v in values
    ]
    cases.append(
        P(
            "TOK-ERR-1",
            _name(where, "valid Basic as well as body credentials"),
            TOK,
            INVALID_REQUEST,
            _send(TOK, creds, {"Authorization": basic_auth(creds.client_id, creds.client_secret)}),
        )
    )
    cases.append(
        P(
            "TOK-ERR-1 TOK-ERR-2",
            _name(where, "sent twice"),
            TOK,
            maybe,
            _send(TOK, creds, {"Authorization": "Basic %%%"}, [("Authorization", "Bearer x")]),
        )
    )
    return cases


def api_authorization(inputs: Inputs) -> list[Provocation]:
    """The protected API's Authorization (API-2, API-3): every malformed value is a 401."""
    where = "api Authorization"
    values: list[tuple[str, Any]] = [
        ("missing", None),
        *ODD_HEADER,
        ("Bearer alone", "Bearer"),
        ("Bearer and spaces", "Bearer   \t x"),
        (f"Bearer and {HEADER_LONG} characters", "Bearer " + "A" * HEADER_LONG),
        ("Bearer and a non-ASCII token", "Bearer é".encode()),
        ("Bearer and invalid UTF-8", b"Bearer \xff\xfe"),
        ("Bearer and a tab", "Bearer\tabc"),
        ("Bearer and two tokens", "Bearer abc def"),
        ("Bearer and a list", "Bearer abc, Bearer def"),
        ("Bearer and only padding", "Bearer ==="),
        ("Bearer and a percent-escape", "Bearer %41%42"),
        ("Bearer and a quoted token", 'Bearer "abc"'),
    ]
    cases = [P("API-2 API-3", _name(where, label), API, "401", partial(_call_api_with, v)) for label, v in values]
    cases.append(
        P(
            "API-2 API-3",
            _name(where, "sent twice"),
            API,
            "401",
            lambda c: c.dcr.call_api(authorization="Bearer abc", extra_headers=[("Authorization", "Bearer def")]),
        )
    )
    return cases


# Both sides of the limits deployments commonly set (nginx: 8 KiB header lines, 1 MiB bodies; many services: 64 KiB
# bodies). Each request is valid, so below a deployment's limit it is served; above, refused at the envelope.
HEADER_LINES = (4_000, 8_000, 8_400, 16_600)
BODIES = (64 * 1024 - 512, 64 * 1024 + 512, 1024 * 1024 - 4096, 1024 * 1024 + 4096)


def envelope_limits(inputs: Inputs) -> list[Provocation]:
    """Valid requests of growing size: where the deployment's limits lie (the report's deployment section)."""
    good = _object([("software_statement", json.dumps(inputs.valid))]).encode()
    cases = []
    for size in HEADER_LINES:
        value = "dcr-harness/" + "a" * (size - len("User-Agent: ") - len("dcr-harness/"))
        cases.append(
            P(
                "REG-REQ-4",
                _name("register User-Agent", f"a {size:,}-byte line"),
                REG,
                SUCCESS,
                _send(REG, inputs.creds, {"User-Agent": value}),
            )
        )
    for size in BODIES:
        padded = good[:-1] + b" " * (size - len(good)) + b"}"  # JSON white space: the same object (RFC 8259 2)
        cases.append(
            P(
                "REG-REQ-5",
                _name("register body", f"{size:,} bytes (padded with white space)"),
                REG,
                SUCCESS,
                _bytes_to_register(padded),
            )
        )
    return cases


def _both(build: Callable[[Inputs, str], list[Provocation]], endpoint: str) -> Callable[[Inputs], list[Provocation]]:
    return lambda inputs: build(inputs, endpoint)


# Group name -> cases. A group is one coverage check; the names are its pytest ids.
GROUPS: dict[str, Callable[[Inputs], list[Provocation]]] = {
    "register-software_statement": register_statement,
    "register-redirect_uri": register_redirect_uri,
    "register-body": register_body,
    "statement-header": statement_header,
    "statement-claims": statement_claims,
    "token-client_id": token_client_id,
    "token-client_secret": token_client_secret,
    "token-grant_type": token_grant_type,
    "token-body": token_body,
    "token-authorization": token_authorization,
    **{f"{e}-content-type": _both(content_type, e) for e in (REG, TOK)},
    **{f"{e}-accept": _both(accept, e) for e in (REG, TOK)},
    **{f"{e}-user-agent": _both(user_agent, e) for e in (REG, TOK)},
    **{f"{e}-x-forwarded-for": _both(forwarded_for, e) for e in (REG, TOK)},
    **{f"{e}-x-device-info": _both(device_header, e) for e in (REG, TOK)},
    "api-authorization": api_authorization,
    "envelope-limits": envelope_limits,
}


def cases(group: str, inputs: Inputs) -> list[Provocation]:
    return GROUPS[group](inputs)


# What a group's check cites: built from sample inputs, so the marks always match the cases.
_SAMPLE_CLAIMS = {
    "iss": "sample",
    "software_id": "sample",
    "software_version": "1.0",
    "client_name": "sample",
    "client_uri": "https://app.example.com",
    "iat": 0,
    "grant_types": ["client_credentials"],
    "redirect_uris": ["https://app.example.com/callback"],
    "scopes": [],
}
CLOSING = {REG: "REG-ERR-5", TOK: "TOK-ERR-5"}
SERVED = {REG: ("REG-OK-1", "REG-OK-2"), TOK: ("TOK-OK-1", "TOK-OK-2")}


def sample_inputs() -> Inputs:
    valid = forge.encode_unsigned({"alg": "RS256", "typ": "JWT", "kid": "sample"}, _SAMPLE_CLAIMS, "c2ln")
    target = Target(
        base_url="https://dcr.example",
        statements=Statements(valid=valid),
        allowed_redirect_uri="https://app.example.com/callback",
    )
    return Inputs(target, sample_credentials("sample-client", "sample-secret"))


def sample_credentials(client_id: str, client_secret: str) -> Credentials:
    """Credentials for listing cases without a target: their registration was never sent."""
    never_sent = Exchange("POST", "https://dcr.example/o/client/register", [], b"")
    return Credentials(client_id, client_secret, never_sent)


def requirements(group: str) -> list[str]:
    """Every requirement a group's cases cite or may judge (success members, the never-a-5xx rule)."""
    return cited_by(cases(group, sample_inputs()))


def cited_by(provocations: list[Provocation]) -> list[str]:
    """What a check sending these cases cites: each case's requirements, the never-a-5xx rule, the success members."""
    cited: dict[str, None] = {}
    for case in provocations:
        cited.update(dict.fromkeys(case.requirements))
        if case.endpoint in CLOSING:
            cited[CLOSING[case.endpoint]] = None
            if SUCCESS in case.permitted:
                cited.update(dict.fromkeys(SERVED[case.endpoint]))
    return list(cited)
