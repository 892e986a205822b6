"""A pytest plugin that runs the collected tests in a seeded random order (`-p tests.shuffle_order`).

Used by tests/flakiness.py to find tests that pass only after (or before) another one. Not
pytest-randomly: installed, that plugin reorders every pytest session in the environment,
the harness's own conformance runs included, and reseeds `random`; this one acts only when
loaded. The order depends on the seed alone, so every pytest-xdist worker collects the same
order (xdist requires it) and a failing order is replayed with the same --shuffle-seed.
"""

from __future__ import annotations

import random

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--shuffle-seed", type=int, default=None,
                     help="run the tests in the random order this seed gives (tests/shuffle_order.py)")


@pytest.hookimpl(trylast=True)  # after other plugins have filtered and ordered the items
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    seed = config.getoption("shuffle_seed")
    if seed is None:
        return
    # The modules in a random order, and the tests of each in a random order: a module's tests stay
    # together so that its module-scoped fixtures are set up once (item by item, the unit layer takes 3x longer).
    shuffle = random.Random(seed).shuffle
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], []).append(item)
    groups = list(modules.values())
    shuffle(groups)
    for group in groups:
        shuffle(group)
    items[:] = [item for group in groups for item in group]


def pytest_report_header(config: pytest.Config) -> str | None:
    seed = config.getoption("shuffle_seed")
    return None if seed is None else f"test order shuffled with --shuffle-seed {seed}"
