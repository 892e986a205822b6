"""Client pacing predicts the THR-6 schedule and waits instead of meeting a 429."""

from dcr_harness.http.pacing import Pacer
from dcr_harness.target import ThrottleProfile
from dcr_harness.throttle_model import DeviceAllowance

THR6_TIMES = [0, 0.3, 0.6, 0.9, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 2.1, 2.2, 2.4, 2.6, 2.8, 3.1]
THR6_SERVED = [True] * 13 + [False] * 3 + [True]


def test_model_reproduces_the_documented_schedule():
    allowance = DeviceAllowance(1, 10)
    assert [allowance.admit(t) for t in THR6_TIMES] == THR6_SERVED


def test_burst_never_refills():
    allowance = DeviceAllowance(1, 3)
    assert all(allowance.admit(0.1 * i) for i in range(4))  # rate + 3 burst in window 0
    assert allowance.admit(100.0) and not allowance.admit(100.1)


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def wait(self, seconds):
        self.now += seconds


def test_pacer_spreads_requests_past_the_burst():
    clock = FakeClock()
    pacer = Pacer(ThrottleProfile(rate_per_s=1, burst=2), clock=clock, wait=clock.wait)
    sent = []
    for _ in range(6):
        pacer.take_turn("dev")
        sent.append(clock.now)
    server = DeviceAllowance(1, 2)
    assert all(server.admit(t) for t in sent), sent
    assert sent[2] == 0 and sent[3] >= 1.0 and sent[5] >= 3.0


def test_devices_are_paced_independently():
    clock = FakeClock()
    pacer = Pacer(ThrottleProfile(rate_per_s=1, burst=0), clock=clock, wait=clock.wait)
    pacer.take_turn("a")
    pacer.take_turn("b")
    assert clock.now == 0.0
