"""The judges of a client certification: per request and per sequence, each citing what it enforces.

Each judge is a check over the recorded traffic: it records what held and what broke
(dcr_harness.checks), and says why a requirement was not exercised. A finding keeps the
offending requests (the Judging's exchanges), which the report shows masked, with curl.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import checks
from ..contract import schemas
from ..contract.device_info import DeviceInfoError, decode
from ..http.exchange import Exchange
from .parse import bearer_of, client_id_of, kind
from .refusals import explain
from .rules import (
    ACCEPT_RULE,
    CONTENT_TYPES,
    accept_ok,
    accepts,
    content_type_ok,
    content_types,
    endpoint_kind,
    register_body_problem,
    token_params_problem,
)
from .scenarios import RESTART_MARKER_PATH
from .traffic import Token, Traffic

# CLI-3 ("use it until it expires; obtain a new one before expiry") leaves the client the choice of when
# to renew; a token per call is what it rules out. The room accepted: a renewal (its first attempt, a
# refused or throttled one included) at any time in the last RENEW_ROOM share of the lifetime, widened
# by CLOCK_TOLERANCE_S for clients that count whole seconds (Authlib: expires_at = int(time.time()) +
# expires_in), and before expiry. Expiry is the answer's departure + expires_in: the client cannot know
# it earlier.
RENEW_ROOM = 0.5
CLOCK_TOLERANCE_S = 1.0
# CLI-3: a call this long after expiry (arrival at the server) used an expired token; covers clock granularity.
EXPIRY_GRACE_S = 0.05
# CLI-5: the wait after a 429 is measured from the moment the answer started to leave to the next
# request's arrival (both on the server's clock): the client's own latency only lengthens it.
WAIT_AFTER_429_S = 1.0
EXCHANGES_KEPT = 30  # offending requests kept per judge

Reqs = tuple[str, ...]


@dataclass(frozen=True)
class Judge:
    name: str
    title: str
    requirements: Reqs
    run: Callable[[Traffic, Callable[..., None]], None]
    # why a cited requirement this judge neither saw hold nor break was not exercised
    unreached: str = "the client's traffic never reached this rule"


def _described(ex: Exchange) -> str:
    return f"{ex.method} {ex.url.split('?', 1)[0]} at {ex.started_at:.2f} s"


# Per request ----------------------------------------------------------------------


def content_type(traffic: Traffic, offend: Callable[..., None]) -> None:
    """CLI-1, REG-REQ-1, TOK-REQ-1: the required Content-Type on register and token requests."""
    for ex in traffic.of_kind("register", "token"):
        expected, rule = CONTENT_TYPES[endpoint_kind(ex)]
        values = content_types(ex)
        if content_type_ok(ex):
            checks.held(("CLI-1", rule), f"{kind(ex)} request sent Content-Type {expected}")
        else:
            offend(("CLI-1", rule), f"{_described(ex)} sent Content-Type {values or 'none'}; required: {expected}", ex)


def accept(traffic: Traffic, offend: Callable[..., None]) -> None:
    """REG-REQ-3, TOK-REQ-3: an Accept, if sent, admits application/json."""
    for ex in traffic.of_kind("register", "token"):
        rule = ACCEPT_RULE[endpoint_kind(ex)]
        values = accepts(ex)
        if accept_ok(ex):
            checks.held(
                rule,
                f"{kind(ex)} request: Accept {values[0]!r} admits JSON"
                if values
                else f"{kind(ex)} request: no Accept (allowed)",
            )
        else:
            offend(rule, f"{_described(ex)} sent Accept {', '.join(values)!r}, which excludes application/json", ex)


def device_info(traffic: Traffic, offend: Callable[..., None]) -> None:
    """CLI-1, DEV-1, DEV-2: X-Device-Info on register and token requests, Base64 of valid device JSON."""
    for ex in traffic.of_kind("register", "token"):
        values = [v for k, v in ex.request_headers if k.lower() == "x-device-info"]
        if not values:
            offend("CLI-1", f"{_described(ex)} sent no X-Device-Info", ex)
            continue
        checks.held("CLI-1", f"{kind(ex)} request sent X-Device-Info")
        try:
            device = decode(values[0])
        except DeviceInfoError as exc:
            offend("DEV-1", f"{_described(ex)}: X-Device-Info is not Base64 of JSON ({exc})", ex)
            continue
        if not isinstance(device, dict):
            offend(
                "DEV-1", f"{_described(ex)}: X-Device-Info decodes to {type(device).__name__}, not a JSON object", ex
            )
            continue
        checks.held("DEV-1", "X-Device-Info is Base64 of a JSON object")
        problems = schemas.validate("device-info", device)
        if problems:
            offend("DEV-2", f"{_described(ex)}: X-Device-Info {'; '.join(problems[:3])}", ex)
        else:
            checks.held("DEV-2", "X-Device-Info has the required keys and listed values")


def _request_rule(
    traffic: Traffic,
    offend: Callable[..., None],
    kind: str,
    req: str,
    problem_of: Callable[[Any], str | None],
    required: str,
    held: str,
) -> None:
    """Judge every request of one kind by one rule: each offending request names its problem and the rule."""
    for ex in traffic.of_kind(kind):
        problem = problem_of(ex)
        if problem:
            offend(req, f"{_described(ex)}: {problem}; required: {required}", ex)
        else:
            checks.held(req, held)


def register_body(traffic: Traffic, offend: Callable[..., None]) -> None:
    """REG-REQ-5: a JSON object with software_statement (a string) and, optionally, redirect_uri (a string)."""
    _request_rule(
        traffic,
        offend,
        "register",
        "REG-REQ-5",
        register_body_problem,
        "a JSON object with software_statement (string) and optionally redirect_uri (string)",
        "register body: a JSON object with software_statement as a string",
    )


def token_params(traffic: Traffic, offend: Callable[..., None]) -> None:
    """TOK-REQ-2: client_id, client_secret and grant_type=client_credentials in the form body, once each;
    not in the query string, not in HTTP Basic (alone or besides the body)."""
    _request_rule(
        traffic,
        offend,
        "token",
        "TOK-REQ-2",
        token_params_problem,
        "client_id, client_secret and grant_type=client_credentials once each in the form body",
        "token request: credentials and grant_type=client_credentials in the form body",
    )


def bearer(traffic: Traffic, offend: Callable[..., None]) -> None:
    """CLI-4: every protected API call carries Authorization: Bearer <token> (never the query string)."""
    for ex in traffic.of_kind("api"):
        in_query = "access_token=" in (ex.url.split("?", 1)[1] if "?" in ex.url else "")
        if bearer_of(ex) and not in_query:
            checks.held("CLI-4", "API call sent Authorization: Bearer <token>")
        elif in_query:
            offend(
                "CLI-4", f"{_described(ex)} sent the access token in the query string, not in Authorization: Bearer", ex
            )
        else:
            scheme = (ex.request_header("authorization") or "").split(" ", 1)[0]
            offend(
                "CLI-4",
                f"{_described(ex)} sent {'Authorization ' + scheme if scheme else 'no Authorization header'}; "
                "required: Authorization: Bearer <token>",
                ex,
            )


def forwarded_for(traffic: Traffic, offend: Callable[..., None]) -> None:
    """CLI-5: a server-to-server integration forwards its user's address in X-Forwarded-For."""
    for ex in traffic.exchanges:
        first = (ex.request_header("x-forwarded-for") or "").split(",", 1)[0].strip()
        try:
            ipaddress.ip_address(first)
        except ValueError:
            offend(
                "CLI-5",
                f"{_described(ex)} sent "
                + (f"X-Forwarded-For {first!r}, not an address" if first else "no X-Forwarded-For")
                + ": a server-to-server integration forwards its user's address",
                ex,
            )
            continue
        checks.held("CLI-5", "request forwarded the user's address in X-Forwarded-For")


