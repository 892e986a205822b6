"""dcr-harness diff OLD NEW, and the baseline gate of `dcr-harness run --baseline`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..argparsing import Subcommands
from ..errors import ExitCode
from .diff import Run, RunError, diff, load_run, render_text, worse_lines


def cmd_diff(args: argparse.Namespace, extra: list[str]) -> int:
    try:
        old, new = load_run(args.old), load_run(args.new)
    except RunError as exc:
        print(f"dcr-harness: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    d = diff(old, new)
    print(json.dumps(d, indent=2) if args.json else render_text(d))
    return ExitCode.FAILED if d["worse"] else ExitCode.OK


def add_command(sub: Subcommands) -> None:
    p = sub.add_parser(
        "diff",
        help="what changed between two runs (exit 1 when a requirement got worse)",
        description="Compare two runs requirement by requirement and check by check. Exit "
        f"{ExitCode.OK}: nothing got worse; {ExitCode.FAILED}: a requirement newly "
        f"fails or newly cannot be verified; {ExitCode.USAGE}: a run cannot be read.",
    )
    p.add_argument("old", metavar="OLD", help="the earlier run: its directory, results.json or certification.json")
    p.add_argument("new", metavar="NEW", help="the later run")
    p.add_argument("--json", action="store_true", help="the difference as JSON (for tools)")
    p.set_defaults(func=cmd_diff)


def load_baseline(path: str) -> tuple[Run | None, str | None]:
    """The baseline run, read before the run starts (--keep may prune its directory): (run, None) or (None, why not)."""
    try:
        return load_run(path), None
    except RunError as exc:
        return None, f"--baseline: {exc}"


def gate(baseline: Run, run_dir: Path | None, run_code: int) -> int:
    """The exit of a run against its baseline: 1 only for what got worse; a fixed failure asks to update it."""
    if run_dir is None:
        print("dcr-harness: --baseline: the run wrote no results.json to compare", file=sys.stderr)
        return run_code
    try:
        d = diff(baseline, load_run(run_dir))
    except RunError as exc:
        print(f"dcr-harness: --baseline: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    print(f"baseline: {d['old']['report']} ({d['old']['verdict']}) -> this run ({d['new']['verdict']})")
    for note in d["notes"]:
        print(f"baseline: note: {note}")
    fixed = d["requirements"]["fixed"]
    if fixed:
        print(
            "baseline: FIXED since the baseline: "
            + ", ".join(c["id"] for c in fixed)
            + f"; update the baseline (--baseline {run_dir})"
        )
    if d["worse"]:
        for line in worse_lines(d):
            print(f"baseline: WORSE {line}")
        return ExitCode.FAILED
    print(
        "baseline: nothing got worse than the baseline"
        + (f" (this run's own exit would be {run_code})" if run_code else "")
    )
    return ExitCode.OK
