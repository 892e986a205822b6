"""Register endpoint cases (REG-REQ-*, REG-ERR-1/2/5): bodies, repeats, media types, redirect URIs, extras."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

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
from ..contract.target import Target
from .negotiation import JSON, accept_values, media_types_other_than, same_media_type
from .text import invalid_utf8, nasty, overlong, short

REG = "register"
# RFC 7591 2 client metadata: a server may validate these, so "unknown extra member" avoids them.
KNOWN_MEMBERS = frozenset(
    {
        "software_statement",
        "redirect_uri",
        "redirect_uris",
        "token_endpoint_auth_method",
        "grant_types",
        "response_types",
        "client_name",
        "client_uri",
        "logo_uri",
        "scope",
        "contacts",
        "tos_uri",
        "policy_uri",
        "jwks_uri",
        "jwks",
        "software_id",
        "software_version",
    }
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
NON_STRINGS = JSON_VALUES.filter(lambda v: not isinstance(v, str))


def _send_bytes(content: bytes, headers: dict[str, str] | None = None):
    return lambda c: c.dcr.register(content=content, headers=headers)


def _body(valid: str, **members: Any) -> dict[str, Any]:
    return {"software_statement": valid, **members}


def _not_a_request(text: str) -> bool:
    try:
        doc = json.loads(text)
    except ValueError:
        return True
    return not (isinstance(doc, dict) and "software_statement" in doc)


def text_body_permitted(text: str) -> frozenset[str]:
    """Not JSON, or JSON that is no request: invalid_request; an object without a statement as missing_statement."""
    try:
        doc = json.loads(text)
    except ValueError:
        return frozenset({INVALID_REQUEST})
    return missing_statement_permitted(doc) if isinstance(doc, dict) else frozenset({INVALID_REQUEST})


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def redirect_permitted(value: Any) -> frozenset[str]:
    """A redirect_uri that is not a usable string: invalid_request (wrong type) or invalid_redirect_uri;
    null or "" may also be taken as not sent (the registration is served)."""
    return frozenset({INVALID_REQUEST, BAD_REDIRECT} | ({SUCCESS} if value in (None, "") else set()))


def missing_statement_permitted(body: dict[str, Any]) -> frozenset[str]:
    """No usable software_statement: invalid_request; a null or "" statement is also a malformed one
    (REG-ERR-3); a redirect_uri beside it is a second defect (no application allows it), so its code too."""
    codes = {INVALID_REQUEST}
    if "software_statement" in body:
        codes |= STATEMENT_OR_REQUEST
    if "redirect_uri" in body:
        codes.add(BAD_REDIRECT)
    return frozenset(codes)


def utf8_damage_permitted(good: bytes, damaged: bytes, statement: str) -> frozenset[str]:
    """Invalid UTF-8 inside the statement's value may be judged a malformed statement (lenient decoders)."""
    at = next((i for i, (a, b) in enumerate(zip(good, damaged, strict=False)) if a != b), len(good))
    start = good.index(statement.encode())
    return STATEMENT_OR_REQUEST if start <= at <= start + len(statement) else frozenset({INVALID_REQUEST})


