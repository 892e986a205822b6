"""contract.html beside every certification: the shipped contract (docs/contract.md) as a page
whose section ids are the anchors the reports link to (``requirements.section_anchor``).

The certification travels without the harness, so its requirement links point at this copy
rather than into an installation. Headings become <hN id=...>; every other block is shown
as written (escaped, line breaks kept): the contract is meant to be read as text.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

from .. import paths
from ..contract import requirements

CONTRACT_PAGE = "contract.html"
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")

_CSS = (
    "body{max-width:960px;margin:24px auto;padding:0 24px;font:14px/1.5 system-ui,sans-serif;color:#1d2330}"
    "p{white-space:pre-wrap}h1,h2{border-bottom:1px solid #dde2ea}"
)


def render(markdown: str) -> str:
    seen: dict[str, int] = {}
    parts: list[str] = []
    block: list[str] = []

    def flush() -> None:
        if block:
            parts.append(f"<p>{escape(chr(10).join(block))}</p>")
            block.clear()

    for line in markdown.splitlines():
        heading = _HEADING.match(line)
        if heading:
            flush()
            level, title = len(heading.group(1)), heading.group(2)
            anchor = requirements._unique_anchor(title, seen)
            parts.append(f'<h{level} id="{escape(anchor)}">{escape(title.replace("`", ""))}</h{level}>')
        elif line.strip():
            block.append(line)
        else:
            flush()
    flush()
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>dcr-harness contract</title>'
        f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>\n"
    )


def write(run_dir: Path) -> Path:
    """Write contract.html into run_dir (next to certification.html)."""
    path = Path(run_dir) / CONTRACT_PAGE
    path.write_text(render(Path(paths.CONTRACT_PATH).read_text(encoding="utf-8")), encoding="utf-8")
    return path
