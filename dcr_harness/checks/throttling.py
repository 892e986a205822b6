"""Judging a throttle timeline (THR-2..THR-6) against the contract's model, at the measured arrival times.

The server saw request i somewhere in [sent_i - rtt_0, sent_i + rtt_i] after the first one,
and a timeline fails only when no arrival times within those bounds explain it.
"""

from __future__ import annotations

from typing import Any

from ..contract.throttle_model import first_inconsistency
from .base import breach, held
from .throttle_lab import OTHER, THROTTLED, Shot, Timeline
from .throttle_scenarios import AFTER_429_S


def refusals_are_429(shots: list[Shot]) -> None:
    """THR-3: a request over the limit gets 429; any other refusal of a valid probe breaks it."""
    other = [s for s in shots if s.outcome == OTHER]
    if other:
        more = f"; {len(other) - 1} more like it" if len(other) > 1 else ""
        breach(
            "THR-3",
            f"a request over the limit was answered {other[0].exchange.status}, not 429 "
            f"Too Many Requests ({other[0].describe()}){more}",
            other[0].exchange,
        )
    for s in shots:
        if s.outcome == THROTTLED:
            held("THR-3", f"over the limit: 429 ({s.describe()})")


def inconsistency_requirement(tl: Timeline, shot: Shot, otherwise: str) -> str:
    """A refusal sent at least one second after the last 429 breaks THR-4; anything else `otherwise`."""
    last = tl.last_429_before(shot)
    if not shot.served and last is not None and shot.sent >= last.sent + last.rtt + AFTER_429_S:
        return "THR-4"
    return otherwise


def judge_timeline(tl: Timeline, lab_target: Any, requirement: str, what: str) -> bool:
    """The whole timeline against the contract's model at the measured arrival times."""
    profile = lab_target.throttle
    bad = first_inconsistency(
        [tl.arrival(s) for s in tl.shots], [s.served for s in tl.shots], profile.rate_per_s, profile.burst
    )
    if bad is None:
        held(requirement, what)
        return True
    shot = tl.shots[bad]
    lo, hi = tl.arrival(shot)
    req = inconsistency_requirement(tl, shot, requirement)
    breach(
        req,
        f"request {bad + 1} ({shot.describe()}) was {'served' if shot.served else 'refused'}, which "
        f"no arrival time within [{lo:.3f}, {hi:.3f}] s explains under {profile.rate_per_s}/s and a "
        f"one-time burst of {profile.burst}. Timeline: {tl.table()}",
        shot.exchange,
    )
    return False


def timing(tl: Timeline) -> str:
    errors = [abs(s.sent - s.planned) for s in tl.shots if s.planned is not None]
    rtts = [s.rtt for s in tl.shots]
    err = (
        f"timing error max {max(errors) * 1000:.1f} ms (mean {sum(errors) / len(errors) * 1000:.1f} ms), "
        if errors
        else ""
    )
    return f"{len(tl.shots)} requests, {err}round trip max {max(rtts) * 1000:.1f} ms"
