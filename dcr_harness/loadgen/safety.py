"""Load-run safety that needs no Locust (the runner checks it before starting anything)."""

from __future__ import annotations

from ..contract.target import Target


def remote_refusal(target: Target) -> str | None:
    """Why a load run must not start against this target, or None (loopback, or opted in)."""
    if target.is_loopback or target.load.allow_remote:
        return None
    return (f"refusing to load-test {target.base_url}: it is not on loopback, and its target file "
            f"({target.source or 'unnamed'}) does not opt in with `[load] allow_remote = true`")
