"""What a throttle probe's answer means (served / 429 / neither) and the timing bounds the checks judge with."""

import pytest

from dcr_harness.checks.throttle_lab import OTHER, SERVED, THROTTLED, Probe, Shot, Timeline
from dcr_harness.contract.target import Statements, Target
from dcr_harness.http import DcrClient, Exchange
from dcr_harness.http.session import Session
from tests.unit.unsent import unsent

TOKEN = Probe("token", unsent, 201)


def shot(status: int | None, sent: float = 0.0, rtt: float = 0.01) -> Shot:
    return Shot(TOKEN, None, sent, rtt, Exchange("POST", "http://127.0.0.1/t", [], b"", status=status), "198.18.0.1")


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (201, SERVED),  # the probe's normal answer
        (429, THROTTLED),
        (503, OTHER),  # THR-3 breaks; never counted as served (THR-1/4/5)
        (403, OTHER),
        (400, OTHER),  # a valid probe refused for its content is no normal answer either
        (200, OTHER),
    ],
)
def test_only_the_normal_answer_is_served(status, outcome):
    assert shot(status).outcome == outcome
    assert shot(status).served == (outcome == SERVED)


def _timeline(*shots: Shot) -> Timeline:
    # The client sends nothing here: the bounds come from the shots already recorded.
    target = Target(base_url="http://127.0.0.1", statements=Statements(valid="unused"))
    client = DcrClient(Session(target, persist_devices=False), device="198.18.0.1")
    return Timeline(client=client, probe_kind=TOKEN, shots=list(shots))


def test_arrival_bounds_use_the_first_round_trip_and_each_own():
    first, later = shot(201, 0.0, 0.02), shot(201, 0.95, 0.04)
    tl = _timeline(first, later)
    assert tl.arrival(first) == (0.0, 0.0)
    assert tl.arrival(later) == pytest.approx((0.93, 0.99))
    assert tl.in_window(later, 0)
    straddling = shot(201, 0.97, 0.05)
    tl.shots.append(straddling)
    assert not tl.in_window(straddling, 0) and not tl.in_window(straddling, 1)


def test_last_429_before_a_shot():
    a, b, c, d = shot(201), shot(429, 0.1), shot(429, 0.2), shot(201, 1.5)
    tl = _timeline(a, b, c, d)
    assert tl.last_429_before(d) is c and tl.last_429_before(b) is None


def test_a_scenario_record_files_every_timeline_it_drove():
    from dcr_harness.checks.scenario_results import EndpointShares, ForwardedChains, OneDeviceThenAnother

    spent, fresh, unrefused = _timeline(shot(201), shot(429)), _timeline(shot(201)), _timeline(shot(201))
    assert OneDeviceThenAnother(throttled=spent, fresh=fresh).timelines() == [spent, fresh]
    # Shots are not timelines; a list of timelines (endpoints never refused) is searched too.
    assert ForwardedChains(spent, shot(429), shot(201)).timelines() == [spent]
    shares = EndpointShares(spent, spent.shots, [shot(429)], [unrefused])
    assert shares.timelines() == [spent, unrefused]


NEVER_REFUSED = [
    # (send offsets of back-to-back requests that were all served, what that says)
    ([0.0, 0.1, 0.2, 0.3], "no throttle"),  # every one certainly in the first window: the throttle is missing
    ([0.0, 0.6, 1.2, 1.8], "timing"),  # a loaded machine spread them over windows: they may all be within the rate
]


@pytest.mark.parametrize(("offsets", "says"), NEVER_REFUSED)
def test_a_device_never_refused_says_no_throttle_only_when_its_requests_fitted_one_window(offsets, says):
    from dcr_harness.checks.throttle_scenarios import refused_or_why
    from dcr_harness.contract.throttle_model import DeviceAllowance
    from dcr_harness.errors import PoorTiming, Unjudgeable

    shots = [shot(201, sent, 0.01) for sent in offsets]
    with pytest.raises(Unjudgeable) as caught:
        refused_or_why(DeviceAllowance(1.0, 1), _timeline(*shots), shots)
    assert isinstance(caught.value, PoorTiming) == (says == "timing")
    assert (caught.value.unjudged == "timing") == (says == "timing")
    refused = [*shots[:2], shot(429, 0.3, 0.01)]
    refused_or_why(DeviceAllowance(1.0, 1), _timeline(*refused), refused)  # a refusal came: nothing to say
