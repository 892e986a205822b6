"""What every locustfile in load/ shares: the target, safety limits, judging, metrics, the gate.

A locustfile calls `install(PROFILE, embedded_args)` once at import and gets a LoadRun.
The target comes from --dcr-target / $DCR_TARGET (Locust's --host overrides its base_url);
with none, the master (or the single process) starts the embedded reference server.
Safety: a target off loopback needs `load.allow_remote = true` in its file, and every run
stops at target.load.max_duration_s and max_requests (defaults: dcr_harness.contract.target.LoadSafety).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, HttpUser, events
from locust.exception import StopUser
from locust.runners import STATE_MISSING, STATE_RUNNING, STATE_SPAWNING, MasterRunner, WorkerRunner

from ..contract import device_info
from ..contract.target import Target, TargetError, load_target
from ..contract.throttle_model import DeviceAllowance
from ..contract.verdicts import RunVerdict
from ..engine.embedded import EmbeddedServer
from ..errors import ExitCode, RemoteTargetRefused
from ..http.masking import Masker, learn_from_request
from ..http.secret_scan import SecretScanner
from ..http.session import DEVICE_NETWORK
from .arrival import arrival_marker, budget_for, open_model_line, open_model_wait, run_report
from .devices import device_address, stride_for
from .histograms import ExactLatency
from .histograms import summary_lines as latency_lines
from .judging import JUDGES, MODEL_MISMATCH, Verdict, exchange_of, judged
from .metrics import LoadMetrics
from .safety import remote_refusal, request_share
from .thresholds import ThresholdsError, evaluate, latency_from_stats, load_thresholds
from .workers import WorkerLedger, WorkerSample

SAFETY_POLL_S = 0.5


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.lower() not in ("0", "false", "no", "")


def user_base() -> type:
    """FastHttpUser unless DCR_LOAD_CLIENT=http (the benchmark compares both)."""
    return HttpUser if os.environ.get("DCR_LOAD_CLIENT", "fast") == "http" else FastHttpUser


class LoadRun:
    def __init__(self, profile: str, embedded_args: list[str]) -> None:
        self.profile = profile
        self.embedded_args = embedded_args
        self.target: Target | None = None
        self.embedded: EmbeddedServer | None = None
        self.metrics = LoadMetrics()
        self.latency = ExactLatency()
        self.judging = env_flag("DCR_LOAD_JUDGE", True)
        self.sent = 0
        self.share: int | None = None  # of load.max_requests, this process's (set at the first request)
        self.started = time.monotonic()
        self.environment: Any = None
        self.masker = Masker()
        self.scanner = SecretScanner(self.masker)
        self._device_slot: tuple[int, int, int] | None = None  # (offset, worker index, stride), set at the first device
        self._devices = 0
        self.workers: WorkerLedger | None = None  # the master's account of its workers

    # Devices and pacing

    @property
    def is_worker(self) -> bool:
        return isinstance(self.environment.runner, WorkerRunner)

    def workers_sharing(self) -> int:
        """How many processes share this run's devices and request cap: the workers the master expects (its
        options reach each worker before users start), or 1 for a process on its own."""
        return int(getattr(self.environment.parsed_options, "expect_workers", 1) or 1) if self.is_worker else 1

    def new_device(self) -> str:
        if self._device_slot is None:
            # Read when users start: by then a worker has the master's options (its offset, the workers expected).
            workers = self.workers_sharing()
            self._device_slot = (
                int(getattr(self.environment.parsed_options, "dcr_device_offset", 0) or 0),
                max(0, self.environment.runner.worker_index),
                stride_for(workers) if self.is_worker else 1,
            )
        self._devices += 1
        offset, index, stride = self._device_slot
        return device_address(offset, index, self._devices, stride)

    def allowance(self) -> DeviceAllowance:
        assert self.target is not None
        return DeviceAllowance(self.target.throttle.rate_per_s, self.target.throttle.burst)

    def headers(self, device: str, **extra: str) -> dict[str, str]:
        assert self.target is not None
        return {
            self.target.throttle.device_header: device,
            "Accept": "application/json",
            "X-Device-Info": device_info.header_value(),
            **extra,
        }

    # One judged request

    def request(
        self,
        user: Any,
        name: str,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes = b"",
        judge: Callable[[Any], Verdict] | None = None,
    ) -> Any:
        """Send, judge with the conformance checks, record success or failure (citing the requirement)."""
        assert self.target is not None
        if self.share is not None and self.sent >= self.share:
            raise StopUser()  # this process has sent its share of load.max_requests
        with user.client.request(
            method, path, data=body or None, headers=headers, name=name, catch_response=True
        ) as resp:
            ex = exchange_of(resp, method, self.target.url(path), headers, body)
            if ex.error is not None:
                self.metrics.add("errors")
                resp.failure(f"error: {ex.error}")
                return ex
            verdict = judge(ex) if judge else (judged(JUDGES[name], ex) if self.judging else None)
            self.metrics.add("judged")
            if verdict is not None:
                requirement, message = verdict[0], self.masked(verdict[1], ex)
                if requirement != MODEL_MISMATCH:  # scored as throttle precision/recall instead
                    self.metrics.violation(requirement)
                resp.failure(f"[{requirement}] {message}")
            else:
                resp.success()
            return ex

    def masked(self, message: str, ex: Any) -> str:
        """A failure message as Locust's CSV/HTML reports may show it (secrets only ever masked).

        Learned from the failing exchange only: parsing every response would cost throughput.
        """
        self.masker.add_from_json(ex.json())
        learn_from_request(self.masker, ex)
        return self.scanner.clean(self.masker.mask(message), "locust failure message")

    # An open model (--dcr-rate, loadgen/arrival.py): the profile's task is marked @RUN.arrival, and its
    # wait_time is RUN.wait_time(its own): the slots of the known arrival rate, when there is one.

    @staticmethod
    def rate_of(user: Any) -> float | None:
        return getattr(user.environment.parsed_options, "dcr_rate", None)

    def arrival(self, task: Callable[[Any], Any]) -> Callable[[Any], Any]:
        return arrival_marker(self.rate_of, self.metrics.add)(task)

    def wait_time(self, default: Callable[[Any], float]) -> Callable[[Any], float]:
        return open_model_wait(default, self.rate_of, self.metrics.add, budget_for(self.profile))

    # Locust wiring

    def on_init(self, environment: Any, **_: Any) -> None:
        self.environment = environment
        options = environment.parsed_options
        worker = isinstance(environment.runner, WorkerRunner)
        path = getattr(options, "dcr_target", None) or os.environ.get("DCR_TARGET")
        try:
            if path:
                self.target = load_target(path)
            elif worker:
                raise TargetError("a worker needs the target file: set DCR_TARGET or --dcr-target")
            else:
                self.embedded = EmbeddedServer(extra_args=self.embedded_args)
                self.target = self.embedded.start()
                os.environ["DCR_TARGET"] = str(self.embedded.target_file)
        except TargetError as exc:
            print(f"dcr-harness load: target file error: {exc}", file=sys.stderr)
            raise SystemExit(ExitCode.USAGE) from None
        host = getattr(options, "host", None) or environment.host
        if host and host.rstrip("/") != self.target.base_url:
            self.target = dataclasses.replace(self.target, base_url=host.rstrip("/"))
        refusal = remote_refusal(self.target)
        if refusal:
            self._stop_embedded()
            print(f"dcr-harness load: {refusal}", file=sys.stderr)
            raise RemoteTargetRefused(ExitCode.USAGE)
        self.masker.add_target(self.target)
        environment.host = self.target.base_url
        for user_class in environment.user_classes:
            user_class.host = self.target.base_url
        if not worker:
            gevent.spawn(self._enforce_limits)
        if isinstance(environment.runner, MasterRunner):
            self.workers = WorkerLedger(started=time.monotonic())
            gevent.spawn(self._watch_workers)

    def on_request(self, **_: Any) -> None:
        self.sent += 1
        assert self.target is not None
        runner = self.environment.runner
        if self.share is None:
            # Read at the first request: by then a worker has the master's options (the workers expected).
            self.share = request_share(self.target.load.max_requests, self.workers_sharing())
        if self.sent == self.share and runner:
            # A hard cap per process (a worker's share of the total); the master also watches the total. A worker
            # stops sending (its users stop at their next request) rather than quit: the master would hand a quitting
            # worker's users to the others.
            total = self.target.load.max_requests
            of = "" if self.share == total else f", this worker's share of {total}"
            print(
                f"dcr-harness load: load.max_requests ({self.sent}{of}) sent by this process: stopping", file=sys.stderr
            )
            if not self.is_worker:
                runner.quit()

    def _enforce_limits(self) -> None:
        assert self.target is not None
        limits = self.target.load
        while True:
            gevent.sleep(SAFETY_POLL_S)
            runner = self.environment.runner
            if runner is None:
                continue
            total = runner.stats.total.num_requests
            elapsed = time.monotonic() - self.started
            if total >= limits.max_requests or elapsed >= limits.max_duration_s:
                print(
                    f"dcr-harness load: safety limit reached ({total} requests of {limits.max_requests}, "
                    f"{elapsed:.0f} s of {limits.max_duration_s:.0f} s): stopping",
                    file=sys.stderr,
                )
                runner.quit()
                return

    def _watch_workers(self) -> None:
        while True:
            self.sample_workers()
            gevent.sleep(SAFETY_POLL_S)

    def sample_workers(self) -> None:
        runner = self.environment.runner
        if self.workers is None or runner is None:
            return
        self.workers.observe(
            time.monotonic(),
            {c.id: WorkerSample(c.state == STATE_MISSING, c.user_count) for c in runner.clients.values()},
            running=runner.state in (STATE_SPAWNING, STATE_RUNNING),
        )

    def on_report_to_master(self, client_id: str, data: dict[str, Any]) -> None:
        data["dcr"] = self.metrics.take()
        data["dcr_latency"] = self.latency.take()

    def on_worker_report(self, client_id: str, data: dict[str, Any]) -> None:
        self.metrics.merge(data.get("dcr", {}))
        self.latency.merge(data.get("dcr_latency", {}))

    def on_quitting(self, environment: Any, **_: Any) -> None:
        if isinstance(environment.runner, WorkerRunner) or self.target is None:
            self._stop_embedded()
            return
        try:
            # The thresholds decide the exit code, not Locust's "any failure": a tolerated
            # ratio of failures passes, and a broken latency threshold fails without any.
            environment.process_exit_code = self.gate(environment)
        finally:
            self._stop_embedded()

    def gate(self, environment: Any) -> int:
        """Check the thresholds, print and write the summary; the exit code it implies."""
        stats = environment.runner.stats
        figures = self.metrics.to_dict(stats.total.num_requests)
        latency, exact = latency_from_stats(stats), self.latency.figures()
        options = environment.parsed_options
        try:
            thresholds = load_thresholds(getattr(options, "dcr_thresholds", None), self.profile)
        except ThresholdsError as exc:
            print(f"dcr-harness load: {exc}", file=sys.stderr)
            return ExitCode.USAGE
        open_model = run_report(
            getattr(options, "dcr_rate", None),
            self.metrics.counts,
            stats,
            getattr(options, "num_users", None),
            getattr(options, "run_time", None),
            budget_for(self.profile),
        )
        if open_model:
            figures["arrivals_dropped_ratio"] = open_model["dropped_ratio"]
        broken, lines = evaluate(thresholds, figures, latency, exact)
        self.sample_workers()
        lost = self.workers.sentence() if self.workers else None
        # What was judged stands (a broken threshold fails the run); a lost worker's load was never offered.
        verdict = RunVerdict.FAIL if broken else RunVerdict.INCOMPLETE if lost else RunVerdict.PASS
        summary = [
            f"dcr-harness load {self.profile}: thresholds {thresholds['_path']} "
            f"(version {thresholds['_version']}): {verdict}",
            *lines,
        ]
        summary += [f"broken: {b}" for b in broken]
        summary += [f"incomplete: {lost}"] if lost else []
        summary += latency_lines(exact, latency) + ([open_model_line(open_model)] if open_model else [])
        summary.append(
            "figures: "
            + ", ".join(
                f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                for k, v in figures.items()
                if k != "violations_by_requirement"
            )
        )
        if figures["violations_by_requirement"]:
            summary.append(f"violations by requirement: {figures['violations_by_requirement']}")
        text = "\n".join(summary)
        print(text, file=sys.stderr)
        out = os.environ.get("DCR_LOAD_REPORT_DIR")
        if out:
            Path(out).mkdir(parents=True, exist_ok=True)
            self.scanner.write_text(Path(out, "thresholds.txt"), text + "\n")
            self.scanner.write_text(
                Path(out, "metrics.json"),
                json.dumps(
                    {
                        "profile": self.profile,
                        "verdict": verdict,
                        "broken": broken,
                        "figures": figures,
                        "latency_ms": latency,
                        "latency_ms_exact": exact,
                        "open_model": open_model,
                        "judging": self.judging,
                        "workers": self.workers.to_dict() if self.workers else None,
                        "target": self.target.masked() if self.target else None,
                    },
                    indent=2,
                ),
            )
        return {RunVerdict.FAIL: ExitCode.FAILED, RunVerdict.INCOMPLETE: ExitCode.INCOMPLETE}.get(verdict, ExitCode.OK)

    def _stop_embedded(self) -> None:
        if self.embedded is not None:
            self.embedded.close()
            self.embedded = None


def _add_options(parser: Any) -> None:
    group = parser.add_argument_group("dcr-harness")
    group.add_argument(
        "--dcr-target",
        default=os.environ.get("DCR_TARGET"),
        help="target file; default $DCR_TARGET, else the embedded reference server",
    )
    # The master's value reaches every worker with its options: one placement of the run's devices.
    group.add_argument(
        "--dcr-device-offset", type=int, default=secrets.randbelow(DEVICE_NETWORK.num_addresses), help=argparse.SUPPRESS
    )
    group.add_argument(
        "--dcr-thresholds",
        default=os.environ.get("DCR_LOAD_THRESHOLDS"),
        help="thresholds TOML (default load/thresholds.toml)",
    )
    group.add_argument(
        "--dcr-rate",
        type=float,
        default=os.environ.get("DCR_LOAD_RATE") or None,
        help="open model: arrivals per second in all (start as many users as "
        "dcr_harness.loadgen.arrival.users_for sizes); default $DCR_LOAD_RATE, else closed",
    )


def install(profile: str, embedded_args: list[str] | None = None) -> LoadRun:
    """Wire a LoadRun into Locust's events; call once at the top of a locustfile."""
    run = LoadRun(profile, list(embedded_args or []))
    events.init_command_line_parser.add_listener(_add_options)
    events.init.add_listener(run.on_init)
    events.request.add_listener(run.on_request)
    events.request.add_listener(run.latency.on_request)
    events.report_to_master.add_listener(run.on_report_to_master)
    events.worker_report.add_listener(run.on_worker_report)
    events.quitting.add_listener(run.on_quitting)
    return run


__all__ = ["LoadRun", "install", "remote_refusal", "user_base"]
