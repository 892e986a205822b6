"""Strings that break parsers: control characters, non-ASCII, overlong values, invalid UTF-8."""

from __future__ import annotations

from hypothesis import strategies as st

CONTROL = st.characters(min_codepoint=0x00, max_codepoint=0x1F)
NON_ASCII = st.characters(min_codepoint=0x80, max_codepoint=0x10FFFF, exclude_categories=["Cs"])

# Lengths far beyond any sensible parameter, but well under the usual 1 MiB body limit.
# An order of magnitude (256 to 64 Ki) and a length within it: every scale is tried early,
# and a failure shrinks to the smallest scale, then to the shortest length in it.
OVERLONG_LENGTH = st.integers(8, 15).flatmap(lambda e: st.integers(2**e, 2 ** (e + 1)))


def short(value: object, limit: int = 60) -> str:
    """repr of a value cut to `limit` characters, saying how long it was."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f"{len(value)} chars" if isinstance(value, (str, bytes)) else "long"
    return f"{text[:limit]}...({size})"


@st.composite
def with_inserted(draw: st.DrawFn, base: str, chars: st.SearchStrategy[str], min_size: int = 1) -> str:
    """`base` with characters drawn from `chars` inserted at a drawn position."""
    inserted = draw(st.text(chars, min_size=min_size, max_size=4))
    at = draw(st.integers(0, len(base)))
    return base[:at] + inserted + base[at:]


def nasty(base: str = "") -> st.SearchStrategy[str]:
    """Any text, or `base` spiked with control or non-ASCII characters."""
    return st.one_of(
        st.text(max_size=40),
        with_inserted(base, CONTROL),
        with_inserted(base, NON_ASCII),
    )


def overlong(prefix: str = "") -> st.SearchStrategy[str]:
    """`prefix` padded to an overlong value (shrinks towards the shortest that fails)."""
    return st.builds(lambda n, c: prefix + c * n, OVERLONG_LENGTH, st.sampled_from("aZ9-%"))


@st.composite
def invalid_utf8(draw: st.DrawFn, base: bytes) -> bytes:
    """`base` with a byte sequence that is never valid UTF-8 inserted at a drawn position."""
    bad = draw(
        st.sampled_from([b"\xff", b"\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80", b"\xe2\x82"])
    )
    at = draw(st.integers(0, len(base)))
    return base[:at] + bad + base[at:]
