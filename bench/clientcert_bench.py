"""How long certify-client takes to judge a session, and what recording costs per request.

    python3 bench/clientcert_bench.py [--flows N] [--requests N]

1. Judging: N synthetic app sessions (register, token, 20 API calls, a renewal, a 429 and its
   wait) through every judge; prints requests judged per second.
2. Recording: sequential protected API calls over loopback to the certification server
   (recording middleware) and to the same reference app without it; prints the median and
   p95 latency of each. Figures only: no asserts (see bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
import uvicorn  # noqa: E402

from dcr_harness.clientcert.judges import judges_for  # noqa: E402
from dcr_harness.clientcert.recording import RecordedExchange  # noqa: E402
from dcr_harness.clientcert.report import judge_traffic  # noqa: E402
from dcr_harness.clientcert.scenarios import Settings  # noqa: E402
from dcr_harness.clientcert.server import CertificationServer  # noqa: E402
from dcr_harness.clientcert.traffic import Traffic  # noqa: E402
from dcr_harness.contract.device_info import header_value  # noqa: E402
from dcr_harness.http.exchange import Exchange  # noqa: E402
from dcr_harness.refserver.main import bind  # noqa: E402
from dcr_harness.refserver.target_file import base_url  # noqa: E402

BASE = "http://127.0.0.1:1"
XDI = [("x-device-info", header_value()), ("accept", "application/json")]


def session(n: int, t0: float) -> list[RecordedExchange]:
    cid, conn = f"client-{n}", 10_000 + n
    dev = f"198.18.{n // 250}.{n % 250}"

    def ex(path, at, status, headers=(), body=b"", answer=b"{}"):
        return RecordedExchange(
            "POST" if "client" in path else "GET",
            BASE + path,
            [*XDI, ("x-forwarded-for", dev), *headers],
            body,
            status=status,
            response_body=answer,
            elapsed=0.005,
            started_at=t0 + at,
            device=dev,
            connection=conn,
        )

    form = [("content-type", "application/x-www-form-urlencoded")]
    tok = f"grant_type=client_credentials&client_id={cid}&client_secret=s3cret-{n}".encode()
    out = [
        ex(
            "/o/client/register",
            0.0,
            201,
            [("content-type", "application/json")],
            b'{"software_statement": "x"}',
            f'{{"client_id": "{cid}", "client_secret": "s3cret-{n}"}}'.encode(),
        ),
        ex("/o/client/token", 0.1, 201, form, tok, f'{{"access_token": "tok-{n}-a", "expires_in": 10}}'.encode()),
    ]
    for i in (j for j in range(22) if j not in (6, 7)):  # nothing for a second after the 429 at i == 5
        value = "a" if i < 14 else "b"
        if i == 14:
            out.append(
                ex(
                    "/o/client/token",
                    7.0,
                    201,
                    form,
                    tok,
                    f'{{"access_token": "tok-{n}-b", "expires_in": 10}}'.encode(),
                )
            )
        out.append(
            ex(
                "/api/v2/REF30/configuration",
                0.2 + i * 0.5,
                429 if i == 5 else 200,
                [("authorization", f"Bearer tok-{n}-{value}")],
            )
        )
    return out


def bench_judging(flows: int) -> None:
    exchanges: list[Exchange] = [e for n in range(flows) for e in session(n, n * 0.001)]
    started = time.perf_counter()
    records = judge_traffic(Traffic(exchanges), judges_for(server_to_server=True))
    took = time.perf_counter() - started
    broken = sorted({r for rec in records for r in rec.evidence.broken})
    print(
        f"judging: {len(exchanges)} requests of {flows} sessions in {took:.2f} s "
        f"({len(exchanges) / took:,.0f} requests/s); broken: {broken or 'none'}"
    )


def _latencies(url: str, token: str, n: int) -> list[float]:
    out = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        for _ in range(n):
            started = time.perf_counter()
            client.get("/api/v2/REF30/configuration")
            out.append((time.perf_counter() - started) * 1000)
    return out


def _token(url: str, statement: str) -> str:
    with httpx.Client(base_url=url) as c:
        creds = c.post("/o/client/register", json={"software_statement": statement}).json()
        form = {**creds, "grant_type": "client_credentials"}
        return c.post(
            "/o/client/token", data={k: form[k] for k in ("client_id", "client_secret", "grant_type")}
        ).json()["access_token"]


def _serve(app: Callable[..., Awaitable[None]]) -> tuple[str, uvicorn.Server, threading.Thread]:
    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return base_url("127.0.0.1", sock.getsockname()[1]), server, thread


def bench_recording(requests: int) -> None:
    settings = Settings.of(["server-to-server"])  # no throttle, no injected answers
    with CertificationServer(settings) as cert:
        token = _token(cert.base_url, cert.statement)
        recorded = _latencies(cert.base_url, token, requests)
        plain_url, plain, thread = _serve(cert.recording.app)  # the same reference app, no recording
        try:
            bare = _latencies(plain_url, token, requests)
        finally:
            plain.should_exit = True
            thread.join(10)
    for name, xs in (("with recording", recorded), ("reference app alone", bare)):
        xs = sorted(xs)
        print(
            f"{name:<20} {requests} API calls: median {statistics.median(xs):.2f} ms, p95 {xs[int(len(xs) * 0.95) - 1]:.2f} ms"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--flows", type=int, default=2000)
    p.add_argument("--requests", type=int, default=500)
    args = p.parse_args()
    bench_judging(args.flows)
    bench_recording(args.requests)


if __name__ == "__main__":
    main()
