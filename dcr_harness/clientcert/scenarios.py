"""Scenarios: server settings and switches that provoke the client behaviour to judge.

Each is selectable and they combine. Without any, the default set runs (every scenario
that needs nothing from the partner but normal flows).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import UnknownScenario

# Contract profile (THR-2): 1 request per second plus a one-time burst of 10.
CONTRACT_RATE, CONTRACT_BURST = 1.0, 10
# No scenario throttles: an allowance no client reaches, so that throttling judges nothing.
UNTHROTTLED_RATE, UNTHROTTLED_BURST = 1000.0, 1_000_000
LONG_TTL_S = 3600
# Long enough that a library with whole-second clocks and a leeway of a second or two renews well inside
# the room CLI-3 leaves (judges.py), short enough that a session of a few seconds' flows exercises renewal.
SHORT_TTL_S = 6
INJECT_429_EVERY = 6  # throttling: every n-th request of a device gets a 429 on top of the real throttle


# The explicit restart signal (scenario restart): whoever restarts the app posts here once the old
# process has ended and before the new one starts. Not a contract endpoint; never judged as traffic.
RESTART_MARKER_PATH = "/certify-client/restarted"


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    requirements: tuple[str, ...]


SCENARIOS = {
    s.name: s
    for s in (
        Scenario(
            "short-token-ttl",
            f"access tokens expire after {SHORT_TTL_S} s: the client must refresh before expiry, "
            "with its stored credentials, without registering again",
            ("CLI-2", "CLI-3"),
        ),
        Scenario(
            "throttling",
            f"the contract's throttle (1/s, burst 10) plus an injected 429 on every {INJECT_429_EVERY}th request: "
            "the client must wait at least one second after a 429",
            ("CLI-5",),
        ),
        Scenario(
            "revoked-credentials",
            "the first client's credentials are revoked after its first token: its next token "
            "request gets invalid_client; the client must register again then, and once",
            ("CLI-2",),
        ),
        Scenario(
            "restart",
            "after the first completed flow the harness prints RESTART: the partner restarts the app and "
            f"signals it (POST {RESTART_MARKER_PATH}); the restarted app must reuse its stored credentials "
            "instead of registering again",
            ("CLI-2",),
        ),
        Scenario("server-to-server", "every request must forward the user's address in X-Forwarded-For", ("CLI-5",)),
    )
}
DEFAULT = ("short-token-ttl", "throttling", "revoked-credentials")


@dataclass(frozen=True)
class Settings:
    """What the selected scenarios make of the server."""

    scenarios: tuple[str, ...]

    @classmethod
    def of(cls, names: Iterable[str] = ()) -> Settings:
        chosen = tuple(dict.fromkeys(names)) or DEFAULT
        bad = [n for n in chosen if n not in SCENARIOS]
        if bad:
            raise UnknownScenario(f"unknown scenario(s): {', '.join(bad)}; known: {', '.join(SCENARIOS)}")
        return cls(chosen)

    def on(self, name: str) -> bool:
        return name in self.scenarios

    @property
    def token_ttl(self) -> int:
        return SHORT_TTL_S if self.on("short-token-ttl") else LONG_TTL_S

    @property
    def throttle(self) -> tuple[float, int]:
        return (CONTRACT_RATE, CONTRACT_BURST) if self.on("throttling") else (UNTHROTTLED_RATE, UNTHROTTLED_BURST)

    @property
    def inject_429_every(self) -> int:
        return INJECT_429_EVERY if self.on("throttling") else 0

    def describe(self) -> list[dict[str, object]]:
        return [
            {"name": n, "description": SCENARIOS[n].description, "requirements": list(SCENARIOS[n].requirements)}
            for n in self.scenarios
        ]


def listing() -> str:
    return "\n".join(
        f"{s.name:<20} {s.description}" + (" (default)" if s.name in DEFAULT else "") for s in SCENARIOS.values()
    )