# Per sequence ---------------------------------------------------------------------


def registration(traffic: Traffic, offend: Callable[..., None]) -> None:
    """CLI-2: one registration per application instance; refresh and restart with the stored credentials;
    register again only after invalid_client, and once."""
    refusals: list[Exchange] = []  # invalid_client answers to credentials the instance held
    for events in traffic.by_instance().values():
        holding: Exchange | None = None  # the registration whose credentials the instance holds
        refused = False  # those credentials were answered invalid_client
        tokens_seen: set[str] = set()
        for ex in events:
            if kind(ex) == "register":
                if holding is not None and not refused:
                    offend(
                        "CLI-2",
                        f"{_described(ex)}: registered again although the credentials it got at "
                        f"{holding.started_at:.2f} s were never refused (register once, store the credentials)",
                        holding,
                        ex,
                    )
                elif holding is not None and ex.status == 201:
                    checks.held("CLI-2", "registered again once, after its credentials were refused (invalid_client)")
                if ex.status == 201:
                    holding, refused = ex, False
                continue
            client_id = client_id_of(ex)
            if client_id is None or holding is None or client_id != (holding.json() or {}).get("client_id"):
                continue
            body = ex.json()
            if isinstance(body, dict) and body.get("error") == "invalid_client":
                refused = True
                refusals.append(ex)
            elif ex.status == 201:
                if client_id in tokens_seen:
                    checks.held("CLI-2", "asked for a new token with its stored credentials, without registering again")
                tokens_seen.add(client_id)
    refused_note = (
        f"; its credentials were refused (invalid_client) at {refusals[0].started_at:.2f} s, and it never "
        "registered again after that"
        if refusals
        else ""
    )
    checks.not_verified(
        "CLI-2",
        "not exercised: the client never asked for a second token with the same credentials "
        f"and never registered again after a refusal{refused_note} (scenarios short-token-ttl, "
        "restart, revoked-credentials)",
    )


