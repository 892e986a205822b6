"""Throttling benchmarks against the embedded reference server; prints figures.

    python bench/throttling_bench.py [--repeat 2] [--baseline-rev REV] [--mismatch]

1. the throttling suite alone (conformance/test_throttle_*.py), its scenarios side by side:
   wall time of the pytest run, the sum of the checks' own durations, and the THR-6 replay's
   measured tolerance (timing error, round trip);
2. with --baseline-rev: the same for the suite as it was at REV (for example cc4149d, where
   the checks ran one after another), copied to a temporary directory;
3. with --mismatch: a whole `dcr-harness run` against the reference with thr-global-bucket
   (a throttle stricter than the target file says): wall time, what the run says,
   and the check outcomes.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dcr_harness.paths import CONFORMANCE_DIR

REPO = CONFORMANCE_DIR.parent
# The throttling checks, one file per thing they judge.
SUITE = sorted(CONFORMANCE_DIR.glob("test_throttle_*.py"))


def _env(cache: str) -> dict[str, str]:
    # A private cache: device cursors of benchmark runs do not land in the user's.
    env = {**os.environ, "HYPOTHESIS_PROFILE": "ci", "XDG_CACHE_HOME": cache}
    env.pop("DCR_TARGET", None)
    return env


def _results(report_dir: Path) -> dict:
    return json.loads(sorted(report_dir.glob("*/results.json"))[-1].read_text())


def run_suite(suite: list[Path], cache: str) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as reports:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pytest", *map(str, suite), "--report-dir", reports, "-p", "no:cacheprovider", "-q"],
            cwd=reports,
            env=_env(cache),
            capture_output=True,
            text=True,
            timeout=600,
        )
        return time.perf_counter() - start, _results(Path(reports))


def describe_suite(label: str, wall: float, results: dict) -> None:
    checks = results["checks"]
    outcomes = collections.Counter(c["outcome"] for c in checks)
    durations = sum(c["duration"] for c in checks)
    slowest = max(checks, key=lambda c: c["duration"])
    replay = next((c for c in checks if "schedule" in c["title"]), None)
    tolerance = ""
    if replay is not None:
        found = re.search(r"timing error max [\d.]+ ms \(mean [\d.]+ ms\), round trip max [\d.]+ ms", replay["message"])
        tolerance = found.group(0) if found else replay["message"][:80]
    print(
        f"{label}: wall {wall:.1f} s; checks' own durations sum {durations:.1f} s; slowest "
        f"{slowest['duration']:.1f} s ({slowest['title'][:50]}); outcomes {dict(outcomes)}; "
        f"requests {results['requests_sent']}; THR-6 {tolerance}"
    )


def baseline_suite(rev: str, into: Path) -> list[Path]:
    text = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{rev}:conformance/test_throttling.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = into / "test_throttling.py"
    path.write_text(text)
    return [path]


def mismatch_run(cache: str) -> None:
    with tempfile.TemporaryDirectory() as reports:
        start = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "dcr_harness.cli.commands",
                "run",
                "--report-dir",
                reports,
                "--",
                "--embedded-fault=thr-global-bucket",
            ],
            cwd=reports,
            env=_env(cache),
            capture_output=True,
            text=True,
            timeout=1200,
        )
        wall = time.perf_counter() - start
        results = _results(Path(reports))
    outcomes = collections.Counter(c["outcome"] for c in results["checks"])
    print(
        f"thr-global-bucket whole run: wall {wall:.1f} s, exit {proc.returncode}, outcomes {dict(outcomes)}, "
        f"requests {results['requests_sent']}, unexpected 429 {results['unexpected_429']}"
    )
    print(f"  throttle_mismatch: {results.get('throttle_mismatch')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--baseline-rev", help="also time the throttling suite as it was at this git revision")
    parser.add_argument("--mismatch", action="store_true", help="also time a whole run against thr-global-bucket")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as old:
        suites = [("current", SUITE)]
        if args.baseline_rev:
            suites.append((f"at {args.baseline_rev}", baseline_suite(args.baseline_rev, Path(old))))
        for label, suite in suites:
            for n in range(1, args.repeat + 1):
                describe_suite(f"throttling suite {label} #{n}", *run_suite(suite, cache))
        if args.mismatch:
            mismatch_run(cache)


if __name__ == "__main__":
    main()
