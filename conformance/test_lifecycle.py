"""A stateful model of the client lifecycle: register, token, API, revoke, expiry.

Hypothesis drives random sequences of the rules below against the target and checks the
model's invariants after every step:
- no two registrations share a client_id (REG-OK-3);
- good credentials always give a working token, again and again (TOK-OK-3, FLOW-4);
- credentials keep working until their statement is revoked; then tokens, credentials and
  registrations of it stop (API-2, TOK-ERR-2, REG-ERR-4);
- tokens work until expires_in and stop after it (API-1, API-4);
- one client's secret or token never authenticates another client (TOK-ERR-2).

A revocation is permanent on a target, so it happens at most once per run: the world
(module fixture) remembers it, and every later example models that application as revoked.
Runs last in the suite (conformance/conftest.py) so that the dedicated revocation check
keeps statements.revocable for itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from dcr_harness import checks
from dcr_harness.contract.statements import split
from dcr_harness.contract.target import Target
from dcr_harness.http import BudgetExceeded, DcrClient, Session
from dcr_harness.http.client import Credentials

LIVE_WAIT_LIMIT_S = 5  # the expiry rule runs only for tokens this short-lived
LIVE_MARGIN_S = 1.0  # a token this close to expiry is neither judged live nor expired
EXPIRY_GRACE_S = 1.5


@dataclass
class World:
    """What the target remembers across examples: whether statements.revocable is revoked."""

    revocable: str | None
    revoked: bool = False
    consequences: list[checks.Evidence] = field(default_factory=list)  # judged at the moment of revocation


@dataclass(frozen=True)
class Client:
    creds: Credentials | None  # None: the registration was refused (revoked application)
    revocable: bool

    def __repr__(self) -> str:
        return f"Client({self.creds.client_id if self.creds else None!r}, revocable={self.revocable})"


@dataclass(frozen=True)
class Token:
    value: str | None = field(repr=False)  # None: the token request was refused (revoked credentials)
    client: Client
    sent_at: float = 0.0
    received_at: float = 0.0
    expires_in: float = 0.0


class LifecycleMachine(RuleBasedStateMachine):
    """Every rule returns exactly one bundle element (refusals included), so replays draw alike."""

    session: Session
    target: Target
    world: World

    clients = Bundle("clients")
    tokens = Bundle("tokens")

    def __init__(self) -> None:
        super().__init__()
        # Each example is judged on its own; a breach fails the step it happened in (so that it shrinks).
        self._judging = checks.judged_apart()
        self.evidence = self._judging.__enter__()
        self.waited = False
        self.held: list[Token] = []  # tokens issued in this example, oldest first
        # Per example, not per run: a replay of a shrunk example must see what the first run saw.
        self.client_ids: set[str] = set()
        self.tokens_for: set[str] = set()  # clients that got a token in this example

    @invariant()
    def nothing_broke(self) -> None:
        checks.raise_if_breached(self.evidence)

    def teardown(self) -> None:
        self._judging.__exit__(None, None, None)

    def _client(self) -> DcrClient:
        return DcrClient(self.session)  # a fresh device per step: the throttle never interferes

    def _revoked(self, client: Client) -> bool:
        return client.revocable and self.world.revoked

    def _revocable(self) -> str:
        revocable = self.world.revocable
        assert revocable is not None, "the rules that use it have it as their precondition"
        return revocable

    def _registered(self, statement: str, revocable: bool) -> Client:
        ex = self._client().register(statement)
        if revocable and self.world.revoked:
            checks.oauth_error(ex, "register", {"unapproved_software_statement"}, ("REG-ERR-4",))
            return Client(None, revocable)
        body = checks.register_success(ex)
        if body["client_id"] in self.client_ids:
            checks.fail("REG-OK-3", f"client_id {body['client_id']!r} was issued twice", ex)
        self.client_ids.add(body["client_id"])
        return Client(Credentials(body["client_id"], body["client_secret"], ex), revocable)

    def _token(self, client: Client) -> Token:
        if client.creds is None:
            return Token(None, client)
        sent = time.monotonic()
        ex = self._client().token(client.creds.client_id, client.creds.client_secret)
        if self._revoked(client):
            checks.oauth_error(ex, "token", {"invalid_client"}, ("TOK-ERR-2",))
            return Token(None, client)
        # The first token is the plain one (TOK-OK-1); asking again is a refresh, whose refusal breaks TOK-OK-3.
        again = client.creds.client_id in self.tokens_for
        body = checks.token_success(ex, ("TOK-OK-3", "FLOW-4") if again else ())
        self.tokens_for.add(client.creds.client_id)
        token = Token(body["access_token"], client, sent, time.monotonic(), float(body["expires_in"]))
        self.held.append(token)
        return token

    def _judge_api(self, token: Token) -> None:
        if token.value is None or self.target.protected_api is None:
            return
        ex = self._client().call_api(token.value)
        now = time.monotonic()
        if self._revoked(token.client):
            checks.api_rejected(ex, ("API-2",))
        elif now > token.received_at + token.expires_in + EXPIRY_GRACE_S:
            checks.token_stopped_working(ex, token.expires_in)
            checks.api_rejected(ex, ("API-2",))
        elif now < token.sent_at + token.expires_in - LIVE_MARGIN_S:
            checks.api_accepted(ex)
        else:
            checks.no_server_error(ex, ("API-1",))  # at the edge of its lifetime: either answer

    @initialize(target=clients)
    def first_client(self):
        return self._registered(self.target.statements.valid, False)

    @rule(target=clients)
    def register(self):
        return self._registered(self.target.statements.valid, False)

    @precondition(lambda self: self.world.revocable is not None)
    @rule(target=clients)
    def register_revocable(self):
        return self._registered(self._revocable(), True)

    @rule(target=tokens, client=clients)
    def get_token(self, client):
        return self._token(client)

    @rule(client=clients)
    def refresh(self, client):
        """Asking twice with the same credentials gives two different tokens; the newer works (TOK-OK-3)."""
        first, second = self._token(client), self._token(client)
        if first.value is not None:
            checks.expect(
                first.value != second.value,
                ("TOK-OK-3", "FLOW-4"),
                "a second token request returned the same access token",
                what="two token requests with the same credentials, two different tokens",
            )
        self._judge_api(second)

    @rule(token=tokens)
    def call_api(self, token):
        self._judge_api(token)

    @rule(a=clients, b=clients, token=tokens, use_token=st.booleans())
    def cross_credentials(self, a, b, token, use_token):
        """a's client_id with b's secret, or with a token as the secret, never authenticates (TOK-ERR-2)."""
        if a.creds is None or b.creds is None or (use_token and token.value is None):
            return
        if a.creds.client_id == b.creds.client_id and not use_token:
            return
        secret = token.value if use_token else b.creds.client_secret
        checks.oauth_error(self._client().token(a.creds.client_id, secret), "token", {"invalid_client"}, ("TOK-ERR-2",))

    @precondition(lambda self: self.world.revocable is not None)
    @rule()
    def revoke(self):
        """Revoke the revocable application (once per run), then check its tokens and credentials stop."""
        if self.world.revoked:
            return
        if not any(t.client.revocable and t.value for t in self.held):
            self._token(self._registered(self._revocable(), True))  # something to watch stop working
        software_id = split(self._revocable())[1].get("software_id")
        ex = self._client().revoke(str(software_id))
        if ex.status is None or not 200 <= ex.status < 300:
            raise checks.CheckBlocked(
                f"the admin revocation hook answered {checks.answer(ex)}: check `admin.revoke_url` "
                "and `admin.token` in the target file",
                ex,
            )
        self.world.revoked = True
        # Revocation cannot be replayed (it is permanent): its consequences are reported after the run, unshrunk.
        with checks.judged_apart(merge=False) as consequences:
            for token in [t for t in self.held if t.client.revocable][-3:]:
                with checks.soft():
                    self._judge_api(token)
                with checks.soft():
                    self._token(token.client)
        self.world.consequences.append(consequences)

    @precondition(
        lambda self: not self.waited and self.held and 0 < (self.target.token_ttl_seconds or 0) <= LIVE_WAIT_LIMIT_S
    )
    @rule()
    def wait_for_expiry(self):
        """Let every token issued so far expire, then check the newest ones stop (API-4); once per example."""
        self.waited = True
        newest = self.held[-1]
        time.sleep(max(0.0, newest.received_at + newest.expires_in + EXPIRY_GRACE_S - time.monotonic()))
        for token in self.held[-3:]:
            self._judge_api(token)


@pytest.fixture(scope="module")
def world(http_session, target):
    revocable = target.statements.revocable if target.admin is not None else None  # needs both (TARGET.md)
    state = World(revocable)
    if revocable is not None:
        ex = DcrClient(http_session).register(revocable)
        state.revoked = ex.status == 400 and (ex.json() or {}).get("error") == "unapproved_software_statement"
    return state


@pytest.mark.req("REG-OK-3", "TOK-OK-3", "FLOW-4", "API-1", "API-2", "API-4", "TOK-ERR-2", "REG-ERR-4")
def test_client_lifecycle(http_session, target, world, seeded, check_record):
    """Random sequences of register, token, API calls, revocation and expiry keep the lifecycle invariants"""
    # What the target file leaves out of this check's reach is not covered here (the dedicated checks name the
    # key to add), not "exercised without a verdict": expiry needs short-lived tokens, revocation the admin hook.
    out_of_reach = {"API-4"} if not 0 < (target.token_ttl_seconds or 0) <= LIVE_WAIT_LIMIT_S else set()
    out_of_reach |= {"REG-ERR-4"} if world.revocable is None else set()
    if check_record is not None:
        check_record.requirements[:] = [r for r in check_record.requirements if r not in out_of_reach]
    LifecycleMachine.session, LifecycleMachine.target, LifecycleMachine.world = http_session, target, world
    bounded = settings(max_examples=max(3, settings().max_examples // 3), stateful_step_count=10)
    try:
        run_state_machine_as_test(seeded(LifecycleMachine), settings=bounded)
    except BudgetExceeded as exc:
        pytest.skip(str(exc))
    evidence = checks.current_evidence()
    for consequences in world.consequences:
        for found in consequences.breaches:
            curl = found.exchange.curl(http_session.masker) if found.exchange is not None else ""
            checks.breach(
                found.requirements, f"after revocation: {found.message}\n  reproduce with: {curl}", found.exchange
            )
        if evidence is not None:
            evidence.verified.update({r: v for r, v in consequences.verified.items() if r not in evidence.verified})
    if world.revocable is None:
        checks.not_verified(
            ("API-2", "TOK-ERR-2"),
            "not covered here: the revocation rules need `statements.revocable` and `admin` in the target file",
        )
    elif not world.consequences:
        checks.not_verified(
            ("TOK-ERR-2", "REG-ERR-4"),
            "the revocation rule did not run in this run's examples (or statements.revocable was already revoked)",
        )
