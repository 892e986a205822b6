"""The judges of a client certification: per request and per sequence, each citing what it enforces.

Each judge is a check over the recorded traffic: it records what held and what broke
(dcr_harness.checks), and says why a requirement was not exercised. A finding keeps the
offending requests (the Judging's exchanges), which the report shows masked, with curl.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from .. import checks
from ..contract import schemas
from ..contract.device_info import DeviceInfoError, decode
from ..http.exchange import Exchange
from ..refserver.negotiation import FORM, JSON, accepts_json, media_type
from .parse import bearer_of, client_id_of, kind
from .traffic import Traffic

# CLI-3: a new token while the current one has more than this share of its lifetime left is not caching.
REFRESH_NOT_BEFORE = 0.5
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


def _described(ex: Exchange) -> str:
    return f"{ex.method} {ex.url.split('?', 1)[0]} at {ex.started_at:.2f} s"


# Per request ----------------------------------------------------------------------

CONTENT_TYPES = {"register": (JSON, "REG-REQ-1"), "token": (FORM, "TOK-REQ-1")}
ACCEPT_RULE = {"register": "REG-REQ-3", "token": "TOK-REQ-3"}


def content_type(traffic: Traffic, offend: Callable[..., None]) -> None:
    """CLI-1, REG-REQ-1, TOK-REQ-1: the required Content-Type on register and token requests."""
    for ex in traffic.of_kind("register", "token"):
        expected, rule = CONTENT_TYPES[kind(ex)]  # type: ignore[index]
        values = [v for k, v in ex.request_headers if k.lower() == "content-type"]
        if len(values) == 1 and media_type(values[0]) == expected:
            checks.held(("CLI-1", rule), f"{kind(ex)} request sent Content-Type {expected}")
        else:
            offend(("CLI-1", rule), f"{_described(ex)} sent Content-Type {values or 'none'}; required: {expected}", ex)


def accept(traffic: Traffic, offend: Callable[..., None]) -> None:
    """REG-REQ-3, TOK-REQ-3: an Accept, if sent, admits application/json."""
    for ex in traffic.of_kind("register", "token"):
        rule = ACCEPT_RULE[kind(ex)]  # type: ignore[index]
        values = [v for k, v in ex.request_headers if k.lower() == "accept"]
        if accepts_json(",".join(values) if values else None):
            checks.held(rule, f"{kind(ex)} request: Accept {values[0]!r} admits JSON" if values else f"{kind(ex)} request: no Accept (allowed)")
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
            offend("DEV-1", f"{_described(ex)}: X-Device-Info decodes to {type(device).__name__}, not a JSON object", ex)
            continue
        checks.held("DEV-1", "X-Device-Info is Base64 of a JSON object")
        problems = schemas.validate("device-info", device)
        if problems:
            offend("DEV-2", f"{_described(ex)}: X-Device-Info {'; '.join(problems[:3])}", ex)
        else:
            checks.held("DEV-2", "X-Device-Info has the required keys and listed values")


def bearer(traffic: Traffic, offend: Callable[..., None]) -> None:
    """CLI-4: every protected API call carries Authorization: Bearer <token> (never the query string)."""
    for ex in traffic.of_kind("api"):
        in_query = "access_token=" in (ex.url.split("?", 1)[1] if "?" in ex.url else "")
        if bearer_of(ex) and not in_query:
            checks.held("CLI-4", "API call sent Authorization: Bearer <token>")
        elif in_query:
            offend("CLI-4", f"{_described(ex)} sent the access token in the query string, not in Authorization: Bearer", ex)
        else:
            scheme = (ex.request_header("authorization") or "").split(" ", 1)[0]
            offend("CLI-4", f"{_described(ex)} sent {'Authorization ' + scheme if scheme else 'no Authorization header'}; "
                   "required: Authorization: Bearer <token>", ex)


def forwarded_for(traffic: Traffic, offend: Callable[..., None]) -> None:
    """CLI-5: a server-to-server integration forwards its user's address in X-Forwarded-For."""
    for ex in traffic.exchanges:
        first = (ex.request_header("x-forwarded-for") or "").split(",", 1)[0].strip()
        try:
            ipaddress.ip_address(first)
        except ValueError:
            offend("CLI-5", f"{_described(ex)} sent " + (f"X-Forwarded-For {first!r}, not an address" if first else
                   "no X-Forwarded-For") + ": a server-to-server integration forwards its user's address", ex)
            continue
        checks.held("CLI-5", "request forwarded the user's address in X-Forwarded-For")


# Per sequence ---------------------------------------------------------------------


