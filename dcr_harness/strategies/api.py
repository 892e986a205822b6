"""Authorization header mutations for the protected API (API-1..API-3).

Cases need a fresh valid token at send time (tokens may live only seconds), which the
context provides as `c.token()` (see conformance/test_properties.py).
"""

from __future__ import annotations

from hypothesis import strategies as st

from ..provocations import SUCCESS, P, Provocation
from .text import short

API = "api"
REJECTED = "401"


def _mutate_token(token: str, how: str, at: int, text: str) -> str:
    at %= max(1, len(token))
    if how == "truncated":
        return token[:max(1, at)]
    if how == "extended":
        return token + (text or "x")
    replacement = "A" if token[at] != "A" else "B"
    return token[:at] + replacement + token[at + 1:]


def api_cases() -> st.SearchStrategy[Provocation]:
    token_chars = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/"), min_size=1, max_size=6)
    rejected = st.one_of(
        st.tuples(st.sampled_from(["truncated", "extended", "one character changed"]), st.integers(0, 10**4), token_chars).map(
            lambda m: P("API-2 API-3", f"token {m[0]} ({m[1]}, {m[2]!r})", API, REJECTED,
                        lambda c: c.dcr.call_api(_mutate_token(c.token(), *m)))),
        st.sampled_from(["Basic", "Token", "MAC", "Bearer-", "Beare", "OAuth"]).map(
            lambda scheme: P("API-2 API-3", f"scheme {scheme!r}", API, REJECTED,
                             lambda c: c.dcr.call_api(authorization=f"{scheme} {c.token()}"))),
        token_chars.map(lambda t: P("API-2 API-3", f"unknown token {t!r}", API, REJECTED,
                                    lambda c: c.dcr.call_api("dcr-harness-unknown-" + t))),
        st.from_regex(r"\A([!-~]([ -~]{0,18}[!-~])?)?\Z").filter(lambda v: v.split(" ")[0].lower() != "bearer").map(lambda v: P("API-2 API-3", f"Authorization {short(v)}", API, REJECTED,
                                              lambda c: c.dcr.call_api(authorization=v))),
    )
    # RFC 7235 2.1: the scheme is case-insensitive; RFC 6750 2.1: one or more spaces before the token.
    served = st.tuples(st.sampled_from(["Bearer", "bearer", "BEARER", "bEaReR"]), st.integers(1, 3)).map(
        lambda s: P("API-1", f"scheme {s[0]!r} with {s[1]} space(s)", API, SUCCESS,
                    lambda c: c.dcr.call_api(authorization=f"{s[0]}{' ' * s[1]}{c.token()}")))
    return st.one_of(rejected, served)
