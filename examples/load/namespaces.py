#!/usr/bin/env python3
"""Load across hosts on one Linux machine: the target, the Locust master and two workers, each in
its own network namespace (its own interfaces, addresses and loopback: as far as the network goes,
a host of its own), joined by veth pairs on a bridge, with addresses from the benchmarking range
198.18.0.0/15. Needs root and iproute2 (`ip`).

    sudo .venv/bin/python examples/load/namespaces.py token_refresh --users 8 --duration 10
    sudo .venv/bin/python examples/load/namespaces.py throttling --users 6 --duration 10
    sudo .venv/bin/python examples/load/namespaces.py token_refresh --kill-worker   # a worker lost mid-run

The reference server (`python -m dcr_harness.refserver`) listens on the target namespace's address;
the master and the workers reach it there, so the target file says `[load] allow_remote = true`.
The master merges what the workers judged, applies the thresholds and writes the reports; its exit
code is this script's (0 PASS, 1 a threshold broke, 4 a worker was lost). Everything the script
makes (namespaces, bridge, veth pairs, processes) is removed when it ends, also on failure or Ctrl-C.
tests/e2e/test_load_namespaces.py runs it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROLES = ("target", "master", "worker1", "worker2")
WORKERS = ("worker1", "worker2")
MASTER_PORT = 5557
# Token refresh measures the service, not the throttle; its tokens are short, so that refreshes are due
# within seconds. The throttling profile needs the reference's documented throttle (1/s, burst 10).
REFERENCE_ARGS = {"token_refresh": ["--rate", "1000", "--burst", "1000", "--token-ttl", "2"], "throttling": []}
REFERENCE_PORTS = {"token_refresh": 8080, "throttling": 8081}
START_TIMEOUT_S = 60.0
RUN_GRACE_S = 180.0  # beyond the run's duration: startup, the master's wait for workers, shutdown
POLL_S = 0.2


class LabError(RuntimeError):
    """A namespace, link or address could not be made (the message is ip's own)."""


def ip(*args: str) -> str:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise LabError(f"ip {' '.join(args)}: {proc.stderr.strip() or proc.returncode}")
    return proc.stdout


class Lab:
    """A bridge and one network namespace per role, each on the bridge through a veth pair."""

    def __init__(self, roles: tuple[str, ...] = ROLES) -> None:
        tag = secrets.token_hex(3)
        self.prefix = f"dcr{tag}"  # interface names stay within 15 characters
        self.bridge = f"{self.prefix}br"
        subnet = f"198.19.{secrets.randbelow(256)}"  # no address on the host side: subnets never clash
        self.namespaces = {role: f"{self.prefix}-{role}" for role in roles}
        self.addresses = {role: f"{subnet}.{i + 1}" for i, role in enumerate(roles)}
        self.processes: list[subprocess.Popen] = []

    def __enter__(self) -> Lab:
        try:
            ip("link", "add", self.bridge, "type", "bridge")
            ip("link", "set", self.bridge, "up")
            for i, (role, ns) in enumerate(self.namespaces.items()):
                ip("netns", "add", ns)
                host_end = f"{self.prefix}v{i}"
                ip("link", "add", host_end, "type", "veth", "peer", "name", "eth0", "netns", ns)
                ip("link", "set", host_end, "master", self.bridge, "up")
                ip("-n", ns, "addr", "add", f"{self.addresses[role]}/24", "dev", "eth0")
                ip("-n", ns, "link", "set", "eth0", "up")
                ip("-n", ns, "link", "set", "lo", "up")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def popen(self, role: str, cmd: list[str], **kwargs) -> subprocess.Popen:
        """A process in a role's namespace, in a process group of its own (so that it can be killed whole)."""
        proc = subprocess.Popen(
            ["ip", "netns", "exec", self.namespaces[role], *cmd],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            **kwargs,
        )
        self.processes.append(proc)
        return proc

    @staticmethod
    def kill(proc: subprocess.Popen) -> None:
        """SIGKILL to the process and everything it started: a host gone without a word."""
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def close(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                self.kill(proc)
        for ns in self.namespaces.values():
            try:
                pids = ip("netns", "pids", ns).split()
            except LabError:
                continue  # never made
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                ip("netns", "del", ns)
            except LabError:
                pass
        try:
            ip("link", "del", self.bridge)  # the veth pairs went with their namespaces
        except LabError:
            pass

    def leftovers(self) -> list[str]:
        """What of this lab still exists (empty after close)."""
        links = ip("-o", "link", "show")
        namespaces = ip("netns", "list")
        return [name for name in (self.bridge, *self.namespaces.values()) if name in links or name in namespaces]


def harness(*args: str) -> list[str]:
    return [sys.executable, "-m", "dcr_harness", *args]


def start_reference(lab: Lab, profile: str, data_dir: Path, port: int | None = None) -> Path:
    """The reference server on the target namespace's address; the target file a load run across hosts needs."""
    data_dir.mkdir(parents=True, exist_ok=True)
    written = data_dir / "target.json"
    log = open(data_dir / "server.log", "ab")
    proc = lab.popen(
        "target",
        [
            sys.executable,
            "-m",
            "dcr_harness.refserver",
            "--host",
            lab.addresses["target"],
            "--port",
            str(port or REFERENCE_PORTS[profile]),
            "--data-dir",
            str(data_dir),
            "--target-out",
            str(written),
            *REFERENCE_ARGS[profile],
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not written.exists():  # the server binds its socket first, then writes the target file
        if proc.poll() is not None or time.monotonic() > deadline:
            raise LabError(f"the reference server did not start: {(data_dir / 'server.log').read_text()[-2000:]}")
        time.sleep(POLL_S)
    target = json.loads(written.read_text())
    target["load"] = {**target.get("load", {}), "allow_remote": True}  # the target is off the workers' loopback
    path = data_dir / "load-target.json"
    path.write_text(json.dumps(target, indent=2))
    return path


def run_dir(report_dir: Path, profile: str) -> Path | None:
    dirs = sorted(report_dir.glob(f"*-load-{profile}"))
    return dirs[-1] if dirs else None


def requests_reported(report_dir: Path, profile: str) -> int:
    """Requests the master has counted so far (its CSV, rewritten every second)."""
    out = run_dir(report_dir, profile)
    try:
        rows = list(csv.DictReader((out / "locust_stats.csv").open())) if out else []
    except OSError:
        return 0
    return next((int(r["Request Count"]) for r in rows if r.get("Name") == "Aggregated"), 0)


def run_distributed(
    lab: Lab,
    profile: str,
    target: Path,
    report_dir: Path,
    *,
    users: int,
    duration: float,
    kill_worker: bool = False,
    extra: tuple[str, ...] = (),
) -> tuple[int, str]:
    """The master and two workers, each in its namespace; (the master's exit code, its output).

    kill_worker: once the master has counted requests, the second worker and all it started get SIGKILL."""
    report_dir.mkdir(parents=True, exist_ok=True)
    master_log = report_dir / f"master-{profile}.log"
    env = {k: v for k, v in os.environ.items() if k != "DCR_TARGET"}
    with open(master_log, "wb") as log:
        master = lab.popen(
            "master",
            harness(
                "load",
                profile,
                "--master",
                "--expect-workers",
                str(len(WORKERS)),
                "--expect-workers-max-wait",
                "60",
                "--master-bind-host",
                lab.addresses["master"],
                "--master-port",
                str(MASTER_PORT),
                "--target",
                str(target),
                "--users",
                str(users),
                "--spawn-rate",
                str(users),
                "--duration",
                str(duration),
                "--report-dir",
                str(report_dir),
                *extra,
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        workers = [
            lab.popen(
                role,
                harness(
                    "load",
                    profile,
                    "--worker",
                    "--master-host",
                    lab.addresses["master"],
                    "--master-port",
                    str(MASTER_PORT),
                    "--target",
                    str(target),
                ),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
            for role in WORKERS
        ]
        deadline = time.monotonic() + duration + RUN_GRACE_S
        if kill_worker:
            while requests_reported(report_dir, profile) == 0 and master.poll() is None and time.monotonic() < deadline:
                time.sleep(POLL_S)
            lab.kill(workers[-1])
        code = master.wait(timeout=max(1.0, deadline - time.monotonic()))
        for worker in workers:
            worker.wait(timeout=60)
    return code, master_log.read_text(errors="replace")


def run_one_process(
    lab: Lab, profile: str, target: Path, report_dir: Path, *, users: int, duration: float, extra: tuple[str, ...] = ()
) -> tuple[int, str]:
    """The same profile in one process (in the master's namespace), for comparison."""
    report_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "DCR_TARGET"}
    proc = lab.popen(
        "master",
        harness(
            "load",
            profile,
            "--target",
            str(target),
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--duration",
            str(duration),
            "--report-dir",
            str(report_dir),
            *extra,
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )
    output, _ = proc.communicate(timeout=duration + RUN_GRACE_S)
    return proc.returncode, output


def summary(output: str) -> str:
    """The master's verdict, thresholds and figures (its lines, without Locust's log)."""
    keep = ("dcr-harness load", "broken:", "incomplete:", "figures:", "violations by requirement")
    return "\n".join(
        line for line in output.splitlines() if line.startswith(keep) or (line.startswith("  ") and line[2:3].isalpha())
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", choices=sorted(REFERENCE_ARGS))
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--kill-worker", action="store_true", help="SIGKILL the second worker once requests flow")
    parser.add_argument("--report-dir", type=Path, default=Path("reports"))
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("namespaces.py: network namespaces need root (run it with sudo)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))  # unwinds through Lab.close
    with tempfile.TemporaryDirectory(prefix="dcr-ns-") as data, Lab() as lab:
        target = start_reference(lab, args.profile, Path(data))
        print(
            f"target {lab.addresses['target']} ({lab.namespaces['target']}), master {lab.addresses['master']}, "
            f"workers {', '.join(lab.addresses[w] for w in WORKERS)}",
            flush=True,
        )
        code, output = run_distributed(
            lab,
            args.profile,
            target,
            args.report_dir,
            users=args.users,
            duration=args.duration,
            kill_worker=args.kill_worker,
        )
    print(summary(output))
    print(f"master exit code {code}; reports in {run_dir(args.report_dir, args.profile)}")
    return code


if __name__ == "__main__":
    sys.exit(main())