def registration(traffic: Traffic, offend: Callable[..., None]) -> None:
    """CLI-2: one registration per application instance; refresh and restart with the stored credentials;
    register again only after invalid_client, and once."""
    for events in traffic.by_instance().values():
        holding: Exchange | None = None  # the registration whose credentials the instance holds
        refused = False  # those credentials were answered invalid_client
        tokens_seen: set[str] = set()
        for ex in events:
            if kind(ex) == "register":
                if holding is not None and not refused:
                    offend("CLI-2", f"{_described(ex)}: registered again although the credentials it got at "
                           f"{holding.started_at:.2f} s were never refused (register once, store the credentials)", holding, ex)
                elif holding is not None and ex.status == 201:
                    checks.held("CLI-2", "registered again once, after its credentials were refused (invalid_client)")
                if ex.status == 201:
                    holding, refused = ex, False
                continue
            client_id = client_id_of(ex)
            if holding is None or client_id != (holding.json() or {}).get("client_id"):
                continue
            body = ex.json()
            if isinstance(body, dict) and body.get("error") == "invalid_client":
                refused = True
            elif ex.status == 201:
                if client_id in tokens_seen:
                    checks.held("CLI-2", "asked for a new token with its stored credentials, without registering again")
                # A restarted app asks with credentials that an earlier process (connection) registered.
                if traffic.restarted_since(ex, holding):
                    checks.held("CLI-2", "restarted after the prompt and reused the credentials registered before it")
                tokens_seen.add(client_id)
    checks.not_verified("CLI-2", "not exercised: the client never asked for a second token, was never restarted "
                        "and never had its credentials refused (scenarios short-token-ttl, restart, revoked-credentials)")


def token_reuse(traffic: Traffic, offend: Callable[..., None]) -> None:
    """CLI-3: the access token is cached and used until near expiry, and renewed before it expires."""
    for events in traffic.by_client().values():
        current = None
        for ex in events:
            if kind(ex) == "token":
                token = traffic.issued_by.get(id(ex))
                if token is None:
                    continue
                # A restarted app has lost the token its predecessor held in memory: asking again is no breach.
                if current is not None and ex.started_at < current.expires_at and not traffic.restarted_since(ex, current.exchange):
                    left = current.expires_at - ex.started_at
                    if left > current.lifetime * REFRESH_NOT_BEFORE:
                        offend("CLI-3", f"{_described(ex)}: asked for a new token while the one from "
                               f"{current.issued_at:.2f} s had {left:.1f} s of {current.lifetime:g} s left "
                               "(cache the token and use it until near expiry)", current.exchange, ex)
                    else:
                        checks.held("CLI-3", f"renewed the token {left:.1f} s before it expired, with the stored credentials")
                current = token
                continue
            used = traffic.tokens.get(bearer_of(ex) or "")
            if used is not None and ex.started_at > used.expires_at + EXPIRY_GRACE_S:
                offend("CLI-3", f"{_described(ex)}: called with a token that had expired "
                       f"{ex.started_at - used.expires_at:.1f} s earlier (renew it before expiry)", used.exchange, ex)
    checks.not_verified("CLI-3", "not exercised: no token came near its expiry while the client ran "
                        "(scenario short-token-ttl, and run longer than the token lifetime)")


def wait_after_429(traffic: Traffic, offend: Callable[..., None]) -> None:
    """CLI-5: after a 429 the device waits at least one second before its next request."""
    for events in traffic.by_device().values():
        for i, ex in enumerate(events):
            if ex.status != 429:
                continue
            answered = getattr(ex, "answered_at", None) or ex.started_at + ex.elapsed
            # Requests that arrived before the 429 was answered were sent before the client saw it.
            following = next((n for n in events[i + 1:] if n.started_at >= answered), None)
            if following is None:
                continue
            gap = following.started_at - answered
            if gap < WAIT_AFTER_429_S:
                offend("CLI-5", f"{_described(following)}: sent {gap:.2f} s after a 429 (at {answered:.2f} s); "
                       "wait at least 1 s", ex, following)
            else:
                checks.held("CLI-5", f"waited {gap:.2f} s after a 429")
    checks.not_verified("CLI-5", "not exercised: the client never got a 429 followed by another request "
                        "(scenario throttling)")


PER_REQUEST = (
    Judge("content_type", "Content-Type as required on register and token", ("CLI-1", "REG-REQ-1", "TOK-REQ-1"), content_type),
    Judge("accept", "Accept, if sent, admits JSON", ("REG-REQ-3", "TOK-REQ-3"), accept),
    Judge("device_info", "X-Device-Info sent and valid", ("CLI-1", "DEV-1", "DEV-2"), device_info),
    Judge("bearer", "Authorization: Bearer on every protected API call", ("CLI-4",), bearer),
)
PER_SEQUENCE = (
    Judge("registration", "one registration per application instance", ("CLI-2",), registration),
    Judge("token_reuse", "token cached until near expiry, renewed before it", ("CLI-3",), token_reuse),
    Judge("wait_after_429", "at least one second after a 429", ("CLI-5",), wait_after_429),
)
SERVER_TO_SERVER = Judge("forwarded_for", "user address forwarded in X-Forwarded-For", ("CLI-5",), forwarded_for)


def judges_for(server_to_server: bool) -> tuple[Judge, ...]:
    return PER_REQUEST + PER_SEQUENCE + ((SERVER_TO_SERVER,) if server_to_server else ())
