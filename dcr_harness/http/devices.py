"""Device identities (THR-1) that do not repeat across runs against the same target.

A device's burst is one-time (THR-2): a persistent server remembers every device it has
seen, so an address used by an earlier run starts with no burst left and its checks meet
429s they should not. Addresses come from 198.18.0.0/15 (RFC 2544 benchmarking: never
routed, so never a real user's) in order, from a cursor kept per target (keyed by base
URL) in the user's cache directory: `$XDG_CACHE_HOME/dcr-harness/devices/<sha256>`.
A run reserves a small block at a time under a file lock, so concurrent runs (and xdist
workers) never share one. The range holds 131072 addresses; the cursor wraps after that,
which at a few hundred devices per run is hundreds of runs against one target. When the
cache cannot be written the run starts at a random offset instead (the old behaviour) and
says so in `note`. A server that cannot remember earlier runs (the embedded reference: a
fresh process each run) needs no cursor: `persist=False` starts at the range's beginning
and writes nothing.
"""

from __future__ import annotations

import fcntl
import hashlib
import ipaddress
import os
import secrets
import threading
from pathlib import Path

DEVICE_NETWORK = ipaddress.ip_network("198.18.0.0/15")
BLOCK = 32  # addresses reserved per visit to the cursor file


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dcr-harness" / "devices"


def cursor_path(base_url: str, root: Path | None = None) -> Path:
    return (root or cache_dir()) / hashlib.sha256(base_url.encode()).hexdigest()


class DeviceAllocator:
    def __init__(self, base_url: str, root: Path | None = None, *, persist: bool = True, start: int = 0) -> None:
        """start: where a non-persistent allocator begins (each worker of a concurrent run its own block)."""
        self.path = cursor_path(base_url, root)
        self.note: str | None = None
        self._lock = threading.Lock()
        self._next = 0 if persist else start
        self._end = 0 if persist else start + DEVICE_NETWORK.num_addresses

    def _reserve(self) -> None:
        """Take the next block from the cursor file (created on first use)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a+", encoding="ascii") as f:
                fcntl.flock(f, fcntl.LOCK_EX)
                f.seek(0)
                text = f.read().strip()
                start = int(text) if text.isdigit() else 0
                f.seek(0)
                f.truncate()
                f.write(str(start + BLOCK))
        except OSError as exc:
            offset = secrets.randbelow(DEVICE_NETWORK.num_addresses)
            self.note = (
                f"device cursor not persisted ({exc}); devices start at a random offset and may repeat "
                f"those of an earlier run against this target"
            )
            self._next, self._end = offset, offset + DEVICE_NETWORK.num_addresses
            return
        if start // DEVICE_NETWORK.num_addresses > 0 and self.note is None:
            self.note = (
                f"the device cursor for this target has gone round {DEVICE_NETWORK} "
                f"({start // DEVICE_NETWORK.num_addresses} times): devices of runs long ago are used again, "
                f"and a server that remembers them gives them no burst ({self.path} resets the cursor)"
            )
        self._next, self._end = start, start + BLOCK

    def new_device(self) -> str:
        with self._lock:
            if self._next >= self._end:
                self._reserve()
            index = self._next
            self._next += 1
        return str(DEVICE_NETWORK[index % DEVICE_NETWORK.num_addresses])
