"""Authorization header mutations for the protected API (API-1..API-3).

Cases need a fresh valid token at send time (tokens may live only seconds), which the
context provides as `c.token()` (see conformance/test_properties.py).
"""

from __future__ import annotations

from hypothesis import strategies as st

from ..checks.provocations import SUCCESS, P, Provocation
from .text import short

API = "api"
REJECTED = "401"


B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
B64_EXTRA = {"+": "-", "/": "_"}  # standard Base64 letters, read as their base64url twins


def changed_character(c: str) -> str:
    """A character whose change alters the decoded bytes: the top bit of its 6-bit value flips.

    The last character of unpadded base64 carries 2 or 4 padding bits in its low bits, so
    A->B there can leave the token's bytes (and a server's verdict) unchanged.
    """
    index = B64URL.find(B64_EXTRA.get(c, c))
    return "A" if index < 0 else B64URL[index ^ 0b100000]


def _mutate_token(token: str, how: str, at: int, text: str) -> str:
    body = token.rstrip("=")  # padding carries nothing: cut and change real characters only
    at %= max(1, len(body))
    if how == "truncated":
        return body[: max(1, at)] if len(body) > 1 else ""
    if how == "extended":
        # Four or more base64url characters: a lenient base64 decoder neither skips nor drops them.
        return token + "".join(c if c in B64URL else "A" for c in text).ljust(4, "A")
    return body[:at] + changed_character(body[at]) + body[at + 1 :] + token[len(body) :]


def api_cases() -> st.SearchStrategy[Provocation]:
    token_chars = st.text(
        st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/"), min_size=1, max_size=6
    )
    rejected = st.one_of(
        st.tuples(
            st.sampled_from(["truncated", "extended", "one character changed"]), st.integers(0, 10**4), token_chars
        ).map(
            lambda m: P(
                "API-2 API-3",
                f"token {m[0]} ({m[1]}, {m[2]!r})",
                API,
                REJECTED,
                lambda c: c.dcr.call_api(_mutate_token(c.token(), *m)),
            )
        ),
        st.sampled_from(["Basic", "Token", "MAC", "Bearer-", "Beare", "OAuth"]).map(
            lambda scheme: P(
                "API-2 API-3",
                f"scheme {scheme!r}",
                API,
                REJECTED,
                lambda c: c.dcr.call_api(authorization=f"{scheme} {c.token()}"),
            )
        ),
        token_chars.map(
            lambda t: P(
                "API-2 API-3",
                f"unknown token {t!r}",
                API,
                REJECTED,
                lambda c: c.dcr.call_api("dcr-harness-unknown-" + t),
            )
        ),
        st.from_regex(r"\A([!-~]([ -~]{0,18}[!-~])?)?\Z")
        .filter(lambda v: v.split(" ")[0].lower() != "bearer")
        .map(
            lambda v: P(
                "API-2 API-3", f"Authorization {short(v)}", API, REJECTED, lambda c: c.dcr.call_api(authorization=v)
            )
        ),
    )
    # RFC 7235 2.1: the scheme is case-insensitive; RFC 6750 2.1: one or more spaces before the token.
    served = st.tuples(st.sampled_from(["Bearer", "bearer", "BEARER", "bEaReR"]), st.integers(1, 3)).map(
        lambda s: P(
            "API-1",
            f"scheme {s[0]!r} with {s[1]} space(s)",
            API,
            SUCCESS,
            lambda c: c.dcr.call_api(authorization=f"{s[0]}{' ' * s[1]}{c.token()}"),
        )
    )
    return st.one_of(rejected, served)
