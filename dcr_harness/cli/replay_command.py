"""dcr-harness replay RUN_DIR CHECK_OR_CASE [--target FILE] (wired into dcr_harness.cli.commands).

Without --target, a run against the embedded reference is replayed against a fresh embedded
reference started as the run's was (its faults and arguments, recorded in results.json): the
same server, so "still failing" means the same defect, and a report handed over from another
machine replays there too. A run against a deployment needs its target file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ..argparsing import Subcommands
from ..contract.target import Target, TargetError, load_target, target_path_from_env
from ..engine.embedded import EmbeddedServer, EmbeddedServerError
from ..errors import ExitCode
from ..http import Masker
from ..http.secret_scan import SecretScanner
from ..report.diff import RunError, load_run
from .replay import NO_TARGET, Outcome, ReplayError, find_check, replay, replayed_whole
from .replay_check import replay_check


def render(outcome: Outcome, masker: Masker, what: str, target_name: str) -> str:
    lines = [f"replayed {what} against {target_name}", f"{outcome.status.upper()}: {outcome.detail}"]
    for exchange in outcome.exchanges:
        shown = exchange.to_dict(masker)
        lines += [
            "",
            f"  {masker.mask(exchange.describe())}",
            f"  response: {shown['response_body'][:600]}",
            f"  {shown['curl']}",
        ]
    return "\n".join(lines)


def as_json(outcome: Outcome, masker: Masker, what: str) -> str:
    return json.dumps(
        {
            "replayed": what,
            "status": outcome.status,
            "judged": outcome.judged,
            "detail": outcome.detail,
            "exchanges": [e.to_dict(masker) for e in outcome.exchanges],
        },
        indent=2,
    )


def cmd_replay(args: argparse.Namespace, extra: list[str]) -> int:
    def error(message: str, code: int = ExitCode.USAGE) -> int:
        print(f"dcr-harness: {message}", file=sys.stderr)
        return code

    try:
        run = load_run(args.run)
        check, case = find_check(run.results, args.case)
        if replayed_whole(check, case):
            assert check is not None
            outcome, masker, what = replay_check(run.results, check, args.target), Masker(), check["nodeid"]
            described = described_target(args.target, run.results)
        else:
            with replay_target(args.target, run.results) as (target, described):
                outcome, masker, what = replay(run.results, args.case, target)
    except TargetError as exc:
        return error(f"target file error: {exc}")
    except (RunError, ReplayError) as exc:
        return error(str(exc))
    except EmbeddedServerError as exc:
        return error(f"the embedded reference did not start as the run's did: {exc}", ExitCode.UNREACHABLE)
    text = as_json(outcome, masker, what) if args.json else render(outcome, masker, what, described)
    print(SecretScanner(masker).clean(text, "console"))
    if outcome.exchanges and all(e.error for e in outcome.exchanges):
        return ExitCode.UNREACHABLE
    return ExitCode.OK if outcome.status in ("fixed", "passes") else ExitCode.FAILED


def embedded_switches(results: Mapping[str, Any]) -> str:
    """The faults and arguments the run's embedded reference was started with, as the output names them."""
    return (
        " ".join(
            [*(f"--fault {f}" for f in results.get("embedded_faults") or []), *(results.get("embedded_args") or [])]
        )
        or "no faults"
    )


def named(target: Target) -> str:
    return f"{target.name} ({target.base_url})"


@contextmanager
def replay_target(target_option: str | None, results: Mapping[str, Any]) -> Iterator[tuple[Target, str]]:
    """(the target, how the output names it): the target file given, else the run's embedded reference again."""
    target_path = target_path_from_env(target_option)
    if target_path:
        target = load_target(target_path)
        yield target, named(target)
        return
    if not results.get("embedded"):
        raise ReplayError(NO_TARGET.format(name=(results.get("target") or {}).get("name") or "a target file"))
    faults, extra = list(results.get("embedded_faults") or []), list(results.get("embedded_args") or [])
    with EmbeddedServer(faults=faults, extra_args=extra) as target:
        yield (
            target,
            f"a fresh embedded reference started as the run's was ({embedded_switches(results)}; {target.base_url})",
        )


def described_target(target_option: str | None, results: Mapping[str, Any]) -> str:
    """How the output names the target a check runs again against (replay_check starts an embedded one itself)."""
    target_path = target_path_from_env(target_option)
    if target_path:
        return named(load_target(target_path))
    return f"a fresh embedded reference started as the run's was ({embedded_switches(results)})"


def add_command(sub: Subcommands) -> None:
    p = sub.add_parser(
        "replay",
        help="re-send one failing case of a report and say whether it is fixed",
        description="Replay one case of a run against a target: a negative case is sent again and judged "
        "by the same oracle; a generated check's shrunk example is sent exactly and judged by its "
        "case; any other failed check runs again whole, judged by its own oracle. Secrets come from the target file or the environment, never the "
        f"report. Exit {ExitCode.OK}: fixed; {ExitCode.FAILED}: still "
        f"failing or changed; {ExitCode.USAGE}: usage; {ExitCode.UNREACHABLE}: no answer.",
    )
    p.add_argument("run", metavar="RUN_DIR", help="the run directory (or its results.json)")
    p.add_argument(
        "case",
        metavar="CHECK_OR_CASE",
        help="a check's node id (or a unique part of one) or a case ID such as 'TOK-ERR-4:grant_type unknown URN'",
    )
    p.add_argument(
        "--target",
        help="target file to replay against; default $DCR_TARGET, else, for a run against the "
        "embedded reference, a fresh one started with the run's faults and arguments",
    )
    p.add_argument("--json", action="store_true", help="the outcome and the new exchanges as JSON")
    p.set_defaults(func=cmd_replay)
