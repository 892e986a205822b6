"""The run's request count when several processes send (pytest-xdist workers): one locked file.

budget.max_requests caps the whole run, not each worker, so every request takes its turn
from this count under an exclusive lock (flock) before it is sent.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class SharedRequestCount:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.touch(exist_ok=True)

    def take(self, limit: int | None) -> bool:
        """Count one request; False (and nothing counted) when `limit` requests were already sent."""
        with open(self.path, "r+", encoding="ascii") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)  # released when the file closes
            sent = int(fh.read() or 0)
            if limit is not None and sent >= limit:
                return False
            fh.seek(0)
            fh.write(str(sent + 1))
            fh.truncate()
            return True

    def value(self) -> int:
        with open(self.path, encoding="ascii") as fh:
            fcntl.flock(fh, fcntl.LOCK_SH)
            return int(fh.read() or 0)
