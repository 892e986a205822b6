"""Sending one generated case inside a Hypothesis example, and reporting it reproducibly."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import note

from ..checks import CheckBlocked, CheckFailed, judged_apart, not_verified, raise_if_breached
from ..http import BudgetExceeded, DcrClient, Exchange, Session
from ..http.client import Credentials
from ..checks.provocations import Context, Provocation
from ..engine.shrink_budget import failure_seen
from .oracle import judge_case


class CaseContext(Context):
    """A provocation context with run-wide credentials and fresh tokens on demand."""

    def __init__(self, dcr: DcrClient, creds: Credentials | None) -> None:
        super().__init__(dcr)
        if creds is not None:
            self.__dict__["creds"] = creds  # the cached property, filled: credentials keep working (TOK-OK-3)

    def token(self) -> str:
        return self.dcr.token_ok(self.creds)[0]


def reproduction(session: Session, exchange: Exchange) -> str:
    return exchange.curl(session.masker)


def run_case(session: Session, case: Provocation, creds: Credentials | None = None) -> Exchange:
    """Send `case` from a fresh device and judge it; a failure carries the curl reproduction.

    A fresh device per example (function-scoped fixtures are not reset between examples)
    keeps every example inside its own throttle allowance. budget.max_requests turns into
    a skip of the whole property, which Hypothesis lets through.
    """
    dcr = DcrClient(session)
    try:
        exchange = case.send(CaseContext(dcr, creds))
    except BudgetExceeded as exc:
        pytest.skip(str(exc))
    try:
        # Judged on its own: every broken property is recorded, and the example fails visibly so that it shrinks.
        with judged_apart(latest_wins=True) as evidence:
            try:
                judge_case(case, exchange)
            except CheckFailed:
                pass  # recorded in evidence
            if evidence.breaches:
                # Masking is costly while secrets accumulate, so the reproduction is built for failures only.
                curl = reproduction(session, exchange)
                evidence.breaches[:] = [replace(b, message=f"{b.message}\n  case: {case.name}\n  reproduce with: {curl}")
                                        for b in evidence.breaches]
        raise_if_breached(evidence)
    except CheckBlocked:
        not_verified(case.requirements, "an example was answered 429 after pacing and one retry: not judged")
        note(f"case {case.id}: answered 429 after pacing and one retry: not judged")
    except CheckFailed as exc:
        failure_seen()
        note(f"case {case.id}: {exchange.describe()}")
        raise exc from None
    return exchange
