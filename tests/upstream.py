"""The upstream specification the project restates (docs/contract.md), when this machine has it.

The repository refers to nothing outside itself: set DCR_UPSTREAM_SPEC to the folder that
holds the upstream CONTRACT.md (and seeds/ beside it) to compare against it; tests that
need it skip otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_SPEC = Path(os.environ["DCR_UPSTREAM_SPEC"]) if os.environ.get("DCR_UPSTREAM_SPEC") else None
UPSTREAM_CONTRACT = _SPEC / "CONTRACT.md" if _SPEC else Path("/nonexistent/CONTRACT.md")
UPSTREAM_SEEDS = _SPEC.parent / "seeds" if _SPEC else Path("/nonexistent/seeds")

needs_upstream_contract = pytest.mark.skipif(
    not UPSTREAM_CONTRACT.is_file(), reason="upstream contract not present (set DCR_UPSTREAM_SPEC)"
)
