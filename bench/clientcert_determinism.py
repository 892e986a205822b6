"""Proof that the same client configuration gets the same certify-client verdict run after run.

    python3 bench/clientcert_determinism.py [--runs 10] [--parallel 2] [--case SUBSTRING ...]

Certifies each example app of tests/clientcert_libraries.py (real client libraries, compliant and
misconfigured, under short-token-ttl, throttling, revoked-credentials and restart) --runs times,
--parallel certifications at a time, and prints per configuration: the verdict and failed
requirements of every run, how many matched the expected verdict, and the run time. Figures
only; exit code 1 when any run differed from its expected verdict.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.clientcert_libraries import CASES, Case  # noqa: E402


def one(case: Case) -> tuple[str, frozenset[str], float]:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dcr-determinism-") as tmp:
        verdict, failed = case.verdict(case.certify(Path(tmp)))
    return verdict, failed, time.monotonic() - started


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--parallel", type=int, default=2)
    p.add_argument("--case", action="append", default=[], help="only configurations whose name contains this")
    args = p.parse_args()
    cases = [c for c in CASES if c.available() and (not args.case or any(s in c.name for s in args.case))]
    missing = [c.name for c in CASES if not c.available()]
    if missing:
        print(f"skipped (library not installed): {'; '.join(missing)}")
    jobs = [c for c in cases for _ in range(args.runs)]
    with ThreadPoolExecutor(max_workers=args.parallel) as pool:
        results = list(pool.map(one, jobs))
    all_same = True
    print(f"| configuration | expected | verdicts of {args.runs} runs | matched | median run s |")
    print("|---|---|---|---|---|")
    for i, case in enumerate(cases):
        mine = results[i * args.runs : (i + 1) * args.runs]
        seen = Counter(f"{v} {' '.join(sorted(f)) or '-'}" for v, f, _ in mine)
        matched = sum((v, f) == case.expected for v, f, _ in mine)
        all_same &= matched == args.runs
        took = sorted(t for _, _, t in mine)[len(mine) // 2]
        expected = f"{case.expected[0]} {' '.join(sorted(case.expected[1])) or '-'}"
        print(
            f"| {case.name} | {expected} | {', '.join(f'{k} x{n}' for k, n in seen.items())} | "
            f"{matched}/{args.runs} | {took:.1f} |"
        )
    return 0 if all_same else 1


if __name__ == "__main__":
    raise SystemExit(main())
