"""The flakiness command's parts (tests/flakiness.py, tests/shuffle_order.py): the order and the reading."""

from __future__ import annotations

from tests.flakiness import Run, read_summary
from tests.shuffle_order import shuffled

NODES = [f"tests/unit/test_{m}.py::test_{n}" for m in "abcd" for n in range(5)]


def module(nodeid: str) -> str:
    return nodeid.split("::")[0]


def test_the_order_is_a_permutation_set_by_the_seed_alone():
    order = shuffled(NODES, 7, module)
    assert sorted(order) == sorted(NODES) and order != NODES
    assert shuffled(list(NODES), 7, module) == order  # every xdist worker collects the same order
    assert shuffled(NODES, 8, module) != order


def test_a_modules_tests_stay_together():
    order = [module(n) for n in shuffled(NODES, 3, module)]
    runs = [m for i, m in enumerate(order) if i == 0 or order[i - 1] != m]
    assert sorted(runs) == sorted(set(order)), order


def test_failures_and_errors_are_read_by_node_id():
    run = Run("unit", "idle", 1, 5)
    read_summary(
        "\n".join(
            [
                "....F",
                "FAILED tests/unit/test_a.py::test_x[p-1] - AssertionError: lines == []",
                "ERROR tests/unit/test_b.py::test_y - fixture 'nope' not found",
                "FAILED to start something",  # not a node id
                "1 failed, 41 passed, 1 error in 3.2s",
            ]
        ),
        run,
    )
    assert run.failed == {"tests/unit/test_a.py::test_x[p-1]": "F", "tests/unit/test_b.py::test_y": "E"}
    assert run.passed == 41
