"""`dcr-harness load PROFILE`: a headless Locust run, local or distributed, gated on thresholds.

Distributed runs use Locust's own master/worker protocol: `--workers K` starts K worker
processes on this machine; `--master --expect-workers N` waits for N workers from other
hosts, which join with `--worker --master-host H`. The master merges the workers' figures
(judging happens in the workers), judges the thresholds and writes the reports.

Exit codes: 0 every threshold held; 1 a threshold broke (the summary names it); 2 usage,
target-file error, or a remote target without `load.allow_remote = true` (refused before
any traffic); 3 the target is unreachable (one request to its register path finds no HTTP
server); 4 a worker was lost mid-run (the summary says how much of the planned load went with it;
a broken threshold still says 1); other codes are Locust's own. A worker exits 0 when its master ends the run.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..contract.target import Target, TargetError, load_target, target_path_from_env
from ..engine.embedded import EmbeddedServer, EmbeddedServerError
from ..engine.preflight import TargetUnreachable, preflight
from ..errors import ExitCode
from ..http.masking import Masker
from ..http.secret_scan import SecretScanner
from ..paths import DEFAULT_REPORT_DIR, LOAD_DIR
from .safety import remote_refusal

# What the embedded reference runs with, per profile: token refresh measures the service,
# not the throttle; the throttling profile needs the documented default (1/s, burst 10).
EMBEDDED_ARGS = {"token_refresh": ["--rate", "1000", "--burst", "1000"], "throttling": []}
SHUTDOWN_GRACE_S = 60
LOCUST_MASTER_PORT = 5557


@dataclass(frozen=True)
class Role:
    """This process's place in a run across hosts: local (alone, or with --workers K on
    loopback), master (waits for expect_workers from anywhere), or worker (joins master_host)."""

    kind: str = "local"
    expect_workers: int = 0
    bind_host: str = "*"
    port: int = LOCUST_MASTER_PORT
    master_host: str = ""
    max_wait_s: int = 120

    def locust_args(self) -> list[str]:
        if self.kind == "master":
            return [
                "--master",
                "--expect-workers",
                str(self.expect_workers),
                "--expect-workers-max-wait",
                str(self.max_wait_s),
                "--master-bind-host",
                self.bind_host,
                "--master-bind-port",
                str(self.port),
            ]
        if self.kind == "worker":
            return ["--worker", "--master-host", self.master_host, "--master-port", str(self.port)]
        return []


LOCAL = Role()


def profiles() -> list[str]:
    return sorted(p.stem for p in LOAD_DIR.glob("*.py") if p.stem not in ("shapes", "__init__"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fail(message: str, code: int = ExitCode.USAGE) -> int:
    print(f"dcr-harness load: {message}", file=sys.stderr)
    return code


def locust_commands(
    locustfile: Path, out: Path, users: int, spawn_rate: float, duration: float, workers: int, role: Role = LOCAL
) -> tuple[list[str], list[list[str]]]:
    """The command of this process's role, and the local worker commands (loopback only)."""
    base = [sys.executable, "-m", "locust", "-f", str(locustfile)]
    if role.kind == "worker":
        return base + role.locust_args(), []
    main = base + [
        "--headless",
        "-u",
        str(users),
        "-r",
        str(spawn_rate),
        "-t",
        f"{max(1, int(duration))}s",
        "--stop-timeout",
        "5",
        "--csv",
        str(out / "locust"),
        "--html",
        str(out / "report.html"),
        "--only-summary",
        *role.locust_args(),
    ]
    if workers < 1 or role.kind == "master":
        return main, []
    port = _free_port()
    main += [
        "--master",
        "--expect-workers",
        str(workers),
        "--master-bind-host",
        "127.0.0.1",
        "--master-bind-port",
        str(port),
    ]
    worker = base + ["--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
    return main, [worker] * workers


def run_load(
    profile: str,
    *,
    target: str | None = None,
    users: int = 10,
    spawn_rate: float = 5.0,
    duration: float = 30.0,
    workers: int = 0,
    shape: str | None = None,
    report_dir: str | os.PathLike[str] = DEFAULT_REPORT_DIR,
    thresholds: str | None = None,
    judge: bool = True,
    client: str = "fast",
    role: Role = LOCAL,
    rate: float | None = None,
) -> int:
    if profile not in profiles():
        return _fail(f"unknown profile {profile!r}; profiles in {LOAD_DIR}: {', '.join(profiles())}")
    if thresholds and not Path(thresholds).is_file():
        return _fail(f"thresholds file not found: {thresholds}")
    target_path = target_path_from_env(target)
    if role.kind == "worker" and not target_path:
        return _fail("a worker needs the master's target file: --target FILE (or DCR_TARGET)")
    embedded = None
    try:
        if target_path:
            try:
                tgt = load_target(target_path)
            except TargetError as exc:
                return _fail(f"target file error: {exc}")
            refusal = remote_refusal(tgt)
            if refusal:
                return _fail(refusal)
            try:
                preflight(tgt)
            except TargetUnreachable as exc:
                return _fail(f"target unreachable: {exc}", ExitCode.UNREACHABLE)
        else:
            embedded = EmbeddedServer(extra_args=EMBEDDED_ARGS.get(profile, []))
            try:
                tgt = embedded.start()
            except EmbeddedServerError as exc:
                return _fail(f"the embedded reference server did not start: {exc}")
            target_path = str(embedded.target_file)
        if duration > tgt.load.max_duration_s:
            print(
                f"dcr-harness load: duration capped at load.max_duration_s = {tgt.load.max_duration_s:.0f} s",
                file=sys.stderr,
            )
            duration = tgt.load.max_duration_s
        env = {
            **os.environ,
            "DCR_TARGET": str(Path(target_path).resolve()),
            "DCR_LOAD_USERS": str(users),
            "DCR_LOAD_SPAWN_RATE": str(spawn_rate),
            "DCR_LOAD_DURATION": str(duration),
            "DCR_LOAD_SHAPE": shape or "",
            "DCR_LOAD_RATE": f"{rate or ''}",
            "DCR_LOAD_JUDGE": "1" if judge else "0",
            "DCR_LOAD_CLIENT": client,
        }
        if thresholds:
            env["DCR_LOAD_THRESHOLDS"] = str(Path(thresholds).resolve())
        locustfile = LOAD_DIR / f"{profile}.py"
        if role.kind == "worker":  # the master bounds the run and writes the reports; this bound is a backstop
            worker, _ = locust_commands(locustfile, Path(report_dir), users, spawn_rate, duration, 0, role)
            return _run_worker(worker, env, tgt.load.max_duration_s + role.max_wait_s + SHUTDOWN_GRACE_S)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = Path(report_dir) / f"{stamp}-load-{profile}"
        out.mkdir(parents=True, exist_ok=True)
        env["DCR_LOAD_REPORT_DIR"] = str(out.resolve())
        main, worker_cmds = locust_commands(locustfile, out, users, spawn_rate, duration, workers, role)
        wait = role.max_wait_s if role.kind == "master" else 0
        code = _run_processes(main, worker_cmds, env, out, duration + wait)
        scan_reports(out, tgt)
        print(reports_line(out), file=sys.stderr)
        return code
    finally:
        if embedded is not None:
            embedded.close()


def reports_line(out: Path) -> str:
    """Where the reports are, naming the files the run did write: a master that gave up waiting for its
    workers writes no metrics.json, and saying it did would send the user looking for it."""
    written = [name for name in ("report.html", "metrics.json", "thresholds.txt") if (out / name).exists()]
    written += ["locust_*.csv"] if any(out.glob("locust_*.csv")) else []
    if "metrics.json" not in written:
        return f"dcr-harness load: no judged figures (no metrics.json): the run did not start; what it left is in {out}"
    return f"dcr-harness load: reports in {out} ({', '.join(written)})"


def _run_worker(cmd: list[str], env: dict[str, str], timeout: float) -> int:
    try:
        return subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        return _fail(f"the worker was still running after {timeout:.0f} s: stopped")


def scan_reports(out: Path, target: Target) -> None:
    """Locust writes its CSV, HTML and log itself: each file goes through the secret scanner
    (which knows the target's statements and admin token; failure messages were masked at the source)."""
    masker = Masker()
    masker.add_target(target)
    SecretScanner(masker).clean_dir(out)


def _run_processes(
    main: list[str], worker_cmds: list[list[str]], env: dict[str, str], out: Path, duration: float
) -> int:
    log = open(out / "locust.log", "ab")
    master = subprocess.Popen(main, env=env, stdin=subprocess.DEVNULL)
    workers = [
        subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        for cmd in worker_cmds
    ]
    try:
        code = master.wait(timeout=duration + SHUTDOWN_GRACE_S)
    except subprocess.TimeoutExpired:
        master.terminate()
        code = master.wait(timeout=10)
    finally:
        for w in workers:
            try:
                w.wait(timeout=15)
            except subprocess.TimeoutExpired:
                w.terminate()
                w.wait(timeout=5)
        log.close()
    return code


def add_role_arguments(parser: argparse.ArgumentParser) -> None:
    """`dcr-harness load` options for a run across hosts (Locust master/worker)."""
    group = parser.add_argument_group("across hosts (Locust master/worker; see load/README.md)")
    roles = group.add_mutually_exclusive_group()
    roles.add_argument("--master", action="store_true", help="wait for --expect-workers workers, run, judge, report")
    roles.add_argument("--worker", action="store_true", help="join the master at --master-host (needs --target)")
    group.add_argument(
        "--expect-workers", type=int, default=1, metavar="N", help="workers the master waits for (default 1)"
    )
    group.add_argument(
        "--expect-workers-max-wait",
        type=int,
        default=Role.max_wait_s,
        metavar="S",
        help=f"seconds the master waits for them (default {Role.max_wait_s})",
    )
    group.add_argument(
        "--master-bind-host",
        default=Role.bind_host,
        metavar="ADDR",
        help="address the master listens on (default: all)",
    )
    group.add_argument("--master-host", metavar="HOST", help="the master a worker joins")
    group.add_argument(
        "--master-port",
        "--master-bind-port",
        type=int,
        default=LOCUST_MASTER_PORT,
        metavar="PORT",
        help=f"the master's port (default {LOCUST_MASTER_PORT})",
    )


def role_from_args(args: argparse.Namespace) -> Role:
    """The Role the options ask for; ValueError (one line) when they do not fit together."""
    if (args.master or args.worker) and args.workers:
        raise ValueError("--workers starts local workers; it does not combine with --master or --worker")
    if args.master:
        if args.expect_workers < 1:
            raise ValueError("--expect-workers must be at least 1")
        return Role(
            "master",
            args.expect_workers,
            args.master_bind_host,
            args.master_port,
            max_wait_s=args.expect_workers_max_wait,
        )
    if args.worker:
        if not args.master_host:
            raise ValueError("a worker needs --master-host")
        return Role(
            "worker", port=args.master_port, master_host=args.master_host, max_wait_s=args.expect_workers_max_wait
        )
    return LOCAL
