"""The public face of `dcr-harness`: an example in every command's --help, --version, and
argument errors as one line (never argparse's usage block, never a traceback)."""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Mapping
from functools import partial

from .. import __version__
from ..argparsing import OneLineErrorParser, Subcommands  # noqa: F401  (the commands' parser and type)
from ..refserver.config import SERVE_EXAMPLE

EXAMPLES: dict[str, tuple[str, ...]] = {
    "init": ("dcr-harness init --base-url https://dcr.staging.example.com --out staging.toml",),
    "run": ("dcr-harness run --target staging.toml", "dcr-harness run --req REG-ERR-3 --req TOK-"),
    "serve": (SERVE_EXAMPLE,),
    "load": (
        "dcr-harness load token_refresh --duration 30",
        "dcr-harness load token_refresh --master --expect-workers 2 --master-bind-port 5557",
        "dcr-harness load token_refresh --worker --master-host 10.0.0.5 --master-port 5557 --target staging.toml",
        "dcr-harness load throttling --rate 50 --duration 60 --target staging.toml",
        "dcr-harness load token_refresh --render-kubernetes k8s/ --workers 4 --target staging.toml",
    ),
    "report": ("dcr-harness report reports/latest/results.json --waivers waivers.toml",),
    "sign": ("dcr-harness sign reports/latest --generate-key sign-key.pem",),
    "verify-report": ("dcr-harness verify-report reports/latest --public-key sender.pub.pem",),
    "certify-client": ("dcr-harness certify-client --duration 300 --sign-key partner.pem",),
    "diff": ("dcr-harness diff reports/20260601T020000Z-staging-41 reports/latest",),
    "replay": ("dcr-harness replay reports/latest 'TOK-ERR-4:grant_type unknown URN' --target staging.toml",),
}


def example_epilog(command: str) -> str:
    lines = EXAMPLES[command]
    return ("example:\n" if len(lines) == 1 else "examples:\n") + "\n".join(f"  {line}" for line in lines)


def finish(
    parser: argparse.ArgumentParser, subcommands: Mapping[str, argparse.ArgumentParser]
) -> argparse.ArgumentParser:
    """Add --version to the command, and an example epilog to each subcommand's --help."""
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.epilog = "Every command has --help with an example, e.g. dcr-harness run --help."
    # One line per command in the listing, however narrow the terminal.
    parser.formatter_class = partial(
        argparse.HelpFormatter, max_help_position=20, width=max(120, shutil.get_terminal_size().columns)
    )
    for name, sub in subcommands.items():
        if name in EXAMPLES:
            sub.epilog = example_epilog(name)
            sub.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser
