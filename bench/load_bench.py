"""Load benchmarks against the embedded reference server; prints figures and ratios.

    python bench/load_bench.py [--duration 10] [--users 20] [--repeat 2]

1. the reference server's own capacity: an asyncio keep-alive client (cheap per request)
   calls the protected API with a valid token over 32 connections;
2. the load generator's sustained rate: `dcr-harness load token_refresh` with no think
   time (DCR_LOAD_WAIT=0) as FastHttpUser and as HttpUser, and with 1 and 2 worker processes;
3. the cost of judging: the same profile with and without judging (ratio of rates; goal: judged at
   least 0.8 of unjudged), and the CPU time of judging one response, measured in-process;
4. what a Locust worker spends on one spawn message (CPU, without yielding: a busy host's worker
   can miss its heartbeats meanwhile), in a subprocess (importing Locust patches the interpreter).
The reference runs with a high throttle (1000/s, burst 1000) so that it measures service, not throttling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from dcr_harness.engine.embedded import EmbeddedServer

HIGH_THROTTLE = ["--rate", "1000", "--burst", "1000"]


def valid_token(target) -> str:
    with httpx.Client(base_url=target.base_url) as c:
        reg = c.post(target.register_path, json={"software_statement": target.statements.valid}).json()
        tok = c.post(
            target.token_path,
            content=urlencode(
                {
                    "client_id": reg["client_id"],
                    "client_secret": reg["client_secret"],
                    "grant_type": "client_credentials",
                }
            ),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ).json()
    return tok["access_token"]


async def _hammer(host: str, port: int, request: bytes, deadline: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.monotonic() < deadline:
            writer.write(request)
            await writer.drain()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            counts[0] += 1
    finally:
        writer.close()


def server_capacity(target, seconds: float, connections: int = 32) -> float:
    token = valid_token(target)
    api = target.protected_api
    url = urlsplit(target.base_url)
    request = (
        f"{api.method} {api.path} HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {token}\r\n"
        f"X-Forwarded-For: 198.18.0.1\r\n\r\n"
    ).encode()

    async def main() -> int:
        counts = [0]
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(_hammer(url.hostname, url.port, request, deadline, counts) for _ in range(connections)))
        return counts[0]

    start = time.monotonic()
    done = asyncio.run(main())
    return done / (time.monotonic() - start)


def load_rate(
    target_file: Path, duration: float, users: int, *, workers: int = 0, client: str = "fast", judge: bool = True
) -> float:
    with tempfile.TemporaryDirectory() as reports:
        cmd = [
            sys.executable,
            "-m",
            "dcr_harness.cli.commands",
            "load",
            "token_refresh",
            "--target",
            str(target_file),
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--duration",
            str(duration),
            "--workers",
            str(workers),
            "--client",
            client,
            "--report-dir",
            reports,
        ]
        if not judge:
            cmd.append("--no-judge")
        subprocess.run(
            cmd,
            env={**os.environ, "DCR_LOAD_WAIT": "0"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=duration + 120,
        )
        stats = next(Path(reports).glob("*/locust_stats.csv")).read_text().splitlines()
        header = stats[0].split(",")
        total = next(line.split(",") for line in stats[1:] if ",Aggregated," in line)
        return float(total[header.index("Requests/s")])


def judging_cost_us(target, n: int = 2000) -> float:
    from dcr_harness import checks
    from dcr_harness.http.exchange import Exchange

    with httpx.Client(base_url=target.base_url) as c:
        r = c.post(target.register_path, json={"software_statement": target.statements.valid})
    ex = Exchange(
        "POST", target.url(target.register_path), [], b"", r.status_code, list(r.headers.multi_items()), r.content
    )
    start = time.process_time()
    for _ in range(n):
        checks.register_success(ex)
    return (time.process_time() - start) / n * 1e6


SPAWN_COST = """
import time
from locust import argument_parser
options = vars(argument_parser.get_parser().parse_args(["-f", "x.py", "--headless", "--master"]))
argument_parser.default_args_dict()
start = time.process_time()
# What a worker does with every spawn message (locust/runners.py, WorkerRunner.handle_message)
{k: v for k, v in options.items() if k not in argument_parser.default_args_dict()}
print(time.process_time() - start)
"""


def spawn_message_cpu_s() -> float:
    out = subprocess.run([sys.executable, "-c", SPAWN_COST], capture_output=True, text=True, timeout=120, check=True)
    return float(out.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument(
        "--repeat",
        type=int,
        default=2,
        help="runs per configuration, interleaved; the best counts (other work on the machine only slows a run)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        server = EmbeddedServer(data, extra_args=HIGH_THROTTLE, token_ttl=3600)
        target = server.start()
        try:
            figures: dict[str, float] = {
                "cpu_count": os.cpu_count() or 0,
                "load_average_1min_at_start": os.getloadavg()[0],
            }
            figures["server_capacity_rps"] = server_capacity(target, args.duration)
            runs: dict[str, dict[str, Any]] = {
                "fast_1proc_judged": dict(),
                "http_1proc_judged": dict(client="http"),
                "fast_2workers_judged": dict(workers=2),
                "fast_1proc_unjudged": dict(judge=False),
            }
            for _ in range(max(1, args.repeat)):
                for name, kwargs in runs.items():
                    rate = load_rate(server.target_file, args.duration, args.users, **kwargs)
                    figures[f"{name}_rps"] = max(rate, figures.get(f"{name}_rps", 0.0))
            figures["server_capacity_rps"] = max(figures["server_capacity_rps"], server_capacity(target, args.duration))
            figures["judging_cost_us_per_register_response"] = judging_cost_us(target)
            figures["worker_cpu_s_per_spawn_message"] = spawn_message_cpu_s()
        finally:
            server.close()
    f = figures
    ratios = {
        "fast_over_http": f["fast_1proc_judged_rps"] / f["http_1proc_judged_rps"],
        "2workers_over_1proc": f["fast_2workers_judged_rps"] / f["fast_1proc_judged_rps"],
        "judged_over_unjudged": f["fast_1proc_judged_rps"] / f["fast_1proc_unjudged_rps"],
        "generator_over_server_capacity": f["fast_2workers_judged_rps"] / f["server_capacity_rps"],
    }
    for k, v in {**figures, **ratios}.items():
        print(f"{k:45} {v:10.2f}" if isinstance(v, float) else f"{k:45} {v:>10}")
    print(
        f"{'goal judged_over_unjudged >= 0.8':45} {'met' if ratios['judged_over_unjudged'] >= 0.8 else 'NOT MET':>10}"
    )
    print(json.dumps({"figures": figures, "ratios": ratios}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
