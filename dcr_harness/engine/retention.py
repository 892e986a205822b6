"""--keep N: only the N newest run directories under a report root survive a new run.

Only directories named as a run names them (<UTC stamp>-<target>-<pid>) are candidates, never
anything else a user keeps under the root.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

RUN_DIR_NAME = re.compile(r"^\d{8}T\d{6}Z-.+-\d+$")


def run_dirs(root: Path) -> list[Path]:
    """The run directories under root, oldest first (the name starts with the UTC time)."""
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and RUN_DIR_NAME.match(p.name)]
    return sorted(found, key=lambda p: p.name)


def prune_run_dirs(root: Path, keep: int, current: Path | None = None) -> list[Path]:
    """Remove all but the `keep` newest run directories (the current one always stays); the removed ones."""
    candidates = [p for p in run_dirs(root) if current is None or p.resolve() != current.resolve()]
    room = max(keep - (1 if current is not None else 0), 0)
    doomed = candidates[: max(len(candidates) - room, 0)]
    for path in doomed:
        shutil.rmtree(path, ignore_errors=True)
    return doomed
