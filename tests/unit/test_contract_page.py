"""contract.html, written beside every certification: the shipped contract with the anchors
that the certification's and Allure's requirement links point at."""

from __future__ import annotations

import re
from pathlib import Path

from dcr_harness.contract import requirements
from dcr_harness.report import contract_page
from dcr_harness.report.html import CONTRACT_LINK


def test_every_requirement_link_lands_on_a_section(tmp_path: Path) -> None:
    page = contract_page.write(tmp_path).read_text(encoding="utf-8")
    ids = set(re.findall(r'<h\d id="([^"]+)"', page))
    assert CONTRACT_LINK == contract_page.CONTRACT_PAGE == "contract.html"
    missing = {r.id: r.anchor for r in requirements.all_requirements() if r.anchor not in ids}
    assert not missing, missing
    assert "REG-ERR-3" in page and "&lt;access_token&gt;" in page  # the text itself, escaped


def test_render_escapes_and_numbers_repeated_headings() -> None:
    page = contract_page.render("# A <b>\n\ntext & more\n\n## A <b>\n")
    assert '<h1 id="a-b">A &lt;b&gt;</h1>' in page and '<h2 id="a-b-1">' in page
    assert "<p>text &amp; more</p>" in page