def restart(traffic: Traffic, offend: Callable[..., None]) -> None:
    """CLI-2 across a restart: known from the explicit signal (RESTART_MARKER_PATH), never guessed; the
    restarted app asks for tokens with the credentials registered before it (registering again is the
    registration judge's finding)."""
    if traffic.prompted_at is None:
        checks.not_verified(
            "CLI-2",
            "restart not exercised: the prompt comes after the first answered API call, and the client made none",
        )
        return
    if traffic.restart_at is None:
        checks.not_verified(
            "CLI-2",
            f"restart not exercised: the prompt at {traffic.prompted_at:.2f} s was never "
            f"followed by the restart signal (POST {RESTART_MARKER_PATH})",
        )
        return
    before = {cid for cid, at in traffic.registered_at.items() if at < traffic.restart_at}
    after = [ex for ex in traffic.of_kind("token") if ex.started_at > traffic.restart_at]
    reused = next((ex for ex in after if client_id_of(ex) in before and ex.status == 201), None)
    if reused is not None:
        checks.held(
            "CLI-2",
            f"restarted (signalled at {traffic.restart_at:.2f} s) and asked for a token at "
            f"{reused.started_at:.2f} s with the credentials registered before the restart",
        )
    elif not after:
        checks.not_verified(
            "CLI-2",
            f"restart not exercised: after the restart signal at {traffic.restart_at:.2f} s the app asked for no token",
        )


def _renewal(current: Token, first: Exchange, ex: Exchange, calls: int, offend: Callable[..., None]) -> None:
    """Judge one renewal of `current`, timed by its first attempt `first` (ex: the request that got the token)."""
    left = current.expires_at - first.started_at
    room = current.lifetime * RENEW_ROOM + CLOCK_TOLERANCE_S
    attempt = "" if first is ex else f" (first attempt at {first.started_at:.2f} s, answered {first.status})"
    if left < 0:
        offend(
            "CLI-3",
            f"{_described(ex)}: renewed {-left:.2f} s after the token from {current.issued_at:.2f} s had "
            f"expired{attempt}; obtain a new one before expiry",
            current.exchange,
            first,
            ex,
        )
    elif left > room:
        offend(
            "CLI-3",
            f"{_described(ex)}: asked for a new token{attempt} while the one from {current.issued_at:.2f} s "
            f"had {left:.2f} s of {current.lifetime:g} s left, after {calls} API call(s) with it; a client renews "
            f"only with at most {room:g} s left (the last {RENEW_ROOM:.0%} of the lifetime, + {CLOCK_TOLERANCE_S:g} s "
            "for whole-second clocks)",
            current.exchange,
            first,
            ex,
        )
    else:
        checks.held(
            "CLI-3",
            f"renewed the token {left:.2f} s before it expired{attempt} (room: renew with at most "
            f"{room:g} s left), after {calls} API call(s) with it",
        )


