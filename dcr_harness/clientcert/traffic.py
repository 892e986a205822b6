"""The recorded traffic, read as the client's story: instances, their clients, their tokens.

An application instance is identified by where it connects from, the statement it
registers with, and the device it describes (X-Device-Info) - the issue's "device identity
and statement". Token requests belong to the instance whose registration issued their
client_id; API calls to the client whose token they carry.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ..http.exchange import Exchange
from .parse import bearer_of, client_id_of, kind, statement_of, throttle_device

Instance = tuple[str, str, str]


@dataclass(frozen=True)
class Token:
    value: str
    client_id: str
    issued_at: float  # seconds since the server started (the token request's arrival)
    lifetime: float
    exchange: Exchange

    @property
    def expires_at(self) -> float:
        """The latest the server can have set the expiry: the answer left then (the client cannot know it earlier)."""
        answered = getattr(self.exchange, "answered_at", None) or self.issued_at + self.exchange.elapsed
        return answered + self.lifetime


@dataclass
class Traffic:
    exchanges: list[Exchange]
    restart_at: float | None = None  # the explicit restart signal (scenario restart)
    prompted_at: float | None = None  # the restart prompt
    instance_of: dict[str, Instance] = field(default_factory=dict)  # client_id -> instance
    registered_at: dict[str, float] = field(default_factory=dict)  # client_id -> arrival of its registration
    tokens: dict[str, Token] = field(default_factory=dict)
    issued_by: dict[int, Token] = field(default_factory=dict)  # id(token request) -> the token it got

    def __post_init__(self) -> None:
        self.exchanges = sorted(self.exchanges, key=lambda e: e.started_at)
        for ex in self.exchanges:
            body = ex.json()
            if (
                kind(ex) == "register"
                and ex.status == 201
                and isinstance(body, dict)
                and isinstance(body.get("client_id"), str)
            ):
                self.instance_of[body["client_id"]] = self.instance(ex)
                self.registered_at[body["client_id"]] = ex.started_at
            elif kind(ex) == "token" and ex.status == 201 and isinstance(body, dict):
                value, ttl, client_id = body.get("access_token"), body.get("expires_in"), client_id_of(ex)
                if isinstance(value, str) and isinstance(ttl, int) and client_id:
                    token = self.tokens[value] = Token(value, client_id, ex.started_at, float(ttl), ex)
                    self.issued_by[id(ex)] = token

    def restarted_since(self, ex: Exchange, earlier: Exchange) -> bool:
        """Whether the app was restarted (the explicit signal, RESTART_MARKER_PATH) between earlier and ex.
        Never guessed from connections: a client may open one per request."""
        return self.restart_at is not None and earlier.started_at < self.restart_at < ex.started_at

    @staticmethod
    def instance(ex: Exchange) -> Instance:
        return (ex.device or "", statement_of(ex), ex.request_header("x-device-info") or "")

    def of_kind(self, *kinds: str) -> list[Exchange]:
        return [ex for ex in self.exchanges if kind(ex) in kinds]

    def by_instance(self) -> dict[Instance, list[Exchange]]:
        """Registrations and token requests of each instance, in order of arrival."""
        found: dict[Instance, list[Exchange]] = defaultdict(list)
        for ex in self.of_kind("register", "token"):
            inst = self.instance(ex) if kind(ex) == "register" else self.instance_of.get(client_id_of(ex) or "")
            if inst is not None:
                found[inst].append(ex)
        return found

    def by_client(self) -> dict[str, list[Exchange]]:
        """Token requests and bearer API calls of each client, in order of arrival."""
        found: dict[str, list[Exchange]] = defaultdict(list)
        for ex in self.of_kind("token", "api"):
            token = self.tokens.get(bearer_of(ex) or "")
            client_id = client_id_of(ex) if kind(ex) == "token" else token.client_id if token else None
            if client_id:
                found[client_id].append(ex)
        return found

    def by_device(self) -> dict[str, list[Exchange]]:
        found: dict[str, list[Exchange]] = defaultdict(list)
        for ex in self.exchanges:
            found[throttle_device(ex)].append(ex)
        return found
