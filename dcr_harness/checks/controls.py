"""Positive controls: a refusal is evidence about what a request changed only when the plain request is served.

A provocation (one defect) or a variant (a header left out, an optional member) is judged
against the baseline of its endpoint: the valid request, sent once per run and endpoint
from a fresh device, reused, and counted in the budget like any request (the OpenID
suite's preconditions and Schemathesis' positive data acceptance are the models).

- the control is served: the answer to the provocation is judged as it is;
- the control is refused, and the provocation is answered alike (same status, same
  error code): the refusal says nothing about the provocation, so the case is "not
  verified: the control was refused too", and a variant that must be served is "blocked
  by" the baseline requirement; both exchanges go to the check's record;
- the control is refused, and the provocation is answered otherwise: the difference is
  the provocation's doing, so the answer is judged as it is.

When registration is refused, the token endpoint is still probed, with made-up
credentials: their control is the same request with nothing else wrong, whose answer
(`invalid_client` on a conforming server) tells apart what the provocation changed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..errors import CheckBlocked
from ..http.exchange import Exchange
from ..reasons import Reason, ReasonKind, blocked_by
from .base import not_verified

# The requirement a refused baseline of each endpoint breaks, named in "blocked by ...".
BASELINE_REQUIREMENT = {"register": "REG-OK-1", "token": "TOK-OK-1"}
# The control of token requests sent with made-up credentials (registration refused): the same request, nothing else wrong.
MADE_UP_CONTROL = "token-made-up"
# What a refused control shows broken: the baseline's requirement (made-up credentials stand in for a refused registration).
CONTROL_REQUIREMENT = {"register": "REG-OK-1", "token": "TOK-OK-1", MADE_UP_CONTROL: "REG-OK-1"}
MADE_UP_CLIENT_ID = "dcr-harness-made-up-client"
MADE_UP_SECRET = "dcr-harness-made-up-secret"
THROTTLED = 429


def served(ex: Exchange | None) -> bool:
    return ex is not None and ex.status is not None and 200 <= ex.status < 300


def answered_alike(a: Exchange, b: Exchange) -> bool:
    """Same status and same error code (or neither carries one): one answer, whatever was sent."""

    def code(ex: Exchange) -> object:
        body = ex.json()
        return body.get("error") if isinstance(body, dict) else None

    return a.status == b.status and code(a) == code(b)


class Controls:
    """The run's controls, sent lazily; `send[name]` sends one control request and returns its exchange
    (None when it cannot be sent: the token control needs a registration that is refused)."""

    def __init__(self, send: dict[str, Callable[[], Exchange | None]], file: Callable[[Exchange], None]) -> None:
        self._send = send
        self._file = file  # puts an exchange on the current check's record
        self._got: dict[str, Exchange | None] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Exchange | None:
        with self._lock:
            if name not in self._got:
                ex = self._send[name]()
                if ex is not None and ex.status == THROTTLED:
                    return None  # no control at this moment; asked again next time
                self._got[name] = ex
            return self._got[name]

    def file(self, ex: Exchange) -> None:
        self._file(ex)


_current: Controls | None = None


def install(controls: Controls | None) -> None:
    """The run's controls from now on (None: no controls, e.g. outside a conformance run)."""
    global _current
    _current = controls


def control(name: str) -> Exchange | None:
    return _current.get(name) if _current is not None else None


def refused_like_control(
    ex: Exchange, name: str, reqs: tuple[str, ...], what: str = "the control (the same request without the defect)"
) -> None:
    """Raise CheckBlocked (reqs not verified) when control `name` was refused and `ex` was answered alike."""
    __tracebackhide__ = True
    base = control(name)
    if base is None or served(base) or ex.status is None or not answered_alike(ex, base):
        return
    assert _current is not None
    _current.file(base)
    by = Reason(ReasonKind.CONTROL_REFUSED, CONTROL_REQUIREMENT.get(name, "REG-OK-1"))
    why = (
        f"{what} was refused too ({base.status} {_code(base)}; this request: {ex.status} {_code(ex)}), blocked by "
        f"{by.requirement}: the refusal says nothing about what this request changed"
    )
    not_verified(reqs, f"not verified: {why}", blocked=True, why=by)
    raise CheckBlocked(why, base, by)


def baseline_refused(endpoint: str, reqs: tuple[str, ...]) -> None:
    """A variant that must be served was refused: blocked by the baseline's requirement when the baseline is refused too."""
    __tracebackhide__ = True
    base = control(endpoint)
    if _current is None or served(base):
        return
    by = blocked_by("REG-OK-1" if base is None else BASELINE_REQUIREMENT[endpoint])
    if base is None:
        why = f"blocked by {by.requirement}: no credentials for the {endpoint} baseline (registration is refused)"
    else:
        _current.file(base)
        why = f"blocked by {by.requirement}: the baseline request is refused too ({base.status} {_code(base)})"
    not_verified(reqs, why, why=by)
    raise CheckBlocked(why, base, by)


def _code(ex: Exchange) -> str:
    body = ex.json()
    code = body.get("error") if isinstance(body, dict) else None
    return code if isinstance(code, str) else "(no error code)"
