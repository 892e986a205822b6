"""The recording mode: an ASGI middleware around the reference server.

Every request the client sends is kept as an Exchange (started_at: seconds since the
server started, at arrival; device: the connection's address), with the answer it got.
The scenario switches answer some requests themselves, before the server sees them: an
injected 429 (throttling) and invalid_client for revoked credentials
(revoked-credentials). Those exchanges carry a note saying so.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..http.exchange import Exchange
from ..refserver.config import ServerConfig
from ..refserver.throttle import TOO_MANY
from .parse import client_id_of, endpoint_of, path_of, throttle_device
from .scenarios import RESTART_MARKER_PATH, Settings

Scope = dict[str, Any]
Message = dict[str, Any]
INJECTED_429 = "injected 429 (scenario throttling)"
INJECTED_REVOKED = "invalid_client: credentials revoked (scenario revoked-credentials)"
# Bounds on what a session keeps: a body beyond the server's own limit is refused by the server
# anyway (it gets one byte more than the limit), and a session longer than this many requests
# is judged on its first ones and reported as incomplete.
MAX_BODY_BYTES = ServerConfig().max_body_bytes
MAX_RECORDED = 200_000


@dataclass
class RecordedExchange(Exchange):
    """An exchange as the server saw it: also which connection (the client's port) carried it."""

    connection: int | None = None
    # When the answer started to leave (seconds since start): the client cannot have seen it earlier.
    answered_at: float | None = None


class RecordingMiddleware:
    def __init__(
        self,
        app: Callable[..., Awaitable[None]],
        settings: Settings,
        on_restart: Callable[[], None] | None = None,
        exit_after_flows: int | None = None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.on_restart = on_restart
        self.exit_after_flows = exit_after_flows
        self.t0 = time.monotonic()
        self.exchanges: list[Exchange] = []
        self.flows = 0  # protected API calls the server answered
        self.prompted_at: float | None = None  # when the restart prompt was printed
        self.restart_at: float | None = None  # when the restart was signalled (RESTART_MARKER_PATH) after the prompt
        self.revoked: set[str] = set()
        self.revocation_done = False
        self.done = threading.Event()  # set once exit_after_flows flows were answered (or the session is stopped)
        self._per_device: Counter[str] = Counter()
        self.dropped = 0  # requests answered but not recorded (beyond MAX_RECORDED)

    def now(self) -> float:
        return time.monotonic() - self.t0

    async def __call__(
        self, scope: Scope, receive: Callable[[], Awaitable[Message]], send: Callable[[Message], Awaitable[None]]
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == RESTART_MARKER_PATH:
            await self._restart_marker(scope, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            if size <= MAX_BODY_BYTES:
                chunks.append(chunk)
            size += len(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)[: MAX_BODY_BYTES + 1]
        ex = self._exchange(scope, body)
        answer = self._scenario_answer(ex)
        if answer is not None:
            await self._send_own(ex, *answer, send)
        else:
            await self._forward(scope, body, receive, send, ex)
        ex.elapsed = self.now() - ex.started_at
        self._after(ex)

    async def _restart_marker(self, scope: Scope, send: Callable[[Message], Awaitable[None]]) -> None:
        """The explicit restart signal: counts only after the prompt (and once); never part of the client's traffic."""
        status, text = 405, "POST only\n"
        if scope["method"] == "POST":
            if self.prompted_at is None:
                status, text = 409, "no restart was asked for yet (scenario restart prints the prompt)\n"
            else:
                status, text = 200, "restart recorded\n"
                if self.restart_at is None:
                    self.restart_at = self.now()
        body = text.encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _exchange(self, scope: Scope, body: bytes) -> RecordedExchange:
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        host = next((v for k, v in headers if k.lower() == "host"), "localhost")
        query = scope.get("query_string", b"").decode("latin-1")
        url = f"{scope.get('scheme', 'http')}://{host}{scope['path']}" + (f"?{query}" if query else "")
        client = scope.get("client")
        return RecordedExchange(
            scope["method"],
            url,
            headers,
            body,
            started_at=self.now(),
            device=client[0] if client else None,
            connection=client[1] if client else None,
        )

    def _scenario_answer(self, ex: RecordedExchange) -> tuple[int, list[tuple[str, str]], bytes, str] | None:
        kind = endpoint_of(path_of(ex))
        every = self.settings.inject_429_every
        if every and kind is not None:
            device = throttle_device(ex)
            self._per_device[device] += 1
            if self._per_device[device] % every == 0:
                return (
                    429,
                    [("content-type", "text/html; charset=utf-8"), ("retry-after", "1")],
                    TOO_MANY.encode(),
                    INJECTED_429,
                )
        if kind == "token" and client_id_of(ex) in self.revoked:
            body = json.dumps(
                {"error": "invalid_client", "error_description": "the client's credentials were revoked"}
            ).encode()
            return 400, [("content-type", "application/json"), ("cache-control", "no-store")], body, INJECTED_REVOKED
        return None

    async def _send_own(
        self,
        ex: RecordedExchange,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        note: str,
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        headers = [*headers, ("content-length", str(len(body)))]
        ex.status, ex.response_headers, ex.response_body, ex.note = status, headers, body, note
        ex.answered_at = self.now()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _forward(
        self,
        scope: Scope,
        body: bytes,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
        ex: RecordedExchange,
    ) -> None:
        replayed = False
        chunks: list[bytes] = []

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                ex.answered_at = self.now()
                ex.status = message["status"]
                ex.response_headers = [
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])
                ]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, replay, capture)
        ex.response_body = b"".join(chunks)

    def _after(self, ex: Exchange) -> None:
        """Scenario state after an answer: revocation, flow count, the restart prompt."""
        if len(self.exchanges) < MAX_RECORDED:
            self.exchanges.append(ex)
        else:
            self.dropped += 1
        kind = endpoint_of(path_of(ex))
        if (
            kind == "token"
            and ex.status == 201
            and self.settings.on("revoked-credentials")
            and not self.revocation_done
        ):
            client_id = client_id_of(ex)
            if client_id:
                self.revoked.add(client_id)
                self.revocation_done = True
        if kind == "api" and ex.note is None:
            self.flows += 1
            if ex.status == 200 and self.settings.on("restart") and self.prompted_at is None:
                self.prompted_at = self.now()
                if self.on_restart is not None:
                    self.on_restart()
            if self.exit_after_flows and self.flows >= self.exit_after_flows:
                self.done.set()
