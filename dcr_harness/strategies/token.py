"""Token endpoint cases (TOK-REQ-*, TOK-ERR-1..5): form bodies judged by the token model of oracle.py."""

from __future__ import annotations

from hypothesis import strategies as st

from ..checks.provocations import INVALID_REQUEST, REFUSAL_IS_FINDING, SUCCESS, P, Provocation
from ..http.client import Credentials, encode_form
from .negotiation import FORM, accept_values, media_types_other_than, same_media_type
from .oracle import GRANT, REQUIRED_TOKEN_PARAMS, form_permitted, token_permitted
from .text import nasty, overlong, short

TOK = "token"
REQS = "TOK-REQ-2 TOK-ERR-1"
# Parameters with an OAuth meaning: a server may act on them, so "unknown extra field" avoids them.
KNOWN_FIELDS = frozenset(REQUIRED_TOKEN_PARAMS) | {
    "scope",
    "client_assertion",
    "client_assertion_type",
    "code",
    "redirect_uri",
    "username",
    "password",
    "refresh_token",
    "code_verifier",
    "resource",
    "audience",
    "device_code",
    "assertion",
}

Pairs = list[tuple[str, str]]


def _good(creds: Credentials) -> Pairs:
    return [("client_id", creds.client_id), ("client_secret", creds.client_secret), ("grant_type", GRANT)]


def _form_case(reqs: str, name: str, creds: Credentials, pairs: Pairs) -> Provocation:
    permitted = token_permitted(pairs, creds.client_id, creds.client_secret)
    return P(reqs, name, TOK, set(permitted), lambda c: c.dcr.token(form=pairs))


def missing_params(creds: Credentials) -> st.SearchStrategy[Provocation]:
    """Some required parameters omitted or sent empty (TOK-REQ-2: empty counts as omitted).

    One parameter is always damaged; others sometimes too, so single defects come first.
    """
    damage = st.sampled_from(["omitted", "empty"])
    first = st.tuples(st.integers(0, 2), damage)
    more = st.lists(st.tuples(st.integers(0, 2), damage), max_size=2)

    def build(damaged: list[tuple[int, str]], order: list[int]) -> Provocation:
        good, state = _good(creds), dict(damaged)
        pairs = [
            (good[i][0], "" if state.get(i) == "empty" else good[i][1]) for i in order if state.get(i) != "omitted"
        ]
        label = ", ".join(f"{good[i][0]} {state[i]}" for i in sorted(state))
        return _form_case(REQS, label, creds, pairs)

    return st.builds(lambda f, m, order: build([f, *m], order), first, more, st.permutations(range(3)))


def repeated_params(creds: Credentials) -> st.SearchStrategy[Provocation]:
    """A parameter repeated, with the same or another value, anywhere in the body (TOK-ERR-1)."""

    def build(index: int, other: str | None, at: int, extra_first: bool) -> Provocation:
        good = _good(creds)
        name, value = good[index]
        pairs = list(good)
        pairs.insert(at, (name, value if other is None else other))
        return _form_case(
            "TOK-ERR-1", f"{name} repeated ({'same value' if other is None else short(other)}) at {at}", creds, pairs
        )

    return st.builds(build, st.integers(0, 2), st.none() | st.text(max_size=10), st.integers(0, 3), st.booleans())


def grant_types(creds: Credentials) -> st.SearchStrategy[Provocation]:
    """Grant types other than client_credentials (TOK-ERR-3, TOK-ERR-4; invalid_request too when also malformed)."""
    known = st.sampled_from(
        [
            "password",
            "authorization_code",
            "refresh_token",
            "implicit",
            "CLIENT_CREDENTIALS",
            "client_credentials ",
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
        ]
    )
    grants = st.one_of(known, nasty(GRANT)).filter(lambda g: g and g != GRANT)
    return grants.map(
        lambda g: _form_case(
            "TOK-ERR-3 TOK-ERR-4", f"grant_type={short(g)}", creds, [*_good(creds)[:2], ("grant_type", g)]
        )
    )


