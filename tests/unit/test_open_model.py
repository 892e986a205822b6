"""The open model's arithmetic: users sized for a rate, each user's slots, and what was dropped (on a fake clock)."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

import pytest

from dcr_harness.loadgen.arrival import (
    Slots,
    arrival_marker,
    budget_for,
    interval_for,
    open_model_figures,
    open_model_line,
    open_model_wait,
    run_report,
    users_for,
)


@pytest.mark.parametrize(
    "rate, users, interval",
    [
        (0.5, 1, 2.0),  # below one arrival a second one user suffices, with a longer interval
        (1, 1, 1.0),
        (2.5, 3, 1.2),  # users round up; each user's interval stretches so that together they offer the rate
        (20, 20, 1.0),
        (1000, 1000, 1.0),
    ],
)
def test_users_are_sized_for_the_rate_and_together_offer_it(rate, users, interval):
    assert users_for(rate) == users
    assert interval_for(rate) == pytest.approx(interval)
    assert users / interval_for(rate) == pytest.approx(rate)


def test_a_profile_whose_arrival_lasts_longer_gets_more_users_for_the_same_rate():
    # A throttling arrival plays a device for seconds: 2 devices a second need 16 users, each every 8 s.
    assert budget_for("throttling") > budget_for("token_refresh")
    assert users_for(2, budget_for("throttling")) == 16 and interval_for(2, budget_for("throttling")) == 8.0
    assert open_model_figures(2, {}, 1.0, 0, budget_s=budget_for("throttling"))["users_sized"] == 16


def send(slots: Slots, first_end: float, response_times: list[float]) -> tuple[list[float], int]:
    """Play one user on a fake clock: (when each later arrival starts, slots it missed in all)."""
    now, starts, missed_total = first_end, [], 0
    for response_time in response_times:
        wait, missed = slots.wait(now)
        assert wait >= 0
        missed_total += missed
        starts.append(now + wait)
        now = now + wait + response_time
    return starts, missed_total


def test_arrivals_keep_their_slots_whatever_the_response_times():
    # Response times from 1 ms to 90% of the interval: the same slots, one interval apart, none dropped.
    starts, missed = send(Slots(0.5), first_end=10.0, response_times=[0.001, 0.45, 0.2, 0.01, 0.3])
    assert missed == 0
    assert starts == pytest.approx([10.5, 11.0, 11.5, 12.0, 12.5])


def test_a_user_busy_past_its_slots_drops_them_and_keeps_to_its_grid():
    # The arrival sent at 11.0 takes 1.3 s: the slots at 11.5 and 12.0 pass while it is busy (dropped,
    # never sent late, which would bunch the load), and the user sends again at 12.5.
    starts, missed = send(Slots(0.5), first_end=10.0, response_times=[0.1, 1.3, 0.1, 0.1])
    assert missed == 2
    assert starts == pytest.approx([10.5, 11.0, 12.5, 13.0])


def test_a_slot_reached_exactly_is_sent_not_dropped():
    slots = Slots(1.0)
    assert slots.wait(0.0) == (1.0, 0)  # the first arrival ended at 0: the next is sent at 1
    assert slots.wait(2.0) == (0.0, 0)  # it took 1 s: the slot at 2 is reached exactly, and sent
    assert slots.wait(3.0 + 1e-9) == pytest.approx((1.0, 1))  # a hair late for 3: dropped, next at 4


def test_slots_start_with_the_first_arrival_however_long_it_took():
    # A throttling arrival plays a device for seconds: the grid is anchored at its start, not its end.
    assert Slots(8.0).wait(5.0, first_started=0.0) == (3.0, 0)  # next slot at 8, not at 13
    assert Slots(1.0).wait(2.5, first_started=0.0) == (0.5, 2)  # it outlasted the slots at 1 and 2


def test_arrivals_are_counted_when_they_start_and_drops_when_the_user_is_free_again():
    clock = iter([100.0, 100.4, 101.0, 103.5])
    tick = lambda: next(clock)  # noqa: E731
    counts: Counter = Counter()
    count = lambda name, n: counts.update({name: n})  # noqa: E731
    arrival = arrival_marker(lambda user: user.rate, count, clock=tick)
    task = arrival(lambda user: "sent")
    wait = open_model_wait(lambda user: 7.0, lambda user: user.rate, count, clock=tick)
    user = SimpleNamespace(rate=1.0)  # 1/s: one user, 1 s slots
    assert task(user) == "sent" and counts == {"arrivals": 1}  # started at 100.0: counted already
    assert wait(user) == pytest.approx(0.6)  # ended at 100.4: the next slot is at 101.0
    assert task(user) == "sent"  # started at 101.0
    assert wait(user) == pytest.approx(0.5)  # ended at 103.5: the slots at 102 and 103 passed; next at 104
    assert counts == {"arrivals": 2, "arrivals_dropped": 2}
    closed = SimpleNamespace(rate=None)
    assert task(closed) == "sent" and wait(closed) == 7.0  # no rate: the profile's own wait, nothing counted
    assert counts == {"arrivals": 2, "arrivals_dropped": 2}


def test_offered_achieved_and_dropped():
    figures = open_model_figures(
        20.0, {"arrivals": 180, "arrivals_dropped": 20}, elapsed_s=10.0, requests=400, users=20
    )
    assert figures["offered"] == 200 and figures["sent"] == 180 and figures["dropped"] == 20
    assert figures["offered_rate"] == 20.0 and figures["achieved_rate"] == 18.0 and figures["requests_rate"] == 40.0
    assert figures["dropped_ratio"] == 0.1 and figures["requests_per_arrival"] == pytest.approx(400 / 180)
    line = open_model_line(figures)
    assert (
        "target 20/s; offered 20/s (200 arrivals in 10.0 s), achieved 18/s (180 sent on time), dropped 20 (10.00%)"
        in line
    )
    assert "sized for" not in line


def test_a_run_report_counts_from_the_start_of_the_run_to_its_run_time_or_its_stop():
    stats = SimpleNamespace(total=SimpleNamespace(start_time=1000.0, num_requests=50))
    counts = {"arrivals": 30, "arrivals_dropped": 0}
    assert run_report(None, counts, stats, 3, 10) is None  # a closed run: no open-model figures
    ran_out = run_report(3.0, counts, stats, 3, 10, now=lambda: 1016.0)  # -t 10s, reported after a 6 s stop
    assert ran_out is not None and ran_out["elapsed_s"] == 10.0 and ran_out["offered_rate"] == 3.0
    stopped = run_report(3.0, counts, stats, 3, 10, now=lambda: 1005.0)  # stopped at 5 s (a safety limit)
    assert stopped is not None and stopped["elapsed_s"] == 5.0 and stopped["offered_rate"] == 6.0


def test_nothing_measured_is_said_so_and_fewer_users_than_sized_are_named():
    figures = open_model_figures(50.0, {}, elapsed_s=0.0, requests=0, users=10)
    assert figures["offered"] == 0 and figures["dropped_ratio"] is None and figures["achieved_rate"] is None
    line = open_model_line(figures)
    assert "offered n/a" in line
    assert "10 users, not the 50 the rate is sized for" in line


def load_options(*argv: str) -> tuple[int, float]:
    from dcr_harness.cli.commands import build_parser
    from dcr_harness.cli.load_options import users_and_spawn_rate

    return users_and_spawn_rate(build_parser().parse_args(["load", *argv]))


def test_the_command_sizes_the_users_for_the_rate_and_starts_them_within_a_second():
    assert load_options("token_refresh") == (10, 5.0)  # closed: the defaults
    assert load_options("token_refresh", "--rate", "25") == (25, 25.0)
    assert load_options("throttling", "--rate", "2") == (16, 16.0)  # 8 s a device: 16 users
    assert load_options("throttling", "--rate", "2", "--spawn-rate", "4") == (16, 4.0)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--rate", "0"], "--rate must be above 0, not 0"),
        (["--rate", "5", "--users", "3"], "--rate sizes the users itself (5 for 5/s); leave out --users"),
        (
            ["--rate", "5", "--shape", "ramp"],
            "--rate holds one arrival rate for the whole run; it does not combine with --shape",
        ),
        (
            ["--rate", "5", "--worker", "--master-host", "127.0.0.1"],
            "a worker takes the rate from its master; give --rate to the master",
        ),
    ],
)
def test_a_rate_that_cannot_be_held_is_named(argv, message):
    with pytest.raises(ValueError) as excinfo:
        load_options("token_refresh", *argv)
    assert str(excinfo.value) == message
