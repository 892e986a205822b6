"""certification.html renders in a real browser (headless Chromium): no script error, the verdict shows."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dcr_harness.report.certification import build, write
from dcr_harness.report.samples import FAILING
from dcr_harness.report.waivers import parse_waivers

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--enable-logging=stderr", "--v=0", "--window-size=1280,1800"]


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "chromium-profile"
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],  # type: ignore[list-item]
                          capture_output=True, text=True, timeout=90)


@pytest.mark.parametrize("waived", [False, True], ids=["failing", "waived"])
def test_the_page_renders_with_its_verdict_and_no_console_error(tmp_path: Path, waived: bool) -> None:
    waivers = parse_waivers('version = 1\n[[waiver]]\nrequirement = "REG-OK-1"\nreason = "r"\nexpires = 2030-01-01\n')
    doc = build(FAILING, waivers if waived else parse_waivers("version = 1"))
    _, html = write(tmp_path, doc)
    done = chromium(tmp_path, "--dump-dom", html.as_uri())
    dom = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'data-rendered="ok"' in dom.split(">", 2)[1], "the page script did not finish"
    html_tag = re.search(r"<html[^>]*>", dom).group()  # type: ignore[union-attr]
    assert "data-errors" not in html_tag, html_tag  # window.onerror records script errors there
    assert not re.search(r"Uncaught|CONSOLE\(\d+\).*(Error|error)", done.stderr), done.stderr[-2000:]
    verdict = doc["overall"]["verdict"]
    assert re.search(rf'<div id="verdict"[^>]*>{re.escape(verdict)}</div>', dom)
    assert "<svg" in dom and 'id="req-REG-OK-1"' in dom


def test_screenshot(tmp_path: Path) -> None:
    _, html = write(tmp_path, build(FAILING))
    shot = tmp_path / "certification.png"
    done = chromium(tmp_path, f"--screenshot={shot}", html.as_uri())
    assert done.returncode == 0 and shot.stat().st_size > 10_000, done.stderr[-2000:]
