"""Secret values by reference: a statement, client secret, access token or admin token, and
anything a check derives from one.

`Secret` and `Derived` are `str` subclasses, so the wire sees exactly the bytes it always
did (json.dumps, urlencode, f-strings and `str()` give the plain value). What changes is
every way a value is *shown*: repr() (pytest assertion texts, Hypothesis' falsifying
examples, `short()` in case names) prints `${DCR_SOFTWARE_STATEMENT}` or a description of
the mutation, never the bytes. Slicing, concatenation, splitting, stripping, case changes
and replacement of a secret keep the result marked as derived from it.

The bytes of an exchange are masked by the run's Masker (http/masking.py), which knows every
Secret the run met and finds each stretch of one (or of an encoding of one) by alignment.
"""

from __future__ import annotations

from typing import Any, SupportsIndex

KIND_VARIABLES = {
    "software_statement": "DCR_SOFTWARE_STATEMENT",
    "client_secret": "DCR_CLIENT_SECRET",
    "access_token": "DCR_ACCESS_TOKEN",
    "refresh_token": "DCR_REFRESH_TOKEN",
    "admin_token": "DCR_ADMIN_TOKEN",
    "id_token": "DCR_ID_TOKEN",
    "secret": "DCR_SECRET",
}
# Kinds whose value is a JWS: only the signature is sensitive (header and claims are readable
# by anyone who holds the value, and a forgery that drops the signature carries no secret).
SIGNED_KINDS = frozenset({"software_statement", "id_token"})


def sensitive_span(value: str, kind: str) -> tuple[int, int]:
    """The part of a value that must never be shown: a JWT's signature; the whole of anything else."""
    if kind in SIGNED_KINDS and value.count(".") == 2:
        start = value.rindex(".") + 1
        if len(value) - start >= 16:  # an unsigned or oddly short "signature": keep all of it secret
            return start, len(value)
    return 0, len(value)


def _show(value: object, limit: int = 40) -> str:
    if isinstance(value, _Traced):
        return value.describe()
    text = repr(value)
    return (
        text
        if len(text) <= limit
        else f"{text[:limit]}...({len(value) if isinstance(value, (str, bytes)) else '?'} chars)"
    )


class _Traced(str):
    """The operations that keep a value marked as derived from a secret."""

    def describe(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def source(self) -> Secret:  # pragma: no cover - overridden
        raise NotImplementedError

    def _derive(self, value: str, how: str) -> Derived:
        return Derived(value, self.source(), how)

    def __repr__(self) -> str:
        return self.describe()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # Hypothesis' falsifying examples
        printer.text(self.describe())

    def __getitem__(self, key: Any) -> Derived:
        if isinstance(key, slice):
            bounds = ["" if b is None else str(b) for b in (key.start, key.stop, key.step)]
            how = f"{self.describe()}[{':'.join(bounds if key.step is not None else bounds[:2])}]"
        else:
            how = f"{self.describe()}[{key}]"
        return self._derive(str.__getitem__(self, key), how)

    def __add__(self, other: str) -> Derived:
        return self._derive(str.__add__(self, other), f"{self.describe()} + {_show(other)}")

    def __radd__(self, other: str) -> Derived:
        return self._derive(str.__add__(other, self), f"{_show(other)} + {self.describe()}")

    def __mul__(self, n: Any) -> Derived:
        return self._derive(str.__mul__(self, n), f"{self.describe()} * {n}")

    # split and rsplit return Derived parts, typed list[str] as str's are (a list[Derived] is no list[str]).
    def split(self, sep: str | None = None, maxsplit: SupportsIndex = -1) -> list[str]:
        parts = str.split(self, sep, maxsplit)
        return [self._derive(p, f"{self.describe()} part {i} split on {sep!r}") for i, p in enumerate(parts)]

    def rsplit(self, sep: str | None = None, maxsplit: SupportsIndex = -1) -> list[str]:
        parts = str.rsplit(self, sep, maxsplit)
        return [self._derive(p, f"{self.describe()} part {i} rsplit on {sep!r}") for i, p in enumerate(parts)]

    def strip(self, chars: Any = None) -> Derived:
        return self._derive(
            str.strip(self, chars), self.describe() if str.strip(self, chars) == self else f"{self.describe()} stripped"
        )

    def lstrip(self, chars: Any = None) -> Derived:
        return self._derive(str.lstrip(self, chars), f"{self.describe()} lstripped")

    def rstrip(self, chars: Any = None) -> Derived:
        return self._derive(str.rstrip(self, chars), f"{self.describe()} rstripped")

    def upper(self) -> Derived:
        return self._derive(str.upper(self), f"{self.describe()} upper-cased")

    def lower(self) -> Derived:
        return self._derive(str.lower(self), f"{self.describe()} lower-cased")

    def swapcase(self) -> Derived:
        return self._derive(str.swapcase(self), f"{self.describe()} case-swapped")

    def replace(self, old: str, new: str, count: SupportsIndex = -1) -> Derived:
        return self._derive(
            str.replace(self, old, new, count), f"{self.describe()} with {_show(old)} replaced by {_show(new)}"
        )

    def __reduce__(self) -> Any:  # pickled (Hypothesis database, multiprocessing) as the plain value
        return (str, (str(self),))


class Secret(_Traced):
    """A value that must never be shown: kind, the shell variable reports use, where it came from."""

    kind: str
    origin: str
    variable: str | None

    def __new__(cls, value: str, kind: str = "secret", origin: str = "", variable: str | None = None) -> Secret:
        obj = super().__new__(cls, value)
        obj.kind, obj.origin, obj.variable = kind, origin, variable
        return obj

    @property
    def sensitive(self) -> tuple[int, int]:
        return sensitive_span(str(self), self.kind)

    def source(self) -> Secret:
        return self

    def describe(self) -> str:
        return "${" + self.variable + "}" if self.variable else f"<{self.kind} {self.origin or 'secret'}>"


class Derived(_Traced):
    """A mutation of a secret (splice, truncation, re-encoding, ...), shown as its description."""

    of: Secret
    how: str

    def __new__(cls, value: str, of: Secret, how: str) -> Derived:
        obj = super().__new__(cls, value)
        obj.of, obj.how = of, how
        return obj

    def source(self) -> Secret:
        return self.of

    def describe(self) -> str:
        return self.how


def secret_of(value: object) -> Secret | None:
    """The secret a value is or derives from, if any."""
    return value.source() if isinstance(value, _Traced) else None
