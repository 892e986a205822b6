"""Media types and Accept values, with the content negotiation oracle (REG-REQ-1/3, TOK-REQ-1/3)."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st

from ..checks.provocations import INVALID_REQUEST, SUCCESS

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
OTHER_TYPES = [
    "text/plain",
    "text/html",
    "application/xml",
    "multipart/form-data",
    "application/octet-stream",
    "application/jwt",
    "application/merge-patch+json",
    "text/json",
    "application/x-json",
]

_RANGES = [
    JSON,
    "application/json;charset=utf-8",
    "application/*",
    "*/*",
    "text/html",
    "application/xml",
    "text/*",
    "image/png",
    "application/problem+json",
]
_Q = [None, "0", "0.001", "0.5", "1", "1.0"]


def media_types_other_than(required: str) -> st.SearchStrategy[str]:
    """A Content-Type that is not `required` (any case, with or without parameters)."""
    others = [t for t in OTHER_TYPES + [JSON, FORM] if t != required]
    generated = st.from_regex(r"\A[a-z]{1,8}/[a-z0-9.+-]{1,12}\Z").filter(lambda t: t != required)
    return st.builds(
        lambda t, p: t + p,
        st.one_of(st.sampled_from(others), generated),
        st.sampled_from(["", "; charset=utf-8", ";q=1"]),
    )


def same_media_type(required: str) -> st.SearchStrategy[str]:
    """`required` written unusually but validly: case, parameters, whitespace (must be served)."""
    return st.builds(
        lambda case, p: case(required) + p,
        st.sampled_from([str.lower, str.upper, str.title]),
        st.sampled_from(["", "; charset=utf-8", ";charset=UTF-8", ' ; charset="utf-8"']),
    )


def _verdict(
    parts: list[tuple[str, float]], params_more_specific: bool, pick: Callable[[float, float], float] = max
) -> bool:
    best_rank, best_q = -1, 0.0
    for media, q in parts:
        bare = media.split(";")[0]
        rank = {JSON: 2, "application/*": 1, "*/*": 0}.get(bare, -1)
        if rank == 2 and ";" in media and params_more_specific:
            rank = 3
        if rank < 0:
            continue
        if rank > best_rank:
            best_rank, best_q = rank, q
        elif rank == best_rank:
            best_q = pick(best_q, q)
    return best_rank >= 0 and best_q > 0


def accept_permits(parts: list[tuple[str, str | None]]) -> frozenset[str]:
    """RFC 9110 12.5.1: the most specific matching range decides; q=0 excludes.

    Whether application/json;charset=utf-8 is more specific than application/json is
    left open, and so is which weight wins when equally specific ranges contradict each
    other (`application/json;q=0, application/json`): when readings disagree, both
    answers (serve, refuse) are permitted.
    """
    parsed = [(m, 1.0 if q is None else float(q)) for m, q in parts]
    verdicts = {_verdict(parsed, specific, pick) for specific in (True, False) for pick in (max, min)}
    return frozenset(({SUCCESS} if True in verdicts else set()) | ({INVALID_REQUEST} if False in verdicts else set()))


def accept_values() -> st.SearchStrategy[tuple[str, frozenset[str]]]:
    """(Accept header value, permitted answers)."""
    part = st.tuples(st.sampled_from(_RANGES), st.sampled_from(_Q))
    return st.lists(part, min_size=1, max_size=4).map(
        lambda parts: (", ".join(m + (f";q={q}" if q is not None else "") for m, q in parts), accept_permits(parts))
    )
