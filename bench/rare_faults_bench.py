"""Which rare-input faults the generated checks find, per Hypothesis profile.

For each rare-input fault of the reference server (refserver/faults.py: rare-*, and
gen-accept-empty-secret), the generated checks (the coverage phase, conformance/test_coverage.py,
and the random search, conformance/test_properties.py) run against the embedded reference with
that fault on; a fault is found when a check fails a requirement the fault declares. Runs:

- ci: the CI profile (derandomized), coverage and random phases;
- dev seed S: the default profile with --hypothesis-seed S, for each of --seeds;
- random only: the ci profile without the coverage phase (what the random search finds alone).

Usage: python bench/rare_faults_bench.py [--seeds 1 2 3] [--parallel 2] [--modes ci dev random-only] [--faults ...]
Prints a table and writes bench/RARE_FAULTS_RESULTS.md (--out: another name). Traffic goes to the embedded reference on loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from dcr_harness.paths import CONFORMANCE_DIR
from dcr_harness.refserver.faults import FAULTS

RARE = sorted(name for name in FAULTS if name.startswith("rare-")) + ["gen-accept-empty-secret"]
COVERAGE, PROPERTIES = CONFORMANCE_DIR / "test_coverage.py", CONFORMANCE_DIR / "test_properties.py"
TIMEOUT_S = 900


def run(fault: str, profile: str, seed: int | None, with_coverage: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="rare-bench-") as tmp:
        reports = Path(tmp) / "reports"
        suites = [COVERAGE, PROPERTIES] if with_coverage else [PROPERTIES]
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            *map(str, suites),
            "--report-dir",
            str(reports),
            "-p",
            "no:cacheprovider",
            "-q",
            f"--embedded-fault={fault}",
            f"--hypothesis-profile={profile}",
            *([f"--hypothesis-seed={seed}"] if seed is not None else []),
        ]
        env = {**os.environ, "HYPOTHESIS_PROFILE": profile, "XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        env.pop("DCR_TARGET", None)
        started = time.monotonic()
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=TIMEOUT_S, cwd=tmp, env=env, stdin=subprocess.DEVNULL
        )
        elapsed = time.monotonic() - started
        files = sorted(reports.glob("*/results.json"))
        checks = json.loads(files[-1].read_text())["checks"] if files else []
    failed = {r for c in checks if c["outcome"] == "failed" for r in c["failed_requirements"]}
    cases: dict[str, int] = {}
    for c in checks:
        for phase, n in (c.get("cases") or {}).items():
            cases[phase] = cases.get(phase, 0) + n
    declared = set(FAULTS[fault].requirements)
    return {
        "fault": fault,
        "found": bool(failed & declared),
        "exact": failed == declared,
        "failed": sorted(failed),
        "declared": sorted(declared),
        "seconds": round(elapsed, 1),
        "cases": cases,
        "exit": proc.returncode,
    }


def progress(label: str, result: dict[str, Any]) -> dict[str, Any]:
    """Each run's line as it ends (a long bench that is stopped keeps what it measured)."""
    print(
        f"{label}: {result['fault']} found={result['found']} failed={result['failed']} cases={result['cases']} "
        f"{result['seconds']} s",
        file=sys.stderr,
        flush=True,
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3])
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument(
        "--modes", nargs="*", default=["ci", "dev", "random-only"], choices=["ci", "dev", "random-only"]
    )
    parser.add_argument("--faults", nargs="*", default=RARE)
    parser.add_argument("--out", default="RARE_FAULTS_RESULTS.md", help="file name beside this script")
    args = parser.parse_args()
    jobs: list[tuple[str, str, str, int | None, bool]] = []
    for fault in args.faults:
        if "ci" in args.modes:
            jobs.append(("ci", fault, "ci", None, True))
        if "dev" in args.modes:
            jobs += [(f"dev seed {s}", fault, "dev", s, True) for s in args.seeds]
        if "random-only" in args.modes:
            jobs.append(("ci, random only", fault, "ci", None, False))
    with ThreadPoolExecutor(max_workers=args.parallel) as pool:
        results = list(pool.map(lambda j: (j[0], progress(j[0], run(*j[1:]))), jobs))
    lines = [
        "| run | fault | found | failed exactly the declared | failed requirements | cases per phase | seconds |",
        "| --- | --- | --- | --- | --- | --- | ---: |",
    ]
    for label, r in results:
        lines.append(
            f"| {label} | {r['fault']} | {'yes' if r['found'] else 'NO'} | {'yes' if r['exact'] else 'no'} | "
            f"{' '.join(r['failed']) or '-'} | {json.dumps(r['cases'])} | {r['seconds']} |"
        )
    found: dict[str, list[bool]] = {}
    for label, r in results:
        found.setdefault(label.split(" seed")[0] if label.startswith("dev") else label, []).append(bool(r["found"]))
    summary = [f"- {mode}: {sum(v)} of {len(v)} fault runs found the fault" for mode, v in found.items()]
    text = "\n".join(lines + [""] + summary)
    print(text)
    out = Path(__file__).with_name(args.out)
    out.write_text(
        "# Rare-input faults found per profile (bench/rare_faults_bench.py)\n\n"
        f"Run on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {os.getloadavg()[0]:.1f} "
        f"(2 shared CPUs), {args.parallel} runs in parallel.\n\n" + text + "\n"
    )
    return 0 if all(r["found"] for label, r in results if "random only" not in label) else 1


if __name__ == "__main__":
    sys.exit(main())
