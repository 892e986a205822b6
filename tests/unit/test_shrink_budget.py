"""The shrink budget (dcr_harness/engine/shrink_budget.py) bounds Hypothesis' shrinking and keeps the verdict.

The budget sets the one engine constant Hypothesis documents as patchable: the tests below
fail when a release stops honouring it, so an upgrade cannot silently turn the budget into a
no-op (the run itself only warns). The shrink time is measured from outside Hypothesis.

No test here depends on the machine's speed: the property whose shrinking must be cut short
makes each example cost at least the budget itself (it waits for the clock to pass it), so
the budget is spent after one shrinking step on any machine, fast or loaded.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.reporting import with_reporter

from dcr_harness.engine import shrink_budget

BUDGET_S = 0.05
# Costly examples after the first failure: the first shrinking step spends the whole budget, so
# a budget that is honoured stops shrinking within a couple of them. Later examples are free,
# so that a budget that is not applied lets shrinking run to its end quickly (and the test fail).
COSTLY = 5
SLOW_PROGRESS = "stopped because it is making very slow progress"


def test_this_hypothesis_release_has_the_shrink_time_constant():
    assert shrink_budget.budget_supported()
    assert shrink_budget.set_shrink_budget(3.5) and shrink_budget.shrink_budget() == 3.5


@pytest.fixture
def budget():
    before = shrink_budget.shrink_budget()
    yield shrink_budget.set_shrink_budget
    if before is not None:
        shrink_budget.set_shrink_budget(before)


def cost_at_least(seconds: float) -> None:
    """Stand in for a round trip that takes `seconds`: wait until the clock has passed them (bounded by them)."""
    until = time.perf_counter() + seconds
    while (left := until - time.perf_counter()) >= 0:
        time.sleep(left + 1e-4)


def failing_property(calls_after_failure: list[int], cost_s: float = 0.0):
    """Fails for any list summing over 100 (found at once; shrinking it takes many steps).

    From the first failure on, each of the first COSTLY examples costs `cost_s`;
    `calls_after_failure` counts the examples run after the first failure."""

    @settings(max_examples=200, database=None, derandomize=True, deadline=None, report_multiple_bugs=False)
    @given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=5))
    def prop(xs):
        if calls_after_failure:
            calls_after_failure[0] += 1
            if calls_after_failure[0] <= COSTLY:
                cost_at_least(cost_s)
        if sum(xs) > 100:
            if not calls_after_failure:
                calls_after_failure.append(0)
            shrink_budget.failure_seen()
            raise AssertionError(sum(xs))

    return prop


def run_and_capture(prop) -> tuple[BaseException | None, list[str]]:
    lines: list[str] = []
    with with_reporter(lambda text: lines.append(str(text))):
        try:
            prop()
        except AssertionError as exc:
            return exc, lines
        finally:
            shrink_budget.check_ended()
    return None, lines


def test_a_tiny_budget_stops_shrinking_and_keeps_the_failure(budget):
    budget(BUDGET_S)
    spent_before = shrink_budget.shrink_seconds()
    calls: list[int] = []
    failure, lines = run_and_capture(failing_property(calls, cost_s=BUDGET_S))
    assert failure is not None, "the property must still fail when shrinking is cut short"
    assert any(SLOW_PROGRESS in line for line in lines), lines
    # The budget ran out during the first costly examples (the replay of the failure spends all of it).
    assert calls and calls[0] <= COSTLY, calls
    assert shrink_budget.shrink_seconds() > spent_before


def test_without_costly_examples_shrinking_ends_on_its_own(budget):
    """The control: the same property, free, shrinks to its minimal failure well within a large budget."""
    budget(3600)
    calls: list[int] = []
    failure, lines = run_and_capture(failing_property(calls))
    assert failure is not None and not any(SLOW_PROGRESS in line for line in lines), lines
    assert calls[0] > COSTLY, "shrinking took more steps than the costly ones: a budget cuts it short above"
    assert str(failure) == "101", "shrinking went to its end: the smallest failing sum"


def test_the_verdict_is_the_same_with_the_default_budget(budget):
    budget(shrink_budget.DEFAULT_SHRINK_SECONDS)
    failure, _ = run_and_capture(failing_property([]))
    assert failure is not None
