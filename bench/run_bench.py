"""Run-time benchmark of `dcr-harness run`; prints figures, asserts nothing.

    python bench/run_bench.py [--workers 4] [--profile dev] [--skip-unbounded]

1. the default run on the embedded (conforming) reference server;
2. a first run (no example database: an empty cache directory) against the reference with
   one fault switched on per contract area (MULTI_FAULTS), with the default shrink budget;
3. the same first run (same seed) with Hypothesis' own shrink limit (--shrink-time 300, no run
   deadline), to compare the verdicts: the shrink budget must not change any requirement's verdict.
For each: wall time, exit code, requests, time spent shrinking (results.json), and for 2/3
the requirement verdicts and whether they are identical.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# One fault per contract area (python -m dcr_harness.cli.commands serve --list-faults).
MULTI_FAULTS = [
    "reg-500-bad-json",  # register: REG-ERR-5 (generated bodies find it, and shrink)
    "tok-repeated-param-last-wins",  # token: TOK-ERR-1
    "api-accept-unknown-token",  # protected API: API-2
    "thr-burst-refills",  # throttling: THR-6
    "dev-500-bad-device-info",  # device info: DEV-3
]
UNBOUNDED_SHRINK_S = 300  # Hypothesis' own limit (MAX_SHRINKING_SECONDS)


def run(label: str, args: list[str], workdir: Path, profile: str) -> dict:
    """One `dcr-harness run` in a fresh directory with a fresh (empty) user cache."""
    report_dir = workdir / label / "reports"
    report_dir.mkdir(parents=True)
    env = {**os.environ, "HYPOTHESIS_PROFILE": profile, "XDG_CACHE_HOME": str(workdir / label / "cache")}
    env.pop("DCR_TARGET", None)
    cmd = [sys.executable, "-m", "dcr_harness.cli.commands", "run", "--report-dir", str(report_dir), *args]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=workdir / label, env=env, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    run_dirs = [p for p in report_dir.iterdir() if p.is_dir() and not p.is_symlink()]
    if len(run_dirs) != 1 or not (run_dirs[0] / "certification.json").is_file():
        raise SystemExit(f"{label}: exit {proc.returncode}, no report:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    (run_dir,) = run_dirs
    results = json.loads((run_dir / "results.json").read_text())
    cert = json.loads((run_dir / "certification.json").read_text())
    verdicts = {r["id"]: r["verdict"] for r in cert["requirements"]}
    figures = {
        "label": label,
        "wall_s": round(wall, 1),
        "exit": proc.returncode,
        "verdict": cert["overall"]["verdict"],
        "checks": len(results["checks"]),
        "requests": results["requests_sent"],
        "shrink_s": results.get("shrink_seconds"),
        "seed": results.get("seed"),
        "run_dir_kb": sum(p.stat().st_size for p in run_dir.rglob("*") if p.is_file()) // 1024,
        "failed": sorted(r for r, v in verdicts.items() if v == "fail"),
        "verdicts": verdicts,
    }
    slowest = sorted(results["checks"], key=lambda c: -c["duration"])[:3]
    figures["slowest"] = [f"{c['duration']:.1f}s {c['nodeid'].split('/')[-1][:70]}" for c in slowest]
    return figures


def show(f: dict) -> None:
    print(
        f"{f['label']:<24} wall {f['wall_s']:>6.1f} s  exit {f['exit']}  {f['verdict']:<18} checks {f['checks']:>3}  "
        f"requests {f['requests']:>5}  shrinking {f['shrink_s']:>6.1f} s  run dir {f['run_dir_kb']} KiB  seed {f['seed']}"
    )
    for line in f["slowest"]:
        print(f"{'':<26}{line}")
    if f["failed"]:
        print(f"{'':<26}failed requirements: {' '.join(f['failed'])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="4", help="dcr-harness run --workers (default 4)")
    parser.add_argument("--profile", default="dev", help="HYPOTHESIS_PROFILE (default dev, the default at a terminal)")
    parser.add_argument("--skip-unbounded", action="store_true", help="leave out run 3 (it may shrink for minutes)")
    args = parser.parse_args()
    faults = [a for f in MULTI_FAULTS for a in ("--embedded-fault", f)]
    common = ["--workers", args.workers]
    print(
        f"dcr-harness run benchmark: HYPOTHESIS_PROFILE={args.profile}, --workers {args.workers}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory(prefix="dcr-run-bench-") as tmp:
        work = Path(tmp)
        conforming = run("conforming", common, work, args.profile)
        show(conforming)
        bounded = run("multi-fault", [*common, "--", *faults], work, args.profile)
        show(bounded)
        if not args.skip_unbounded:
            # The same seed: the same examples are generated, so only the shrink budget differs.
            unbounded = run(
                "multi-fault-unbounded",
                [
                    *common,
                    "--shrink-time",
                    str(UNBOUNDED_SHRINK_S),
                    "--max-time",
                    "0",
                    "--hypothesis-seed",
                    str(bounded["seed"]),
                    "--",
                    *faults,
                ],
                work,
                args.profile,
            )
            show(unbounded)
            same = bounded["verdicts"] == unbounded["verdicts"]
            print(f"verdicts with and without the shrink budget identical: {same}")
            if not same:
                diff = {
                    r: (bounded["verdicts"].get(r), unbounded["verdicts"].get(r))
                    for r in sorted(set(bounded["verdicts"]) | set(unbounded["verdicts"]))
                    if bounded["verdicts"].get(r) != unbounded["verdicts"].get(r)
                }
                print(f"  differences (budget, unbounded): {diff}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
