"""`dcr-harness load PROFILE`: a headless Locust run, local or distributed, gated on thresholds.

Exit codes: 0 every threshold held; 1 a threshold broke (the summary names it); 2 usage,
target-file error, or a remote target without `load.allow_remote = true` (refused before
any traffic); other codes are Locust's own.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from ..embedded import EmbeddedServer, EmbeddedServerError
from ..paths import DEFAULT_REPORT_DIR, LOAD_DIR
from ..http.masking import Masker
from ..secret_scan import SecretScanner
from ..target import Target, TargetError, load_target, target_path_from_env
from .safety import remote_refusal

EXIT_USAGE = 2
# What the embedded reference runs with, per profile: token refresh measures the service,
# not the throttle; the throttling profile needs the documented default (1/s, burst 10).
EMBEDDED_ARGS = {"token_refresh": ["--rate", "1000", "--burst", "1000"], "throttling": []}
SHUTDOWN_GRACE_S = 60


def profiles() -> list[str]:
    return sorted(p.stem for p in LOAD_DIR.glob("*.py") if p.stem not in ("shapes", "__init__"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fail(message: str) -> int:
    print(f"dcr-harness load: {message}", file=sys.stderr)
    return EXIT_USAGE


def locust_commands(locustfile: Path, out: Path, users: int, spawn_rate: float, duration: float,
                    workers: int) -> tuple[list[str], list[list[str]]]:
    """The master (or single) command and the worker commands, loopback only."""
    base = [sys.executable, "-m", "locust", "-f", str(locustfile)]
    main = base + ["--headless", "-u", str(users), "-r", str(spawn_rate), "-t", f"{max(1, int(duration))}s",
                   "--stop-timeout", "5", "--csv", str(out / "locust"), "--html", str(out / "report.html"),
                   "--only-summary"]
    if workers < 1:
        return main, []
    port = _free_port()
    main += ["--master", "--expect-workers", str(workers), "--master-bind-host", "127.0.0.1",
             "--master-bind-port", str(port)]
    worker = base + ["--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
    return main, [worker] * workers


def run_load(profile: str, *, target: str | None = None, users: int = 10, spawn_rate: float = 5.0,
             duration: float = 30.0, workers: int = 0, shape: str | None = None,
             report_dir: str | os.PathLike[str] = DEFAULT_REPORT_DIR, thresholds: str | None = None,
             judge: bool = True, client: str = "fast") -> int:
    if profile not in profiles():
        return _fail(f"unknown profile {profile!r}; profiles in {LOAD_DIR}: {', '.join(profiles())}")
    target_path = target_path_from_env(target)
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
        else:
            embedded = EmbeddedServer(extra_args=EMBEDDED_ARGS.get(profile, []))
            try:
                tgt = embedded.start()
            except EmbeddedServerError as exc:
                return _fail(f"the embedded reference server did not start: {exc}")
            target_path = str(embedded.target_file)
        if duration > tgt.load.max_duration_s:
            print(f"dcr-harness load: duration capped at load.max_duration_s = {tgt.load.max_duration_s:.0f} s",
                  file=sys.stderr)
            duration = tgt.load.max_duration_s
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        out = Path(report_dir) / f"{stamp}-load-{profile}"
        out.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "DCR_TARGET": str(Path(target_path).resolve()), "DCR_LOAD_REPORT_DIR": str(out.resolve()),
               "DCR_LOAD_USERS": str(users), "DCR_LOAD_SPAWN_RATE": str(spawn_rate),
               "DCR_LOAD_DURATION": str(duration), "DCR_LOAD_SHAPE": shape or "",
               "DCR_LOAD_JUDGE": "1" if judge else "0", "DCR_LOAD_CLIENT": client}
        if thresholds:
            env["DCR_LOAD_THRESHOLDS"] = str(Path(thresholds).resolve())
        main, worker_cmds = locust_commands(LOAD_DIR / f"{profile}.py", out, users, spawn_rate, duration, workers)
        code = _run_processes(main, worker_cmds, env, out, duration)
        scan_reports(out, tgt)
        print(f"dcr-harness load: reports in {out} (report.html, locust_*.csv, metrics.json, thresholds.txt)",
              file=sys.stderr)
        return code
    finally:
        if embedded is not None:
            embedded.close()


def scan_reports(out: Path, target: Target) -> None:
    """Locust writes its CSV, HTML and log itself: each file goes through the secret scanner
    (which knows the target's statements and admin token; failure messages were masked at the source)."""
    masker = Masker()
    masker.add_target(target)
    SecretScanner(masker).clean_dir(out)


def _run_processes(main: list[str], worker_cmds: list[list[str]], env: dict[str, str], out: Path,
                   duration: float) -> int:
    log = open(out / "locust.log", "ab")
    master = subprocess.Popen(main, env=env, stdin=subprocess.DEVNULL)
    workers = [subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
               for cmd in worker_cmds]
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
