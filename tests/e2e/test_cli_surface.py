"""The public command line: one line per command, an example in every --help, --version from
one place, `python -m dcr_harness`, and one-line errors (never a traceback) for bad options and files."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import dcr_harness
from dcr_harness import paths
from dcr_harness.cli import commands as cli
from dcr_harness.cli.surface import EXAMPLES

COMMANDS = ["init", "run", "serve", "load", "report", "sign", "verify-report", "certify-client", "diff", "replay"]


def harness(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dcr_harness", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "80", **_pythonpath()},
    )


def _pythonpath() -> dict[str, str]:
    import os

    return {"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}


def test_help_lists_every_command_on_one_line() -> None:
    proc = harness("--help")
    assert proc.returncode == 0
    listed = {m.group(1): m.group(2) for m in re.finditer(r"^    (\S+)\s{2,}(\S.*)$", proc.stdout, re.M)}
    assert sorted(listed) == sorted(COMMANDS), proc.stdout
    assert all(len(text) > 10 for text in listed.values())


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_shows_an_example(command: str) -> None:
    proc = harness(command, "--help")
    assert proc.returncode == 0, proc.stderr
    shown = re.split(r"^examples?:", proc.stdout, flags=re.M)
    assert len(shown) == 2, proc.stdout
    assert re.search(rf"^  dcr-harness {command}\b", shown[1], re.M), proc.stdout
    assert command in EXAMPLES


def test_version_comes_from_one_place() -> None:
    assert harness("--version").stdout.strip() == f"dcr-harness {dcr_harness.__version__}"
    pyproject = Path(cli.__file__).resolve().parents[2] / "pyproject.toml"
    if pyproject.is_file():  # a checkout: the version is not written a second time
        project = tomllib.loads(pyproject.read_text())
        assert "version" in project["project"]["dynamic"] and "version" not in project["project"]
        assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "dcr_harness.__version__"}


@pytest.mark.parametrize(
    "args",
    [
        ["--no-such-option"],
        ["run", "--no-such-option"],
        ["serve", "--no-such-option"],
        ["load", "token_refresh", "--no-such-option"],
        ["load", "token_refresh", "--worker"],
        ["load", "token_refresh", "--master", "--workers", "2"],
        ["load", "no_such_profile"],
        ["load", "token_refresh", "--thresholds", "missing.toml"],
        ["load", "token_refresh", "--target", "missing.toml"],
        ["run", "--target", "missing.toml"],
        ["report", "missing/results.json"],
        ["verify-report", "missing"],
        ["diff", "missing", "missing2"],
        ["replay", "missing", "CASE", "--target", "missing.toml"],
        ["run", "--baseline", "missing"],
        ["init"],
        ["init", "--base-url", "not a url"],
        ["init", "--base-url", "http://127.0.0.1:9", "--out", "missing/dir/t.toml"],
        [],
    ],
)
def test_bad_options_and_files_give_one_line(tmp_path: Path, args: list[str]) -> None:
    proc = harness(*args, cwd=tmp_path)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dcr-harness"), proc.stderr


def test_the_suites_and_data_are_found(tmp_path: Path) -> None:
    for folder in (paths.CONFORMANCE_DIR, paths.SCHEMA_DIR, paths.LOAD_DIR, paths.DOCS_DIR):
        assert folder.is_dir(), folder
    assert paths.CONTRACT_PATH.is_file() and paths.TARGET_DOC_PATH.is_file()
