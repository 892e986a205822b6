"""`dcr-harness init --base-url URL [--out staging.toml]`: start a target file in one step.

Writes a commented TOML file with every key of docs/target-file.md (required ones filled,
optional ones commented out with what they enable), checks that the URL answers HTTP, and
prints the next command. Exit 0 written and answering; 2 bad URL or the file exists; 3
written, but nothing answered at the URL (the run would exit 3 the same way).
"""

from __future__ import annotations

import argparse
import sys
from itertools import groupby
from pathlib import Path

from ..argparsing import Subcommands
from ..contract.target import TargetError, target_from_dict
from ..contract.target_keys import KEYS, Key
from ..engine.preflight import TargetUnreachable, preflight
from ..errors import ExitCode

HEADER = """\
# dcr-harness target file (every key: docs/target-file.md, shipped with the harness).
# Required: base_url and statements.valid. Each commented-out key enables more checks;
# a run lists what it could not cover together with the line to add.
"""


EXAMPLE_BASE_URL = '"https://dcr.staging.example.com'


def _entry(key: Key, base_url: str, said: str) -> list[str]:
    line = key.line.replace(EXAMPLE_BASE_URL, f'"{base_url}')
    comment = [] if key.enables == said else [f"# {key.enables}"]
    return comment + [line if key.required else f"# {line}"]


def render(base_url: str) -> str:
    """The text of a target file for base_url."""
    lines = [HEADER]
    for table, grouped in groupby(KEYS, key=lambda k: k.table):
        keys = list(grouped)
        if table:
            header = f"[{table}]"
            lines.append(header if any(k.required for k in keys) else f"# {header}")
        said = ""
        for key in keys:
            lines += _entry(key, base_url, said)
            said = key.enables
        lines.append("")
    return "\n".join(lines)


def cmd_init(args: argparse.Namespace, extra: list[str]) -> int:
    base_url = args.base_url.rstrip("/")
    out = Path(args.out)
    try:
        target = target_from_dict({"base_url": base_url, "statements": {"valid": "placeholder"}})
    except TargetError as exc:  # its first line introduces the problems of a whole file
        lines = str(exc).splitlines()
        return _say(f"init: {'; '.join(line.strip() for line in lines[1:]) or lines[0]}", ExitCode.USAGE)
    if out.exists() and not args.force:
        return _say(f"init: {out} exists; choose another --out or add --force", ExitCode.USAGE)
    try:
        out.write_text(render(base_url), encoding="utf-8")
    except OSError as exc:
        return _say(f"init: cannot write {out}: {exc.strerror}", ExitCode.USAGE)
    print(f"wrote {out}")
    valid = out.parent / "secrets" / "valid.jwt"
    try:
        seen = preflight(target, timeout=args.timeout)
    except TargetUnreachable as exc:
        return _say(f"init: {out} written, but {exc}", ExitCode.UNREACHABLE)
    print(f"{base_url} answers (GET {seen['url']}: HTTP {seen['status']})")
    print(
        f"next: put a software statement the deployment approves in {valid}, then run\n  dcr-harness run --target {out}"
    )
    return ExitCode.OK


def _say(message: str, code: int) -> int:
    print(f"dcr-harness {message}", file=sys.stderr)
    return code


def add_init_command(sub: Subcommands) -> None:
    init = sub.add_parser(
        "init",
        help="write a commented target file for a deployment, check that it answers",
        description="Write a target file with every key (required ones filled, optional ones "
        "commented out with what they enable), check the URL, print the next command.",
    )
    init.add_argument(
        "--base-url", required=True, help="scheme, host and port of the deployment, e.g. https://dcr.example.com"
    )
    init.add_argument("--out", default="staging.toml", help="the file to write (default staging.toml)")
    init.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    init.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the URL to answer (default 5)")
    init.set_defaults(func=cmd_init)
