"""certification.html renders in a real browser (headless Chromium): no script error, the verdict shows."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dcr_harness.report.certification import build, write
from dcr_harness.report.samples import FAILING, check, results
from dcr_harness.report.waivers import parse_waivers

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium)")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=1280,1800",
]


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "chromium-profile"
    assert CHROMIUM is not None  # the module is skipped without it
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=90,
    )


@pytest.mark.parametrize("waived", [False, True], ids=["failing", "waived"])
def test_the_page_renders_with_its_verdict_and_no_console_error(tmp_path: Path, waived: bool) -> None:
    waivers = parse_waivers('version = 1\n[[waiver]]\nrequirement = "REG-OK-1"\nreason = "r"\nexpires = 2030-01-01\n')
    doc = build(FAILING, waivers if waived else parse_waivers("version = 1"))
    _, html = write(tmp_path, doc)
    done = chromium(tmp_path, "--dump-dom", html.as_uri())
    dom = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'data-rendered="ok"' in dom.split(">", 2)[1], "the page script did not finish"
    html_match = re.search(r"<html[^>]*>", dom)
    assert html_match is not None, "no <html> tag in the rendered DOM"
    html_tag = html_match.group()
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


def test_the_trend_of_earlier_runs_renders(tmp_path: Path) -> None:
    """Two earlier runs of the same target in the report folder: the page shows the trend and what changed."""
    root = tmp_path / "reports"
    passing = results(
        [
            check("conformance/test_register.py::test_register_ok", ["REG-OK-1", "FLOW-1"]),
            check("conformance/test_token.py::test_token_ok", ["TOK-OK-1"]),
        ],
        finished="2026-05-31T12:00:00Z",
    )
    for name, doc in (("20260530T120000Z-partner-staging-1", passing), ("20260531T120000Z-partner-staging-2", passing)):
        (root / name).mkdir(parents=True)
        write(root / name, build(doc))
    run_dir = root / "20260601T115900Z-partner-staging-3"
    run_dir.mkdir()
    _, html = write(run_dir, build(FAILING))
    done = chromium(tmp_path, "--dump-dom", html.as_uri())
    dom = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'data-rendered="ok"' in dom.split(">", 2)[1], "the page script did not finish"
    trend = re.search(r'<section id="trend">.*?</section>', dom, re.S)
    assert trend, "no trend section"
    assert len(re.findall(r'<tr data-run="', trend.group())) == 3
    assert re.search(
        r'<tr data-change="newly_failing"><td class="id"><a href="#req-REG-OK-1">REG-OK-1</a>', trend.group()
    )
