"""Argument parsing every command shares (the harness's and the reference server's): usage
errors in one line with exit 2 (never argparse's usage block), and the type of a command's
subcommands. Shared vocabulary: imports no layer."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any, NoReturn, Protocol

from .errors import ExitCode


class Subcommands(Protocol):
    """What ArgumentParser.add_subparsers() returns (argparse gives its class a private name)."""

    @property
    def choices(self) -> Mapping[str, argparse.ArgumentParser]: ...  # read only: any parser class fits

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


class OneLineErrorParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit 2 (its subcommands' parsers too)."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")
