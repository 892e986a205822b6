"""Load-run safety that needs no Locust (the runner checks it before starting anything)."""

from __future__ import annotations

from ..contract.target import Target


def remote_refusal(target: Target) -> str | None:
    """Why a load run must not start against this target, or None (loopback, or opted in)."""
    if target.is_loopback or target.load.allow_remote:
        return None
    return (
        f"refusing to load-test {target.base_url}: it is not on loopback, and its target file "
        f"({target.source or 'unnamed'}) does not opt in with `[load] allow_remote = true`"
    )


def request_share(max_requests: int, workers: int) -> int:
    """What one process may send of load.max_requests: all of it alone, an equal share (rounded up) as one of
    `workers` workers. The master sees the workers' counts only every few seconds, so a cap per process is what
    keeps the total within the limit (plus what was in flight) however fast the workers send."""
    return -(-max_requests // max(1, workers))
