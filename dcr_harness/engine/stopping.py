"""A stopped run still reports: Ctrl-C, SIGTERM and the run deadline end the run like an interrupt.

pytest already turns KeyboardInterrupt into an orderly end (session finish hooks run, so
results.json, JUnit and the certification are written with what has run). SIGTERM and the
deadline (--max-time) raise RunStopped, a KeyboardInterrupt, in the main thread, so they take
the same path; the reason is kept and every artifact says INCOMPLETE.

A signal handler's exception is lost when the handler happens to run inside a finalizer (a
`__del__`, a weakref callback during garbage collection: Python prints "Exception ignored" and
goes on). So the stop is also delivered before the next check starts, from the kept reason or the
deadline itself: a run never outlives its deadline by more than the check that was running.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

import pytest

from ..errors import RunStopped


class RunStopper:
    """pytest plugin object (the run's main process only)."""

    def __init__(self, max_time: float | None = None) -> None:
        self.max_time = max_time
        self.reason: str | None = None
        self._previous: dict[int, Any] = {}
        self._deadline: float | None = None  # time.monotonic() value, once the session started

    @property
    def stopped(self) -> bool:
        return self.reason is not None

    def _stop(self, reason: str) -> None:
        self.reason = self.reason or reason
        raise RunStopped(self.reason)

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        self._stop("stopped by SIGTERM")

    def _on_deadline(self, signum: int, frame: Any) -> None:
        self._stop(self._deadline_reason())

    def _deadline_reason(self) -> str:
        return f"the run deadline (--max-time {self.max_time:g} s) was reached"

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signals reach the main thread only (pytest.main called from a thread: no handlers)
        self._previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, self._on_sigterm)
        if self.max_time:
            self._deadline = time.monotonic() + self.max_time
            self._previous[signal.SIGALRM] = signal.signal(signal.SIGALRM, self._on_deadline)
            signal.setitimer(signal.ITIMER_REAL, self.max_time)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        """The stop again, before this check: the signal's own exception may have been swallowed."""
        if self.reason is not None:
            raise RunStopped(self.reason)
        if self._deadline is not None and time.monotonic() >= self._deadline:
            self._stop(self._deadline_reason())

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        # Only a real Ctrl-C (or our own stop): pytest.exit(), and pytest's or pytest-xdist's Interrupted
        # (a check set session.shouldstop: -x, an unreachable target), come here too.
        if excinfo.type in (KeyboardInterrupt, RunStopped):
            self.reason = self.reason or "interrupted (Ctrl-C)"

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Writing the reports is not interrupted by the deadline; a SIGTERM now is noted, not obeyed."""
        self._deadline = None
        if signal.SIGALRM in self._previous:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if self._previous:
            signal.signal(signal.SIGTERM, lambda *_: None)

    def pytest_unconfigure(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()


def find_stopper(config: pytest.Config) -> RunStopper | None:
    return next((p for p in config.pluginmanager.get_plugins() if isinstance(p, RunStopper)), None)
