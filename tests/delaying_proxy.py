"""A loopback TCP proxy that makes the throttle unjudgeable for timing, deterministically.

It forwards bytes both ways unchanged, except that it holds for `delay` seconds a device's first
request when that is a token request with credentials that met a 429 before: the throttle lab's probe
(tokens living under a minute make the lab probe the token endpoint, with the credentials its baseline
registered, from fresh device after fresh device, unpaced). A throttle timeline bounds each arrival by
the first request's round trip ([sent_i - rtt_0, sent_i + rtt_i]), so with rtt_0 over one throttle
window no later request is certainly in any one window: the scenarios that need that (burst, one-time
burst, the THR-6 schedule, the forwarded chains) stay unjudged, however fast the machine is. Paced
checks never meet a 429, so their credentials are never held.
"""

from __future__ import annotations

import re
import socket
import threading
import time

FIRST_ADDRESS = re.compile(rb"\r\nx-forwarded-for:[ \t]*([^,\r\n]+)", re.IGNORECASE)
LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
CLIENT_ID = re.compile(rb"(?:^|&)client_id=([^&]*)")
TOKEN_REQUEST = b"POST /o/client/token "
HEAD_LIMIT = 64 * 1024


class DelayingProxy:
    def __init__(self, upstream: tuple[str, int], delay: float) -> None:
        self.upstream, self.delay = upstream, delay
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)  # accept() wakes up to see `stop`
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.seen: set[bytes] = set()  # devices
        self.throttled: set[bytes] = set()  # client_ids whose token request was answered 429
        self.held = 0  # requests held back (what the test can check happened)
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> DelayingProxy:
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.sock.close()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                client, _ = self.sock.accept()
            except OSError:
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.close()
                continue
            asked: list[bytes | None] = [None]  # the client_id of this connection's token request in flight
            threading.Thread(target=self._requests, args=(client, server, asked), daemon=True).start()
            threading.Thread(target=self._answers, args=(server, client, asked), daemon=True).start()

    def _hold(self, request: bytes, asked: list[bytes | None]) -> bool:
        """Whether this request is a device's first, and a token request with credentials that met a 429."""
        found = FIRST_ADDRESS.search(request)
        device = found.group(1).strip() if found else b""
        head, _, body = request.partition(b"\r\n\r\n")
        client = CLIENT_ID.search(body) if head.startswith(TOKEN_REQUEST) else None
        asked[0] = client.group(1) if client else None
        with self.lock:
            first = device not in self.seen
            self.seen.add(device)
            if first and client is not None and client.group(1) in self.throttled:
                self.held += 1
                return True
        return False

    def _requests(self, client: socket.socket, server: socket.socket, asked: list[bytes | None]) -> None:
        """Client to server. The harness sends one request at a time per connection: a token request is
        read on until its head and body (Content-Length) are whole, then judged by _hold."""
        try:
            while True:
                chunk = client.recv(65536)
                if not chunk:
                    break
                if chunk.startswith(TOKEN_REQUEST):
                    chunk = _whole(client, chunk)
                if self._hold(chunk, asked):
                    time.sleep(self.delay)  # the point of this proxy: a slow first round trip
                server.sendall(chunk)
        except OSError:
            pass
        finally:
            _shut(server)

    def _answers(self, server: socket.socket, client: socket.socket, asked: list[bytes | None]) -> None:
        """Server to client, learning which credentials were throttled."""
        try:
            while True:
                chunk = server.recv(65536)
                if not chunk:
                    break
                if chunk.startswith(b"HTTP/1.1 429") and asked[0] is not None:
                    with self.lock:
                        self.throttled.add(asked[0])
                client.sendall(chunk)
        except OSError:
            pass
        finally:
            _shut(client)


def _whole(sock: socket.socket, data: bytes) -> bytes:
    """data read on until it holds a whole request (its head, then Content-Length bytes of body)."""
    while b"\r\n\r\n" not in data and len(data) < HEAD_LIMIT:
        more = sock.recv(65536)
        if not more:
            return data
        data += more
    length = LENGTH.search(data.partition(b"\r\n\r\n")[0])
    while length and len(data.partition(b"\r\n\r\n")[2]) < min(int(length.group(1)), HEAD_LIMIT):
        more = sock.recv(65536)
        if not more:
            break
        data += more
    return data


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