def odd_values(creds: Credentials) -> st.SearchStrategy[Provocation]:
    """client_id/client_secret overlong or with control and non-ASCII characters (TOK-ERR-2, TOK-ERR-1)."""

    def build(index: int, value: str) -> Provocation:
        pairs = _good(creds)
        pairs[index] = (pairs[index][0], value)
        return _form_case("TOK-ERR-2 TOK-ERR-1", f"{pairs[index][0]}={short(value)}", creds, pairs)

    return st.builds(build, st.integers(0, 1), st.one_of(overlong(), nasty(creds.client_id)).filter(bool))


def raw_bodies(creds: Credentials) -> st.SearchStrategy[Provocation]:
    """Arbitrary bytes, and the good body truncated (TOK-ERR-1; judged by the form model)."""
    good = encode_form(_good(creds))

    def build(label: str, content: bytes) -> Provocation:
        permitted = form_permitted(content, creds.client_id, creds.client_secret)
        return P(REQS, label, TOK, set(permitted), lambda c: c.dcr.token(content=content))

    return st.one_of(
        st.binary(max_size=60).map(lambda b: build(f"body {short(b)}", b)),
        st.integers(0, len(good) - 1).map(lambda k: build(f"body truncated to {k} of {len(good)} bytes", good[:k])),
    )


def query_and_body(creds: Credentials) -> st.SearchStrategy[Provocation]:
    """A parameter both in the query string and in the body: ignored, refused as repeated, or (the contract
    only says a server *may* ignore the query) used in place of the body's value (TOK-REQ-2, TOK-ERR-1)."""

    def build(index: int, value: str | None) -> Provocation:
        good = _good(creds)
        query = [(good[index][0], good[index][1] if value is None else value)]
        used = [query[0] if i == index else pair for i, pair in enumerate(good)]
        permitted = {SUCCESS, INVALID_REQUEST} | token_permitted(used, creds.client_id, creds.client_secret)
        return P(
            REQS,
            f"query {query[0][0]}={short(query[0][1])} and body",
            TOK,
            permitted,
            lambda c: c.dcr.token(form=good, query=query),
        )

    return st.builds(build, st.integers(0, 2), st.none() | nasty("x"))


def media_types(creds: Credentials) -> st.SearchStrategy[Provocation]:
    """Content-Type other than form encoding (TOK-REQ-1), form written unusually (served), Accept values (TOK-REQ-3)."""
    good = _good(creds)
    return st.one_of(
        media_types_other_than(FORM).map(
            lambda t: P(
                "TOK-REQ-1 TOK-ERR-1",
                f"Content-Type {t!r}",
                TOK,
                INVALID_REQUEST,
                lambda c: c.dcr.token(form=good, headers={"Content-Type": t}),
            )
        ),
        same_media_type(FORM).map(
            lambda t: P(
                "TOK-REQ-1 TOK-OK-1",
                f"Content-Type {t!r}",
                TOK,
                SUCCESS,
                lambda c: c.dcr.token(form=good, headers={"Content-Type": t}),
            )
        ),
        accept_values().map(
            lambda a: P(
                "TOK-REQ-3 TOK-ERR-1",
                f"Accept {a[0]!r}",
                TOK,
                set(a[1]),
                lambda c: c.dcr.token(form=good, headers={"Accept": a[0]}),
            )
        ),
    )


def extra_fields(creds: Credentials) -> st.SearchStrategy[Provocation]:
    """Unknown parameters should be ignored (RFC 6749 3.2, TOK-REQ-2): a token, or a 400 that is a SHOULD finding."""
    names = st.from_regex(r"\A[a-z][a-z0-9_]{0,12}\Z").filter(lambda n: n not in KNOWN_FIELDS)
    extras = st.lists(st.tuples(names, st.text(max_size=30)), min_size=1, max_size=3, unique_by=lambda p: p[0])

    def build(extra: Pairs, at: int) -> Provocation:
        pairs = _good(creds)
        pairs[at:at] = extra
        return P(
            "TOK-REQ-2 TOK-OK-1",
            f"extra fields {short(extra, 120)}",
            TOK,
            {SUCCESS, REFUSAL_IS_FINDING},
            lambda c: c.dcr.token(form=pairs),
        )

    return st.builds(build, extras, st.integers(0, 3))
