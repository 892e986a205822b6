"""The certification server: the reference server in recording mode, in this process.

uvicorn serves in a thread so that the main thread waits for the end of the session
(duration, flows, Ctrl-C) and then judges what was recorded.
"""

from __future__ import annotations

import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import uvicorn

from ..errors import ServerStartError
from ..refserver.app import REGISTER_PATH, TOKEN_PATH, create_app
from ..refserver.config import ServerConfig
from ..refserver.keys import Keys
from ..refserver.main import DB_FILE, bind
from ..refserver.seed import seed
from ..refserver.store import Store
from ..refserver.target_file import base_url
from .recording import RecordingMiddleware
from .scenarios import Settings
from .trust import TrustingKeys

START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 10.0


class CertificationServer:
    def __init__(
        self,
        settings: Settings,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        partner_key: object = None,
        on_restart: Callable[[], None] | None = None,
        exit_after_flows: int | None = None,
    ) -> None:
        self.settings = settings
        self.host, self.port = host, port
        self.partner_key = partner_key
        self._tmp = tempfile.TemporaryDirectory(prefix="dcr-certify-client-")
        self.data_dir = Path(self._tmp.name)
        rate, burst = settings.throttle
        # fallback: a malformed X-Device-Info is the client's finding (DEV-1/2), not a refusal that ends its flow.
        self.config = ServerConfig(
            host=host,
            port=port,
            data_dir=self.data_dir,
            token_ttl=settings.token_ttl,
            rate_per_s=rate,
            burst=burst,
            device_info_policy="fallback",
        )
        self.store = Store(self.data_dir / DB_FILE)
        keys = Keys.load_or_create(self.data_dir)
        if partner_key is not None:
            keys = TrustingKeys(keys, partner_key, self.store)
        self.statement = seed(self.store, keys)["valid"]
        self.recording = RecordingMiddleware(
            create_app(self.config, self.store, keys),
            settings,
            on_restart=on_restart,
            exit_after_flows=exit_after_flows,
        )
        self.base_url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def endpoints(self) -> dict[str, str]:
        return {
            "register": self.base_url + REGISTER_PATH,
            "token": self.base_url + TOKEN_PATH,
            "api": f"{self.base_url}/api/v2/{self.config.service_provider}/configuration",
        }

    def start(self) -> str:
        sock = bind(self.host, self.port)
        self.base_url = base_url(self.host, sock.getsockname()[1])
        self._server = uvicorn.Server(
            uvicorn.Config(self.recording, log_level="warning", access_log=False, lifespan="off", proxy_headers=False)
        )
        self._sock = sock
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="certify-client-server"
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ServerStartError(f"the certification server did not start on {self.base_url}")
            time.sleep(0.02)  # bounded by the deadline: uvicorn offers no started event
        return self.base_url

    def wait(self, duration: float | None) -> str:
        """Block until the duration passed, enough flows were answered, or SIGINT/SIGTERM; why it ended.

        Both signals are handled here (not left to KeyboardInterrupt): a shell script's background
        job starts with SIGINT ignored, and a supervisor stops with SIGTERM; either way the session
        ends in a judgement, not in lost traffic."""
        why: list[str] = []

        def on_signal(signum: int, frame: object) -> None:
            why.append(f"stopped by {signal.Signals(signum).name}")
            self.recording.done.set()

        in_main = threading.current_thread() is threading.main_thread()
        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)} if in_main else {}
        try:
            if self.recording.done.wait(timeout=duration):
                return why[0] if why else f"{self.recording.flows} flows answered"
            return f"duration {duration:g} s reached"
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def close(self) -> None:
        self.stop()
        self.store.close()
        self._tmp.cleanup()

    def __enter__(self) -> CertificationServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
