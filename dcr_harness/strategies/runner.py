"""Sending generated cases (a Hypothesis example, or the coverage phase's catalogue) and reporting them reproducibly."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import note

from ..checks import (
    CheckBlocked,
    CheckFailed,
    Evidence,
    answer,
    controls,
    current_evidence,
    judged_apart,
    not_verified,
    raise_if_breached,
)
from ..checks.provocations import Context, Provocation
from ..engine.shrink_budget import failure_seen
from ..http import BudgetExceeded, DcrClient, Exchange, Session
from ..http.client import Credentials
from ..reasons import blocked_by
from .oracle import judge_case

# The phases of a generated check, as results.json and the console name them: the catalogue (coverage), the
# random search up to the check's first failure (generate), and every example after it (shrink: shrinking, and in
# a profile that reports multiple bugs, the search for more).
COVERAGE, GENERATE, SHRINK = "coverage", "generate", "shrink"
NEAR_MISS = "near-miss"  # the near-miss catalogue (strategies/near_miss.py), sent like the coverage one


class CaseContext(Context):
    """A provocation context with run-wide credentials (its tokens are fresh ones for them)."""

    def __init__(self, dcr: DcrClient, creds: Credentials | None) -> None:
        super().__init__(dcr)
        if creds is not None:
            self.__dict__["creds"] = creds  # the cached property, filled: credentials keep working (TOK-OK-3)


def case_record(case: Provocation) -> dict[str, object]:
    """What `dcr-harness replay` needs to judge the case's request again: its requirements and permitted answers."""
    return {
        "id": case.id,
        "name": case.name,
        "endpoint": case.endpoint,
        "requirements": list(case.requirements),
        "permitted": sorted(case.permitted),
    }


def reproduction(session: Session, exchange: Exchange) -> str:
    return exchange.curl(session.masker)


def count_case(phase: str) -> None:
    """One more case sent by the current check in this phase (recorded per check, shown per run)."""
    evidence = current_evidence()
    if evidence is not None:
        evidence.cases[phase] = evidence.cases.get(phase, 0) + 1


def _send(session: Session, case: Provocation, creds: Credentials | None) -> Exchange:
    """Send `case` from a fresh device: function-scoped fixtures are not reset between examples, and a fresh
    device keeps every case inside its own throttle allowance. budget.max_requests skips the whole check."""
    try:
        return case.send(CaseContext(DcrClient(session), creds))
    except BudgetExceeded as exc:
        pytest.skip(str(exc))


def credentials_dead(session: Session, case: Provocation, exchange: Exchange, creds: Credentials | None) -> str | None:
    """Why a token case's breaches are no evidence: the credentials it was sent with no longer work. A case
    is judged on credentials known to work at that moment: when it breaks something, the same credentials'
    plain token request (a positive control) is sent; refused too, the refusal is the credentials' doing."""
    refused = exchange.status is not None and 400 <= exchange.status < 500 and exchange.status != 429
    if case.endpoint != "token" or creds is None or not refused:
        return None  # dead credentials show as a refusal; a served or crashed case is judged as it is
    control = DcrClient(session).token(creds.client_id, creds.client_secret)
    if controls.served(control) or control.status in (None, 429) or control.status >= 500:
        return None  # the credentials work, or the control itself says nothing (throttled, crashed)
    control.note = "positive control: the case's credentials, in a plain token request"
    return (
        f"blocked by TOK-OK-3: the case's credentials no longer work (their plain token request is refused: "
        f"{answer(control)}), so the answer says nothing about what the case changed"
    )


def _judge(
    session: Session, case: Provocation, exchange: Exchange, latest_wins: bool, creds: Credentials | None = None
) -> Evidence | None:
    """Judge on its own, then merge into the check's evidence: every broken property is recorded, each with
    the case and its curl reproduction. None when the case could not be judged (a 429 after pacing and one retry,
    or credentials that stopped working)."""
    try:
        with judged_apart(latest_wins=latest_wins) as evidence:
            try:
                judge_case(case, exchange)
            except CheckFailed:
                pass  # recorded in evidence
            dead = credentials_dead(session, case, exchange, creds) if evidence.breaches or evidence.findings else None
            if dead is not None:
                evidence.breaches.clear()
                evidence.findings.clear()
                evidence.verified.clear()
                not_verified(
                    case.requirements, f"a case was not judged: {dead}", blocked=True, why=blocked_by("TOK-OK-3")
                )
                return None
            if evidence.breaches:
                # Masking is costly while secrets accumulate, so the reproduction is built for failures only.
                curl = reproduction(session, exchange)
                exchange.case = case_record(case)
                evidence.breaches[:] = [
                    replace(b, message=f"{b.message}\n  case: {case.name}\n  reproduce with: {curl}")
                    for b in evidence.breaches
                ]
    except CheckBlocked as exc:
        not_verified(case.requirements, f"a case was not judged: {exc}", why=exc.reason)
        return None
    return evidence


def run_case(session: Session, case: Provocation, creds: Credentials | None = None) -> Exchange:
    """Send one generated example and judge it; a failure carries the curl reproduction and fails the example
    (so that Hypothesis shrinks it). Breaches are kept per kind, the latest (the shrunk one) winning."""
    evidence = current_evidence()
    count_case(SHRINK if evidence is not None and evidence.breaches else GENERATE)
    exchange = _send(session, case, creds)
    judged = _judge(session, case, exchange, latest_wins=True, creds=creds)
    if judged is None:
        note(f"case {case.id}: not judged (blocked)")
        return exchange
    try:
        raise_if_breached(judged)
    except CheckFailed as exc:
        failure_seen()
        note(f"case {case.id}: {exchange.describe()}")
        raise exc from None
    return exchange


def cover(session: Session, cases: list[Provocation], creds: Credentials | None = None, phase: str = COVERAGE) -> None:
    """The coverage phase: send every case once, in order, and judge each; every breach is recorded (the
    check fails at its end with all of them), none stops the others."""
    for case in cases:
        count_case(phase)
        _judge(session, case, _send(session, case, creds), latest_wins=False, creds=creds)