def malformed_bodies(valid: str) -> st.SearchStrategy[Provocation]:
    """Invalid JSON, wrong top-level or member types, truncation, nesting, invalid UTF-8 (REG-ERR-1)."""
    good = json.dumps(_body(valid)).encode()
    reqs = "REG-ERR-1 REG-REQ-5"
    return st.one_of(
        st.text(max_size=60)
        .filter(_not_a_request)
        .map(lambda t: P(reqs, f"body {short(t)}", REG, text_body_permitted(t), _send_bytes(t.encode()))),
        st.one_of(
            st.lists(st.just(valid), max_size=2), st.just(valid), NON_STRINGS.filter(lambda v: not isinstance(v, dict))
        ).map(
            lambda v: P(
                reqs,
                f"top-level {type(v).__name__} {short(v)}",
                REG,
                INVALID_REQUEST,
                _send_bytes(json.dumps(v).encode()),
            )
        ),
        NON_STRINGS.map(
            lambda v: P(
                reqs,
                f"software_statement={short(v)}",
                REG,
                STATEMENT_OR_REQUEST,
                _send_bytes(json.dumps({"software_statement": v}).encode()),
            )
        ),
        NON_STRINGS.map(
            lambda v: P(
                "REG-ERR-1 REG-ERR-2",
                f"redirect_uri={short(v)}",
                REG,
                redirect_permitted(v),
                _send_bytes(json.dumps(_body(valid, redirect_uri=v)).encode()),
            )
        ),
        st.integers(0, len(good) - 1).map(
            lambda k: P(
                reqs, f"body truncated to {k} of {len(good)} bytes", REG, INVALID_REQUEST, _send_bytes(good[:k])
            )
        ),
        st.integers(1, 5000).map(
            lambda d: P(
                reqs, f"top-level array nested {d} deep", REG, INVALID_REQUEST, _send_bytes(_nested(d).encode())
            )
        ),
        invalid_utf8(good).map(
            lambda b: P(reqs, f"invalid UTF-8 {short(b)}", REG, utf8_damage_permitted(good, b, valid), _send_bytes(b))
        ),
    )


def odd_statements() -> st.SearchStrategy[Provocation]:
    """Statements that are not JWTs at all: long, control or non-ASCII characters (REG-ERR-3)."""
    return st.one_of(overlong(), nasty("eyJhbGciOiJSUzI1NiJ9")).map(
        lambda s: P(
            "REG-ERR-3 REG-ERR-1",
            f"software_statement={short(s)}",
            REG,
            STATEMENT_OR_REQUEST,
            _send_bytes(json.dumps({"software_statement": s}).encode()),
        )
    )


def repeated_members(valid: str, allowed_redirect: str | None = None) -> st.SearchStrategy[Provocation]:
    """Duplicate JSON members, same or different value, in any order (REG-ERR-1).

    A value that is itself defective (a changed statement, a redirect_uri the application does
    not allow) is a second defect, so its code is permitted too.
    """
    redirect = allowed_redirect or "https://app.example.com/callback"
    second_defect = {"software_statement": BAD_STATEMENT, "redirect_uri": BAD_REDIRECT}

    def build(name: str, same: bool, first: bool) -> Provocation:
        value = {"software_statement": valid, "redirect_uri": redirect}[name]
        other = value if same else value + "x"
        members = [(name, value), (name, other)] if first else [(name, other), (name, value)]
        if name == "redirect_uri":
            members.insert(0, ("software_statement", valid))
        content = ("{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in members) + "}").encode()
        defective = not same or (name == "redirect_uri" and allowed_redirect is None)
        permitted = {INVALID_REQUEST, second_defect[name]} if defective else {INVALID_REQUEST}
        return P(
            "REG-ERR-1",
            f"{name} twice ({'same' if same else 'different'} values)",
            REG,
            permitted,
            _send_bytes(content),
        )

    return st.builds(build, st.sampled_from(["software_statement", "redirect_uri"]), st.booleans(), st.booleans())


def query_and_body(valid: str) -> st.SearchStrategy[Provocation]:
    """software_statement also in the query string: ignored or refused, never a 5xx (REG-REQ-5)."""
    return nasty("x").map(
        lambda q: P(
            "REG-REQ-5 REG-ERR-1",
            f"query software_statement={short(q)}",
            REG,
            {SUCCESS, INVALID_REQUEST},
            lambda c: c.dcr.send(
                "POST",
                c.target.register_path,
                query=[("software_statement", q)],
                headers={"Content-Type": JSON, "Accept": JSON},
                content=json.dumps(_body(valid)).encode(),
            ),
        )
    )


