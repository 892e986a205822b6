"""The self-tests' order: the ones marked `slow` (whole runs, servers, load) first, the rest after.

pytest-xdist's worksteal hands each worker a share of this order and lets idle workers steal the
tail of the longest queue; with the long tests started first, the run ends on short ones instead of
on a whole run that began last (a shorter wall time on the 2 cores of CI, the same tests)."""

from __future__ import annotations

import pytest


@pytest.hookimpl(
    trylast=True
)  # after the plugins have filtered the items; a shuffled order (tests/shuffle_order.py) stays within each part
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: the order within each part stays
