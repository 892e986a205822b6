"""Does the harness's own test suite pass on any machine, fast or loaded?

    .venv/bin/python tests/flakiness.py [--rounds N] [--busy K] [--timing-rounds M] [--timing-k EXPR] [--max-minutes T]

Runs the unit layer N times in a seeded random order (tests/shuffle_order.py), and the
timing-marked e2e tests (`-m timing`, narrowed with `-k EXPR` if given) M times, each both on the machine as it is ("idle") and
beside K busy loops (processes spinning `while True: pass`, started for that run and killed
after it). Prints what failed where: test id x condition x round, then one line per run.
Exit 1 when anything failed. Every pytest run is bounded (--run-timeout), and no run starts
after --max-minutes. A failing order is replayed with the seed printed for its run:
`python -m pytest tests/unit -p tests.shuffle_order --shuffle-seed SEED`.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {  # name: pytest arguments
    "unit": ["tests/unit", "-n", "2", "-p", "tests.shuffle_order"],
    "timing": ["tests/e2e", "-m", "timing", "-n", "2"],
}


@dataclass
class Run:
    layer: str
    condition: str
    round: int
    seed: int | None
    seconds: float = 0.0
    passed: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # test id: "F" (failed) or "E" (error)
    note: str = ""  # timeout, or pytest's exit code when no report came

    @property
    def column(self) -> str:
        return f"{self.layer}/{self.condition}/r{self.round}"


@contextmanager
def busy_loops(count: int):
    """`count` processes spinning on the CPU for as long as the block lasts; killed (by pid) after it."""
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for proc in loops:
            proc.kill()
        for proc in loops:
            proc.wait()


def read_summary(output: str, run: Run) -> None:
    """The failed and erroring node ids (pytest's -rfE lines) and the passed count of pytest's output."""
    for line in output.splitlines():
        kind, _, rest = line.partition(" ")
        if kind in ("FAILED", "ERROR") and "::" in rest.split(" - ")[0]:
            run.failed[rest.split(" - ")[0]] = kind[0]
    passed = re.findall(r"(\d+) passed", output)
    run.passed = int(passed[-1]) if passed else 0


def run_pytest(run: Run, timeout_s: float, log_dir: Path, timing_k: str | None) -> None:
    cmd = [sys.executable, "-m", "pytest", *LAYERS[run.layer], "-q", "-rfE", "-p", "no:randomly"]
    if run.layer == "timing" and timing_k:
        cmd += ["-k", timing_k]
    if run.seed is not None:
        cmd += ["--shuffle-seed", str(run.seed)]
    log = log_dir / f"{run.column.replace('/', '-')}.log"
    started = time.monotonic()
    with log.open("w+") as out:
        # Its own process group, so that a run over its time is stopped with its xdist workers.
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            code = proc.wait()
            run.note = f"timeout after {timeout_s:.0f} s"
        run.seconds = time.monotonic() - started
        out.seek(0)
        read_summary(out.read(), run)
    if code not in (0, 1) and not run.note:  # 1: tests failed (in the table); anything else: pytest itself
        run.note = f"pytest exit {code}"
    if code == 5:  # no test collected: nothing failed
        run.note = "no test selected"


def table(runs: list[Run]) -> str:
    columns = [run.column for run in runs]
    failing = sorted({test_id for run in runs for test_id in run.failed})
    width = max([len(t) for t in failing] + [len("test id")])
    lines = ["test id".ljust(width) + "  " + "  ".join(columns)]
    for test_id in failing:
        cells = [run.failed.get(test_id, ".").center(len(run.column)) for run in runs]
        lines.append(test_id.ljust(width) + "  " + "  ".join(cells))
    if not failing:
        lines.append("(no test failed)")
    lines.append("")
    for run in runs:
        seed = f" seed {run.seed}" if run.seed is not None else ""
        lines.append(
            f"{run.column:<24} {run.passed:4d} passed {len(run.failed):3d} failed {run.seconds:6.1f} s{seed}"
            + (f"  [{run.note}]" if run.note else "")
        )
    return "\n".join(lines)


def plan(args: argparse.Namespace) -> list[Run]:
    seeds = random.Random(args.seed)
    conditions = ["idle"] + ([f"busy{args.busy}"] if args.busy else [])
    runs = []
    for layer, rounds in (("unit", args.rounds), ("timing", args.timing_rounds)):
        for number in range(1, rounds + 1):
            seed = seeds.randrange(2**31) if layer == "unit" else None
            runs += [Run(layer, condition, number, seed) for condition in conditions]  # same order in both
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the unit layer, each in a new order (3)")
    parser.add_argument("--timing-rounds", type=int, default=1, help="rounds of the timing e2e tests (1; 0: none)")
    parser.add_argument("--timing-k", metavar="EXPR", help="only the timing tests this -k expression selects")
    parser.add_argument(
        "--busy", type=int, default=2, help="busy loops beside the second run of each round (2; 0: idle only)"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed of the orders (default: a fresh one, printed)")
    parser.add_argument("--run-timeout", type=float, default=900, help="seconds one pytest run may take (900)")
    parser.add_argument("--max-minutes", type=float, default=60, help="no run starts after this (60)")
    args = parser.parse_args(argv)
    if min(args.rounds, args.timing_rounds, args.busy) < 0 or args.rounds + args.timing_rounds == 0:
        parser.error("rounds and busy loops are counts (at least one round in all)")
    args.seed = random.randrange(2**31) if args.seed is None else args.seed
    print(f"flakiness: --seed {args.seed}", flush=True)
    stop_at = time.monotonic() + args.max_minutes * 60
    done, log_dir = [], Path(tempfile.mkdtemp(prefix="dcr-flakiness-"))
    for run in plan(args):
        if time.monotonic() > stop_at:
            print(f"--max-minutes {args.max_minutes} reached: the remaining runs were not started", flush=True)
            break
        with busy_loops(int(run.condition[4:]) if run.condition.startswith("busy") else 0):
            run_pytest(run, args.run_timeout, log_dir, args.timing_k)
        print(
            f"  {run.column}: {run.passed} passed, {len(run.failed)} failed, {run.seconds:.1f} s {run.note}", flush=True
        )
        done.append(run)
    print(table(done))
    print(f"pytest's output of each run: {log_dir}")
    return 1 if any(run.failed or (run.note and run.note != "no test selected") for run in done) else 0


if __name__ == "__main__":
    sys.exit(main())
