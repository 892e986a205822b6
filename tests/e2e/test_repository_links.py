"""A clone is self-contained: the documents' relative links resolve inside the repository,
and no file refers to a path outside it (the contract and the target-file docs live in docs/)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from dcr_harness import paths

CHECKOUT = paths.PACKAGE_DIR.parent
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
OUTSIDE = re.compile(r"shared/spec|\.\./shared|/work/shared")

pytestmark = pytest.mark.skipif(not (CHECKOUT / ".git").exists(), reason="not a clone")


def tracked_files() -> list[Path]:
    out = subprocess.run(["git", "-C", str(CHECKOUT), "ls-files", "-z"], capture_output=True, text=True, check=True)
    return [CHECKOUT / name for name in out.stdout.split("\0") if name and (CHECKOUT / name).is_file()]


def test_markdown_links_resolve_on_a_clone() -> None:
    dead = []
    for doc in (p for p in tracked_files() if p.suffix == ".md"):
        for target in LINK.findall(doc.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue  # absolute URLs and in-page anchors
            path = (doc.parent / target.split("#")[0]).resolve()
            if not path.exists() or not path.is_relative_to(CHECKOUT):
                dead.append(f"{doc.relative_to(CHECKOUT)}: {target}")
    assert not dead, dead


def test_no_file_refers_to_a_path_outside_the_repository() -> None:
    this = Path(__file__).resolve()
    found = [
        f"{p.relative_to(CHECKOUT)}:{n}"
        for p in tracked_files()
        if p.resolve() != this
        for n, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert not found, found
