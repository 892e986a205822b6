"""dcr-harness: the command line.

Exit codes of `run`: 0 every applicable check passed; 1 a check failed; 2 usage or
target-file error; 3 target unreachable (or not HTTP); 4 the run was stopped (Ctrl-C,
SIGTERM or --max-time) and its report, written with the checks that finished, is INCOMPLETE;
6 INCONCLUSIVE: nothing failed, but something that applies was not judged (a blocked check,
a throttle left unjudged for timing that --accept-unjudged does not name); 7 the harness itself
crashed (an internal error, never the target's doing). The code is chosen by one rule,
dcr_harness/results/exit.py exit_code(result), from the RunResult the run hands back.
With --baseline, 0 and 1 say whether a requirement got worse than in the baseline run instead
(dcr_harness/errors.py: ExitCode).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..argparsing import OneLineErrorParser, Subcommands
from ..clientcert.cli import add_command as add_certify_client_command
from ..contract.target import TargetError, load_target
from ..engine.run_config import RunConfigError
from ..engine.run_options import CLI, build_run_config
from ..engine.run_options import add_to_cli as add_run_options
from ..errors import ExitCode
from ..loadgen.runner import add_role_arguments
from ..paths import CONFORMANCE_DIR, DEFAULT_REPORT_DIR
from ..report.cli import add_commands as add_report_commands
from ..report.diff_cli import gate, load_baseline
from ..results.exit import exit_code
from ..results.run_result import Ending
from .conformance_run import INTERNAL_ERROR, run_conformance
from .init_target import add_init_command
from .load_options import add_arguments as add_load_options
from .replay_command import add_command as add_replay_command
from .surface import finish


def _error(message: str, code: int) -> int:
    print(f"dcr-harness: {message}", file=sys.stderr)
    return code


def cmd_run(args: argparse.Namespace, extra: list[str]) -> int:
    try:
        run_config = build_run_config(args, CLI)
    except RunConfigError as exc:
        return _error(str(exc), ExitCode.USAGE)
    if run_config.target_path:
        try:
            load_target(run_config.target_path)
        except TargetError as exc:
            return _error(f"target file error: {exc}", ExitCode.USAGE)
    baseline, baseline_problem = load_baseline(args.baseline) if args.baseline else (None, None)
    if baseline_problem:
        return _error(baseline_problem, ExitCode.USAGE)
    if not CONFORMANCE_DIR.is_dir():
        return _error(
            f"the conformance suites are not at {CONFORMANCE_DIR}; reinstall dcr-harness (its wheel carries them)",
            ExitCode.USAGE,
        )
    # pytest's own options in argv; the harness's go to pytest as one value, the RunConfig plugin object.
    argv = [str(CONFORMANCE_DIR)]
    if args.k:
        argv += ["-k", args.k]
    if run_config.hypothesis_seed is not None:
        argv += [f"--hypothesis-seed={run_config.hypothesis_seed}"]
    # A --req selection runs in this process: its usage errors (no check cites an ID) are found while
    # collecting, which pytest-xdist does in the workers, where they could not end the run cleanly.
    if args.workers > 0 and not run_config.req:
        argv += ["-n", str(args.workers)]
    argv += ["-q" if not args.verbose else "-v", *extra]
    finished = run_conformance(argv, run_config.max_time, run_config)
    if finished.stopper.stopped:
        return _error(f"{finished.stopper.reason}: the report is INCOMPLETE", ExitCode.INCOMPLETE)
    result = finished.result
    if result is None:  # the session never started: pytest refused an option, or the engine a file
        return ExitCode.INTERNAL if finished.status == INTERNAL_ERROR else ExitCode.USAGE
    if result.ending == Ending.NOTHING_SELECTED:
        return _error("no check matched the selection (-k / --req)", ExitCode.USAGE)
    if result.ending == Ending.INTERNAL_ERROR:
        return _error(
            "internal error: the harness crashed (see the traceback above); please report it", ExitCode.INTERNAL
        )
    code = exit_code(result)
    if baseline is not None and code in (ExitCode.OK, ExitCode.FAILED, ExitCode.INCONCLUSIVE):
        return gate(baseline, result.run_dir if result.written else None, code)
    return code


def cmd_serve(args: argparse.Namespace, extra: list[str]) -> int:
    from ..refserver.main import main as serve_main

    return int(serve_main(extra, prog="dcr-harness serve") or 0)


def cmd_load(args: argparse.Namespace, extra: list[str]) -> int:
    from ..loadgen.runner import role_from_args, run_load
    from .load_options import render_kubernetes, users_and_spawn_rate

    try:
        role = role_from_args(args)
        users, spawn_rate = users_and_spawn_rate(args)
    except ValueError as exc:
        return _error(f"load: {exc}", ExitCode.USAGE)
    if args.render_kubernetes:
        return render_kubernetes(args, users, spawn_rate)
    return run_load(
        args.profile,
        role=role,
        target=args.target,
        users=users,
        spawn_rate=spawn_rate,
        duration=args.duration,
        workers=args.workers,
        shape=args.shape,
        report_dir=args.report_dir,
        thresholds=args.thresholds,
        judge=not args.no_judge,
        client=args.client,
        rate=args.rate,
    )


def add_load_command(sub: Subcommands) -> None:
    load = sub.add_parser(
        "load",
        help="run a Locust load profile (headless), gated on load/thresholds.toml",
        description="Exit 0 thresholds held, 1 a threshold broke, 2 usage/target error or refused.",
    )
    load.add_argument("profile", help="token_refresh or throttling (a file in load/)")
    load.add_argument("--target", help="target file; default $DCR_TARGET, else the embedded reference")
    load.add_argument("--users", type=int, help="simulated users (default 10; --rate sizes them)")
    load.add_argument(
        "--spawn-rate", type=float, help="users started per second (default 5; with --rate: all in a second)"
    )
    load.add_argument(
        "--duration", type=float, default=30.0, help="seconds (default 30; capped by load.max_duration_s)"
    )
    load.add_argument("--workers", type=int, default=0, help="Locust worker processes on loopback (0: one process)")
    load.add_argument("--shape", choices=["ramp", "spike", "soak"], help="a load shape instead of constant users")
    load.add_argument("--report-dir", default=str(DEFAULT_REPORT_DIR), help="reports go to DIR/<time>-load-<profile>/")
    load.add_argument("--thresholds", help="thresholds TOML (default load/thresholds.toml)")
    load.add_argument("--no-judge", action="store_true", help="do not judge responses (benchmarks only)")
    load.add_argument("--client", choices=["fast", "http"], default="fast", help="FastHttpUser (default) or HttpUser")
    add_role_arguments(load)
    add_load_options(load)
    load.set_defaults(func=cmd_load)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(prog="dcr-harness", description="Conformance and load test harness for a DCR service.")
    sub = parser.add_subparsers(dest="command", required=True)
    add_init_command(sub)

    run = sub.add_parser(
        "run",
        help="certify a target (default: the embedded reference server)",
        description="Run the conformance suite. Extra arguments after -- go to pytest.",
    )
    add_run_options(run)  # declared once, for pytest too: engine/run_options.py
    run.set_defaults(func=cmd_run)

    serve = sub.add_parser("serve", help="run the reference DCR server alone", add_help=False)
    serve.set_defaults(func=cmd_serve)
    add_load_command(sub)
    add_report_commands(sub)
    add_certify_client_command(sub)
    add_replay_command(sub)
    return finish(parser, sub.choices)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] == "serve":
        # The reference server owns its options (dcr-harness serve --help).
        return cmd_serve(argparse.Namespace(), argv[1:])
    extra: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, extra = argv[:at], argv[at + 1 :]
    args = parser.parse_args(argv)
    try:
        return args.func(args, extra)
    except KeyboardInterrupt:
        return _error("interrupted", 130)


if __name__ == "__main__":
    sys.exit(main())