def token_reuse(traffic: Traffic, offend: Callable[..., None]) -> None:
    """CLI-3: the access token is cached and used until near expiry, and renewed before it expires."""
    for events in traffic.by_client().values():
        current: Token | None = None
        first: Exchange | None = None  # the first attempt of a renewal not yet answered with a token
        calls = 0
        for ex in events:
            if kind(ex) == "token":
                token = traffic.issued_by.get(id(ex))
                if token is None:
                    first = first or ex
                    continue
                # A restarted app has lost the token its predecessor held in memory: asking again is no breach.
                if current is not None and not traffic.restarted_since(ex, current.exchange):
                    _renewal(current, first or ex, ex, calls, offend)
                current, first, calls = token, None, 0
                continue
            used = traffic.tokens.get(bearer_of(ex) or "")
            if used is not None and used is current:
                calls += 1
            if used is not None and ex.started_at > used.expires_at + EXPIRY_GRACE_S:
                offend(
                    "CLI-3",
                    f"{_described(ex)}: called with a token that had expired "
                    f"{ex.started_at - used.expires_at:.2f} s earlier (renew it before expiry)",
                    used.exchange,
                    ex,
                )
        if current is not None and first is not None and not traffic.restarted_since(first, current.exchange):
            _renewal(current, first, first, calls, offend)  # renewals that never got a token are renewals too
    checks.not_verified(
        "CLI-3",
        "not exercised: no token reached the last half of its lifetime while the client ran "
        "(scenario short-token-ttl, and run longer than the token lifetime)",
    )


def wait_after_429(traffic: Traffic, offend: Callable[..., None]) -> None:
    """CLI-5: after a 429 the device waits at least one second before its next request."""
    for events in traffic.by_device().values():
        for i, ex in enumerate(events):
            if ex.status != 429:
                continue
            answered = getattr(ex, "answered_at", None) or ex.started_at + ex.elapsed
            # Requests that arrived before the 429 was answered were sent before the client saw it.
            following = next((n for n in events[i + 1 :] if n.started_at >= answered), None)
            if following is None:
                continue
            gap = following.started_at - answered
            if gap < WAIT_AFTER_429_S:
                offend(
                    "CLI-5",
                    f"{_described(following)}: sent {gap:.2f} s after a 429 (at {answered:.2f} s); wait at least 1 s",
                    ex,
                    following,
                )
            else:
                checks.held("CLI-5", f"waited {gap:.2f} s after a 429")
    checks.not_verified(
        "CLI-5", "not exercised: the client never got a 429 followed by another request (scenario throttling)"
    )


def refusals(traffic: Traffic, offend: Callable[..., None]) -> None:
    """Every 4xx the client received: one the client's request provoked breaks the requirement it points to
    (refusals.py); those a scenario provoked are listed in the report (client.refusals), not held against it."""
    for refusal in explain(traffic):
        if refusal.requirement is not None:
            offend(
                refusal.requirement,
                f"{_described(refusal.exchange)} was refused ({refusal.exchange.status}): {refusal.why}",
                refusal.exchange,
            )


PER_REQUEST = (
    Judge(
        "content_type",
        "Content-Type as required on register and token",
        ("CLI-1", "REG-REQ-1", "TOK-REQ-1"),
        content_type,
        "the client sent no request of that endpoint",
    ),
    Judge(
        "accept",
        "Accept, if sent, admits JSON",
        ("REG-REQ-3", "TOK-REQ-3"),
        accept,
        "the client sent no request of that endpoint",
    ),
    Judge(
        "device_info",
        "X-Device-Info sent and valid",
        ("CLI-1", "DEV-1", "DEV-2"),
        device_info,
        "the client sent no X-Device-Info that could be decoded",
    ),
    Judge(
        "register_body",
        "register body: a JSON object with software_statement",
        ("REG-REQ-5",),
        register_body,
        "the client sent no register request",
    ),
    Judge(
        "token_params",
        "token parameters in the form body, credentials not in Basic or the query",
        ("TOK-REQ-2",),
        token_params,
        "the client sent no token request",
    ),
    Judge(
        "bearer",
        "Authorization: Bearer on every protected API call",
        ("CLI-4",),
        bearer,
        "the client called no protected API",
    ),
    Judge("refusals", "every 4xx the client received, explained", (), refusals),
)
PER_SEQUENCE = (
    Judge("registration", "one registration per application instance", ("CLI-2",), registration),
    Judge("token_reuse", "token cached until near expiry, renewed before it", ("CLI-3",), token_reuse),
    Judge("wait_after_429", "at least one second after a 429", ("CLI-5",), wait_after_429),
)
SERVER_TO_SERVER = Judge("forwarded_for", "user address forwarded in X-Forwarded-For", ("CLI-5",), forwarded_for)
RESTART = Judge("restart", "stored credentials reused after a signalled restart", ("CLI-2",), restart)


def judges_for(server_to_server: bool, restart: bool = False) -> tuple[Judge, ...]:
    return (
        PER_REQUEST + PER_SEQUENCE + ((SERVER_TO_SERVER,) if server_to_server else ()) + ((RESTART,) if restart else ())
    )
