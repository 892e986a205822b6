"""Cost of masking secrets: in-process figures, and optionally a whole default run.

    python bench/masking_bench.py [--exchanges 1000] [--secrets 400] [--run [--profile] [--code DIR]]

1. learning: registering N client secrets and N access tokens (each with its encodings) and
   the target's 5 statements, µs per secret;
2. rendering: Exchange.to_dict(masker) (which includes the curl line) for exchanges shaped
   like a default run's (statement bodies, spliced statements, form bodies with a client
   secret, X-Device-Info headers), µs per exchange;
3. the scanner: SecretScanner.clean over the JSON of those exchanges (raw text plus JSON,
   percent and base64 readings), MB/s;
4. with --run: wall and CPU time of a default `dcr-harness run` against the embedded reference
   under the ci Hypothesis profile (--code DIR: the checkout to import, e.g. an older commit for
   comparison); with --profile, the CPU seconds that run spent in masking (every entry point
   wrapped with a timer; nested calls counted once).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dcr_harness.contract import device_info
from dcr_harness.http import Exchange, Masker
from dcr_harness.http.secret_scan import SecretScanner


def statement(i: int) -> str:
    head = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0"
    return f"{head}.{secrets.token_urlsafe(300 + i)}.{secrets.token_urlsafe(256)}"


def exchanges(statements: list[str], client_secrets: list[str], n: int) -> list[Exchange]:
    out = []
    device = device_info.header_value()
    for i in range(n):
        stmt = statements[i % len(statements)]
        if i % 3 == 0:
            body = json.dumps(
                {"software_statement": stmt[: 100 + i % 300] + "\udcff" + stmt[100 + i % 300 :]}, ensure_ascii=False
            )
            request = body.encode("utf-8", "surrogateescape")
            url = "http://127.0.0.1:1/o/client/register"
        elif i % 3 == 1:
            request = json.dumps({"software_statement": stmt}).encode()
            url = "http://127.0.0.1:1/o/client/register"
        else:
            request = f"client_id=c{i}&client_secret={client_secrets[i % len(client_secrets)]}&grant_type=client_credentials".encode()
            url = "http://127.0.0.1:1/o/client/token"
        response = json.dumps(
            {"client_id": f"c{i}", "client_secret": client_secrets[(i + 1) % len(client_secrets)]}
        ).encode()
        out.append(
            Exchange(
                "POST",
                url,
                [("X-Forwarded-For", "198.18.0.1"), ("X-Device-Info", device)],
                request,
                status=201,
                response_headers=[("content-type", "application/json")],
                response_body=response,
            )
        )
    return out


def in_process(n_exchanges: int, n_secrets: int) -> dict[str, float]:
    masker = Masker()
    statements = [statement(i) for i in range(5)]
    client_secrets = [secrets.token_urlsafe(32) for _ in range(n_secrets)]
    tokens = [secrets.token_urlsafe(32) for _ in range(n_secrets)]
    start = time.perf_counter()
    for s in statements:
        masker.add(s, "software_statement", "statements.valid")
    for c, t in zip(client_secrets, tokens, strict=True):
        masker.add(c, "client_secret")
        masker.add(t, "access_token")
    learn = time.perf_counter() - start
    batch = exchanges(statements, client_secrets, n_exchanges)
    start = time.perf_counter()
    dicts = [e.to_dict(masker) for e in batch]
    render = time.perf_counter() - start
    text = json.dumps(dicts, indent=2)
    start = time.perf_counter()
    SecretScanner(masker).clean(text, "bench")
    scan = time.perf_counter() - start
    return {
        "secrets registered": len(masker.known()),
        "learning, µs per secret": 1e6 * learn / len(masker.known()),
        "to_dict + curl, µs per exchange": 1e6 * render / n_exchanges,
        "scanner, MB/s": len(text) / 1e6 / scan,
        "scanner input, MB": len(text) / 1e6,
    }


# Times every entry point into masking (learning, rendering, curl, scanning), counting nested calls once.
PROFILE_SNIPPET = """
import importlib, sys, time
from dcr_harness.cli.commands import main
spent, depth = [0.0], [0]
def timed(fn):
    def wrapper(*args, **kwargs):
        depth[0] += 1
        start = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            depth[0] -= 1
            if depth[0] == 0:
                spent[0] += time.process_time() - start
    return wrapper
for module, owner, name in [("dcr_harness.http.exchange", "Exchange", "to_dict"), ("dcr_harness.http.exchange", "Exchange", "curl"),
                            ("dcr_harness.http.masking", "Masker", "mask"), ("dcr_harness.http.masking", "Masker", "add"),
                            ("dcr_harness.http.masking", "Masker", "add_from_json"), ("dcr_harness.http.secret_scan", "SecretScanner", "clean"),
                            ("dcr_harness.report.allure_glue", None, "mask_file")]:
    try:
        target = importlib.import_module(module)
    except ImportError:
        continue
    target = getattr(target, owner) if owner else target
    if hasattr(target, name):
        setattr(target, name, timed(getattr(target, name)))
code = main(sys.argv[1:])
print("MASKING_CPU_S", round(spent[0], 2))
sys.exit(code)
"""


def whole_run(profile: bool, code: str | None) -> dict[str, float | str]:
    env = {
        **os.environ,
        "HYPOTHESIS_PROFILE": "ci",
        **({"PYTHONPATH": code} if code else {}),
    }  # the same work every time
    env.pop("DCR_TARGET", None)
    command = ["-c", PROFILE_SNIPPET] if profile else ["-m", "dcr_harness.cli.commands"]
    with tempfile.TemporaryDirectory() as tmp:
        start, cpu = time.perf_counter(), os.times()
        proc = subprocess.run(
            [sys.executable, *command, "run", "--report-dir", tmp], capture_output=True, text=True, env=env, cwd=tmp
        )
        end = os.times()
        figures: dict[str, float | str] = {
            "run wall s": round(time.perf_counter() - start, 1),
            "run CPU s (children)": round(
                end.children_user + end.children_system - cpu.children_user - cpu.children_system, 1
            ),
            "run exit code": proc.returncode,
        }
        for line in proc.stdout.splitlines():
            if line.startswith("MASKING_CPU_S"):
                figures["CPU s in masking (learning, rendering, curl, scanning)"] = float(line.split()[1])
        results = next(Path(tmp).glob("*/results.json"), None)
        if results:
            figures["results.json MB"] = round(results.stat().st_size / 1e6, 2)
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exchanges", type=int, default=1000)
    parser.add_argument("--secrets", type=int, default=400)
    parser.add_argument("--run", action="store_true", help="also time a default run against the embedded reference")
    parser.add_argument("--profile", action="store_true", help="with --run: profile the run's masking and scanning")
    parser.add_argument("--code", help="with --run: PYTHONPATH of the checkout to run (default: this one)")
    args = parser.parse_args()
    figures: dict[str, float | str] = dict(in_process(args.exchanges, args.secrets))
    if args.run:
        figures.update(whole_run(args.profile, args.code))
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"{name:<{width}}  {value:.4g}" if isinstance(value, float) else f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
