"""Start the reference server in a subprocess on a free loopback port, and stop it.

Used when no target is given, and by the harness's own tests (faults, restarts).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from ..contract.target import Target, target_from_dict
from ..errors import EmbeddedServerError

# Short enough that API-4 (expiry) is checked live; long enough for a check's own steps.
EMBEDDED_TOKEN_TTL_S = 4
START_TIMEOUT_S = 30.0


class EmbeddedServer:
    def __init__(
        self,
        data_dir: str | os.PathLike[str] | None = None,
        *,
        token_ttl: float = EMBEDDED_TOKEN_TTL_S,
        faults: Iterable[str] = (),
        extra_args: Iterable[str] = (),
        port: int = 0,
    ) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if not data_dir:
            self._tmp = tempfile.TemporaryDirectory(prefix="dcr-reference-")
            data_dir = self._tmp.name
        self.data_dir = Path(data_dir)
        self.token_ttl = token_ttl
        self.faults = tuple(faults)
        self.extra_args = tuple(extra_args)
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None
        self.target: Target | None = None
        self.target_file = self.data_dir / "target.json"

    def command(self) -> list[str]:
        cmd = [
            sys.executable,
            "-m",
            "dcr_harness.refserver",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--target-out",
            str(self.target_file),
            "--token-ttl",
            str(self.token_ttl),
        ]
        for fault in self.faults:
            cmd += ["--fault", fault]
        return cmd + list(self.extra_args)

    def start(self) -> Target:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.target_file.unlink(missing_ok=True)
        log = open(self.data_dir / "server.log", "ab")
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedServerError(f"reference server exited with {self.process.returncode}: {self.log_tail()}")
            if self.target_file.exists() and self._accepts_connections():
                data = json.loads(self.target_file.read_text())
                self.target = target_from_dict(data, base_dir=self.data_dir, source="embedded reference server")
                self.port = int(data["base_url"].rsplit(":", 1)[1])
                return self.target
            time.sleep(0.05)  # polling for the server's readiness, bounded by the deadline
        self.stop()
        raise EmbeddedServerError(f"reference server did not start within {START_TIMEOUT_S:.0f} s: {self.log_tail()}")

    def _accepts_connections(self) -> bool:
        try:
            data = json.loads(self.target_file.read_text())
            host, port = data["base_url"].split("//", 1)[1].rsplit(":", 1)
            with socket.create_connection((host, int(port)), timeout=0.5):
                return True
        except (OSError, ValueError, KeyError):
            return False

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join((self.data_dir / "server.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def restart(self) -> Target:
        """Stop and start again on the same data dir and port (persistence checks)."""
        self.stop()
        return self.start()

    def close(self) -> None:
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> Target:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
