"""Code style the linters do not check: no silenced type errors, no issue numbers in code.

A type-checker suppression hides a wrong type instead of fixing it. An issue number in a
comment or docstring says nothing to a reader of the code, who cannot look it up: a comment
says what the code is for or why.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".git", ".venv", "build", "node_modules", "__pycache__"}
# Spelled in pieces so that this file does not match its own patterns.
SUPPRESSION = re.compile("type" + r":\s*ignore")
ISSUE_NUMBER = re.compile("[Ii]" + r"ssue #?[0-9]+|\(" + r"#[0-9]+\)")


def python_files(root: Path) -> list[Path]:
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info"))
        found.extend(Path(folder) / f for f in sorted(files) if f.endswith(".py"))
    return found


def matches(pattern: re.Pattern[str]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in python_files(ROOT)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]


def test_the_scan_sees_the_whole_tree() -> None:
    seen = {p.relative_to(ROOT).parts[0] for p in python_files(ROOT)}
    assert {"dcr_harness", "tests", "conformance", "load", "conftest.py"} <= seen


def test_the_patterns_catch_what_they_are_for() -> None:
    assert SUPPRESSION.search("x = f()  # " + "type" + ": ignore[arg-type]")
    assert ISSUE_NUMBER.search("the throttle (" + "is" + "sue 10) made this")
    assert ISSUE_NUMBER.search("see (" + "#27)")
    assert not ISSUE_NUMBER.search("a 400 refusal (#fragment) of issues")


def test_no_type_checker_error_is_silenced() -> None:
    found = matches(SUPPRESSION)
    assert not found, "fix the type instead of silencing it:\n" + "\n".join(found)


def test_no_comment_or_docstring_cites_an_issue_number() -> None:
    found = matches(ISSUE_NUMBER)
    assert not found, "say what the code is for, not which issue made it:\n" + "\n".join(found)
