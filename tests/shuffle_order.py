"""A pytest plugin that runs the collected tests in a seeded random order (`-p tests.shuffle_order`).

Used by tests/flakiness.py to find tests that pass only after (or before) another one. Not
pytest-randomly: installed, that plugin reorders every pytest session in the environment,
the harness's own conformance runs included, and reseeds `random`; this one acts only when
loaded. The order depends on the seed alone, so every pytest-xdist worker collects the same
order (xdist requires it) and a failing order is replayed with the same --shuffle-seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--shuffle-seed",
        type=int,
        default=None,
        help="run the tests in the random order this seed gives (tests/shuffle_order.py)",
    )


def shuffled(items: list[T], seed: int, module_of: Callable[[T], str]) -> list[T]:
    """The modules in a random order, and the tests of each in a random order. A module's tests stay together
    so that its module-scoped fixtures are set up once (item by item, the unit layer takes 3x longer)."""
    shuffle = random.Random(seed).shuffle
    modules: dict[str, list[T]] = {}
    for item in items:
        modules.setdefault(module_of(item), []).append(item)
    groups = list(modules.values())
    shuffle(groups)
    for group in groups:
        shuffle(group)
    return [item for group in groups for item in group]


@pytest.hookimpl(trylast=True)  # after other plugins have filtered and ordered the items
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    seed = config.getoption("shuffle_seed")
    if seed is not None:
        items[:] = shuffled(items, seed, lambda item: item.nodeid.split("::")[0])


def pytest_report_header(config: pytest.Config) -> str | None:
    seed = config.getoption("shuffle_seed")
    return None if seed is None else f"test order shuffled with --shuffle-seed {seed}"
