"""An expensive fixture value computed once per test run, whichever pytest-xdist worker asks first.

A module- or session-scoped fixture is per worker: when pytest-xdist spreads a module's tests over
several workers (or a worker steals some, `--dist worksteal`), each would redo the module's harness
runs. pytest-xdist's documented answer: compute under a file lock in the temporary directory that all
workers of this run share, and let the others read the result. Values are pickled (paths, run
records, plain data); anything live (a server, an open file) stays a per-worker fixture.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from typing import TypeVar

import pytest
from filelock import FileLock

T = TypeVar("T")


def once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str, compute: Callable[[], T]) -> T:
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return compute()
    shared = tmp_path_factory.getbasetemp().parent  # the run's directory, above every worker's own
    cache = shared / f"once-{name}.pickle"
    with FileLock(f"{cache}.lock"):
        if cache.is_file():
            return pickle.loads(cache.read_bytes())
        value = compute()
        cache.write_bytes(pickle.dumps(value))
        return value
