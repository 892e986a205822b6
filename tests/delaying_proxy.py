"""A loopback TCP proxy that makes the throttle unjudgeable for timing, deterministically (issue 26).

It forwards bytes both ways unchanged, except that a device's first request, when it is a GET of the
protected API (the throttle lab's probe), is held for `delay` seconds before it goes on. A throttle
timeline bounds each arrival by the first request's round trip ([sent_i - rtt_0, sent_i + rtt_i]), so
with rtt_0 over one throttle window no later request is certainly in any one window: the scenarios that
need that (burst, one-time burst, the THR-6 schedule, the forwarded chains) stay unjudged, however fast
the machine is. Ordinary checks register before they call the API, so they are not slowed.
"""

from __future__ import annotations

import re
import socket
import threading
import time

FIRST_ADDRESS = re.compile(rb"\r\nx-forwarded-for:[ \t]*([^,\r\n]+)", re.IGNORECASE)
HEAD_LIMIT = 64 * 1024


class DelayingProxy:
    def __init__(self, upstream: tuple[str, int], api_path: str, delay: float) -> None:
        self.upstream, self.delay = upstream, delay
        self.api_request = f"GET {api_path}".encode()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)  # accept() wakes up to see `stop`
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.seen: set[bytes] = set()
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
            threading.Thread(target=self._requests, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _hold(self, head: bytes) -> bool:
        """Whether this request is a device's first and a GET of the protected API."""
        found = FIRST_ADDRESS.search(head)
        device = found.group(1).strip() if found else b""
        with self.lock:
            first = device not in self.seen
            self.seen.add(device)
            if first and head.startswith(self.api_request):
                self.held += 1
                return True
        return False

    def _requests(self, client: socket.socket, server: socket.socket) -> None:
        """Client to server. The harness sends one request at a time per connection, its head in one
        write: a chunk that starts a GET is read on until its head is whole, then judged by _hold."""
        try:
            while True:
                chunk = client.recv(65536)
                if not chunk:
                    break
                if chunk.startswith(b"GET "):
                    while b"\r\n\r\n" not in chunk and len(chunk) < HEAD_LIMIT:
                        more = client.recv(65536)
                        if not more:
                            break
                        chunk += more
                if self._hold(chunk):
                    time.sleep(self.delay)  # the point of this proxy: a slow first round trip
                server.sendall(chunk)
        except OSError:
            pass
        finally:
            _shut(server)

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                chunk = source.recv(65536)
                if not chunk:
                    break
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            _shut(sink)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
