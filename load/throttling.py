"""Throttling load: many devices, each exceeding its allowance in its own pattern.

Every simulated user plays devices one after another (a fresh device header each time),
cycling through three patterns: a burst, a steady over-rate, and idle-then-burst. Every
answer is compared with the per-device prediction of dcr_harness.contract.throttle_model, giving
throttle precision (observed 429s that were due) and recall (due 429s that were observed).
A request whose send offset lies within its latency band of a window boundary is not
counted (and ends that device's judging: the model's state is uncertain after it).

    dcr-harness load throttling --users 10 --duration 30
"""

import itertools
import time

import gevent
import shapes
from locust import constant, task

from dcr_harness.checks import api_rejected
from dcr_harness.loadgen.judging import MODEL_MISMATCH, judged, token_rejected
from dcr_harness.loadgen.profile import install, user_base

RUN = install("throttling")  # the reference with its default profile (1/s, burst 10)
LoadShape = shapes.selected()
BAND_EXTRA_S = 0.02
_patterns = itertools.count()
PROBE_JUDGES = {True: token_rejected, False: api_rejected}


def probe_request(device):
    """The cheapest throttled request: the protected API with an unknown token (401), else a
    token request with unknown credentials (400); either way the allowance is spent."""
    api = RUN.target.protected_api
    if api is not None:
        return (
            "api-probe",
            api.method,
            api.path,
            RUN.headers(device, Authorization="Bearer dcr-harness-load-probe-unknown-token"),
            b"",
        )
    body = b"client_id=dcr-harness-load-probe&client_secret=x&grant_type=client_credentials"
    return (
        "token-probe",
        "POST",
        RUN.target.token_path,
        RUN.headers(device, **{"Content-Type": "application/x-www-form-urlencoded"}),
        body,
    )


class DevicePlay:
    """One fresh device: send at planned offsets, predict each answer, score it."""

    def __init__(self, user):
        self.user, self.device = user, RUN.new_device()
        self.model = RUN.allowance()
        self.window = self.model.window_seconds
        self.t0 = None
        self.first_rtt = 0.0
        self.void = False

    def probe(self, at=None):
        if at is not None and self.t0 is not None:
            gevent.sleep(max(0.0, self.t0 + at - time.monotonic()))
        start = time.monotonic()
        if self.t0 is None:
            self.t0 = start
        offset = start - self.t0

        def judge(ex):
            rtt = time.monotonic() - start
            if self.t0 == start:
                self.first_rtt = rtt
            return self.score(ex, offset, rtt)

        RUN.request(self.user, *probe_request(self.device), judge)

    def near_boundary(self, offset, rtt):
        band = self.first_rtt + rtt + BAND_EXTRA_S
        nearest = round(offset / self.window) * self.window
        return nearest > 0 and abs(offset - nearest) < band

    def score(self, ex, offset, rtt):
        refused = ex.status == 429
        if refused:
            RUN.metrics.add("throttled")  # the profile's purpose (thresholds: must_exercise)
        if self.void or self.near_boundary(offset, rtt):
            self.void = True
            RUN.metrics.add("ambiguous")
            return (
                None if refused or not RUN.judging else judged(PROBE_JUDGES[ex.url.endswith(RUN.target.token_path)], ex)
            )
        due = not self.model.admit(offset)
        RUN.metrics.add(
            {(True, True): "tp", (True, False): "fp", (False, True): "fn", (False, False): "tn"}[(refused, due)]
        )
        if refused != due:
            return MODEL_MISMATCH, (
                f"{'429' if refused else 'served'} at +{offset:.3f} s but the model predicts "
                f"{'429' if due else 'served'} (device {self.device})"
            )
        if due and ex.status is not None and ex.status >= 500:
            return "THR-3", f"over the limit answered {ex.status}, not 429"
        return None if refused or not RUN.judging else judged(PROBE_JUDGES[ex.url.endswith(RUN.target.token_path)], ex)

    # Patterns: planned offsets stay clear of window boundaries; back-to-back sends have none.

    def burst(self):
        for _ in range(self.model.per_window + self.model.burst + 4):
            self.probe()
        for k in (1, 2):
            self.probe((k + 0.5) * self.window)

    def over_rate(self):
        for k in range(5):
            for f in (0.2, 0.4, 0.6, 0.8):
                self.probe((k + f) * self.window)

    def idle_then_burst(self):
        self.probe()
        self.probe(3.2 * self.window)
        for _ in range(self.model.per_window + self.model.burst + 2):
            self.probe()


PATTERNS = (DevicePlay.burst, DevicePlay.over_rate, DevicePlay.idle_then_burst)


class Devices(user_base()):
    wait_time = RUN.wait_time(constant(0))  # a known arrival rate (--rate) paces it instead

    @task
    @RUN.arrival  # one arrival of an open-model run (--rate)
    def play_one_device(self):
        PATTERNS[next(_patterns) % len(PATTERNS)](DevicePlay(self))