def media_types() -> st.SearchStrategy[Provocation]:
    """Content-Type other than JSON (REG-REQ-1), JSON written unusually (served), and Accept values (REG-REQ-3)."""
    return st.one_of(
        media_types_other_than(JSON).map(
            lambda t: P(
                "REG-REQ-1 REG-ERR-1",
                f"Content-Type {t!r}",
                REG,
                INVALID_REQUEST,
                lambda c: c.dcr.register(headers={"Content-Type": t}),
            )
        ),
        same_media_type(JSON).map(
            lambda t: P(
                "REG-REQ-1 REG-OK-1",
                f"Content-Type {t!r}",
                REG,
                SUCCESS,
                lambda c: c.dcr.register(headers={"Content-Type": t}),
            )
        ),
        accept_values().map(
            lambda a: P(
                "REG-REQ-3 REG-ERR-1",
                f"Accept {a[0]!r}",
                REG,
                set(a[1]),
                lambda c: c.dcr.register(headers={"Accept": a[0]}),
            )
        ),
    )


def _redirects(allowed: str) -> st.SearchStrategy[tuple[str, str, set[str]]]:
    bad = {BAD_REDIRECT}
    return st.one_of(
        st.from_regex(r"\A/[a-z0-9/]{0,20}\Z").map(lambda u: ("relative", u, bad)),
        st.text(max_size=12).map(lambda f: ("fragment", allowed + "#" + f, bad)),
        st.from_regex(r"\A[a-z ]{1,20}\Z").map(lambda u: ("not a URI", u, bad)),
        st.sampled_from(
            [
                "javascript:alert(1)",
                "data:text/html,<script>alert(1)</script>",
                "JavaScript:void(0)",
                "vbscript:msgbox(1)",
                "file:///etc/passwd",
            ]
        ).map(lambda u: ("dangerous scheme", u, bad)),
        overlong(allowed + "?p=").map(lambda u: ("overlong", u, {BAD_REDIRECT, INVALID_REQUEST})),
        nasty(allowed).filter(lambda u: u != allowed).map(lambda u: ("odd characters", u, set(redirect_permitted(u)))),
    )


def redirect_uris(target: Target) -> st.SearchStrategy[Provocation]:
    """redirect_uri values that are not absolute or not registered (REG-ERR-2)."""
    allowed = target.allowed_redirect_uri or "https://app.example.com/callback"
    return _redirects(allowed).map(
        lambda r: P(
            "REG-ERR-2", f"redirect_uri {r[0]}: {short(r[1])}", REG, r[2], lambda c: c.dcr.register(redirect_uri=r[1])
        )
    )


def missing_statement() -> st.SearchStrategy[Provocation]:
    """Any body without software_statement, the one required member (REG-REQ-5, REG-ERR-1)."""
    members = st.dictionaries(st.sampled_from(sorted(KNOWN_MEMBERS - {"software_statement"})), JSON_VALUES, max_size=3)
    empty = st.sampled_from([None, ""]).map(lambda v: {"software_statement": v})
    return st.one_of(members, st.builds(lambda a, b: {**a, **b}, members, empty)).map(
        lambda body: P(
            "REG-REQ-5 REG-ERR-1",
            f"body {short(body)}",
            REG,
            missing_statement_permitted(body),
            _send_bytes(json.dumps(body).encode()),
        )
    )


def extra_members(valid: str) -> st.SearchStrategy[Provocation]:
    """Unknown members should be ignored (RFC 7591 2, REG-REQ-5): served, or a 400 that is a SHOULD finding."""
    names = st.text(min_size=1, max_size=20).filter(lambda k: k not in KNOWN_MEMBERS)
    return st.dictionaries(names, JSON_VALUES, min_size=1, max_size=3).map(
        lambda extra: P(
            "REG-REQ-5 REG-OK-1",
            f"extra members {short(extra, 120)}",
            REG,
            {SUCCESS, REFUSAL_IS_FINDING},
            _send_bytes(json.dumps({**extra, "software_statement": valid}).encode()),
        )
    )
