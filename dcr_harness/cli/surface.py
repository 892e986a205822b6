"""The public face of `dcr-harness`: an example in every command's --help, --version, and
argument errors as one line (never argparse's usage block, never a traceback)."""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from .. import __version__
from ..errors import ExitCode
from ..refserver.config import SERVE_EXAMPLE

EXAMPLES: dict[str, tuple[str, ...]] = {
    "init": ("dcr-harness init --base-url https://dcr.staging.example.com --out staging.toml",),
    "run": ("dcr-harness run --target staging.toml", "dcr-harness run --req REG-ERR-3 --req TOK-"),
    "serve": (SERVE_EXAMPLE,),
    "load": ("dcr-harness load token_refresh --duration 30",
             "dcr-harness load token_refresh --master --expect-workers 2 --master-bind-port 5557",
             "dcr-harness load token_refresh --worker --master-host 10.0.0.5 --master-port 5557 --target staging.toml"),
    "report": ("dcr-harness report reports/latest/results.json --waivers waivers.toml",),
    "sign": ("dcr-harness sign reports/latest --generate-key sign-key.pem",),
    "verify-report": ("dcr-harness verify-report reports/latest --public-key sender.pub.pem",),
    "certify-client": ("dcr-harness certify-client --duration 300 --sign-key partner.pem",),
}


def example_epilog(command: str) -> str:
    lines = EXAMPLES[command]
    return ("example:\n" if len(lines) == 1 else "examples:\n") + "\n".join(f"  {line}" for line in lines)


def finish(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add --version and an example epilog to each subcommand's --help."""
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.epilog = "Every command has --help with an example, e.g. dcr-harness run --help."
    # One line per command in the listing, however narrow the terminal.
    parser.formatter_class = partial(argparse.HelpFormatter, max_help_position=20,
                                     width=max(120, shutil.get_terminal_size().columns))
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        for name, sub in action.choices.items():
            if name in EXAMPLES:
                sub.epilog = example_epilog(name)
                sub.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


def _one_line_error(self: argparse.ArgumentParser, message: str) -> None:
    self.exit(ExitCode.USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


@contextmanager
def one_line_errors() -> Iterator[None]:
    """While parsing the command line (ours, and the reference server's): errors in one line, exit 2."""
    original = argparse.ArgumentParser.error
    argparse.ArgumentParser.error = _one_line_error  # type: ignore[method-assign]
    try:
        yield
    finally:
        argparse.ArgumentParser.error = original  # type: ignore[method-assign]
