"""The shrink budget (dcr_harness/engine/shrink_budget.py) bounds Hypothesis' shrinking and keeps the verdict.

The budget sets the one engine constant Hypothesis documents as patchable: the tests below
fail when a release stops honouring it, so an upgrade cannot silently turn the budget into a
no-op (the run itself only warns). The shrink time is measured from outside Hypothesis.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.reporting import with_reporter

from dcr_harness.engine import shrink_budget


def test_this_hypothesis_release_has_the_shrink_time_constant():
    assert shrink_budget.budget_supported()
    assert shrink_budget.set_shrink_budget(3.5) and shrink_budget.shrink_budget() == 3.5


@pytest.fixture
def budget():
    before = shrink_budget.shrink_budget()
    yield shrink_budget.set_shrink_budget
    shrink_budget.set_shrink_budget(before)


def failing_slow_property():
    """Fails for any list summing over 100; each call costs a little, as a request to a server does."""

    @settings(max_examples=200, database=None, derandomize=True, deadline=None)
    @given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=5))
    def prop(xs):
        time.sleep(0.005)  # stands in for a round trip to a slow target
        if sum(xs) > 100:
            shrink_budget.failure_seen()
            raise AssertionError(sum(xs))

    return prop


def run_and_capture(prop) -> tuple[BaseException | None, list[str]]:
    lines: list[str] = []
    with with_reporter(lines.append):
        try:
            prop()
        except AssertionError as exc:
            return exc, lines
        finally:
            shrink_budget.check_ended()
    return None, lines


def test_a_tiny_budget_stops_shrinking_and_keeps_the_failure(budget):
    budget(0.2)
    spent_before = shrink_budget.shrink_seconds()
    failure, lines = run_and_capture(failing_slow_property())
    assert failure is not None, "the property must still fail when shrinking is cut short"
    assert any("stopped because it is making very slow progress" in line for line in lines), lines
    assert shrink_budget.shrink_seconds() > spent_before


def test_the_verdict_is_the_same_with_the_default_budget(budget):
    budget(shrink_budget.DEFAULT_SHRINK_SECONDS)
    failure, _ = run_and_capture(failing_slow_property())
    assert failure is not None
