"""Client pacing, the throttle model and its THR-6 oracle, device identities, and profile mismatch."""

import ipaddress

import httpx

from dcr_harness.contract.target import ThrottleProfile, target_from_dict
from dcr_harness.contract.throttle_model import DeviceAllowance, first_inconsistency, windows_between
from dcr_harness.http.devices import BLOCK, DEVICE_NETWORK, DeviceAllocator, cursor_path
from dcr_harness.http.pacing import Pacer
from dcr_harness.http.session import MISMATCH_DEVICES, Session

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


# The THR-6 oracle: the model at the measured arrival times, never the planned slots -----------

EXACT = [(t, t) for t in THR6_TIMES]


def test_documented_schedule_is_consistent_and_a_wrong_outcome_is_not():
    assert first_inconsistency(EXACT, THR6_SERVED) is None
    assert first_inconsistency(EXACT, THR6_SERVED[:-1] + [False]) == 16


def test_a_late_arrival_is_judged_where_it_arrived():
    # 2.8 arrives late, at 3.05: it takes window 3's rate allowance (served) and 3.1 is refused.
    # Judged against the planned slots, both would be false failures.
    late = [(3.05, 3.05) if t == 2.8 else (t, t) for t in THR6_TIMES]
    observed = THR6_SERVED[:15] + [True, False]
    assert first_inconsistency(late, observed) is None
    assert first_inconsistency(late, THR6_SERVED) == 15


def test_an_arrival_straddling_a_boundary_admits_either_outcome():
    straddle = EXACT[:-1] + [(2.95, 3.05)]
    assert first_inconsistency(straddle, THR6_SERVED) is None
    assert first_inconsistency(straddle, THR6_SERVED[:-1] + [False]) is None
    assert first_inconsistency(EXACT[:-1] + [(3.05, 3.1)], THR6_SERVED[:-1] + [False]) == 16


def test_windows_between_bounds():
    assert list(windows_between(0.2, 0.9)) == [0]
    assert list(windows_between(0.95, 1.05)) == [0, 1]
    assert list(windows_between(-0.01, 0.0)) == [0]


# Device identities never repeat across runs against one target --------------------------------


def test_devices_do_not_repeat_across_runs(tmp_path):
    first_run = DeviceAllocator("https://staging.example", root=tmp_path)
    second_run = DeviceAllocator("https://staging.example", root=tmp_path)
    a = [first_run.new_device() for _ in range(BLOCK + 5)]
    b = [second_run.new_device() for _ in range(BLOCK + 5)]
    assert len(set(a) | set(b)) == len(a) + len(b)
    assert all(ipaddress.ip_address(d) in DEVICE_NETWORK for d in a + b)
    assert DeviceAllocator("https://staging.example", root=tmp_path).path.read_text() == str(4 * BLOCK)


def test_targets_have_cursors_of_their_own(tmp_path):
    assert cursor_path("https://a.example", tmp_path) != cursor_path("https://b.example", tmp_path)


def test_an_unwritable_cache_falls_back_and_says_so(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    allocator = DeviceAllocator("https://staging.example", root=blocker / "devices")
    assert ipaddress.ip_address(allocator.new_device()) in DEVICE_NETWORK
    assert allocator.note and "may repeat" in allocator.note


# A throttle stricter than the profile is noticed, reported, and no longer waited out ----------

TARGET = {"base_url": "http://127.0.0.1:9", "statements": {"valid": "a.b.c"}}


def _session(status: int) -> tuple[Session, FakeClock]:
    session = Session(target_from_dict(TARGET), paced=True)
    session.http = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(status)))
    clock = FakeClock()
    session.pacer = Pacer(session.target.throttle, clock=clock, wait=clock.wait)
    return session, clock


def _send(session: Session, device: str):
    return session.send_raw("GET", "http://127.0.0.1:9/x", headers=[], device=device)


def test_stricter_throttle_is_declared_after_a_few_fresh_devices():
    session, clock = _session(429)
    for n in range(MISMATCH_DEVICES):
        assert session.throttle_mismatch is None
        _send(session, f"198.18.0.{n}")
    assert session.throttle_mismatch and "does not match the target's profile" in session.throttle_mismatch
    waited = clock.now
    ex = _send(session, "198.18.1.1")
    assert ex.status == 429 and clock.now == waited, "after the mismatch a 429 is handed back, not waited out"
    assert "not waited out" in ex.note


def test_one_device_refused_twice_is_not_a_mismatch():
    session, _ = _session(429)
    for _ in range(MISMATCH_DEVICES + 1):
        _send(session, "198.18.0.1")
    assert session.throttle_mismatch is None


def test_conforming_answers_never_declare_a_mismatch():
    session, _ = _session(201)
    for n in range(20):
        _send(session, f"198.18.0.{n}")
    assert session.throttle_mismatch is None and session.unexpected_429 == 0


def test_a_wrapped_cursor_says_devices_repeat(tmp_path):
    allocator = DeviceAllocator("https://staging.example", root=tmp_path)
    allocator.path.write_text(str(DEVICE_NETWORK.num_addresses + 5))
    assert allocator.new_device() == str(DEVICE_NETWORK[5])
    assert allocator.note and "used again" in allocator.note


def test_a_server_that_forgets_devices_needs_no_cursor(tmp_path):
    allocator = DeviceAllocator("http://127.0.0.1:40000", root=tmp_path, persist=False)
    assert [allocator.new_device() for _ in range(BLOCK + 1)][-1] == str(DEVICE_NETWORK[BLOCK])
    assert not allocator.path.exists()
